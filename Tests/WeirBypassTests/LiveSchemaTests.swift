// SPDX-License-Identifier: MIT
import Glibc
import Testing
import WeirRuntime
import WeirTestSupport

@Suite("EVE schema and counters of a live capture", .serialized)
struct LiveSchemaTests {
    @Test(
        "a two-worker capture on veth writes periodic stats on wall-clock time, every record valid against Suricata's schema, and stats.log with Weir's own counters",
        .needsSharedCorpus)
    func liveRecordsValidate() throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let files = LiveRunFiles(
            "schema", rules: "alert udp any any -> any any (msg:\"live probe\"; content:\"weir-live-probe\"; sid:9100021; rev:1;)\n")
        defer { files.remove() }
        let sender = packetSocket(in: pair.sender, link: pair.senderLink)
        #expect(sender.fd >= 0)
        defer { close(sender.fd) }
        let options = files.options([
            "af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.threads=2", "stats.interval=1",
        ])
        let link = pair.receiverLink
        let session = try LiveSession(in: pair.receiver) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)
        let probes = (0..<20).map { udpFrame("10.9.0.1", "10.9.0.2", port: 43000 + UInt16($0), payload: "weir-live-probe \($0)") }
        // A frame cut inside its IPv4 header: a decode event.
        let cut = Array(udpFrame("10.9.0.1", "10.9.0.2", port: 44000, payload: "x").prefix(24))
        send(probes, on: sender)
        send([cut], on: sender)
        usleep(2_600_000)  // past two stats intervals
        send(probes, on: sender)
        usleep(300_000)
        #expect(session.stop() == 0)

        let lines = files.eve()
        #expect(lines.filter { $0.contains("\"signature_id\":9100021") }.count == 2 * probes.count)
        // Periodic records on wall-clock time, then the final one.
        #expect(lines.filter { $0.contains("\"event_type\":\"stats\"") }.count >= 3)
        let (status, output) = validateEVE(["\(files.directory)/out/eve.json"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("stats ") && output.contains("alert ") && output.contains("flow "), "\(output)")
        // stats.log: the workers' sum, with the capture counters and Weir's own.
        let counters = files.counters()
        #expect(counters["capture.kernel_packets", default: 0] >= UInt64(2 * probes.count + 1))
        #expect(counters["decoder.pkts", default: 0] >= UInt64(2 * probes.count + 1))
        #expect((counters["decoder.invalid"] ?? 0) >= 1)
        #expect(counters["flow.peak_active"] != nil)
    }
}
