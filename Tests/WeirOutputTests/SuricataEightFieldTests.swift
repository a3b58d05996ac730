// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirCore

@testable import WeirOutput

/// Header and packet fields as Suricata 8 prints them: `ip_v` (after `proto` in packet and transaction records,
/// before it in flow records), `packet_info.linktype_name`, and IPv6 addresses uncompressed.
@Suite struct SuricataEightFieldTests {
    static func header(_ source: String, _ destination: String, version: UInt8) -> EVEHeader {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000), flowID: 7, sourceIP: Records.ip(source),
            sourcePort: 1234, destinationIP: Records.ip(destination), destinationPort: 80, ipProtocol: IPProtocol.tcp)
        header.ipVersion = version
        return header
    }

    func render(_ body: (JSONWriter) -> Void) -> String {
        let w = JSONWriter()
        body(w)
        return w.text
    }

    @Test func packetRecordsPutTheIPVersionAfterProto() {
        var header = Self.header("10.0.0.1", "10.0.0.2", version: 4)
        header.pcapCount = 3
        header.packetSource = .wire
        let text = render { $0.writeHeader(header, eventName: "http") }
        #expect(text.contains(#""dest_port":80,"proto":"TCP","ip_v":4,"pkt_src":"wire/pcap""#), "\(text)")
    }

    @Test func flowRecordsPutTheIPVersionBeforeProto() {
        let record = EVEFlowRecord(
            header: Self.header("2001:db8::1", "2001:db8::2", version: 6), start: Timestamp(microseconds: 0),
            end: Timestamp(microseconds: 0), state: .closed, reason: .timeout)
        let text = render { $0.writeFlowRecord(record) }
        #expect(text.contains(#""dest_port":80,"ip_v":6,"proto":"TCP","#), "\(text)")
        #expect(text.contains(#""src_ip":"2001:0db8:0000:0000:0000:0000:0000:0001""#), "\(text)")
    }

    /// Suricata 8's stream and transaction facts in flow records: `flow.tx_cnt` (not when 0) and in `tcp`,
    /// after the state, `tc_gap` / `ts_gap` (only when true) and both `*_max_regions` (with a session).
    @Test func flowRecordsCarryTheTransactionCountGapsAndRegions() {
        var record = EVEFlowRecord(
            header: Self.header("10.0.0.1", "10.0.0.2", version: 4), start: Timestamp(microseconds: 0),
            end: Timestamp(microseconds: 0), state: .established, reason: .shutdown)
        var tcp = EVETCPInfo(flags: 0x1b, flagsToServer: 0x1b, flagsToClient: 0x1b, state: .established)
        tcp.gapToClient = true
        tcp.maxRegionsToServer = 1
        tcp.maxRegionsToClient = 2
        record.tcp = tcp
        record.transactionCount = 3
        let text = render { $0.writeFlowRecord(record) }
        #expect(text.contains(#""alerted":false,"tx_cnt":3},"tcp":{"#), "\(text)")
        let tail = #""state":"established","tc_gap":true,"ts_max_regions":1,"tc_max_regions":2}}"#
        #expect(text.hasSuffix(tail), "\(text)")
        record.transactionCount = 0
        record.tcp?.gapToClient = false
        record.tcp?.maxRegionsToServer = nil
        record.tcp?.maxRegionsToClient = nil
        let plain = render { $0.writeFlowRecord(record) }
        #expect(!plain.contains("tx_cnt") && !plain.contains("_gap") && !plain.contains("max_regions"), "\(plain)")
    }

    @Test func noIPLayerNoIPVersion() {
        let text = render { $0.writeHeader(Self.header("10.0.0.1", "10.0.0.2", version: 0), eventName: "anomaly") }
        #expect(!text.contains("ip_v"), "\(text)")
    }

    @Test(arguments: [
        ("::", "0000:0000:0000:0000:0000:0000:0000:0000"),
        ("::1", "0000:0000:0000:0000:0000:0000:0000:0001"),
        ("fe80::20c:29ff:fef3:cf38", "fe80:0000:0000:0000:020c:29ff:fef3:cf38"),
        ("2001:db8:85a3::8a2e:370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ])
    func ipv6AddressesAreUncompressed(input: String, expected: String) throws {
        let address = try #require(IPAddress(input))
        #expect(IPv6Text.string(address) == expected)
        #expect(render { $0.ipAddress(address) } == "\"\(expected)\"")
    }

    @Test(arguments: [
        (1, "EN10MB"), (12, "RAW"), (101, "RAW2"), (9, "PPP"), (104, "C_HDLC"), (113, "LINUX_SLL"),
        (276, "LINUX_SLL2"), (228, "IPv4"), (229, "IPv6"), (0, "NULL"), (778, "GRE_RAW"), (108, "n/a"), (14, "n/a"),
    ])
    func linkTypeNames(value: Int, name: String) {
        #expect(render { w in
            w.beginObject()
            w.packetInfo(linkType: value)
            w.endObject()
        } == #"{"packet_info":{"linktype":\#(value),"linktype_name":"\#(name)"}}"#)
    }

    @Test func aPacketWithoutAnIPLayerHasNoAddressesAndFastLogPrintsItsBytes() {
        var header = Self.header("10.0.0.1", "10.0.0.2", version: 0)
        header.hasAddresses = false
        header.pcapCount = 5
        header.packetSource = .wire
        let text = render { $0.writeHeader(header, eventName: "alert") }
        for key in ["src_ip", "dest_ip", "src_port", "dest_port", "proto", "ip_v"] {
            #expect(!text.contains("\"\(key)\""), "\(key) in \(text)")
        }
        #expect(text.contains(#""event_type":"alert","pkt_src":"wire/pcap""#), "\(text)")
        let alert = EVEAlert(
            action: .allowed, gid: 1, signatureID: 2_200_003, rev: 2, signature: "SURICATA IPv4 truncated packet",
            category: "Generic Protocol Command Decode", severity: 3)
        let raw: [UInt8] = Array(0..<40)
        var line: [UInt8] = []
        raw.withUnsafeBytes { FastLogFormatter.append(header: header, alert: alert, rawPacket: $0, to: &line) }
        let expected =
            "[Priority: 3] [**] [Raw pkt: "
            + (0..<32).map { String(format: "%02X ", $0) }.joined() + "] [pcap file packet: 5]\n"
        #expect(String(decoding: line, as: UTF8.self).hasSuffix(expected), "\(String(decoding: line, as: UTF8.self))")
    }

    @Test func etherObjectComesBeforeTheCommunityID() throws {
        var header = Self.header("10.0.0.1", "10.0.0.2", version: 4)
        let frame: [UInt8] = [0xfe, 0x2d, 0xcf, 0xad, 0x28, 0x54, 0xf6, 0x3a, 0x04, 0x28, 0x26, 0x77, 0x81, 0x00]
        let parsed: EVEEther? = frame.withUnsafeBytes { EVEEther(frame: $0) }
        let ether: EVEEther = try #require(parsed)
        header.ether = ether
        header.communityID = "1:x="
        let text = render { $0.writeHeader(header, eventName: "alert") }
        #expect(
            text.hasSuffix(
                #","ether":{"ether_type":33024,"src_mac":"f6:3a:04:28:26:77","dest_mac":"fe:2d:cf:ad:28:54"},"#
                    + #""community_id":"1:x=""#), "\(text)")
        #expect([UInt8](repeating: 0, count: 13).withUnsafeBytes { EVEEther(frame: $0) } == nil)
    }
}
