// SPDX-License-Identifier: MIT
import WeirStream

/// What the TCP stream engine said about the packet being inspected, for ``DetectContext/inspect(packet:frame:flow:handle:buffers:appProtocol:stream:alerts:)``.
///
/// With it, detection follows Suricata's stream semantics: `flow:established` is the session's state before the
/// packet (`FLOW_PKT_ESTABLISHED`), `stream-event:` rules see the packet's events, and a payload rule that may
/// inspect the stream skips the packet's own payload once that payload was added to the reassembled stream
/// (`PKT_STREAM_ADD`): its bytes are inspected through the stream chunks instead, so a match is not reported
/// twice.
public struct StreamPacketInfo: Sendable {
    /// Events the stream engine raised on this packet.
    public var events: StreamEventSet
    /// The TCP session was established (Suricata's `ssn->state >= TCP_ESTABLISHED`) before this packet.
    public var wasEstablished: Bool
    /// The packet's payload went into the reassembled stream.
    public var addedToStream: Bool
    /// A pseudo packet that only carries stream data left at the end of a direction (Suricata's
    /// `PKT_PSEUDO_STREAM_END`): only rules that inspect the stream can match it.
    public var isPseudo: Bool
    /// Sequence space the client has used so far (Suricata's `next_seq - isn`, the SYN included), for
    /// `stream_size`; `nil` without a session.
    public var clientSize: UInt32?
    /// The same for the server.
    public var serverSize: UInt32?

    /// Stream facts of one packet.
    public init(
        events: StreamEventSet = StreamEventSet(), wasEstablished: Bool, addedToStream: Bool, isPseudo: Bool = false
    ) {
        self.events = events
        self.wasEstablished = wasEstablished
        self.addedToStream = addedToStream
        self.isPseudo = isPseudo
    }
}

/// `stream_size:<side>,<op>,<n>`: compares the sequence space used by one or both sides of the session.
package struct StreamSizeCheck: Sendable, Equatable {
    /// Which side's size is compared.
    package enum Side: String, Sendable {
        case server, client, both, either
    }

    /// The side.
    package var side: Side
    /// The comparison.
    package var condition: UIntCondition

    /// Whether the session's sizes satisfy the check (never without a session, as in Suricata).
    func matches(_ stream: StreamPacketInfo?) -> Bool {
        guard let stream, let client = stream.clientSize, let server = stream.serverSize else { return false }
        let c = self.condition.matches(UInt64(client))
        let s = self.condition.matches(UInt64(server))
        switch self.side {
        case .client: return c
        case .server: return s
        case .both: return c && s
        case .either: return c || s
        }
    }
}

extension Signature {
    /// True when the rule has `pkt_data` keywords that may look at reassembled stream data.
    var inspectsStream: Bool {
        self.payloadScope != .packetOnly && self.buffers.contains { $0.stickyBuffer == nil }
    }
}

extension DetectEngine {
    /// True when a loaded rule matches `stream-event:<event>`; the stream engine enables costly checks only then
    /// (Suricata turns on overlap comparison when `reassembly_overlap_different_data` is used).
    public func usesStreamEvent(_ event: StreamEvent) -> Bool {
        self.signatures.contains { $0.streamEvents.contains(event) }
    }
}
