// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirDecode

/// The suricata-verify captures shipped in `<repo>/../shared/conformance/suricata-verify` (or `$WEIR_SHARED`).
enum SuricataVerify {
    static var directory: URL {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let shared =
            ProcessInfo.processInfo.environment["WEIR_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? repository.appendingPathComponent("../shared")
        return shared.appendingPathComponent("conformance/suricata-verify")
    }

    static func pcaps() throws -> [URL] {
        let manager = FileManager.default
        var out: [URL] = []
        for test in try manager.contentsOfDirectory(atPath: self.directory.path).sorted() {
            let folder = self.directory.appendingPathComponent(test)
            guard let files = try? manager.contentsOfDirectory(atPath: folder.path) else { continue }
            for file in files.sorted() where file.hasSuffix(".pcap") { out.append(folder.appendingPathComponent(file)) }
        }
        return out
    }
}

@Test(.needsSharedCorpus) func everySuricataVerifyCaptureDecodesWithoutInvalidPackets() throws {
    let pcaps = try SuricataVerify.pcaps()
    #expect(pcaps.count >= 100)
    var total = DecodeStatistics()
    for url in pcaps {
        let (_, statistics) = try PcapCorpus.decodeAll(url: url)
        #expect(statistics.invalid == 0, "\(url.deletingLastPathComponent().lastPathComponent)")
        total.merge(statistics)
    }
    // These captures are well-formed traffic: the only events Suricata itself would raise on them are the
    // padding warning for 4-byte IPv4 options and unknown destination options (detect-ttl-ipv6).
    for event in DecodeEvent.allCases where total.count(of: event) > 0 {
        #expect([DecodeEvent.ipv4OptPadRequired, .ipv6DstoptsUnknownOpt].contains(event), "\(event.name)")
    }
    #expect(total.ipv4 + total.ipv6 + 10 >= total.packets)
}

@Test(.needsSharedCorpus) func detectIpoptsCaptureSetsTheOptionsSuricataMatches() throws {
    // suricata-verify detect-ipopts expects, per pcap_cnt: 1 rr, 2 lsrr, 4 nop, 5 ts, 6 sec, 7 ssrr, 8 satid,
    // and eol on six packets.
    let url = SuricataVerify.directory.appendingPathComponent("detect-ipopts/input.pcap")
    let (packets, _) = try PcapCorpus.decodeAll(url: url)
    try #require(packets.count == 8)
    let expected: [(Int, IPv4Option)] = [
        (1, .recordRoute), (2, .looseSourceRoute), (4, .noOperation), (5, .timestamp), (6, .security),
        (7, .strictSourceRoute), (8, .streamID),
    ]
    for (number, option) in expected {
        #expect(packets[number - 1].ipv4Options & option.bit != 0, "pcap_cnt \(number): \(option)")
    }
    #expect(packets.filter { $0.ipv4Options & IPv4Option.endOfList.bit != 0 }.count == 6)
    #expect(packets.allSatisfy { !$0.isInvalid && $0.isTCP })
}
