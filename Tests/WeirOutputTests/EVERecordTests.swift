// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirOutput

/// Shared record fixtures.
enum Records {
    static func ip(_ text: String) -> IPAddress { IPAddress(text) ?? IPAddress.zeroV4 }

    static var tcpFlow: EVEFlowRecord {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_100_000_000),
            flowID: 1_234_567_890_123_456,
            sourceIP: ip("10.0.0.1"),
            sourcePort: 51000,
            destinationIP: ip("10.0.0.2"),
            destinationPort: 80,
            ipProtocol: IPProtocol.tcp
        )
        header.pcapCount = 17
        header.packetSource = .wire
        var record = EVEFlowRecord(
            header: header,
            start: Timestamp(microseconds: 1_700_000_000_123_456),
            end: Timestamp(microseconds: 1_700_000_099_654_321),
            state: .bypassed,
            reason: .timeout
        )
        record.appProto = "http"
        record.packetsToServer = 5
        record.packetsToClient = 4
        record.bytesToServer = 600
        record.bytesToClient = 3000
        record.bypassed = EVEFlowCounters(
            packetsToServer: 2,
            packetsToClient: 1,
            bytesToServer: 200,
            bytesToClient: 100
        )
        record.bypass = .capture
        record.alerted = true
        record.tcp = EVETCPInfo(flags: 0x1b, flagsToServer: 0x1b, flagsToClient: 0x12, state: .closed)
        return record
    }

    static var alert: EVEAlert {
        EVEAlert(
            action: .allowed,
            gid: 1,
            signatureID: 2_100_498,
            rev: 7,
            signature: "GPL ATTACK_RESPONSE id check returned root",
            category: "Potentially Bad Traffic",
            severity: 2,
            metadataJSON: Array(#"{"created_at":["2010_09_23"]}"#.utf8)
        )
    }

    static var alertHeader: EVEHeader {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_123_456),
            flowID: 42,
            sourceIP: ip("10.1.1.1"),
            sourcePort: 80,
            destinationIP: ip("192.168.1.10"),
            destinationPort: 40000,
            ipProtocol: IPProtocol.tcp
        )
        header.pcapCount = 3
        header.packetSource = .wire
        return header
    }
}

@Suite struct EVERecordTests {
    func render(_ body: (JSONWriter) -> Void) -> String {
        let w = JSONWriter()
        body(w)
        return w.text
    }

    @Test func tcpFlowRecord() {
        let text = render { $0.writeFlowRecord(Records.tcpFlow) }
        let expected =
            #"{"timestamp":"2023-11-14T22:15:00.000000+0000","flow_id":1234567890123456,"event_type":"flow","#
            + #""src_ip":"10.0.0.1","src_port":51000,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","#
            + #""app_proto":"http","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":600,"#
            + #""bytes_toclient":3000,"bypassed":{"pkts_toserver":2,"pkts_toclient":1,"bytes_toserver":200,"#
            + #""bytes_toclient":100},"start":"2023-11-14T22:13:20.123456+0000","#
            + #""end":"2023-11-14T22:14:59.654321+0000","age":99,"state":"bypassed","bypass":"capture","#
            + #""reason":"timeout","alerted":true},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"12","#
            + #""syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}"#
        #expect(text == expected)
    }

    @Test func udpFlowWithVLANAndInterface() {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000),
            flowID: UInt64.max,
            sourceIP: Records.ip("2001:db8::1"),
            sourcePort: 53,
            destinationIP: Records.ip("2001:db8::2"),
            destinationPort: 5353,
            ipProtocol: IPProtocol.udp
        )
        header.inInterface = "eth1"
        header.vlan = VLANTags([100, 200])
        var record = EVEFlowRecord(
            header: header,
            start: Timestamp(microseconds: 1_700_000_000_000_000),
            end: Timestamp(microseconds: 1_700_000_000_500_000),
            state: .new,
            reason: .shutdown
        )
        record.packetsToServer = 1
        record.bytesToServer = 90
        record.bypass = .local  // only printed for bypassed flows
        let text = render { $0.writeFlowRecord(record) }
        let expected =
            #"{"timestamp":"2023-11-14T22:13:20.000000+0000","flow_id":18446744073709551615,"in_iface":"eth1","#
            + #""event_type":"flow","vlan":[100,200],"src_ip":"2001:0db8:0000:0000:0000:0000:0000:0001","src_port":53,"#
            + #""dest_ip":"2001:0db8:0000:0000:0000:0000:0000:0002","#
            + #""dest_port":5353,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":90,"#
            + #""bytes_toclient":0,"start":"2023-11-14T22:13:20.000000+0000","end":"2023-11-14T22:13:20.500000+0000","#
            + #""age":0,"state":"new","reason":"shutdown","alerted":false}}"#
        #expect(text == expected)
    }

    @Test func icmpFlowWithResponse() {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000),
            flowID: 7,
            sourceIP: Records.ip("10.0.0.1"),
            sourcePort: nil,
            destinationIP: Records.ip("10.0.0.2"),
            destinationPort: nil,
            ipProtocol: IPProtocol.icmp
        )
        header.icmpType = 8
        header.icmpCode = 0
        header.responseICMPType = 0
        header.responseICMPCode = 0
        var record = EVEFlowRecord(
            header: header,
            start: Timestamp(microseconds: 1_700_000_000_000_000),
            end: Timestamp(microseconds: 1_700_000_002_000_000),
            state: .established,
            reason: .timeout
        )
        record.action = .drop
        let text = render { $0.writeFlowRecord(record) }
        #expect(
            text.hasPrefix(
                #"{"timestamp":"2023-11-14T22:13:20.000000+0000","flow_id":7,"event_type":"flow","src_ip":"10.0.0.1","#
                    + #""dest_ip":"10.0.0.2","proto":"ICMP","icmp_type":8,"icmp_code":0,"response_icmp_type":0,"#
                    + #""response_icmp_code":0,"flow":{"#
            )
        )
        #expect(text.hasSuffix(#""age":2,"state":"established","reason":"timeout","alerted":false,"action":"drop"}}"#))
    }

    @Test func alertRecord() {
        var record = EVEAlertRecord(header: Records.alertHeader, alert: Records.alert)
        record.transactionID = 0
        record.appProto = "http"
        record.direction = .toClient
        record.flow = EVEAlertFlow(
            counters: EVEFlowCounters(packetsToServer: 3, packetsToClient: 2, bytesToServer: 300, bytesToClient: 400),
            start: Timestamp(microseconds: 1_700_000_000_000_001),
            sourceIP: Records.ip("192.168.1.10"),
            destinationIP: Records.ip("10.1.1.1"),
            sourcePort: 40000,
            destinationPort: 80
        )
        record.payload = Array("uid=0(root)\n".utf8)
        record.payloadPrintable = true
        record.payloadIsStream = true
        record.packet = [0xde, 0xad, 0xbe, 0xef]
        let text = render { $0.writeAlertRecord(record) }
        let expected =
            #"{"timestamp":"2023-11-14T22:13:20.123456+0000","flow_id":42,"pcap_cnt":3,"event_type":"alert","#
            + #""src_ip":"10.1.1.1","src_port":80,"dest_ip":"192.168.1.10","dest_port":40000,"proto":"TCP","#
            + #""pkt_src":"wire/pcap","tx_id":0,"alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"#
            + #""signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","#
            + #""severity":2,"metadata":{"created_at":["2010_09_23"]}},"app_proto":"http","direction":"to_client","#
            + #""flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":300,"bytes_toclient":400,"#
            + #""start":"2023-11-14T22:13:20.000001+0000","src_ip":"192.168.1.10","dest_ip":"10.1.1.1","#
            + #""src_port":40000,"dest_port":80},"payload":"dWlkPTAocm9vdCkK","payload_printable":"uid=0(root)\n","#
            + #""stream":1,"packet":"3q2+7w==","packet_info":{"linktype":1,"linktype_name":"EN10MB"}}"#
        #expect(text == expected)
    }

    @Test func minimalAlertWithoutFlow() {
        var header = Records.alertHeader
        header.flowID = nil
        header.pcapCount = 0
        var alert = Records.alert
        alert.action = .blocked
        alert.metadataJSON = nil
        alert.signature = "quote \" and \\ in msg"
        alert.category = ""
        let text = render { $0.writeAlertRecord(EVEAlertRecord(header: header, alert: alert)) }
        let expected =
            #"{"timestamp":"2023-11-14T22:13:20.123456+0000","event_type":"alert","src_ip":"10.1.1.1","src_port":80,"#
            + #""dest_ip":"192.168.1.10","dest_port":40000,"proto":"TCP","pkt_src":"wire/pcap","alert":{"#
            + #""action":"blocked","gid":1,"signature_id":2100498,"rev":7,"signature":"quote \" and \\ in msg","#
            + #""category":"","severity":2}}"#
        #expect(text == expected)
    }

    @Test func dropRecord() {
        var record = EVEDropRecord(header: Records.alertHeader, length: 60, tos: 0, ttl: 64, ipID: 4321)
        record.tcp = EVEDropRecord.TCPFields(
            sequence: 4_000_000_000,
            acknowledgement: 0,
            window: 65535,
            flags: 0x02,
            reserved: 0,
            urgentPointer: 0
        )
        record.reason = "rules"
        var alert = Records.alert
        alert.action = .blocked
        alert.metadataJSON = nil
        record.alert = alert
        let text = render { $0.writeDropRecord(record) }
        let expected =
            #"{"timestamp":"2023-11-14T22:13:20.123456+0000","flow_id":42,"pcap_cnt":3,"event_type":"drop","#
            + #""src_ip":"10.1.1.1","src_port":80,"dest_ip":"192.168.1.10","dest_port":40000,"proto":"TCP","#
            + #""pkt_src":"wire/pcap","drop":{"len":60,"tos":0,"ttl":64,"ipid":4321,"tcpseq":4000000000,"tcpack":0,"#
            + #""tcpwin":65535,"syn":true,"ack":false,"psh":false,"rst":false,"urg":false,"fin":false,"tcpres":0,"#
            + #""tcpurgp":0,"reason":"rules"},"alert":{"action":"blocked","gid":1,"signature_id":2100498,"rev":7,"#
            + #""signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","#
            + #""severity":2}}"#
        #expect(text == expected)
    }

    @Test func statsRecordNestsDottedNames() {
        let record = EVEStatsRecord(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000),
            uptime: 12,
            counters: [
                EVEStatsCounter("decoder.pkts", 100), EVEStatsCounter("decoder.bytes", 6400),
                EVEStatsCounter("flow.tcp", 3), EVEStatsCounter("decoder.event.ipv4.hlen_too_small", 0),
                EVEStatsCounter("decoder.event.ipv4.trunc_pkt", 2),
                EVEStatsCounter("decoder.event.tcp.opt_invalid_len", 1),
                EVEStatsCounter("tcp.sessions", 3), EVEStatsCounter("detect.alert", 1, delta: 1),
                EVEStatsCounter("flow.udp", 5),
            ]
        )
        let text = render { $0.writeStatsRecord(record) }
        let expected =
            #"{"timestamp":"2023-11-14T22:13:20.000000+0000","event_type":"stats","stats":{"uptime":12,"#
            + #""decoder":{"pkts":100,"bytes":6400,"event":{"ipv4":{"hlen_too_small":0,"trunc_pkt":2},"#
            + #""tcp":{"opt_invalid_len":1}}},"flow":{"tcp":3,"udp":5},"tcp":{"sessions":3},"#
            + #""detect":{"alert":1,"alert_delta":1}}}"#
        #expect(text == expected)
    }
}

@Suite struct FastLogTests {
    @Test func suricataLayout() {
        var header = Records.alertHeader
        header.sourceIP = Records.ip("192.168.1.10")
        header.sourcePort = 40000
        header.destinationIP = Records.ip("10.1.1.1")
        header.destinationPort = 80
        let line = FastLogFormatter.line(header: header, alert: Records.alert)
        #expect(
            line
                == "11/14/2023-22:13:20.123456  [**] [1:2100498:7] GPL ATTACK_RESPONSE id check returned root [**] "
                + "[Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 192.168.1.10:40000 -> 10.1.1.1:80\n"
        )
    }

    @Test func dropMarkersAndICMP() {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 946_684_799_000_001),
            flowID: nil,
            sourceIP: Records.ip("10.0.0.1"),
            sourcePort: nil,
            destinationIP: Records.ip("10.0.0.2"),
            destinationPort: nil,
            ipProtocol: IPProtocol.icmp
        )
        header.icmpType = 8
        header.icmpCode = 0
        let alert = EVEAlert(
            action: .blocked,
            gid: 1,
            signatureID: 5,
            rev: 1,
            signature: "ping",
            category: "Misc activity",
            severity: 3
        )
        #expect(
            FastLogFormatter.line(header: header, alert: alert, marker: .dropped)
                == "12/31/1999-23:59:59.000001  [Drop] [**] [1:5:1] ping [**] [Classification: Misc activity] "
                + "[Priority: 3] {ICMP} 10.0.0.1:8 -> 10.0.0.2:0\n"
        )
        #expect(
            FastLogFormatter.line(header: header, alert: alert, marker: .wouldDrop).contains("  [wDrop] [**] [1:5:1]")
        )
    }

    /// Numbers and addresses written without String interpolation read as the interpolated text did.
    @Test func largeNumbersAndIPv6() {
        var header = Records.alertHeader
        header.sourceIP = Records.ip("2001:db8::1")
        header.sourcePort = 65535
        header.destinationIP = Records.ip("0.0.0.0")
        header.destinationPort = 0
        var alert = Records.alert
        alert.gid = UInt32.max
        alert.signatureID = 1_000_000_000
        alert.rev = 0
        alert.severity = 10
        let line = FastLogFormatter.line(header: header, alert: alert)
        #expect(line.contains("[**] [4294967295:1000000000:0] "), "\(line)")
        #expect(
            line.contains("[Priority: 10] {TCP} 2001:0db8:0000:0000:0000:0000:0000:0001:65535 -> 0.0.0.0:0\n"), "\(line)")
    }
}

@Suite struct MetadataTests {
    @Test func groupsValuesByKey() throws {
        let json = try #require(
            EVEAlert.metadataJSON(from: [
                ("created_at", "2010_09_23"), ("tag", "a"), ("updated_at", "2019_07_26"), ("tag", "b\"c"),
            ])
        )
        #expect(
            String(decoding: json, as: UTF8.self)
                == #"{"created_at":["2010_09_23"],"tag":["a","b\"c"],"updated_at":["2019_07_26"]}"#
        )
        #expect(EVEAlert.metadataJSON(from: []) == nil)
    }
}
