// SPDX-License-Identifier: MIT
import Glibc
import Testing
import WeirTestSupport
import WeirCapture
import WeirCore
import WeirDecode
import WeirFlow
@testable import WeirStream

/// Replays a pcap through decode → flow → stream and records what detection would be handed.
final class PcapReplay {
    var raw: [Bool: [[UInt8]]] = [true: [], false: []]
    var packetsAddedToStream = 0
    var events = StreamEventSet()
    var statistics = StreamStatistics()

    init(_ path: String, settings: StreamSettings = StreamSettings()) throws {
        let file = try PcapFile(path: path)
        var table = FlowTable(settings: FlowSettings(midstream: settings.midstream, asyncOneside: settings.asyncOneside))
        let engine = StreamEngine(settings: settings)
        var packet = Packet()
        loop: while true {
            switch file.next() {
            case .record(let record):
                guard BenchDecoder.decode(record.bytes, into: &packet) else { continue }
                packet.timestamp = record.timestamp
                guard let handle = table.process(packet, emit: { _, _ in }), packet.isTCP else { continue }
                let flowID = table[handle.slot].flowID
                let result = engine.handle(packet, flow: handle, flowID: flowID, frame: record.bytes)
                self.events.formUnion(result.events)
                if result.addedToStream { self.packetsAddedToStream += 1 }
                if let session = engine.session(slot: handle.slot, flowID: flowID) { self.collect(session) }
            case .end: break loop
            case .damaged(let why): Issue.record("\(path): \(why)")
            }
        }
        for slot in 0..<engine.slotCount where engine.hasSession(slot: slot) {
            engine.endFlow(slot: slot) { self.collect($0) }
        }
        self.statistics = engine.statistics
    }

    private func collect(_ session: TCPSession) {
        for chunk in session.rawChunks { self.raw[chunk.toServer, default: []].append(Array(chunk.block.bytes)) }
    }

    func rawText(toServer: Bool) -> [String] { (self.raw[toServer] ?? []).map { $0.text } }
}

/// `<repo root>/../shared` (or `$WEIR_SHARED`).
func sharedPath(_ relative: String) -> String {
    if let env = getenv("WEIR_SHARED") { return String(cString: env) + "/" + relative }
    let here = #filePath
    var parts = here.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/WeirStreamTests/<file>
    return parts.joined(separator: "/") + "/../shared/" + relative
}

func verifyCase(_ name: String, _ pcap: String) -> String {
    sharedPath("conformance/suricata-verify/\(name)/\(pcap)")
}

@Test(.needsSharedCorpus) func exactOverlapKeepsTheFirstDataUnderBSD() throws {
    // eve-payload-01-tcp-exact-overlap: "GOOD" then "EVIL" at the same sequence; the stream holds GOOD.
    let r = try PcapReplay(verifyCase("eve-payload-01-tcp-exact-overlap", "tcp-overlap.pcap"))
    let stream = r.rawText(toServer: true).joined()
    #expect(stream.contains("GOOD"))
    #expect(!stream.contains("EVIL"))
    #expect(r.events.contains(.reassemblyOverlapDifferentData))
}

@Test(.needsSharedCorpus) func partialOverlapKeepsTheFirstDataUnderBSD() throws {
    let r = try PcapReplay(verifyCase("eve-payload-04-partial-overlap", "tcp-overlap2.pcap"))
    let stream = r.rawText(toServer: true).joined()
    #expect(stream.contains("GOOD"))
    #expect(!stream.contains("XXX"))
}

@Test(.needsSharedCorpus) func gapSplitsTheStreamIntoSeparateChunks() throws {
    // eve-overlap-payload-05-gap: VERY, (GOOD missing), DATA: "VERY" and "DATA" match in the stream,
    // "VERYGOODDATA" and "GOOD" do not.
    let r = try PcapReplay(verifyCase("eve-overlap-payload-05-gap", "tcp-simple-gap2.pcap"))
    let chunks = r.rawText(toServer: true)
    #expect(chunks.contains { $0.contains("VERY") })
    #expect(chunks.contains { $0.contains("DATA") })
    #expect(!chunks.contains { $0.contains("GOOD") })
    #expect(!chunks.contains { $0.contains("VERYGOODDATA") })
}

@Test(.needsSharedCorpus) func leadingGapIsSkipped() throws {
    let r = try PcapReplay(verifyCase("eve-payload-06-tcp-data-leading-gap", "tcp-leading-gap.pcap"))
    let chunks = r.rawText(toServer: true)
    #expect(chunks.contains { $0.contains("GOODDATA") })
}

@Test(.needsSharedCorpus) func splitHandshakeStreamIsReassembled() throws {
    // tcp-split-handshake-01-4whs: "EVIL" must be seen exactly once in the stream.
    let r = try PcapReplay(verifyCase("tcp-split-handshake-01-4whs", "split-handshake-4whs.pcap"))
    let all = (r.rawText(toServer: true) + r.rawText(toServer: false)).joined(separator: "|")
    #expect(occurrences(of: "EVIL", in: all) == 1, "\(all)")
}

@Test(.needsSharedCorpus) func resetPayloadIsNotStreamData() throws {
    // bug-6244-tcp-rst-with-data: `flow:only_stream; content:"Access Denied"` must not match.
    let r = try PcapReplay(verifyCase("bug-6244-tcp-rst-with-data", "tcp-rst-with-data.pcap"))
    let all = (r.rawText(toServer: true) + r.rawText(toServer: false)).joined()
    #expect(!all.contains("Access Denied"))
    #expect(all.contains("Please Let Me In!"))
}

func occurrences(of needle: String, in haystack: String) -> Int {
    let h = Array(haystack.utf8)
    let n = Array(needle.utf8)
    guard !n.isEmpty, h.count >= n.count else { return 0 }
    var count = 0
    for i in 0...(h.count - n.count) where Array(h[i..<(i + n.count)]) == n { count += 1 }
    return count
}
