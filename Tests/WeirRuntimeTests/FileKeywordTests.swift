// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirDetect
import WeirTestSupport

@testable import WeirRuntime

/// The file keywords on HTTP files (the response bodies), replayed through the whole pipeline: which
/// transaction (EVE `tx_id`) each rule alerts on.
@Suite struct FileKeywordTests {
    /// Four keep-alive transactions: tx 0 downloads `/docs/report.PDF` (9 bytes), tx 1 `/img/a.jpg` sent as
    /// attachment `Invoice.EXE` (100 bytes), tx 2 has an empty body (no file), tx 3 `/data/log.txt` (2,000 bytes).
    static func conversation() -> TCPConversation {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /docs/report.PDF HTTP/1.1\r\nHost: files\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello pdf")
        c.send(toServer: true, "GET /img/a.jpg HTTP/1.1\r\nHost: files\r\n\r\n")
        c.send(
            toServer: false,
            "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"Invoice.EXE\"\r\n"
                + "Content-Length: 100\r\n\r\n" + String(repeating: "M", count: 100))
        c.send(toServer: true, "GET /empty HTTP/1.1\r\nHost: files\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        c.send(toServer: true, "GET /data/log.txt HTTP/1.1\r\nHost: files\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n")
        for _ in 0..<4 { c.send(toServer: false, String(repeating: "L", count: 500)) }
        c.close()
        return c
    }

    /// Replays the conversation with `rules` (and `files`, written next to the rule file) and returns the
    /// `tx_id`s each sid alerted on, in order, plus the `fileinfo` records.
    static func alerts(_ rules: String, files: [String: String] = [:]) throws -> (
        alerts: [Int: [Int]], fileinfo: [[String: Any]]
    ) {
        let dir = try makeTemporaryDirectory("weir-filekw")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.conversation().write(to: dir + "/in.pcap")
        try rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        var options = RunOptions()
        options.readPaths = [dir + "/in.pcap"]
        options.exclusiveRuleFiles = [dir + "/test.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        var out: [Int: [Int]] = [:]
        var fileinfo: [[String: Any]] = []
        for line in try String(contentsOfFile: dir + "/eve.json", encoding: .utf8).split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if record?["event_type"] as? String == "fileinfo", let info = record?["fileinfo"] as? [String: Any] {
                fileinfo.append(info)
            }
            guard let alert = record?["alert"] as? [String: Any], let sid = alert["signature_id"] as? Int else {
                continue
            }
            out[sid, default: []].append(record?["tx_id"] as? Int ?? -1)
        }
        return (out, fileinfo)
    }

    @Test func fileNameBufferAndFilenameFileext() throws {
        let rules = """
            alert http any any -> any any (msg:"name"; file.name; content:"report"; sid:1;)
            alert http any any -> any any (msg:"ext any case"; fileext:"pdf"; sid:2;)
            alert http any any -> any any (msg:"not pdf"; fileext:!"pdf"; sid:3;)
            alert http any any -> any any (msg:"disposition name"; filename:"invoice.exe"; sid:4;)
            alert http any any -> any any (msg:"uri path loses to disposition"; filename:"/img/a.jpg"; sid:5;)
            alert http any any -> any any (msg:"ext needs its dot"; fileext:"df"; sid:6;)
            alert tcp any any -> any any (msg:"tcp rule"; filename:"log.TXT"; sid:7;)
            alert http any any -> any any (msg:"name is case-sensitive in the buffer"; file.name; content:"REPORT"; sid:8;)
            alert http any any -> any any (msg:"name and data"; filename:"report"; file.data; content:"hello"; sid:9;)
            alert http any any -> any any (msg:"name and other data"; filename:"report"; file.data; content:"MMM"; sid:10;)
            """
        let (alerts, _) = try Self.alerts(rules)
        #expect(alerts[1] == [0], "\(alerts)")
        #expect(alerts[2] == [0], "\(alerts)")
        // Files 1 and 3 are not PDFs; tx 2 has no file, so no name to compare.
        #expect(alerts[3] == [1, 3], "\(alerts)")
        #expect(alerts[4] == [1], "\(alerts)")
        #expect(alerts[5] == nil, "\(alerts)")
        #expect(alerts[6] == nil, "\(alerts)")
        #expect(alerts[7] == [3], "\(alerts)")
        #expect(alerts[8] == nil, "\(alerts)")
        #expect(alerts[9] == [0], "\(alerts)")
        #expect(alerts[10] == nil, "\(alerts)")
    }

    @Test func filesizeComparesTheClosedFile() throws {
        let rules = """
            alert http any any -> any any (msg:"exact"; filesize:100; sid:1;)
            alert http any any -> any any (msg:"small"; filesize:<50; sid:2;)
            alert http any any -> any any (msg:"large"; filesize:>1000; sid:3;)
            alert http any any -> any any (msg:"range"; filesize:10<>2000; sid:4;)
            alert http any any -> any any (msg:"not 9"; filesize:!9; sid:5;)
            alert http any any -> any any (msg:"with name"; filesize:>1; fileext:"txt"; sid:6;)
            alert ip any any -> any any (msg:"ip rule, file conditions only"; filesize:100; sid:7;)
            """
        let (alerts, _) = try Self.alerts(rules)
        #expect(alerts[1] == [1], "\(alerts)")
        // tx 2 has no file at all, so even `<50` does not hold for it.
        #expect(alerts[2] == [0], "\(alerts)")
        #expect(alerts[3] == [3], "\(alerts)")
        // Suricata's ranges exclude both ends.
        #expect(alerts[4] == [1], "\(alerts)")
        #expect(alerts[5] == [1, 3], "\(alerts)")
        #expect(alerts[6] == [3], "\(alerts)")
        // Not an IP-only rule (those see a flow's first packet only): the file is inspected with the response.
        #expect(alerts[7] == [1], "\(alerts)")
    }

    @Test func hashListsMatchFinalDigests() throws {
        let md5List = """
            # a comment line, skipped
            F6AED9F53357AB04E365671C7EB8DBEA  report.pdf
            d896ff0cddb0be5bc177e5bacef2df13
            """
        let sha1List = "9e9de989e72eaabba0a103767a0de3def6973204\n"
        let sha256List = "45c3570b31654e84767212769aac9888d215cb1ffbc370726c327c27a7b79330\n"
        let rules = """
            alert http any any -> any any (msg:"md5 in list"; filemd5:md5.list; sid:1;)
            alert http any any -> any any (msg:"md5 not in list"; filemd5:!md5.list; sid:2;)
            alert http any any -> any any (msg:"sha1"; filesha1:sha1.list; sid:3;)
            alert http any any -> any any (msg:"sha256"; filesha256:sha256.list; sid:4;)
            alert http any any -> any any (msg:"sha256 and name"; filesha256:sha256.list; filename:"report"; sid:5;)
            """
        let (alerts, fileinfo) = try Self.alerts(
            rules, files: ["md5.list": md5List, "sha1.list": sha1List, "sha256.list": sha256List])
        #expect(alerts[1] == [0, 3], "\(alerts)")
        #expect(alerts[2] == [1], "\(alerts)")
        #expect(alerts[3] == [1], "\(alerts)")
        #expect(alerts[4] == [3], "\(alerts)")
        #expect(alerts[5] == nil, "\(alerts)")
        // The rules switched hashing on: fileinfo carries the digests they compare.
        #expect(fileinfo.count == 3, "\(fileinfo)")
        #expect(fileinfo.first?["md5"] as? String == "f6aed9f53357ab04e365671c7eb8dbea", "\(fileinfo)")
    }

    @Test func hashListProblemsAreReported() throws {
        let dir = try makeTemporaryDirectory("weir-hashlist")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "f6aed9f53357ab04e365671c7eb8dbea\nabc123\n".write(
            toFile: dir + "/short.list", atomically: true, encoding: .utf8)
        let rules = """
            alert http any any -> any any (msg:"missing"; filemd5:nope.list; sid:1;)
            alert http any any -> any any (msg:"bad line"; filemd5:short.list; sid:2;)
            """
        var loader = RuleFileLoader()
        loader.defaultRulePath = dir + "/elsewhere"
        try rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        let set = loader.load(paths: [dir + "/test.rules"])
        // A list that cannot be read skips the rule, located at the keyword's value.
        #expect(set.errors.count == 1 && set.errors.first?.line == 1, "\(set.errors)")
        #expect(set.errors.first?.column == 55 && set.errors.first?.keyword == "filemd5", "\(set.errors)")
        // A bad line is reported (list file and line) and skipped; the rule loads with the good digest.
        #expect(set.rules.map(\.rule.sid) == [2])
        #expect(set.warnings.count == 1 && set.warnings.first?.line == 2, "\(set.warnings)")
        #expect(set.warnings.first?.reason.contains("short.list:2") == true, "\(set.warnings)")
        guard case .fileHash(let match)? = set.rules.first?.rule.options.first else {
            Issue.record("no filemd5 option")
            return
        }
        #expect(match.hashes == ["f6aed9f53357ab04e365671c7eb8dbea"])
    }
}
