// SPDX-License-Identifier: MIT

/// The whole configuration, typed: one struct per `suricata.yaml` section, each defaulting to Suricata's values.
///
/// ``WeirConfiguration/default`` is what Weir runs with when no `-c` file is given, so that
/// `weir -r x.pcap -S y.rules -l out` works. ``ConfigLoader`` builds one from a file and `--set` options.
/// Sizes are bytes, timeouts seconds. Library modules do not read this type directly: the CLI fills each
/// module's own settings struct from it.
public struct WeirConfiguration: Sendable, Equatable {
    /// `vars`: address and port groups.
    public var vars = Vars()
    /// `default-rule-path`: the folder relative rule file names are taken from; `nil` = the working directory.
    public var defaultRulePath: String? = nil
    /// `rule-files`: rule files loaded when no `-S` is given (relative to ``defaultRulePath``).
    public var ruleFiles: [String] = []
    /// `classification-file`; `nil` = Weir's built-in copy of Suricata's classifications.
    public var classificationFile: String? = nil
    /// `reference-config-file`; `nil` = none.
    public var referenceConfigFile: String? = nil
    /// `threshold-file`; `nil` = none.
    public var thresholdFile: String? = nil
    /// `default-log-dir`: where outputs go unless `-l` says otherwise.
    public var defaultLogDirectory: String = "."
    /// `af-packet`: live capture interfaces, in file order (the `interface: default` entry is folded into
    /// the others and not listed).
    public var afPacket: [AFPacketInterface] = []
    /// `pcap-file`.
    public var pcapFile = PcapFileSettings()
    /// Top-level `checksum-checks` (Weir's shorthand, also what `-k` sets); wins over
    /// `pcap-file.checksum-checks` when present. `nil` when not written.
    public var checksumChecks: ChecksumMode? = nil
    /// `stream`.
    public var stream = StreamSettings()
    /// `host-os-policy`: networks whose hosts reassemble TCP with another OS's overlap policy, in file order.
    public var hostOSPolicy: [HostOSPolicyEntry] = []
    /// `decoder`: tunnel decoders and the layer limit.
    public var decoder = DecoderSection()
    /// `defrag`: IP fragment reassembly.
    public var defrag = DefragSection()
    /// `flow`.
    public var flow = FlowSettings()
    /// `flow-timeouts`.
    public var flowTimeouts = FlowTimeoutSettings()
    /// `vlan`: whether VLAN ids take part in flow tracking.
    public var vlan = VLANSettings()
    /// `outputs`.
    public var outputs = OutputSettings.defaultOutputs
    /// `stats`.
    public var stats = StatsSettings()
    /// `sensor-name`: EVE's `host` field on every record, when set.
    public var sensorName: String? = nil
    /// `action-order`: each of pass, drop, reject, alert exactly once.
    public var actionOrder: [RuleAction] = [.pass, .drop, .reject, .alert]
    /// `packet-alert-max`: alerts kept per packet (1 to 65,535; `0` in the file means the default, 15).
    public var packetAlertMax: Int = 15
    /// `app-layer`.
    public var appLayer = AppLayerSettings()
    /// `detect`.
    public var detect = DetectSettings()
    /// `unix-command`: the control socket.
    public var unixCommand = UnixCommandSettings()
    /// `metrics` (Weir's): the Prometheus endpoint.
    public var metrics = MetricsSettings()
    /// `kernel-version-override` (Weir's): make feature gating act as on this kernel (`4.9`, `5.10.0`).
    public var kernelVersionOverride: KernelVersion? = nil
    /// `bypass` (Weir's): kernel map sizes and where they are pinned.
    public var bypass = BypassSettings()
    /// `max-pending-packets`.
    public var maxPendingPackets: Int = 1024
    /// `runmode`; `nil` = Weir's choice (workers for live capture, single for files). `autofp` replays files
    /// with several workers fed by one reader.
    public var runMode: RunMode? = nil
    /// `threading.detect-thread-ratio`: workers per online CPU for `runmode: autofp` replay (Suricata's
    /// detect threads); default 1.0.
    public var detectThreadRatio: Double = 1.0
    /// `threading`: CPU affinity and thread priorities (`set-cpu-affinity`, `cpu-affinity`).
    public var threading = ThreadingSettings()
    /// `host-mode`.
    public var hostMode: HostMode = .auto
    /// `exception-policy` and the per-target `*-policy` keys, as written (resolved at start-up, when the
    /// mode is known).
    public var exceptionPolicy = ExceptionPolicySettings()

    /// Suricata's defaults for everything; the outputs are eve.json (alert, drop, flow, stats) and fast.log.
    public init() {}

    /// The configuration used when no file is given.
    public static let `default` = WeirConfiguration()

    /// The checksum policy for pcap files: top-level `checksum-checks` (or `-k`) if set, else
    /// `pcap-file.checksum-checks`.
    public var effectivePcapChecksumMode: ChecksumMode { self.checksumChecks ?? self.pcapFile.checksumChecks }
}

/// `vars`: named address and port groups, in file order, values verbatim as Suricata's parsers take them.
public struct Vars: Sendable, Equatable {
    /// `vars.address-groups`: name → value (`"[192.168.0.0/16,10.0.0.0/8]"`, `"!$HOME_NET"`).
    public var addressGroups: [(name: String, value: String)] = Vars.defaultAddressGroups
    /// `vars.port-groups`: name → value (`"80"`, `"[5060, 5061]"`).
    public var portGroups: [(name: String, value: String)] = Vars.defaultPortGroups

    /// The value of address group `name`, if defined.
    public func address(_ name: String) -> String? { self.addressGroups.first(where: { $0.name == name })?.value }
    /// The value of port group `name`, if defined.
    public func port(_ name: String) -> String? { self.portGroups.first(where: { $0.name == name })?.value }

    /// Suricata's default address groups (`suricata.yaml` of 7.x/8.x).
    public static let defaultAddressGroups: [(name: String, value: String)] = [
        ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
        ("EXTERNAL_NET", "!$HOME_NET"),
        ("HTTP_SERVERS", "$HOME_NET"),
        ("SMTP_SERVERS", "$HOME_NET"),
        ("SQL_SERVERS", "$HOME_NET"),
        ("DNS_SERVERS", "$HOME_NET"),
        ("TELNET_SERVERS", "$HOME_NET"),
        ("AIM_SERVERS", "$EXTERNAL_NET"),
        ("DC_SERVERS", "$HOME_NET"),
        ("DNP3_SERVER", "$HOME_NET"),
        ("DNP3_CLIENT", "$HOME_NET"),
        ("MODBUS_CLIENT", "$HOME_NET"),
        ("MODBUS_SERVER", "$HOME_NET"),
        ("ENIP_CLIENT", "$HOME_NET"),
        ("ENIP_SERVER", "$HOME_NET"),
    ]

    /// Suricata's default port groups.
    public static let defaultPortGroups: [(name: String, value: String)] = [
        ("HTTP_PORTS", "80"),
        ("SHELLCODE_PORTS", "!80"),
        ("ORACLE_PORTS", "1521"),
        ("SSH_PORTS", "22"),
        ("DNP3_PORTS", "20000"),
        ("MODBUS_PORTS", "502"),
        ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
        ("FTP_PORTS", "21"),
        ("GENEVE_PORTS", "6081"),
        ("VXLAN_PORTS", "4789"),
        ("TEREDO_PORTS", "3544"),
        ("SIP_PORTS", "[5060, 5061]"),
    ]

    /// Creates Suricata's default groups.
    public init() {}

    public static func == (lhs: Vars, rhs: Vars) -> Bool {
        lhs.addressGroups.map(\.name) == rhs.addressGroups.map(\.name)
            && lhs.addressGroups.map(\.value) == rhs.addressGroups.map(\.value)
            && lhs.portGroups.map(\.name) == rhs.portGroups.map(\.name)
            && lhs.portGroups.map(\.value) == rhs.portGroups.map(\.value)
    }
}

/// One `af-packet` list entry.
public struct AFPacketInterface: Sendable, Equatable {
    /// `interface`: the network interface name.
    public var interface: String
    /// `threads`: `nil` = `auto` (one per CPU).
    public var threads: Int? = nil
    /// `cluster-id`: the PACKET_FANOUT group id.
    public var clusterID: Int = 99
    /// `cluster-type`.
    public var clusterType: ClusterType = .clusterFlow
    /// `defrag`: let the kernel defragment before fanout.
    public var defrag: Bool = true
    /// `copy-mode`.
    public var copyMode: CopyMode = .none
    /// `copy-iface`: the peer interface for `ips`/`tap`.
    public var copyInterface: String? = nil
    /// `bypass`: offload bypassed flows to the kernel (XDP or socket filter).
    public var bypass: Bool = false
    /// `xdp-mode`.
    public var xdpMode: XDPMode = .auto
    /// `xdp-filter-file`: a custom XDP object; `nil` = Weir's own program.
    public var xdpFilterFile: String? = nil
    /// `ring-size`: frames per ring.
    public var ringSize: Int = 2048
    /// `block-size`: TPACKET_V3 block size in bytes.
    public var blockSize: Int = 32768
    /// `block-timeout`: TPACKET_V3 block retire timeout, milliseconds; nil when not set, which is
    /// ``defaultBlockTimeout``, or ``bypassBlockTimeout`` on an entry with `bypass: yes`.
    public var blockTimeout: Int? = nil
    /// Suricata's `block-timeout` default (milliseconds).
    public static let defaultBlockTimeout = 10
    /// The `block-timeout` of an entry with `bypass: yes` that sets none (milliseconds). A frame waits in a
    /// block that is not full until the block is handed over, and a bypass decision comes no sooner than the
    /// worker reads the frame that makes it: with 10 ms a TLS or SSH handshake on a fast link ends, and its
    /// bulk transfer fills the ring, before the worker has seen the handshake's last record.
    public static let bypassBlockTimeout = 1

    /// The block timeout in effect (milliseconds).
    public var effectiveBlockTimeout: Int {
        self.blockTimeout ?? (self.bypass ? Self.bypassBlockTimeout : Self.defaultBlockTimeout)
    }
    /// `use-mmap`.
    public var useMmap: Bool = true
    /// `tpacket-v3`.
    public var tpacketV3: Bool = true
    /// `checksum-checks`.
    public var checksumChecks: AFPacketChecksumMode = .kernel
    /// `dedicated` (Weir's): the interface is a dedicated capture port (SPAN or tap), so XDP may drop
    /// bypassed packets; on a shared interface bypass only hides packets from the capture socket.
    public var dedicated: Bool = false
    /// `promisc`: put the interface in promiscuous mode (Suricata's inverse `disable-promisc` is ignored).
    public var promiscuous: Bool = true
    /// `fail-mode` (Weir's, copy-mode pairs only): nil = no heartbeat; traffic stops with Weir.
    public var failMode: AFPacketFailMode? = nil
    /// `heartbeat-period`: milliseconds between heartbeats the workers give the XDP programs.
    public var heartbeatPeriod: Int = 100
    /// `heartbeat-timeout`: milliseconds without a heartbeat after which the programs fail open or closed.
    public var heartbeatTimeout: Int = 500

    /// An entry for `interface` with Suricata's defaults.
    public init(interface: String) { self.interface = interface }
}

/// `pcap-file`.
public struct PcapFileSettings: Sendable, Equatable {
    /// `checksum-checks`: `auto` unless set.
    public var checksumChecks: ChecksumMode = .auto
    /// Defaults.
    public init() {}
}

/// One `host-os-policy` entry: a policy name (`linux`, `windows`, `bsd` …) and the networks it covers.
public struct HostOSPolicyEntry: Sendable, Equatable {
    /// The policy, as written (lower case).
    public var policy: String
    /// Addresses or CIDR networks, as written.
    public var networks: [String]

    /// An entry.
    public init(policy: String, networks: [String]) {
        self.policy = policy
        self.networks = networks
    }

    /// Suricata's policy names.
    public static let policyNames: Set<String> = [
        "bsd", "bsd-right", "old-linux", "linux", "old-solaris", "solaris", "hpux10", "hpux11", "irix", "macos",
        "windows", "vista", "windows2k3", "first", "last",
    ]
}

/// `stream`: TCP session tracking and reassembly.
public struct StreamSettings: Sendable, Equatable {
    /// `enabled` (Weir's own key, not Suricata's): `false` turns TCP session tracking and reassembly off, so
    /// rules see packets only (for measurements and troubleshooting).
    public var enabled: Bool = true
    /// `memcap`, bytes (64 MiB).
    public var memcap: UInt64 = 64 << 20
    /// `checksum-validation`: skip TCP packets with bad checksums in the stream engine.
    public var checksumValidation: Bool = true
    /// `inline`.
    public var inline: StreamInlineMode = .auto
    /// `midstream`: pick up sessions without a 3-way handshake.
    public var midstream: Bool = false
    /// `async-oneside`: accept sessions where only one direction is seen.
    public var asyncOneside: Bool = false
    /// `drop-invalid`: in IPS mode, drop packets the stream engine finds invalid.
    public var dropInvalid: Bool = true
    /// `bypass`: bypass a flow once both directions reach the reassembly depth.
    public var bypass: Bool = false
    /// `prealloc-sessions`, per thread.
    public var preallocSessions: Int = 2048
    /// `max-synack-queued`.
    public var maxSynAckQueued: Int = 5
    /// `max-syn-queued`.
    public var maxSynQueued: Int = 10
    /// `reassembly`.
    public var reassembly = ReassemblySettings()
    /// Defaults.
    public init() {}
}

/// `stream.reassembly`.
public struct ReassemblySettings: Sendable, Equatable {
    /// `memcap`, bytes (256 MiB).
    public var memcap: UInt64 = 256 << 20
    /// `depth`, bytes per direction (1 MiB); 0 = unlimited.
    public var depth: UInt64 = 1 << 20
    /// `toserver-chunk-size`, bytes.
    public var toServerChunkSize: UInt64 = 2560
    /// `toclient-chunk-size`, bytes.
    public var toClientChunkSize: UInt64 = 2560
    /// `randomize-chunk-size`.
    public var randomizeChunkSize: Bool = true
    /// `segment-prealloc`.
    public var segmentPrealloc: Int = 2048
    /// `check-overlap-different-data`: compare retransmitted data with what was already inspected.
    public var checkOverlapDifferentData: Bool = false
    /// Defaults.
    public init() {}
}

/// `flow`: the flow table.
public struct FlowSettings: Sendable, Equatable {
    /// `memcap`, bytes (128 MiB).
    public var memcap: UInt64 = 128 << 20
    /// `hash-size`: buckets.
    public var hashSize: Int = 65536
    /// `prealloc`: flows allocated up front.
    public var prealloc: Int = 10000
    /// `emergency-recovery`: percent of prealloc that must be free again to leave emergency mode.
    public var emergencyRecovery: Int = 30
    /// Defaults.
    public init() {}
}

/// `vlan`: how VLAN tags take part in flow tracking.
public struct VLANSettings: Sendable, Equatable {
    /// `use-for-tracking`: VLAN ids are part of a flow's identity (Suricata's default). Off, packets that differ
    /// only in their tags (each direction on its own VLAN) share one flow; the defragmenter keys by them anyway.
    public var useForTracking: Bool = true
    /// Defaults.
    public init() {}
}

/// Timeouts of one protocol in `flow-timeouts`, seconds.
public struct FlowTimeouts: Sendable, Equatable {
    /// `new`: a flow not yet established.
    public var new: Int
    /// `established`.
    public var established: Int
    /// `closed`: after FIN/RST (TCP).
    public var closed: Int
    /// `bypassed`: a flow bypassed in the kernel, checked against its last kernel hit.
    public var bypassed: Int
    /// `emergency-new`.
    public var emergencyNew: Int
    /// `emergency-established`.
    public var emergencyEstablished: Int
    /// `emergency-closed`.
    public var emergencyClosed: Int
    /// `emergency-bypassed`.
    public var emergencyBypassed: Int

    /// Timeouts from explicit values.
    public init(
        new: Int,
        established: Int,
        closed: Int,
        bypassed: Int,
        emergencyNew: Int,
        emergencyEstablished: Int,
        emergencyClosed: Int,
        emergencyBypassed: Int
    ) {
        self.new = new
        self.established = established
        self.closed = closed
        self.bypassed = bypassed
        self.emergencyNew = emergencyNew
        self.emergencyEstablished = emergencyEstablished
        self.emergencyClosed = emergencyClosed
        self.emergencyBypassed = emergencyBypassed
    }
}

/// `flow-timeouts`, with Suricata's default values per protocol.
public struct FlowTimeoutSettings: Sendable, Equatable {
    /// `default`: protocols other than TCP, UDP and ICMP.
    public var `default` = FlowTimeouts(
        new: 30,
        established: 300,
        closed: 0,
        bypassed: 100,
        emergencyNew: 10,
        emergencyEstablished: 100,
        emergencyClosed: 0,
        emergencyBypassed: 50
    )
    /// `tcp`.
    public var tcp = FlowTimeouts(
        new: 60,
        established: 600,
        closed: 60,
        bypassed: 100,
        emergencyNew: 5,
        emergencyEstablished: 100,
        emergencyClosed: 10,
        emergencyBypassed: 50
    )
    /// `udp`.
    public var udp = FlowTimeouts(
        new: 30,
        established: 300,
        closed: 0,
        bypassed: 100,
        emergencyNew: 10,
        emergencyEstablished: 100,
        emergencyClosed: 0,
        emergencyBypassed: 50
    )
    /// `icmp`.
    public var icmp = FlowTimeouts(
        new: 30,
        established: 300,
        closed: 0,
        bypassed: 100,
        emergencyNew: 10,
        emergencyEstablished: 100,
        emergencyClosed: 0,
        emergencyBypassed: 50
    )
    /// Defaults.
    public init() {}
}

/// `stats`: the engine's periodic counters.
public struct StatsSettings: Sendable, Equatable {
    /// `enabled`.
    public var enabled: Bool = true
    /// `interval`, seconds.
    public var interval: Int = 8
    /// Defaults.
    public init() {}
}

/// `app-layer`.
public struct AppLayerSettings: Sendable, Equatable {
    /// `app-layer.protocols.<name>`, for the parsers Weir has (http, http2, dns, tls, ssh), keyed by name.
    /// Every Weir protocol is present, with Suricata's defaults when not written.
    public var protocols: [String: AppLayerProtocolSettings] = AppLayerSettings.defaultProtocols

    /// The protocols Weir parses, and their defaults.
    public static let defaultProtocols: [String: AppLayerProtocolSettings] = [
        "http": AppLayerProtocolSettings(),
        "http2": AppLayerProtocolSettings(),
        "dns": AppLayerProtocolSettings(detectionPorts: DetectionPorts(destination: "53")),
        "tls": AppLayerProtocolSettings(detectionPorts: DetectionPorts(destination: "443")),
        "ssh": AppLayerProtocolSettings(),
    ]

    /// The settings of `name` (Suricata's defaults for a Weir protocol not written in the file).
    public subscript(name: String) -> AppLayerProtocolSettings {
        self.protocols[name] ?? AppLayerProtocolSettings()
    }

    /// Defaults.
    public init() {}
}

/// `detection-ports`: port strings in rule syntax (`"53"`, `"[80, 8080]"`); `nil` = not set.
public struct DetectionPorts: Sendable, Equatable {
    /// `dp`: destination ports.
    public var destination: String?
    /// `sp`: source ports.
    public var source: String?

    /// Ports as given.
    public init(destination: String? = nil, source: String? = nil) {
        self.destination = destination
        self.source = source
    }
}

/// One `app-layer.protocols.<name>` entry.
public struct AppLayerProtocolSettings: Sendable, Equatable {
    /// `enabled`.
    public var enabled: AppLayerEnabled = .yes
    /// `detection-enabled`: run protocol detection for this parser.
    public var detectionEnabled: Bool = true
    /// `detection-ports` (for DNS also read from `dns.tcp` and `dns.udp`).
    public var detectionPorts = DetectionPorts()
    /// `encryption-handling` (TLS, SSH).
    public var encryptionHandling: EncryptionHandling = .default
    /// Per-transport settings Suricata uses for DNS (`dns.tcp`, `dns.udp`), keyed by `tcp`/`udp`.
    public var transports: [String: AppLayerProtocolSettings] = [:]
    /// The parser's own options, flattened to dotted keys below the protocol (`libhtp.default-config.personality`,
    /// `memcap`); list items are numbered (`libhtp.server-config.0.apache.address.1`).
    public var parserValues: [String: String] = [:]

    /// Settings with the given ports and Suricata's other defaults.
    public init(detectionPorts: DetectionPorts = DetectionPorts()) { self.detectionPorts = detectionPorts }
}

/// `detect`.
public struct DetectSettings: Sendable, Equatable {
    /// `profile`.
    public var profile: DetectProfile = .medium
    /// `sgh-mpm-context`.
    public var sghMPMContext: MPMContext = .auto
    /// `inspection-recursion-limit`.
    public var inspectionRecursionLimit: Int = 3000
    /// `rule-reload`: whether SIGUSR2 and the control socket may reload the rules (Suricata's default: yes).
    public var ruleReload: Bool = true
    /// Defaults.
    public init() {}
}

/// `unix-command`: the control socket (suricatasc's protocol).
public struct UnixCommandSettings: Sendable, Equatable {
    /// `enabled`: `yes`, `no`, or `auto` (Suricata: on only in its unix-socket runmode; Weir: as `no`).
    public var enabled: UnixCommandMode = .no
    /// `filename`: the socket path; relative names are under the run directory (`/var/run/weir`).
    public var filename: String? = nil
    /// Defaults: off.
    public init() {}
}

/// `unix-command.enabled`.
public enum UnixCommandMode: String, ConfigEnum {
    case yes
    case no
    case auto
    public static var aliases: [String: UnixCommandMode] { ["true": .yes, "on": .yes, "false": .no, "off": .no] }
}

/// `metrics` (Weir's own section): the Prometheus endpoint.
public struct MetricsSettings: Sendable, Equatable {
    /// `enabled`: serve `/metrics` (default: no).
    public var enabled = false
    /// `listen`: `HOST:PORT` to listen on (default `127.0.0.1:9637`).
    public var listen = "127.0.0.1:9637"
    /// Defaults: off.
    public init() {}
}

/// `bypass` (Weir's own section): kernel map sizing for flow bypass and the block list.
public struct BypassSettings: Sendable, Equatable {
    /// `flow-table-size`: entries per address family in the kernel flow maps.
    public var flowTableSize: Int = 65536
    /// `block-list-size`: LPM-trie entries per address family.
    public var blockListSize: Int = 16384
    /// `pin-path`: where maps are pinned in bpffs.
    public var pinPath: String = "/sys/fs/bpf/weir"
    /// Defaults.
    public init() {}
}

/// A kernel version `major.minor[.patch]`, for `kernel-version-override`.
public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Major version.
    public var major: Int
    /// Minor version.
    public var minor: Int
    /// Patch level.
    public var patch: Int

    /// A version from its parts.
    public init(major: Int, minor: Int, patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `4.9`, `5.10.0`, `6.1.0-13-amd64` (anything after the numbers is ignored); `nil` if unusable.
    public init?(parsing text: String) {
        let numeric = text.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
        let parts = numeric.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 3, let major = Int(parts[0]), let minor = Int(parts[1]) else {
            return nil
        }
        let patch = parts.count == 3 ? Int(parts[2]) : 0
        guard let patch else { return nil }
        self.init(major: major, minor: minor, patch: patch)
    }

    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    /// `major.minor.patch`.
    public var description: String { "\(self.major).\(self.minor).\(self.patch)" }
}

extension WeirConfiguration {
    /// `rule-files` with relative names resolved against `default-rule-path` (absolute names kept), as Suricata
    /// loads them when no `-S` is given.
    public var resolvedRuleFiles: [String] {
        self.ruleFiles.map { name in
            guard !name.hasPrefix("/"), let folder = self.defaultRulePath, !folder.isEmpty else { return name }
            return folder.hasSuffix("/") ? folder + name : folder + "/" + name
        }
    }

    /// Where an output file goes: `filename` itself when absolute, else inside `logDirectory` (the `-l`
    /// folder, or `default-log-dir`).
    public static func outputPath(_ filename: String, logDirectory: String) -> String {
        if filename.hasPrefix("/") || logDirectory.isEmpty { return filename }
        return logDirectory.hasSuffix("/") ? logDirectory + filename : logDirectory + "/" + filename
    }
}
