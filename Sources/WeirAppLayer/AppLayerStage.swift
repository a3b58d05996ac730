// SPDX-License-Identifier: MIT
import WeirCore
import WeirDetect
import WeirStream

/// The app layer of one flow: detection progress per direction, the parser once a protocol is known, and the
/// flow-level events not yet seen by detection.
final class AppLayerFlow {
    @exclusivity(unchecked) var flowID: UInt64
    /// The flow's protocol (`unknown` until decided).
    @exclusivity(unchecked) var proto = AppProtocol.unknown
    /// What each direction detected, when the two differ (`app_proto_ts` / `app_proto_tc`).
    @exclusivity(unchecked) var protoToServer = AppProtocol.unknown
    @exclusivity(unchecked) var protoToClient = AppProtocol.unknown
    /// Detection given up in a direction.
    @exclusivity(unchecked) var failedToServer = false
    @exclusivity(unchecked) var failedToClient = false
    /// A direction's first bytes, kept while detection needs more.
    @exclusivity(unchecked) var probeBytesToServer: [UInt8] = []
    @exclusivity(unchecked) var probeBytesToClient: [UInt8] = []
    /// The direction's stream ended.
    @exclusivity(unchecked) var endedToServer = false
    @exclusivity(unchecked) var endedToClient = false
    /// Server port as the flow sees it (for `detection-ports`).
    @exclusivity(unchecked) var serverPort: UInt16
    @exclusivity(unchecked) var clientPort: UInt16
    @exclusivity(unchecked) var transport: UInt8
    /// The server's address, when the caller gave it (libhtp's `server-config` is chosen by it).
    @exclusivity(unchecked) var serverAddress: IPAddress?
    /// The parser, once the protocol is known and enabled for parsing.
    @exclusivity(unchecked) var parser: (any AppLayerParser)?
    /// Index of the protocol in the registry.
    @exclusivity(unchecked) var descriptor = -1
    /// The parser gave up; data is no longer parsed (raw inspection goes on).
    @exclusivity(unchecked) var parserFailed = false
    /// The parser failed on data since the last ``AppLayerStage/takeParserError(slot:flowID:)`` (an app-layer
    /// error: the exception policy `app-layer.error-policy` applies to the packet that carried it).
    @exclusivity(unchecked) var parserErrorPending = false
    /// Flow-level events raised and not yet inspected.
    @exclusivity(unchecked) var pendingEvents: [AppLayerEvent] = []
    /// ``parser`` when it is the HTTP parser, unretained (``parser`` holds it; a protocol change clears this before
    /// it replaces the parser): the stage's
    /// transaction loops walk its transactions as their concrete class, with no existential call and no
    /// reference count traffic per transaction.
    @exclusivity(unchecked) var httpParser: Unmanaged<HTTPParser>?
    /// The parser, when its protocol turns encrypted (TLS, SSH); cast once when the parser is made.
    @exclusivity(unchecked) var encryptedParser: (any AppLayerEncryptedParser)?
    /// The encrypted point's action was taken (``AppLayerStage/takeEncryptedFlowAction(slot:flowID:)``).
    @exclusivity(unchecked) var encryptedActionTaken = false
    /// Packets and bytes past the encrypted point, added to the counters when the flow ends.
    @exclusivity(unchecked) var encryptedPackets: UInt64 = 0
    @exclusivity(unchecked) var encryptedBytes: UInt64 = 0
    /// `track-only` after the handshake: no more payload inspection or parsing.
    @exclusivity(unchecked) var payloadInspectionOff = false
    /// Protocol detection of a direction finished since the last ``AppLayerStage/takeProtocolDetected(slot:flowID:)``.
    @exclusivity(unchecked) var detectionFinished = false
    /// The client's first data looked like a server's (a capture that starts mid-connection with the
    /// response): the parser sees the directions swapped, as Suricata reverses such a flow.
    @exclusivity(unchecked) var reversed = false
    /// ``reversed`` was set since the last ``AppLayerStage/takeReversed(slot:flowID:)``: the pipeline may turn
    /// the flow and its TCP session round instead (a midstream session, as Suricata's `FlowSwap`).
    @exclusivity(unchecked) var reversedNow = false
    /// The flow was turned round once (``AppLayerStage/flowTurnedRound(slot:flowID:server:)``); never again.
    @exclusivity(unchecked) var turnedRound = false
    /// The flow was turned round by protocol detection (a UDP flow that began with the answer): client and
    /// server swapped places here, and the pipeline swaps its flow to match (the datagram handler's result).
    @exclusivity(unchecked) var swapped = false
    /// The client's address, kept to swap ``serverAddress`` with.
    @exclusivity(unchecked) var clientAddress: IPAddress?
    /// The parser's ``AppLayerParser/transactionsCreated`` already counted in `app_layer.tx.<proto>`.
    @exclusivity(unchecked) var transactionsCounted: UInt64 = 0
    /// The name of ``flowProtocol`` (`nil` while unknown), as rules match it and EVE logs it; kept current by
    /// ``updateName()`` after each call that feeds data: read per packet, so no protocol comparison runs there.
    @exclusivity(unchecked) var protocolName: String?

    /// The flow's protocol with `failed` once both directions gave up (or one gave up and the other ended).
    /// A UDP flow fails with the first datagram nothing recognised (Suricata's `AppLayerHandleUdp`); a
    /// datagram of the other direction may still make it the other side's protocol.
    var flowProtocol: AppProtocol {
        var proto = self.proto
        if proto == .unknown && self.transport == 17 && (self.failedToServer || self.failedToClient) { return .failed }
        if proto == .unknown && self.failedToServer && (self.failedToClient || self.endedToClient) { proto = .failed }
        if proto == .unknown && self.failedToClient && self.endedToServer && self.failedToServer { proto = .failed }
        return proto
    }

    /// ``protocolName`` is final: the flow's protocol was decided, so no recomputation (and no protocol
    /// comparison) runs per call. A protocol change clears it when it decides.
    @exclusivity(unchecked) var nameIsFinal = false

    /// A protocol change in progress (Suricata's `AppLayerRequestProtocolChange`: an HTTP CONNECT that opened a
    /// tunnel). `requested` during the call whose data asked for it: nothing more happens before the next call,
    /// so the transaction that asked is inspected and logged with its own protocol first; then `detecting`:
    /// detection runs on what the tunnel carries until a protocol is found or detection fails.
    enum ProtocolChange { case none, requested, detecting }
    @exclusivity(unchecked) var change = ProtocolChange.none
    /// The protocol before a change (`app_proto_orig`); `unknown` when none happened.
    @exclusivity(unchecked) var originalProto = AppProtocol.unknown
    /// The port that port-bound probes use instead of the server port (the CONNECT's port); 0 for none.
    @exclusivity(unchecked) var detectionPort: UInt16 = 0

    /// Client and server swap places (everything kept per direction, and the ends' ports and addresses).
    func swapDirections() {
        self.swapped = true
        swap(&self.protoToServer, &self.protoToClient)
        swap(&self.failedToServer, &self.failedToClient)
        swap(&self.probeBytesToServer, &self.probeBytesToClient)
        swap(&self.endedToServer, &self.endedToClient)
        swap(&self.serverPort, &self.clientPort)
        swap(&self.serverAddress, &self.clientAddress)
    }

    /// Drops the bytes kept for detection. An empty list is left as it is: assigning `[]` releases the old
    /// storage even when that is the shared empty one (once per direction of every flow).
    func dropProbeBytes() {
        if !self.probeBytesToServer.isEmpty { self.probeBytesToServer = [] }
        if !self.probeBytesToClient.isEmpty { self.probeBytesToClient = [] }
    }

    /// Recomputes ``protocolName`` (after detection, gaps or stream ends changed the state).
    func updateName() {
        guard !self.nameIsFinal else { return }
        if self.proto != .unknown {
            self.protocolName = self.proto.name
            self.nameIsFinal = true
            return
        }
        let proto = self.flowProtocol
        self.protocolName = proto == .unknown ? nil : proto.name
    }

    init(flowID: UInt64, serverPort: UInt16, clientPort: UInt16, transport: UInt8) {
        self.flowID = flowID
        self.serverPort = serverPort
        self.clientPort = clientPort
        self.transport = transport
    }
}

/// A flow's protocols (``AppLayerStage/appProtocol(slot:flowID:)``).
public struct AppLayerFlowProtocols {
    /// The flow's protocol (`failed` once detection gave up).
    public var flow: AppProtocol
    /// What each direction detected.
    public var toServer: AppProtocol
    public var toClient: AppProtocol
    /// The protocol before a protocol change (`app_proto_orig`); `unknown` when none happened.
    public var original: AppProtocol
    /// Transactions the flow's parser created so far (Suricata's `AppLayerParserGetTxCnt`, EVE `flow.tx_cnt`).
    public var transactions: UInt64 = 0
}

/// What ``AppLayerStage/takePacketState(slot:flowID:)`` returns for one packet.
public struct AppLayerPacketState {
    /// The flow's protocol as rules match it and EVE logs it (`http`, `failed`; `nil` while unknown).
    public var protocolName: String?
    /// Flow-level events raised since the last call (names), taken.
    public var events: [String] = []
    /// Protocol detection of a direction finished with the data handled since the last call.
    public var protocolDetected = false

    public init(protocolName: String? = nil) { self.protocolName = protocolName }
}

/// Settings of the app layer stage, from `app-layer.protocols.*`.
public struct AppLayerStageSettings: Sendable {
    /// Per protocol: parse (`yes`), detect only (`detection-only`) or neither (`no`).
    public enum Mode: Sendable { case parse, detectionOnly, disabled }

    /// Mode by protocol name; a registered protocol not listed is parsed.
    public var modes: [String: Mode] = [:]
    /// `detection-ports` destination port strings by protocol (overrides the descriptor's default).
    public var detectionPorts: [String: String] = [:]
    /// Parser options by protocol.
    public var parserValues: [String: [String: String]] = [:]
    /// Bytes of a direction examined before detection gives up on it.
    public var detectionByteLimit = 4096
    /// `stream.midstream`: when no port-bound probe is registered for the flow's server port, those of its
    /// client port are tried too (Suricata retries probing "in the reverse direction" then; a UDP flow whose
    /// first datagram is the answer is recognised, and turned round, that way).
    public var midstream = false
    /// `file-store` with `force-filestore`: parsers store every file there.
    public var fileStore: FileStore?

    /// Defaults: every registered protocol detected and parsed.
    public init() {}
}

/// The app-layer pipeline stage (Suricata's `app-layer.c`): protocol detection on each direction's ordered
/// stream, one parser per flow, transactions for detection and logging. One per worker, not thread-safe.
///
/// The pipeline calls ``handle(chunks:slot:flowID:…)`` after the stream engine with the packet's app-layer
/// chunks, then asks for transactions to inspect (``forEachTransaction(slot:flowID:toServer:_:)``), and calls
/// ``flowEnded(slot:flowID:_:)`` when the flow ends.
public final class AppLayerStage {
    /// The protocols known to this stage.
    public let registry: [AppLayerProtocolDescriptor]
    let settings: AppLayerStageSettings
    /// Counters (`app_layer.flow.http`, `http.memuse` …).
    public let counters = AppLayerCounters()
    @exclusivity(unchecked) private var flows: [AppLayerFlow?] = []
    /// Parsed port lists for port-bound probes, per registry index.
    private let probePorts: [[ClosedRange<UInt16>]]
    /// Each registry entry's mode, looked up once (probing runs per data chunk until a protocol is found).
    private let modes: [AppLayerStageSettings.Mode]
    /// Per registry index, once known: whether the protocol's parser turns encrypted (saves a dynamic cast per
    /// flow).
    @exclusivity(unchecked) private var parsersEncrypt: [Bool?]
    /// Per registry index: the protocols' parser factories, made on the protocol's first parsed flow.
    @exclusivity(unchecked) private var factories: [(any AppLayerParserFactory)?]
    /// Per registry index: the protocol, its transports and probes (read per probe call without copying the
    /// descriptor, which would retain each of its fields).
    private let protocols: [AppProtocol]
    private let transports: [[UInt8]]
    /// Every protocol's probes in one list, in registry order, each with its registry index: called in place
    /// from this `let` list (a per-protocol list was retained around each probe call).
    private let probeTable: [(protocolIndex: Int, probe: AppLayerProbe)]
    /// Counter positions (``AppLayerCounters/position(of:)``) per registry index and transport (index * 2, +1
    /// for UDP): `app_layer.flow.<name>`, `app_layer.tx.<name>` and `app_layer.error.<name>.parser`, made with
    /// the stage for every enabled protocol.
    @exclusivity(unchecked) private var counterPositions: [(flow: Int, tx: Int, parserError: Int)]
    /// `app_layer.flow.failed_tcp` / `failed_udp`, made on first use.
    @exclusivity(unchecked) private var failedCounterPositions = [-1, -1]
    /// Per registry index: the protocol's buffers that detection uses, with their sticky ids and whether the
    /// name exists in that direction only (such buffers are also offered in the other direction's inspection,
    /// for rules that mix a request buffer with a response buffer).
    @exclusivity(unchecked)
    private var resolvedBuffers: [[ResolvedBuffer]]

    /// A buffer detection uses, as the transaction loop reads it: the descriptor's direction, progress and
    /// fetch closures with the sticky id, without the name (copying a descriptor per buffer and transaction
    /// retained its name and both closures).
    struct ResolvedBuffer {
        let toServer: Bool
        let progress: Int
        let id: Int
        let oneWay: Bool
        let fetch: @Sendable (_ tx: any AppLayerTransaction, _ body: (UnsafeRawBufferPointer) -> Void) -> Void
        let fetchWindow:
            (@Sendable (_ tx: any AppLayerTransaction, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) -> Void)?
    }
    /// Sticky ids by direction: bit 1 to server, bit 2 to client (for detection's rule directions).
    @exclusivity(unchecked) public private(set) var bufferDirections: [Int: UInt8] = [:]
    /// Inspection buffers handed out for the current transaction (storage reused).
    @exclusivity(unchecked) private var txBuffers: [InspectionBuffer] = []
    /// The buffer names the bound rules use, shared with every parser (which keep or build only those).
    public let bufferUse = AppLayerBufferUse()

    /// A stage for the given protocols.
    public init(registry: [AppLayerProtocolDescriptor] = AppLayerRegistry.builtIn, settings: AppLayerStageSettings) {
        self.registry = registry
        self.settings = settings
        self.probePorts = registry.map { d in
            Self.parsePorts(settings.detectionPorts[d.proto.name] ?? d.defaultDetectionPorts ?? "")
        }
        self.resolvedBuffers = registry.map { _ in [] }
        self.modes = registry.map { settings.modes[$0.proto.name] ?? .parse }
        self.parsersEncrypt = registry.map { _ in nil }
        self.factories = registry.map { _ in nil }
        self.protocols = registry.map(\.proto)
        self.transports = registry.map(\.transports)
        self.probeTable = registry.indices.flatMap { i in registry[i].probes.map { (protocolIndex: i, probe: $0) } }
        self.counterPositions = Array(repeating: (flow: -1, tx: -1, parserError: -1), count: registry.count * 2)
        // As Suricata registers them, each enabled protocol's counters exist from the start, at 0: flows, then
        // transactions, then errors (gap, alloc, parser, internal).
        for pass in 0..<3 {
            for i in registry.indices where self.modes[i] != .disabled {
                for transport in registry[i].transports.sorted() {
                    let name = Self.counterName(registry[i], transport: transport)
                    let slot = i * 2 + (transport == 17 ? 1 : 0)
                    switch pass {
                    case 0: self.counterPositions[slot].flow = self.counters.position(of: "app_layer.flow." + name)
                    case 1: self.counterPositions[slot].tx = self.counters.position(of: "app_layer.tx." + name)
                    default:
                        for kind in ["gap", "alloc", "parser", "internal"] {
                            let position = self.counters.position(of: "app_layer.error.\(name).\(kind)")
                            if kind == "parser" { self.counterPositions[slot].parserError = position }
                        }
                    }
                }
            }
        }
    }

    /// Adds one to `app_layer.flow.<protocol>` for a flow of registry index `index` over `transport` (an enabled
    /// protocol over one of its transports: its counters exist).
    private func countFlow(_ index: Int, transport: UInt8) {
        self.counters.add(at: self.counterPositions[index * 2 + (transport == 17 ? 1 : 0)].flow)
    }

    /// Adds the transactions a parse call made to `app_layer.tx.<protocol>`.
    @inline(__always)
    private func countTransactions(_ f: AppLayerFlow, created: UInt64) {
        guard created > f.transactionsCounted, f.descriptor >= 0 else { return }
        let slot = f.descriptor * 2 + (f.transport == 17 ? 1 : 0)
        self.counters.add(at: self.counterPositions[slot].tx, created - f.transactionsCounted)
        f.transactionsCounted = created
    }

    /// Adds one to `app_layer.error.<protocol>.parser`.
    private func countParserError(_ f: AppLayerFlow) {
        guard f.descriptor >= 0 else { return }
        self.counters.add(at: self.counterPositions[f.descriptor * 2 + (f.transport == 17 ? 1 : 0)].parserError)
    }

    /// Adds one to `app_layer.flow.failed_tcp` or `failed_udp`.
    private func countFailedFlow(transport: UInt8) {
        let slot = transport == 17 ? 1 : 0
        var position = self.failedCounterPositions[slot]
        if position < 0 {
            position = self.counters.position(
                of: transport == 17 ? "app_layer.flow.failed_udp" : "app_layer.flow.failed_tcp"
            )
            self.failedCounterPositions[slot] = position
        }
        self.counters.add(at: position)
    }

    /// The parser factory of registry index `index`, made on first use.
    private func factory(_ index: Int) -> any AppLayerParserFactory {
        if let made = self.factories[index] { return made }
        let settings = AppLayerParserSettings(
            values: self.settings.parserValues[self.protocols[index].name] ?? [:],
            counters: self.counters,
            bufferUse: self.bufferUse,
            fileStore: self.settings.fileStore
        )
        let made = self.registry[index].factory(settings)
        self.factories[index] = made
        return made
    }

    /// Resolves buffer names to the sticky ids of the detection engine (buffers no rule uses are skipped).
    public func bind(stickyID: (String) -> Int?) {
        self.bufferDirections = [:]
        var used: Set<String> = []
        defer { self.bufferUse.bind(used) }
        for (i, descriptor) in self.registry.enumerated() {
            self.resolvedBuffers[i] = descriptor.buffers.compactMap { b in
                guard let id = stickyID(b.name) else { return nil }
                let oneWay = !descriptor.buffers.contains { $0.name == b.name && $0.toServer != b.toServer }
                self.bufferDirections[id, default: 0] |= b.toServer ? 1 : 2
                used.insert(b.name)
                return ResolvedBuffer(
                    toServer: b.toServer, progress: b.progress, id: id, oneWay: oneWay, fetch: b.fetch,
                    fetchWindow: b.fetchWindow)
            }
        }
    }

    /// A new detection engine took over (a rule reload): every open transaction's detect state is reset, so
    /// the new rules inspect it from the start (Suricata resets a flow's transactions the same way).
    public func resetDetectState() {
        for case let f? in self.flows {
            guard let parser = f.parser else { continue }
            for index in 0..<parser.transactionCount {
                let tx = parser.transaction(at: index)
                tx.detectState.reset()
            }
        }
    }

    // MARK: Per-flow state

    private func flow(slot: Int32, flowID: UInt64) -> AppLayerFlow? {
        let i = Int(slot)
        guard i >= 0, i < self.flows.count, let f = self.flows[i], f.flowID == flowID else { return nil }
        return f
    }

    /// ``flow(slot:flowID:)`` without a retain, for the per-packet calls: the reference is valid while
    /// `flows[slot]` keeps the flow, that is until ``flowEnded(slot:flowID:_:)`` or a new flow in the slot
    /// (``handle(chunks:slot:flowID:serverPort:clientPort:serverAddress:timestamp:session:)``); callers use it
    /// within one call that does neither.
    @inline(__always)
    private func unretainedFlow(slot: Int32, flowID: UInt64) -> Unmanaged<AppLayerFlow>? {
        let i = Int(slot)
        guard i >= 0, i < self.flows.count, let f = self.flows[i], f.flowID == flowID else { return nil }
        return Unmanaged.passUnretained(f)
    }

    /// Calls `http` (HTTP) or `other` (any other protocol) with each live transaction of the flow's parser,
    /// oldest first, re-reading the count after each (a call may log, never free). HTTP transactions are
    /// passed as their class without a retain: the parser's `live` array holds each one until
    /// ``AppLayerParser/freeTransactions(through:)``, which the stage calls only after its loops, and the
    /// parser is held by the flow, which the callers keep for the call.
    @inline(__always)
    private func forEachLiveTransaction(
        _ f: AppLayerFlow,
        http: (HTTPTransaction) -> Void,
        other: (any AppLayerTransaction) -> Void
    ) {
        if let parser = f.httpParser {
            parser._withUnsafeGuaranteedRef { parser in
                var index = 0
                while index < parser.live.count {
                    Unmanaged.passUnretained(parser.live[index])._withUnsafeGuaranteedRef { http($0) }
                    index += 1
                }
            }
        } else if let parser = f.parser {
            var index = 0
            while index < parser.transactionCount {
                other(parser.transaction(at: index))
                index += 1
            }
        }
    }

    private func makeFlow(
        slot: Int32, flowID: UInt64, serverPort: UInt16, clientPort: UInt16, transport: UInt8,
        serverAddress: IPAddress? = nil
    ) -> AppLayerFlow {
        let i = Int(slot)
        if i >= self.flows.count { self.flows.append(contentsOf: repeatElement(nil, count: i + 1 - self.flows.count)) }
        if let f = self.flows[i], f.flowID == flowID { return f }
        if let old = self.flows[i] {
            self.flushEncryptedCounts(old)
        }
        let f = AppLayerFlow(flowID: flowID, serverPort: serverPort, clientPort: clientPort, transport: transport)
        f.serverAddress = serverAddress
        self.flows[i] = f
        return f
    }

    /// The flow's HTTP parser, when its protocol is HTTP and parsed.
    func httpParser(slot: Int32, flowID: UInt64) -> HTTPParser? {
        self.flow(slot: slot, flowID: flowID)?.httpParser?.takeUnretainedValue()
    }

    /// The flow's protocol and, when the directions disagree, each direction's.
    public func appProtocol(slot: Int32, flowID: UInt64) -> AppLayerFlowProtocols? {
        guard let f = self.flow(slot: slot, flowID: flowID) else { return nil }
        return AppLayerFlowProtocols(
            flow: f.flowProtocol, toServer: f.protoToServer, toClient: f.protoToClient, original: f.originalProto,
            transactions: f.parser?.transactionsCreated ?? 0)
    }

    /// The flow's protocol name as detection matches it and EVE logs it (`http`, `failed`; `nil` while
    /// unknown).
    public func detectionProtocol(slot: Int32, flowID: UInt64) -> String? {
        self.flow(slot: slot, flowID: flowID)?.protocolName
    }

    /// What detection needs of the flow for one packet, with one lookup: the protocol's name, the flow-level
    /// events raised since the last call (taken), and whether protocol
    /// detection of a direction finished since the last call (cleared). All empty for a flow the stage has
    /// no state for.
    public func takePacketState(slot: Int32, flowID: UInt64) -> AppLayerPacketState {
        guard let flow = self.unretainedFlow(slot: slot, flowID: flowID) else { return AppLayerPacketState() }
        return flow._withUnsafeGuaranteedRef { f in
            var state = AppLayerPacketState(protocolName: f.protocolName)
            // Events are only taken once the protocol is known (detection reads them with the protocol).
            if f.protocolName != nil && !f.pendingEvents.isEmpty {
                state.events = f.pendingEvents.map(\.name)
                f.pendingEvents.removeAll()
            }
            if f.detectionFinished {
                f.detectionFinished = false
                state.protocolDetected = true
            }
            return state
        }
    }

    // MARK: Data

    /// Feeds the packet's app-layer chunks (both directions, in order) to detection and the parsers.
    ///
    /// - Parameters:
    ///   - session: The TCP session, to trigger raw-stream inspection when a parser asks for it.
    public func handle(
        chunks: [AppLayerChunk],
        slot: Int32,
        flowID: UInt64,
        serverPort: UInt16,
        clientPort: UInt16,
        serverAddress: IPAddress? = nil,
        timestamp: Timestamp,
        session: TCPSession?
    ) {
        guard !chunks.isEmpty else { return }
        // The flow unretained: `flows[slot]` keeps it for the whole call (nothing here ends it).
        let flow =
            self.unretainedFlow(slot: slot, flowID: flowID)
            ?? Unmanaged.passUnretained(
                self.makeFlow(
                    slot: slot, flowID: flowID, serverPort: serverPort, clientPort: clientPort, transport: 6,
                    serverAddress: serverAddress))
        flow._withUnsafeGuaranteedRef { f in
            var context = AppLayerParseContext(timestamp: timestamp)
            // A change asked for by an earlier call: its transaction was inspected and logged since.
            if f.change == .requested {
                f.change = .detecting
                self.detectChangedProtocol(f, context: &context)
            }
            var index = 0
            while index < chunks.count {
                let chunk = chunks[index]
                index += 1
                if chunk.block.isGap {
                    self.gap(f, length: chunk.block.length, toServer: chunk.toServer != f.reversed, context: &context)
                } else if chunk.block.bytes.count > 0 {
                    self.data(f, chunk.block.bytes, toServer: chunk.toServer != f.reversed, context: &context)
                }
                if chunk.isEndOfStream { self.end(f, toServer: chunk.toServer != f.reversed, context: &context) }
            }
            self.finishCall(f, context: context, session: session)
        }
    }

    /// Feeds one UDP datagram.
    ///
    /// - Returns: True when protocol detection turned the flow round with this datagram (its first datagram is
    ///   the answer, as a DNS response): the caller swaps client and server of its own flow, and the datagram
    ///   now travels to the client.
    @discardableResult
    public func handle(
        datagram: UnsafeRawBufferPointer,
        toServer: Bool,
        slot: Int32,
        flowID: UInt64,
        serverPort: UInt16,
        clientPort: UInt16,
        serverAddress: IPAddress? = nil,
        clientAddress: IPAddress? = nil,
        timestamp: Timestamp
    ) -> Bool {
        guard datagram.count > 0 else { return false }
        let f = self.makeFlow(
            slot: slot, flowID: flowID, serverPort: serverPort, clientPort: clientPort, transport: 17,
            serverAddress: serverAddress)
        if f.proto == .unknown && !f.swapped { f.clientAddress = clientAddress }
        var context = AppLayerParseContext(timestamp: timestamp, isDatagram: true)
        if f.proto == .unknown {
            // Each datagram is probed on its own.
            if toServer { f.probeBytesToServer.removeAll() } else { f.probeBytesToClient.removeAll() }
        }
        let wasSwapped = f.swapped
        self.data(f, datagram, toServer: toServer != f.reversed, context: &context)
        self.finishCall(f, context: context, session: nil)
        return f.swapped && !wasSwapped
    }

    private func finishCall(_ f: AppLayerFlow, context: AppLayerParseContext, session: TCPSession?) {
        f.updateName()
        if !context.events.isEmpty { f.pendingEvents.append(contentsOf: context.events) }
        if context.parserFailed {
            if !f.parserFailed && !context.failedWithoutError {
                f.parserErrorPending = true
                self.countParserError(f)
            }
            f.parserFailed = true
        }
        if let session {
            if context.rawInspectionTriggers & 1 != 0 { session.triggerRawInspection(toServer: true) }
            if context.rawInspectionTriggers & 2 != 0 { session.triggerRawInspection(toServer: false) }
        }
    }

    private func data(
        _ f: AppLayerFlow,
        _ bytes: UnsafeRawBufferPointer,
        toServer: Bool,
        context: inout AppLayerParseContext
    ) {
        if f.change != .none {
            // A tunnel's data: kept for detection of its protocol (the old parser gets none of it).
            self.keep(f, bytes, toServer: toServer)
            if f.change == .detecting { self.detectChangedProtocol(f, context: &context) }
            return
        }
        if !f.parserFailed {
            // HTTP's parser called as its class (unretained, held by `f.parser`): no witness call, no retain.
            if let http = f.httpParser {
                let created = http._withUnsafeGuaranteedRef { parser in
                    parser.parse(bytes, toServer: toServer, context: &context)
                    return parser.transactionsCreated
                }
                self.countTransactions(f, created: created)
            } else if let parser = f.parser {
                parser.parse(bytes, toServer: toServer, context: &context)
                self.countTransactions(f, created: parser.transactionsCreated)
            }
            if let port = context.protocolChangePort {
                context.protocolChangePort = nil
                self.requestProtocolChange(f, port: port)
                return
            }
        }
        // A direction not detected yet is still probed once the flow has a parser: its own protocol is the
        // record's app_proto_ts/tc, and a different one raises applayer_mismatch_protocol_both_directions.
        let failed = toServer ? f.failedToServer : f.failedToClient
        let detected = toServer ? f.protoToServer : f.protoToClient
        guard !failed, detected == .unknown else { return }
        // With nothing kept from before (the common case: a direction's first chunk decides), the chunk is
        // probed in place; its bytes are copied only when detection needs more data.
        if (toServer ? f.probeBytesToServer : f.probeBytesToClient).isEmpty {
            self.probe(f, toServer: toServer, bytes: bytes, stored: false, context: &context)
            return
        }
        if toServer {
            f.probeBytesToServer.append(contentsOf: bytes)
        } else {
            f.probeBytesToClient.append(contentsOf: bytes)
        }
        self.probe(f, toServer: toServer, context: &context)
    }

    private func gap(_ f: AppLayerFlow, length: Int, toServer: Bool, context: inout AppLayerParseContext) {
        if f.change == .detecting {
            // Suricata cannot change protocol across a gap either: the app layer gives up on the flow.
            self.failProtocolChange(f)
            return
        }
        if let parser = f.parser {
            if !f.parserFailed {
                parser.gap(length, toServer: toServer, context: &context)
                self.countTransactions(f, created: parser.transactionsCreated)
            }
            return
        }
        // A gap before the protocol is known: detection of that direction is over (Suricata gives up too).
        if (toServer ? f.protoToServer : f.protoToClient) == .unknown {
            if toServer { f.failedToServer = true } else { f.failedToClient = true }
        }
    }

    private func end(_ f: AppLayerFlow, toServer: Bool, context: inout AppLayerParseContext) {
        if toServer { f.endedToServer = true } else { f.endedToClient = true }
        if f.change == .detecting {
            // The stream ends with the tunnel's protocol undecided: detection has failed (Suricata disables the
            // flow's app layer at the end of the stream).
            self.detectChangedProtocol(f, context: &context)
            if f.change == .detecting { self.failProtocolChange(f) }
            return
        }
        // A change asked for in this call: the old parser is done (its CONNECT transaction is complete), and a
        // stream that ends before the tunnel carried anything leaves the flow's protocol as it was.
        if f.change == .requested { return }
        if let parser = f.parser, !f.parserFailed {
            parser.endOfStream(toServer: toServer, context: &context)
            self.countTransactions(f, created: parser.transactionsCreated)
        }
    }

    /// Whether a direction's first data may be read as the other side's: nothing was decided, parsed or turned
    /// round yet, and the other direction has said nothing.
    private static func mayReadReversed(_ f: AppLayerFlow, toServer: Bool) -> Bool {
        guard !f.reversed && !f.turnedRound && f.parser == nil else { return false }
        let otherEmpty =
            toServer
            ? f.probeBytesToClient.isEmpty && !f.failedToClient : f.probeBytesToServer.isEmpty && !f.failedToServer
        return otherEmpty && (toServer ? f.protoToClient : f.protoToServer) == .unknown
    }

    /// Reads the flow reversed from now on (``AppLayerFlow/reversed``; the pipeline may turn a midstream flow
    /// round, ``takeReversed(slot:flowID:)``) and probes `bytes` again as the other direction's.
    private func readReversed(
        _ f: AppLayerFlow, _ bytes: UnsafeRawBufferPointer, toServer: Bool, stored: Bool,
        context: inout AppLayerParseContext
    ) {
        f.reversed = true
        f.reversedNow = true
        if !stored { self.keep(f, bytes, toServer: toServer) }
        swap(&f.probeBytesToServer, &f.probeBytesToClient)
        self.probe(f, toServer: !toServer, context: &context)
    }

    /// Runs the probes over a direction's first bytes; on a match, starts the parser and replays what was kept.
    private func probe(_ f: AppLayerFlow, toServer: Bool, context: inout AppLayerParseContext) {
        let kept = toServer ? f.probeBytesToServer : f.probeBytesToClient
        kept.withUnsafeBytes { self.probe(f, toServer: toServer, bytes: $0, stored: true, context: &context) }
    }

    /// ``probe(_:toServer:context:)`` over `bytes`: the direction's kept bytes (`stored`), or a chunk probed in
    /// place when nothing was kept (copied into the kept bytes only if detection needs more data).
    private func probe(
        _ f: AppLayerFlow,
        toServer: Bool,
        bytes: UnsafeRawBufferPointer,
        stored: Bool,
        context: inout AppLayerParseContext
    ) {
        var undecided = false
        var found = -1
        // Port-bound probes for the protocols whose detection-ports hold the flow's port go first.
        // Pass 0: port-bound probes on the server port; 1 (midstream only, when pass 0 had no probe to run): on
        // the client port; 2: pattern probes.
        var portProbeRan = false
        outer: for pass in 0..<3 {
            if pass == 1 && (portProbeRan || !self.settings.midstream) { continue }
            let port = pass == 1 ? f.clientPort : (f.detectionPort != 0 ? f.detectionPort : f.serverPort)
            // By index, fields read in place: copying a descriptor or a probe would retain its fields.
            for entry in self.probeTable.indices {
                let i = self.probeTable[entry].protocolIndex
                guard self.modes[i] != .disabled, self.transports[i].contains(f.transport),
                    self.probeTable[entry].probe.direction.applies(toServer: toServer)
                else { continue }
                let portBound = self.probeTable[entry].probe.portBound
                if portBound != (pass < 2) { continue }
                if portBound && !self.probePorts[i].contains(where: { $0.contains(port) }) { continue }
                if portBound { portProbeRan = true }
                switch self.probeTable[entry].probe.probe(bytes, toServer) {
                case .match:
                    found = i
                    break outer
                case .matchOtherDirection:
                    // A UDP flow whose first datagram is the answer: turned round once, before anything was
                    // decided, and the datagram probed again as the other direction's (Suricata's FlowSwap).
                    if f.transport == 17 && f.proto == .unknown && !f.swapped && !f.reversed {
                        f.swapDirections()
                        self.probe(f, toServer: !toServer, bytes: bytes, stored: stored, context: &context)
                        return
                    }
                    // A TCP stream whose first data is the answer (DNS over TCP picked up at its response):
                    // read reversed, as a pattern match in the other direction is, when the other side has said
                    // nothing yet; the pipeline turns a midstream flow round (Suricata's reverse_flow).
                    if f.transport == 6 && Self.mayReadReversed(f, toServer: toServer) {
                        self.readReversed(f, bytes, toServer: toServer, stored: stored, context: &context)
                        return
                    }
                    found = i
                    break outer
                case .needMoreData: undecided = true
                case .noMatch: break
                }
            }
        }
        if found >= 0 {
            f.detectionFinished = true
            let proto = self.protocols[found]
            if toServer { f.protoToServer = proto } else { f.protoToClient = proto }
            if f.proto == .unknown {
                f.proto = proto
                f.descriptor = found
                self.countFlow(found, transport: f.transport)
                if self.modes[found] == .parse {
                    let flow = AppLayerFlowInfo(
                        serverPort: f.serverPort,
                        clientPort: f.clientPort,
                        serverAddress: f.serverAddress
                    )
                    guard let parser = self.factory(found).makeParser(flow: flow) else {
                        f.parserFailed = true
                        f.dropProbeBytes()
                        return
                    }
                    f.parser = parser
                    f.transactionsCounted = parser.transactionsCreated
                    if type(of: parser) == HTTPParser.self {
                        f.httpParser = Unmanaged.passUnretained(unsafeDowncast(parser, to: HTTPParser.self))
                    }
                    if self.parsersEncrypt[found] != false {
                        f.encryptedParser = parser as? AppLayerEncryptedParser
                        self.parsersEncrypt[found] = f.encryptedParser != nil
                    }
                    // Replay what detection kept: this direction, then the other one.
                    let other = toServer ? f.probeBytesToClient : f.probeBytesToServer
                    parser.parse(bytes, toServer: toServer, context: &context)
                    if !other.isEmpty {
                        other.withUnsafeBytes { parser.parse($0, toServer: !toServer, context: &context) }
                    }
                    self.countTransactions(f, created: parser.transactionsCreated)
                }
            } else if f.proto != proto {
                context.raise(AppLayerEvent("applayer_mismatch_protocol_both_directions"))
            }
            f.dropProbeBytes()
            return
        }
        // The first data of the flow may be the other side's (a capture that starts with the response): when
        // the other direction has said nothing yet and its probes match, the flow is read reversed.
        if !undecided && Self.mayReadReversed(f, toServer: toServer)
            && self.matchesOtherDirection(bytes, toServer: toServer, transport: f.transport)
        {
            self.readReversed(f, bytes, toServer: toServer, stored: stored, context: &context)
            return
        }
        if !undecided || bytes.count >= self.settings.detectionByteLimit {
            if toServer {
                f.failedToServer = true
                f.probeBytesToServer = []
            } else {
                f.failedToClient = true
                f.probeBytesToClient = []
            }
            if f.failedToServer && f.failedToClient { self.countFailedFlow(transport: f.transport) }
        } else if !stored {
            self.keep(f, bytes, toServer: toServer)
        }
    }

    // MARK: Protocol change

    /// The parser asked for a protocol change (``AppLayerParseContext/protocolChangePort``): each direction's
    /// data after this call goes to protocol detection, with `port` for port-bound probes. As in Suricata, what
    /// the parser was given up to here is the old protocol's (bytes that came with the CONNECT's response, or that
    /// its parser left unconsumed, are not the tunnel's), and only one change runs at a time.
    @inline(never)
    private func requestProtocolChange(_ f: AppLayerFlow, port: UInt16) {
        guard f.change == .none, f.parser != nil else { return }
        f.change = .requested
        f.originalProto = f.proto
        f.detectionPort = port
        f.failedToServer = false
        f.failedToClient = false
        f.dropProbeBytes()
    }

    /// Runs detection on each direction's tunnel data kept so far. As Suricata's protocol change, detection
    /// starts afresh each time and the old protocol stays the flow's until a new one is found; then the new
    /// protocol's parser replaces the old one (its transactions were logged) and gets the kept data. Detection
    /// fails when both directions are rejected, when a direction has the detection byte limit undecided (Suricata's
    /// `FLOW_PROTO_CHANGE_MAX_DEPTH`, 4096), or at a gap or the end of the stream.
    @inline(never)
    private func detectChangedProtocol(_ f: AppLayerFlow, context: inout AppLayerParseContext) {
        for toServer in [true, false] where f.change == .detecting {
            let kept = toServer ? f.probeBytesToServer : f.probeBytesToClient
            guard !kept.isEmpty, !(toServer ? f.failedToServer : f.failedToClient) else { continue }
            let old = (
                proto: f.proto, toServer: f.protoToServer, toClient: f.protoToClient, http: f.httpParser,
                encrypted: f.encryptedParser
            )
            f.proto = .unknown
            f.protoToServer = .unknown
            f.protoToClient = .unknown
            // The old parser stays in `parser` until a new one takes its place (so detection does not try to
            // turn the flow round); the unretained and cast views of it are cleared, the new parser sets its own.
            f.httpParser = nil
            f.encryptedParser = nil
            let oldParser = f.parser
            self.probe(f, toServer: toServer, context: &context)
            if f.proto != .unknown {
                // A protocol detected but not parsed (`detection-only`) leaves no parser.
                if f.parser === oldParser { f.parser = nil }
                f.change = .none
                f.parserFailed = false
                f.nameIsFinal = false
                return
            }
            f.proto = old.proto
            f.protoToServer = old.toServer
            f.protoToClient = old.toClient
            f.httpParser = old.http
            f.encryptedParser = old.encrypted
        }
        guard f.change == .detecting else { return }
        if (f.failedToServer && f.failedToClient) || f.probeBytesToServer.count >= self.settings.detectionByteLimit
            || f.probeBytesToClient.count >= self.settings.detectionByteLimit
        {
            self.failProtocolChange(f)
        }
    }

    /// Detection found nothing in the tunnel: the flow's protocol is `failed` (with the old one as
    /// `app_proto_orig`) and its app layer is done, as Suricata's `DisableAppLayer`.
    @inline(never)
    private func failProtocolChange(_ f: AppLayerFlow) {
        f.change = .none
        f.proto = .failed
        f.protoToServer = .failed
        f.protoToClient = .failed
        f.parserFailed = true
        f.nameIsFinal = false
        // Detection counted the flow already when it rejected both directions.
        if !(f.failedToServer && f.failedToClient) { self.countFailedFlow(transport: f.transport) }
        f.dropProbeBytes()
    }

    /// Keeps a direction's bytes for detection, which needs more data.
    private func keep(_ f: AppLayerFlow, _ bytes: UnsafeRawBufferPointer, toServer: Bool) {
        if toServer {
            f.probeBytesToServer.append(contentsOf: bytes)
        } else {
            f.probeBytesToClient.append(contentsOf: bytes)
        }
    }

    /// Whether a pattern probe of the opposite direction recognises `bytes`.
    private func matchesOtherDirection(_ raw: UnsafeRawBufferPointer, toServer: Bool, transport: UInt8) -> Bool {
        for entry in self.probeTable.indices {
            let i = self.probeTable[entry].protocolIndex
            let direction = self.probeTable[entry].probe.direction
            guard self.transports[i].contains(transport), self.modes[i] != .disabled,
                !self.probeTable[entry].probe.portBound, direction.applies(toServer: !toServer),
                !direction.applies(toServer: toServer)
            else { continue }
            switch self.probeTable[entry].probe.probe(raw, !toServer) {
            case .match, .matchOtherDirection: return true
            case .noMatch, .needMoreData: continue
            }
        }
        return false
    }

    // MARK: Detection

    /// Calls `body` for each live transaction of the flow with the buffers detection may inspect in a packet of
    /// the given direction (that direction's final buffers; in the to-client direction also the request-only
    /// buffers, for rules that mix both). Only transactions with progress since their last
    /// inspection in that direction are visited, unless `force` (flow end).
    ///
    /// The buffers are valid during the call only. `extra` buffers (the packet's stream chunks) follow each
    /// transaction's own, in the same reused storage. Without `buildBuffers` (nothing will inspect them) the
    /// transactions are visited and marked inspected with no buffers.
    public func forEachTransaction(
        slot: Int32,
        flowID: UInt64,
        toServer: Bool,
        force: Bool = false,
        buildBuffers: Bool = true,
        extra: [InspectionBuffer] = [],
        _ body: (_ tx: any AppLayerTransaction, _ buffers: [InspectionBuffer]) -> Void
    ) {
        guard let flow = self.unretainedFlow(slot: slot, flowID: flowID) else { return }
        flow._withUnsafeGuaranteedRef { f in
            guard f.descriptor >= 0 else { return }
            let descriptor = f.descriptor
            let toServer = toServer != f.reversed
            self.forEachLiveTransaction(
                f,
                http: { tx in
                    self.inspect(
                        tx, descriptor: descriptor, toServer: toServer, force: force, buildBuffers: buildBuffers,
                        extra: extra, body)
                },
                other: { tx in
                    self.inspect(
                        tx, descriptor: descriptor, toServer: toServer, force: force, buildBuffers: buildBuffers,
                        extra: extra, body)
                })
        }
    }

    /// One transaction of ``forEachTransaction(slot:flowID:toServer:force:buildBuffers:extra:_:)``; generic so
    /// that the HTTP loop reads the transaction's progress and detect state directly (an existential read of
    /// `detectState` copies it, retaining its match list).
    @inline(__always)
    private func inspect<T: AppLayerTransaction>(
        _ tx: T,
        descriptor: Int,
        toServer: Bool,
        force: Bool,
        buildBuffers: Bool,
        extra: [InspectionBuffer],
        _ body: (_ tx: any AppLayerTransaction, _ buffers: [InspectionBuffer]) -> Void
    ) {
        let progress = tx.progress(toServer: toServer)
        let last = toServer ? tx.detectState.inspectedProgressToServer : tx.detectState.inspectedProgressToClient
        guard
            progress > last || (force && last < tx.completeProgress(toServer: toServer))
                || tx.hasNewData(toServer: toServer)
        else { return }
        guard buildBuffers else {
            // Nothing inspects the buffers: the transaction is only marked inspected. A constant empty list
            // (passing `txBuffers` retains it around the call; emptying its empty storage releases that).
            body(tx, Self.noBuffers)
            Self.markInspected(tx, toServer: toServer, progress: progress)
            return
        }
        self.txBuffers.removeAll(keepingCapacity: true)
        // One retain of the protocol's list per transaction; its entries are read in place.
        let buffers = self.resolvedBuffers[descriptor]
        for index in buffers.indices
        where (buffers[index].toServer == toServer || (buffers[index].oneWay && !toServer))
            && tx.progress(toServer: buffers[index].toServer) >= buffers[index].progress
        {
            let id = buffers[index].id
            // A windowed buffer is read in windows by inspections of its own direction only; another
            // direction's inspection reads it whole.
            if buffers[index].toServer == toServer, let window = buffers[index].fetchWindow {
                window(tx) { bytes, offset in
                    self.txBuffers.append(InspectionBuffer(bytes: bytes, kind: .sticky(id: id), offset: offset))
                }
            } else {
                buffers[index].fetch(tx) { bytes in
                    self.txBuffers.append(InspectionBuffer(bytes: bytes, kind: .sticky(id: id)))
                }
            }
        }
        if !extra.isEmpty { self.txBuffers.append(contentsOf: extra) }
        body(tx, self.txBuffers)
        Self.markInspected(tx, toServer: toServer, progress: progress)
    }

    /// The buffers of a transaction visited without building them.
    private static let noBuffers: [InspectionBuffer] = []

    @inline(__always)
    private static func markInspected<T: AppLayerTransaction>(_ tx: T, toServer: Bool, progress: Int) {
        if toServer {
            tx.detectState.inspectedProgressToServer = progress
        } else {
            tx.detectState.inspectedProgressToClient = progress
        }
        tx.inspected(toServer: toServer)
    }

    /// The flow-level events raised since the last ``takeEvents(slot:flowID:)``, left in place.
    public func pendingEvents(slot: Int32, flowID: UInt64) -> [AppLayerEvent] {
        self.flow(slot: slot, flowID: flowID)?.pendingEvents ?? []
    }

    /// True when the flow has flow-level events not yet taken: one lookup, nothing copied.
    public func hasPendingEvents(slot: Int32, flowID: UInt64) -> Bool {
        self.flow(slot: slot, flowID: flowID)?.pendingEvents.isEmpty == false
    }

    /// Takes the flow-level events raised since the last call.
    public func takeEvents(slot: Int32, flowID: UInt64) -> [AppLayerEvent] {
        guard let f = self.flow(slot: slot, flowID: flowID), !f.pendingEvents.isEmpty else { return [] }
        defer { f.pendingEvents.removeAll() }
        return f.pendingEvents
    }

    // MARK: Logging and freeing

    /// Calls `body` for each complete transaction not yet logged (marking it logged), then frees transactions
    /// that are complete, inspected in both directions and logged.
    public func logAndFree(slot: Int32, flowID: UInt64, _ body: (any AppLayerTransaction) -> Void) {
        guard let flow = self.unretainedFlow(slot: slot, flowID: flowID) else { return }
        flow._withUnsafeGuaranteedRef { f in
            var freeThrough: UInt64? = nil
            var contiguous = true
            self.forEachLiveTransaction(
                f,
                http: { Self.log($0, freeThrough: &freeThrough, contiguous: &contiguous, body) },
                other: { Self.log($0, freeThrough: &freeThrough, contiguous: &contiguous, body) })
            guard let id = freeThrough else { return }
            if let http = f.httpParser {
                http._withUnsafeGuaranteedRef { $0.freeTransactions(through: id) }
            } else {
                f.parser?.freeTransactions(through: id)
            }
        }
    }

    /// One transaction of ``logAndFree(slot:flowID:_:)``: logs it when complete, and moves `freeThrough` past
    /// it while the transactions from the oldest are all logged and inspected to completion.
    @inline(__always)
    private static func log<T: AppLayerTransaction>(
        _ tx: T,
        freeThrough: inout UInt64?,
        contiguous: inout Bool,
        _ body: (any AppLayerTransaction) -> Void
    ) {
        if tx.isComplete && !tx.isLogged {
            tx.isLogged = true
            body(tx)
        }
        guard contiguous && tx.isLogged else {
            contiguous = false
            return
        }
        if tx.detectState.inspectedProgressToServer >= tx.completeProgress(toServer: true)
            && tx.detectState.inspectedProgressToClient >= tx.completeProgress(toServer: false)
        {
            freeThrough = tx.id
        } else {
            contiguous = false
        }
    }

    /// The flow ended: every transaction not yet logged is passed to `body` (incomplete ones included, as
    /// Suricata logs them at flow end), and the flow's state is dropped.
    public func flowEnded(slot: Int32, flowID: UInt64, _ body: (any AppLayerTransaction) -> Void) {
        guard let f = self.flow(slot: slot, flowID: flowID) else { return }
        self.flushEncryptedCounts(f)
        self.forEachLiveTransaction(
            f,
            http: { tx in
                if !tx.isLogged {
                    tx.isLogged = true
                    body(tx)
                }
            },
            other: { tx in
                if !tx.isLogged {
                    tx.isLogged = true
                    body(tx)
                }
            })
        self.flows[Int(slot)] = nil
    }

    /// The slot under which the stage keeps flow `flowID`, if it has state for it.
    public func slot(ofFlow flowID: UInt64) -> Int32? {
        // A scan: the packet and flow-end paths know the slot (the flow table's); this is for callers that do not.
        for i in self.flows.indices where self.flows[i]?.flowID == flowID { return Int32(i) }
        return nil
    }

    /// True when the stage keeps state for flow `flowID` in `slot`.
    public func hasFlow(slot: Int32, flowID: UInt64) -> Bool { self.flow(slot: slot, flowID: flowID) != nil }

    /// Transaction of a flow by id, if still live.
    public func transaction(slot: Int32, flowID: UInt64, id: UInt64) -> (any AppLayerTransaction)? {
        guard let parser = self.flow(slot: slot, flowID: flowID)?.parser else { return nil }
        for index in 0..<parser.transactionCount where parser.transaction(at: index).id == id {
            return parser.transaction(at: index)
        }
        return nil
    }

    /// True once after protocol detection found the flow's first data to be the answer and began reading the
    /// flow reversed (the parser sees each chunk's direction turned round).
    public func takeReversed(slot: Int32, flowID: UInt64) -> Bool {
        guard let f = self.flow(slot: slot, flowID: flowID), f.reversedNow else { return false }
        f.reversedNow = false
        return true
    }

    /// The caller turned the flow and its TCP session round after ``takeReversed(slot:flowID:)``: chunks now
    /// come in the parser's directions, so they are no longer turned round here; the ends' ports (and the
    /// server's address, `server`) change places to match.
    public func flowTurnedRound(slot: Int32, flowID: UInt64, server: IPAddress?) {
        guard let f = self.flow(slot: slot, flowID: flowID), f.reversed else { return }
        f.reversed = false
        f.turnedRound = true
        swap(&f.serverPort, &f.clientPort)
        if let server { f.serverAddress = server }
    }

    /// Whether protocol detection of a direction finished with the data handled since the last call (the
    /// packet PD-only signatures are inspected with), and clears it.
    public func takeProtocolDetected(slot: Int32, flowID: UInt64) -> Bool {
        guard let f = self.flow(slot: slot, flowID: flowID), f.detectionFinished else { return false }
        f.detectionFinished = false
        return true
    }

    // MARK: Encrypted flows

    /// For a TLS or SSH flow whose handshake has finished in both directions: the configured
    /// `encryption-handling` (the pipeline bypasses the flow or stops content inspection); `nil` before that
    /// point and for other protocols.
    public func encryptedFlowAction(slot: Int32, flowID: UInt64) -> EncryptedFlowHandling? {
        guard let f = self.flow(slot: slot, flowID: flowID), let parser = f.encryptedParser,
            parser.handshakeFinishedBothWays
        else { return nil }
        return parser.encryptionHandling
    }

    /// The encrypted point's action, once per flow: the first call after the handshake finished both ways
    /// returns the mode (and counts the flow under `<proto>.encrypted.<mode>_flows`), later calls `nil`. With
    /// `track-only` the flow's payload inspection stays off from then on (``isPayloadInspectionOff``) and its
    /// parser gets no more data.
    public func takeEncryptedFlowAction(slot: Int32, flowID: UInt64) -> EncryptedFlowHandling? {
        guard let f = self.flow(slot: slot, flowID: flowID), !f.encryptedActionTaken, let parser = f.encryptedParser,
            parser.handshakeFinishedBothWays
        else { return nil }
        let mode = parser.encryptionHandling
        f.encryptedActionTaken = true
        self.counters.add("\(f.proto.name).encrypted.\(Self.modeName(mode))_flows")
        if mode == .trackOnly {
            f.payloadInspectionOff = true
            f.parserFailed = true
        }
        return mode
    }

    /// The flow's parser failed since the last call (Suricata's app-layer parser error); returns the protocol's
    /// counter name (`http`, `dns_tcp`), or `nil` when nothing failed. Reading it clears it.
    public func takeParserError(slot: Int32, flowID: UInt64) -> String? {
        guard let f = self.flow(slot: slot, flowID: flowID), f.parserErrorPending else { return nil }
        f.parserErrorPending = false
        guard f.descriptor >= 0 && f.descriptor < self.registry.count else { return f.proto.name }
        return Self.counterName(self.registry[f.descriptor], transport: f.transport)
    }

    /// True once a `track-only` encrypted flow has passed its handshake: its encrypted bytes are not
    /// inspected.
    public func isPayloadInspectionOff(slot: Int32, flowID: UInt64) -> Bool {
        self.flow(slot: slot, flowID: flowID)?.payloadInspectionOff ?? false
    }

    /// The stream offset of a direction of a TLS/SSH flow from which its bytes are encrypted.
    public func encryptedFrom(slot: Int32, flowID: UInt64, toServer: Bool) -> UInt64? {
        self.flow(slot: slot, flowID: flowID)?.encryptedParser?.encryptedFrom(toServer: toServer)
    }

    /// Counts a packet of an encrypted flow past its action (`<proto>.encrypted.<mode>_pkts` and `_bytes`);
    /// nothing for other flows.
    public func countEncryptedPacket(slot: Int32, flowID: UInt64, bytes: Int) {
        guard let f = self.flow(slot: slot, flowID: flowID), f.encryptedActionTaken else { return }
        f.encryptedPackets &+= 1
        f.encryptedBytes &+= UInt64(bytes)
    }

    /// Adds a flow's encrypted packets and bytes to `<proto>.encrypted.<mode>_pkts` / `_bytes` (once, at its end).
    private func flushEncryptedCounts(_ f: AppLayerFlow) {
        guard f.encryptedActionTaken, let mode = f.encryptedParser?.encryptionHandling else { return }
        let prefix = "\(f.proto.name).encrypted.\(Self.modeName(mode))"
        self.counters.add(prefix + "_pkts", f.encryptedPackets)
        self.counters.add(prefix + "_bytes", f.encryptedBytes)
        f.encryptedPackets = 0
        f.encryptedBytes = 0
    }

    private static func modeName(_ mode: EncryptedFlowHandling) -> String {
        switch mode {
        case .trackOnly: "track_only"
        case .bypass: "bypass"
        case .full: "full"
        }
    }

    // MARK: Helpers

    /// Suricata's counter name of a protocol: `http`, or `dns_tcp` / `dns_udp` for one that runs over both.
    static func counterName(_ d: AppLayerProtocolDescriptor, transport: UInt8) -> String {
        guard d.transports.count > 1 else { return d.proto.name }
        return d.proto.name + (transport == 17 ? "_udp" : "_tcp")
    }

    /// Counts a new transaction of the flow's protocol (`app_layer.tx.http`); parsers call it through their
    /// counters when they make one.
    public static func transactionCounter(_ proto: AppProtocol, transport: UInt8, transports: [UInt8]) -> String {
        "app_layer.tx." + (transports.count > 1 ? proto.name + (transport == 17 ? "_udp" : "_tcp") : proto.name)
    }

    /// `"80"`, `"[80, 8080:8090]"`, `"any"` → ranges (empty for none).
    static func parsePorts(_ text: String) -> [ClosedRange<UInt16>] {
        var out: [ClosedRange<UInt16>] = []
        let trimmed = text.filter { $0 != "[" && $0 != "]" && $0 != " " }
        if trimmed == "any" { return [0...65535] }
        for part in trimmed.split(separator: ",") {
            let bounds = part.split(separator: ":", omittingEmptySubsequences: false)
            if bounds.count == 2 {
                let low = UInt16(bounds[0]) ?? 0
                let high = UInt16(bounds[1]) ?? 65535
                if low <= high { out.append(low...high) }
            } else if let p = UInt16(part) {
                out.append(p...p)
            }
        }
        return out
    }
}

/// The protocols built into Weir.
public enum AppLayerRegistry {
    /// Every protocol Weir can detect and parse.
    public static var builtIn: [AppLayerProtocolDescriptor] { [HTTPProtocol.descriptor] + Self.encryptedAndDNS }
}
