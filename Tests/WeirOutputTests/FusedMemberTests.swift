// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirOutput

/// The record writers that copy member names with their punctuation (`,"name":`) and the rule-constant
/// part of alert objects: exact bytes for every record kind, escaping of odd rule text, and the caches.
@Suite struct FusedMemberTests {
    func render(_ body: (JSONWriter) -> Void) -> String {
        let w = JSONWriter()
        body(w)
        return w.text
    }

    static func header(_ proto: UInt8) -> EVEHeader {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_042),
            flowID: 18_446_744_073_709_551_615,
            sourceIP: Records.ip("10.0.0.1"),
            sourcePort: 1,
            destinationIP: Records.ip("255.255.255.0"),
            destinationPort: 65535,
            ipProtocol: proto
        )
        header.pcapCount = 9_999_999_999
        header.packetSource = .ipv4Defrag
        return header
    }

    @Test func flowRecordEveryOptionalMember() {
        var record = EVEFlowRecord(
            header: Self.header(IPProtocol.tcp),
            start: Timestamp(microseconds: 1_699_999_999_999_999),
            end: Timestamp(microseconds: 1_700_000_001_000_000),
            state: .new,
            reason: .forced
        )
        record.header.inInterface = "eth\"0"
        record.appProto = "failed"
        record.appProtoToServer = "http"
        record.appProtoToClient = "tls"
        record.packetsToServer = 10
        record.packetsToClient = 0
        record.bytesToServer = 100
        record.bytesToClient = 1_000_000_000_000
        record.emergency = true
        record.action = .pass
        record.exceptionPolicies = [EVEExceptionPolicy(target: "stream_midstream", policy: "ignore")]
        record.tcp = EVETCPInfo(flags: 0xff, flagsToServer: 0x0f, flagsToClient: 0xf0, state: nil)
        let text = render { $0.writeFlowRecord(record) }
        let expected =
            #"{"timestamp":"2023-11-14T22:13:20.000042+0000","flow_id":18446744073709551615,"in_iface":"eth\"0","#
            + #""event_type":"flow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"255.255.255.0","dest_port":65535,"#
            + #""proto":"TCP","app_proto":"failed","app_proto_ts":"http","app_proto_tc":"tls","#
            + #""flow":{"pkts_toserver":10,"pkts_toclient":0,"bytes_toserver":100,"bytes_toclient":1000000000000,"#
            + #""start":"2023-11-14T22:13:19.999999+0000","end":"2023-11-14T22:13:21.000000+0000","age":2,"#
            + #""emergency":true,"state":"new","reason":"forced","alerted":false,"action":"pass","#
            + #""exception_policy":[{"target":"stream_midstream","policy":"ignore"}]},"#
            + #""tcp":{"tcp_flags":"ff","tcp_flags_ts":"0f","tcp_flags_tc":"f0","syn":true,"fin":true,"rst":true,"#
            + #""psh":true,"ack":true,"urg":true,"ecn":true,"cwr":true}}"#
        #expect(text == expected)
    }

    @Test func flowRecordMinimalOtherProtocol() {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 0), flowID: nil, sourceIP: Records.ip("::1"), sourcePort: nil,
            destinationIP: Records.ip("fe80::1"), destinationPort: nil, ipProtocol: 47)
        header.communityID = "1:abc="
        let record = EVEFlowRecord(
            header: header, start: Timestamp(microseconds: 0), end: Timestamp(microseconds: 0), state: .closed,
            reason: .shutdown)
        let text = render { $0.writeFlowRecord(record) }
        let expected =
            #"{"timestamp":"1970-01-01T00:00:00.000000+0000","event_type":"flow","#
            + #""src_ip":"0000:0000:0000:0000:0000:0000:0000:0001","dest_ip":"fe80:0000:0000:0000:0000:0000:0000:0001","#
            + #""proto":"GRE","community_id":"1:abc=","flow":{"pkts_toserver":0,"pkts_toclient":0,"#
            + #""bytes_toserver":0,"bytes_toclient":0,"start":"1970-01-01T00:00:00.000000+0000","#
            + #""end":"1970-01-01T00:00:00.000000+0000","age":0,"state":"closed","reason":"shutdown","alerted":false}}"#
        #expect(text == expected)
    }

    @Test func alertRecordWithTunnelAndICMP() {
        var header = Self.header(IPProtocol.icmp)
        header.sourcePort = nil
        header.destinationPort = nil
        header.icmpType = 8
        header.icmpCode = 0
        header.vlan = VLANTags([10, 20])
        header.flowVariablesJSON = Array(#"{"flowbits":["a"]}"#.utf8)
        var record = EVEAlertRecord(header: header, alert: Records.alert)
        record.tunnel = EVETunnel(
            sourceIP: Records.ip("1.2.3.4"), sourcePort: 4789, destinationIP: Records.ip("5.6.7.8"),
            destinationPort: 4789, ipProtocol: IPProtocol.udp, depth: 1, pcapCount: 5)
        record.direction = .toServer
        let text = render { $0.writeAlertRecord(record) }
        let expected =
            #"{"timestamp":"2023-11-14T22:13:20.000042+0000","flow_id":18446744073709551615,"pcap_cnt":9999999999,"#
            + #""event_type":"alert","vlan":[10,20],"src_ip":"10.0.0.1","dest_ip":"255.255.255.0","proto":"ICMP","#
            + #""icmp_type":8,"icmp_code":0,"pkt_src":"ipv4 defrag","metadata":{"flowbits":["a"]},"#
            + #""alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"#
            + #""signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","#
            + #""severity":2,"metadata":{"created_at":["2010_09_23"]}},"#
            + #""tunnel":{"src_ip":"1.2.3.4","src_port":4789,"dest_ip":"5.6.7.8","dest_port":4789,"proto":"UDP","#
            + #""depth":1,"pcap_cnt":5,"pkt_src":"wire/pcap"},"direction":"to_server"}"#
        #expect(text == expected)
    }

    @Test func dropRecordWithAlert() {
        var record = EVEDropRecord(header: Records.alertHeader, length: 60, tos: 0, ttl: 64, ipID: 7)
        var alert = Records.alert
        alert.action = .blocked
        alert.metadataJSON = nil
        record.alert = alert
        let text = render { $0.writeDropRecord(record) }
        #expect(
            text.hasSuffix(
                #""drop":{"len":60,"tos":0,"ttl":64,"ipid":7},"alert":{"action":"blocked","gid":1,"#
                    + #""signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root","#
                    + #""category":"Potentially Bad Traffic","severity":2}}"#))
        #expect(text.hasPrefix(#"{"timestamp":"2023-11-14T22:13:20.123456+0000","flow_id":42,"pcap_cnt":3,"#))
    }

    /// Rule text with every kind of byte JSON escapes, around runs of every copy length.
    static let oddSignatures: [(String, String)] = [
        ("\"", #"\""#),
        ("\\", #"\\"#),
        ("a\u{01}b\u{1f}", #"a\u0001b\u001f"#),
        ("tab\tnl\ncr\rbs\u{08}ff\u{0c}", #"tab\tnl\ncr\rbs\bff\f"#),
        ("caf\u{e9} \u{1F600} \u{4E2D}", "caf\u{e9} \u{1F600} \u{4E2D}"),
        (
            "0123456789abcdef0123456789abcdef\"0123456789abcdef01\\x",
            #"0123456789abcdef0123456789abcdef\"0123456789abcdef01\\x"#
        ),
        (String(repeating: "long ", count: 40) + "\"end", String(repeating: "long ", count: 40) + #"\"end"#),
        ("", ""),
    ]

    @Test(arguments: oddSignatures)
    func oddSignatureText(raw: String, escaped: String) {
        var alert = Records.alert
        alert.signature = raw
        alert.category = raw
        alert.metadataJSON = nil
        let text = render { w in
            // Twice through one writer: the second copy comes from the rule cache.
            w.writeAlertRecord(EVEAlertRecord(header: Records.alertHeader, alert: alert))
            w.endLine()
            w.writeAlertRecord(EVEAlertRecord(header: Records.alertHeader, alert: alert))
        }
        let object =
            #""alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":""# + escaped
            + #"","category":""# + escaped + #"","severity":2}}"#
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasSuffix(object) })
        #expect(lines[0] == lines[1])
    }

    @Test func ruleCacheFollowsEveryInput() {
        let w = JSONWriter()
        var alert = Records.alert
        alert.metadataJSON = nil
        func alertObject() -> String {
            w.reset()
            w.writeAlertRecord(EVEAlertRecord(header: Records.alertHeader, alert: alert))
            let text = w.text
            return String(text[text.range(of: #""alert":"#)!.lowerBound...])
        }
        let first = alertObject()
        #expect(first.contains(#""rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root""#))
        alert.rev = 8
        #expect(alertObject().contains(#""rev":8,"#))
        alert.signature = "changed"
        #expect(alertObject().contains(#""signature":"changed","#))
        alert.category = "cat"
        #expect(alertObject().contains(#""category":"cat","#))
        alert.severity = 1
        #expect(alertObject().contains(#""severity":1}"#))
        alert.gid = 3
        #expect(alertObject().contains(#""gid":3,"#))
        alert.metadataJSON = Array(#"{"k":["v"]}"#.utf8)
        #expect(alertObject().hasSuffix(#""severity":1,"metadata":{"k":["v"]}}}"#))
        alert.action = .blocked
        #expect(alertObject().contains(#""action":"blocked","gid":3,"#))
        // Another sid in the same slot (256 apart) and back again.
        let other = alert.signatureID
        alert.signatureID = other + 256
        alert.signature = "other rule"
        #expect(alertObject().contains(#""signature_id":2100754,"rev":8,"signature":"other rule","#))
        alert.signatureID = other
        alert.signature = "changed"
        #expect(alertObject().contains(#""signature_id":2100498,"rev":8,"signature":"changed","#))
    }

    /// Every digit count's edges, against the standard library's text.
    static let numbers: [UInt64] = {
        var values: [UInt64] = [0, 1, 9, UInt64.max, UInt64.max - 1]
        var power: UInt64 = 10
        for _ in 1...19 {
            values += [power - 1, power, power + 1]
            if power > UInt64.max / 10 { break }
            power *= 10
        }
        return values
    }()

    @Test func numbersOfEveryLength() {
        for value in Self.numbers {
            #expect(render { $0.unsigned(value) } == String(value))
            #expect(render { $0.member("\"n\":", value) } == "\"n\":" + String(value))
            #expect(JSONWriter.decimalDigitCount(value) == String(value).count)
        }
    }

    @Test func memberNamesAreChecked() {
        #expect(JSONWriter.isMemberName(",\"flow_id\":"))
        #expect(JSONWriter.isMemberName("\"timestamp\":"))
        #expect(!JSONWriter.isMemberName("flow_id"))
        #expect(!JSONWriter.isMemberName("\"flow_id\""))
        #expect(JSONWriter.isMemberName(",\"flow\":{\"pkts_toserver\":"))
        #expect(!JSONWriter.isMemberName(",\"a\\b\":"))
        #expect(!JSONWriter.isMemberName(",\"tab\t\":"))
    }

    @Test func timestampsPastTheCacheRange() {
        // Year 10000 does not fit the cached 19 bytes; an out-of-range microsecond part takes the slow path too.
        #expect(
            render { $0.timestamp(Timestamp(microseconds: 253_402_300_800_000_001)) }
                == #""10000-01-01T00:00:00.000001+0000""#)
        #expect(
            render { $0.timestamp(Timestamp(microseconds: -1)) } == #""1969-12-31T23:59:59.999999+0000""#)
        // Slots 6 and 15 shared by alternating seconds: every text still matches its own second.
        let w = JSONWriter()
        for seconds: Int64 in [1_700_000_006, 1_700_000_022, 1_700_000_006, 1_700_000_022] {
            w.reset()
            w.timestamp(Timestamp(microseconds: seconds * 1_000_000))
            let expected = seconds == 1_700_000_006 ? "22:13:26" : "22:13:42"
            #expect(w.text == "\"2023-11-14T" + expected + ".000000+0000\"")
        }
    }

    @Test func byteStringsAfterLongASCIIRuns() {
        let valid = Array("abcdefghijklmnop\u{e9}".utf8)
        #expect(render { w in valid.withUnsafeBytes { w.string(bytes: $0) } } == "\"abcdefghijklmnop\u{e9}\"")
        let invalid = Array("abcdefghijklmnop".utf8) + [0xff, 0x41]
        #expect(render { w in invalid.withUnsafeBytes { w.string(bytes: $0) } } == #""abcdefghijklmnop\\xffA""#)
    }

    @Test func fastLogNumbers() {
        var header = Records.alertHeader
        header.timestamp = Timestamp(microseconds: 1_700_000_000_000_007)
        var alert = Records.alert
        alert.severity = 4_294_967_295
        alert.signatureID = 10
        let line = FastLogFormatter.line(header: header, alert: alert)
        #expect(
            line
                == "11/14/2023-22:13:20.000007  [**] [1:10:7] GPL ATTACK_RESPONSE id check returned root [**] "
                + "[Classification: Potentially Bad Traffic] [Priority: 4294967295] {TCP} 10.1.1.1:80 -> "
                + "192.168.1.10:40000\n")
        header.timestamp = Timestamp(microseconds: 253_402_300_800_123_456)
        #expect(FastLogFormatter.line(header: header, alert: alert).hasPrefix("01/01/10000-00:00:00.123456  [**]"))
    }

    @Test func fastLogOtherProtocolAndIPv6() {
        let header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000), flowID: nil, sourceIP: Records.ip("2001:db8::1"),
            sourcePort: nil, destinationIP: Records.ip("10.0.0.2"), destinationPort: nil, ipProtocol: IPProtocol.gre)
        var alert = Records.alert
        alert.signature = "sig \u{e9}\u{1F600}"
        alert.category = ""
        let line = FastLogFormatter.line(header: header, alert: alert, marker: .wouldDrop)
        #expect(
            line
                == "11/14/2023-22:13:20.000000  [wDrop] [**] [1:2100498:7] sig \u{e9}\u{1F600} [**] [Classification: ] "
                + "[Priority: 2] {GRE} 2001:0db8:0000:0000:0000:0000:0000:0001:0 -> 10.0.0.2:0\n")
    }

    /// The room a line asks for holds the longest one: full-length IPv6 addresses, a year past 9999, every
    /// number at its widest, a protocol without a literal name and multi-byte rule text.
    @Test func fastLogLinesFitTheirBound() {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 253_402_300_800_999_999), flowID: nil,
            sourceIP: Records.ip("1111:2222:3333:4444:5555:6666:7777:8888"), sourcePort: 65535,
            destinationIP: Records.ip("ffff:eeee:dddd:cccc:bbbb:aaaa:9999:abcd"), destinationPort: 65535,
            ipProtocol: 253)
        var alert = Records.alert
        alert.gid = .max
        alert.signatureID = .max
        alert.rev = .max
        alert.severity = .max
        alert.signature = String(repeating: "\u{1F600}", count: 40)
        alert.category = String(repeating: "c", count: 300)
        for marker in [FastLogFormatter.DropMarker.none, .dropped, .wouldDrop] {
            let bound = FastLogFormatter.lineBound(header: header, alert: alert)
            var out = [UInt8](repeating: 0, count: bound)
            let used = out.withUnsafeMutableBufferPointer {
                FastLogFormatter.write(
                    header: header, alert: alert, marker: marker, at: $0.baseAddress!, time: FastLogFormatter.SecondsText())
            }
            #expect(used <= bound)
            let line = String(decoding: out[0..<used], as: UTF8.self)
            #expect(line.hasPrefix("01/01/10000-00:00:00.999999  ["))
            #expect(line.contains("[**] [4294967295:4294967295:4294967295] "))
            #expect(line.hasSuffix(" 1111:2222:3333:4444:5555:6666:7777:8888:65535 -> ffff:eeee:dddd:cccc:bbbb:aaaa:9999:abcd:65535\n"))
        }
        header.sourcePort = nil
        header.icmpType = 255
        #expect(FastLogFormatter.line(header: header, alert: alert).contains("1111:2222:3333:4444:5555:6666:7777:8888:255 -> "))
    }

    /// Dotted quads by table: every octet value in every position, against the address's own text, and the
    /// stores stay inside the room the writer reserves.
    @Test func ipv4TextByTable() {
        var room = [UInt8](repeating: 0xee, count: IPv4Text.room + 8)
        for octet in 0..<256 {
            for shift in [UInt32(24), 16, 8, 0] {
                let value = (UInt32(octet) << shift) | (shift == 0 ? 0x0a00_0000 : 0x0000_0009)
                let length = room.withUnsafeMutableBufferPointer { buffer in
                    IPv4Text.write(value, at: buffer.baseAddress!, table: IPv4Text.table) - buffer.baseAddress!
                }
                #expect(String(decoding: room[0..<length], as: UTF8.self) == IPAddress(v4: value).description)
                #expect(room[IPv4Text.room...].allSatisfy { $0 == 0xee })
            }
        }
        #expect(render { w in w.ipAddress(IPAddress(v4: 0xffff_ffff)) } == "\"255.255.255.255\"")
        #expect(render { w in w.ipAddress(IPAddress(v4: 0)) } == "\"0.0.0.0\"")
    }

    /// fast.log's cached date and time text: reused within a second, redone when the second changes (also
    /// backwards), and never kept for a year past 9999, whose text is longer.
    @Test func fastLogTimeTextFollowsTheSecond() {
        var header = Records.alertHeader
        let alert = Records.alert
        let time = FastLogFormatter.SecondsText()
        func line(_ micros: Int64) -> String {
            header.timestamp = Timestamp(microseconds: micros)
            var out = [UInt8](repeating: 0, count: FastLogFormatter.lineBound(header: header, alert: alert))
            let used = out.withUnsafeMutableBufferPointer {
                FastLogFormatter.write(header: header, alert: alert, at: $0.baseAddress!, time: time)
            }
            // The date, the time and the microseconds: the first 26 bytes of a line before year 10000.
            return String(decoding: out[0..<min(used, 26)], as: UTF8.self)
        }
        #expect(line(1_700_000_000_000_007) == "11/14/2023-22:13:20.000007")
        #expect(line(1_700_000_000_999_999) == "11/14/2023-22:13:20.999999")
        #expect(line(1_700_000_001_000_000) == "11/14/2023-22:13:21.000000")
        #expect(line(1_699_999_999_500_000) == "11/14/2023-22:13:19.500000")
        #expect(line(253_402_300_800_000_001).hasPrefix("01/01/10000-00:00:00.0000"))
        #expect(line(253_402_300_800_000_002).hasPrefix("01/01/10000-00:00:00.0000"))
        #expect(line(1_699_999_999_000_001) == "11/14/2023-22:13:19.000001")
    }

    /// Each TCP state's literal member is its raw value, the text Suricata prints.
    @Test func tcpStateLiteralsMatchTheirNames() {
        for state in EVETCPState.allCases {
            #expect(render { w in
                w.beginObject()
                w.field("a", UInt64(1))
                w.tcpStateMember(state)
                w.endObject()
            } == #"{"a":1,"state":""# + state.rawValue + #""}"#)
        }
    }
}
