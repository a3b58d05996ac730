// SPDX-License-Identifier: MIT

/// A parsed Suricata rule: header, typed options, and payload inspections grouped by buffer.
///
/// The model is what the detection engine compiles. It never holds positions, so that two rules that differ
/// only in spelling (legacy `http_uri` versus `http.uri;`, spacing, option order of metadata) compare equal;
/// ``RulePrinter`` writes the canonical spelling and parsing that text gives back an equal value.
public struct Rule: Sendable, Equatable {
    /// What to do when the rule matches.
    public var action: RuleAction
    /// The protocol keyword of the header (`tcp`, `http`, `tcp-pkt` …), lowercased.
    public var proto: RuleProtocol
    /// Source addresses as written (resolve with ``AddressSpec/resolve(in:)``).
    public var source: AddressSpec
    /// Source ports as written.
    public var sourcePorts: PortSpec
    /// `->`, `<>` or `=>`.
    public var direction: RuleDirection
    /// Destination addresses as written.
    public var destination: AddressSpec
    /// Destination ports as written.
    public var destinationPorts: PortSpec

    /// `msg`, unescaped.
    public var message: String = ""
    /// `sid`.
    public var sid: UInt32 = 0
    /// `gid`, 1 unless given.
    public var gid: UInt32 = 1
    /// `rev`, 0 unless given.
    public var rev: UInt32 = 0
    /// `classtype`, the short name looked up in ``ClassificationTable``.
    public var classtype: String?
    /// `priority`, which overrides the classtype's priority.
    public var priority: Int?
    /// `reference` entries in rule order.
    public var references: [RuleReference] = []
    /// `metadata` key/value pairs in rule order (a pair without a value has an empty value).
    public var metadata: [RuleMetadataEntry] = []
    /// `target`: which side of the alert is the target.
    public var target: RuleTarget?

    /// Options that are not bound to a buffer (flow, flowbits, ttl, threshold …) in rule order.
    public var options: [RuleOption] = []
    /// Payload inspection, in rule order: each section is a buffer with its transforms and its matches.
    public var sections: [BufferSection] = []

    /// Makes a rule with a header and no options.
    public init(
        action: RuleAction,
        proto: RuleProtocol,
        source: AddressSpec,
        sourcePorts: PortSpec,
        direction: RuleDirection,
        destination: AddressSpec,
        destinationPorts: PortSpec
    ) {
        self.action = action
        self.proto = proto
        self.source = source
        self.sourcePorts = sourcePorts
        self.direction = direction
        self.destination = destination
        self.destinationPorts = destinationPorts
    }

    /// Every keyword of the rule that is recognised but not typed (the rule cannot be loaded).
    public var unsupportedKeywords: [String] {
        var names: [String] = []
        func add(_ name: String) { if !names.contains(name) { names.append(name) } }
        if self.action.isFirewallOnly { add("action \(self.action.name)") }
        if self.proto.hook != nil { add("protocol hook") }
        for option in self.options { if case .unsupported(let name, _) = option { add(name) } }
        for section in self.sections {
            if !KeywordRegistry.isTypedBuffer(section.buffer.name) { add(section.buffer.name) }
            for transform in section.transforms { if case .other(let name, _) = transform { add(name) } }
            for match in section.matches { if case .unsupported(let name, _) = match { add(name) } }
        }
        return names
    }

    /// The content to feed a multi-pattern matcher: the `fast_pattern` content, else Suricata's choice (the
    /// longest non-negated content); `nil` when the rule has no usable content.
    public var fastPatternContent: (section: Int, match: Int)? {
        var best: (Int, Int, Int)?
        for (s, section) in self.sections.enumerated() {
            for (m, match) in section.matches.enumerated() {
                guard case .content(let content) = match else { continue }
                if content.fastPattern != nil { return (s, m) }
                if !content.isNegated, content.pattern.count > (best?.2 ?? 0) { best = (s, m, content.pattern.count) }
            }
        }
        return best.map { ($0.0, $0.1) }
    }
}

/// One `metadata` entry: `key value`.
public struct RuleMetadataEntry: Sendable, Equatable {
    /// The key (first word).
    public var key: String
    /// The rest of the entry, trimmed; empty for a lone word.
    public var value: String

    /// Makes an entry.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// One `reference:system,id` entry.
public struct RuleReference: Sendable, Equatable {
    /// The reference system (`url`, `cve` …), looked up in ``ReferenceTable``.
    public var system: String
    /// The identifier or URL tail.
    public var id: String

    /// Makes a reference.
    public init(system: String, id: String) {
        self.system = system
        self.id = id
    }
}

/// `target:src_ip|dest_ip`.
public enum RuleTarget: String, Sendable, Equatable {
    case sourceIP = "src_ip"
    case destinationIP = "dest_ip"
}

/// The rule action (first header word), with Suricata 8's optional scope (`drop:flow`).
public struct RuleAction: Sendable, Equatable {
    /// The action keyword.
    public enum Kind: String, Sendable, CaseIterable {
        case alert, drop, pass, reject, rejectsrc, rejectdst, rejectboth
        /// Suricata 8 firewall actions.
        case accept, config
    }

    /// The main action.
    public var kind: Kind
    /// Suricata 8 scope after `:` (`packet`, `flow`, `hook`, `tx`), if written.
    public var scope: String?
    /// Further comma-separated actions of Suricata 8 firewall rules (`accept:flow,alert`).
    public var extra: [String]

    /// Makes an action.
    public init(kind: Kind, scope: String? = nil, extra: [String] = []) {
        self.kind = kind
        self.scope = scope
        self.extra = extra
    }

    /// The action as written in the header.
    public var name: String {
        var out = self.kind.rawValue
        if let scope = self.scope { out += ":" + scope }
        for item in self.extra { out += "," + item }
        return out
    }

    /// Whether this is a Suricata 8 firewall-mode form the engine does not run.
    public var isFirewallOnly: Bool {
        self.kind == .accept || self.kind == .config || self.scope != nil || !self.extra.isEmpty
    }
}

/// The header protocol, with Suricata 8's optional hook (`tls:client_hello_done`).
public struct RuleProtocol: Sendable, Equatable {
    /// The protocol name, lowercased (`tcp`, `http1`, `tcp-pkt` …).
    public var name: String
    /// The hook after `:`, if written.
    public var hook: String?

    /// Makes a protocol.
    public init(name: String, hook: String? = nil) {
        self.name = name
        self.hook = hook
    }

    /// Whether the protocol is an application-layer protocol (as opposed to ip/tcp/udp/icmp…).
    public var isApplicationLayer: Bool { !RuleProtocol.packetProtocols.contains(self.name) }

    /// Protocol keywords that select packets rather than an app-layer parser.
    public static let packetProtocols: Set<String> = [
        "ip", "ipv4", "ip4", "ipv6", "ip6", "tcp", "udp", "icmp", "icmpv4", "icmpv6", "sctp", "igmp", "tcp-pkt",
        "tcp-stream", "udp-pkt", "pkthdr", "ether", "arp",
    ]

    /// Every protocol keyword the parser accepts (packet protocols plus app-layer parsers Suricata 7/8 know).
    public static let known: Set<String> = packetProtocols.union([
        "http", "http1", "http2", "dns", "doh2", "tls", "ssh", "smtp", "ftp", "ftp-data", "smb", "dcerpc", "nfs",
        "dhcp", "krb5", "snmp", "sip", "rfb", "mqtt", "ike", "ikev2", "modbus", "dnp3", "enip", "ntp", "tftp",
        "rdp", "quic", "websocket", "pgsql", "ldap", "pop3", "imap", "bittorrent-dht", "telnet", "http-any",
        "mdns", "llmnr", "template", "tls13", "ja4", "irc", "msn", "jabber", "vxlan", "dcerpc-udp", "smb2",
    ])
}

/// The arrow between source and destination.
public enum RuleDirection: String, Sendable, Equatable {
    /// `->`: source to destination only.
    case toDestination = "->"
    /// `<>`: either direction.
    case both = "<>"
    /// `=>`: Suricata 8 transactional (request and response of one transaction).
    case transactional = "=>"
}
