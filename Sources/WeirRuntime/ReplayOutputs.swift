// SPDX-License-Identifier: MIT
import WeirConfig
import WeirCore
import WeirFlow
import WeirOutput

/// The replay's open output files and the EVE writer feeding them.
final class ReplayOutputs {
    let eve: FileSink?
    var eveWriter: EVEWriter<FileSink>?
    let eveSettings: EVELogOutput?
    let fast: FileSink?
    /// Records written per type, for the summary.
    var flowRecords: UInt64 = 0
    var alertRecords: UInt64 = 0

    init(directory: String, settings: OutputSettings) throws(RuntimeError) {
        if let eve = settings.eveLog {
            let sink = try FileSink(path: directory + "/" + eve.filename, append: false)
            self.eve = sink
            self.eveWriter = EVEWriter(sink: sink)
            self.eveSettings = eve
        } else {
            self.eve = nil
            self.eveWriter = nil
            self.eveSettings = nil
        }
        if settings.fast.enabled {
            self.fast = try FileSink(path: directory + "/" + settings.fast.filename, append: settings.fast.append)
        } else {
            self.fast = nil
        }
    }

    var writeError: String? { self.eve?.writeError ?? self.fast?.writeError }

    /// Writes the EVE `flow` record of a flow that ended.
    func writeFlow(_ flow: Flow, reason: FlowEndReason) {
        guard self.eveSettings?.flow == true else { return }
        var header = EVEHeader(
            timestamp: flow.last, flowID: flow.flowID, sourceIP: flow.clientAddress,
            sourcePort: flow.key.proto == 6 || flow.key.proto == 17 ? flow.clientPort : nil,
            destinationIP: flow.serverAddress,
            destinationPort: flow.key.proto == 6 || flow.key.proto == 17 ? flow.serverPort : nil,
            ipProtocol: flow.key.proto)
        if flow.key.vlan0 != 0 || flow.key.vlan1 != 0 {
            header.vlan.append(flow.key.vlan0)
            if flow.key.vlan1 != 0 { header.vlan.append(flow.key.vlan1) }
        }
        var record = EVEFlowRecord(
            header: header, start: flow.start, end: flow.last, state: Self.state(flow.state),
            reason: Self.reason(reason))
        record.packetsToServer = flow.packetsToServer
        record.packetsToClient = flow.packetsToClient
        record.bytesToServer = flow.bytesToServer
        record.bytesToClient = flow.bytesToClient
        record.alerted = flow.alerted
        if flow.key.proto == 6 {
            record.tcp = EVETCPInfo(
                flags: flow.tcpFlagsToServer | flow.tcpFlagsToClient, flagsToServer: flow.tcpFlagsToServer,
                flagsToClient: flow.tcpFlagsToClient, state: Self.tcpState(flow.tcpState))
        }
        self.eveWriter?.write(record)
        self.flowRecords += 1
    }

    /// Writes the end-of-run `stats` record.
    func writeStats(timestamp: Timestamp, uptime: UInt64, counters: [EVEStatsCounter]) {
        guard self.eveSettings?.stats != nil else { return }
        self.eveWriter?.write(EVEStatsRecord(timestamp: timestamp, uptime: uptime, counters: counters))
    }

    func flush() {
        self.eveWriter?.flush()
        self.fast?.flush()
    }

    static func state(_ s: FlowState) -> EVEFlowState {
        switch s {
        case .new: return .new
        case .established: return .established
        case .closed: return .closed
        case .bypassed: return .bypassed
        }
    }

    static func reason(_ r: FlowEndReason) -> EVEFlowEndReason {
        switch r {
        case .timeout: return .timeout
        case .forced: return .forced
        case .shutdown: return .shutdown
        }
    }

    static func tcpState(_ s: TCPState) -> EVETCPState? {
        switch s {
        case .none: return nil
        case .synSent: return .synSent
        case .synReceived: return .synReceived
        case .established: return .established
        case .finWait1: return .finWait1
        case .finWait2: return .finWait2
        case .closeWait: return .closeWait
        case .closing: return .closing
        case .lastAck: return .lastAck
        case .timeWait: return .timeWait
        case .closed: return .closed
        }
    }
}
