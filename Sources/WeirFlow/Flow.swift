// SPDX-License-Identifier: MIT
import WeirCore

/// Where a bypassed flow is bypassed (EVE `flow.bypass`).
public enum FlowBypass: UInt8, Sendable {
    /// In the worker: packets still arrive and are counted, but skip the stream engine and detection.
    case local
    /// In the kernel (XDP or the socket filter): packets no longer reach user space.
    case capture
}

/// The flow's life stage as EVE prints it in `flow.state`.
public enum FlowState: UInt8, Sendable {
    /// Traffic seen in one direction only, or a TCP handshake not yet complete.
    case new
    /// Traffic in both directions, or a completed (or picked-up) TCP session.
    case established
    /// A TCP session that ended with FIN or RST.
    case closed
    /// Bypassed (``Flow/bypass`` says where): its packets are no longer inspected.
    case bypassed

    /// EVE's spelling.
    public var eveName: String {
        switch self {
        case .new: return "new"
        case .established: return "established"
        case .closed: return "closed"
        case .bypassed: return "bypassed"
        }
    }
}

/// TCP session state, RFC 9293 section 3.3.2 names, as EVE prints them in `tcp.state`.
public enum TCPState: UInt8, Sendable {
    /// No session: the flow is not tracked (for example a mid-stream pickup with `stream.midstream` off).
    case none
    case synSent
    case synReceived
    case established
    case finWait1
    case finWait2
    case closeWait
    case closing
    case lastAck
    case timeWait
    case closed

    /// EVE's spelling (Suricata's `syn_sent`, `established`, …).
    public var eveName: String {
        switch self {
        case .none: return "none"
        case .synSent: return "syn_sent"
        case .synReceived: return "syn_recv"
        case .established: return "established"
        case .finWait1: return "fin_wait1"
        case .finWait2: return "fin_wait2"
        case .closeWait: return "close_wait"
        case .closing: return "closing"
        case .lastAck: return "last_ack"
        case .timeWait: return "time_wait"
        case .closed: return "closed"
        }
    }
}

/// Why a flow record was written.
public enum FlowEndReason: UInt8, Sendable {
    /// Idle for longer than its state's timeout.
    case timeout
    /// Evicted early to stay under the flow memory cap.
    case forced
    /// Still alive at the end of the input or at exit.
    case shutdown

    /// EVE's spelling in `flow.reason`.
    public var eveName: String {
        switch self {
        case .timeout: return "timeout"
        case .forced: return "forced"
        case .shutdown: return "shutdown"
        }
    }
}

/// One bidirectional flow and its counters. Lives in a ``FlowTable`` slot.
///
/// "Client" is the side that opened the conversation: the sender of a TCP SYN, the receiver of a SYN/ACK seen
/// first, otherwise the sender of the first packet. `toServer` counters count client-to-server packets.
public struct Flow: Sendable {
    public var key: FlowKey
    /// A 51-bit id derived from the key and the start time: the same input always gives the same ids.
    public var flowID: UInt64
    /// The ``FlowTable`` slot the flow lives in (-1 for a flow made outside a table). The stream engine and the
    /// app layer keep their per-flow state under the same slot, so the flow-end path finds it with the flow
    /// instead of a flow-id dictionary per engine.
    public internal(set) var slot: Int32 = -1
    public var start: Timestamp
    public var last: Timestamp
    /// True when the key's `first` endpoint is the client.
    public var clientIsFirst: Bool
    public var packetsToServer: UInt64 = 0
    public var packetsToClient: UInt64 = 0
    public var bytesToServer: UInt64 = 0
    public var bytesToClient: UInt64 = 0
    public var state: FlowState = .new
    public var tcpState: TCPState = .none
    /// TCP flags seen from the client, from the server, and in either direction.
    public var tcpFlagsToServer: UInt8 = 0
    public var tcpFlagsToClient: UInt8 = 0
    /// True once a TCP session was picked up without seeing its handshake (`stream.midstream`).
    public var isMidstream: Bool = false
    /// True when at least one alert was raised on this flow.
    public var alerted: Bool = false
    /// True once an IPS verdict dropped the flow (`drop`/`reject` in inline mode): later packets are dropped too.
    public var isDropped: Bool = false
    /// True once a `pass` rule acting on the flow matched: detection no longer inspects it (EVE `action: pass`).
    public var isPassed: Bool = false
    /// The exceptions the flow met (stream memcap, midstream pick-up, app-layer error …), whatever their policy
    /// did: the flow record lists each with its policy (`exception_policy`).
    public var exceptions = ExceptionTargets()
    /// The flow was dropped by an exception policy (drop-flow, reject): its later packets are dropped without
    /// inspection (Suricata's `exception policy flow drop`).
    public var droppedByException: Bool = false
    /// The flow was passed by an exception policy (pass-flow, bypass): detection no longer inspects it, while
    /// tracking, parsing and logging go on.
    public var passedByException: Bool = false
    /// Set with ``FlowState/bypassed``: where the flow was bypassed.
    public var bypass: FlowBypass? = nil
    /// What the kernel counted for a capture-bypassed flow (merged when the flow ends; not included in
    /// ``packetsToServer`` and the other counters above).
    public var bypassedPacketsToServer: UInt64 = 0
    public var bypassedPacketsToClient: UInt64 = 0
    public var bypassedBytesToServer: UInt64 = 0
    public var bypassedBytesToClient: UInt64 = 0
    /// True once a `drop` EVE record was written for the client→server / server→client direction.
    public var dropLoggedToServer: Bool = false
    public var dropLoggedToClient: Bool = false
    /// TCP FINs seen from client and server.
    public var finFromClient: Bool = false
    public var finFromServer: Bool = false
    /// ICMP and ICMPv6 flows: the type and code of the flow's first packet (EVE `icmp_type`, `icmp_code`, and
    /// with its request/reply counterpart `response_icmp_type` and `community_id`, as Suricata keeps them).
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    /// The VLAN tags of the flow's first packet, outermost first (unused slots 0), and how many it had: EVE's
    /// `vlan` list of the flow's records. Kept apart from the key, which holds no VLAN ids when
    /// `vlan.use-for-tracking` is off, as Suricata's flow keeps `vlan_id` and `vlan_idx` for its output.
    public var vlanIDs: (UInt16, UInt16, UInt16) = (0, 0, 0)
    public var vlanCount: UInt8 = 0

    /// Client and server swap places, with everything counted per direction: the flow's first packet turned
    /// out to be the answer (protocol detection of a UDP flow), as Suricata's `FlowSwap`.
    public mutating func swapDirection() {
        self.clientIsFirst.toggle()
        swap(&self.packetsToServer, &self.packetsToClient)
        swap(&self.bytesToServer, &self.bytesToClient)
        swap(&self.tcpFlagsToServer, &self.tcpFlagsToClient)
        swap(&self.bypassedPacketsToServer, &self.bypassedPacketsToClient)
        swap(&self.bypassedBytesToServer, &self.bypassedBytesToClient)
        swap(&self.dropLoggedToServer, &self.dropLoggedToClient)
        swap(&self.finFromClient, &self.finFromServer)
    }

    /// The client's address and port.
    public var clientAddress: IPAddress { self.clientIsFirst ? self.key.firstAddress : self.key.secondAddress }
    public var clientPort: UInt16 { self.clientIsFirst ? self.key.firstPort : self.key.secondPort }
    /// The server's address and port.
    public var serverAddress: IPAddress { self.clientIsFirst ? self.key.secondAddress : self.key.firstAddress }
    public var serverPort: UInt16 { self.clientIsFirst ? self.key.secondPort : self.key.firstPort }

    /// The recorded VLAN id in slot `index` (0 outermost); 0 beyond the recorded tags.
    @inlinable
    public func vlanID(at index: Int) -> UInt16 {
        switch index {
        case 0: return self.vlanIDs.0
        case 1: return self.vlanIDs.1
        case 2: return self.vlanIDs.2
        default: return 0
        }
    }

    /// True when traffic was seen in both directions.
    public var isBidirectional: Bool { self.packetsToServer > 0 && self.packetsToClient > 0 }
}
