// SPDX-License-Identifier: MIT
import CLibBPF
import CWeirLinux
import Glibc
import WeirBPFObjects

/// The monotonic clock the kernel programs use (`bpf_ktime_get_ns` is CLOCK_MONOTONIC), in nanoseconds.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// One loaded kernel program (XDP or socket filter) with its maps, configured from ``BypassSettings`` and
/// gated by ``KernelFeatures``, optionally pinned per interface with its ABI checked.
public final class BypassDataPlane {
    /// Which program.
    public enum Kind: Sendable {
        /// `weir_xdp`, attached to an interface.
        case xdp
        /// `weir_sock`, attached to AF_PACKET capture sockets.
        case socketFilter
    }

    /// The object holding the program and maps; closed when the data plane goes away.
    public let object: BPFObject
    /// The loaded program.
    public let program: BPFProgram
    /// Which program this is.
    public let kind: Kind
    /// Where the maps are pinned, when pinning is on.
    public let pinDirectory: String?
    /// True when the maps were found pinned (and checked) rather than created.
    public let reusedPins: Bool
    /// True when this load created the pin directory (a failed start removes it again).
    public var createdPinDirectory: Bool { self.pinDirectory != nil && !self.reusedPins }
    /// The flow tables: arrays of slots (see ``BypassTable``).
    public let flowsV4: BPFMap<UInt32, weir_flow_slot_v4>
    public let flowsV6: BPFMap<UInt32, weir_flow_slot_v6>
    /// log2 of each flow table's slot count.
    public let slotBits: UInt32
    /// The flow tables' hash secret (a knob of the programs, recorded in weir_info).
    public let hashKey: weir_hash_key
    let batchLookups: Bool
    /// Flow-table bookkeeping shared by every writer (inserts, evictions, failures, removals).
    public let tableStatistics: BPFMap<UInt32, weir_table_stats>
    /// The block lists; nil on kernels without LPM tries.
    public let blockV4: BPFMap<weir_lpm_key_v4, weir_block_value>?
    public let blockV6: BPFMap<weir_lpm_key_v6, weir_block_value>?
    /// The per-CPU statistics array, indexed by ``BypassStatistic``.
    public let stats: BPFMap<UInt32, UInt64>
    /// The control entry (heartbeat, block-list sizes).
    public let control: BPFMap<UInt32, weir_control>
    /// The IPS peer devmap (XDP only).
    public let txPeer: BPFMap<UInt32, UInt32>?

    /// Opens the embedded object, applies settings and knobs, checks or creates the pins, and loads.
    ///
    /// - Parameter interface: names the pin directory (`<pinRoot>/<interface>/`); nil or a nil
    ///   `settings.pinRoot` means no pinning.
    /// - Throws: ``BPFError`` with `.incompatiblePin` when existing pins were made by another ABI or with
    ///   other sizes; they are never reused silently.
    public init(
        kind: Kind,
        settings: BypassSettings,
        features: KernelFeatures,
        interface: String? = nil
    ) throws(BPFError) {
        if kind == .xdp && !features.usesXDP {
            throw BPFError(.unsupported, call: "load weir_xdp", message: "XDP is not available on this kernel")
        }
        if kind == .socketFilter && !features.uses(.socketFilter) {
            throw BPFError(.unsupported, call: "load weir_sock", message: "eBPF socket filters are not available")
        }
        // Suricata's weakness #8: in IPS mode a hidden packet is a dropped packet.
        if settings.isIPS && kind == .socketFilter {
            throw BPFError(
                .invalidArgument,
                call: "load weir_sock",
                message: "socket-filter bypass hides packets from the forwarding socket: not allowed in IPS mode"
            )
        }
        if settings.isIPS && (settings.peerInterfaceIndex == nil || !features.uses(.xdpRedirect)) {
            throw BPFError(
                .invalidArgument,
                call: "load weir_xdp",
                message: "IPS bypass needs a peer interface and XDP_REDIRECT; forward in user space instead"
            )
        }
        let (bytes, name) = kind == .xdp ? (BPFObjectBytes.weirXDP, "weir_xdp") : (BPFObjectBytes.weirSock, "weir_sock")
        let object = try BPFObject(bytes: bytes, name: name)
        for map in [WEIR_MAP_FLOWS_V4, WEIR_MAP_FLOWS_V6] {
            try object.setMaxEntries(map, settings.slotCount)
        }
        for map in [WEIR_MAP_BLOCK_V4, WEIR_MAP_BLOCK_V6] {
            try object.setMaxEntries(map, settings.blockListSize)
        }
        // Maps of features this kernel lacks are not created; their knobs keep the code that uses them dead.
        if !features.uses(.lpmTrie) {
            try object.setAutocreate(WEIR_MAP_BLOCK_V4, false)
            try object.setAutocreate(WEIR_MAP_BLOCK_V6, false)
        }
        if kind == .xdp && !(features.uses(.xdpRedirect) && settings.peerInterfaceIndex != nil) {
            try object.setAutocreate(WEIR_MAP_TX_PEER, false)
        }

        var pinDirectory: String? = nil
        var reused = false
        var created: String? = nil
        // New tables get a new hash secret; reused pins keep theirs, or their flows would sit in the wrong slots.
        var hashKey = weir_hash_key.random()
        if let interface, let directory = settings.pinDirectory(interface: interface) {
            try Self.validateInterfaceName(interface)
            if let root = settings.pinRoot { try BPFFileSystem.prepare(root: root) }
            if let found = try Self.checkPins(directory: directory, settings: settings) {
                reused = true
                hashKey = found.hash_key
            } else {
                if Self.listDirectory(directory) == nil { created = directory }
                try Self.makeDirectory(directory)
            }
            // The devmap is configuration, set on every load (and libbpf 1.1 cannot reuse a pinned one).
            let skipped =
                features.uses(.lpmTrie) ? [WEIR_MAP_TX_PEER] : [WEIR_MAP_TX_PEER, WEIR_MAP_BLOCK_V4, WEIR_MAP_BLOCK_V6]
            for map in object.mapNames where !skipped.contains(map) {
                try object.setPinPath(map, "\(directory)/\(map)")
            }
            pinDirectory = directory
        }
        var knobs = settings.knobs(features: features)
        knobs.hash_key = hashKey
        try object.setReadOnlyData(knobs)
        do {
            try object.load()
        } catch {
            // A failed load leaves nothing behind: the pins libbpf made and the directory this load created.
            if let created { try? Self.unpin(directory: created) }
            throw error
        }

        self.object = object
        self.kind = kind
        self.program = try object.program(kind == .xdp ? WEIR_PROG_XDP : WEIR_PROG_SOCK)
        self.pinDirectory = pinDirectory
        self.reusedPins = reused
        self.flowsV4 = try object.map(WEIR_MAP_FLOWS_V4)
        self.flowsV6 = try object.map(WEIR_MAP_FLOWS_V6)
        self.blockV4 = features.uses(.lpmTrie) ? try object.map(WEIR_MAP_BLOCK_V4) : nil
        self.blockV6 = features.uses(.lpmTrie) ? try object.map(WEIR_MAP_BLOCK_V6) : nil
        self.stats = try object.map(WEIR_MAP_STATS)
        self.control = try object.map(WEIR_MAP_CONTROL)
        self.txPeer =
            kind == .xdp && features.uses(.xdpRedirect) && settings.peerInterfaceIndex != nil
            ? try object.map(WEIR_MAP_TX_PEER) : nil
        self.slotBits = settings.slotBits
        self.hashKey = hashKey
        self.batchLookups = features.uses(.batchOps)
        self.tableStatistics = try object.map(WEIR_MAP_TABLE_STATS)

        let info: BPFMap<UInt32, weir_info> = try object.map(WEIR_MAP_INFO)
        var recorded = Self.expectedInfo(settings)
        recorded.hash_key = hashKey
        try info.update(0, recorded)
        // The heartbeat (and, with the manager's clock, the kernel's "now") restarts with every load: reused
        // pins would otherwise show the dead manager's last tick as the time, and idle times would be wrong.
        var control = self.control.lookup(0) ?? weir_control()
        control.heartbeat_ns = monotonicNanoseconds()
        try self.control.update(0, control)
        if let peer = settings.peerInterfaceIndex, let txPeer = self.txPeer {
            try txPeer.update(0, peer)
        }
    }

    /// Records "the manager is alive now" for the kernel's fail-open / fail-closed check.
    public func heartbeat(now: UInt64 = monotonicNanoseconds()) throws(BPFError) {
        var control = self.control.lookup(0) ?? weir_control()
        control.heartbeat_ns = now
        try self.control.update(0, control)
    }

    /// The kernel counters summed over CPUs.
    public func statistics() throws(BPFError) -> [BypassStatistic: UInt64] {
        try Self.readStatistics(self.stats)
    }

    /// Zeroes every kernel counter.
    public func resetStatistics() throws(BPFError) {
        for stat in BypassStatistic.allCases { try self.stats.perCPUReset(stat.rawValue) }
    }

    /// The flow table of this data plane.
    public func table() -> BypassTable {
        BypassTable(
            flowsV4: self.flowsV4,
            flowsV6: self.flowsV6,
            slotBits: self.slotBits,
            hashKey: self.hashKey,
            lockDirectory: self.pinDirectory,
            batchLookups: self.batchLookups,
            shared: self.tableStatistics
        )
    }

    /// Reads every counter of a stats map.
    public static func readStatistics(_ map: BPFMap<UInt32, UInt64>) throws(BPFError) -> [BypassStatistic: UInt64] {
        var out: [BypassStatistic: UInt64] = [:]
        for stat in BypassStatistic.allCases { out[stat] = try map.perCPUSum(stat.rawValue) }
        return out
    }

    static func expectedInfo(_ settings: BypassSettings) -> weir_info {
        var info = weir_info()
        info.abi_version = UInt32(WEIR_ABI_VERSION)
        info.key_v4_size = UInt32(MemoryLayout<weir_flow_key_v4>.size)
        info.key_v6_size = UInt32(MemoryLayout<weir_flow_key_v6>.size)
        info.value_size = UInt32(MemoryLayout<weir_flow_value>.size)
        info.flows_v4_max = settings.slotCount
        info.flows_v6_max = settings.slotCount
        info.block_max = settings.blockListSize
        info.slot_bits = settings.slotBits
        return info
    }

    static func validateInterfaceName(_ name: String) throws(BPFError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count < Int(IFNAMSIZ), !bytes.contains(UInt8(ascii: "/")), name != ".",
            name != ".."
        else {
            throw BPFError(.invalidArgument, call: "pin directory", message: "invalid interface name \"\(name)\"")
        }
    }

    /// Checks an existing pin directory; returns its weir_info when it may be reused, nil when there is
    /// nothing to reuse.
    static func checkPins(directory: String, settings: BypassSettings) throws(BPFError) -> weir_info? {
        let entries = Self.listDirectory(directory)
        guard let entries else { return nil }
        let remedy = "remove it with `weir bypass unpin --iface …` (or rm -r \(directory)) to start afresh"
        guard entries.contains(WEIR_MAP_INFO) else {
            if entries.isEmpty { return nil }
            throw BPFError(
                .incompatiblePin,
                call: "check pins in \(directory)",
                message: "maps pinned without \(WEIR_MAP_INFO): not made by this version of Weir; \(remedy)"
            )
        }
        let infoMap: BPFMap<UInt32, weir_info>
        do {
            infoMap = try BPFMap.pinned(at: "\(directory)/\(WEIR_MAP_INFO)", name: WEIR_MAP_INFO)
        } catch {
            throw BPFError(
                .incompatiblePin,
                call: "check pins in \(directory)",
                errno: error.errno,
                message: "\(WEIR_MAP_INFO) unreadable or of another layout (\(error.message)); \(remedy)"
            )
        }
        guard let found = infoMap.lookup(0) else {
            throw BPFError(.incompatiblePin, call: "check pins in \(directory)", message: "empty \(WEIR_MAP_INFO)")
        }
        let expected = Self.expectedInfo(settings)
        if found.abi_version != expected.abi_version {
            throw BPFError(
                .incompatiblePin,
                call: "check pins in \(directory)",
                message:
                    "pinned maps have ABI version \(found.abi_version), this Weir has \(expected.abi_version); \(remedy)"
            )
        }
        if found.key_v4_size != expected.key_v4_size || found.key_v6_size != expected.key_v6_size
            || found.value_size != expected.value_size
        {
            throw BPFError(
                .incompatiblePin,
                call: "check pins in \(directory)",
                message: "pinned key/value sizes differ from this build's; \(remedy)"
            )
        }
        if found.flows_v4_max != expected.flows_v4_max || found.flows_v6_max != expected.flows_v6_max
            || found.block_max != expected.block_max || found.slot_bits != expected.slot_bits
        {
            throw BPFError(
                .incompatiblePin,
                call: "check pins in \(directory)",
                message:
                    "pinned maps hold \(found.flows_v4_max) flow slots / \(found.block_max) prefixes, the configuration asks for \(expected.flows_v4_max) / \(expected.block_max); \(remedy)"
            )
        }
        return found
    }

    /// Removes a pin directory and every pin in it. Programs and maps stay alive while something uses them.
    public static func unpin(directory: String) throws(BPFError) {
        guard let entries = Self.listDirectory(directory) else { return }
        for entry in entries where unlink("\(directory)/\(entry)") != 0 {
            throw .system("unlink(\(directory)/\(entry))", errno)
        }
        if rmdir(directory) != 0 { throw .system("rmdir(\(directory))", errno) }
    }

    static func listDirectory(_ path: String) -> [String]? {
        guard let handle = opendir(path) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { buffer in
                String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func makeDirectory(_ path: String) throws(BPFError) {
        try BPFFileSystem.makeDirectories(path)
    }
}
