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

    @Test("threads: yes names each worker as Suricata does (W#01-IF …) in EVE and stats.log; their counters sum to the totals")
    func perWorkerCounters() throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let files = LiveRunFiles(
            "threads", rules: "alert udp any any -> any any (msg:\"live probe\"; content:\"weir-live-probe\"; sid:9100022; rev:1;)\n")
        defer { files.remove() }
        let config = """
            %YAML 1.1
            ---
            outputs:
              - eve-log:
                  enabled: yes
                  filename: eve.json
                  types:
                    - alert
                    - stats:
                        totals: yes
                        threads: yes
                        deltas: yes
              - stats:
                  enabled: yes
                  filename: stats.log
                  threads: yes

            """
        #expect(FileDescriptorWriter.write(config, to: "\(files.directory)/weir.yaml"))
        let sender = packetSocket(in: pair.sender, link: pair.senderLink)
        #expect(sender.fd >= 0)
        defer { close(sender.fd) }
        var options = files.options(["af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.threads=2", "stats.interval=1"])
        options.configPath = "\(files.directory)/weir.yaml"
        let link = pair.receiverLink
        let session = try LiveSession(in: pair.receiver) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)
        let probes = (0..<30).map { udpFrame("10.9.0.1", "10.9.0.2", port: 45000 + UInt16($0), payload: "weir-live-probe \($0)") }
        send(probes, on: sender)
        usleep(1_500_000)
        #expect(session.stop() == 0)

        let stats = files.eve().filter { $0.contains("\"event_type\":\"stats\"") }
        #expect(stats.count >= 2)
        let last = try #require(stats.last)
        let names = ["W#01-\(link)", "W#02-\(link)"]
        for name in names { #expect(last.contains("\"\(name)\":{"), "\(name) missing") }
        #expect(last.contains("\"pkts_delta\":"))
        // Each worker's decoder.pkts (the first "pkts" after its name) adds up to the total.
        func pkts(after marker: String) -> Int {
            guard let range = last.range(of: marker) else { return -1 }
            let tail = last[range.upperBound...]
            guard let at = tail.range(of: "\"pkts\":") else { return -1 }
            return Int(tail[at.upperBound...].prefix { $0.isNumber }) ?? -1
        }
        let total = pkts(after: "\"decoder\":{")
        #expect(total >= probes.count)
        #expect(pkts(after: "\"\(names[0])\":{") + pkts(after: "\"\(names[1])\":{") == total)
        let log = FileDescriptorWriter.read("\(files.directory)/out/stats.log") ?? ""
        #expect(log.contains("| W#01-\(link)") && log.contains("| W#02-\(link)") && log.contains("| Total "))
    }
}
