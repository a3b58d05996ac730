// SPDX-License-Identifier: MIT

/// Checksum validation (`checksum-checks`, `-k`): Weir's top-level shorthand and `pcap-file.checksum-checks`.
public enum ChecksumMode: String, ConfigEnum {
    /// Never validate (`-k none`).
    case none
    /// Always validate (`-k all`).
    case all
    /// Validate, and stop after 1,000 packets when more than 1 in 10 were bad (Suricata's pcap default).
    case auto

    public static var aliases: [String: ChecksumMode] { ["no": .none, "yes": .all, "false": .none, "true": .all] }
}

/// AF_PACKET `checksum-checks`: Suricata's four choices for live capture.
public enum AFPacketChecksumMode: String, ConfigEnum {
    /// Trust the kernel's checksum-offload flag (Suricata's default).
    case kernel
    /// Always validate.
    case yes
    /// Never validate.
    case no
    /// Validate, and stop when the sampled failure rate shows offloading.
    case auto

    public static var aliases: [String: AFPacketChecksumMode] { ["true": .yes, "false": .no, "on": .yes, "off": .no] }
}

/// AF_PACKET `copy-mode`: whether a peer interface receives the traffic (`ips`, `tap`) or not.
public enum CopyMode: String, ConfigEnum {
    /// Passive capture.
    case none
    /// Inline: packets are forwarded to `copy-iface` after a verdict; drops are enforced.
    case ips
    /// Inline copy without enforcement: everything is forwarded.
    case tap
}

/// AF_PACKET `cluster-type`, the PACKET_FANOUT mode.
public enum ClusterType: String, ConfigEnum {
    /// Hash of the flow (PACKET_FANOUT_HASH), Suricata's default.
    case clusterFlow = "cluster_flow"
    /// The CPU that received the packet.
    case clusterCPU = "cluster_cpu"
    /// The NIC's receive queue.
    case clusterQM = "cluster_qm"
    /// Round robin.
    case clusterRoundRobin = "cluster_round_robin"
    /// Hash (same as cluster_flow, kept for old configurations).
    case clusterHash = "cluster_hash"
    /// Load balancing by an eBPF program.
    case clusterEBPF = "cluster_ebpf"
    /// Random.
    case clusterRandom = "cluster_random"
    /// Rollover.
    case clusterRollover = "cluster_rollover"
}

/// AF_PACKET `xdp-mode`: how the XDP program is attached.
public enum XDPMode: String, ConfigEnum {
    /// Weir's default: the best plane the kernel and interface allow, falling back (logged and counted)
    /// native XDP → generic XDP → socket filter → local bypass; inline, native → generic → user-space forwarding.
    case auto
    /// No XDP: the socket filter (IDS); inline, XDP in the mode the kernel chooses.
    case none
    /// Generic (SKB) mode.
    case soft
    /// Native driver mode.
    case driver
    /// Offloaded to the NIC.
    case hw
}

/// AF_PACKET `fail-mode` (Weir's, for `copy-mode` pairs): what the XDP programs on the pair do with traffic
/// once Weir stops heartbeating (killed, hung or stopped).
public enum AFPacketFailMode: String, ConfigEnum {
    /// Forward every frame to the other interface in the kernel: traffic keeps flowing uninspected.
    case open
    /// Drop every frame: nothing crosses uninspected.
    case closed
}

/// `stream.inline`.
public enum StreamInlineMode: String, ConfigEnum {
    /// Inline when the capture runs in IPS mode (Suricata's default).
    case auto
    /// Always inline.
    case yes
    /// Never inline.
    case no

    public static var aliases: [String: StreamInlineMode] {
        ["true": .yes, "false": .no, "on": .yes, "off": .no, "1": .yes, "0": .no]
    }
}

/// The four rule actions ordered by `action-order`.
public enum RuleAction: String, ConfigEnum {
    /// `pass`.
    case pass
    /// `drop`.
    case drop
    /// `reject`.
    case reject
    /// `alert`.
    case alert
}

/// `app-layer.protocols.<name>.enabled`: Suricata accepts a boolean or `detection-only`.
public enum AppLayerEnabled: String, ConfigEnum {
    /// Detect and parse.
    case yes
    /// Neither detect nor parse.
    case no
    /// Detect the protocol, do not parse it.
    case detectionOnly = "detection-only"

    public static var aliases: [String: AppLayerEnabled] {
        ["true": .yes, "on": .yes, "1": .yes, "false": .no, "off": .no, "0": .no]
    }
}

/// `app-layer.protocols.tls|ssh.encryption-handling`: what happens once a session is encrypted.
public enum EncryptionHandling: String, ConfigEnum {
    /// Keep tracking the flow, stop content inspection (Suricata's default).
    case `default`
    /// Bypass the flow (in the kernel when possible).
    case bypass
    /// Keep inspecting everything.
    case full
}

/// `detect.profile`.
public enum DetectProfile: String, ConfigEnum {
    /// Few signature groups, less memory.
    case low
    /// Suricata's default.
    case medium
    /// More groups, more memory, faster.
    case high
    /// `detect.custom-values`.
    case custom
}

/// `detect.sgh-mpm-context`.
public enum MPMContext: String, ConfigEnum {
    /// Engine's choice (Suricata's default).
    case auto
    /// One multi-pattern context for all groups.
    case single
    /// One context per group.
    case full
}

/// `runmode`.
public enum RunMode: String, ConfigEnum {
    /// Capture threads hand packets to detection threads by flow hash.
    case autofp
    /// Each worker captures and inspects its own share (Weir's live default).
    case workers
    /// One thread.
    case single
}

/// `host-mode`: whether the sensor also routes traffic.
public enum HostMode: String, ConfigEnum {
    /// Router when IPS, sniffer-only otherwise.
    case auto
    /// The host forwards traffic.
    case router
    /// The host only observes.
    case snifferOnly = "sniffer-only"
}

/// EVE `filetype`. Weir writes regular files; the others are parsed so the message can name them, and an
/// enabled `eve-log` asking for one stops start-up with an error naming the key.
public enum EVEFileType: String, ConfigEnum {
    /// A regular file.
    case regular
    /// syslog.
    case syslog
    /// A Unix datagram socket.
    case unixDgram = "unix_dgram"
    /// A Unix stream socket.
    case unixStream = "unix_stream"
    /// Redis.
    case redis
    /// `file`: Suricata's other spelling of `regular`.
    case file

    public static var aliases: [String: EVEFileType] { ["unix-dgram": .unixDgram, "unix-stream": .unixStream] }
}

/// `drop.flows` in eve-log: log every dropped packet or only the first per flow direction.
public enum DropFlowsMode: String, ConfigEnum {
    /// Only the first drop of each flow direction (Suricata's default).
    case start
    /// Every dropped packet.
    case all
}
