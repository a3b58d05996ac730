// SPDX-License-Identifier: MIT
import WeirCore
import WeirFlow

/// What the stream engine did with a packet.
public enum StreamPacketStatus: UInt8, Sendable {
    /// Tracked and accepted (its data, if any, went to reassembly).
    case accepted
    /// Tracked but rejected by sequence/acknowledgement validation or an unexpected handshake packet; its data
    /// was not reassembled (an event says why).
    case rejected
    /// Skipped: invalid TCP checksum with `stream.checksum-validation` on.
    case invalidChecksum
    /// No session: a packet of an untracked flow (handshake not seen and `stream.midstream` off, or a packet
    /// that cannot start a session).
    case noSession
}

/// A piece of reassembled stream data for raw-stream (content without a sticky buffer) inspection.
public struct RawStreamChunk: Sendable {
    /// True for the client → server stream.
    public var toServer: Bool
    /// The data, or a gap.
    public var block: StreamBlock
    /// True when the chunk holds stream data from before the current packet's payload (bytes that arrived in
    /// earlier packets), so a pattern split across segments is visible in it.
    public var includesDataBeforePacket: Bool
    /// Stream offset up to which this direction's raw stream had already been inspected before this chunk. In IDS
    /// mode chunks start there, and no byte is handed out twice. In inline mode a chunk may start earlier
    /// (Suricata re-inspects a window around the packet) and Suricata does not suppress repeated matches, so
    /// this is informational there.
    public var alreadyInspectedUpTo: UInt64

    /// A chunk as the session hands it out.
    public init(toServer: Bool, block: StreamBlock, includesDataBeforePacket: Bool, alreadyInspectedUpTo: UInt64) {
        self.toServer = toServer
        self.block = block
        self.includesDataBeforePacket = includesDataBeforePacket
        self.alreadyInspectedUpTo = alreadyInspectedUpTo
    }
}

/// Ordered stream data for an app-layer parser: bytes or a marked gap, per direction.
public struct AppLayerChunk: Sendable {
    /// True for the client → server stream.
    public var toServer: Bool
    /// The data or the gap; offsets are consecutive per direction.
    public var block: StreamBlock
    /// True on the last chunk of a direction that ended (FIN reached, RST, or flow end).
    public var isEndOfStream: Bool

    /// A chunk as the session hands it out.
    public init(toServer: Bool, block: StreamBlock, isEndOfStream: Bool) {
        self.toServer = toServer
        self.block = block
        self.isEndOfStream = isEndOfStream
    }
}

/// The stream engine's verdict on one packet. Small and allocation-free; the inspectable chunks are read from
/// the session (``TCPSession/rawChunks``, ``TCPSession/appLayerChunks``), valid until the next call on it.
public struct StreamResult: Sendable {
    /// Events raised by this packet (match with `stream-event:`).
    public var events = StreamEventSet()
    /// What the engine did with the packet.
    public var status: StreamPacketStatus = .noSession
    /// The session's state after the packet.
    public var state: TCPState = .none
    /// True when the session is established for `flow:established` (handshake completed, or picked up
    /// midstream/async), as in Suricata.
    public var isEstablished = false
    /// Number of chunks in ``TCPSession/rawChunks``.
    public var rawChunkCount = 0
    /// Number of chunks in ``TCPSession/appLayerChunks``.
    public var appLayerChunkCount = 0
    /// Inline mode: the payload overlapped accepted data with different bytes and must be forwarded as
    /// ``TCPSession/normalisedPayload`` (Suricata rewrites the packet).
    public var payloadNormalised = false
    /// True when this packet's payload was added to the reassembled stream (Suricata's `PKT_STREAM_ADD`).
    public var addedToStream = false
    /// Exceptions this packet met (session memcap, reassembly memcap, midstream pick-up); the caller applies
    /// their policies.
    public var exceptions = ExceptionTargets()

    /// An empty result (no session, no events).
    public init() {}
}

/// ``StreamEngine/track(_:flow:flowID:frame:into:)``'s answer: the packet's ``StreamResult`` and the session facts
/// detection needs around it.
public struct StreamTrackResult: Sendable {
    /// What the engine did with the packet.
    public var result: StreamResult
    /// The session was established before this packet (Suricata sets `FLOW_PKT_ESTABLISHED` before the stream
    /// engine runs).
    public var wasEstablished: Bool
    /// Sequence space used by the client so far (``TCPSession/streamSizes``), after the packet.
    public var clientSize: UInt32
    /// Sequence space used by the server so far, after the packet.
    public var serverSize: UInt32
    /// Both directions have reached the reassembly depth (the point `stream.bypass` acts on).
    public var bothAtDepth: Bool

    /// A fresh result for ``StreamEngine/track(_:flow:flowID:frame:into:)`` to fill.
    public init() {
        self.result = StreamResult()
        self.wasEstablished = false
        self.clientSize = 0
        self.serverSize = 0
        self.bothAtDepth = false
    }
}
