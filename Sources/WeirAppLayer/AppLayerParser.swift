// SPDX-License-Identifier: MIT
import WeirCore
import WeirDetect
import WeirOutput

// How a protocol parser plugs into the app layer
// ================================================
//
// The app layer (``AppLayerStage``) sits between the stream engine and detection. Per flow it runs protocol
// detection on each direction's ordered data, then hands the data to the detected protocol's parser. A parser
// turns bytes into transactions (a request and its response, a DNS query and its answer, a TLS handshake …);
// detection inspects each transaction's buffers once they are final, and the EVE writer logs each transaction.
//
// To add a protocol `foo` (its files live in `Sources/WeirAppLayer/FOO/`):
//
// 1. **Parser state.** Write `final class FooParser: AppLayerParser`. The stage makes one per flow (through the
//    descriptor's `makeParser`) once `foo` is detected, and drops it when the flow ends. Everything the
//    protocol keeps per flow lives in this object.
// 2. **Data.** ``AppLayerParser/parse(_:toServer:context:)`` receives the bytes of one direction in stream
//    order, in pieces of any size (a record may be split anywhere, so buffer what you need).
//    ``AppLayerParser/gap(_:toServer:context:)`` says `n` bytes of that direction are missing: resynchronise or
//    give up on the direction, never crash. ``AppLayerParser/endOfStream(toServer:context:)`` says the direction
//    ended (FIN, RST or flow end). UDP protocols get one `parse` call per datagram (`context.isDatagram`).
//    Use `context` to raise flow-level events, to ask for raw-stream inspection at a request or response end
//    (`context.triggerRawInspection`), and to account memory.
// 3. **Transactions.** Each transaction is a class conforming to ``AppLayerTransaction``: a stable `id`
//    (0, 1, 2 … per flow), a progress per direction (any increasing integers the protocol chooses; its
//    `completeProgress` values mark done), the parser events raised in it, and the two stored properties the
//    framework owns (`detectState`, `isLogged`): declare them, never read them. The parser lists its live
//    transactions oldest first (`transactionCount`, `transaction(at:)`) and frees what the stage asks it to
//    (`freeTransactions(through:)`: complete in both directions, inspected and logged).
// 4. **Buffers.** Each sticky buffer the protocol serves (`foo.name` …) is an ``AppLayerBufferDescriptor``:
//    canonical name (as in ``WeirDetect/KeywordRegistry``), direction, the progress at which it is final, and
//    a `fetch` closure that casts the transaction to the protocol's class and calls its body once per instance
//    (several for a multi-buffer such as `dns.answer.name`). The bytes must stay valid until the next call into
//    the parser. Add the name to `KeywordRegistry.engineMatched` when it works.
// 5. **EVE.** ``AppLayerTransaction/writeEVE(_:)`` writes the protocol's object (`"foo": {…}`) into an open
//    JSON object: it becomes the `foo` record (`event_type: foo`) and the `foo{}` object of alerts on that
//    transaction.
// 6. **Registration.** Describe the protocol with an ``AppLayerProtocolDescriptor`` (name, transports, probes
//    with their direction and depth, default `detection-ports`, parser factory, buffers, event names) and add it
//    to ``AppLayerRegistry/builtIn``. A protocol whose parsers share configuration work (parsed options,
//    library configuration objects) gives a `makeFactory`: the stage makes one ``AppLayerParserFactory`` on the
//    protocol's first flow and asks it for each flow's parser. Probes say `.match`, `.noMatch` or `.needMoreData` for a direction's first
//    bytes; a port hint (`app-layer.protocols.foo.detection-ports`) lets a probe run first on those ports.
//
// Events: a parser event is an ``AppLayerEvent`` (`foo.some_anomaly`), matched by `app-layer-event:foo.some_anomaly`
// and counted; events of a transaction are matched when that transaction is inspected.

/// A parser's answer for the first bytes of a direction (Suricata's probing parsers and pattern probes).
public enum AppLayerProbeResult: Sendable, Equatable {
    /// The bytes are this protocol.
    case match
    /// The bytes are not this protocol.
    case noMatch
    /// Not enough bytes to decide.
    case needMoreData
    /// The bytes are this protocol, but the other direction's: a UDP flow whose first datagram is a reply
    /// (Suricata's probing parser setting `rdir`). Over UDP the flow is turned round so that its client is the
    /// side that asks; over TCP it counts as ``match``.
    case matchOtherDirection
}

/// Which direction a probe looks at.
public enum AppLayerProbeDirection: Sendable, Equatable {
    case toServer
    case toClient
    case both

    /// True when the probe applies to a direction.
    public func applies(toServer: Bool) -> Bool {
        switch self {
        case .both: true
        case .toServer: toServer
        case .toClient: !toServer
        }
    }
}

/// One way to recognise a protocol from a direction's first bytes.
public struct AppLayerProbe: Sendable {
    /// The direction it applies to.
    public var direction: AppLayerProbeDirection
    /// Only run on the protocol's `detection-ports` (Suricata's probing parsers); `false` for pattern probes,
    /// which run on any port.
    public var portBound: Bool
    /// Looks at the direction's first bytes (from stream offset 0).
    public var probe: @Sendable (_ bytes: UnsafeRawBufferPointer, _ toServer: Bool) -> AppLayerProbeResult

    /// A probe.
    public init(
        direction: AppLayerProbeDirection,
        portBound: Bool = false,
        probe: @escaping @Sendable (_ bytes: UnsafeRawBufferPointer, _ toServer: Bool) -> AppLayerProbeResult
    ) {
        self.direction = direction
        self.portBound = portBound
        self.probe = probe
    }
}

/// A parser event (`app-layer-event:http.request_header_invalid`): protocol-prefixed name, as Suricata's.
public struct AppLayerEvent: Sendable, Hashable, CustomStringConvertible {
    /// `proto.event_name`, or a framework event without prefix (`applayer_mismatch_protocol_both_directions`).
    public var name: String

    /// An event by its full name.
    public init(_ name: String) { self.name = name }

    public var description: String { self.name }
}

/// What a parser may do while handling data, besides updating its transactions.
public struct AppLayerParseContext {
    /// Time of the packet that delivered the data.
    public var timestamp: Timestamp
    /// True when the data is one UDP datagram.
    public var isDatagram: Bool
    /// Flow-level events raised during the call.
    public var events: [AppLayerEvent] = []
    /// Directions whose raw stream should be inspected at the next opportunity (a request or response ended:
    /// Suricata's `AppLayerParserTriggerRawStreamReassembly`). Bit 1: to server, bit 2: to client.
    public var rawInspectionTriggers: UInt8 = 0
    /// Set when the parser gives up on the flow (it will get no more data; raw inspection goes on).
    public var parserFailed = false
    /// Set with ``parserFailed`` when giving up is not a parser error in Suricata's sense: a gap in a protocol
    /// whose Suricata parser accepts gaps and resynchronises, which Weir's cannot. No app-layer error policy applies.
    public var failedWithoutError = false
    /// Set when the data turned the connection into a tunnel for another protocol (an HTTP CONNECT answered 2xx):
    /// the stage runs protocol detection again on what follows, Suricata's `AppLayerRequestProtocolChange`. The
    /// value is the port detection uses for port-bound probes (0: the flow's server port).
    public var protocolChangePort: UInt16?

    /// A context for one call.
    public init(timestamp: Timestamp, isDatagram: Bool = false) {
        self.timestamp = timestamp
        self.isDatagram = isDatagram
    }

    /// Asks for the raw stream of a direction to be inspected now rather than at the next chunk-size boundary.
    public mutating func triggerRawInspection(toServer: Bool) { self.rawInspectionTriggers |= toServer ? 1 : 2 }

    /// Raises a flow-level event.
    public mutating func raise(_ event: AppLayerEvent) { self.events.append(event) }
}

/// The per-flow state of one protocol's parser. See the comment at the top of this file.
public protocol AppLayerParser: AnyObject {
    /// Ordered bytes of one direction (or one datagram).
    func parse(_ bytes: UnsafeRawBufferPointer, toServer: Bool, context: inout AppLayerParseContext)
    /// `length` bytes of one direction are missing (a reassembly gap).
    func gap(_ length: Int, toServer: Bool, context: inout AppLayerParseContext)
    /// The direction ended: no more data will come.
    func endOfStream(toServer: Bool, context: inout AppLayerParseContext)
    /// Live transactions, oldest first.
    var transactionCount: Int { get }
    /// The live transaction at `index` (0 = oldest).
    func transaction(at index: Int) -> any AppLayerTransaction
    /// Frees every live transaction whose id is at most `id`.
    func freeTransactions(through id: UInt64)
    /// Bytes the parser's state holds, for the protocol's memcap.
    var memoryUse: Int { get }
    /// Transactions made so far (`app_layer.tx.<proto>` counts its growth, as Suricata counts the growth of a
    /// parser's transaction count across each parse call). By default the newest live id + 1.
    var transactionsCreated: UInt64 { get }
}

extension AppLayerParser {
    public var transactionsCreated: UInt64 {
        let count = self.transactionCount
        return count > 0 ? self.transaction(at: count - 1).id + 1 : 0
    }
}

/// One transaction of a protocol. See the comment at the top of this file.
public protocol AppLayerTransaction: AnyObject {
    /// Per-flow id: 0, 1, 2 … in creation order (EVE `tx_id`).
    var id: UInt64 { get }
    /// Progress of one direction (protocol-defined, increasing).
    func progress(toServer: Bool) -> Int
    /// The progress value at which a direction of the transaction is done.
    func completeProgress(toServer: Bool) -> Int
    /// Parser events raised in this transaction.
    var events: [AppLayerEvent] { get }
    /// Detection state; owned by the framework.
    var detectState: TransactionDetectState { get set }
    /// Whether the transaction's EVE record was written; owned by the framework.
    var isLogged: Bool { get set }
    /// Writes `"proto": {…}` into the open JSON object (the transaction's record and the alert's object).
    func writeEVE(_ writer: JSONWriter)
    /// Whether a direction has data to inspect again although its progress did not move (a body that grew
    /// past its minimal inspect size: Suricata inspects it in windows as it arrives). False by default.
    func hasNewData(toServer: Bool) -> Bool
    /// Called when detection inspected a direction of the transaction (``hasNewData(toServer:)`` may be reset
    /// there). Nothing by default.
    func inspected(toServer: Bool)
    /// The transaction as one that carries files (`self` for a protocol whose transactions do), `nil` by
    /// default: the EVE writer reads it per logged transaction instead of a dynamic cast.
    var fileTransaction: (any AppLayerFileTransaction)? { get }
}

extension AppLayerTransaction {
    public func hasNewData(toServer: Bool) -> Bool { false }
    public func inspected(toServer: Bool) {}
    public var fileTransaction: (any AppLayerFileTransaction)? { nil }

    /// True when both directions are done.
    public var isComplete: Bool {
        self.progress(toServer: true) >= self.completeProgress(toServer: true)
            && self.progress(toServer: false) >= self.completeProgress(toServer: false)
    }
}

/// A sticky buffer a protocol serves to detection.
public struct AppLayerBufferDescriptor: Sendable {
    /// Canonical buffer name (`http.uri`); must match the keyword registry's.
    public var name: String
    /// The direction whose data it holds.
    public var toServer: Bool
    /// The transaction progress (in `toServer`'s direction) from which the buffer is final.
    public var progress: Int
    /// Calls `body` with each instance of the buffer in the transaction (none when absent). The transaction
    /// is always of the describing protocol's class.
    public var fetch: @Sendable (_ tx: any AppLayerTransaction, _ body: (UnsafeRawBufferPointer) -> Void) -> Void
    /// For a buffer inspected in windows as it grows (HTTP bodies): gives the part to inspect now and where it
    /// starts in the whole buffer, and records it as inspected; nothing when there is nothing new. Detection
    /// uses it instead of ``fetch`` when set.
    public var fetchWindow:
        (@Sendable (_ tx: any AppLayerTransaction, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) -> Void)?

    /// A buffer description.
    public init(
        name: String,
        toServer: Bool,
        progress: Int,
        fetch: @escaping @Sendable (_ tx: any AppLayerTransaction, _ body: (UnsafeRawBufferPointer) -> Void) -> Void
    ) {
        self.name = name
        self.toServer = toServer
        self.progress = progress
        self.fetch = fetch
    }
}

/// Everything the framework needs to know about one protocol.
public struct AppLayerProtocolDescriptor: Sendable {
    /// The protocol.
    public var proto: AppProtocol
    /// IP protocols it runs over (`IPProtocol.tcp`, `IPProtocol.udp`).
    public var transports: [UInt8]
    /// Ways to recognise it.
    public var probes: [AppLayerProbe]
    /// Suricata's default `detection-ports` destination ports (rule port syntax), `nil` for none.
    public var defaultDetectionPorts: String?
    /// Makes the per-flow parser; `settings` are the protocol's options from the configuration. `nil` when it
    /// cannot (the flow keeps its protocol and is inspected as a raw stream).
    public var makeParser: @Sendable (_ settings: AppLayerParserSettings) -> (any AppLayerParser)?
    /// Makes the protocol's parser factory of one stage (``AppLayerParserFactory``), for a protocol whose
    /// parsers share work that depends on the configuration only; `nil`: the stage calls ``makeParser`` per
    /// flow. `settings` carry the configuration, counters and buffer use, without a flow's ports or address.
    public var makeFactory: (@Sendable (_ settings: AppLayerParserSettings) -> any AppLayerParserFactory)?
    /// The sticky buffers it serves.
    public var buffers: [AppLayerBufferDescriptor]
    /// The event names its parsers raise (without the protocol prefix), for rule checks.
    public var eventNames: [String]

    /// A protocol description.
    public init(
        proto: AppProtocol,
        transports: [UInt8],
        probes: [AppLayerProbe],
        defaultDetectionPorts: String?,
        makeParser: @escaping @Sendable (_ settings: AppLayerParserSettings) -> (any AppLayerParser)?,
        makeFactory: (@Sendable (_ settings: AppLayerParserSettings) -> any AppLayerParserFactory)? = nil,
        buffers: [AppLayerBufferDescriptor],
        eventNames: [String]
    ) {
        self.proto = proto
        self.transports = transports
        self.probes = probes
        self.defaultDetectionPorts = defaultDetectionPorts
        self.makeParser = makeParser
        self.makeFactory = makeFactory
        self.buffers = buffers
        self.eventNames = eventNames
    }

    /// The stage's factory for this protocol: ``makeFactory``'s, else one that calls ``makeParser`` per flow.
    func factory(_ settings: AppLayerParserSettings) -> any AppLayerParserFactory {
        self.makeFactory?(settings) ?? ClosureParserFactory(settings: settings, make: self.makeParser)
    }
}

/// The flow a parser is made for.
public struct AppLayerFlowInfo: Sendable {
    /// Server and client ports.
    public var serverPort: UInt16
    public var clientPort: UInt16
    /// The server's address, when known.
    public var serverAddress: IPAddress?

    /// A flow description.
    public init(serverPort: UInt16 = 0, clientPort: UInt16 = 0, serverAddress: IPAddress? = nil) {
        self.serverPort = serverPort
        self.clientPort = clientPort
        self.serverAddress = serverAddress
    }
}

/// Makes one protocol's parsers within one stage (one worker, not thread-safe). Made once, on the protocol's
/// first flow, from the configuration: what depends on the configuration only (parsed options, library
/// configuration objects, counter positions) is worked out there, so making a flow's parser is a constant.
public protocol AppLayerParserFactory: AnyObject {
    /// The parser of a new flow; `nil` when it cannot be made.
    func makeParser(flow: AppLayerFlowInfo) -> (any AppLayerParser)?
}

/// The factory of a protocol without its own: the configuration's settings with the flow's ports and address,
/// passed to the descriptor's `makeParser`.
final class ClosureParserFactory: AppLayerParserFactory {
    let settings: AppLayerParserSettings
    let make: @Sendable (AppLayerParserSettings) -> (any AppLayerParser)?

    init(settings: AppLayerParserSettings, make: @escaping @Sendable (AppLayerParserSettings) -> (any AppLayerParser)?)
    {
        self.settings = settings
        self.make = make
    }

    func makeParser(flow: AppLayerFlowInfo) -> (any AppLayerParser)? {
        var settings = self.settings
        settings.serverPort = flow.serverPort
        settings.clientPort = flow.clientPort
        settings.serverAddress = flow.serverAddress
        return self.make(settings)
    }
}

/// A protocol's configuration as its parsers see it: the `app-layer.protocols.<name>` subtree, flattened to
/// dotted keys below the protocol (`libhtp.default-config.personality` → `IDS`), plus shared limits.
/// The sticky buffers the loaded rules inspect, shared by the stage with every parser it makes: a parser keeps
/// or builds a buffer's bytes only when a rule needs them (as Suricata's HTTP parser stores bodies only for
/// rules that inspect them). Rebound in place when rules are reloaded; ``generation`` then changes, so a parser
/// can cache what it derived from the names.
public final class AppLayerBufferUse: @unchecked Sendable {
    /// Canonical names of the buffers in use; `nil` means every buffer (nothing bound yet).
    @exclusivity(unchecked) public private(set) var names: Set<String>?
    /// Changes with every ``bind(_:)``. Read by every transaction's callbacks: unchecked, as the stage's own
    /// state (written only between packets, by the worker that reads it).
    @exclusivity(unchecked) public private(set) var generation = 0

    /// Every buffer in use until bound.
    public init(names: Set<String>? = nil) { self.names = names }

    /// True when a rule inspects buffer `name` (or nothing was bound).
    public func uses(_ name: String) -> Bool { self.names?.contains(name) ?? true }

    /// Sets the buffers in use (`nil`: all).
    public func bind(_ names: Set<String>?) {
        self.names = names
        self.generation &+= 1
    }
}

public struct AppLayerParserSettings: Sendable {
    /// Scalar values by dotted key below `app-layer.protocols.<name>`.
    public var values: [String: String]
    /// The shared statistics object of the stage (counters by name).
    public let counters: AppLayerCounters
    /// The flow's server and client ports (for protocol checks such as HTTP's port mismatch event).
    public var serverPort: UInt16
    public var clientPort: UInt16
    /// The flow's server address, when known (HTTP picks its `libhtp.server-config` entry by it).
    public var serverAddress: IPAddress?
    /// The buffers the loaded rules inspect (the stage's, shared by its parsers).
    public let bufferUse: AppLayerBufferUse
    /// Where files are stored (`file-store` with `force-filestore`); nil stores none.
    public let fileStore: FileStore?

    /// Settings from flattened values.
    public init(
        values: [String: String] = [:],
        counters: AppLayerCounters = AppLayerCounters(),
        serverPort: UInt16 = 0,
        clientPort: UInt16 = 0,
        serverAddress: IPAddress? = nil,
        bufferUse: AppLayerBufferUse = AppLayerBufferUse(),
        fileStore: FileStore? = nil
    ) {
        self.values = values
        self.counters = counters
        self.serverPort = serverPort
        self.clientPort = clientPort
        self.serverAddress = serverAddress
        self.bufferUse = bufferUse
        self.fileStore = fileStore
    }
}

/// Named counters of the app layer (for the stats record: `app_layer.flow.http`, `http.memuse` …).
public final class AppLayerCounters: @unchecked Sendable {
    /// Counter values in insertion order.
    @exclusivity(unchecked) public private(set) var values: [(String, UInt64)] = []
    @exclusivity(unchecked) private var index: [String: Int] = [:]

    /// Empty counters.
    public init() {}

    /// The position of counter `name`, made (at 0) on first use: for counters updated per packet or
    /// transaction, which then skip the name lookup (``add(at:_:)``, ``subtract(at:_:)``, ``value(at:)``).
    public func position(of name: String) -> Int {
        if let i = self.index[name] { return i }
        self.index[name] = self.values.count
        self.values.append((name, 0))
        return self.values.count - 1
    }

    /// Adds `amount` to the counter at `position`.
    @inline(__always)
    public func add(at position: Int, _ amount: UInt64 = 1) { self.values[position].1 &+= amount }

    /// Subtracts `amount` from the counter at `position` (not below 0).
    @inline(__always)
    public func subtract(at position: Int, _ amount: UInt64) {
        let v = self.values[position].1
        self.values[position].1 = v >= amount ? v - amount : 0
    }

    /// The value of the counter at `position`.
    @inline(__always)
    public func value(at position: Int) -> UInt64 { self.values[position].1 }

    /// Adds `amount` to counter `name` (made on first use).
    public func add(_ name: String, _ amount: UInt64 = 1) {
        if let i = self.index[name] {
            self.values[i].1 &+= amount
        } else {
            self.index[name] = self.values.count
            self.values.append((name, amount))
        }
    }

    /// Sets counter `name` (a gauge such as memory use).
    public func set(_ name: String, _ value: UInt64) {
        if let i = self.index[name] {
            self.values[i].1 = value
        } else {
            self.index[name] = self.values.count
            self.values.append((name, value))
        }
    }

    /// Takes `amount` from counter `name` (not below 0).
    public func subtract(_ name: String, _ amount: UInt64) {
        guard let i = self.index[name] else { return }
        self.values[i].1 = self.values[i].1 >= amount ? self.values[i].1 - amount : 0
    }

    /// The value of counter `name`, 0 when never touched.
    public func value(_ name: String) -> UInt64 { self.index[name].map { self.values[$0].1 } ?? 0 }
}
