// SPDX-License-Identifier: MIT
import CLibHTP
import Testing
import WeirCore
import WeirDetect
import WeirOutput
import WeirStream

@testable import WeirAppLayer

/// Feeds text conversations to an ``AppLayerStage`` with the built-in protocols, in chosen pieces.
final class StageDriver {
    let stage: AppLayerStage
    var storage: [[UInt8]] = []
    var offsets: [UInt64] = [0, 0]
    let slot: Int32
    let flowID: UInt64
    let serverAddress: IPAddress?

    init(
        slot: Int32 = 1, flowID: UInt64 = 42, ids: [String: Int] = [:],
        settings: AppLayerStageSettings = AppLayerStageSettings(), serverAddress: IPAddress? = nil
    ) {
        self.stage = AppLayerStage(settings: settings)
        self.slot = slot
        self.flowID = flowID
        self.serverAddress = serverAddress
        self.stage.bind { ids[$0] }
    }

    func send(_ bytes: [UInt8], toServer: Bool, end: Bool = false, gap: Int = 0) {
        var chunks: [AppLayerChunk] = []
        let d = toServer ? 0 : 1
        if gap > 0 {
            chunks.append(
                AppLayerChunk(
                    toServer: toServer,
                    block: StreamBlock(
                        offset: self.offsets[d], length: gap, isGap: true, bytes: .init(start: nil, count: 0)),
                    isEndOfStream: false))
            self.offsets[d] += UInt64(gap)
        }
        self.storage.append(bytes)
        let view = self.storage[self.storage.count - 1].withUnsafeBytes { UnsafeRawBufferPointer($0) }
        chunks.append(
            AppLayerChunk(
                toServer: toServer,
                block: StreamBlock(offset: self.offsets[d], length: view.count, isGap: false, bytes: view),
                isEndOfStream: end))
        self.offsets[d] += UInt64(view.count)
        self.stage.handle(
            chunks: chunks, slot: self.slot, flowID: self.flowID, serverPort: 80, clientPort: 40000,
            serverAddress: self.serverAddress, timestamp: Timestamp(microseconds: 1_000_000), session: nil)
    }

    func send(_ text: String, toServer: Bool, end: Bool = false) {
        self.send(Array(text.utf8), toServer: toServer, end: end)
    }

    /// Buffers of every transaction for one direction: tx id → [(sticky id, text)].
    func buffers(toServer: Bool) -> [UInt64: [(Int, String)]] {
        var out: [UInt64: [(Int, String)]] = [:]
        self.stage.forEachTransaction(slot: self.slot, flowID: self.flowID, toServer: toServer, force: true) {
            tx, buffers in
            out[tx.id] = buffers.map { b in
                guard case .sticky(let id) = b.kind else { return (-1, "") }
                return (id, String(decoding: b.bytes, as: UTF8.self))
            }
        }
        return out
    }
}

@Suite struct HTTPParserTests {
    @Test func codingsSuricataEightKnows() {
        func unknown(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { HTTPParser.hasUnknownCoding($0) }
        }
        #expect(!unknown("identity") && !unknown("none") && !unknown("inflate") && !unknown("gzip, identity"))
        #expect(!unknown("x-gzip") && !unknown("Deflate"))
        #expect(unknown("br") && unknown("identity, compress"))
    }

    @Test func probesRecogniseMethodsAndVersions() {
        func probe(_ text: String, _ patterns: [[UInt8]], _ separators: [UInt8]?) -> AppLayerProbeResult {
            Array(text.utf8).withUnsafeBytes { HTTPProtocol.probe($0, patterns: patterns, separators: separators) }
        }
        let m = HTTPProtocol.methods
        #expect(probe("GET / HTTP/1.1", m, [0x20, 0x09]) == .match)
        #expect(probe("get\t/", m, [0x20, 0x09]) == .match)
        #expect(probe("PO", m, [0x20, 0x09]) == .needMoreData)
        #expect(probe("GETX /", m, [0x20, 0x09]) == .noMatch)
        #expect(probe("\u{16}\u{03}\u{01}", m, [0x20, 0x09]) == .noMatch)
        #expect(probe("HTTP/1.1 200 OK", HTTPProtocol.versions, nil) == .match)
        #expect(probe("HTTP/2", HTTPProtocol.versions, nil) == .noMatch)
    }

    @Test func settingsReadSuricataSpellings() {
        let s = HTTPSettings(values: [
            "libhtp.default-config.personality": "Apache_2", "libhtp.default-config.request-body-limit": "3kb",
            "libhtp.default-config.response-body-limit": "0", "libhtp.default-config.double-decode-path": "yes",
            "memcap": "64mb",
        ])
        #expect(s.htpPersonality.rawValue == HTP_SERVER_APACHE_2.rawValue)
        #expect(s.requestBodyLimit == 3072)
        #expect(s.responseBodyLimit == 0)
        #expect(s.doubleDecodePath)
        #expect(s.memcap == 64 << 20)
        #expect(HTTPSettings(values: [:]).requestBodyLimit == 100 * 1024)
    }

    @Test func contentDispositionFilename() {
        func name(_ text: String) -> String? {
            Array(text.utf8).withUnsafeBytes { HTTPTransaction.dispositionFilename($0) }.map {
                String(decoding: $0, as: UTF8.self)
            }
        }
        #expect(name("attachment; filename=\"a b.txt\"") == "a b.txt")
        #expect(name("attachment;filename=plain.bin ") == "plain.bin")
        #expect(name("inline") == nil)
        #expect(name("attachment; xfilename=no") == nil)
    }

    @Test func aPresentButEmptyHeaderIsAnEmptyBuffer() {
        // `User-Agent:` with no value: an empty http.user_agent buffer (Suricata inspects it: bsize:0 matches); no
        // Referer header at all: no http.referer buffer.
        let driver = StageDriver(ids: ["http.user_agent": 1, "http.referer": 2])
        driver.send("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent:\r\n\r\n", toServer: true)
        let request = driver.buffers(toServer: true)[0] ?? []
        #expect(request.filter { $0.0 == 1 }.map(\.1) == [""])
        #expect(request.filter { $0.0 == 2 }.isEmpty)
    }

    @Test func buffersFollowTransactionProgress() {
        let ids = ["http.uri": 1, "http.method": 2, "http.stat_code": 3, "http.header": 4, "file.data": 5]
        let driver = StageDriver(ids: ids)
        driver.send("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n", toServer: true)
        // Headers not finished: only the request line's buffers.
        var request = driver.buffers(toServer: true)
        #expect(Set(request[0]?.map(\.0) ?? []) == [1, 2])
        driver.send("Cookie: c=1\r\n\r\n", toServer: true)
        request = driver.buffers(toServer: true)
        #expect(request[0]?.first { $0.0 == 4 }?.1 == "Host: x\r\n")
        driver.send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", toServer: false)
        let response = driver.buffers(toServer: false)
        // The response direction also offers the request-only buffers (for rules that mix both).
        #expect(Set(response[0]?.map(\.0) ?? []) == [1, 2, 3, 4, 5])
        #expect(response[0]?.first { $0.0 == 5 }?.1 == "body")
        #expect(driver.stage.detectionProtocol(slot: 1, flowID: 42) == "http")
    }

    /// The stage's HTTP loops (the unretained walk over `HTTPParser.live`): pipelined transactions are visited
    /// once per progress in each direction, logged once complete, and freed oldest first only when logged and
    /// inspected to completion in both directions.
    @Test func pipelinedTransactionsVisitedLoggedAndFreedInOrder() {
        let driver = StageDriver()
        func visit(toServer: Bool) -> [UInt64] {
            var ids: [UInt64] = []
            driver.stage.forEachTransaction(
                slot: driver.slot, flowID: driver.flowID, toServer: toServer, buildBuffers: false
            ) { tx, buffers in
                #expect(buffers.isEmpty)
                ids.append(tx.id)
            }
            return ids
        }
        func logAndFree() -> [UInt64] {
            var ids: [UInt64] = []
            driver.stage.logAndFree(slot: driver.slot, flowID: driver.flowID) { ids.append($0.id) }
            return ids
        }
        func live(_ id: UInt64) -> Bool {
            driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: id) != nil
        }
        driver.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", toServer: true)
        #expect(visit(toServer: true) == [0, 1])
        #expect(visit(toServer: true) == [])
        #expect(logAndFree() == [])
        driver.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", toServer: false)
        // The second transaction's response has not started: progress 0 is still past "never inspected".
        #expect(visit(toServer: false) == [0, 1])
        #expect(logAndFree() == [0])
        #expect(!live(0) && live(1))
        driver.send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", toServer: false)
        // Logged before its response direction is inspected to completion: kept until then.
        #expect(logAndFree() == [1])
        #expect(live(1))
        #expect(visit(toServer: false) == [1])
        #expect(logAndFree() == [])
        #expect(!live(1))
        var ended: [UInt64] = []
        driver.stage.flowEnded(slot: driver.slot, flowID: driver.flowID) { ended.append($0.id) }
        #expect(ended.isEmpty)
        #expect(!driver.stage.hasFlow(slot: driver.slot, flowID: driver.flowID))
    }

    @Test func eventsFromMalformedHeaders() {
        let driver = StageDriver()
        driver.send("GET / HTTP/1.1\r\nNoColonHere\r\nHost: x\r\n\r\n", toServer: true)
        var events: [String] = []
        driver.stage.forEachTransaction(slot: 1, flowID: 42, toServer: true, force: true) { tx, _ in
            events = tx.events.map(\.name)
        }
        #expect(
            events.contains("http.request_field_missing_colon") || events.contains("http.request_header_invalid"),
            "\(events)")
    }

    /// `Authorization: Bearer` is a scheme Suricata 8 knows: no `request_auth_unrecognized`, which an
    /// unknown scheme still raises.
    @Test func bearerTokensAreARecognisedAuthorization() {
        func events(_ authorization: String) -> [String] {
            let driver = StageDriver()
            driver.send("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: \(authorization)\r\n\r\n", toServer: true)
            var names: [String] = []
            driver.stage.forEachTransaction(slot: 1, flowID: 42, toServer: true, force: true) { tx, _ in
                names = tx.events.map(\.name)
            }
            return names
        }
        #expect(!events("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x").contains("http.request_auth_unrecognized"))
        #expect(!events("bearer abc").contains("http.request_auth_unrecognized"))
        #expect(events("Negotiate YIIB").contains("http.request_auth_unrecognized"))
    }

    /// Mutated HTTP conversations, cut at random points, with gaps and early ends: the parser never crashes,
    /// every transaction's buffers and EVE object can be read, and finished transactions are freed.
    @Test func fuzzedStreamsNeverCrash() {
        let seeds: [(String, String)] = [
            (
                "GET /x?y=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: u\r\nCookie: c\r\n\r\nPOST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n5\r\nabcde\r\n0\r\n\r\nHTTP/1.1 404 No\r\nContent-Length: 3\r\n\r\nxyz"
            ),
            (
                "CONNECT host:443 HTTP/1.1\r\nHost: host\r\n\r\n\u{16}\u{03}\u{01}",
                "HTTP/1.1 200 Connection established\r\n\r\n\u{16}\u{03}\u{03}"
            ),
            (
                "POST /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Encoding: deflate\r\n\r\nnot-deflate"
            ),
        ]
        var rng = SplitMix(seed: 0x5EED)
        let ids = Dictionary(
            HTTPProtocol.buffers.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let writer = JSONWriter(capacity: 4096)
        var inspected = 0
        var logged = 0
        for round in 0..<600 {
            let driver = StageDriver(slot: Int32(round % 7), flowID: UInt64(round + 1), ids: ids)
            let (request, response) = seeds[round % seeds.count]
            var streams = [Array(request.utf8), Array(response.utf8)]
            for d in 0..<2 {
                for _ in 0..<Int(rng.next() % 6) {
                    guard !streams[d].isEmpty else { break }
                    let at = Int(rng.next() % UInt64(streams[d].count))
                    switch rng.next() % 4 {
                    case 0: streams[d][at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: streams[d].insert(contentsOf: [0x0D, 0x0A], at: at)
                    case 2: streams[d].removeSubrange(at..<min(streams[d].count, at + Int(rng.next() % 8)))
                    default: streams[d].insert(contentsOf: Array("\r\n0\r\n\r\nHTTP/1.1 ".utf8), at: at)
                    }
                }
            }
            var positions = [0, 0]
            while positions[0] < streams[0].count || positions[1] < streams[1].count {
                let d =
                    positions[0] >= streams[0].count ? 1 : (positions[1] >= streams[1].count ? 0 : Int(rng.next() % 2))
                let take = min(streams[d].count - positions[d], 1 + Int(rng.next() % 40))
                let piece = Array(streams[d][positions[d]..<positions[d] + take])
                positions[d] += take
                let gap = rng.next() % 50 == 0 ? Int(rng.next() % 100) + 1 : 0
                driver.send(piece, toServer: d == 0, end: positions[d] >= streams[d].count, gap: gap)
                for toServer in [true, false] {
                    driver.stage.forEachTransaction(slot: driver.slot, flowID: driver.flowID, toServer: toServer) {
                        tx, buffers in
                        inspected += 1
                        for b in buffers { _ = b.bytes.reduce(0, &+) }
                        writer.reset()
                        writer.beginObject()
                        tx.writeEVE(writer)
                        writer.endObject()
                    }
                }
                driver.stage.logAndFree(slot: driver.slot, flowID: driver.flowID) { tx in
                    logged += 1
                    (tx as? HTTPTransaction)?.forEachFile { _ in }
                }
            }
            driver.stage.flowEnded(slot: driver.slot, flowID: driver.flowID) { _ in logged += 1 }
            #expect(driver.stage.slot(ofFlow: driver.flowID) == nil)
        }
        // The mutations leave most conversations parseable: transactions were made, inspected and logged.
        #expect(inspected > 600)
        #expect(logged > 600)
    }

    @Test func bodiesHeadersAndURIAreKeptOnlyForRulesThatInspectThem() throws {
        let request = "POST /upload?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
        func run(_ driver: StageDriver) throws -> HTTPTransaction {
            driver.send(request, toServer: true)
            driver.send(response, toServer: false)
            let tx = driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: 0) as? HTTPTransaction
            return try #require(tx)
        }
        // Rules on the method alone: only sizes are kept, and the file is still named after the URI path. (The
        // drivers stay alive: libhtp's transactions go with their parser.)
        let leanDriver = StageDriver(ids: ["http.method": 1])
        let lean = try run(leanDriver)
        #expect(lean.requestBody.isEmpty && lean.responseBody.isEmpty)
        #expect(lean.requestHeadersRaw.isEmpty && lean.responseHeadersRaw.isEmpty)
        #expect(lean.normalizedURI == nil && lean.uriNotKept)
        #expect(lean.requestBodySeen == 5 && lean.responseBodySeen == 3)
        #expect(lean.unkeptURI() == Array("/upload?a=1".utf8))
        var names: [String] = []
        lean.forEachFile { names.append(String(decoding: $0.name, as: UTF8.self) + ($0.toServer ? " up" : " down")) }
        // The POST body is an upload, the response body a download: both named after the URI path.
        #expect(names == ["/upload up", "/upload down"])
        // Rules on every kept buffer: all of them are there.
        let fullDriver = StageDriver(ids: ["http.request_body": 1, "file.data": 2, "http.header.raw": 3, "http.uri": 4])
        let full = try run(fullDriver)
        #expect(full.requestBody == Array("hello".utf8) && full.responseBody == Array("abc".utf8))
        #expect(String(decoding: full.requestHeadersRaw, as: UTF8.self).contains("Content-Length: 5"))
        #expect(full.normalizedURI == Array("/upload?a=1".utf8) && !full.uriNotKept)
        // A reload that adds file.data: the next transaction keeps its response body.
        let reloaded = StageDriver(ids: ["http.method": 1])
        _ = try run(reloaded)
        reloaded.stage.bind { ["file.data": 2][$0] }
        reloaded.send(request, toServer: true)
        reloaded.send(response, toServer: false)
        let next = try #require(
            reloaded.stage.transaction(slot: reloaded.slot, flowID: reloaded.flowID, id: 1) as? HTTPTransaction)
        #expect(next.responseBody == Array("abc".utf8) && next.requestBody == Array("hello".utf8))
        #expect(next.requestHeadersRaw.isEmpty)
        withExtendedLifetime((leanDriver, fullDriver)) {}
    }

    @Test func aGapInsideABodyIsSkippedAndTheNextTransactionParses() throws {
        let driver = StageDriver(ids: ["http.method": 1])
        driver.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n", toServer: true)
        driver.send("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789", toServer: false)
        // Ten body bytes missing, then the body's last ten and the next response.
        driver.send(Array("ABCDEFGHIJ".utf8), toServer: false, gap: 10)
        driver.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n", toServer: true)
        driver.send("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno", toServer: false)
        let first = try #require(
            driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: 0) as? HTTPTransaction)
        var files: [AppLayerFile] = []
        first.forEachFile { files.append($0) }
        // The file counts the missing bytes, has gaps and is truncated (Suricata's FileAppendGAP), no hashes.
        #expect(files.count == 1)
        #expect(files.first?.size == 30 && files.first?.gaps == true && files.first?.state == .truncated)
        #expect(files.first?.sha256 == nil)
        // The second transaction after the gap is parsed whole.
        let second = try #require(
            driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: 1) as? HTTPTransaction)
        #expect(second.progress(toServer: false) >= HTTPProgress.complete)
        #expect(second.statusCode.map { String(decoding: $0, as: UTF8.self) } == "404")
        var secondFiles: [AppLayerFile] = []
        second.forEachFile { secondFiles.append($0) }
        #expect(secondFiles.first?.gaps == false && secondFiles.first?.size == 2)
    }

    @Test func aGapInHeadersIsRefusedAndParsingGoesOn() throws {
        let driver = StageDriver(ids: ["http.method": 1])
        driver.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n", toServer: true)
        driver.send("HTTP/1.1 200 OK\r\nCont", toServer: false)
        driver.send(Array("ent-Length: 2\r\n\r\nok".utf8), toServer: false, gap: 5)
        let first = try #require(
            driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: 0) as? HTTPTransaction)
        // libhtp refuses a gap in the header block and stays where it was; what follows is parsed on from there,
        // as Suricata 7 feeds it (the two header pieces join).
        #expect(first.progress(toServer: false) >= HTTPProgress.complete)
        var files: [AppLayerFile] = []
        first.forEachFile { files.append($0) }
        #expect(files.first?.size == 2 && files.first?.state == .closed)
    }

    @Test func aGapPastTheEndOfABodyLeavesTheNextResponseParsed() throws {
        let driver = StageDriver(ids: ["http.method": 1])
        driver.send("GET /1 HTTP/1.0\r\n\r\n", toServer: true)
        driver.send("HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n", toServer: false)
        driver.send("GET /2 HTTP/1.0\r\n\r\n", toServer: true)
        // The whole body and two bytes after it are missing: libhtp skips the body's twelve and refuses the
        // rest between transactions; the next response still parses.
        driver.send(Array("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8), toServer: false, gap: 14)
        let first = try #require(
            driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: 0) as? HTTPTransaction)
        var files: [AppLayerFile] = []
        first.forEachFile { files.append($0) }
        #expect(files.first?.size == 12 && files.first?.gaps == true && files.first?.state == .truncated)
        let second = try #require(
            driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: 1) as? HTTPTransaction)
        #expect(second.progress(toServer: false) >= HTTPProgress.complete)
        var secondFiles: [AppLayerFile] = []
        second.forEachFile { secondFiles.append($0) }
        #expect(second.statusNumber == 200 && secondFiles.first?.size == 2 && secondFiles.first?.gaps == false)
    }

    @Test func loggedHeadersMatchLookupsByName() throws {
        let driver = StageDriver()
        driver.send(
            "GET / HTTP/1.1\r\nHost: a\r\nUSER-AGENT: curl/8\r\nReferer: r\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
            toServer: true)
        driver.send("HTTP/1.1 302 Found\r\nContent-Type: text/html; charset=x\r\nLocation: /y\r\nContent-Length: 0\r\n\r\n",
            toServer: false)
        let tx = try #require(driver.stage.transaction(slot: driver.slot, flowID: driver.flowID, id: 0) as? HTTPTransaction)
        let logged = tx.loggedHeaders()
        func text(_ b: UnsafeRawBufferPointer?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }
        #expect(text(logged.userAgent) == text(tx.header("user-agent", toServer: true)))
        #expect(text(logged.userAgent) == "curl/8")
        #expect(text(logged.referer) == "r" && text(logged.forwardedFor) == "1.2.3.4")
        #expect(text(logged.contentType) == "text/html; charset=x" && text(logged.location) == "/y")
    }
}

/// A small deterministic generator for the fuzz rounds.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `libhtp.server-config`: the flow's server address picks its entry's settings (longest prefix first).
@Suite struct HTTPServerConfigTests {
    static let values: [String: String] = [
        "libhtp.default-config.personality": "IDS",
        "libhtp.default-config.request-body-limit": "8kb",
        "memcap": "64mb",
        "libhtp.server-config.0.apache.address.0": "192.168.1.0/24",
        "libhtp.server-config.0.apache.address.1": "127.0.0.1",
        "libhtp.server-config.0.apache.address.2": "::1",
        "libhtp.server-config.0.apache.personality": "Apache_2",
        "libhtp.server-config.0.apache.response-body-limit": "1kb",
        "libhtp.server-config.1.iis7.address.0": "192.168.0.0/16",
        "libhtp.server-config.1.iis7.address.1": "2001:db8::/32",
        "libhtp.server-config.1.iis7.personality": "IIS_7_0",
        "libhtp.server-config.1.iis7.double-decode-path": "yes",
    ]

    @Test func serverAddressChoosesTheEntry() throws {
        let configs = HTTPServerConfigs(values: Self.values)
        #expect(configs.entries.map(\.name) == ["apache", "iis7"])
        // 192.168.1.5 is in both; the /24 is longer than the /16.
        let apache = configs.settings(forServer: [192, 168, 1, 5])
        #expect(apache.personality == "Apache_2" && apache.responseBodyLimit == 1024)
        // An entry starts from the built-in defaults, not default-config; the memcap is shared.
        #expect(apache.requestBodyLimit == 100 * 1024 && apache.memcap == 64 << 20)
        let iis = configs.settings(forServer: [192, 168, 7, 1])
        #expect(iis.personality == "IIS_7_0" && iis.doubleDecodePath && iis.htpPersonality == HTP_SERVER_IIS_7_0)
        #expect(configs.settings(forServer: [127, 0, 0, 1]).personality == "Apache_2")
        var v6 = [UInt8](repeating: 0, count: 16)
        v6[15] = 1
        #expect(configs.settings(forServer: v6).personality == "Apache_2")
        var doc = [UInt8](repeating: 0, count: 16)
        (doc[0], doc[1], doc[2], doc[3], doc[15]) = (0x20, 0x01, 0x0d, 0xb8, 9)
        #expect(configs.settings(forServer: doc).personality == "IIS_7_0")
        // Anything else, and an unknown address, gets default-config.
        let other = configs.settings(forServer: [10, 0, 0, 1])
        #expect(other.personality == "IDS" && other.requestBodyLimit == 8 * 1024)
        #expect(configs.settings(forServer: []) == configs.defaultSettings)
    }

    /// End to end: the same request parsed for a server inside a server-config entry with
    /// `double-decode-path: yes` and for one outside it.
    @Test func theFlowsServerPicksItsParserSettings() throws {
        var settings = AppLayerStageSettings()
        settings.parserValues["http"] = [
            "libhtp.server-config.0.decoding.address.0": "10.0.0.0/24",
            "libhtp.server-config.0.decoding.double-decode-path": "yes",
        ]
        func uri(server: IPAddress) -> String? {
            let driver = StageDriver(ids: ["http.uri": 1], settings: settings, serverAddress: server)
            driver.send("GET /a%252fb HTTP/1.1\r\nHost: x\r\n\r\n", toServer: true)
            return driver.buffers(toServer: true)[0]?.first { $0.0 == 1 }?.1
        }
        #expect(uri(server: IPAddress(v4: 0x0a00_0007)) == "/a/b")
        #expect(uri(server: IPAddress(v4: 0x0a00_0107)) == "/a%2fb")
    }

    /// The stage's factory picks each flow's libhtp configuration by server address and caches the choice per
    /// address: interleaved flows to two server-config entries and to no entry each get their own, before and
    /// after the cache holds their address.
    @Test func factoryCachesTheEntryPerServerAddress() throws {
        let factory = HTTPParserFactory(settings: AppLayerParserSettings(values: Self.values))
        let apache = IPAddress(v4: 0xc0a8_0105)  // 192.168.1.5: apache's /24 beats iis7's /16
        let iis = IPAddress(v4: 0xc0a8_0701)  // 192.168.7.1: iis7 only
        let other = IPAddress(v4: 0x0a00_0001)  // 10.0.0.1: default-config
        let expected = [(apache, "Apache_2"), (iis, "IIS_7_0"), (other, "IDS"), (apache, "Apache_2")]
        for _ in 0..<2 {
            for (server, personality) in expected {
                let config = try #require(factory.config(forServer: server))
                #expect(config.settings.personality == personality)
                let parser = try #require(
                    factory.makeParser(flow: AppLayerFlowInfo(serverPort: 80, serverAddress: server)) as? HTTPParser)
                #expect(parser.config === config)
            }
        }
        #expect(factory.entryByServer == [apache: 0, iis: 1, other: -1])
        // Unknown server: the default config, nothing cached.
        #expect(factory.config(forServer: nil)?.settings.personality == "IDS")
        #expect(factory.entryByServer.count == 3)
        // The configurations are libhtp's shared ones (one per distinct settings, not one per flow).
        #expect(factory.config(forServer: iis) === HTPConfig.shared(factory.configs.entries[1].settings))
    }

    /// Without server-configs no address is looked up or cached: every flow gets the default configuration.
    @Test func factoryWithoutServerConfigsCachesNothing() throws {
        let factory = HTTPParserFactory(
            settings: AppLayerParserSettings(values: ["libhtp.default-config.personality": "IIS_7_0"]))
        for n in 0..<5 {
            let config = try #require(factory.config(forServer: IPAddress(v4: 0x0a00_0000 + UInt32(n))))
            #expect(config.settings.personality == "IIS_7_0")
            #expect(config === factory.defaultConfig)
        }
        #expect(factory.entryByServer.isEmpty)
    }

    /// One stage, flows to servers in two server-config entries and outside them, interleaved on different
    /// slots: each flow's parser uses its own server's settings (`double-decode-path` in one entry only,
    /// `uri-include-all` in the other).
    @Test func oneStageServesFlowsOfDifferentServerConfigs() throws {
        var settings = AppLayerStageSettings()
        settings.parserValues["http"] = [
            "libhtp.server-config.0.decoding.address.0": "10.0.0.0/24",
            "libhtp.server-config.0.decoding.double-decode-path": "yes",
            "libhtp.server-config.1.full.address.0": "10.0.1.0/24",
            "libhtp.server-config.1.full.uri-include-all": "yes",
        ]
        let stage = AppLayerStage(settings: settings)
        stage.bind { $0 == "http.uri" ? 1 : nil }
        // The protocols' counters exist from the start, at 0 (as Suricata registers them).
        #expect(stage.counters.values.allSatisfy { $0.1 == 0 })
        #expect(stage.counters.values.first?.0 == "app_layer.flow.http")
        let request = Array("GET http://h/a%252fb HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        var storage: [[UInt8]] = []
        func send(slot: Int32, server: UInt32) {
            storage.append(request)
            let view = storage[storage.count - 1].withUnsafeBytes { UnsafeRawBufferPointer($0) }
            let chunk = AppLayerChunk(
                toServer: true, block: StreamBlock(offset: 0, length: view.count, isGap: false, bytes: view),
                isEndOfStream: false)
            stage.handle(
                chunks: [chunk], slot: slot, flowID: UInt64(100 + slot), serverPort: 80, clientPort: 40000,
                serverAddress: IPAddress(v4: server), timestamp: Timestamp(microseconds: 1_000_000), session: nil)
        }
        func uri(slot: Int32) -> String? {
            var out: String?
            stage.forEachTransaction(slot: slot, flowID: UInt64(100 + slot), toServer: true, force: true) { tx, b in
                out = b.first.map { String(decoding: $0.bytes, as: UTF8.self) }
                // The EVE writer finds an HTTP transaction's files without a dynamic cast.
                #expect(tx.fileTransaction === tx)
            }
            return out
        }
        let servers: [UInt32] = [0x0a00_0007, 0x0a00_0107, 0x0a00_0207, 0x0a00_0008, 0x0a00_0108, 0x0a00_0208]
        for (i, server) in servers.enumerated() { send(slot: Int32(i), server: server) }
        let expected = ["/a/b", "http://h/a%2fb", "/a%2fb"]
        for i in servers.indices { #expect(uri(slot: Int32(i)) == expected[i % 3]) }
        #expect(stage.counters.value("app_layer.flow.http") == 6)
        #expect(stage.counters.value("app_layer.tx.http") == 6)
        // Every protocol's flow counter, then every transaction counter, as Suricata registers them.
        let names = stage.counters.values.map(\.0)
        #expect(names.first == "app_layer.flow.http")
        #expect(names.firstIndex(of: "app_layer.tx.http") ?? 0 > names.firstIndex(of: "app_layer.flow.dns_udp") ?? 99)
    }

    /// Header lookup by name matches libhtp's table lookup: ASCII case ignored, NUL bytes in the key skipped.
    @Test func headerKeysMatchAsLibhtpFindsThem() {
        func match(_ key: [UInt8], _ wanted: String) -> Bool {
            let name = Array(wanted.utf8)
            return key.withUnsafeBytes { k in name.withUnsafeBytes { HTTPTransaction.headerKey(k, matches: $0) } }
        }
        #expect(match(Array("Content-Type".utf8), "content-type"))
        #expect(match(Array("CONTENT-TYPE".utf8), "content-type"))
        #expect(!match(Array("Content-Typ".utf8), "content-type"))
        #expect(!match(Array("Content-Types".utf8), "content-type"))
        #expect(!match(Array("Content_Type".utf8), "content-type"))
        #expect(match([0x48, 0x00, 0x6f, 0x73, 0x74, 0x00], "host"))
        #expect(!match([0x48, 0x00, 0x6f, 0x73, 0x74, 0x21], "host"))
        #expect(!match([0x00, 0x00, 0x00, 0x00, 0x00], "host"))
        #expect(match([], ""))
    }

    /// The first header of a name is found whatever its case, in each direction.
    @Test func headerLookupFindsTheFirstOfAName() throws {
        let driver = StageDriver(ids: ["http.user_agent": 1, "http.server": 2])
        driver.send("GET / HTTP/1.1\r\nHost: x\r\nuSeR-aGeNt: first\r\nUser-Agent: second\r\n\r\n", toServer: true)
        driver.send("HTTP/1.1 200 OK\r\nSERVER: srv\r\nContent-Length: 0\r\n\r\n", toServer: false)
        let request = try #require(driver.buffers(toServer: true)[0])
        // libhtp merges a repeated header into the first one's value.
        #expect(request.first { $0.0 == 1 }?.1 == "first, second")
        let response = try #require(driver.buffers(toServer: false)[0])
        #expect(response.first { $0.0 == 2 }?.1 == "srv")
    }

    @Test func prefixes() throws {
        let net = try #require(AddressPrefix("10.1.0.0/15"))
        #expect(net.contains([10, 0, 255, 255]) && net.contains([10, 1, 0, 1]) && !net.contains([10, 2, 0, 0]))
        #expect(AddressPrefix("0.0.0.0/0")?.contains([1, 2, 3, 4]) == true)
        #expect(AddressPrefix("10.0.0.1")?.length == 32)
        #expect(AddressPrefix("10.0.0.1/33") == nil && AddressPrefix("bogus") == nil && AddressPrefix("::1/129") == nil)
        #expect(AddressPrefix("10.0.0.0/8")?.contains([UInt8](repeating: 10, count: 16)) == false)
    }
}
