// SPDX-License-Identifier: MIT
import CWeirLinux

/// Everything the kernel data plane is configured with; filled from the YAML `af-packet` section by the
/// CLI (WeirBypass never reads YAML itself).
public struct BypassSettings: Sendable, Equatable {
    /// What a stale manager heartbeat does to traffic.
    public enum FailMode: UInt32, Sendable {
        /// Forward everything to the peer (IPS) or pass everything up (IDS). The corresponding C constant
        /// is `WEIR_FAIL_OPEN`.
        case open = 0
        /// Drop everything. The corresponding C constant is `WEIR_FAIL_CLOSED`.
        case closed = 1
    }

    /// Capacity of each flow table (IPv4 and IPv6 separately); one entry per bidirectional flow. The table
    /// gets ``slotBits`` worth of slots, so it is at most half full at this many flows.
    public var flowTableSize: UInt32 = UInt32(WEIR_DEFAULT_FLOWS)
    /// Capacity of each block list (IPv4 and IPv6 prefixes separately).
    public var blockListSize: UInt32 = UInt32(WEIR_DEFAULT_BLOCKS)
    /// Root of the pin directories; maps of interface `X` live in `<pinRoot>/X/`. Nil: do not pin.
    public var pinRoot: String? = "/sys/fs/bpf/weir"
    /// Heartbeat limit in nanoseconds; 0 switches the check off.
    public var heartbeatTimeoutNanoseconds: UInt64 = 0
    /// What happens once the heartbeat is stale.
    public var failMode: FailMode = .open
    /// Kernel-side expiry of entries idle this long (nanoseconds); 0 leaves expiry to user space.
    public var flowIdleTimeoutNanoseconds: UInt64 = 0
    /// Let TCP FIN/RST of bypassed flows reach user space so the flow's end is seen.
    public var passFlowEnd: Bool = true
    /// Peer interface index for the IPS fast path (XDP_REDIRECT); nil in IDS mode.
    public var peerInterfaceIndex: UInt32? = nil
    /// IPS (inline) operation: bypassed traffic must still be forwarded, never dropped.
    public var isIPS: Bool = false
    /// log2 of each flow table's slot count: the smallest power of two that holds ``flowTableSize`` flows
    /// at 50 % occupancy (where about 0.5 % of inserts find their 8-slot window full; at 80 % it is 5 %),
    /// within 2^`WEIR_FLOW_SLOT_BITS_MIN` ... 2^`WEIR_FLOW_SLOT_BITS_MAX`.
    public var slotBits: UInt32 {
        let wanted = max(UInt64(self.flowTableSize) * 2, 1)
        let bits = UInt32(64 - (wanted - 1).leadingZeroBitCount)
        return min(UInt32(WEIR_FLOW_SLOT_BITS_MAX), max(UInt32(WEIR_FLOW_SLOT_BITS_MIN), bits))
    }

    /// Slots per flow table (2^``slotBits``).
    public var slotCount: UInt32 { UInt32(1) << self.slotBits }

    /// The clock the kernel stamps last-seen times with. The manager's tick costs nothing per packet; a
    /// kernel clock is needed only when the kernel itself must judge time (idle expiry, heartbeat).
    public func clock(features: KernelFeatures) -> UInt32 {
        if self.heartbeatTimeoutNanoseconds == 0 && self.flowIdleTimeoutNanoseconds == 0 {
            return UInt32(WEIR_CLOCK_MANAGER)
        }
        return features.uses(.coarseClock) ? UInt32(WEIR_CLOCK_COARSE) : UInt32(WEIR_CLOCK_PRECISE)
    }

    /// The defaults: 65,536 flows per family (131,072 slots), 16,384 prefixes, pinned under /sys/fs/bpf/weir, no heartbeat.
    public init() {}

    /// The pin directory of `interface`, or nil when pinning is off.
    public func pinDirectory(interface: String) -> String? {
        self.pinRoot.map { "\($0)/\(interface)" }
    }

    /// The `weir_knobs` the programs are loaded with, given what the kernel supports.
    public func knobs(features: KernelFeatures) -> weir_knobs {
        var knobs = weir_knobs()
        knobs.heartbeat_timeout_ns = self.heartbeatTimeoutNanoseconds
        knobs.flow_idle_timeout_ns = self.flowIdleTimeoutNanoseconds
        knobs.fail_mode = self.failMode.rawValue
        knobs.pass_flow_end = self.passFlowEnd ? 1 : 0
        knobs.redirect_enabled = features.uses(.xdpRedirect) && self.peerInterfaceIndex != nil ? 1 : 0
        knobs.clock = self.clock(features: features)
        knobs.slot_bits = self.slotBits
        knobs.legacy_loads = features.uses(.skbLoadBytesRelative) ? 0 : 1
        knobs.blocklist_enabled = features.uses(.lpmTrie) ? 1 : 0
        return knobs
    }
}

/// What the kernel does with a flow in a flow table. The corresponding C type is `enum weir_action`.
public enum BypassAction: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Counted, then passed to user space.
    case none = 0
    /// IDS bypass: dropped by XDP, hidden by the socket filter.
    case bypass = 1
    /// IPS drop verdict.
    case block = 2
    /// IPS fast path: redirected to the peer interface.
    case fastForward = 3

    /// The operator's name for the action.
    public var description: String {
        switch self {
        case .none: return "none"
        case .bypass: return "bypass"
        case .block: return "block"
        case .fastForward: return "fast-forward"
        }
    }
}

/// The kernel's per-reason counters. The corresponding C type is `enum weir_stat`.
public enum BypassStatistic: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case notIP = 0
    case parseError = 1
    case vlanDepth = 2
    case fragment = 3
    case ipv6ExtensionChain = 4
    case otherTransport = 5
    case miss = 6
    case hitV4 = 7
    case hitV6 = 8
    case blockList = 9
    case failOpen = 10
    case failClosed = 11
    case bypass = 12
    case block = 13
    case redirect = 14
    case redirectError = 15
    case flowEnd = 16
    case inert = 17
    case expired = 18

    /// The counter's name in `weir bypass stats` and EVE stats.
    public var description: String {
        switch self {
        case .notIP: return "not_ip"
        case .parseError: return "parse_error"
        case .vlanDepth: return "vlan_depth"
        case .fragment: return "fragment"
        case .ipv6ExtensionChain: return "ipv6_ext_chain"
        case .otherTransport: return "other_l4"
        case .miss: return "miss"
        case .hitV4: return "hit_v4"
        case .hitV6: return "hit_v6"
        case .blockList: return "blocklist"
        case .failOpen: return "fail_open"
        case .failClosed: return "fail_closed"
        case .bypass: return "bypass"
        case .block: return "block"
        case .redirect: return "redirect"
        case .redirectError: return "redirect_error"
        case .flowEnd: return "flow_end"
        case .inert: return "inert"
        case .expired: return "expired"
        }
    }

    /// The counters every packet is counted under exactly once.
    public static let outcomes: [BypassStatistic] = [
        .notIP, .parseError, .vlanDepth, .fragment, .ipv6ExtensionChain, .otherTransport, .miss, .hitV4, .hitV6,
        .blockList, .failOpen, .failClosed,
    ]
}
