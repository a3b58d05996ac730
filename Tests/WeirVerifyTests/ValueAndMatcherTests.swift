// SPDX-License-Identifier: MIT
import Testing

@testable import WeirVerify

@Suite struct ValueTests {
    @Test func jsonKeepsIntegersFloatsAndStringsApart() throws {
        let v = try JSONReader.parse(
            #"{"a": 1, "b": 1.5, "c": "1", "d": true, "e": null, "f": [1, {"g": "x\u00e9\n"}]}"#)
        #expect(v["a"] == .int(1))
        #expect(v["b"] == .double(1.5))
        #expect(v["c"] == .string("1"))
        #expect(v["d"] == .bool(true))
        #expect(v["e"] == .null)
        #expect(v["f"] == .array([.int(1), .object([("g", .string("xé\n"))])]))
        #expect(v.members.map(\.key) == ["a", "b", "c", "d", "e", "f"])
    }

    @Test(arguments: ["{", #"{"a" 1}"#, "[1,]x", #""abc"#, "{} {}", "-"])
    func jsonRejectsBrokenText(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(text) }
    }

    @Test func pythonEquality() {
        #expect(Value.int(1) == .double(1.0))
        #expect(Value.bool(true) == .int(1))
        #expect(Value.int(1) != .string("1"))
        #expect(Value.string("a") != .null)
        #expect(Value.object([("a", .int(1)), ("b", .int(2))]) == .object([("b", .int(2)), ("a", .int(1))]))
        #expect(Value.array([.int(1)]) != .array([.int(1), .int(2)]))
    }

    @Test func yamlScalarsAreTypedAsPyYAMLDoes() throws {
        let v = try Value.parseYAML("a: 1\nb: \"1\"\nc: 1.0\nd: true\ne: ~\nf: 10.0.0.1\ng: [1, x]\n", file: "t")
        #expect(v["a"] == .int(1))
        #expect(v["b"] == .string("1"))
        #expect(v["c"] == .double(1))
        #expect(v["d"] == .bool(true))
        #expect(v["e"] == .null)
        #expect(v["f"] == .string("10.0.0.1"))
        #expect(v["g"] == .array([.int(1), .string("x")]))
    }
}

@Suite struct FieldMatcherTests {
    let record = try! JSONReader.parse(
        #"{"event_type":"alert","pcap_cnt":7,"vlan":[200,300],"src_ip":"2001:db8::1","alert":{"signature_id":5,"#
            + #""signature":"GPL ATTACK_RESPONSE id check","metadata":{"tag":["a","b"]}},"flow":{"bytes":1.5},"nothing":null}"#
    )

    func matches(_ key: String, _ expected: Value) -> Bool {
        FieldMatcher.entryMatches(key: key, expected: expected, self.record)
    }

    @Test func dottedPathsAndIndices() {
        #expect(self.matches("alert.signature_id", .int(5)))
        #expect(!self.matches("alert.signature_id", .int(6)))
        #expect(self.matches("vlan[1]", .int(300)))
        #expect(!self.matches("vlan[2]", .int(300)))
        #expect(self.matches("alert.metadata.tag[0]", .string("a")))
        #expect(self.matches("vlan", .array([.int(200), .int(300)])))
        #expect(self.matches("missing.path", .null))
    }

    @Test func strictTypes() {
        #expect(!self.matches("alert.signature_id", .string("5")))
        #expect(!self.matches("pcap_cnt", .string("7")))
        #expect(self.matches("pcap_cnt", .double(7.0)))
    }

    @Test func suffixes() {
        #expect(self.matches("vlan.__len", .int(2)))
        #expect(self.matches("alert.signature.__len", .int(28)))
        #expect(self.matches("pcap_cnt.__len", .int(-1)))
        #expect(self.matches("alert.signature.__contains", .string("ATTACK")))
        #expect(!self.matches("alert.signature.__contains", .string("attack")))
        #expect(self.matches("vlan.__contains", .int(300)))
        #expect(!self.matches("vlan.__contains", .string("300")))
        #expect(self.matches("alert.signature.__find", .string("id check")))
        #expect(self.matches("src_ip.__startswith", .string("2001:db8:")))
        #expect(!self.matches("src_ip.__startswith", .string("10.")))
        #expect(self.matches("alert.signature.__endswith", .string("check")))
        #expect(!self.matches("pcap_cnt.__startswith", .string("7")))
        #expect(self.matches("pcap_cnt.__gt", .int(6)))
        #expect(!self.matches("pcap_cnt.__gt", .int(7)))
        #expect(self.matches("pcap_cnt.__gte", .int(7)))
        #expect(self.matches("pcap_cnt.__lt", .double(7.5)))
        #expect(self.matches("pcap_cnt.__lte", .int(7)))
        #expect(!self.matches("pcap_cnt.__lte", .string("9")))
        #expect(self.matches("flow.bytes.__gt", .int(1)))
        #expect(self.matches("vlan.__len.__gt", .int(1)))
    }

    @Test func hasKeyTreatsNullAsAbsent() {
        #expect(self.matches("has-key", .string("alert.metadata")))
        #expect(!self.matches("has-key", .string("alert.engine")))
        #expect(self.matches("not-has-key", .string("alert.engine")))
        #expect(self.matches("not-has-key", .string("nothing")))
        #expect(self.matches("has-key", .array([.string("vlan"), .string("flow.bytes")])))
        #expect(!self.matches("has-key", .array([.string("vlan"), .string("flow.pkts")])))
    }
}

@Suite struct VersionTests {
    @Test func parsesAndCompares() throws {
        let v = try #require(SuricataVersion("7.0.12"))
        #expect(v == SuricataVersion(major: 7, minor: 0, patch: 12))
        #expect(SuricataVersion("9.0.0-dev") == SuricataVersion(major: 9, minor: 0, patch: 0))
        #expect(SuricataVersion("8") == SuricataVersion(major: 8, minor: nil, patch: nil))
        #expect(SuricataVersion("x") == nil)
        let weir = SuricataVersion.weirDefault
        #expect(weir.isAtLeast(try #require(SuricataVersion("7"))))
        #expect(weir.isAtLeast(try #require(SuricataVersion("8.0.6"))))
        #expect(!weir.isAtLeast(try #require(SuricataVersion("8.0.7"))))
        #expect(weir.isBelow(try #require(SuricataVersion("9"))))
        #expect(!weir.isBelow(try #require(SuricataVersion("8"))))
        #expect(weir.matches(try #require(SuricataVersion("8"))))
        #expect(!weir.matches(try #require(SuricataVersion("7"))))
    }

    @Test func requirements() throws {
        let caps = Capabilities()
        let yaml = { (text: String) throws -> Value in try Value.parseYAML(text, file: "t") }
        #expect(caps.unmetRequirement(try yaml("min-version: 7.0.0"), directory: "/") == nil)
        #expect(caps.unmetRequirement(try yaml("min-version: 9"), directory: "/") == "requires at least version 9")
        #expect(caps.unmetRequirement(try yaml("lt-version: 8"), directory: "/") != nil)
        #expect(caps.unmetRequirement(try yaml("features: [HAVE_LUA]"), directory: "/")?.contains("HAVE_LUA") == true)
        #expect(caps.unmetRequirement(try yaml("files: [no-such-file]"), directory: "/") != nil)
        #expect(caps.unmetRequirement(try yaml("script: [true]"), directory: "/") != nil)
        #expect(caps.unmetRequirement(try yaml("pcap: false\nos: linux"), directory: "/") == nil)
        var nine = Capabilities()
        nine.version = try #require(SuricataVersion("9.0.0"))
        #expect(nine.unmetRequirement(try yaml("min-version: 9"), directory: "/") == nil)
    }
}
