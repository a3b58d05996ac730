// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

/// Inert rules: they load, but wait for a parser, buffer or keyword the engine cannot serve, so they are counted
/// apart from the rules that can alert.
@Suite struct RuleReadinessTests {
    /// Nine rules: three packet/stream rules and three HTTP rules that can alert, three that wait for a parser
    /// (as of this engine: HTTP, TLS, SSH and DNS are parsed; SMB, SMTP and FTP are not).
    static let fixture = """
        alert tcp any any -> any 80 (msg:"raw content"; content:"GET /"; sid:1;)
        alert udp any any -> any any (msg:"dsize"; dsize:>100; sid:2;)
        alert ip any any -> any any (msg:"negated app proto"; app-layer-protocol:!http; sid:3;)
        alert http any any -> any any (msg:"http header"; flow:established,to_server; http.uri; content:"/x"; sid:10;)
        alert http any any -> any any (msg:"http plain"; content:"abc"; sid:11;)
        alert smb any any -> any any (msg:"smb"; content:"evil"; sid:12;)
        alert tcp any any -> any any (msg:"legacy uri"; content:"/etc/passwd"; http_uri; sid:13;)
        alert tcp any any -> any any (msg:"smtp subject buffer"; email.subject; content:"x.example"; sid:14;)
        alert tcp any any -> any any (msg:"needs ftp"; app-layer-protocol:ftp; sid:15;)
        """

    func readiness() -> RuleReadiness {
        let set = RuleFileLoader().load(text: Self.fixture, file: "fixture.rules")
        #expect(set.errors.isEmpty, "\(set.errors)")
        return RuleReadiness(set)
    }

    @Test func countsActiveAndInertByProtocolAndKeyword() {
        let r = self.readiness()
        #expect(r.total == 9)
        #expect(r.active == 6)
        #expect(r.inert.count == 3)
        let byProtocol = Dictionary(uniqueKeysWithValues: r.inertByProtocol.map { ($0.name, $0.count) })
        #expect(byProtocol == ["smb": 1, "smtp": 1, "ftp": 1])
        let byKeyword = Dictionary(uniqueKeysWithValues: r.inertByKeyword.map { ($0.name, $0.count) })
        #expect(byKeyword == ["protocol smb": 1, "email.subject": 1, "app-layer-protocol": 1])
        #expect(r.summary() == "9 rules: 6 active, 3 inert (ftp 1, smb 1, smtp 1)")
        #expect(Set(r.inert.map(\.sid)) == [12, 14, 15])
        #expect(r.inert.first { $0.sid == 14 }?.line == 8)
    }

    @Test func engineRefusedRulesAreNotCounted() {
        let set = RuleFileLoader().load(text: Self.fixture, file: "fixture.rules")
        let r = RuleReadiness(set, excluding: [RuleKey(gid: 1, sid: 1), RuleKey(gid: 1, sid: 12)])
        #expect(r.active == 5 && r.inert.count == 2)
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
        #expect(r.summary(limit: 2) == "28 rules: 13 active, 15 inert (smb 6, ftp 5, …)")
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

    /// The six packet-header buffers the engine slices from the frame are served; the header buffers it does not
    /// build (IGMP, SCTP, Ethernet) still make a rule inert.
    @Test func packetHeaderBuffersAreServed() {
        let text = """
            alert tcp any any -> any any (tcp.hdr; content:"|02 04|"; offset:20; sid:1;)
            alert ip any any -> any any (ipv4.hdr; content:"|45|"; depth:1; sid:2;)
            alert ip any any -> any any (ipv6.hdr; bsize:40; sid:3;)
            alert udp any any -> any any (udp.hdr; content:"|00 35|"; offset:2; depth:2; sid:4;)
            alert icmp any any -> any any (icmpv4.hdr; content:"|08|"; depth:1; sid:5;)
            alert ip any any -> any any (icmpv6.hdr; content:"|80|"; depth:1; sid:6;)
            alert ip any any -> any any (igmp.hdr; content:"|11|"; depth:1; sid:7;)
            alert sctp any any -> any any (sctp.hdr; content:"|00|"; sid:8;)
            alert ip any any -> any any (ether.hdr; content:"|08 00|"; offset:12; sid:9;)
            """
        let set = RuleFileLoader().load(text: text, file: "hdr.rules")
        #expect(set.errors.isEmpty, "\(set.errors)")
        let r = RuleReadiness(set)
        #expect(r.active == 6)
        #expect(Set(r.inert.map(\.sid)) == [7, 8, 9])
        #expect(r.inert.allSatisfy { $0.reason.appProtocol == "packet headers" })
        for header in PacketHeaderBuffer.allCases {
            #expect(KeywordRegistry.engineMatched.contains(header.name))
            #expect(KeywordRegistry.all.first { $0.name == header.name }?.isMatched == true)
        }
        for name in ["igmp.hdr", "sctp.hdr", "ether.hdr"] {
            #expect(PacketHeaderBuffer(name: name) == nil)
            #expect(!KeywordRegistry.engineMatched.contains(name))
        }
    }

    @Test func checkReportShowsInertCounts() {
        let set = RuleFileLoader().load(text: Self.fixture, file: "fixture.rules")
        let text = RuleCheckReport.text(set, files: 1)
        #expect(text.contains("  active (can alert): 6"))
        #expect(text.contains("summary: 9 rules: 6 active, 3 inert (ftp 1, smb 1, smtp 1)"))
        let json = RuleCheckReport.json(set, files: 1)
        #expect(json.contains(#""active":6,"inert":3,"inert_by_protocol":{"ftp":1,"smb":1,"smtp":1}"#))
        #expect(json.contains(#"{"file":"fixture.rules","line":6,"gid":1,"sid":12,"protocol":"smb","keyword":"protocol smb"}"#))
    }
}
