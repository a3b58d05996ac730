// SPDX-License-Identifier: MIT

/// Serial-number arithmetic on 32-bit TCP sequence numbers (RFC 1982 / RFC 9293 §3.4): comparisons work across
/// the wrap at 2^32 as long as the two numbers are less than 2^31 apart.
@usableFromInline
enum Seq {
    @inlinable static func lt(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
    @inlinable static func leq(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) <= 0 }
    @inlinable static func gt(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
    @inlinable static func geq(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) >= 0 }
}

/// One direction of a TCP session (Suricata's `TcpStream`): the sender's sequence space, what the receiver has
/// acknowledged and allows, and the inspection progress. A plain value (its data lives in the session's
/// ``TCPReassembler`` for the direction), so reading it costs no reference counting.
///
/// Stream offsets are 64-bit and start at 0 with the byte after the sender's ISN, so streams longer than 4 GiB
/// and sequence wrap-around need no special cases past ``offset(of:)``.
public struct TCPStreamDirection {
    /// The sender's initial sequence number (for a midstream pickup: the first sequence number seen, minus 1).
    public internal(set) var isn: UInt32 = 0
    /// The sequence number just past the highest data (or FIN) accepted from the sender.
    public internal(set) var nextSeq: UInt32 = 0
    /// ``nextSeq`` as a stream offset; the reference point for converting sequence numbers.
    public internal(set) var nextOffset: UInt64 = 0
    /// The highest acknowledgement the receiver sent for this direction's data.
    public internal(set) var lastAck: UInt32 = 0
    /// ``lastAck`` as a stream offset.
    public internal(set) var lastAckOffset: UInt64 = 0
    /// The receiver's advertised window for this direction, scaled (0 until known).
    public internal(set) var window: UInt32 = 0
    /// True once ``window`` was learnt from the receiver.
    public internal(set) var windowKnown = false
    /// Shift applied to the window field of this direction's sender's own packets (RFC 7323), once negotiated.
    var ownWindowShift: UInt8 = 0
    /// The window-scale option in the sender's SYN (or SYN/ACK), if any.
    var offeredWindowScale: UInt8? = nil
    /// The last timestamp value (TSval) seen from the sender, for PAWS-style checks.
    var lastTimestamp: UInt32? = nil
    /// The sender sent a FIN; ``finOffset`` is where its stream ends.
    public internal(set) var finSeen = false
    /// Stream offset of the FIN (the end of the sender's data), valid when ``finSeen``.
    public internal(set) var finOffset: UInt64 = 0
    /// Raw-stream inspection has consumed data up to this offset.
    public internal(set) var rawProgress: UInt64 = 0
    /// The app layer has been handed data up to this offset.
    public internal(set) var appProgress: UInt64 = 0
    /// Request from the app layer to inspect the raw stream now (Suricata's `STREAMTCP_STREAM_FLAG_TRIGGER_RAW`).
    public internal(set) var triggerRaw = false
    /// True once the depth event was reported to the session owner.
    var depthNotified = false
    /// SYN or SYN/ACK retransmissions with a different sequence/acknowledgement seen (flood counters).
    var differentSynCount = 0
    init() {}

    /// Converts a sequence number of this direction to a stream offset (0 = the byte after the ISN). Sequence
    /// numbers before the stream start map to 0.
    @inlinable
    public func offset(of seq: UInt32) -> UInt64 {
        let delta = Int64(Int32(bitPattern: seq &- self.nextSeq))
        let value = Int64(bitPattern: self.nextOffset) + delta
        return value < 0 ? 0 : UInt64(value)
    }

    /// Starts the sequence space: `isn` is the SYN's sequence number (data starts at `isn + 1`).
    mutating func start(isn: UInt32) {
        self.isn = isn
        self.nextSeq = isn &+ 1
        self.nextOffset = 0
        self.lastAck = isn &+ 1
        self.lastAckOffset = 0
    }

    /// Moves ``nextSeq`` forward to `seq` if it lies ahead.
    mutating func advanceNext(to seq: UInt32) {
        if Seq.gt(seq, self.nextSeq) {
            self.nextOffset = self.offset(of: seq)
            self.nextSeq = seq
        }
    }

    /// Records an acknowledgement for this direction's data.
    mutating func acknowledge(_ ack: UInt32) {
        if Seq.gt(ack, self.lastAck) {
            self.lastAckOffset = self.offset(of: ack)
            self.lastAck = ack
        }
    }

    /// The right edge of the receive window: `lastAck + window`.
    var nextWindowEdge: UInt32 { self.lastAck &+ self.window }
}
