// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

/// Inert rules: they load, but wait for a parser, buffer or keyword the engine cannot serve, so they are counted
/// apart from the rules that can alert.
@Suite struct RuleReadinessTests {
    /// Nine rules: three packet/stream rules that can alert, six that wait for a parser (as of this engine).
    static let fixture = """
        alert tcp any any -> any 80 (msg:"raw content"; content:"GET /"; sid:1;)
        alert udp any any -> any any (msg:"dsize"; dsize:>100; sid:2;)
        alert ip any any -> any any (msg:"negated app proto"; app-layer-protocol:!http; sid:3;)
        alert http any any -> any any (msg:"http header"; flow:established,to_server; http.uri; content:"/x"; sid:10;)
        alert http any any -> any any (msg:"http plain"; content:"abc"; sid:11;)
        alert dns any any -> any any (msg:"dns"; dns.query; content:"evil"; sid:12;)
        alert tcp any any -> any any (msg:"legacy uri"; content:"/etc/passwd"; http_uri; sid:13;)
        alert tcp any any -> any any (msg:"tls sni buffer"; tls.sni; content:"x.example"; sid:14;)
        alert tcp any any -> any any (msg:"needs tls"; app-layer-protocol:tls; sid:15;)
        """

    func readiness() -> RuleReadiness {
        let set = RuleFileLoader().load(text: Self.fixture, file: "fixture.rules")
        #expect(set.errors.isEmpty, "\(set.errors)")
        return RuleReadiness(set)
    }

    @Test func countsActiveAndInertByProtocolAndKeyword() {
        let r = self.readiness()
        #expect(r.total == 9)
        #expect(r.active == 3)
        #expect(r.inert.count == 6)
        let byProtocol = Dictionary(uniqueKeysWithValues: r.inertByProtocol.map { ($0.name, $0.count) })
        #expect(byProtocol == ["http": 3, "dns": 1, "tls": 2])
        let byKeyword = Dictionary(uniqueKeysWithValues: r.inertByKeyword.map { ($0.name, $0.count) })
        #expect(
            byKeyword == [
                "protocol http": 2, "protocol dns": 1, "http.uri": 1, "tls.sni": 1, "app-layer-protocol": 1,
            ])
        #expect(r.summary() == "9 rules: 3 active, 6 inert (http 3, tls 2, dns 1)")
        #expect(Set(r.inert.map(\.sid)) == [10, 11, 12, 13, 14, 15])
        #expect(r.inert.first { $0.sid == 13 }?.line == 7)
    }

    @Test func engineRefusedRulesAreNotCounted() {
        let set = RuleFileLoader().load(text: Self.fixture, file: "fixture.rules")
        let r = RuleReadiness(set, excluding: [RuleKey(gid: 1, sid: 1), RuleKey(gid: 1, sid: 12)])
        #expect(r.active == 2 && r.inert.count == 5)
    }

    @Test func summaryGroupsThousandsAndElidesTheTail() {
        #expect(RuleReadiness.grouped(25803) == "25,803")
        #expect(RuleReadiness.grouped(999) == "999")
        #expect(RuleReadiness.grouped(1_000_000) == "1,000,000")
        var text = ""
        for (i, proto) in ["http", "dns", "tls", "smtp", "ftp", "smb", "ssh"].enumerated() {
            for n in 0...i { text += "alert \(proto) any any -> any any (msg:\"x\"; sid:\(100 * (i + 1) + n);)\n" }
        }
        let r = RuleReadiness(RuleFileLoader().load(text: text, file: "many.rules"))
        #expect(r.summary(limit: 2) == "28 rules: 0 active, 28 inert (ssh 7, smb 6, …)")
    }

    @Test func bufferProtocols() {
        #expect(KeywordRegistry.protocolOfBuffer("http.uri") == "http")
        #expect(KeywordRegistry.protocolOfBuffer("ja3.hash") == "tls")
        #expect(KeywordRegistry.protocolOfBuffer("file.data") == "file")
        #expect(KeywordRegistry.protocolOfBuffer("email.subject") == "smtp")
        #expect(KeywordRegistry.protocolOfBuffer("tcp.hdr") == "packet headers")
        #expect(KeywordRegistry.protocolOfBuffer("dce_stub_data") == "dcerpc")
        #expect(KeywordRegistry.canonicalProtocol("http1") == "http")
    }

    @Test func checkReportShowsInertCounts() {
        let set = RuleFileLoader().load(text: Self.fixture, file: "fixture.rules")
        let text = RuleCheckReport.text(set, files: 1)
        #expect(text.contains("  active (can alert): 3"))
        #expect(text.contains("summary: 9 rules: 3 active, 6 inert (http 3, tls 2, dns 1)"))
        let json = RuleCheckReport.json(set, files: 1)
        #expect(json.contains(#""active":3,"inert":6,"inert_by_protocol":{"http":3,"tls":2,"dns":1}"#))
        #expect(json.contains(#"{"file":"fixture.rules","line":6,"gid":1,"sid":12,"protocol":"dns","keyword":"protocol dns"}"#))
    }
}
