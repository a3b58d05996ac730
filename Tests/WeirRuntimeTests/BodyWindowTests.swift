// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirRuntime

/// HTTP bodies are inspected in windows as they arrive (Suricata's minimal inspect size and inspect window),
/// not once at their end: a rule on a large download alerts while it is still coming in.
@Suite struct BodyWindowTests {
    /// A 100 KB response body in 1,000-byte segments (frames 8, 10, 12 … carry segment 0, 1, 2 …), with
    /// `EARLY` at byte 100, `QQ` at byte 50,000 and `MARKER` at byte 60,000.
    static func download() -> TCPConversation {
        var body = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
        for (text, at) in [("EARLY", 100), ("QQ", 50_000), ("MARKER", 60_000)] {
            body.replaceSubrange(at..<at + text.utf8.count, with: Array(text.utf8))
        }
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /big.bin HTTP/1.1\r\nHost: files\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n")
        for start in stride(from: 0, to: body.count, by: 1000) {
            c.send(toServer: false, String(decoding: body[start..<start + 1000], as: UTF8.self))
        }
        c.close()
        return c
    }

    static let rules = """
        alert http any any -> any any (msg:"early"; flow:to_client; file.data; content:"EARLY"; sid:1;)
        alert http any any -> any any (msg:"marker"; flow:to_client; file.data; content:"MARKER"; sid:2;)
        alert http any any -> any any (msg:"xQQ within 50002"; flow:to_client; file.data; content:"xQQ"; depth:50002; sid:3;)
        alert http any any -> any any (msg:"QQ at 0"; flow:to_client; file.data; content:"QQ"; depth:2; sid:4;)
        alert http any any -> any any (msg:"xQQ within 50001"; flow:to_client; file.data; content:"xQQ"; depth:50001; sid:5;)
        """

    /// The `pcap_cnt` of each alert, by sid.
    static func alertPackets() throws -> [Int: [Int]] {
        let dir = try makeTemporaryDirectory("weir-window")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.download().write(to: dir + "/in.pcap")
        try Self.rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.readPaths = [dir + "/in.pcap"]
        options.exclusiveRuleFiles = [dir + "/test.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        var out: [Int: [Int]] = [:]
        for line in try String(contentsOfFile: dir + "/eve.json", encoding: .utf8).split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let alert = record?["alert"] as? [String: Any], let sid = alert["signature_id"] as? Int,
                let packet = record?["pcap_cnt"] as? Int
            else { continue }
            out[sid, default: []].append(packet)
        }
        return out
    }

    @Test func largeBodyIsInspectedAsItArrives() throws {
        let alerts = try Self.alertPackets()
        // Nothing before the body holds the 40 KiB minimal inspect size: segment 40 (frame 88) crosses it, and
        // the stream hands it over once the client acknowledged it (by the next frames).
        let early = try #require(alerts[1]?.first, "\(alerts)")
        #expect(alerts[1]?.count == 1 && (88...91).contains(early), "\(alerts)")
        // MARKER is in segment 60 (frame 128): its window is inspected then, not at the body's end (frame 206).
        let marker = try #require(alerts[2]?.first, "\(alerts)")
        #expect(alerts[2]?.count == 1 && (128...131).contains(marker), "\(alerts)")
        // An absolute depth counts from the body's start in every window (Suricata's inspect offset): "xQQ"
        // ends at byte 50,002.
        #expect(alerts[3]?.count == 1, "\(alerts)")
        #expect(alerts[5] == nil, "\(alerts)")
        #expect(alerts[4] == nil, "\(alerts)")
    }
}
