// SPDX-License-Identifier: MIT

/// A rule option that is not bound to a buffer, with validated arguments.
public enum RuleOption: Sendable, Equatable {
    case flow(FlowOptions)
    case flowbits(BitsCommand)
    /// `xbits`: like flowbits, tracked per host or host pair.
    case xbits(BitsCommand, track: XbitsTrack, expire: Int?)
    case flowint(FlowintCommand)
    case threshold(Threshold)
    /// `detection_filter`: same fields as `threshold` with type `threshold`.
    case detectionFilter(Threshold)
    /// Integer keywords (`ttl`, `dsize`, `itype` …) through one generic comparison.
    case integer(IntegerKeyword, IntegerMatch)
    /// `urilen` with its buffer choice.
    case urilen(IntegerMatch, raw: Bool)
    /// `tos:[!]n`.
    case tos(value: UInt8, isNegated: Bool)
    /// `flags`.
    case tcpFlags(TCPFlagsMatch)
    /// `fragbits:[+*!]MDR`.
    case fragbits(bits: UInt8, modifier: FlagModifier)
    /// `fragoffset:[<|>]n`: the fragment offset (IPv4: 8-byte units; IPv6: the fragment header's offset field
    /// as Suricata reads it, in bytes); `comparison` is `<`, `>` or `=`.
    case fragoffset(comparison: Character, value: UInt16)
    /// `ipopts:name`.
    case ipopts(String)
    /// `ip_proto:[!<>]n`.
    case ipProto(IntegerMatch)
    /// `sameip`.
    case sameIP
    /// `vlan.id:[op]id[,layer]` (Suricata 8).
    case vlanID(VLANIDMatch)
    /// `noalert`.
    case noalert
    /// `bypass`.
    case bypass
    /// `app-layer-protocol:[!]name[,mode]`.
    case appLayerProtocol(name: String, isNegated: Bool, mode: String?)
    /// `decode-event`, `stream-event`, `app-layer-event`: the event name as written.
    case event(EventKind, name: String)
    /// `ipv4-csum:valid|invalid` and friends.
    case checksum(layer: String, valid: Bool)
    /// `stream_size:side,op,n`.
    case streamSize(side: String, IntegerMatch)
    /// `tag:session|host, count, metric[, direction]`.
    case tag(kind: String, count: Int?, metric: String?, direction: String?)
    /// `ssl_state:a|b|!c`, names as written.
    case sslState([String])
    /// `ssl_version:list`, names as written.
    case sslVersion([String])
    /// `tls.version:x`.
    case tlsVersion(String)
    /// An app-layer option with a value answered by the transaction (`tls.fingerprint:"…"`, `dns.opcode:0`,
    /// `tls_cert_expired` …): keyword and value as written.
    case appLayerCondition(keyword: String, value: String)
    /// `filesize:<int-cmp>`: the size of a transaction's file.
    case filesize(IntegerMatch)
    /// `filemd5`, `filesha1`, `filesha256`: a transaction's file digest in a hash list.
    case fileHash(FileHashMatch)
    /// `ftpbounce`.
    case ftpbounce
    /// `prefilter`: use the previous keyword as the prefilter.
    case prefilter
    /// `alert` (Suricata 8 firewall rules): also raise an alert.
    case alert
    /// A keyword recognised by name only; the rule is reported unsupported with this name.
    case unsupported(name: String, value: String?)
}

/// The three event keywords.
public enum EventKind: String, Sendable, Equatable {
    case decode = "decode-event"
    case stream = "stream-event"
    case appLayer = "app-layer-event"
}

/// Integer keywords parsed through ``IntegerMatch``, with their value limits.
public enum IntegerKeyword: String, Sendable, CaseIterable, Equatable {
    case ttl, dsize, itype, icode
    case icmpID = "icmp_id"
    case icmpSeq = "icmp_seq"
    case window, ack, seq
    case tcpMSS = "tcp.mss"
    case tcpWindow = "tcp.window"
    case tcpAck = "tcp.ack"
    case tcpSeq = "tcp.seq"
    case flowAge = "flow.age"
    case flowPkts = "flow.pkts"
    case flowBytes = "flow.bytes"
    case flowPktsToServer = "flow.pkts_toserver"
    case flowPktsToClient = "flow.pkts_toclient"
    case flowBytesToServer = "flow.bytes_toserver"
    case flowBytesToClient = "flow.bytes_toclient"
    /// `flow.pkts:either,…` / `flow.bytes:either,…` (Suricata 8): either direction's counter. Their raw values
    /// are names for Weir only: rules write these through `flow.pkts`/`flow.bytes` (``isRuleKeyword``).
    case flowPktsEither = "flow.pkts_either"
    case flowBytesEither = "flow.bytes_either"
    case igmpType = "igmp.type"
    case icmpv6MTU = "icmpv6.mtu"
    /// `vlan.layers` (Suricata 8): how many VLAN tags the packet has, 0 to 3.
    case vlanLayers = "vlan.layers"

    /// Whether rules may write the raw value as a keyword (every case but the `either` forms).
    public var isRuleKeyword: Bool { self != .flowPktsEither && self != .flowBytesEither }

    /// The largest value the field can hold.
    public var maximum: UInt64 {
        switch self {
        case .vlanLayers: 3
        case .ttl, .itype, .icode, .igmpType: 255
        case .dsize, .icmpID, .icmpSeq, .window, .tcpMSS, .tcpWindow: 65535
        case .ack, .seq, .tcpAck, .tcpSeq, .icmpv6MTU, .flowAge: UInt64(UInt32.max)
        default: UInt64.max
        }
    }
}

/// `vlan.id`'s value: an id comparison and the layers it applies to.
public struct VLANIDMatch: Sendable, Equatable, CustomStringConvertible {
    /// Which of the packet's VLAN layers the comparison looks at.
    public enum Layer: Sendable, Equatable {
        /// Any layer matches (the default, and `any`).
        case any
        /// Every layer matches (`all`).
        case all
        /// One layer: 0 is the outermost tag, -1 the innermost; -3 to 2 (Suricata's range).
        case index(Int8)
    }

    /// The id comparison (ids are 12 bits: every value in it is at most 4095).
    public var match: IntegerMatch
    /// The layers compared.
    public var layer: Layer

    /// Makes a match.
    public init(_ match: IntegerMatch, layer: Layer = .any) {
        self.match = match
        self.layer = layer
    }

    /// The canonical spelling, without the layer when it is the default.
    public var description: String {
        switch self.layer {
        case .any: "\(self.match)"
        case .all: "\(self.match),all"
        case .index(let index): "\(self.match),\(index)"
        }
    }
}

/// `flow:` keywords as a typed set.
public struct FlowOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `to_server` / `from_client`.
    public static let toServer = FlowOptions(rawValue: 1 << 0)
    /// `to_client` / `from_server`.
    public static let toClient = FlowOptions(rawValue: 1 << 1)
    /// `established`.
    public static let established = FlowOptions(rawValue: 1 << 2)
    /// `not_established`.
    public static let notEstablished = FlowOptions(rawValue: 1 << 3)
    /// `stateless`.
    public static let stateless = FlowOptions(rawValue: 1 << 4)
    /// `only_stream`.
    public static let onlyStream = FlowOptions(rawValue: 1 << 5)
    /// `no_stream`.
    public static let noStream = FlowOptions(rawValue: 1 << 6)
    /// `only_frag`.
    public static let onlyFrag = FlowOptions(rawValue: 1 << 7)
    /// `no_frag`.
    public static let noFrag = FlowOptions(rawValue: 1 << 8)

    /// Canonical names in printing order.
    static let names: [(String, FlowOptions)] = [
        ("to_server", .toServer), ("to_client", .toClient), ("established", .established),
        ("not_established", .notEstablished), ("stateless", .stateless), ("only_stream", .onlyStream),
        ("no_stream", .noStream), ("only_frag", .onlyFrag), ("no_frag", .noFrag),
    ]
}

/// A `flowbits`/`xbits` command.
public struct BitsCommand: Sendable, Equatable {
    /// The operation.
    public enum Operation: String, Sendable, Equatable {
        case set, unset, toggle, isset, isnotset, noalert
    }

    /// The operation.
    public var operation: Operation
    /// The bit names: one, or several joined by `|` (any) or `&` (all) for `isset`/`isnotset`.
    public var names: [String]
    /// Whether several names are joined by `&` rather than `|`.
    public var requiresAll: Bool

    /// Makes a command.
    public init(operation: Operation, names: [String], requiresAll: Bool = false) {
        self.operation = operation
        self.names = names
        self.requiresAll = requiresAll
    }
}

/// `xbits` tracking.
public enum XbitsTrack: String, Sendable, Equatable {
    case sourceIP = "ip_src"
    case destinationIP = "ip_dst"
    case ipPair = "ip_pair"
    case tx
}

/// `flowint:name, op[, value]`.
public struct FlowintCommand: Sendable, Equatable {
    /// Operators.
    public enum Operator: String, Sendable, Equatable {
        case assign = "=", add = "+", subtract = "-"
        case equal = "==", notEqual = "!=", less = "<", greater = ">", lessOrEqual = "<=", greaterOrEqual = ">="
        case isset, notset, isnotset

        /// Whether the operator changes the variable (as opposed to testing it).
        public var isModifier: Bool { self == .assign || self == .add || self == .subtract }
    }

    /// The variable.
    public var name: String
    /// The operation.
    public var op: Operator
    /// The operand: a number or another flowint's name; `nil` for `isset`/`notset`.
    public var value: IntegerOrVariable?
}

/// `threshold` / `detection_filter` arguments.
public struct Threshold: Sendable, Equatable {
    /// `type`.
    public enum Kind: String, Sendable { case limit, threshold, both, backoff }
    /// `track`.
    public enum Track: String, Sendable {
        case bySource = "by_src", byDestination = "by_dst", byRule = "by_rule", byBoth = "by_both"
        case byFlow = "by_flow"
    }

    /// The type (`threshold` for `detection_filter`).
    public var kind: Kind
    /// What is counted per.
    public var track: Track
    /// `count`.
    public var count: UInt32
    /// `seconds` (zero for `backoff`).
    public var seconds: UInt32
    /// `multiplier` (`backoff` only).
    public var multiplier: UInt32?
    /// `unique_on src_port|dst_port` (Suricata 8 `detection_filter`): count distinct values only.
    public var uniqueOn: String?
}

/// How a set of flag bits is compared.
public enum FlagModifier: String, Sendable, Equatable {
    /// Exactly these bits (ignoring masked bits).
    case exact = ""
    /// `+`: these bits and possibly others.
    case all = "+"
    /// `*`: any of these bits.
    case any = "*"
    /// `!`: none of these bits.
    case not = "!"
}

/// `flags:[modifier]FSRPAUCE0[,mask]`.
public struct TCPFlagsMatch: Sendable, Equatable {
    /// The flag bits (FIN 0x01 … CWR 0x80), zero for `0`.
    public var flags: UInt8
    /// The comparison.
    public var modifier: FlagModifier
    /// Bits to ignore.
    public var ignored: UInt8

    /// Flag letters in bit order.
    static let letters: [(Character, UInt8)] = [
        ("F", 0x01), ("S", 0x02), ("R", 0x04), ("P", 0x08), ("A", 0x10), ("U", 0x20), ("E", 0x40), ("C", 0x80),
    ]
}
