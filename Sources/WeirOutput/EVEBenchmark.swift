// SPDX-License-Identifier: MIT
import WeirCore

/// The workloads of `weir bench eve`: render EVE records, or copy the same records pre-rendered, through the
/// same ``EVEWriter`` batching into the same sink. The command times both; the ratio shows what rendering
/// costs over moving the finished bytes.
public enum EVEBenchmark {
    /// Renders `count` records (flow and alert alternately, counters and ids changing every record) into
    /// `sink`. Returns the records written. The sink's type is concrete, as the runtime's is: a generic entry
    /// point called from the command's module would run unspecialised, looking up the writer's generic
    /// metadata on every record, which the real outputs never do.
    public static func render(count: Int, into sink: MemorySink) -> Int {
        var writer = EVEWriter(sink: sink)
        var flow = Self.flowTemplate
        var alert = Self.alertTemplate
        for index in 0..<count {
            let n = UInt64(index)
            if index & 1 == 0 {
                flow.header.flowID = 0x9e37_79b9_7f4a_7c15 &* (n | 1)
                flow.header.timestamp.microseconds += 137
                flow.end = flow.header.timestamp
                flow.packetsToServer = n & 0xffff
                flow.bytesToServer = n &* 1460
                writer.write(flow)
            } else {
                alert.header.flowID = 0x9e37_79b9_7f4a_7c15 &* n
                alert.header.timestamp.microseconds += 137
                alert.header.pcapCount = n
                writer.write(alert)
            }
        }
        writer.flush()
        return Int(writer.recordCount)
    }

    /// The same records rendered once; ``copy(count:lines:into:)`` replays them.
    public static func prerenderedLines() -> [[UInt8]] {
        let w = JSONWriter()
        w.writeFlowRecord(Self.flowTemplate)
        w.endLine()
        let flowLine = w.bytes
        w.reset()
        w.writeAlertRecord(Self.alertTemplate)
        w.endLine()
        return [flowLine, w.bytes]
    }

    /// Copies `count` pre-rendered lines (alternating) through an ``EVEWriter`` into `sink`.
    public static func copy(count: Int, lines: [[UInt8]], into sink: MemorySink) -> Int {
        var writer = EVEWriter(sink: sink)
        let flowLine = lines[0]
        let alertLine = lines[lines.count - 1]
        flowLine.withUnsafeBytes { flowBytes in
            alertLine.withUnsafeBytes { alertBytes in
                for index in 0..<count {
                    writer.writeLine(index & 1 == 0 ? flowBytes : alertBytes)
                }
            }
        }
        writer.flush()
        return Int(writer.recordCount)
    }

    static var flowTemplate: EVEFlowRecord {
        let header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000),
            flowID: 1,
            sourceIP: IPAddress(v4: 0x0a00_0001),
            sourcePort: 51234,
            destinationIP: IPAddress(v4: 0xc0a8_0102),
            destinationPort: 443,
            ipProtocol: IPProtocol.tcp
        )
        var record = EVEFlowRecord(
            header: header,
            start: Timestamp(microseconds: 1_699_999_990_000_000),
            end: Timestamp(microseconds: 1_700_000_000_000_000),
            state: .closed,
            reason: .timeout
        )
        record.appProto = "tls"
        record.packetsToServer = 12
        record.packetsToClient = 10
        record.bytesToServer = 1800
        record.bytesToClient = 9000
        record.tcp = EVETCPInfo(flags: 0x1b, flagsToServer: 0x1b, flagsToClient: 0x1b, state: .closed)
        return record
    }

    static var alertTemplate: EVEAlertRecord {
        var header = EVEHeader(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000),
            flowID: 1,
            sourceIP: IPAddress(v4: 0x0a00_0001),
            sourcePort: 51234,
            destinationIP: IPAddress(v4: 0xc0a8_0102),
            destinationPort: 80,
            ipProtocol: IPProtocol.tcp
        )
        header.pcapCount = 1
        header.packetSource = .wire
        var record = EVEAlertRecord(
            header: header,
            alert: EVEAlert(
                action: .allowed,
                gid: 1,
                signatureID: 2_100_498,
                rev: 7,
                signature: "GPL ATTACK_RESPONSE id check returned root",
                category: "Potentially Bad Traffic",
                severity: 2
            )
        )
        record.appProto = "http"
        record.direction = .toClient
        record.flow = EVEAlertFlow(
            counters: EVEFlowCounters(packetsToServer: 3, packetsToClient: 2, bytesToServer: 300, bytesToClient: 400),
            start: Timestamp(microseconds: 1_699_999_999_000_000),
            sourceIP: header.destinationIP,
            destinationIP: header.sourceIP,
            sourcePort: 80,
            destinationPort: 51234
        )
        return record
    }
}
