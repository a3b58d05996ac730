// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirRuntime

/// `file-store` version 2 end to end: files stored under their SHA-256 with the bytes the body carried, the
/// `fileinfo` sidecar beside each, `stored`/`file_id` in EVE, the same content stored once, and the counters.
@Suite struct FileStoreTests {
    static let config = """
        %YAML 1.1
        ---
        outputs:
          - eve-log:
              enabled: yes
              filename: eve.json
              types:
                - files
                - stats
          - file-store:
              version: 2
              enabled: yes
              force-filestore: yes
              write-fileinfo: yes

        """

    /// Two downloads of `body` and one of `other` on one connection, replayed with `config`; returns the
    /// log directory (the caller removes its parent).
    func replay(_ config: String, body: String, other: String, _ tag: String) throws -> String {
        var c = TCPConversation()
        c.handshake()
        for (path, content) in [("/a", body), ("/b", body), ("/c", other)] {
            c.send(toServer: true, "GET \(path) HTTP/1.1\r\nHost: files\r\n\r\n")
            c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: \(content.utf8.count)\r\n\r\n\(content)")
        }
        c.close()
        let dir = try makeTemporaryDirectory("weir-filestore-\(tag)")
        try c.write(to: dir + "/in.pcap")
        try writeText(config, dir + "/weir.yaml")
        var options = RunOptions()
        options.configPath = dir + "/weir.yaml"
        options.readPaths = [dir + "/in.pcap"]
        options.logDirectory = dir + "/log"
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        #expect(validateEVE([dir + "/log/eve.json"]).status == 0)
        return dir + "/log"
    }

    @Test func storedFilesAreNamedByTheirSHA256WithTheirRecordBeside() throws {
        let body = "first file\n"
        let other = "second one\n"
        let log = try self.replay(Self.config, body: body, other: other, "stored")
        defer { try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent) }
        let records = try eveRecords(log + "/eve.json")
        let infos = records.compactMap { $0["fileinfo"] as? [String: Any] }
        #expect(infos.count == 3)
        // Every file is stored, with ids in the order the files opened; the two equal bodies share a digest.
        #expect(infos.map { $0["stored"] as? Bool } == [true, true, true])
        #expect(infos.map { $0["file_id"] as? Int } == [1, 2, 3])
        let digests = infos.compactMap { $0["sha256"] as? String }
        #expect(digests.count == 3 && digests[0] == digests[1] && digests[0] != digests[2])
        #expect(digests[0] == "7ca46ed8705ae80e983715aa2d60e4c49c87465c9d9467cafddf02bfadf6fc77")
        // The store holds each content once, under <first two hex digits>/<digest>, byte for byte.
        for (digest, content) in [(digests[0], body), (digests[2], other)] {
            let path = log + "/filestore/" + digest.prefix(2) + "/" + digest
            #expect(try String(contentsOfFile: path, encoding: .utf8) == content)
        }
        let leaf = try FileManager.default.contentsOfDirectory(atPath: log + "/filestore/" + digests[0].prefix(2))
        #expect(leaf.filter { !$0.hasSuffix(".json") } == [digests[0]] || digests[0].prefix(2) == digests[2].prefix(2))
        #expect(try FileManager.default.contentsOfDirectory(atPath: log + "/filestore/tmp").isEmpty)
        // One sidecar per stored file: <digest>.<seconds>.<file id>.json, a fileinfo record that says stored.
        let sidecars = leaf.filter { $0.hasPrefix(digests[0]) && $0.hasSuffix(".json") }.sorted()
        #expect(sidecars.count == 2 && sidecars.allSatisfy { $0.hasSuffix(".1.json") || $0.hasSuffix(".2.json") })
        let sidecar = try #require(sidecars.first)
        let sidecarPath = log + "/filestore/" + digests[0].prefix(2) + "/" + sidecar
        #expect(validateEVE([sidecarPath]).status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: sidecarPath))
        let record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(record["event_type"] as? String == "fileinfo" && record["app_proto"] as? String == "http")
        let info = try #require(record["fileinfo"] as? [String: Any])
        #expect(info["stored"] as? Bool == true && info["sha256"] as? String == digests[0])
        // The store's counters are in the stats record.
        let stats = try #require(records.last { $0["event_type"] as? String == "stats" }?["stats"] as? [String: Any])
        #expect((stats["file_store"] as? [String: Any])?["fs_errors"] as? Int == 0)
    }

    @Test func withoutForceFilestoreNothingIsStoredAndFilesSaySo() throws {
        let config = Self.config.replacingOccurrences(of: "      force-filestore: yes\n", with: "")
        #expect(config != Self.config)
        let log = try self.replay(config, body: "x\n", other: "y\n", "unforced")
        defer { try? FileManager.default.removeItem(atPath: (log as NSString).deletingLastPathComponent) }
        let infos = try eveRecords(log + "/eve.json").compactMap { $0["fileinfo"] as? [String: Any] }
        #expect(infos.count == 3 && infos.allSatisfy { $0["stored"] as? Bool == false && $0["file_id"] == nil })
        // SHA-256 is still forced by the store (as Suricata's file-store forces it).
        #expect(infos.allSatisfy { ($0["sha256"] as? String)?.count == 64 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: log + "/filestore/tmp").isEmpty)
    }
}
