// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirDetect

@Suite struct RuleHeaderTests {
    let parser = RuleParser()

    func parse(_ header: String, options: String = "sid:1;") throws -> Rule {
        try self.parser.parse("\(header) (\(options))")
    }

    @Test(arguments: ["alert", "drop", "pass", "reject", "rejectsrc", "rejectdst", "rejectboth"])
    func actions(_ action: String) throws {
        let rule = try self.parse("\(action) tcp any any -> any any")
        #expect(rule.action.kind.rawValue == action)
        #expect(!rule.action.isFirewallOnly)
        #expect(rule.unsupportedKeywords.isEmpty)
    }

    @Test func firewallActionsParseButAreUnsupported() throws {
        let rule = try self.parse("accept:hook tls:client_hello_done any any -> any any")
        #expect(rule.action.kind == .accept)
        #expect(rule.action.scope == "hook")
        #expect(rule.proto == RuleProtocol(name: "tls", hook: "client_hello_done"))
        #expect(rule.unsupportedKeywords == ["action accept:hook", "protocol hook"])
    }

    @Test(arguments: [
        ("TCP", "tcp"), ("Http", "http"), ("tcp-pkt", "tcp-pkt"), ("tcp-stream", "tcp-stream"), ("pkthdr", "pkthdr"),
        ("icmpv6", "icmpv6"), ("ftp-data", "ftp-data"), ("bittorrent-dht", "bittorrent-dht"), ("http2", "http2"),
        ("DNS", "dns"), ("ike", "ike"), ("krb5", "krb5"),
    ])
    func protocolsAreCaseInsensitive(_ written: String, _ expected: String) throws {
        #expect(try self.parse("alert \(written) any any -> any any").proto.name == expected)
    }

    @Test func unknownProtocolIsAnErrorAtItsColumn() {
        #expect(throws: RuleParseError(offset: 6, reason: "unknown protocol 'tcpx'")) {
            try self.parse("alert tcpx any any -> any any")
        }
    }

    @Test(arguments: [("->", RuleDirection.toDestination), ("<>", .both), ("=>", .transactional)])
    func directions(_ arrow: String, _ direction: RuleDirection) throws {
        #expect(try self.parse("alert tcp any any \(arrow) any any").direction == direction)
    }

    @Test func badDirection() {
        #expect(throws: RuleParseError(offset: 18, reason: "invalid direction '<-', expected '->' or '<>'")) {
            try self.parse("alert tcp any any <- any any")
        }
    }

    @Test func addressForms() throws {
        let rule = try self.parse(
            "alert ip [10.0.0.0/8,!10.1.0.0/16,[192.168.1.1,$HOME_NET]] any -> 2001:db8::/32 any"
        )
        let v4 = { (text: String) in IPAddress(text)! }
        #expect(
            rule.source
                == .list([
                    .cidr(v4("10.0.0.0"), prefixLength: 8), .negated(.cidr(v4("10.1.0.0"), prefixLength: 16)),
                    .list([.cidr(v4("192.168.1.1"), prefixLength: 32), .variable("HOME_NET")]),
                ])
        )
        #expect(rule.destination == .cidr(IPAddress("2001:db8::")!, prefixLength: 32))
    }

    @Test func addressRangeAndUnbracketedList() throws {
        let rule = try self.parse("alert ip 1.2.3.4-1.2.3.9,5.6.7.8 any -> any any")
        #expect(
            rule.source
                == .list([
                    .range(IPAddress("1.2.3.4")!, IPAddress("1.2.3.9")!),
                    .cidr(IPAddress("5.6.7.8")!, prefixLength: 32),
                ])
        )
    }

    @Test(arguments: [
        ("1.2.3.256", "invalid address '1.2.3.256'", 9),
        ("[1.2.3.4", "unclosed '[' in rule header", 9),
        ("1.2.3.4/33", "invalid prefix length in '1.2.3.4/33'", 9),
        ("[1.2.3.4,]", "empty element in address", 18),
        ("1.2.3.9-1.2.3.4", "address range '1.2.3.9-1.2.3.4' is reversed", 9),
    ])
    func badAddresses(_ text: String, _ reason: String, _ offset: Int) {
        #expect(throws: RuleParseError(offset: offset, reason: reason)) {
            try self.parse("alert ip \(text) any -> any any")
        }
    }

    @Test func portForms() throws {
        let rule = try self.parse("alert tcp any [80,1024:,:100,8000:8080,!8081,$HTTP_PORTS] -> any !22")
        #expect(
            rule.sourcePorts
                == .list([
                    .range(80, 80), .range(1024, 65535), .range(0, 100), .range(8000, 8080),
                    .negated(.range(8081, 8081)),
                    .variable("HTTP_PORTS"),
                ])
        )
        #expect(rule.destinationPorts == .negated(.range(22, 22)))
    }

    @Test(arguments: [
        ("65536", "invalid port '65536'"), ("90:80", "port range '90:80' is reversed"), ("http", "invalid port 'http'"),
        (":", "invalid port range ':'"),
    ])
    func badPorts(_ text: String, _ reason: String) {
        #expect(throws: RuleParseError(offset: 14, reason: reason)) {
            try self.parse("alert tcp any \(text) -> any any")
        }
    }

    @Test func missingHeaderFields() {
        #expect(throws: RuleParseError(offset: 25, reason: "rule header is missing the destination port")) {
            try self.parser.parse("alert tcp any any -> any (sid:1;)")
        }
    }

    @Test func resolveHomeAndExternalNet() throws {
        let variables = RuleVariables.suricataDefaults
        let home = try AddressSpec.variable("HOME_NET").resolve(in: variables)
        let external = try AddressSpec.variable("EXTERNAL_NET").resolve(in: variables)
        #expect(home.contains(IPAddress("192.168.4.5")!))
        #expect(!home.contains(IPAddress("8.8.8.8")!))
        #expect(external.contains(IPAddress("8.8.8.8")!))
        #expect(external.contains(IPAddress("2001:db8::1")!))
        #expect(!external.contains(IPAddress("10.9.9.9")!))
        #expect(!external.contains(IPAddress("172.16.0.1")!))
        #expect(external.contains(IPAddress("172.32.0.1")!))
    }

    @Test func resolveListWithExclusions() throws {
        let spec = try AddressSpec.parse("[10.0.0.0/8,!10.0.0.5,!10.255.0.0/16]", offset: 0)
        let set = try spec.resolve(in: RuleVariables())
        #expect(set.contains(IPAddress("10.0.0.4")!))
        #expect(!set.contains(IPAddress("10.0.0.5")!))
        #expect(set.contains(IPAddress("10.0.0.6")!))
        #expect(!set.contains(IPAddress("10.255.3.3")!))
        #expect(set.ranges.count == 2)  // 10.255.0.0/16 is the tail of 10.0.0.0/8
        let negOnly = try AddressSpec.parse("[!1.2.3.4]", offset: 0).resolve(in: RuleVariables())
        #expect(negOnly.contains(IPAddress("1.2.3.5")!))
        #expect(!negOnly.contains(IPAddress("1.2.3.4")!))
        let v6 = try AddressSpec.parse("[::/0,!fe80::/10]", offset: 0).resolve(in: RuleVariables())
        #expect(v6.contains(IPAddress("2001::1")!))
        #expect(!v6.contains(IPAddress("fe80::1")!))
        #expect(!v6.contains(IPAddress("1.2.3.4")!))
    }

    @Test func resolveErrors() throws {
        #expect(throws: RuleParseError(offset: 0, reason: "address variable $NOPE is not defined")) {
            try AddressSpec.variable("NOPE").resolve(in: .suricataDefaults)
        }
        #expect(throws: RuleParseError(offset: 0, reason: "address '!any' matches no address")) {
            try AddressSpec.negated(.any).resolve(in: .suricataDefaults)
        }
        let loop = RuleVariables(addresses: ["A": "$B", "B": "$A"])
        #expect(throws: RuleParseError(offset: 0, reason: "address variables nest too deeply")) {
            try AddressSpec.variable("A").resolve(in: loop)
        }
    }

    @Test func resolvePorts() throws {
        let set = try PortSpec.parse("[1:1000,!80,!443]", offset: 0).resolve(in: .suricataDefaults)
        #expect(set.contains(79) && !set.contains(80) && set.contains(81) && !set.contains(443) && !set.contains(1001))
        let shellcode = try PortSpec.variable("SHELLCODE_PORTS").resolve(in: .suricataDefaults)
        #expect(!shellcode.contains(80) && shellcode.contains(81) && shellcode.contains(0))
        let file = try PortSpec.variable("FILE_DATA_PORTS").resolve(in: .suricataDefaults)
        #expect(file.ranges == [80...80, 110...110, 143...143])
        #expect(throws: RuleParseError(offset: 0, reason: "port '[80,!80]' matches no port")) {
            try PortSpec.parse("[80,!80]", offset: 0).resolve(in: .suricataDefaults)
        }
    }

    @Test func headerResolutionErrorPointsAtTheField() {
        let set = RuleFileLoader().load(text: "alert tcp $NOPE any -> any any (sid:1;)\n", file: "t.rules")
        #expect(set.errors.count == 1)
        #expect(set.errors.first?.line == 1)
        #expect(set.errors.first?.column == 11)
        #expect(set.errors.first?.reason == "address variable $NOPE is not defined")
    }
}
