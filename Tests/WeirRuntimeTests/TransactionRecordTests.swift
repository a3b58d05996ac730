// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirRuntime

/// Replays `frames` (or a TCP conversation's) with `config` in a fresh directory and returns its EVE records,
/// checked against Suricata's schema.
func replayRecords(
    _ tag: String, frames: [[UInt8]]? = nil, conversation: TCPConversation? = nil, config: String? = nil,
    rules: String? = nil
) throws -> [[String: Any]] {
    let dir = try makeTemporaryDirectory("weir-\(tag)")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    if let frames { try Data(pcapFile(frames: frames)).write(to: URL(fileURLWithPath: dir + "/in.pcap")) }
    if let conversation { try conversation.write(to: dir + "/in.pcap") }
    var options = RunOptions()
    if let config {
        try writeText(config, dir + "/weir.yaml")
        options.configPath = dir + "/weir.yaml"
    }
    if let rules {
        try writeText(rules, dir + "/test.rules")
        options.exclusiveRuleFiles = [dir + "/test.rules"]
    }
    options.readPaths = [dir + "/in.pcap"]
    options.logDirectory = dir + "/log"
    options.checksumChecks = "none"
    options.showProgress = false
    options.quiet = true
    #expect(Replay.run(options) == 0)
    #expect(validateEVE([dir + "/log/eve.json"]).status == 0)
    return try eveRecords(dir + "/log/eve.json")
}

/// EVE `dns` records end to end as Suricata 8 writes them: the direction of each message, `grouped` answers,
/// the `requests`/`responses`/`types`/`formats`/`version` settings, a UDP flow that begins with the answer, and
/// `anomaly` records for the parser's transaction events.
@Suite struct DNSRecordTests {
    static let client: [UInt8] = [10, 0, 0, 1]
    static let server: [UInt8] = [10, 0, 0, 2]

    /// An Ethernet/IPv4/UDP frame client:40000 → server:53, or the reverse (`reply`).
    static func frame(_ payload: [UInt8], reply: Bool = false) -> [UInt8] {
        let total = 20 + 8 + payload.count
        var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0, 0, 64, 17, 0, 0]
        frame += reply ? Self.server + Self.client : Self.client + Self.server
        let (sport, dport): (UInt16, UInt16) = reply ? (53, 40000) : (40000, 53)
        let length = 8 + payload.count
        frame += [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff)]
        frame += [UInt8(length >> 8), UInt8(length & 0xff), 0, 0]
        return frame + payload
    }

    /// A query for `www.example.com` (type `type`, opcode `opcode`).
    static func query(id: UInt8 = 7, type: UInt8 = 1, opcode: UInt8 = 0) -> [UInt8] {
        [0, id, opcode << 3 | 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + Self.name + [0, type, 0, 1]
    }

    /// The answer to ``query(id:type:opcode:)``: a CNAME and two A records.
    static func response(id: UInt8 = 7) -> [UInt8] {
        var message: [UInt8] = [0, id, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0] + Self.name + [0, 1, 0, 1]
        message += [0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3] + Array("cdn".utf8) + [0xc0, 16]
        message += [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]
        message += [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 2]
        return message
    }

    static let name: [UInt8] = [3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]

    func replay(
        _ frames: [[UInt8]], dns: String = "- dns", extra: String = "", _ tag: String
    ) throws -> [[String: Any]] {
        try replayRecords(
            "dns-\(tag)", frames: frames,
            config: """
                %YAML 1.1
                ---
                \(extra)
                outputs:
                  - eve-log:
                      enabled: yes
                      filename: eve.json
                      types:
                        \(dns)
                        - anomaly:
                            enabled: yes
                            types:
                              applayer: yes
                        - flow

                """)
    }

    static func of(_ records: [[String: Any]], _ type: String) -> [[String: Any]] {
        records.filter { $0["event_type"] as? String == type }
    }

    @Test func responsesComeFromTheServerWithGroupedAnswers() throws {
        let records = try self.replay([Self.frame(Self.query()), Self.frame(Self.response(), reply: true)], "dir")
        let dns = Self.of(records, "dns")
        #expect(dns.map { $0["src_ip"] as? String } == ["10.0.0.1", "10.0.0.2"])
        #expect(dns.map { $0["dest_port"] as? Int } == [53, 40000])
        // Suricata's DNS logger writes no transaction id in the header.
        #expect(dns.allSatisfy { $0["tx_id"] == nil })
        let answer = try #require(dns.last?["dns"] as? [String: Any])
        let grouped = try #require(answer["grouped"] as? [String: [String]])
        #expect(grouped == ["CNAME": ["cdn.example.com"], "A": ["192.0.2.1", "192.0.2.2"]])
        let flow = try #require(Self.of(records, "flow").first)
        #expect(flow["src_ip"] as? String == "10.0.0.1" && flow["app_proto"] as? String == "dns")
    }

    @Test func aFlowThatBeginsWithTheAnswerIsTurnedRoundUnderMidstream() throws {
        let frames = [Self.frame(Self.response(), reply: true)]
        let records = try self.replay(frames, extra: "stream:\n  midstream: true", "swap")
        let flow = try #require(Self.of(records, "flow").first)
        // The client is the side that asked, although its address is the packet's destination.
        #expect(flow["src_ip"] as? String == "10.0.0.1" && flow["src_port"] as? Int == 40000)
        let counters = try #require(flow["flow"] as? [String: Any])
        #expect(counters["pkts_toserver"] as? Int == 0 && counters["pkts_toclient"] as? Int == 1)
        #expect(flow["app_proto"] as? String == "dns")
        let dns = Self.of(records, "dns")
        #expect(dns.count == 1 && dns.first?["src_ip"] as? String == "10.0.0.2")
        #expect((dns.first?["dns"] as? [String: Any])?["type"] as? String == "response")

        // Without midstream no probe is registered for the flow's server port (40000): detection fails.
        let plain = try self.replay(frames, "noswap")
        #expect(Self.of(plain, "dns").isEmpty)
        #expect(Self.of(plain, "flow").first?["app_proto"] as? String == "failed")
        #expect(Self.of(plain, "flow").first?["src_ip"] as? String == "10.0.0.2")
    }

    /// DNS over TCP picked up at its answer (midstream): the probe reads the QR bit after the length prefix,
    /// so the answer is the server's and the flow turns round, as Suricata's reverse_flow does.
    @Test func aTCPStreamThatBeginsWithTheAnswerIsTurnedRound() throws {
        let answer = Self.response()
        let message = [UInt8(answer.count >> 8), UInt8(answer.count & 0xff)] + answer
        let frames = [
            TCPConversation.frame(toServer: false, flags: 0x18, seq: 5000, ack: 1000, payload: message, serverPort: 53),
            TCPConversation.frame(
                toServer: true, flags: 0x10, seq: 1000, ack: 5000 &+ UInt32(message.count), payload: [],
                serverPort: 53),
        ]
        let records = try self.replay(frames, extra: "stream:\n  midstream: true", "tcp-swap")
        let flow = try #require(Self.of(records, "flow").first)
        #expect(flow["src_ip"] as? String == "10.0.0.1" && flow["dest_port"] as? Int == 53, "\(flow)")
        #expect(flow["app_proto"] as? String == "dns")
        let dns = Self.of(records, "dns")
        #expect(dns.count == 1 && dns.first?["src_ip"] as? String == "10.0.0.2")
        #expect((dns.first?["dns"] as? [String: Any])?["type"] as? String == "response")
        #expect(Self.of(records, "anomaly").isEmpty, "\(records)")
    }

    @Test func udpFlowsNothingRecognisesAreFailed() throws {
        var frame = udpFrame(sourcePort: 40001, payload: Array("not dns at all".utf8))
        // To port 123, where no probe is registered.
        frame[14 + 20 + 3] = 123
        let records = try self.replay([frame], "failed")
        #expect(Self.of(records, "flow").first?["app_proto"] as? String == "failed")
    }

    @Test func versionTwoQueryAndAnswerRecordsInTheFlowDirection() throws {
        let records = try self.replay(
            [Self.frame(Self.query()), Self.frame(Self.response(), reply: true)], dns: "- dns:\n            version: 2",
            "v2")
        let dns = Self.of(records, "dns")
        let objects = dns.compactMap { $0["dns"] as? [String: Any] }
        #expect(objects.map { $0["type"] as? String } == ["query", "answer"])
        #expect(objects.allSatisfy { $0["version"] as? Int == 2 })
        #expect(dns.allSatisfy { $0["src_ip"] as? String == "10.0.0.1" })
        #expect(objects.last?["rrname"] as? String == "www.example.com")
    }

    @Test func typesAndRequestsSettingsFilterRecords() throws {
        let frames = [
            Self.frame(Self.query(id: 1, type: 1)), Self.frame(Self.response(id: 1), reply: true),
            Self.frame(Self.query(id: 2, type: 15)),
        ]
        let mx = try self.replay(frames, dns: "- dns:\n            types: [mx]", "mx")
        #expect(Self.of(mx, "dns").count == 1)
        #expect(((Self.of(mx, "dns").first?["dns"] as? [String: Any])?["id"] as? Int) == 2)
        let noRequests = try self.replay(frames, dns: "- dns:\n            requests: no", "noreq")
        let types = Self.of(noRequests, "dns").compactMap { ($0["dns"] as? [String: Any])?["type"] as? String }
        #expect(types == ["response"])
    }

    @Test func badDNSSettingsStopStartUp() throws {
        let dir = try makeTemporaryDirectory("weir-dns-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(pcapFile(frames: [Self.frame(Self.query())])).write(to: URL(fileURLWithPath: dir + "/in.pcap"))
        let settings = [("types: [aaaa, bogus]", "types"), ("formats: [tabular]", "formats"), ("version: 4", "version")]
        for (setting, key) in settings {
            try writeText(
                "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      types:\n        - dns:\n            \(setting)\n",
                dir + "/weir.yaml")
            var options = RunOptions()
            options.readPaths = [dir + "/in.pcap"]
            options.configPath = dir + "/weir.yaml"
            options.logDirectory = dir
            options.showProgress = false
            options.quiet = true
            let messages = MessageLog()
            options.messages = { messages.append($0) }
            #expect(Replay.run(options) != 0, "\(setting)")
            #expect(messages.text.contains("dns.\(key)"), "\(messages.text)")
        }
    }

    @Test func transactionEventsBecomeAnomalyRecords() throws {
        // Opcode 9 is not a DNS opcode: the query's transaction carries `invalid_opcode`.
        let records = try self.replay([Self.frame(Self.query(opcode: 9))], "anomaly")
        let anomaly = try #require(Self.of(records, "anomaly").first)
        #expect(anomaly["tx_id"] as? Int == 0)
        let body = try #require(anomaly["anomaly"] as? [String: Any])
        #expect(body["app_proto"] as? String == "dns" && body["event"] as? String == "invalid_opcode")
        #expect(body["layer"] as? String == "proto_parser" && body["type"] as? String == "applayer")
        #expect(Self.of(records, "anomaly").count == 1)
    }
}

/// The direction and header of HTTP transaction records as Suricata writes them: a download's `fileinfo` goes
/// from the server to the client, `http` records keep their `tx_id`, and the parser's transaction events
/// become `anomaly` records (libhtp 0.5's complaint about `identity` and `none` codings is not one: Suricata 8's
/// parser takes them as "no coding").
@Suite struct HTTPRecordDirectionTests {
    func replay(contentEncoding: String, _ tag: String) throws -> [[String: Any]] {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /report.txt HTTP/1.1\r\nHost: files\r\n\r\n")
        let response = "HTTP/1.1 200 OK\r\nContent-Encoding: \(contentEncoding)\r\nContent-Length: 5\r\n\r\nhello"
        c.send(toServer: false, response)
        c.close()
        return try replayRecords(
            "httpdir-\(tag)", conversation: c,
            config: """
                %YAML 1.1
                ---
                outputs:
                  - eve-log:
                      enabled: yes
                      filename: eve.json
                      types:
                        - http
                        - files
                        - anomaly:
                            types:
                              applayer: yes

                """)
    }

    @Test func downloadsAreLoggedFromTheServer() throws {
        let records = try self.replay(contentEncoding: "identity", "identity")
        let file = try #require(DNSRecordTests.of(records, "fileinfo").first)
        #expect(file["src_ip"] as? String == "10.0.0.2" && file["src_port"] as? Int == 80)
        #expect(file["dest_ip"] as? String == "10.0.0.1")
        let http = try #require(DNSRecordTests.of(records, "http").first)
        #expect(http["src_ip"] as? String == "10.0.0.1" && http["tx_id"] as? Int == 0)
        #expect(DNSRecordTests.of(records, "anomaly").isEmpty, "\(records)")
    }

    func files(_ request: String, _ tag: String) throws -> [[String: Any]] {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, request)
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.close()
        let config =
            "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      types:\n        - files:\n            force-hash: [md5]\n"
        return DNSRecordTests.of(try replayRecords("upload-\(tag)", conversation: c, config: config), "fileinfo")
    }

    @Test func uploadsAreFilesNamedAfterTheURIPath() throws {
        // A POST body that is not multipart, and a PUT body: each an upload, logged from the client.
        for method in ["POST", "PUT"] {
            let files = try self.files(
                "\(method) /cgi-bin/up.cgi?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", method)
            let upload = try #require(files.first)
            let info = try #require(upload["fileinfo"] as? [String: Any])
            #expect(info["filename"] as? String == "/cgi-bin/up.cgi")
            #expect(info["size"] as? Int == 5 && info["state"] as? String == "CLOSED")
            #expect(info["md5"] as? String == "5d41402abc4b2a76b9719d911017c592")
            #expect(upload["src_ip"] as? String == "10.0.0.1")
            // Then the response body, from the server.
            #expect(files.count == 2 && files.last?["src_ip"] as? String == "10.0.0.2")
        }
        // multipart/form-data is not one file (Suricata splits it into its parts); a GET has no upload.
        let multipart = try self.files(
            "POST /f HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                + "Content-Length: 5\r\n\r\nhello", "multipart")
        #expect(multipart.count == 1 && multipart.first?["src_ip"] as? String == "10.0.0.2")
    }

    /// A capture that begins mid-connection with the server's answer, then a request and its answer. Under
    /// `stream.midstream` the first packet's sender is taken as the client until protocol detection finds the
    /// answer: then the flow, its TCP session and the app layer turn round (Suricata's `FlowSwap`), so the
    /// records name the real client and server, and the counters go to the right side.
    @Test func aMidstreamCaptureThatBeginsWithTheAnswerIsTurnedRound() throws {
        let first = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        let request = Array("GET /b HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        let answer = Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8)
        let c: UInt32 = 1000
        let s: UInt32 = 5000
        let sAfter = s &+ UInt32(first.count)
        let cAfter = c &+ UInt32(request.count)
        let frames = [
            TCPConversation.frame(toServer: false, flags: 0x18, seq: s, ack: c, payload: first),
            TCPConversation.frame(toServer: true, flags: 0x10, seq: c, ack: sAfter, payload: []),
            TCPConversation.frame(toServer: true, flags: 0x18, seq: c, ack: sAfter, payload: request),
            TCPConversation.frame(toServer: false, flags: 0x18, seq: sAfter, ack: cAfter, payload: answer),
            TCPConversation.frame(
                toServer: true, flags: 0x10, seq: cAfter, ack: sAfter &+ UInt32(answer.count), payload: []),
        ]
        let config = """
            %YAML 1.1
            ---
            stream:
              midstream: true
            outputs:
              - eve-log:
                  enabled: yes
                  filename: eve.json
                  types:
                    - http
                    - flow

            """
        let records = try replayRecords("turn-round", frames: frames, config: config)
        let flow = try #require(DNSRecordTests.of(records, "flow").first)
        #expect(flow["src_ip"] as? String == "10.0.0.1" && flow["dest_port"] as? Int == 80, "\(flow)")
        #expect(flow["app_proto"] as? String == "http")
        let counters = try #require(flow["flow"] as? [String: Any])
        #expect(counters["pkts_toserver"] as? Int == 3 && counters["pkts_toclient"] as? Int == 2)
        #expect(counters["bytes_toclient"] as? Int == 2 * 54 + first.count + answer.count)
        // Suricata 8's stream facts: two transactions, no gap, one region each way.
        #expect(counters["tx_cnt"] as? Int == 2)
        let tcp = try #require(flow["tcp"] as? [String: Any])
        #expect(tcp["ts_max_regions"] as? Int == 1 && tcp["tc_max_regions"] as? Int == 1 && tcp["ts_gap"] == nil)
        let http = DNSRecordTests.of(records, "http")
        let get = try #require(http.first { ($0["http"] as? [String: Any])?["url"] as? String == "/b" })
        #expect(get["src_ip"] as? String == "10.0.0.1" && get["dest_port"] as? Int == 80)
        #expect((get["http"] as? [String: Any])?["status"] as? Int == 404)

        // Without midstream the session is never picked up and nothing is parsed.
        let plain = try replayRecords("no-turn-round", frames: frames, config: config.replacingOccurrences(
            of: "midstream: true", with: "midstream: false"))
        #expect(DNSRecordTests.of(plain, "http").isEmpty)
    }

    /// A status that is not a number is logged as sent, in `status_string` (Suricata 8), not dropped.
    @Test func aStatusThatIsNotANumberIsLoggedAsAString() throws {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /s HTTP/1.1\r\nHost: a\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 2XX OK\r\nContent-Length: 0\r\n\r\n")
        c.close()
        let config = "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      types:\n        - http\n"
        let records = try replayRecords("status-string", conversation: c, config: config)
        let http = try #require(DNSRecordTests.of(records, "http").first?["http"] as? [String: Any])
        #expect(http["status_string"] as? String == "2XX" && http["status"] == nil, "\(http)")
    }

    /// An alert on a transaction of a TCP flow shows the stream as its payload (Suricata's AlertJsonStreamData:
    /// what is kept of the packet direction's stream up to the ACK), not the ACK packet's empty payload; and
    /// `payload`, `payload-printable` and `payload-length` each work on their own.
    @Test func aTransactionAlertLogsTheStreamAsItsPayload() throws {
        var c = TCPConversation()
        c.handshake()
        let request = "GET /p HTTP/1.1\r\nHost: a\r\n\r\n"
        c.send(toServer: true, request)
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.close()
        let config = """
            %YAML 1.1
            ---
            outputs:
              - eve-log:
                  types:
                    - alert:
                        payload-printable: yes
                        payload-length: yes

            """
        let records = try replayRecords(
            "tx-payload", conversation: c, config: config,
            rules: "alert http any any -> any any (msg:\"get\"; http.method; content:\"GET\"; sid:1;)\n")
        let alert = try #require(DNSRecordTests.of(records, "alert").first)
        #expect(alert["payload_printable"] as? String == request, "\(alert)")
        #expect(alert["payload_length"] as? Int == request.utf8.count && alert["stream"] as? Int == 1)
        #expect(alert["payload"] == nil)
    }

    /// A download whose body lost `missing` bytes in the middle (ACKed, never seen) or whose connection closed
    /// before the body ended, logged with `force-hash: [hashes]`.
    func damagedDownload(missing: Int, hashes: String, _ tag: String) throws -> [String: Any] {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /f.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nhello")
        if missing > 0 {
            // The client ACKs bytes the capture never had: a gap in the body.
            c.serverSeq &+= UInt32(missing)
            c.frames.append(
                TCPConversation.frame(toServer: true, flags: 0x10, seq: c.clientSeq, ack: c.serverSeq, payload: []))
            c.send(toServer: false, "world")
        }
        c.close()
        let config = "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      types:\n        - files:\n"
            + "            force-hash: [\(hashes)]\n"
        let records = try replayRecords("damaged-\(tag)", conversation: c, config: config)
        let file = try #require(DNSRecordTests.of(records, "fileinfo").first)
        return try #require(file["fileinfo"] as? [String: Any])
    }

    /// As Suricata closes such a file: truncated, and only a forced SHA-256 (over the bytes seen) survives.
    @Test func aTruncatedFileKeepsOnlyAForcedSHA256() throws {
        let gap = try self.damagedDownload(missing: 5, hashes: "md5, sha256", "gap")
        #expect(gap["state"] as? String == "TRUNCATED" && gap["gaps"] as? Bool == true && gap["size"] as? Int == 15)
        #expect(gap["sha256"] as? String == "936a185caaa266bb9cbe981e9e05cb78cd732b0b3280eb944412bb6f8f8f07af")
        #expect(gap["md5"] == nil)
        // A body the connection's close cuts short is not truncated: libhtp ends the response at the close, and
        // Suricata closes the file with every digest.
        let cut = try self.damagedDownload(missing: 0, hashes: "md5, sha256", "cut")
        #expect(cut["state"] as? String == "CLOSED" && cut["gaps"] as? Bool == false && cut["size"] as? Int == 5)
        #expect(cut["sha256"] as? String == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(cut["md5"] as? String == "5d41402abc4b2a76b9719d911017c592")
        // Without SHA-256 forced, a truncated file has no digest at all.
        let md5Only = try self.damagedDownload(missing: 5, hashes: "md5", "md5")
        #expect(md5Only["state"] as? String == "TRUNCATED" && md5Only["md5"] == nil && md5Only["sha256"] == nil)
    }

    @Test func anUnknownCodingIsAnAnomalyRecordOfItsTransaction() throws {
        let records = try self.replay(contentEncoding: "bogus", "bogus")
        let anomaly = try #require(DNSRecordTests.of(records, "anomaly").first)
        let body = try #require(anomaly["anomaly"] as? [String: Any])
        #expect(body["event"] as? String == "ABNORMAL_CE_HEADER" && body["app_proto"] as? String == "http")
        #expect(anomaly["tx_id"] as? Int == 0)
    }
}

/// ESP flow records: one per SPI and direction, with Suricata's `spi` member and no ports.
@Suite struct ESPFlowRecordTests {
    static func esp(spi: UInt32, reply: Bool = false) -> [UInt8] {
        let body: [UInt8] = [UInt8(spi >> 24), UInt8(spi >> 16 & 0xff), UInt8(spi >> 8 & 0xff), UInt8(spi & 0xff)]
            + [0, 0, 0, 1, 0xca, 0xfe]
        let total = 20 + body.count
        var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0, 0, 64, 50, 0, 0]
        frame += reply ? [10, 0, 0, 2, 10, 0, 0, 1] : [10, 0, 0, 1, 10, 0, 0, 2]
        return frame + body
    }

    @Test func flowsPerSPIWithTheirSPI() throws {
        let frames = [Self.esp(spi: 123), Self.esp(spi: 123), Self.esp(spi: 321), Self.esp(spi: 123, reply: true)]
        let flows = DNSRecordTests.of(try replayRecords("esp", frames: frames), "flow")
        let summary = flows.map { ($0["spi"] as? Int ?? -1, $0["src_ip"] as? String ?? "") }.sorted { $0.0 < $1.0 }
        #expect(summary.map(\.0) == [123, 123, 321])
        #expect(summary.filter { $0.0 == 123 }.map(\.1).sorted() == ["10.0.0.1", "10.0.0.2"])
        #expect(flows.allSatisfy { $0["src_port"] == nil && $0["proto"] as? String == "ESP" })
        let pair = try #require(flows.first { $0["spi"] as? Int == 123 && $0["src_ip"] as? String == "10.0.0.1" })
        #expect((pair["flow"] as? [String: Any])?["pkts_toserver"] as? Int == 2)
    }
}

/// A CONNECT tunnel end to end: the CONNECT's `http` record, then the records of the protocol inside, and the
/// flow record's `app_proto` / `app_proto_orig` (Suricata's protocol change), each checked against the schema.
@Suite struct ConnectTunnelRecordTests {
    func replay(_ tunnel: [(Bool, [UInt8])], _ tag: String) throws -> [[String: Any]] {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 Connection established\r\n\r\n")
        for (toServer, bytes) in tunnel { c.send(toServer: toServer, bytes: bytes) }
        c.close()
        return try replayRecords("connect-\(tag)", conversation: c)
    }

    @Test func httpInsideATunnelIsParsedAgain() throws {
        let records = try self.replay(
            [
                (true, Array("GET /inside HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8)),
                (false, Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)),
            ], "http")
        let http = DNSRecordTests.of(records, "http").compactMap { $0["http"] as? [String: Any] }
        #expect(http.map { $0["http_method"] as? String } == ["CONNECT", "GET"])
        #expect(DNSRecordTests.of(records, "http").map { $0["tx_id"] as? Int } == [0, 0])
        let flow = try #require(DNSRecordTests.of(records, "flow").first)
        #expect(flow["app_proto"] as? String == "http" && flow["app_proto_orig"] == nil)
    }

    @Test func tlsInsideATunnelIsTheFlowsProtocol() throws {
        var hello: [UInt8] = [0x16, 0x03, 0x01]
        let body: [UInt8] =
            [0x01, 0x00, 0x00, 0x2a, 0x03, 0x03] + Array(repeating: 0x11, count: 32) + [0, 0, 2, 0x13, 0x01, 1, 0]
        hello += [UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
        let records = try self.replay([(true, hello)], "tls")
        let flow = try #require(DNSRecordTests.of(records, "flow").first)
        #expect(flow["app_proto"] as? String == "tls")
        #expect(flow["app_proto_orig"] as? String == "http")
        #expect(DNSRecordTests.of(records, "http").count == 1)
    }

    @Test func anUnknownTunnelFails() throws {
        let records = try self.replay([(false, [0x05, 0x00, 0x00, 0x05, 0x00])], "fail")
        let flow = try #require(DNSRecordTests.of(records, "flow").first)
        #expect(flow["app_proto"] as? String == "failed")
        #expect(flow["app_proto_orig"] as? String == "http")
    }
}

/// `xff` of the alert and http record types (Suricata's `HttpXFFGetCfg` and its loggers): the address an HTTP proxy
/// forwarded, from the end of the chain the deployment says, logged as `alert.xff` or in place of an address.
@Suite struct ForwardedForRecordTests {
    /// `xff` holds the setting's lines (`enabled: yes`, `mode: …`), one per element.
    func replay(_ xff: [String], _ tag: String) throws -> [[String: Any]] {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /a HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 192.0.2.7, 198.51.100.9\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nuid")
        c.close()
        let settings = xff.map { "              " + $0 + "\n" }.joined()
        let config =
            "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      enabled: yes\n      filename: eve.json\n      types:\n"
            + "        - alert:\n            xff:\n" + settings + "        - http:\n            xff:\n" + settings
            + "        - files\n"
        return try replayRecords(
            "xff-\(tag)", conversation: c, config: config,
            rules: "alert http any any -> any any (msg:\"body\"; file.data; content:\"uid\"; sid:1;)\n")
    }

    @Test func extraDataAddsTheAddressToAlerts() throws {
        let records = try self.replay(["enabled: yes", "mode: extra-data", "deployment: forward"], "extra")
        let alert = try #require(DNSRecordTests.of(records, "alert").first)
        #expect((alert["alert"] as? [String: Any])?["xff"] as? String == "192.0.2.7")
        // The http record's own `xff` is the header as sent.
        let http = try #require(DNSRecordTests.of(records, "http").first?["http"] as? [String: Any])
        #expect(http["xff"] as? String == "192.0.2.7, 198.51.100.9")
    }

    @Test func overwriteReplacesThePacketsAddress() throws {
        let records = try self.replay(["enabled: yes", "mode: overwrite", "deployment: reverse"], "over")
        let alert = try #require(DNSRecordTests.of(records, "alert").first)
        // The alert is on the response (to the client): its destination becomes the forwarded client.
        #expect(alert["dest_ip"] as? String == "198.51.100.9" && alert["src_ip"] as? String == "10.0.0.2")
        #expect((alert["alert"] as? [String: Any])?["xff"] == nil)
        let http = try #require(DNSRecordTests.of(records, "http").first)
        #expect(http["src_ip"] as? String == "198.51.100.9" && http["dest_ip"] as? String == "10.0.0.2")
        // Other records of the transaction keep the flow's addresses.
        let file = try #require(DNSRecordTests.of(records, "fileinfo").first)
        #expect(file["dest_ip"] as? String == "10.0.0.1")
    }

    @Test func disabledLogsNothingExtra() throws {
        let records = try self.replay(["enabled: no"], "off")
        let alert = try #require(DNSRecordTests.of(records, "alert").first)
        #expect((alert["alert"] as? [String: Any])?["xff"] == nil && alert["dest_ip"] as? String == "10.0.0.1")
    }
}

/// `http: dump-all-headers` and `custom`: the request and response headers in the `http` record only.
@Suite struct HTTPHeaderArrayRecordTests {
    func replay(_ settings: String, _ tag: String) throws -> [[String: Any]] {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /a HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nX-Odd: 1\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nServer: s\r\nContent-Length: 3\r\n\r\nuid")
        c.close()
        let config =
            "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      enabled: yes\n      filename: eve.json\n      types:\n"
            + "        - alert\n        - http:\n" + settings + "        - files\n"
        return try replayRecords(
            "headers-\(tag)", conversation: c, config: config,
            rules: "alert http any any -> any any (msg:\"body\"; file.data; content:\"uid\"; sid:1;)\n")
    }

    func pairs(_ object: [String: Any]?, _ key: String) -> [String] {
        ((object?[key] as? [[String: Any]]) ?? []).map {
            "\($0["name"] as? String ?? "?")=\($0["value"] as? String ?? "?")"
        }
    }

    @Test func bothDirectionsInTheHTTPRecordOnly() throws {
        let records = try self.replay("            dump-all-headers: both\n", "both")
        let http = try #require(DNSRecordTests.of(records, "http").first?["http"] as? [String: Any])
        #expect(self.pairs(http, "request_headers") == ["Host=h", "Accept-Encoding=gzip", "X-Odd=1"])
        #expect(self.pairs(http, "response_headers") == ["Server=s", "Content-Length=3"])
        // Alerts and files carry the http object without them, as Suricata's.
        let alertHTTP = DNSRecordTests.of(records, "alert").first?["http"] as? [String: Any]
        #expect(alertHTTP != nil && alertHTTP?["request_headers"] == nil)
        let fileHTTP = DNSRecordTests.of(records, "fileinfo").first?["http"] as? [String: Any]
        #expect(fileHTTP != nil && fileHTTP?["response_headers"] == nil)
    }

    @Test func customListsTheNamedHeadersOfTheOtherDirection() throws {
        let records = try self.replay(
            "            dump-all-headers: request\n            custom: [server, accept_encoding]\n", "custom")
        let http = try #require(DNSRecordTests.of(records, "http").first?["http"] as? [String: Any])
        #expect(self.pairs(http, "request_headers") == ["Host=h", "Accept-Encoding=gzip", "X-Odd=1"])
        #expect(self.pairs(http, "response_headers") == ["Server=s"])
        let none = try self.replay("            custom: [cookie]\n", "none")
        let plain = try #require(DNSRecordTests.of(none, "http").first?["http"] as? [String: Any])
        #expect(plain["request_headers"] == nil && plain["response_headers"] == nil)
    }
}
