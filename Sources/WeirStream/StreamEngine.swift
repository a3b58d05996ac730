// SPDX-License-Identifier: MIT
import WeirDecode
import WeirFlow

/// The stream engine of one packet-processing thread: a ``TCPSession`` per TCP flow, indexed by the flow
/// table's slot, sharing one ``StreamContext`` (settings, counters, memcaps).
///
/// Call ``handle(_:flow:flowID:frame:)`` for every TCP packet after the flow lookup, and ``endFlow(flowID:_:)``
/// from the flow table's `emit` callback so the session's remaining data is flushed and its memory freed.
///
/// Sessions of ended flows are reset and kept in a pool (at most ``pooledSessionLimit``) for new flows, so a
/// warm engine allocates no session objects (Suricata keeps its sessions in a pool too, `ssn_pool`). A pooled
/// session holds no buffers and is charged to no memcap: `stream.memcap` and the reassembly memcap see exactly
/// what they would with a new session per flow.
public final class StreamEngine {
    /// Settings, counters and memcaps shared by the sessions.
    public let context: StreamContext
    @exclusivity(unchecked) private var sessions: [TCPSession?] = []
    /// The same sessions, unretained (the `sessions` array owns them): the per-packet path borrows a session
    /// from here without the retain and release that reading `sessions` costs.
    @exclusivity(unchecked) private var borrowed: [Unmanaged<TCPSession>?] = []
    @exclusivity(unchecked) private var owners: [UInt64] = []
    /// Sessions of ended flows, reset (``TCPSession/reset()``), for ``sessionFor(flow:flowID:)`` to hand out
    /// before it allocates; most recently ended last, so the next flow gets the one most likely still in cache.
    @exclusivity(unchecked) private var pool: [TCPSession] = []
    /// Most sessions the pool keeps (at least `stream.prealloc-sessions`); sessions ending while it is full are
    /// freed.
    public let pooledSessionLimit: Int
    /// The default ``pooledSessionLimit``: Suricata's default `stream.prealloc-sessions` (sessions per thread),
    /// about 1.2 MB of idle session objects at most per engine.
    public static let defaultPooledSessionLimit = 2048

    /// An engine with its own context (settings, counters, memcaps), keeping up to `pooledSessionLimit` sessions
    /// of ended flows for new ones (0: a new session for every flow), and starting with
    /// `settings.preallocSessions` sessions in its pool.
    public init(settings: StreamSettings = StreamSettings(), pooledSessionLimit: Int = StreamEngine.defaultPooledSessionLimit) {
        self.context = StreamContext(settings: settings)
        let prealloc = max(0, settings.preallocSessions)
        self.pooledSessionLimit = max(0, pooledSessionLimit, prealloc)
        if prealloc > 0 {
            self.pool.reserveCapacity(self.pooledSessionLimit)
            for _ in 0..<prealloc { self.pool.append(TCPSession(context: self.context)) }
        }
    }

    deinit {
        // The context may still hold a session that closed on the last packet, for its deferred release; it
        // holds the context too, so drop that reference with the engine rather than leave the pair alive.
        self.context.closedSession = nil
    }

    /// The engine's counters.
    public var statistics: StreamStatistics { self.context.statistics }

    /// Number of sessions waiting in the pool for new flows.
    public var pooledSessionCount: Int { self.pool.count }

    /// Takes a session out of its slot's bookkeeping for good: reset (so its memcap charge and buffers go back
    /// now, whoever still holds a reference), and kept in the pool while it has room. The caller has cleared
    /// every reference the engine held to it in `sessions`/`borrowed`.
    private func recycle(_ session: TCPSession) {
        session.reset()
        if self.pool.count < self.pooledSessionLimit { self.pool.append(session) }
    }

    /// The session in `slot`, if the flow `flowID` has one.
    public func session(slot: Int32, flowID: UInt64) -> TCPSession? {
        let s = Int(slot)
        guard s >= 0, s < self.sessions.count, self.owners[s] == flowID else { return nil }
        return self.sessions[s]
    }

    /// Processes one TCP packet of the flow in `flow.slot` (identified by `flowID`, so a reused slot starts a
    /// new session).
    ///
    /// - Returns: The packet's result. The data to inspect is in ``rawChunks`` and ``appLayerChunks`` (also
    ///   reachable through the session) until the next call into the engine.
    public func handle(_ packet: Packet, flow: FlowHandle, flowID: UInt64, frame: UnsafeRawBufferPointer) -> StreamResult {
        let session = self.sessionFor(flow: flow, flowID: flowID)
        let result = session.handle(packet, toServer: flow.toServer, frame: frame)
        if !session.isCharged { self.discard(slot: Int(flow.slot)) }
        return result
    }

    /// Takes the slot's session back to the pool without finishing it: one that never started tracking (no
    /// handshake, or `stream.memcap` refused it) holds nothing, and keeping it in the slot would let a SYN flood
    /// hold a session per flow past the memcap (with the pool, such a flood reuses one session).
    private func discard(slot s: Int) {
        guard s < self.sessions.count, let session = self.sessions[s] else { return }
        self.borrowed[s] = nil
        self.sessions[s] = nil
        self.owners[s] = 0
        self.recycle(session)
    }

    /// Processes one TCP packet of the flow in `flow.slot` like ``handle(_:flow:flowID:frame:)``, and also reports
    /// what the session looked like before it and its stream sizes after it (for `flow:established` and
    /// `stream_size`). The replay's per-packet entry point: the session is borrowed, not retained, and the
    /// answer is written into the caller's `tracked` (a fresh ``StreamTrackResult``) rather than copied out,
    /// since reading back a block of just-stored one-byte fields stalls on store forwarding.
    public func track(
        _ packet: Packet, flow: FlowHandle, flowID: UInt64, frame: UnsafeRawBufferPointer,
        into tracked: inout StreamTrackResult
    ) {
        let s = Int(flow.slot)
        let session: Unmanaged<TCPSession>
        if s < self.borrowed.count, self.owners[s] == flowID, let existing = self.borrowed[s] {
            session = existing
        } else {
            session = Unmanaged.passUnretained(self.sessionFor(flow: flow, flowID: flowID))
        }
        session._withUnsafeGuaranteedRef { session in
            tracked.wasEstablished = session.isEstablished
            session.handle(packet, toServer: flow.toServer, frame: frame, into: &tracked.result)
            let sizes = session.streamSizes
            tracked.clientSize = sizes.client
            tracked.serverSize = sizes.server
            tracked.bothAtDepth = session.bothDirectionsAtDepth
        }
        if !session._withUnsafeGuaranteedRef({ $0.isCharged }) { self.discard(slot: s) }
    }

    /// Raw-stream chunks of the last call into any session of this engine.
    public var rawChunks: [RawStreamChunk] { self.context.rawChunks }
    /// App-layer chunks of the last call into any session of this engine.
    public var appLayerChunks: [AppLayerChunk] { self.context.appLayerChunks }
    /// Inline mode: the rewritten payload of the last packet, when its result says so.
    public var normalisedPayload: UnsafeRawBufferPointer? { self.context.normalisedPayload }

    /// The session of `flow`, taken from the pool or created (replacing a session left by a previous flow in the
    /// slot, which goes back to the pool) if the flow has none yet.
    public func sessionFor(flow: FlowHandle, flowID: UInt64) -> TCPSession {
        let s = Int(flow.slot)
        if s >= self.sessions.count {
            let grow = max(s + 1, self.sessions.count * 2, 1024)
            self.sessions.append(contentsOf: [TCPSession?](repeating: nil, count: grow - self.sessions.count))
            self.borrowed.append(contentsOf: [Unmanaged<TCPSession>?](repeating: nil, count: grow - self.borrowed.count))
            self.owners.append(contentsOf: [UInt64](repeating: 0, count: grow - self.owners.count))
        }
        if let existing = self.sessions[s], self.owners[s] == flowID { return existing }
        if let previous = self.sessions[s] {
            // A previous flow's session left in the slot (its flow ended without endFlow): nothing reads its
            // chunks any more.
            self.borrowed[s] = nil
            self.sessions[s] = nil
            self.recycle(previous)
        }
        let session = self.pool.popLast() ?? TCPSession(context: self.context)
        self.sessions[s] = session
        self.borrowed[s] = Unmanaged.passUnretained(session)
        self.owners[s] = flowID
        return session
    }

    /// The flow-table slot of flow `flowID`'s session, if it has one.
    public func slot(ofFlow flowID: UInt64) -> Int32? {
        // A scan: the packet and flow-end paths know the slot (``Flow/slot``); this is for callers that do not.
        for s in self.sessions.indices where self.sessions[s] != nil && self.owners[s] == flowID { return Int32(s) }
        return nil
    }

    /// Number of slots the engine has room for (sessions live in slots below this).
    public var slotCount: Int32 { Int32(self.sessions.count) }

    /// True when `slot` holds a session.
    public func hasSession(slot: Int32) -> Bool {
        let s = Int(slot)
        return s >= 0 && s < self.sessions.count && self.sessions[s] != nil
    }

    /// Ends the session of the flow in `slot`: flushes its remaining data (``TCPSession/finish()``), lets `body`
    /// inspect the final chunks, then frees it (back to the pool). The final chunks are valid only inside `body`:
    /// afterwards the session's buffers belong to the pools, and the session may serve the next flow.
    public func endFlow(slot: Int32, _ body: (TCPSession) -> Void = { _ in }) {
        let s = Int(slot)
        guard s >= 0, s < self.sessions.count, let session = self.sessions[s] else { return }
        session.finish()
        body(session)
        self.borrowed[s] = nil
        self.sessions[s] = nil
        self.owners[s] = 0
        // Nothing may read the final chunks past `body`: their bytes are in buffers the reset hands back.
        self.context.rawChunks.removeAllKeepingCapacity()
        self.context.appLayerChunks.removeAllKeepingCapacity()
        self.context.normalisedPayload = nil
        self.recycle(session)
    }

    /// Ends the session of flow `flowID` (see ``endFlow(slot:_:)``), found by a scan; for callers that know only
    /// the flow id. The flow table's `emit` callback knows the slot (``Flow/slot``).
    public func endFlow(flowID: UInt64, _ body: (TCPSession) -> Void = { _ in }) {
        guard let slot = self.slot(ofFlow: flowID) else { return }
        self.endFlow(slot: slot, body)
    }
}
