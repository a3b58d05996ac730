// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirFlow
import WeirStream

/// Per-worker detection state (Suricata's `DetectEngineThreadCtx`): scratch space, the candidate queue, flow
/// detection state by flow-table slot, thresholds and xbits. Not thread-safe: one per worker.
///
/// The stored state is marked `@exclusivity(unchecked)`: a context is confined to one worker thread and the
/// engine never hands out overlapping accesses, while the runtime checks cost more than the work they guard.
public final class DetectContext {
    let engine: DetectEngine
    @exclusivity(unchecked) var payloadScratch: PayloadScratch
    let patternScratch: PatternScratch
    @exclusivity(unchecked) var hits: PatternHits
    /// Candidate signatures of the current packet, deduplicated through `seen`.
    @exclusivity(unchecked) var candidates: [Int32] = []
    @exclusivity(unchecked) var seen: [UInt32]
    @exclusivity(unchecked) var stamp: UInt32 = 0
    @exclusivity(unchecked) var matched: [Int32] = []
    /// Per matched signature: its match used stream or app-layer data (the action then applies to the flow).
    @exclusivity(unchecked) var matchedOnFlowData: [Bool] = []
    /// Set by `evaluate` when a program matched a stream chunk or sticky buffer.
    @exclusivity(unchecked) var matchUsedFlowData = false
    /// Per matched signature: its match used a stream chunk.
    @exclusivity(unchecked) var matchedOnStream: [Bool] = []
    /// Set by `evaluate` when a program matched a stream chunk.
    @exclusivity(unchecked) var matchUsedStream = false
    /// The stream engine's facts on the current packet (`nil`: no stream engine, or not a TCP packet).
    @exclusivity(unchecked) var streamInfo: StreamPacketInfo?
    /// Flow detection state by flow-table slot.
    @exclusivity(unchecked) package var flowStates: [FlowDetectState] = []
    /// State for packets without a flow (reset each packet).
    @exclusivity(unchecked) var scratchFlowState = FlowDetectState()
    @exclusivity(unchecked) var thresholdEntries: [ThresholdKey: ThresholdEntry] = [:]
    @exclusivity(unchecked) var xbitExpiry: [XbitKey: Int64] = [:]
    /// Counters since the context was made.
    @exclusivity(unchecked) public internal(set) var counters = DetectCounters()
    /// Caller buffers plus the packet-header buffers rules read (`tcp.hdr` …), rebuilt per packet when some rule
    /// reads one; its storage is reused.
    @exclusivity(unchecked) var packetBuffers: [InspectionBuffer] = []
    /// Whether a loaded rule reads a packet-header buffer: a plain flag, so that the per-packet check does not
    /// retain the engine's list.
    let readsPacketHeaders: Bool
    /// Caller buffers plus transformed views, rebuilt per packet when rules use transforms.
    @exclusivity(unchecked) var effectiveBuffers: [InspectionBuffer] = []
    /// Arena holding the transformed bytes of the current packet.
    @exclusivity(unchecked) var transformArena = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    /// Second arena for chained transforms.
    @exclusivity(unchecked) var transformScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)

    /// Set by the pipeline for the packet with which the app layer finished protocol detection of a direction:
    /// PD-only signatures (`app-layer-protocol` alone) are inspected only then, as Suricata's are.
    @exclusivity(unchecked) public internal(set) var protocolDetectedWithPacket = false
    /// Set by the pipeline for packets of a flow whose content inspection stopped (an encrypted TLS/SSH flow
    /// with `encryption-handling: track-only`, Suricata's `PKT_NOPAYLOAD_INSPECTION`): the packet's payload is
    /// not inspected (the pipeline also leaves out stream data past the encryption point); header and flow
    /// rules still run.
    @exclusivity(unchecked) public internal(set) var payloadInspectionDisabled = false

    /// Sets ``protocolDetectedWithPacket``. The per-packet flags are written through methods: the compiler
    /// drops the dynamic exclusivity check of an `@exclusivity(unchecked)` property only for accesses compiled
    /// in this module, so a write from the pipeline's module would pay one on every packet.
    public func setProtocolDetectedWithPacket(_ value: Bool) { self.protocolDetectedWithPacket = value }

    /// Sets ``payloadInspectionDisabled`` (a method for the reason given at ``setProtocolDetectedWithPacket(_:)``).
    public func setPayloadInspectionDisabled(_ value: Bool) { self.payloadInspectionDisabled = value }
    /// Transaction inspection in progress (``inspectTransaction``): only transactional signatures run.
    @exclusivity(unchecked) var txMode = false
    /// The inspected transaction's detect state (copied in and out by ``inspectTransaction``).
    @exclusivity(unchecked) var txState = TransactionDetectState()
    /// Answers the inspected transaction's app-layer conditions (keyword, value, packet direction).
    @exclusivity(unchecked) var txConditions: ((String, String, Bool) -> Bool)? = nil
    /// The inspected transaction's file, for file conditions (only gathered when a rule has some).
    @exclusivity(unchecked) var txFile: FileFacts? = nil
    /// The inspected transaction's id and parser events.
    @exclusivity(unchecked) var txID: UInt64 = 0
    @exclusivity(unchecked) var txEvents: [String] = []
    /// Flow-level app-layer events raised with the current packet.
    @exclusivity(unchecked) var flowAppEvents: [String] = []
    /// Sticky buffer id → directions the app layer serves it in (bit 1 to server, bit 2 to client).
    @exclusivity(unchecked) var bufferDirections: [Int: UInt8] = [:]
    /// Per signature: the directions its transaction inspection runs in (0 = not computed yet).
    @exclusivity(unchecked) var txDirections: [UInt8] = []

    deinit {
        self.transformArena.deallocate()
        self.transformScratch.deallocate()
    }

    init(engine: DetectEngine) {
        self.engine = engine
        self.readsPacketHeaders = !engine.packetHeaderBuffers.isEmpty
        var scratch = PayloadScratch(
            variableSlots: engine.maxVariableSlots,
            regexScratch: RegexMatchScratch(
                matchLimit: engine.settings.pcreMatchLimit,
                depthLimit: engine.settings.pcreRecursionLimit
            )
        )
        scratch.recursionLimit = engine.settings.inspectionRecursionLimit
        self.payloadScratch = scratch
        self.patternScratch = PatternScratch(databases: engine.prefilterDatabases)
        self.hits = PatternHits(capacity: engine.maxPatternsPerDatabase)
        self.seen = [UInt32](repeating: 0, count: engine.signatures.count)
        self.candidates.reserveCapacity(engine.signatures.count)
        self.matched.reserveCapacity(64)
    }

    /// Inspects one packet and writes its alerts into `alerts` (cleared first; its storage is reused).
    ///
    /// - Parameters:
    ///   - packet: The decoded packet.
    ///   - frame: The frame bytes the packet's offsets point into.
    ///   - flow: The packet's flow after ``WeirFlow/FlowTable/process(_:emit:)``, if any.
    ///   - handle: The flow's slot and the packet's direction.
    ///   - buffers: Extra inspection buffers (reassembled stream chunks, app-layer sticky buffers). The
    ///     packet-header buffers (`tcp.hdr` …) are not passed: the context slices them out of `frame` itself.
    ///   - appProtocol: The flow's application protocol as the app-layer stage detected it (`http`, `dns`,
    ///     `tls` …); rules written for an application protocol only match when it is equal. `nil`: unknown.
    ///   - stream: The stream engine's result for a TCP packet (events, established state, whether the payload
    ///     was added to the stream); `nil` without a stream engine, and then the flow table's TCP state decides
    ///     `flow:established` and payload rules inspect the packet and any stream chunk given.
    ///   - alerts: Receives the alerts, at most `packet-alert-max`, in Suricata's order.
    /// - Returns: The verdict (drop/reject/pass) for IPS handling and counters.
    /// - Complexity: Prefilter scans plus full evaluation of candidates only; no allocation once warmed up.
    public func inspect(
        packet: borrowing Packet,
        frame: UnsafeRawBufferPointer,
        flow: Flow?,
        handle: FlowHandle?,
        buffers: [InspectionBuffer] = [],
        appProtocol: String? = nil,
        appLayerEvents: [String] = [],
        stream: StreamPacketInfo? = nil,
        alerts: inout [Alert]
    ) -> PacketVerdict {
        alerts.removeAllKeepingCapacity()
        var verdict = PacketVerdict()
        self.streamInfo = stream
        // Packets without an IP layer only reach rules on decoder events (`decode-event:…`), as in Suricata.
        let hasIP = packet.ipVersion != 0
        let hasEvents = !packet.events.isEmpty
        guard hasIP || hasEvents else { return verdict }
        if !self.txMode {
            self.counters.packets += 1
            // Nearly always empty on both sides: then nothing is stored, and nothing retained or released.
            if !appLayerEvents.isEmpty || !self.flowAppEvents.isEmpty { self.flowAppEvents = appLayerEvents }
        }
        let engine = self.engine

        // Flow detection state.
        let slot: Int
        if let flow, let handle {
            slot = Int(handle.slot)
            if slot >= self.flowStates.count {
                // Slots are taken one at a time as flows start: grown by doubling, not by one state per new
                // flow (each of those appends cost about 500 instructions), and never more than 64 Ki states past
                // the slot that asked.
                let count = max(slot + 1, min(self.flowStates.count * 2, slot + 65_536))
                self.flowStates.append(
                    contentsOf: repeatElement(FlowDetectState(), count: count - self.flowStates.count))
            }
            if self.flowStates[slot].flowID != flow.flowID {
                self.flowStates[slot].reset(
                    flowID: flow.flowID,
                    flowbits: engine.flowbitCount,
                    flowints: engine.flowintCount
                )
            }
            if self.flowStates[slot].isDropped && engine.settings.isIPS {
                verdict.markDropped(.flowDrop)
                verdict.skipped = true
                self.counters.dropped += 1
                return verdict
            }
            if self.flowStates[slot].isPassed {
                verdict.skipped = true
                return verdict
            }
        } else {
            slot = -1
            self.scratchFlowState.reset(flowID: 0, flowbits: engine.flowbitCount, flowints: engine.flowintCount)
        }
        let toServer = handle?.toServer ?? true
        var established = false
        if let flow {
            if flow.key.proto == IPProtocol.tcp, let stream {
                established = stream.wasEstablished
            } else if flow.key.proto == IPProtocol.tcp {
                established = self.flowStates[slot].tcpWasEstablished
                self.flowStates[slot].tcpWasEstablished = Self.isEstablished(flow)
            } else {
                established = Self.isEstablished(flow)
            }
        }

        // Header buffers first: transformed views of them are derived like any other sticky buffer's.
        // Two calls rather than one on a chosen array: binding the caller's array to a new local retained it.
        let buffers =
            self.readsPacketHeaders
            ? self.withDerivedBuffers(self.withPacketHeaderBuffers(buffers, packet: packet, frame: frame))
            : self.withDerivedBuffers(buffers)
        let payloadStart = max(0, min(packet.payloadOffset, frame.count))
        let payloadEnd =
            self.payloadInspectionDisabled ? payloadStart : min(frame.count, payloadStart + max(0, packet.payloadLength))
        let payload = UnsafeRawBufferPointer(rebasing: frame[payloadStart..<payloadEnd])

        // Candidates: IP-only (first packet per direction), then port groups and the any-port group.
        self.candidates.removeAllKeepingCapacity()
        self.stamp &+= 1
        if self.stamp == 0 {
            for i in self.seen.indices { self.seen[i] = 0 }
            self.stamp = 1
        }
        let bucket = engine.buckets[ProtocolBucket.of(packet.l4Protocol).rawValue]
        var ipOnlyDue = true
        if slot >= 0 {
            ipOnlyDue = toServer ? !self.flowStates[slot].ipOnlyDoneToServer : !self.flowStates[slot].ipOnlyDoneToClient
            if toServer {
                self.flowStates[slot].ipOnlyDoneToServer = true
            } else {
                self.flowStates[slot].ipOnlyDoneToClient = true
            }
        }
        if ipOnlyDue {
            for i in bucket.ipOnlyOther { self.addCandidate(i) }
            if let list = bucket.ipOnlyBySource.signatures(containing: packet.source) {
                for i in list { self.addCandidate(i) }
            }
            if let list = bucket.ipOnlyByDestination.signatures(containing: packet.destination) {
                for i in list { self.addCandidate(i) }
            }
        }
        // The packet reaches at most one destination-port group, one source-port group and the any-port group
        // (Suricata merges them into one signature group head); their always-evaluated signatures are
        // candidates, and one scan per buffer finds the others.
        let l4 = packet.l4Protocol
        let hasPorts = packet.hasL4 && (l4 == IPProtocol.tcp || l4 == IPProtocol.udp)
        var destinationGroup: Int32 = -1
        var sourceGroup: Int32 = -1
        if hasPorts && !bucket.destinationPortGroup.isEmpty {
            destinationGroup = bucket.destinationPortGroup[Int(packet.destinationPort)]
        }
        if hasPorts && !bucket.sourcePortGroup.isEmpty {
            sourceGroup = bucket.sourcePortGroup[Int(packet.sourcePort)]
        }
        self.addAlwaysEvaluated(group: destinationGroup)
        self.addAlwaysEvaluated(group: sourceGroup)
        self.addAlwaysEvaluated(group: bucket.anyPortGroup)
        self.prefilter(
            bucket, destinationGroup: destinationGroup, sourceGroup: sourceGroup, payload: payload, buffers: buffers)
        self.counters.prefilterCandidates += UInt64(self.candidates.count)
        if self.candidates.isEmpty { return verdict }
        // Suricata evaluates in signature order: that is what makes flowbit setters run before readers.
        self.candidates.sort()

        self.matched.removeAllKeepingCapacity()
        self.matchedOnFlowData.removeAllKeepingCapacity()
        self.matchedOnStream.removeAllKeepingCapacity()
        for i in self.candidates {
            self.counters.signaturesEvaluated += 1
            if self.evaluate(
                Int(i),
                packet: packet,
                payload: payload,
                flow: flow,
                slot: slot,
                toServer: toServer,
                established: established,
                buffers: buffers,
                appProtocol: appProtocol
            ) {
                self.postMatch(Int(i), packet: packet, slot: slot)
                if self.txMode { self.txState.matched.append(i << 1 | (toServer ? 0 : 1)) }
                self.matched.append(i)
                self.matchedOnFlowData.append(self.matchUsedFlowData)
                self.matchedOnStream.append(self.matchUsedStream)
            }
        }
        if self.matched.isEmpty { return verdict }
        self.finalize(packet: packet, flow: flow, slot: slot, verdict: &verdict, alerts: &alerts)
        return verdict
    }

    @inline(__always)
    func addCandidate(_ i: Int32) {
        if self.seen[Int(i)] != self.stamp {
            self.seen[Int(i)] = self.stamp
            self.candidates.append(i)
        }
    }

    /// Makes candidates of a group's signatures without a fast pattern (`index` -1: no group).
    @inline(__always)
    func addAlwaysEvaluated(group index: Int32) {
        guard index >= 0 else { return }
        let group = self.engine.groups[Int(index)]
        for i in self.txMode ? group.transactionAlwaysEvaluated : group.alwaysEvaluated { self.addCandidate(i) }
    }

    /// Scans each buffer of the packet once with its bucket's database and makes candidates of the signatures
    /// whose fast pattern occurs there, keeping only those of the packet's groups that can match in that buffer.
    ///
    /// A payload that went into the stream (``StreamPacketInfo/addedToStream``) is inspected by stream-capable
    /// rules through the chunks only (``evaluate``), so it is scanned for the packet-only rules alone, with
    /// their own small database (Suricata's `PrefilterPktPayload`; its `PrefilterPktStream` skips such a
    /// payload too).
    func prefilter(
        _ bucket: BucketIndex,
        destinationGroup: Int32,
        sourceGroup: Int32,
        payload: UnsafeRawBufferPointer,
        buffers: [InspectionBuffer]
    ) {
        let p = bucket.prefilter
        let groups = (destination: destinationGroup, source: sourceGroup)
        let payloadDatabase = self.txMode ? p.transactionPayload : p.payload
        if payload.count > 0 {
            if let stream = self.streamInfo, stream.addedToStream {
                let packetOnly = self.txMode ? p.transactionPayload : p.packetOnlyPayload
                if let packetOnly {
                    self.scan(payload, packetOnly, bucket: p, accept: PrefilterRole.packetOnly, groups: groups)
                }
            } else if let payloadDatabase {
                self.scan(
                    payload, payloadDatabase, bucket: p,
                    accept: PrefilterRole.packetOnly | PrefilterRole.packetAndStream, groups: groups)
            }
        }
        for buffer in buffers {
            switch buffer.kind {
            case .streamChunk:
                guard let payloadDatabase else { continue }
                self.scan(
                    buffer.bytes, payloadDatabase, bucket: p,
                    accept: PrefilterRole.packetAndStream | PrefilterRole.streamOnly, groups: groups)
            case .sticky(let id):
                for prefilter in p.sticky where prefilter.stickyBuffer == id {
                    self.scan(buffer.bytes, prefilter, bucket: p, accept: PrefilterRole.anyScope, groups: groups)
                }
            case .packetPayload:
                continue
            }
        }
    }

    /// One prefilter scan; every pattern found makes candidates of its signatures that are in one of the
    /// packet's groups (`groups`: their indexes, -1 for none), accept the buffer (`accept`: ``PrefilterRole``
    /// scope bits) and suit the inspection (transactional ones in transaction inspection only, the others in
    /// packet inspection only).
    @inline(__always)
    func scan(
        _ bytes: UnsafeRawBufferPointer,
        _ prefilter: GroupPrefilter,
        bucket: BucketPrefilter,
        accept: UInt8,
        groups: (destination: Int32, source: Int32)
    ) {
        guard bytes.count > 0 else { return }
        self.hits.removeAll()
        self.counters.prefilterScans += 1
        prefilter.database.scan(bytes, scratch: self.patternScratch, into: &self.hits)
        let transactional: UInt8 = self.txMode ? PrefilterRole.transactional : 0
        for k in 0..<self.hits.count {
            for i in prefilter.patternSignatures[Int(self.hits.ids[k])] {
                let role = bucket.roles[Int(i)]
                guard role & accept != 0, role & PrefilterRole.transactional == transactional else { continue }
                switch role & PrefilterRole.portKind {
                case PrefilterRole.anyPort: break
                case PrefilterRole.destinationPort:
                    guard groups.destination >= 0, self.engine.groups[Int(groups.destination)].contains(i) else {
                        continue
                    }
                case PrefilterRole.sourcePort:
                    guard groups.source >= 0, self.engine.groups[Int(groups.source)].contains(i) else { continue }
                default: continue
                }
                self.addCandidate(i)
            }
        }
    }

    /// Full evaluation of one signature against the packet (header, flow, flowbits, payload programs).
    func evaluate(
        _ index: Int,
        packet: Packet,
        payload: UnsafeRawBufferPointer,
        flow: Flow?,
        slot: Int,
        toServer: Bool,
        established: Bool,
        buffers: [InspectionBuffer],
        appProtocol: String?
    ) -> Bool {
        let s = self.engine.signatures[index]
        self.matchUsedFlowData = false
        self.matchUsedStream = false
        if s.isTransactional != self.txMode { return false }
        if !s.appLayerConditions.isEmpty {
            guard let answer = self.txConditions else { return false }
            for condition in s.appLayerConditions where !answer(condition.keyword, condition.value, toServer) {
                return false
            }
        }
        if !s.fileChecks.isEmpty {
            guard let file = self.txFile else { return false }
            for check in s.fileChecks where !check.matches(file) { return false }
        }
        if self.txMode {
            if self.txState.hasMatched(Int32(index) << 1 | (toServer ? 0 : 1)) { return false }
            let directions = self.txDirection(of: index)
            if directions & (toServer ? 1 : 2) == 0 { return false }
        }
        if !s.appLayerEvents.isEmpty {
            for name in s.appLayerEvents {
                let parserEvent = name.contains(".")
                let events = parserEvent ? self.txEvents : self.flowAppEvents
                if !events.contains(name) { return false }
            }
            if s.appLayerEvents.contains(where: { $0.contains(".") }) { self.matchUsedFlowData = true }
        }
        if packet.ipVersion == 0 && !s.checksDecodeEvents { return false }
        if let stream = self.streamInfo, stream.isPseudo && !s.inspectsStream { return false }
        if case .application(let name, _) = s.proto, name != appProtocol { return false }
        if !s.appLayerProtocols.isEmpty {
            guard let appProtocol else { return false }
            if s.isProtocolDetectionOnly && !self.protocolDetectedWithPacket { return false }
            for required in s.appLayerProtocols where (appProtocol == required.name) == required.negated {
                return false
            }
        }
        guard s.proto.matches(packet.l4Protocol) else { return false }
        if s.ipVersion != 0 && s.ipVersion != packet.ipVersion { return false }
        let hasPorts =
            packet.hasL4
            && (packet.l4Protocol == IPProtocol.tcp || packet.l4Protocol == IPProtocol.udp
                || packet.l4Protocol == IPProtocol.sctp)
        if !hasPorts && !(s.sourcePorts.isAny && s.destinationPorts.isAny) { return false }
        var forward = s.source.contains(packet.source) && s.destination.contains(packet.destination)
        if forward && hasPorts {
            forward = s.sourcePorts.contains(packet.sourcePort) && s.destinationPorts.contains(packet.destinationPort)
        }
        if !forward {
            guard s.bidirectional else { return false }
            var reverse = s.source.contains(packet.destination) && s.destination.contains(packet.source)
            if reverse && hasPorts {
                reverse =
                    s.sourcePorts.contains(packet.destinationPort) && s.destinationPorts.contains(packet.sourcePort)
            }
            if !reverse { return false }
        }
        if let condition = s.flow {
            if condition.onlyFragment && !packet.isFragment { return false }
            if condition.noFragment && packet.isFragment { return false }
            if condition.toServer || condition.toClient || condition.established || condition.notEstablished {
                guard flow != nil else { return false }
                if condition.toServer && !toServer { return false }
                if condition.toClient && toServer { return false }
                if condition.established && !established { return false }
                if condition.notEstablished && established { return false }
            }
        }
        for check in s.headerChecks where !check.matches(packet) { return false }
        if !s.flowValueChecks.isEmpty {
            guard let flow else { return false }
            for check in s.flowValueChecks where !check.matches(flow, now: packet.timestamp) { return false }
        }
        if !s.flowbits.isEmpty {
            let state = slot >= 0 ? self.flowStates[slot] : self.scratchFlowState
            for op in s.flowbits {
                switch op {
                case .isSet(let bits, let anyOf):
                    let ok = anyOf ? bits.contains(where: { state.isSet($0) }) : bits.allSatisfy { state.isSet($0) }
                    if !ok { return false }
                case .isNotSet(let bits, let anyOf):
                    let ok = anyOf ? bits.contains(where: { !state.isSet($0) }) : bits.allSatisfy { !state.isSet($0) }
                    if !ok { return false }
                default: break
                }
            }
        }
        for op in s.xbits {
            switch op.command {
            case .isSet: if !self.xbitIsSet(op, packet: packet) { return false }
            case .isNotSet: if self.xbitIsSet(op, packet: packet) { return false }
            default: break
            }
        }
        if !s.flowints.isEmpty && !self.flowintConditionsHold(s.flowints, slot: slot) { return false }
        if !s.streamEvents.isEmpty {
            guard let events = self.streamInfo?.events else { return false }
            for event in s.streamEvents where !events.contains(event) { return false }
        }
        for check in s.streamSizes where !check.matches(self.streamInfo) { return false }
        for program in s.buffers {
            if let sticky = program.stickyBuffer {
                var found = false
                for buffer in buffers where buffer.kind == .sticky(id: sticky) {
                    if program.program.matches(buffer.bytes, streamStart: buffer.offset, scratch: &self.payloadScratch) {
                        found = true
                        // A header buffer is the packet's own data: the action stays on the packet.
                        let packetData =
                            sticky < self.engine.isPacketHeaderBuffer.count && self.engine.isPacketHeaderBuffer[sticky]
                        if !packetData { self.matchUsedFlowData = true }
                        break
                    }
                }
                if !found { return false }
            } else {
                let onlyStream = s.payloadScope == .streamOnly
                let noStream = s.payloadScope == .packetOnly
                var found = false
                if let stream = self.streamInfo, !noStream {
                    // Suricata's order for stream-capable rules: the stream chunks first, then the packet's
                    // payload only when it did not go into the stream (else its bytes are in the chunks).
                    found = self.matchStreamChunks(program, buffers: buffers)
                    if !found && !onlyStream && !stream.addedToStream && payload.count > 0 {
                        found = program.program.matches(payload, scratch: &self.payloadScratch)
                    }
                } else {
                    if !onlyStream && payload.count > 0 {
                        found = program.program.matches(payload, scratch: &self.payloadScratch)
                    }
                    if !found && !noStream { found = self.matchStreamChunks(program, buffers: buffers) }
                }
                if !found { return false }
            }
        }
        return true
    }

    /// Runs a `pkt_data` program over the stream chunks among `buffers`; true at the first match.
    func matchStreamChunks(_ program: BufferProgram, buffers: [InspectionBuffer]) -> Bool {
        for buffer in buffers {
            guard case .streamChunk(let start) = buffer.kind, buffer.bytes.count > 0 else { continue }
            if program.program.matches(buffer.bytes, streamStart: start, scratch: &self.payloadScratch) {
                self.matchUsedFlowData = true
                self.matchUsedStream = true
                return true
            }
        }
        return false
    }

    /// Suricata's `FLOW_PKT_ESTABLISHED`: TCP after the handshake completed, other protocols once both
    /// directions were seen.
    static func isEstablished(_ flow: Flow) -> Bool {
        if flow.key.proto == IPProtocol.tcp {
            switch flow.tcpState {
            case .none, .synSent, .synReceived: return false
            default: return true
            }
        }
        return flow.state == .established
    }

    /// Runs flowbit/xbit/flowint commands of a matched signature.
    func postMatch(_ index: Int, packet: Packet, slot: Int) {
        let s = self.engine.signatures[index]
        for op in s.flowbits {
            switch op {
            case .set(let bits): for b in bits { self.setFlowbit(b, slot: slot, on: true) }
            case .unset(let bits): for b in bits { self.setFlowbit(b, slot: slot, on: false) }
            case .toggle(let bits):
                for b in bits {
                    let current = slot >= 0 ? self.flowStates[slot].isSet(b) : self.scratchFlowState.isSet(b)
                    self.setFlowbit(b, slot: slot, on: !current)
                }
            default: break
            }
        }
        for op in s.xbits {
            let key = Self.xbitKey(op, packet: packet)
            switch op.command {
            case .set: self.xbitExpiry[key] = packet.timestamp.microseconds.saturatingAdd(.microseconds(fromSeconds: op.expire))
            case .unset: self.xbitExpiry[key] = nil
            case .toggle:
                if self.xbitIsSet(op, packet: packet) {
                    self.xbitExpiry[key] = nil
                } else {
                    self.xbitExpiry[key] = packet.timestamp.microseconds.saturatingAdd(.microseconds(fromSeconds: op.expire))
                }
            default: break
            }
        }
        if !s.flowints.isEmpty && slot >= 0 {
            for op in s.flowints where op.isModifier {
                let v = op.variable
                var operand: Int64 = 0
                switch op.value {
                case .literal(let x): operand = x
                case .variable(let other):
                    guard self.flowStates[slot].intIsSet[other] else { continue }
                    operand = self.flowStates[slot].ints[other]
                case .none: break
                }
                switch op.op {
                case .assign:
                    self.flowStates[slot].ints[v] = operand
                    self.flowStates[slot].intIsSet[v] = true
                case .add, .subtract:
                    // Suricata: adding to an unset flowint sets it to the operand.
                    let current = self.flowStates[slot].intIsSet[v] ? self.flowStates[slot].ints[v] : 0
                    self.flowStates[slot].ints[v] = op.op == .add ? current &+ operand : current &- operand
                    self.flowStates[slot].intIsSet[v] = true
                default: break
                }
            }
        }
    }

    @inline(__always)
    func setFlowbit(_ bit: VariableID, slot: Int, on: Bool) {
        if slot >= 0 { self.flowStates[slot].set(bit, on) } else { self.scratchFlowState.set(bit, on) }
    }

    func flowintConditionsHold(_ ops: [FlowintOperation], slot: Int) -> Bool {
        for op in ops where !op.isModifier {
            let isSet = slot >= 0 && self.flowStates[slot].intIsSet[op.variable]
            switch op.op {
            case .isSet: if !isSet { return false }
            case .isNotSet: if isSet { return false }
            default:
                guard isSet else { return false }
                let value = self.flowStates[slot].ints[op.variable]
                var operand: Int64 = 0
                switch op.value {
                case .literal(let x): operand = x
                case .variable(let other):
                    guard self.flowStates[slot].intIsSet[other] else { return false }
                    operand = self.flowStates[slot].ints[other]
                case .none: return false
                }
                let ok: Bool
                switch op.op {
                case .equal: ok = value == operand
                case .notEqual: ok = value != operand
                case .less: ok = value < operand
                case .lessOrEqual: ok = value <= operand
                case .greater: ok = value > operand
                case .greaterOrEqual: ok = value >= operand
                default: ok = true
                }
                if !ok { return false }
            }
        }
        return true
    }

    static func xbitKey(_ op: XbitOperation, packet: Packet) -> XbitKey {
        switch op.track {
        case .sourceIP: return XbitKey(bit: op.bit, first: packet.source, second: .zeroV4)
        case .destinationIP: return XbitKey(bit: op.bit, first: packet.destination, second: .zeroV4)
        case .ipPair:
            let (a, b) =
                packet.source < packet.destination
                ? (packet.source, packet.destination) : (packet.destination, packet.source)
            return XbitKey(bit: op.bit, first: a, second: b)
        }
    }

    func xbitIsSet(_ op: XbitOperation, packet: Packet) -> Bool {
        guard let expiry = self.xbitExpiry[Self.xbitKey(op, packet: packet)] else { return false }
        return expiry > packet.timestamp.microseconds
    }

    /// Applies thresholds, suppressions and rate filters in signature order, then the actions, then the cap.
    func finalize(packet: Packet, flow: Flow?, slot: Int, verdict: inout PacketVerdict, alerts: inout [Alert]) {
        let engine = self.engine
        let cap = engine.settings.alertCap
        let isIPS = engine.settings.isIPS
        for (k, i) in self.matched.enumerated() {
            let index = Int(i)
            let s = engine.signatures[index]
            let onFlow = slot >= 0 && (s.actionAppliesToFlow || self.matchedOnFlowData[k])
            var action = s.action
            var rateModified = false
            if let spec = engine.thresholds[index] {
                if !self.thresholdAllows(spec, signature: index, packet: packet, flow: flow) { continue }
            }
            if let rate = engine.rateFilters[index],
                self.rateFilterTriggered(rate, signature: index, packet: packet, flow: flow)
            {
                action = rate.newAction
                rateModified = true
            }
            // Post-match, like Suricata's: a match that passed thresholds bypasses, alerted or not.
            if s.bypass { verdict.bypass = true }
            var suppressed = s.noalert
            for entry in engine.suppressions[index] where !suppressed {
                guard let track = entry.track else {
                    suppressed = true
                    break
                }
                switch track {
                case .bySource: suppressed = entry.addresses.contains(packet.source)
                case .byDestination: suppressed = entry.addresses.contains(packet.destination)
                default:
                    suppressed = entry.addresses.contains(packet.source) || entry.addresses.contains(packet.destination)
                }
            }
            var blocking = false
            switch action {
            case .pass:
                verdict.pass = true
                self.counters.passedPackets += 1
                // First flow decision wins (Suricata's RuleActionToFlow); a packet a higher-priority drop already
                // blocked does not pass its flow (suricata-verify util-action-13: the flow stays inspected).
                if onFlow && !verdict.drop && !self.flowStates[slot].isPassed && !self.flowStates[slot].isDropped {
                    self.flowStates[slot].isPassed = true
                    self.counters.passedFlows += 1
                }
            case .drop, .reject:
                if action == .reject {
                    let target = RejectTarget(action: s.rejectKind)
                    verdict.rejectTarget = verdict.reject ? verdict.rejectTarget.adding(target) : target
                    verdict.reject = true
                    self.counters.rejected += 1
                }
                if isIPS {
                    blocking = true
                    if !verdict.drop { self.counters.dropped += 1 }
                    verdict.markDropped(rateModified ? .threshold : .rules)
                    if onFlow && !self.flowStates[slot].isDropped && !self.flowStates[slot].isPassed {
                        self.flowStates[slot].isDropped = true
                        self.counters.droppedFlows += 1
                    }
                }
            case .alert: break
            }
            if action == .pass {
                // Pass records are not logged, and a pass ends alerting for this packet.
                break
            }
            if suppressed {
                self.counters.alertsSuppressed += 1
            } else if alerts.count < cap {
                alerts.append(
                    Alert(
                        signatureIndex: index,
                        sid: s.sid,
                        gid: s.gid,
                        rev: s.rev,
                        message: s.message,
                        category: s.category,
                        classtype: s.classtype,
                        severity: s.severity,
                        action: action,
                        isBlocking: blocking,
                        packetNumber: packet.packetNumber,
                        flowSlot: Int32(slot),
                        flowID: flow?.flowID ?? 0,
                        streamMatch: self.matchedOnStream[k],
                        txID: self.txMode ? self.txID : nil
                    )
                )
                self.counters.alerts += 1
            } else {
                self.counters.alertsDiscarded += 1
            }
        }
    }
}

/// Key of an xbit: the bit and the tracked address(es).
struct XbitKey: Hashable {
    var bit: Int
    var first: IPAddress
    var second: IPAddress
}

extension DetectContext {
    /// `buffers` plus the packet-header buffers loaded rules read (``DetectEngine/packetHeaderBuffers``) that this
    /// packet has, each a slice of `frame` (Suricata builds them per packet the same way, for prefilter and
    /// inspection alike). The storage is the context's, reused: no allocation once warmed up.
    func withPacketHeaderBuffers(
        _ buffers: [InspectionBuffer],
        packet: borrowing Packet,
        frame: UnsafeRawBufferPointer
    ) -> [InspectionBuffer] {
        self.packetBuffers.removeAllKeepingCapacity()
        self.packetBuffers.append(contentsOf: buffers)
        for (id, header) in self.engine.packetHeaderBuffers {
            guard let bytes = header.bytes(of: packet, in: frame) else { continue }
            self.packetBuffers.append(InspectionBuffer(bytes: bytes, kind: .sticky(id: id)))
        }
        return self.packetBuffers
    }

    /// `buffers` plus the transformed views rules ask for (`dotprefix`, `to_lowercase` …), computed into the
    /// context's arena; `buffers` itself when no rule uses a transform or no sticky buffer is present.
    func withDerivedBuffers(_ buffers: [InspectionBuffer]) -> [InspectionBuffer] {
        let derived = self.engine.derivedBuffers
        guard !derived.isEmpty, !buffers.isEmpty else { return buffers }
        // Size the arena first: views point into it, so it must not move while they are built.
        var needed = 0
        var longest = 0
        for view in derived {
            for buffer in buffers where buffer.kind == .sticky(id: view.base) {
                var size = buffer.bytes.count
                for t in view.transforms { size = t.maximumOutput(size) }
                needed += size
                longest = max(longest, size)
            }
        }
        guard needed > 0 else { return buffers }
        if self.transformArena.count < needed {
            self.transformArena.deallocate()
            self.transformArena = UnsafeMutableRawBufferPointer.allocate(byteCount: needed * 2, alignment: 8)
        }
        if self.transformScratch.count < longest {
            self.transformScratch.deallocate()
            self.transformScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: longest * 2, alignment: 8)
        }
        self.effectiveBuffers.removeAllKeepingCapacity()
        self.effectiveBuffers.append(contentsOf: buffers)
        var used = 0
        for view in derived {
            for buffer in buffers where buffer.kind == .sticky(id: view.base) {
                var size = buffer.bytes.count
                for t in view.transforms { size = t.maximumOutput(size) }
                let out = UnsafeMutableRawBufferPointer(rebasing: self.transformArena[used..<used + size])
                // Chain: each step reads the previous output (copied to scratch) and writes the arena slot.
                let regex = self.payloadScratch.regexScratch
                var length = view.transforms[0].apply(buffer.bytes, into: out, regexScratch: regex)
                for t in view.transforms.dropFirst() {
                    let input = UnsafeMutableRawBufferPointer(rebasing: self.transformScratch[0..<length])
                    input.copyMemory(from: UnsafeRawBufferPointer(rebasing: out[0..<length]))
                    length = t.apply(UnsafeRawBufferPointer(input), into: out, regexScratch: regex)
                }
                self.effectiveBuffers.append(
                    InspectionBuffer(
                        bytes: UnsafeRawBufferPointer(rebasing: out[0..<length]),
                        kind: .sticky(id: view.id)
                    )
                )
                used += size
            }
        }
        return self.effectiveBuffers
    }

    /// The flow's set flowbits and flowints, by name in the order the rules first named them (EVE
    /// `metadata.flowbits` and `metadata.flowints`); empty for a flow detection has not seen.
    public func flowVariables(slot: Int32, flowID: UInt64) -> (flowbits: [String], flowints: [(String, Int64)]) {
        let i = Int(slot)
        // Rules without flowbits or flowints (most packets that alert): nothing to look up or copy.
        guard !self.engine.flowbitNames.isEmpty || !self.engine.flowintNames.isEmpty else { return ([], []) }
        guard i >= 0, i < self.flowStates.count, self.flowStates[i].flowID == flowID else { return ([], []) }
        var bits: [String] = []
        for (id, name) in self.engine.flowbitNames.enumerated() where self.flowStates[i].isSet(id) {
            bits.append(name)
        }
        var ints: [(String, Int64)] = []
        for (id, name) in self.engine.flowintNames.enumerated()
        where id < self.flowStates[i].intIsSet.count && self.flowStates[i].intIsSet[id] {
            ints.append((name, self.flowStates[i].ints[id]))
        }
        return (bits, ints)
    }

    /// The engine's decisions on a flow: `passed` (a pass rule matched at flow scope: no more inspection) and
    /// `dropped` (IPS: every later packet is dropped). Both false for a flow the context has not seen.
    ///
    /// The runtime can use them for bypass (a passed flow may be offloaded) and for the flow's EVE record.
    public func flowDecision(slot: Int32, flowID: UInt64) -> (passed: Bool, dropped: Bool) {
        let i = Int(slot)
        guard i >= 0, i < self.flowStates.count, self.flowStates[i].flowID == flowID else { return (false, false) }
        return (self.flowStates[i].isPassed, self.flowStates[i].isDropped)
    }

    /// Forgets a flow's detection state when the flow table ends it (optional: a reused slot is also detected by
    /// its flow id). Call from the flow table's `emit` callback.
    public func flowEnded(slot: Int32) {
        let i = Int(slot)
        guard i >= 0, i < self.flowStates.count else { return }
        self.flowStates[i].flowID = 0
    }
}

extension DetectContext {
    /// True when the loaded rules inspect app-layer transactions; without such rules, ``inspectTransaction``
    /// would never match and need not be called.
    public var inspectsTransactions: Bool { self.engine.transactionSignatureCount > 0 }

    /// True when some loaded rule has app-layer conditions (``inspectTransaction``'s `conditions` are asked).
    public var usesAppLayerConditions: Bool { self.engine.conditionSignatureCount > 0 }

    /// True when some loaded rule has file conditions (``inspectTransaction``'s `file` is asked).
    public var usesFileChecks: Bool { self.engine.fileCheckSignatureCount > 0 }

    /// Tells the context in which directions the app layer serves each sticky buffer (bit 1: to server, bit 2:
    /// to client), which decides the direction of transaction rules: a rule with a response-only buffer is
    /// inspected with the response, one with only request buffers with the request, others in both.
    public func setBufferDirections(_ directions: [Int: UInt8]) {
        self.bufferDirections = directions
        self.txDirections = []
    }

    /// The directions signature `index` inspects transactions in.
    func txDirection(of index: Int) -> UInt8 {
        if self.txDirections.isEmpty { self.txDirections = [UInt8](repeating: 0, count: self.engine.signatures.count) }
        if self.txDirections[index] != 0 { return self.txDirections[index] }
        var toServerOnly = false
        var toClientOnly = false
        for program in self.engine.signatures[index].buffers {
            guard let id = program.stickyBuffer else { continue }
            var base = id
            if let view = self.engine.derivedBuffers.first(where: { $0.id == id }) { base = view.base }
            switch self.bufferDirections[base] ?? 3 {
            case 1: toServerOnly = true
            case 2: toClientOnly = true
            default: break
            }
        }
        if self.engine.signatures[index].conditionDirections == 2 { toClientOnly = true }
        let mask: UInt8 = toClientOnly ? 2 : (toServerOnly ? 1 : 3)
        self.txDirections[index] = mask
        return mask
    }

    /// Inspects one app-layer transaction for a packet of the given direction: only transaction rules run, each
    /// at most once per transaction and direction (`state` remembers), with the transaction's buffers.
    ///
    /// - Parameters:
    ///   - frame: The packet's frame, for payload keywords a transaction rule also has (`content` before
    ///     `dns_query`); empty for flow-end pseudo packets.
    ///   - buffers: The transaction's sticky buffers (``InspectionBufferKind/sticky(id:)``).
    ///   - txID: The transaction's id, written into the alerts (EVE `tx_id`).
    ///   - events: The transaction's parser events (`http.missing_host_header`).
    ///   - file: The transaction's file, for rules with file conditions (``usesFileChecks``).
    ///   - state: The transaction's detect state, updated with the signatures that matched.
    public func inspectTransaction(
        packet: Packet,
        frame: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        flow: Flow?,
        handle: FlowHandle?,
        buffers: [InspectionBuffer],
        appProtocol: String?,
        stream: StreamPacketInfo?,
        txID: UInt64,
        events: [String],
        conditions: ((_ keyword: String, _ value: String, _ toServer: Bool) -> Bool)? = nil,
        file: FileFacts? = nil,
        state: inout TransactionDetectState,
        alerts: inout [Alert]
    ) -> PacketVerdict {
        self.txMode = true
        self.txState = state
        self.txID = txID
        self.txEvents = events
        self.txConditions = conditions
        self.txFile = file
        defer {
            self.txFile = nil
            state = self.txState
            self.txMode = false
            self.txEvents = []
            self.txConditions = nil
        }
        return self.inspect(
            packet: packet, frame: frame, flow: flow, handle: handle,
            buffers: buffers, appProtocol: appProtocol, stream: stream, alerts: &alerts)
    }
}
