// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirFlow

/// The TCP session of one flow (Suricata's `TcpSession`, `stream-tcp.c`): handshake and state tracking,
/// sequence and acknowledgement validation, reassembly of both directions, and the hand-off of reassembled data
/// to detection (raw stream) and to the app layer.
///
/// Feed every TCP packet of the flow to ``handle(_:toServer:frame:)`` in capture order; read ``rawChunks`` and
/// ``appLayerChunks`` after each call (their bytes are views into the session's buffers; the lists are shared by
/// the engine's sessions and valid until the next call into any of them). At flow end call ``finish()`` for the final flush. Not thread-safe; one thread owns a session.
public final class TCPSession {
    // Every stored property of the session (here and further down: `holdsSessionMemory` and the ones after it,
    // `lastDataOffset`, `lastDataLength`) is set back to its initial value by `reset()`, which must mirror
    // `init(context:)` and the declarations: a property added anywhere in this class must be added there too
    // (SessionPoolTests compares a reset session with a fresh one property by property).
    @usableFromInline let context: StreamContext
    /// The client → server direction.
    @exclusivity(unchecked) public internal(set) var client: TCPStreamDirection
    /// The server → client direction.
    @exclusivity(unchecked) public internal(set) var server: TCPStreamDirection
    /// Reassembled data of the client → server direction.
    @exclusivity(unchecked) public private(set) var clientReassembler: TCPReassembler
    /// Reassembled data of the server → client direction.
    @exclusivity(unchecked) public private(set) var serverReassembler: TCPReassembler

    /// The reassembler of one direction.
    @inline(__always)
    public func reassembler(_ toServer: Bool) -> TCPReassembler {
        toServer ? self.clientReassembler : self.serverReassembler
    }

    /// The session's state (RFC 9293 names, Suricata's EVE spelling).
    @exclusivity(unchecked) public internal(set) var state: TCPState = .none
    /// Picked up without a handshake (`stream.midstream`).
    @exclusivity(unchecked) public internal(set) var isMidstream = false
    /// Picked up at its SYN/ACK (``isMidstream`` too): the flow table already made the SYN/ACK's receiver the
    /// client, so protocol detection does not turn the session round (Suricata's `MIDSTREAM_SYNACK`).
    @exclusivity(unchecked) public internal(set) var isMidstreamSynAck = false
    /// Only one direction is seen (`stream.async-oneside`).
    @exclusivity(unchecked) public internal(set) var isAsync = false
    /// Simultaneous open / four-way handshake in progress or done.
    @exclusivity(unchecked) public internal(set) var isFourWayHandshake = false
    /// Closed by an accepted RST.
    @exclusivity(unchecked) public internal(set) var closedByReset = false
    /// Overlap policy of the client → server stream (the server's, per `host-os-policy`).
    @exclusivity(unchecked) public internal(set) var clientStreamPolicy: OverlapPolicy
    /// Overlap policy of the server → client stream (the client's).
    @exclusivity(unchecked) public internal(set) var serverStreamPolicy: OverlapPolicy
    /// Which side sent the accepted RST (valid when ``closedByReset``).
    @exclusivity(unchecked) public internal(set) var resetFromClient = false
    /// The app layer was handed a gap: the capture is lossy, so a RST is taken without checking its sequence
    /// and ACK numbers against data that may be missing (Suricata's `STREAMTCP_FLAG_LOSSY_BE_LIBERAL`).
    public var isLossy: Bool { self.gapDirections != 0 }
    /// The app layer was handed a gap: bit 1 in the client's direction, bit 2 in the server's (EVE `ts_gap`,
    /// `tc_gap`; Suricata's `STREAMTCP_STREAM_FLAG_HAS_GAP`).
    @exclusivity(unchecked) var gapDirections: UInt8 = 0
    /// Set when ``finish()`` ran.
    @exclusivity(unchecked) public internal(set) var isFinished = false
    /// Raw-stream chunks to inspect for the last packet (see ``RawStreamChunk``).
    public var rawChunks: [RawStreamChunk] { self.context.rawChunks }
    /// App-layer chunks produced by the last packet, in order per direction.
    public var appLayerChunks: [AppLayerChunk] { self.context.appLayerChunks }
    /// Inline mode: the packet payload as it must be forwarded when ``StreamResult/payloadNormalised`` is set.
    public var normalisedPayload: UnsafeRawBufferPointer? { self.context.normalisedPayload }
    /// Called once per direction when it reaches `stream.reassembly.depth` (`toServer` tells which); the hook
    /// for `stream.bypass`.
    @exclusivity(unchecked) public var onDepthReached: ((_ session: TCPSession, _ toServer: Bool) -> Void)? = nil
    /// The SYN/ACK seen during the handshake (to compare resends).
    @exclusivity(unchecked) private var synAckSeq: UInt32 = 0
    @exclusivity(unchecked) private var synAckAck: UInt32 = 0

    /// Creates an empty session (state `.none`); the first packet decides whether it starts.
    public init(context: StreamContext) {
        self.context = context
        self.client = TCPStreamDirection()
        self.server = TCPStreamDirection()
        self.clientReassembler = TCPReassembler(context: context)
        self.serverReassembler = TCPReassembler(context: context)
        self.clientStreamPolicy = context.settings.overlapPolicy
        self.serverStreamPolicy = context.settings.overlapPolicy
    }

    /// Makes the session indistinguishable from a new one (``init(context:)``) so that the engine can give it to
    /// another flow instead of allocating one (``StreamEngine``'s session pool). Gives back everything a new
    /// session does not hold: its `stream.memcap` charge (as `deinit` would), its reassembly buffers and segment
    /// records (as ``release()``), and a deferred release the context may still hold for it. Call it only once
    /// every chunk the session handed out was consumed: their bytes lie in buffers that go back to the pools.
    ///
    /// Mirrors `init(context:)` and the initial value of every stored property, in declaration order.
    func reset() {
        if self.context.closedSession === self { self.context.closedSession = nil }
        self.client = TCPStreamDirection()
        self.server = TCPStreamDirection()
        self.clientReassembler.reset()
        self.serverReassembler.reset()
        self.state = .none
        self.isMidstream = false
        self.isMidstreamSynAck = false
        self.isAsync = false
        self.isFourWayHandshake = false
        self.closedByReset = false
        self.clientStreamPolicy = self.context.settings.overlapPolicy
        self.serverStreamPolicy = self.context.settings.overlapPolicy
        self.resetFromClient = false
        self.gapDirections = 0
        self.isFinished = false
        self.onDepthReached = nil
        self.synAckSeq = 0
        self.synAckAck = 0
        if self.holdsSessionMemory { self.context.releaseSession(StreamSettings.bytesPerSession) }
        self.holdsSessionMemory = false
        self.buffersReleased = false
        self.appEndSent = 0
        self.pendingPrune = 0
        self.synDataLength = 0
        self.handOffEvents = StreamEventSet()
        self.lastDataOffset = 0
        self.lastDataLength = 0
    }

    /// The flow runs the other way (Suricata's `TcpStreamFlowSwap`, called when protocol detection of a midstream
    /// session found its first data to be the answer): client and server change places with everything kept per
    /// direction, and the chunks the current packet produced change direction with them.
    public func swapDirections() {
        swap(&self.client, &self.server)
        swap(&self.clientReassembler, &self.serverReassembler)
        swap(&self.clientStreamPolicy, &self.serverStreamPolicy)
        if self.closedByReset { self.resetFromClient.toggle() }
        func swapped(_ bits: UInt8) -> UInt8 { (bits & ~3) | (bits & 1) << 1 | (bits & 2) >> 1 }
        self.appEndSent = swapped(self.appEndSent)
        self.gapDirections = swapped(self.gapDirections)
        self.pendingPrune = swapped(self.pendingPrune)
        for i in self.context.rawChunks.indices { self.context.rawChunks[i].toServer.toggle() }
        for i in self.context.appLayerChunks.indices { self.context.appLayerChunks[i].toServer.toggle() }
    }

    /// A direction's stream as an alert's `payload` shows it (Suricata's `AlertJsonStreamData`): the data held
    /// from the start of what is kept up to what the receiver ACKed, each hole written `[N bytes missing]`.
    public func loggedStream(toServer: Bool) -> [UInt8] {
        let reassembler = self.reassembler(toServer)
        let end = min(self.ackedEnd(toServer: toServer), reassembler.rightEdge)
        let start = reassembler.baseOffset
        guard end > start else { return [] }
        self.context.blockScratch.removeAll(keepingCapacity: true)
        reassembler.blocks(from: start, to: end, into: &self.context.blockScratch)
        var out: [UInt8] = []
        var last = start
        for block in self.context.blockScratch where !block.isGap && block.bytes.count > 0 {
            if block.offset > last { out.append(contentsOf: "[\(block.offset - last) bytes missing]".utf8) }
            out.append(contentsOf: block.bytes)
            last = block.offset + UInt64(block.bytes.count)
        }
        return out
    }

    /// What the flow record's `tcp` object says of the streams: whether the app layer was handed a gap in each
    /// direction, and the most separate data regions each direction held at once.
    public var streamFacts: TCPStreamFacts {
        TCPStreamFacts(
            gapToServer: self.gapDirections & 1 != 0, gapToClient: self.gapDirections & 2 != 0,
            maxRegionsToServer: self.clientReassembler.maxRegions,
            maxRegionsToClient: self.serverReassembler.maxRegions)
    }

    /// Sequence space each direction has used so far (next expected sequence number minus the ISN, wrapping),
    /// which `stream_size` compares. One call from another module instead of two reads of ``client`` and
    /// ``server``, which there cost a dynamic exclusivity check each.
    public var streamSizes: (client: UInt32, server: UInt32) {
        (self.client.nextSeq &- self.client.isn, self.server.nextSeq &- self.server.isn)
    }

    /// True when both directions reached the reassembly depth (nothing more to inspect in the stream).
    public var bothDirectionsAtDepth: Bool {
        self.clientReassembler.depthReached && self.serverReassembler.depthReached
    }

    /// True for the states in which Suricata's `flow:established` holds.
    public var isEstablished: Bool {
        switch self.state {
        case .established, .finWait1, .finWait2, .closeWait, .closing, .lastAck, .timeWait: return true
        case .none, .synSent, .synReceived, .closed: return false
        }
    }

    /// Asks for the raw stream of one direction to be inspected at its next packet regardless of chunk size
    /// (Suricata's `AppLayerParserTriggerRawStreamReassembly`, used by parsers at the end of a request).
    public func triggerRawInspection(toServer: Bool) {
        if toServer { self.client.triggerRaw = true } else { self.server.triggerRaw = true }
    }

    // MARK: Packet entry

    /// Processes one TCP packet of this session.
    ///
    /// - Parameters:
    ///   - packet: The decoded packet (TCP fields and payload offsets).
    ///   - toServer: Direction from the flow table (client → server).
    ///   - frame: The frame bytes `packet` offsets refer to.
    /// - Returns: Events, status and chunk counts. Never allocates on the in-order fast path once the session's
    ///   buffers have grown.
    public func handle(_ packet: Packet, toServer: Bool, frame: UnsafeRawBufferPointer) -> StreamResult {
        var result = StreamResult()
        self.handle(packet, toServer: toServer, frame: frame, into: &result)
        return result
    }

    /// ``handle(_:toServer:frame:)`` writing into the caller's `result` (which must be fresh), so that the
    /// engine's per-packet path does not copy the result from frame to frame: its one-byte fields are stored
    /// one by one, and reading them back as a block right after stalls on store forwarding.
    func handle(_ packet: Packet, toServer: Bool, frame: UnsafeRawBufferPointer, into result: inout StreamResult) {
        self.prepareForPacket()
        if packet.l4Checksum == .invalid && self.context.settings.checksumValidation {
            self.context.statistics.invalidChecksum += 1
            result.status = .invalidChecksum
            result.state = self.state
            result.isEstablished = self.isEstablished
            return
        }
        var payload = UnsafeRawBufferPointer(start: nil, count: 0)
        if packet.payloadLength > 0 && packet.payloadOffset >= 0
            && packet.payloadOffset + packet.payloadLength <= frame.count
        {
            payload = UnsafeRawBufferPointer(rebasing: frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)])
        }
        result.status = self.track(packet, toServer: toServer, payload: payload, result: &result)
        self.handOffEvents = StreamEventSet()
        self.emitChunks(toServer: toServer, payload: payload, result: &result)
        result.events.formUnion(self.handOffEvents)
        result.state = self.state
        result.isEstablished = self.isEstablished
        self.count(result.events)
        if self.state == .closed && !self.buffersReleased { self.context.closedSession = self }
    }

    /// Flow end: hands every remaining byte of both directions to raw inspection and the app layer, as Suricata's
    /// end-of-flow pseudo packets do (data not yet ACKed included). Chunks are in ``rawChunks`` and
    /// ``appLayerChunks`` until the next call.
    public func finish() {
        self.prepareForPacket()
        guard self.state != .none, !self.isFinished else { return }
        self.isFinished = true
        self.flushEverything()
    }

    /// Frees the reassembly buffers of a closed session once (its final chunks have been consumed).
    private func releaseClosedBuffers() {
        guard !self.buffersReleased else { return }
        self.buffersReleased = true
        self.release()
    }

    /// Frees the reassembly buffers (the session may be dropped after this).
    public func release() {
        self.clientReassembler.releaseAll()
        self.serverReassembler.releaseAll()
    }

    // MARK: State machine

    private func prepareForPacket() {
        // Chunks handed out last time are consumed now: drop what every consumer is past.
        // Only directions whose consumers moved need pruning (keeps the other direction's objects out of cache).
        if self.pendingPrune & 1 != 0 {
            self.clientReassembler.prune(upTo: self.pruneOffset(self.client, toServer: true))
        }
        if self.pendingPrune & 2 != 0 {
            self.serverReassembler.prune(upTo: self.pruneOffset(self.server, toServer: false))
        }
        self.pendingPrune = 0
        // A session that closed during the previous call into the engine (this one or another) is flushed, and
        // its chunks were consumed: nothing will be reassembled any more, so its buffers go back now rather than
        // at flow timeout. Doing it on the next call into any session, not the next packet of the same session,
        // matters: the last packet of a connection is usually the one that closes it, and a closed session's
        // buffers otherwise stay allocated until the flow times out, so the heap grows with every connection.
        if let closed = self.context.closedSession {
            self.context.closedSession = nil
            closed.releaseClosedBuffers()
        }
        if self.state == .closed { self.releaseClosedBuffers() }
        self.context.rawChunks.removeAllKeepingCapacity()
        self.context.appLayerChunks.removeAllKeepingCapacity()
        self.context.normalisedPayload = nil
    }

    /// Where a direction's data may be dropped (Suricata's `GetLeftEdge`): behind both raw inspection and the
    /// app layer; inline mode also keeps a chunk-size window before the raw progress (re-inspected with the next
    /// packet) and everything not yet ACKed (to compare retransmissions with the data already forwarded).
    private func pruneOffset(_ d: TCPStreamDirection, toServer: Bool) -> UInt64 {
        var edge = min(d.rawProgress, d.appProgress)
        let settings = self.context.settings
        if settings.inline && self.state != .closed {
            let chunk = UInt64(toServer ? settings.toServerChunkSize : settings.toClientChunkSize)
            edge = min(edge, d.rawProgress > chunk ? d.rawProgress - chunk : 0, d.lastAckOffset)
        } else if settings.checkOverlapDifferentData && self.state != .closed {
            // Injected or late retransmissions may arrive after their data was ACKed and inspected.
            let window = UInt64(d.window > 0 ? d.window : 4096)
            edge = edge > window ? edge - window : 0
        }
        return edge
    }

    private func count(_ events: StreamEventSet) {
        guard !events.isEmpty else { return }
        // Walk the set bits rather than `allCases` (which builds an array on every access).
        var low = events.low
        while low != 0 {
            self.context.statistics.events[low.trailingZeroBitCount] += 1
            low &= low &- 1
        }
        var high = events.high
        while high != 0 {
            self.context.statistics.events[64 + high.trailingZeroBitCount] += 1
            high &= high &- 1
        }
    }

    private func track(_ p: Packet, toServer: Bool, payload: UnsafeRawBufferPointer, result: inout StreamResult)
        -> StreamPacketStatus
    {
        let flags = p.tcpFlags
        let syn = flags & 0x02 != 0
        let ack = flags & 0x10 != 0
        let fin = flags & 0x01 != 0
        let rst = flags & 0x04 != 0
        if syn && fin {
            result.events.insert(.finSyn)
            return self.state == .none ? .noSession : .rejected
        }
        if !ack && !rst && p.tcpAcknowledgement != 0 { result.events.insert(.pktBrokenAck) }

        switch self.state {
        case .none:
            let settings = self.context.settings
            if !settings.hostPolicies.isEmpty {
                // Each stream is reassembled as its receiver would (Suricata's StreamTcpSetOSPolicy).
                let server = toServer ? p.destination : p.source
                let client = toServer ? p.source : p.destination
                self.clientStreamPolicy = settings.overlapPolicy(forReceiver: server)
                self.serverStreamPolicy = settings.overlapPolicy(forReceiver: client)
            }
            return self.startSession(p, toServer: toServer, payload: payload, result: &result)
        case .synSent:
            return self.inSynSent(p, toServer: toServer, payload: payload, result: &result)
        case .synReceived:
            return self.inSynReceived(p, toServer: toServer, payload: payload, result: &result)
        case .closed:
            if rst { return .rejected }
            // Traffic from the endpoint that received the RST means it ignored it: the RST was likely injected
            // (Suricata raises this only for the receiving side, not for more packets from the RST's sender).
            if self.closedByReset && toServer != self.resetFromClient { result.events.insert(.suspectedRstInject) }
            return .rejected
        default:
            if syn {
                self.unexpectedSyn(p, toServer: toServer, ack: ack, result: &result)
                return .rejected
            }
            return self.inEstablishedOrClosing(p, toServer: toServer, payload: payload, result: &result)
        }
    }

    private func startSession(
        _ p: Packet, toServer: Bool, payload: UnsafeRawBufferPointer, result: inout StreamResult
    ) -> StreamPacketStatus {
        let flags = p.tcpFlags
        let syn = flags & 0x02 != 0
        let ack = flags & 0x10 != 0
        let rst = flags & 0x04 != 0
        let fin = flags & 0x01 != 0
        let settings = self.context.settings
        if rst {
            result.events.insert(.rstButNoSession)
            self.context.statistics.packetsWithoutSession += 1
            return .noSession
        }
        if syn && !ack {
            guard self.reserve(&result) else { return .noSession }
            // The SYN's sender is the client: the flow table guarantees toServer here.
            self.client.start(isn: p.tcpSequence)
            self.client.offeredWindowScale = p.tcpOptions.windowScale
            self.client.lastTimestamp = p.tcpOptions.timestampValue
            self.server.window = UInt32(p.tcpWindow)
            self.server.windowKnown = true
            self.state = .synSent
            if payload.count > 0 && p.tcpOptions.hasFastOpen {
                // TCP Fast Open: data in the SYN belongs at the start of the client stream. Without the TFO
                // option Suricata leaves SYN data out of the stream (it is inspected as a packet only).
                self.synDataLength = UInt32(payload.count)
                self.accept(payload, seq: p.tcpSequence &+ 1, toServer: true, result: &result)
            }
            return .accepted
        }
        if syn && ack {
            // Suricata applies the midstream policy to every session that starts without a SYN, before it
            // decides whether to pick it up (so the flow record names it even when it is ignored).
            result.exceptions.insert(.streamMidstream)
            guard (settings.midstream || settings.asyncOneside) && settings.midstreamPolicyAllowsPickup else {
                self.context.statistics.packetsWithoutSession += 1
                return .noSession
            }
            guard self.reserve(&result) else { return .noSession }
            // Picked up at the SYN/ACK: the receiver is the client.
            self.isMidstream = true
            self.isMidstreamSynAck = true
            self.context.statistics.midstreamPickups += 1
            self.server.start(isn: p.tcpSequence)
            self.server.offeredWindowScale = p.tcpOptions.windowScale
            self.client.start(isn: p.tcpAcknowledgement &- 1)
            self.client.window = UInt32(p.tcpWindow)
            self.client.windowKnown = true
            self.synAckSeq = p.tcpSequence
            self.synAckAck = p.tcpAcknowledgement
            self.state = .synReceived
            return .accepted
        }
        if fin || ack { result.exceptions.insert(.streamMidstream) }
        guard settings.midstream && settings.midstreamPolicyAllowsPickup else {
            if fin { result.events.insert(.finButNoSession) }
            self.context.statistics.packetsWithoutSession += 1
            return .noSession
        }
        guard self.reserve(&result) else { return .noSession }
        // Midstream pickup from a data/ACK packet: its sender is taken as the client by the flow table.
        self.isMidstream = true
        self.context.statistics.midstreamPickups += 1
        var sender = TCPStreamDirection()
        sender.start(isn: p.tcpSequence &- 1)
        self.client = sender
        if ack {
            self.server.start(isn: p.tcpAcknowledgement &- 1)
        }
        self.client.window = UInt32(p.tcpWindow)
        self.state = .established
        if !toServer { swap(&self.client, &self.server) }
        return self.inEstablishedOrClosing(p, toServer: toServer, payload: payload, result: &result)
    }

    private func reserve(_ result: inout StreamResult) -> Bool {
        guard self.context.reserveSession(StreamSettings.bytesPerSession) else {
            self.context.statistics.sessionMemcapDrops += 1
            result.exceptions.insert(.streamMemcap)
            return false
        }
        self.context.statistics.sessions += 1
        self.holdsSessionMemory = true
        return true
    }

    @exclusivity(unchecked) private var holdsSessionMemory = false
    /// The session was charged to `stream.memcap`, so it is tracking; one that was not is still in its first
    /// state with nothing in it (no handshake seen, or the memcap refused it) and need not be kept.
    var isCharged: Bool { self.holdsSessionMemory }
    @exclusivity(unchecked) private var buffersReleased = false
    /// Directions whose end of stream was handed to the app layer (bit 1 client, bit 2 server).
    @exclusivity(unchecked) private var appEndSent: UInt8 = 0
    /// Directions whose progress moved since the last prune (bit 1 client, bit 2 server).
    @exclusivity(unchecked) private var pendingPrune: UInt8 = 0
    /// Bytes of data carried by the client's SYN (TCP Fast Open).
    @exclusivity(unchecked) private var synDataLength: UInt32 = 0
    /// Events raised while handing data off (gaps), merged into the packet's result.
    @exclusivity(unchecked) private var handOffEvents = StreamEventSet()

    deinit {
        if self.holdsSessionMemory { self.context.releaseSession(StreamSettings.bytesPerSession) }
    }

    private func inSynSent(
        _ p: Packet, toServer: Bool, payload: UnsafeRawBufferPointer, result: inout StreamResult
    ) -> StreamPacketStatus {
        let flags = p.tcpFlags
        let syn = flags & 0x02 != 0
        let ack = flags & 0x10 != 0
        let rst = flags & 0x04 != 0
        if rst {
            // RFC 9293 §3.10.7.3: in SYN-SENT a RST is acceptable only if it acknowledges the SYN.
            if !toServer && ack && p.tcpAcknowledgement == self.client.isn &+ 1 {
                self.closeByReset(fromClient: toServer)
                return .accepted
            }
            if toServer && p.tcpSequence == self.client.isn &+ 1 || toServer && p.tcpSequence == self.client.isn {
                self.closeByReset(fromClient: toServer)
                return .accepted
            }
            result.events.insert(.rstInvalidAck)
            return .rejected
        }
        if syn && ack {
            if toServer {
                result.events.insert(.threeWaySynackInWrongDirection)
                return .rejected
            }
            // With TCP Fast Open (RFC 7413) the SYN/ACK acknowledges the SYN's data too, or only the SYN when the
            // server ignored the data (which the client then sends again).
            let acksSynOnly = p.tcpAcknowledgement == self.client.isn &+ 1
            let acksSynData = self.synDataLength > 0 && p.tcpAcknowledgement == self.client.isn &+ 1 &+ self.synDataLength
            if !acksSynOnly && !acksSynData {
                result.events.insert(.threeWaySynackWithWrongAck)
                return .rejected
            }
            if acksSynOnly && self.synDataLength > 0 { result.events.insert(.threeWaySynackTfoDataIgnored) }
            self.server.start(isn: p.tcpSequence)
            self.server.offeredWindowScale = p.tcpOptions.windowScale
            self.server.lastTimestamp = p.tcpOptions.timestampValue
            self.synAckSeq = p.tcpSequence
            self.synAckAck = p.tcpAcknowledgement
            self.client.acknowledge(p.tcpAcknowledgement)
            // RFC 7323 §2.2: scaling applies only when both SYNs carried the option; SYN windows are unscaled.
            if let clientShift = self.client.offeredWindowScale, let serverShift = p.tcpOptions.windowScale {
                self.client.ownWindowShift = min(clientShift, 14)
                self.server.ownWindowShift = min(serverShift, 14)
            }
            self.client.window = UInt32(p.tcpWindow)
            self.client.windowKnown = true
            self.state = .synReceived
            if payload.count > 0 { self.accept(payload, seq: p.tcpSequence &+ 1, toServer: false, result: &result) }
            return .accepted
        }
        if syn {
            if toServer {
                // SYN retransmission, or a new attempt with another ISN.
                if p.tcpSequence != self.client.isn {
                    self.client.differentSynCount += 1
                    if self.client.differentSynCount > self.context.settings.maxSynQueued {
                        result.events.insert(.threeWaySynFlood)
                    }
                    self.client.start(isn: p.tcpSequence)
                }
                return .accepted
            }
            // Simultaneous open (RFC 9293 §3.5, Suricata's 4-way handshake): the server sends its own SYN.
            self.isFourWayHandshake = true
            self.server.start(isn: p.tcpSequence)
            self.server.offeredWindowScale = p.tcpOptions.windowScale
            self.client.window = UInt32(p.tcpWindow)
            self.client.windowKnown = true
            self.state = .synReceived
            return .accepted
        }
        if ack && toServer && self.context.settings.asyncOneside {
            // Only the client side is visible: continue without the SYN/ACK.
            if p.tcpSequence != self.client.nextSeq { result.events.insert(.threeWayAsyncWrongSeq) }
            self.isAsync = true
            self.server.start(isn: p.tcpAcknowledgement &- 1)
            self.state = .established
            return self.inEstablishedOrClosing(p, toServer: toServer, payload: payload, result: &result)
        }
        return .rejected
    }

    private func inSynReceived(
        _ p: Packet, toServer: Bool, payload: UnsafeRawBufferPointer, result: inout StreamResult
    ) -> StreamPacketStatus {
        let flags = p.tcpFlags
        let syn = flags & 0x02 != 0
        let ack = flags & 0x10 != 0
        let rst = flags & 0x04 != 0
        if rst {
            if self.validReset(p, toServer: toServer) {
                self.closeByReset(fromClient: toServer)
                return .accepted
            }
            result.events.insert(.rstInvalidAck)
            return .rejected
        }
        if syn && ack {
            if self.isFourWayHandshake && toServer {
                // The client's SYN/ACK answering the server's SYN.
                if p.tcpAcknowledgement != self.server.isn &+ 1 {
                    result.events.insert(.fourWaySynackWithWrongAck)
                    return .rejected
                }
                if p.tcpSequence != self.client.isn {
                    result.events.insert(.fourWaySynackWithWrongSyn)
                    return .rejected
                }
                self.server.acknowledge(p.tcpAcknowledgement)
                self.server.window = UInt32(p.tcpWindow)
                self.server.windowKnown = true
                return .accepted
            }
            if toServer {
                result.events.insert(.threeWaySynackToserverOnSynRecv)
                return .rejected
            }
            if p.tcpAcknowledgement != self.synAckAck {
                result.events.insert(.threeWaySynackResendWithDifferentAck)
                return .rejected
            }
            if p.tcpSequence != self.synAckSeq {
                result.events.insert(.threeWaySynackResendWithDiffSeq)
                self.server.differentSynCount += 1
                if self.server.differentSynCount > self.context.settings.maxSynAckQueued {
                    result.events.insert(.threeWaySynackFlood)
                }
                return .rejected
            }
            return .accepted
        }
        if syn {
            if !toServer {
                result.events.insert(.threeWaySynToclientOnSynRecv)
                return .rejected
            }
            if p.tcpSequence != self.client.isn {
                result.events.insert(.threeWaySynResendDiffSeqOnSynRecv)
                return .rejected
            }
            return .accepted
        }
        guard ack else { return .rejected }
        if self.isFourWayHandshake {
            // The server's ACK of the client's SYN/ACK completes the simultaneous open.
            if toServer { return self.inEstablishedAfterHandshake(p, toServer: toServer, payload: payload, result: &result) }
            if p.tcpSequence != self.server.nextSeq {
                result.events.insert(.fourWayWrongSeq)
                return .rejected
            }
            if p.tcpAcknowledgement != self.client.nextSeq {
                result.events.insert(.fourWayInvalidAck)
                return .rejected
            }
            return self.inEstablishedAfterHandshake(p, toServer: toServer, payload: payload, result: &result)
        }
        if !toServer {
            if self.context.settings.asyncOneside && self.isMidstream {
                // Only the server side is visible (picked up at the SYN/ACK).
                self.isAsync = true
                return self.inEstablishedAfterHandshake(p, toServer: toServer, payload: payload, result: &result)
            }
            return self.serverPacketInSynReceived(p, payload: payload, result: &result)
        }
        // The handshake's final ACK: RFC 9293 §3.10.7.4 requires SND.UNA < SEG.ACK =< SND.NXT.
        let seqRight = p.tcpSequence == self.client.nextSeq
        let ackRight = p.tcpAcknowledgement == self.server.nextSeq
        if !ackRight {
            result.events.insert(seqRight ? .threeWayRightSeqWrongAckEvasion : .threeWayWrongSeqWrongAck)
            return .rejected
        }
        return self.inEstablishedAfterHandshake(p, toServer: toServer, payload: payload, result: &result)
    }

    /// A packet from the server while the handshake's final ACK is outstanding (Suricata's SYN_RECV ACK handling
    /// for packets to the client). Inline, only a session picked up at its SYN/ACK takes one: anything else means
    /// the ACK went the wrong way or data is being injected. In IDS mode the client's ACK (and its first data)
    /// may simply be missing from the capture:
    /// - an ACK of client data beyond what the client had been ACKed for establishes the session (Suricata's "SYN/ACK
    ///   followed by more packets to the client"; its test also compares the packet's sequence number with the
    ///   client's next one, two different sequence spaces, and Weir keeps that test as Suricata has it);
    /// - otherwise a packet that carries on from the SYN/ACK with the same ACK establishes it, the client's final
    ///   ACK having been missed (not for a SYN/ACK pickup, where Suricata has no handshake to have missed).
    private func serverPacketInSynReceived(
        _ p: Packet, payload: UnsafeRawBufferPointer, result: inout StreamResult
    ) -> StreamPacketStatus {
        let inline = self.context.settings.inline
        let pickedUpAtSynAck = self.isMidstreamSynAck
        if inline && !pickedUpAtSynAck {
            let carriesOn = p.tcpAcknowledgement == self.client.lastAck && p.tcpSequence == self.server.nextSeq
            if payload.count > 0 && carriesOn {
                result.events.insert(.threeWayAckDataInject)
            } else {
                result.events.insert(.threeWayAckInWrongDir)
            }
            return .rejected
        }
        if !inline && Seq.gt(p.tcpSequence, self.client.nextSeq) && Seq.gt(p.tcpAcknowledgement, self.client.lastAck) {
            return self.inEstablishedAfterHandshake(p, toServer: false, payload: payload, result: &result)
        }
        if !pickedUpAtSynAck && p.tcpAcknowledgement == self.client.lastAck && p.tcpSequence == self.server.nextSeq {
            return self.inEstablishedAfterHandshake(p, toServer: false, payload: payload, result: &result)
        }
        result.events.insert(.threeWayWrongSeqWrongAck)
        return .rejected
    }

    private func inEstablishedAfterHandshake(
        _ p: Packet, toServer: Bool, payload: UnsafeRawBufferPointer, result: inout StreamResult
    ) -> StreamPacketStatus {
        self.state = .established
        return self.inEstablishedOrClosing(p, toServer: toServer, payload: payload, result: &result)
    }

    private func unexpectedSyn(_ p: Packet, toServer: Bool, ack: Bool, result: inout StreamResult) {
        let established = self.state == .established
        if ack {
            if toServer {
                result.events.insert(established ? .estSynackToserver : .shutdownSynResend)
            } else if p.tcpSequence != self.synAckSeq {
                result.events.insert(established ? .estSynackResendWithDiffSeq : .shutdownSynResend)
            } else if p.tcpAcknowledgement != self.synAckAck {
                result.events.insert(established ? .estSynackResendWithDifferentAck : .shutdownSynResend)
            } else {
                result.events.insert(established ? .estSynackResend : .shutdownSynResend)
            }
        } else if !toServer {
            result.events.insert(established ? .estSynToclient : .shutdownSynResend)
        } else if p.tcpSequence != self.client.isn {
            result.events.insert(established ? .estSynResendDiffSeq : .shutdownSynResend)
        } else {
            result.events.insert(established ? .estSynResend : .shutdownSynResend)
        }
    }

    /// RST validity (Suricata's `StreamTcpValidateRst`, RFC 5961 §3.2): the sequence number must be the next
    /// expected one or within the receive window, and an acknowledgement must not ACK data never sent.
    private func validReset(_ p: Packet, toServer: Bool) -> Bool {
        if self.isLossy { return true }
        let sender = toServer ? self.client : self.server
        let receiver = toServer ? self.server : self.client
        let seq = p.tcpSequence
        if p.tcpFlags & 0x10 != 0 {
            // The ACK must not go past what the other side sent.
            if Seq.gt(p.tcpAcknowledgement, receiver.nextSeq) { return false }
        }
        if seq == sender.nextSeq { return true }
        if self.isMidstream || self.isAsync || !sender.windowKnown { return Seq.geq(seq, sender.lastAck) }
        return Seq.geq(seq, sender.lastAck) && Seq.lt(seq, sender.nextWindowEdge &+ 1)
    }

    private func closeByReset(fromClient: Bool) {
        self.state = .closed
        self.closedByReset = true
        self.resetFromClient = fromClient
    }

    private func inEstablishedOrClosing(
        _ p: Packet, toServer: Bool, payload: UnsafeRawBufferPointer, result: inout StreamResult
    ) -> StreamPacketStatus {
        let flags = p.tcpFlags
        let ack = flags & 0x10 != 0
        let fin = flags & 0x01 != 0
        let rst = flags & 0x04 != 0
        let lenient = self.isMidstream || self.isAsync
        if rst {
            if self.validReset(p, toServer: toServer) {
                // RST payload (RFC 9293 §3.5.3 "diagnostic" data) is not stream data: Suricata does not add it
                // (suricata-verify bug-6244-tcp-rst-with-data: `flow:only_stream` must not match it).
                // As Suricata's established-state RST: the sender's data counts as ACKed up to the RST's
                // sequence number and the receiver's up to its ACK, so what is left is handed over at the close
                // with the holes before those points as gaps.
                if toServer {
                    self.client.acknowledge(p.tcpSequence)
                    if ack { self.server.acknowledge(p.tcpAcknowledgement) }
                } else {
                    self.server.acknowledge(p.tcpSequence)
                    if ack { self.client.acknowledge(p.tcpAcknowledgement) }
                }
                self.closeByReset(fromClient: toServer)
                return .accepted
            }
            result.events.insert(.rstInvalidAck)
            return .rejected
        }
        let seq = p.tcpSequence
        let length = UInt32(payload.count)
        let end = seq &+ length
        var sender = toServer ? self.client : self.server
        // A side that already sent its FIN has nothing beyond it (RFC 9293 §3.6): a sequence number past
        // FIN + 1 is wrong for the closing states, as Suricata's per-state handlers report.
        if sender.finSeen && self.state != .established && Seq.gt(seq, sender.nextSeq) {
            if let event = self.closingWrongSeqEvent(fin: fin) {
                result.events.insert(event)
                return .rejected
            }
        }
        // Receive-window check (RFC 9293 §3.10.7.4): data must fit in lastAck + window of the receiver.
        if !lenient && sender.windowKnown && length > 0 && Seq.gt(end, sender.nextWindowEdge) && sender.window > 0 {
            result.events.insert(self.outOfWindowEvent(fin: fin))
            return .rejected
        }
        // ACK validation against the other direction (Suricata's StreamTcpValidateAck).
        if ack {
            let other = toServer ? self.server : self.client
            if !lenient && other.windowKnown && Seq.gt(p.tcpAcknowledgement, other.nextSeq &+ 1)
                && Seq.gt(p.tcpAcknowledgement, other.nextWindowEdge)
            {
                result.events.insert(.pktInvalidAck)
                result.events.insert(self.invalidAckEvent(fin: fin))
                return .rejected
            }
        }
        // Retransmissions (Suricata's StreamTcpPacketIsRetransmission).
        if length > 0 {
            if Seq.leq(end, sender.lastAck) {
                result.events.insert(self.state == .closeWait ? .closewaitPktBeforeLastAck : .estPktBeforeLastAck)
                result.events.insert(.pktSpuriousRetransmission)
                result.events.insert(.pktRetransmission)
                self.context.statistics.retransmissions += 1
            } else if sender.offset(of: seq) < self.reassembler(toServer).contiguousEnd || Seq.lt(seq, sender.lastAck) {
                result.events.insert(.pktRetransmission)
                self.context.statistics.retransmissions += 1
            }
        }
        if let tsval = p.tcpOptions.timestampValue {
            // PAWS (RFC 7323 §5): a timestamp older than the last one seen from this sender.
            if let last = sender.lastTimestamp, Seq.lt(tsval, last), length > 0, !Seq.leq(end, sender.nextSeq) {
                result.events.insert(.pktInvalidTimestamp)
            }
            if sender.lastTimestamp == nil || Seq.gt(tsval, sender.lastTimestamp ?? 0) { sender.lastTimestamp = tsval }
            if toServer { self.client.lastTimestamp = sender.lastTimestamp } else { self.server.lastTimestamp = sender.lastTimestamp }
        }
        // Acknowledgement and window of the other direction.
        if ack {
            if toServer {
                self.server.acknowledge(p.tcpAcknowledgement)
                self.server.window = UInt32(p.tcpWindow) << UInt32(self.client.ownWindowShift)
                self.server.windowKnown = true
            } else {
                self.client.acknowledge(p.tcpAcknowledgement)
                self.client.window = UInt32(p.tcpWindow) << UInt32(self.server.ownWindowShift)
                self.client.windowKnown = true
            }
        }
        if length > 0 { self.accept(payload, seq: seq, toServer: toServer, result: &result) }
        if self.isAsync {
            // Nobody ACKs a one-sided stream: its data counts as acknowledged once in order.
            if toServer { self.client.acknowledge(self.client.nextSeq) } else { self.server.acknowledge(self.server.nextSeq) }
        }
        if fin {
            sender = toServer ? self.client : self.server
            if !sender.finSeen {
                let finOffset = sender.offset(of: end)
                if toServer {
                    self.client.finSeen = true
                    self.client.finOffset = finOffset
                    self.client.advanceNext(to: end &+ 1)
                } else {
                    self.server.finSeen = true
                    self.server.finOffset = finOffset
                    self.server.advanceNext(to: end &+ 1)
                }
            }
        }
        self.advanceCloseState(toServer: toServer, fin: fin, ack: ack, ackNumber: p.tcpAcknowledgement)
        return .accepted
    }

    private func outOfWindowEvent(fin: Bool) -> StreamEvent {
        switch self.state {
        case .closeWait: return fin ? .closewaitFinOutOfWindow : .closewaitAckOutOfWindow
        default: return fin ? .finOutOfWindow : .estPacketOutOfWindow
        }
    }

    private func closingWrongSeqEvent(fin: Bool) -> StreamEvent? {
        switch self.state {
        case .finWait1: return fin ? .fin1FinWrongSeq : .fin1AckWrongSeq
        case .finWait2: return fin ? .fin2FinWrongSeq : .fin2AckWrongSeq
        case .closing: return .closingAckWrongSeq
        case .lastAck: return .lastackAckWrongSeq
        case .timeWait: return .timewaitAckWrongSeq
        case .closeWait: return fin ? .closewaitFinOutOfWindow : .closewaitAckOutOfWindow
        default: return nil
        }
    }

    private func invalidAckEvent(fin: Bool) -> StreamEvent {
        if fin { return .finInvalidAck }
        switch self.state {
        case .finWait1: return .fin1InvalidAck
        case .finWait2: return .fin2InvalidAck
        case .closeWait: return .closewaitInvalidAck
        case .closing: return .closingInvalidAck
        case .lastAck: return .lastackInvalidAck
        case .timeWait: return .timewaitInvalidAck
        default: return .estInvalidAck
        }
    }

    /// FIN handshake (RFC 9293 §3.6) from the point of view of the side that closes first.
    private func advanceCloseState(toServer: Bool, fin: Bool, ack: Bool, ackNumber: UInt32) {
        // Did this packet acknowledge the other side's FIN?
        let other = toServer ? self.server : self.client
        let acksOtherFin = ack && other.finSeen && Seq.geq(ackNumber, other.nextSeq)
        switch self.state {
        case .established:
            if fin { self.state = toServer ? .finWait1 : .closeWait }
        case .finWait1:
            // Client closed first.
            if !toServer && fin { self.state = acksOtherFin ? .timeWait : .closing } else if acksOtherFin && !toServer { self.state = .finWait2 }
        case .finWait2:
            if !toServer && fin { self.state = .timeWait }
        case .closeWait:
            // Server closed first; the client's FIN moves to LAST-ACK.
            if toServer && fin { self.state = .lastAck }
        case .closing:
            if acksOtherFin { self.state = .timeWait }
        case .lastAck:
            if !toServer && acksOtherFin { self.state = .closed }
        case .timeWait:
            if toServer && acksOtherFin { self.state = .closed }
        default: break
        }
    }

    // MARK: Data

    private func accept(
        _ payload: UnsafeRawBufferPointer, seq: UInt32, toServer: Bool, result: inout StreamResult
    ) {
        let settings = self.context.settings
        let outcome: ReassemblyInsertOutcome
        let dataOffset: UInt64
        if toServer {
            dataOffset = self.client.offset(of: seq)
            outcome = self.clientReassembler.insert(
                offset: dataOffset, data: payload, policy: self.clientStreamPolicy, inline: settings.inline,
                events: &result.events)
            self.client.advanceNext(to: seq &+ UInt32(payload.count))
        } else {
            dataOffset = self.server.offset(of: seq)
            outcome = self.serverReassembler.insert(
                offset: dataOffset, data: payload, policy: self.serverStreamPolicy, inline: settings.inline,
                events: &result.events)
            self.server.advanceNext(to: seq &+ UInt32(payload.count))
        }
        switch outcome {
        case .inserted:
            result.addedToStream = true
        case .overlapped(let different):
            result.addedToStream = true
            if different && settings.inline {
                let reassembler = self.reassembler(toServer)
                if let normalised = reassembler.lastNormalised, normalised.payloadOffset == 0,
                    normalised.bytes.count == payload.count
                {
                    self.context.normalisedPayload = normalised.bytes
                    result.payloadNormalised = true
                }
            }
        case .memcap:
            result.exceptions.insert(.streamReassemblyMemcap)
        case .beforeBase, .beyondDepth, .empty:
            break
        }
        self.lastDataOffset = dataOffset
        self.lastDataLength = payload.count
        let direction = toServer ? self.client : self.server
        if self.reassembler(toServer).depthReached && !direction.depthNotified {
            if toServer { self.client.depthNotified = true } else { self.server.depthNotified = true }
            self.onDepthReached?(self, toServer)
        }
    }

    @exclusivity(unchecked) private var lastDataOffset: UInt64 = 0
    @exclusivity(unchecked) private var lastDataLength = 0

    /// The end of a direction's data: everything stored (and not past a FIN).
    private func dataEnd(toServer: Bool) -> UInt64 {
        let d = toServer ? self.client : self.server
        var end = self.reassembler(toServer).rightEdge
        if d.finSeen && d.finOffset < end { end = d.finOffset }
        return end
    }

    /// The end of a direction's acknowledged data (an ACK of the FIN counts up to the FIN).
    private func ackedEnd(toServer: Bool) -> UInt64 {
        let d = toServer ? self.client : self.server
        var end = d.lastAckOffset
        if d.finSeen && d.finOffset < end { end = d.finOffset }
        let depth = self.context.settings.reassemblyDepth
        if depth > 0 && end > depth { end = depth }
        return end
    }

    // MARK: Hand-off

    /// Decides what raw-stream data detection inspects for this packet, and what the app layer receives.
    ///
    /// IDS mode (Suricata's `StreamReassembleRaw` + `StreamTcpReassembleRawCheckLimit`): the packet's own
    /// direction is inspected, up to what the receiver has ACKed, once at least `chunk-size` ACKed bytes are
    /// uninspected, or at once when the depth was reached, the app layer asked for it, or the session closed.
    /// The app layer receives the other direction's data as this packet ACKs it.
    ///
    /// Inline mode (`StreamReassembleRawInline`): the window of up to `chunk-size` bytes ending at this packet's
    /// data is inspected right away; the app layer gets the packet direction's data once in order.
    private func emitChunks(toServer: Bool, payload: UnsafeRawBufferPointer, result: inout StreamResult) {
        let payloadLength = payload.count
        guard self.state != .none else { return }
        let settings = self.context.settings
        let closed = self.state == .closed
        if settings.inline {
            if result.addedToStream { self.inlineRaw(toServer: toServer, payload: self.context.normalisedPayload ?? payload) }
            self.flushApp(toServer: toServer, to: self.contiguousEnd(toServer: toServer), endOfStream: false)
            if closed { self.flushEverything() }
        } else if closed {
            // The session is over: everything left is final (Suricata flushes both sides on close/RST).
            self.flushEverything()
        } else {
            let d = toServer ? self.client : self.server
            let acked = self.ackedEnd(toServer: toServer)
            let chunkSize = UInt64(toServer ? settings.toServerChunkSize : settings.toClientChunkSize)
            let pending = acked > d.rawProgress ? acked - d.rawProgress : 0
            if pending > 0 && (pending >= chunkSize || d.triggerRaw || self.reassembler(toServer).depthReached) {
                let packetStart: UInt64? = payloadLength > 0 && result.addedToStream ? self.lastDataOffset : nil
                self.flushRaw(toServer: toServer, to: acked, packetDataStart: packetStart)
            }
            // The app layer gets what this packet acknowledged in the other direction (and, for a one-sided
            // stream, the sender's own in-order data).
            self.flushApp(toServer: !toServer, to: self.appFlushEnd(toServer: !toServer), endOfStream: false)
            if self.isAsync { self.flushApp(toServer: toServer, to: acked, endOfStream: false) }
        }
        result.rawChunkCount = self.context.rawChunks.count
        result.appLayerChunkCount = self.context.appLayerChunks.count
    }

    /// Hands out everything left in both directions, ACKed or not (the app layer up to a hole nobody ACKed),
    /// and ends both app-layer streams.
    private func flushEverything() {
        self.flushRaw(toServer: true, to: self.dataEnd(toServer: true), packetDataStart: nil)
        self.flushApp(toServer: true, to: self.appEndAtClose(toServer: true), endOfStream: true)
        self.flushRaw(toServer: false, to: self.dataEnd(toServer: false), packetDataStart: nil)
        self.flushApp(toServer: false, to: self.appEndAtClose(toServer: false), endOfStream: true)
    }

    /// How far the app layer gets a direction's data once the session is over: all that is stored, ACKed or
    /// not, across the holes the receiver ACKed (each a gap, counted), but not past the first hole it did not
    /// ACK. There Suricata's `CheckGap` finds no gap and the direction's reassembly stops: data that may never
    /// have been sent is not a gap, and what follows it is not the app layer's (raw inspection still sees it).
    private func appEndAtClose(toServer: Bool) -> UInt64 {
        let end = self.dataEnd(toServer: toServer)
        let from = toServer ? self.client.appProgress : self.server.appProgress
        let contiguous = self.contiguousEnd(toServer: toServer)
        guard end > from, contiguous < end else { return end }
        let acked = self.ackedEnd(toServer: toServer)
        guard acked < end else { return end }
        // The common case: the first hole is where the in-order data ends, and nobody ACKed it.
        if contiguous > from && contiguous >= acked { return contiguous }
        self.context.blockScratch.removeAll(keepingCapacity: true)
        self.reassembler(toServer).blocks(from: from, to: end, into: &self.context.blockScratch)
        for block in self.context.blockScratch where block.isGap && block.offset >= acked { return block.offset }
        return end
    }

    /// How far the app layer gets a direction's data on an ACK (Suricata's `CheckGap`): up to what is ACKed, a hole
    /// included as a gap, when data beyond the hole is stored; but an ACK of data not seen yet, with nothing
    /// stored past what is in order, is no gap yet (capture order can put the ACK before the data): the app layer
    /// waits at the end of the in-order data.
    @inline(__always)
    private func appFlushEnd(toServer: Bool) -> UInt64 {
        let acked = self.ackedEnd(toServer: toServer)
        // Most ACKs move nothing new: decided without looking at the stored data.
        guard acked > (toServer ? self.client.appProgress : self.server.appProgress) else { return acked }
        let contiguous = self.contiguousEnd(toServer: toServer)
        guard acked > contiguous, self.reassembler(toServer).rightEdge <= contiguous else { return acked }
        return contiguous
    }

    private func contiguousEnd(toServer: Bool) -> UInt64 {
        let d = toServer ? self.client : self.server
        let end = self.reassembler(toServer).contiguousEnd
        return d.finSeen ? min(end, d.finOffset) : end
    }

    private func flushRaw(toServer: Bool, to end: UInt64, packetDataStart: UInt64?) {
        let d = toServer ? self.client : self.server
        let from = d.rawProgress
        guard end > from else { return }
        let reassembler = self.reassembler(toServer)
        if let bytes = reassembler.contiguousBytes(from: from, to: end) {
            // Common case: no hole, one chunk straight from the buffer.
            let block = StreamBlock(offset: from, length: bytes.count, isGap: false, bytes: bytes)
            let before = packetDataStart.map { from < $0 } ?? true
            self.context.rawChunks.append(
                RawStreamChunk(toServer: toServer, block: block, includesDataBeforePacket: before, alreadyInspectedUpTo: from))
            self.markRawInspected(toServer: toServer, upTo: end)
            return
        }
        self.context.blockScratch.removeAll(keepingCapacity: true)
        self.reassembler(toServer).blocks(from: from, to: end, into: &self.context.blockScratch)
        for block in self.context.blockScratch {
            if block.isGap { continue }
            let before = packetDataStart.map { block.offset < $0 } ?? true
            self.context.rawChunks.append(
                RawStreamChunk(toServer: toServer, block: block, includesDataBeforePacket: before, alreadyInspectedUpTo: from))
        }
        self.markRawInspected(toServer: toServer, upTo: end)
    }

    /// Raw inspection of one direction reached `end`: the direction's data before it may be pruned and no
    /// inspection is due until new data triggers one.
    private func markRawInspected(toServer: Bool, upTo end: UInt64) {
        if toServer {
            self.client.rawProgress = end
            self.pendingPrune |= 1
            self.client.triggerRaw = false
        } else {
            self.server.rawProgress = end
            self.pendingPrune |= 2
            self.server.triggerRaw = false
        }
    }

    /// Inline raw inspection of the packet just added (Suricata's `StreamReassembleRawInline`): the run of
    /// contiguous stream data holding the packet, cut to the chunk size around it (cut at the front when the
    /// packet ends the run, at the back when it starts it, else centred); the packet's own bytes when the stream
    /// does not hold them whole. No dedupe: windows overlap, and a retransmission re-inspects its data.
    private func inlineRaw(toServer: Bool, payload: UnsafeRawBufferPointer) {
        let d = toServer ? self.client : self.server
        let reassembler = self.reassembler(toServer)
        let settings = self.context.settings
        let packetLength = UInt64(payload.count)
        guard packetLength > 0 else { return }
        var chunkSize = UInt64(toServer ? settings.toServerChunkSize : settings.toClientChunkSize)
        if chunkSize <= packetLength { chunkSize = packetLength + chunkSize / 10 }
        let packetStart = self.lastDataOffset
        let packetEnd = packetStart + packetLength
        let previous = d.rawProgress
        var block: StreamBlock
        var returnsProgress = false
        if let run = reassembler.contiguousRun(containing: packetStart, to: packetEnd) {
            returnsProgress = run.start == reassembler.baseOffset
            var start = run.start
            var end = run.end
            if end - start > chunkSize {
                if end == packetEnd {
                    start = end - chunkSize
                } else if start == packetStart {
                    end = start + chunkSize
                } else {
                    let room = chunkSize - packetLength
                    var before = packetStart - start
                    var after = end - packetEnd
                    if after >= room / 2 {
                        if before >= room / 2 {
                            before = room / 2
                            after = room / 2
                        } else {
                            after = room - before
                        }
                    } else if before >= room / 2 {
                        before = room - after
                    }
                    start = packetStart - before
                    end = packetEnd + after
                }
            }
            let bytes = reassembler.storedBytes(from: start, to: end) ?? payload
            block = StreamBlock(offset: start, length: bytes.count, isGap: false, bytes: bytes)
        } else {
            // The stream does not hold the packet whole (insert failed or was cut): inspect the packet itself.
            block = StreamBlock(offset: packetStart, length: payload.count, isGap: false, bytes: payload)
        }
        self.context.rawChunks.append(
            RawStreamChunk(
                toServer: toServer, block: block, includesDataBeforePacket: block.offset < packetStart,
                alreadyInspectedUpTo: previous))
        var progress = previous
        if returnsProgress {
            progress = block.end
        } else {
            let acked = d.lastAckOffset
            if previous < acked { progress = block.offset > acked ? acked : block.end }
        }
        if progress > previous {
            if toServer {
                self.client.rawProgress = progress
                self.pendingPrune |= 1
            } else {
                self.server.rawProgress = progress
                self.pendingPrune |= 2
            }
        }
    }

    private func flushApp(toServer: Bool, to end: UInt64, endOfStream: Bool) {
        let d = toServer ? self.client : self.server
        let from = d.appProgress
        let endAlreadySent = self.appEndSent & (toServer ? 1 : 2) != 0
        guard end > from || (endOfStream && !endAlreadySent) else { return }
        if end > from, let bytes = self.reassembler(toServer).contiguousBytes(from: from, to: end) {
            let block = StreamBlock(offset: from, length: bytes.count, isGap: false, bytes: bytes)
            self.context.appLayerChunks.append(AppLayerChunk(toServer: toServer, block: block, isEndOfStream: false))
            if toServer {
                self.client.appProgress = end
                self.pendingPrune |= 1
            } else {
                self.server.appProgress = end
                self.pendingPrune |= 2
            }
        } else if end > from {
            self.context.blockScratch.removeAll(keepingCapacity: true)
            self.reassembler(toServer).blocks(from: from, to: end, into: &self.context.blockScratch)
            for block in self.context.blockScratch {
                if block.isGap {
                    // Counted once, here: the app-layer hand-off is where Suricata reports the gap.
                    self.context.statistics.reassemblyGaps += 1
                    self.handOffEvents.insert(.reassemblySeqGap)
                    self.gapDirections |= toServer ? 1 : 2
                }
                self.context.appLayerChunks.append(AppLayerChunk(toServer: toServer, block: block, isEndOfStream: false))
            }
            if toServer {
                self.client.appProgress = end
                self.pendingPrune |= 1
            } else {
                self.server.appProgress = end
                self.pendingPrune |= 2
            }
        }
        if endOfStream && !endAlreadySent {
            self.appEndSent |= toServer ? 1 : 2
            if let last = self.context.appLayerChunks.indices.last, self.context.appLayerChunks[last].toServer == toServer, end > from {
                self.context.appLayerChunks[last].isEndOfStream = true
            } else {
                let empty = StreamBlock(offset: end, length: 0, isGap: false, bytes: .init(start: nil, count: 0))
                self.context.appLayerChunks.append(AppLayerChunk(toServer: toServer, block: empty, isEndOfStream: true))
            }
        }
    }
}

/// What a flow record's `tcp` object says of a session's streams (``TCPSession/streamFacts``).
public struct TCPStreamFacts: Sendable {
    /// The app layer was handed a gap from the client / from the server.
    public var gapToServer: Bool
    public var gapToClient: Bool
    /// The most separate data regions the client's / the server's stream held at once.
    public var maxRegionsToServer: UInt16
    public var maxRegionsToClient: UInt16
}
