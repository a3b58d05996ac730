// SPDX-License-Identifier: MIT
import WeirCore

/// An `event_type: flow` record: one per flow when it ends (timeout, forced, shutdown / end of input).
///
/// Suricata counterpart: `output-json-flow.c` (`EveFlowLogJSON`). Field order: header, `app_proto`,
/// `flow{pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, bypassed{…}, start, end, age,
/// emergency, state, bypass, reason, alerted, action}`, `tcp{tcp_flags, tcp_flags_ts, tcp_flags_tc, syn, fin,
/// rst, psh, ack, urg, ecn, cwr, state}`.
public struct EVEFlowRecord: Sendable, Equatable {
    /// The common header (``EVEHeader/packetSource`` and ``EVEHeader/pcapCount`` are not printed for flows).
    public var header: EVEHeader
    /// `app_proto`: the detected application protocol (`http`, `tls`, `failed`); `nil` when unknown.
    public var appProto: String?
    /// `spi`: an ESP flow's security parameter index.
    public var spi: UInt32?
    /// `app_proto_ts` / `app_proto_tc`: each direction's protocol, written when the two differ.
    public var appProtoToServer: String?
    public var appProtoToClient: String?
    /// `app_proto_orig`: the protocol before a protocol change (an HTTP CONNECT tunnel), when it differs.
    public var appProtoOriginal: String?
    /// Packets from client to server, including packets counted in the kernel while bypassed.
    public var packetsToServer: UInt64 = 0
    /// Packets from server to client, including kernel-bypassed ones.
    public var packetsToClient: UInt64 = 0
    /// Bytes from client to server (whole frames, as Suricata counts), including kernel-bypassed ones.
    public var bytesToServer: UInt64 = 0
    /// Bytes from server to client, including kernel-bypassed ones.
    public var bytesToClient: UInt64 = 0
    /// The share of the counters above seen only in the kernel after a bypass; `nil` when never bypassed
    /// to the kernel (then no `bypassed` object is printed).
    public var bypassed: EVEFlowCounters?
    /// Time of the flow's first packet.
    public var start: Timestamp
    /// Time of the flow's last packet.
    public var end: Timestamp
    /// The flow ended while the engine was in emergency mode (memcap reached).
    public var emergency: Bool = false
    /// `state`.
    public var state: EVEFlowState
    /// `bypass`: where a bypassed flow was bypassed; printed only when state is `bypassed`.
    public var bypass: EVEBypassKind?
    /// `reason`.
    public var reason: EVEFlowEndReason
    /// `alerted`: an alert fired on the flow.
    public var alerted: Bool = false
    /// `action`: `drop` or `pass` when a rule set one on the flow.
    public var action: EVEFlowAction?
    /// `exception_policy`: each exception the flow met (Suricata's target name) with the policy configured for
    /// it (EVE spelling); absent when none.
    public var exceptionPolicies: [EVEExceptionPolicy] = []
    /// The `tcp` object, for TCP flows only.
    public var tcp: EVETCPInfo?
    /// `flow.tx_cnt`: transactions the flow's app-layer parser created; not written when 0 (Suricata 8).
    public var transactionCount: UInt64 = 0

    /// A flow record with zero counters; fill in the rest. The header is taken, not copied (inlinable: called
    /// across the module boundary, the header passed in was copied and its original destroyed).
    @inlinable
    public init(
        header: consuming EVEHeader, start: Timestamp, end: Timestamp, state: EVEFlowState, reason: EVEFlowEndReason
    ) {
        self.header = header
        self.start = start
        self.end = end
        self.state = state
        self.reason = reason
    }
}

/// Packet and byte counters in both directions.
/// One entry of a flow record's `exception_policy` array.
public struct EVEExceptionPolicy: Sendable, Equatable {
    /// What triggered it (`stream_midstream`, `app_layer_error` …).
    public var target: String
    /// The policy configured for it (`ignore`, `drop_flow` …).
    public var policy: String

    public init(target: String, policy: String) {
        self.target = target
        self.policy = policy
    }
}

public struct EVEFlowCounters: Sendable, Equatable {
    /// Packets client to server.
    public var packetsToServer: UInt64
    /// Packets server to client.
    public var packetsToClient: UInt64
    /// Bytes client to server.
    public var bytesToServer: UInt64
    /// Bytes server to client.
    public var bytesToClient: UInt64

    /// Counters from their four values.
    public init(packetsToServer: UInt64, packetsToClient: UInt64, bytesToServer: UInt64, bytesToClient: UInt64) {
        self.packetsToServer = packetsToServer
        self.packetsToClient = packetsToClient
        self.bytesToServer = bytesToServer
        self.bytesToClient = bytesToClient
    }
}

/// Flow `state` at its end.
public enum EVEFlowState: String, Sendable {
    /// Only one side seen, or no TCP handshake.
    case new
    /// Traffic in both directions / TCP established.
    case established
    /// TCP closed.
    case closed
    /// Bypassed (locally or in the kernel).
    case bypassed
}

/// Flow `bypass` kind (Suricata: `local` = in the worker, `capture` = in the kernel / capture layer).
public enum EVEBypassKind: String, Sendable {
    /// Bypassed in the worker: packets still reach user space and are dropped early.
    case local
    /// Bypassed in the kernel (XDP or socket filter).
    case capture
}

/// Flow end `reason`.
public enum EVEFlowEndReason: String, Sendable {
    /// Idle past its timeout.
    case timeout
    /// Evicted early (memcap, emergency) or ended by the engine.
    case forced
    /// Still alive at shutdown or end of input.
    case shutdown
    /// Unknown.
    case unknown
}

/// Flow `action` set by rules.
public enum EVEFlowAction: String, Sendable {
    /// A drop rule matched.
    case drop
    /// A pass rule matched.
    case pass
}

/// The `tcp` object of flow records.
public struct EVETCPInfo: Sendable, Equatable {
    /// All TCP flags seen in the flow (OR of both directions), as the TCP header's flag byte.
    public var flags: UInt8
    /// Flags seen from the client.
    public var flagsToServer: UInt8
    /// Flags seen from the server.
    public var flagsToClient: UInt8
    /// The TCP session state at the end; `nil` when no session was tracked.
    public var state: EVETCPState?
    /// `ts_gap` / `tc_gap`: the app layer was handed a gap in that direction.
    public var gapToServer = false
    public var gapToClient = false
    /// `ts_max_regions` / `tc_max_regions`: the most separate data regions each direction's reassembly held at
    /// once (Suricata's streaming buffer regions: 1 unless data came far ahead of what was in order); `nil`
    /// without a session (both then absent).
    public var maxRegionsToServer: UInt16?
    public var maxRegionsToClient: UInt16?

    /// TCP info from its flag bytes and state.
    public init(flags: UInt8, flagsToServer: UInt8, flagsToClient: UInt8, state: EVETCPState?) {
        self.flags = flags
        self.flagsToServer = flagsToServer
        self.flagsToClient = flagsToClient
        self.state = state
    }
}

/// TCP session states, spelled as Suricata's `StreamTcpStateAsString`.
public enum EVETCPState: String, Sendable, CaseIterable {
    /// No state.
    case none
    /// SYN seen.
    case synSent = "syn_sent"
    /// SYN/ACK seen.
    case synReceived = "syn_recv"
    /// Handshake complete.
    case established
    /// First FIN sent.
    case finWait1 = "fin_wait1"
    /// FIN acknowledged.
    case finWait2 = "fin_wait2"
    /// Both FINs seen, waiting.
    case timeWait = "time_wait"
    /// Waiting for the last ACK.
    case lastAck = "last_ack"
    /// The peer closed.
    case closeWait = "close_wait"
    /// Simultaneous close.
    case closing
    /// Closed (RST or after time-wait).
    case closed
}

extension JSONWriter {
    /// Renders `record` as one complete JSON object (no trailing newline). The header always comes first, so
    /// every comma after it is known here and copied with its member name.
    public func writeFlowRecord(_ record: EVEFlowRecord) {
        self.beginObject()
        self.writeHeader(record.header, eventType: .flow, packetFields: false, spi: record.spi)
        if let appProto = record.appProto { self.member(",\"app_proto\":", appProto) }
        if let proto = record.appProtoToServer { self.member(",\"app_proto_ts\":", proto) }
        if let proto = record.appProtoToClient { self.member(",\"app_proto_tc\":", proto) }
        if let proto = record.appProtoOriginal { self.member(",\"app_proto_orig\":", proto) }
        self.member(",\"flow\":{\"pkts_toserver\":", record.packetsToServer)
        self.member(",\"pkts_toclient\":", record.packetsToClient)
        self.member(",\"bytes_toserver\":", record.bytesToServer)
        self.member(",\"bytes_toclient\":", record.bytesToClient)
        if let bypassed = record.bypassed {
            self.member(",\"bypassed\":{\"pkts_toserver\":", bypassed.packetsToServer)
            self.member(",\"pkts_toclient\":", bypassed.packetsToClient)
            self.member(",\"bytes_toserver\":", bypassed.bytesToServer)
            self.member(",\"bytes_toclient\":", bypassed.bytesToClient)
            self.endObject()
        }
        self.member(",\"start\":", record.start)
        self.member(",\"end\":", record.end)
        // Suricata's age is the difference of the whole seconds, never negative.
        self.member(",\"age\":", UInt64(max(0, record.end.seconds - record.start.seconds)))
        if record.emergency { self.literalMember(",\"emergency\":true") }
        switch record.state {
        case .new: self.literalMember(",\"state\":\"new\"")
        case .established: self.literalMember(",\"state\":\"established\"")
        case .closed: self.literalMember(",\"state\":\"closed\"")
        case .bypassed: self.literalMember(",\"state\":\"bypassed\"")
        }
        if record.state == .bypassed, let bypass = record.bypass {
            if bypass == .local {
                self.literalMember(",\"bypass\":\"local\"")
            } else {
                self.literalMember(",\"bypass\":\"capture\"")
            }
        }
        switch record.reason {
        case .timeout: self.literalMember(",\"reason\":\"timeout\"")
        case .forced: self.literalMember(",\"reason\":\"forced\"")
        case .shutdown: self.literalMember(",\"reason\":\"shutdown\"")
        case .unknown: self.literalMember(",\"reason\":\"unknown\"")
        }
        if record.alerted {
            self.literalMember(",\"alerted\":true")
        } else {
            self.literalMember(",\"alerted\":false")
        }
        if let action = record.action {
            if action == .drop {
                self.literalMember(",\"action\":\"drop\"")
            } else {
                self.literalMember(",\"action\":\"pass\"")
            }
        }
        if !record.exceptionPolicies.isEmpty {
            self.beginArray("exception_policy")
            for entry in record.exceptionPolicies {
                self.beginObject()
                self.member("\"target\":", entry.target)
                self.member(",\"policy\":", entry.policy)
                self.endObject()
            }
            self.endArray()
        }
        if record.transactionCount > 0 { self.member(",\"tx_cnt\":", record.transactionCount) }
        self.endObject()
        if let tcp = record.tcp { self.writeTCP(tcp) }
        self.endObject()
    }

    /// `,"state":"…"` for a TCP state, as one literal (the same text as the case's raw value).
    func tcpStateMember(_ state: EVETCPState) {
        switch state {
        case .none: self.literalMember(",\"state\":\"none\"")
        case .synSent: self.literalMember(",\"state\":\"syn_sent\"")
        case .synReceived: self.literalMember(",\"state\":\"syn_recv\"")
        case .established: self.literalMember(",\"state\":\"established\"")
        case .finWait1: self.literalMember(",\"state\":\"fin_wait1\"")
        case .finWait2: self.literalMember(",\"state\":\"fin_wait2\"")
        case .timeWait: self.literalMember(",\"state\":\"time_wait\"")
        case .lastAck: self.literalMember(",\"state\":\"last_ack\"")
        case .closeWait: self.literalMember(",\"state\":\"close_wait\"")
        case .closing: self.literalMember(",\"state\":\"closing\"")
        case .closed: self.literalMember(",\"state\":\"closed\"")
        }
    }

    /// `,"tcp":{…}`: the three flag bytes in hex, a `true` for each flag set (Suricata's EveTcpFlags), the state.
    private func writeTCP(_ tcp: EVETCPInfo) {
        self.member(",\"tcp\":{\"tcp_flags\":")
        self.hexString(tcp.flags)
        self.member(",\"tcp_flags_ts\":")
        self.hexString(tcp.flagsToServer)
        self.member(",\"tcp_flags_tc\":")
        self.hexString(tcp.flagsToClient)
        let flags = tcp.flags
        if flags & 0x02 != 0 { self.literalMember(",\"syn\":true") }
        if flags & 0x01 != 0 { self.literalMember(",\"fin\":true") }
        if flags & 0x04 != 0 { self.literalMember(",\"rst\":true") }
        if flags & 0x08 != 0 { self.literalMember(",\"psh\":true") }
        if flags & 0x10 != 0 { self.literalMember(",\"ack\":true") }
        if flags & 0x20 != 0 { self.literalMember(",\"urg\":true") }
        if flags & 0x40 != 0 { self.literalMember(",\"ecn\":true") }
        if flags & 0x80 != 0 { self.literalMember(",\"cwr\":true") }
        if let state = tcp.state { self.tcpStateMember(state) }
        if tcp.gapToClient { self.literalMember(",\"tc_gap\":true") }
        if tcp.gapToServer { self.literalMember(",\"ts_gap\":true") }
        if let toServer = tcp.maxRegionsToServer, let toClient = tcp.maxRegionsToClient {
            self.member(",\"ts_max_regions\":", UInt64(toServer))
            self.member(",\"tc_max_regions\":", UInt64(toClient))
        }
        self.endObject()
    }
}
