// SPDX-License-Identifier: MIT
import CLibBPF
import CWeirLinux
import Glibc
import WeirBPFObjects

/// A Linux kernel version, compared as (major, minor, patch).
public struct KernelVersion: Comparable, Sendable, CustomStringConvertible {
    /// The version's parts.
    public var major: Int
    public var minor: Int
    public var patch: Int

    /// A version from its parts.
    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `6.18.44-fc-v657`, `4.9` or `5.10.0`: leading numbers separated by dots; the rest is ignored.
    public init?(parsing text: String) {
        var numbers: [Int] = []
        for part in text.split(separator: ".", maxSplits: 2) {
            let digits = part.prefix { $0.isASCII && $0.isNumber }
            guard let value = Int(digits) else { break }
            numbers.append(value)
            if digits.count != part.count { break }
        }
        guard numbers.count >= 2 else { return nil }
        self.init(numbers[0], numbers[1], numbers.count > 2 ? numbers[2] : 0)
    }

    /// The running kernel's version from uname(2), or nil if it cannot be parsed.
    public static func running() -> KernelVersion? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        let release = withUnsafeBytes(of: &name.release) { buffer in
            String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
        return KernelVersion(parsing: release)
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    /// `major.minor` (and `.patch` when non-zero).
    public var description: String {
        self.patch == 0 ? "\(self.major).\(self.minor)" : "\(self.major).\(self.minor).\(self.patch)"
    }
}

/// What the running kernel can do for Weir, from libbpf probes and attach attempts, with the version as a
/// hint that `WEIR_KERNEL_VERSION` can lower to act as an older kernel.
///
/// A feature is used when its probe passed and, if a version override is set, the override is at least the
/// feature's minimum version. Without an override the probe alone decides.
public struct KernelFeatures: Sendable {
    /// One capability Weir gates on.
    public enum Feature: String, Sendable, CaseIterable {
        case socketFilter = "socket filter (SO_ATTACH_BPF)"
        case skbLoadBytesRelative = "skb_load_bytes_relative"
        case perCPUArray = "per-CPU array (stats)"
        case perCPUHash = "PERCPU_HASH"
        case lpmTrie = "LPM_TRIE block lists"
        case xdpGeneric = "XDP generic"
        case xdpNative = "XDP native"
        case xdpRedirect = "XDP_REDIRECT + devmap"
        case cpumap = "cpumap"
        case progTestRun = "BPF_PROG_TEST_RUN"
        case bpfLinkXDP = "bpf_link for XDP"
        case batchOps = "batch map ops"
        case coarseClock = "ktime_get_coarse_ns"

        /// The first kernel that has the feature (DESIGN.md "Kernel feature gating").
        public var minimumKernel: KernelVersion {
            switch self {
            case .socketFilter: return KernelVersion(3, 19)
            case .skbLoadBytesRelative: return KernelVersion(4, 18)
            case .perCPUArray, .perCPUHash: return KernelVersion(4, 6)
            case .lpmTrie: return KernelVersion(4, 11)
            case .xdpGeneric, .progTestRun: return KernelVersion(4, 12)
            case .xdpNative: return KernelVersion(4, 8)
            case .xdpRedirect: return KernelVersion(4, 14)
            case .cpumap: return KernelVersion(4, 15)
            case .bpfLinkXDP: return KernelVersion(5, 9)
            case .batchOps: return KernelVersion(5, 6)
            case .coarseClock: return KernelVersion(5, 11)
            }
        }

        /// What Weir does without the feature.
        public var fallback: String {
            switch self {
            case .socketFilter: return "no kernel bypass: local bypass in the worker"
            case .skbLoadBytesRelative: return "absolute loads (live sockets only)"
            case .perCPUArray: return "no kernel statistics"
            case .perCPUHash: return "not needed: one shared value per flow, counted atomically"
            case .lpmTrie: return "no block list"
            case .xdpGeneric: return "socket filter"
            case .xdpNative: return "XDP generic"
            case .xdpRedirect: return "user-space forwarding"
            case .cpumap: return "fanout hash only"
            case .progTestRun: return "kernel tests skipped"
            case .bpfLinkXDP: return "netlink attach (UPDATE_IF_NOEXIST), detached on exit"
            case .batchOps: return "one lookup per slot when reading a flow table"
            case .coarseClock: return "bpf_ktime_get_ns"
            }
        }
    }

    /// How one feature fared.
    public struct Result: Sendable {
        /// The feature.
        public var feature: Feature
        /// What was tried: "prog type", "map type", "helper", "attach", "test run", "batch op", "interface".
        public var method: String
        /// The probe's answer; nil when it could not be tried here (for example native XDP without an
        /// interface).
        public var probed: Bool?
        /// Whether Weir will use it.
        public var used: Bool
    }

    /// The running kernel's version (uname).
    public var runningVersion: KernelVersion?
    /// The version from `WEIR_KERNEL_VERSION`, when set.
    public var overrideVersion: KernelVersion?
    /// One result per feature, in declaration order.
    public var results: [Result]

    /// Whether Weir will use `feature`.
    public func uses(_ feature: Feature) -> Bool {
        self.results.first { $0.feature == feature }?.used ?? false
    }

    /// Whether XDP can be used at all (generic mode is the floor).
    public var usesXDP: Bool { self.uses(.xdpGeneric) }

    /// Builds the gating from probe answers (used by ``probe(interface:environment:)`` and by tests).
    public init(
        running: KernelVersion?,
        override: KernelVersion?,
        probes: [Feature: (method: String, passed: Bool?)]
    ) {
        self.runningVersion = running
        self.overrideVersion = override
        self.results = Feature.allCases.map { feature in
            let probe = probes[feature] ?? ("not probed", nil)
            let versionAllows = override.map { feature.minimumKernel <= $0 } ?? true
            var used = (probe.passed ?? false) && versionAllows
            // Native XDP is decided per driver at attach time: usable whenever XDP itself is.
            if feature == .xdpNative && probe.passed == nil {
                used = versionAllows && (probes[.xdpGeneric]?.passed ?? false)
            }
            return Result(feature: feature, method: probe.method, probed: probe.passed, used: used)
        }
        // Probed for the record, but Weir's flow values are shared (kernel-side expiry needs one last-seen).
        if let index = self.results.firstIndex(where: { $0.feature == .perCPUHash }) {
            self.results[index].used = false
        }
        // Dependencies: nothing XDP-related without generic XDP; redirect needs XDP.
        if !self.uses(.xdpGeneric) {
            for index in self.results.indices
            where [.xdpNative, .xdpRedirect, .cpumap, .bpfLinkXDP].contains(self.results[index].feature) {
                self.results[index].used = false
            }
        }
    }

    /// Probes the running kernel.
    ///
    /// - Parameters:
    ///   - interface: when given, native XDP is tried on it (attach and immediate detach, only if no XDP
    ///     program is attached there). Without it, attach attempts run on `lo` of a private network
    ///     namespace that only the probing thread enters.
    ///   - environment: where `WEIR_KERNEL_VERSION` is read.
    public static func probe(
        interface: String? = nil,
        environment: [String: String] = [:]
    ) -> KernelFeatures {
        let override = environment["WEIR_KERNEL_VERSION"].flatMap { KernelVersion(parsing: $0) }
        var probes: [Feature: (method: String, passed: Bool?)] = [:]
        func progType(_ type: bpf_prog_type) -> Bool { libbpf_probe_bpf_prog_type(type, nil) == 1 }
        func mapType(_ type: bpf_map_type) -> Bool { libbpf_probe_bpf_map_type(type, nil) == 1 }
        func helper(_ type: bpf_prog_type, _ id: bpf_func_id) -> Bool { libbpf_probe_bpf_helper(type, id, nil) == 1 }

        probes[.socketFilter] = ("prog type", progType(BPF_PROG_TYPE_SOCKET_FILTER))
        probes[.skbLoadBytesRelative] = (
            "helper", helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_skb_load_bytes_relative)
        )
        probes[.perCPUArray] = ("map type", mapType(BPF_MAP_TYPE_PERCPU_ARRAY))
        probes[.perCPUHash] = ("map type", mapType(BPF_MAP_TYPE_PERCPU_HASH))
        probes[.lpmTrie] = ("map type", mapType(BPF_MAP_TYPE_LPM_TRIE))
        probes[.xdpRedirect] = (
            "map type + helper",
            mapType(BPF_MAP_TYPE_DEVMAP) && helper(BPF_PROG_TYPE_XDP, BPF_FUNC_redirect_map)
        )
        probes[.cpumap] = ("map type", mapType(BPF_MAP_TYPE_CPUMAP))
        probes[.coarseClock] = ("helper", helper(BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns))

        let xdpProgram = progType(BPF_PROG_TYPE_XDP)
        var testRun = false
        var linkAttach: Bool? = nil
        var netlinkAttach: Bool? = nil
        var native: Bool? = nil
        var batch = false
        if let object = try? BPFObject(bytes: BPFObjectBytes.weirBaseline, name: "weir_baseline"),
            (try? object.load()) != nil,
            let pass = try? object.program(WEIR_PROG_XDP_PASS)
        {
            let frame = [UInt8](repeating: 0, count: 60)
            testRun = (try? pass.testRun(frame))?.returnValue == 2  // XDP_PASS
            if xdpProgram {
                let attempt = XDPAttachProbe.run(programFD: pass.fd)
                linkAttach = attempt.link
                netlinkAttach = attempt.netlink
                if let interface { native = XDPAttachProbe.tryNative(programFD: pass.fd, interface: interface) }
            }
        }
        batch = probeBatchOps()
        probes[.xdpGeneric] = ("prog type + attach", xdpProgram && (netlinkAttach ?? linkAttach ?? false))
        probes[.xdpNative] = (interface.map { "attach on \($0)" } ?? "per driver, at attach", native)
        probes[.progTestRun] = ("test run", testRun)
        probes[.bpfLinkXDP] = ("attach", linkAttach)
        probes[.batchOps] = ("batch op", batch)
        return KernelFeatures(running: KernelVersion.running(), override: override, probes: probes)
    }

    private static func probeBatchOps() -> Bool {
        let fd = weir_map_create(BPF_MAP_TYPE_HASH, "weir_probe", 4, 4, 4, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var keys = [UInt32](repeating: 0, count: 4)
        var values = [UInt32](repeating: 0, count: 4)
        var count: UInt32 = 4
        var outBatch: UInt32 = 0
        let rc = weir_map_lookup_batch(fd, nil, &outBatch, &keys, &values, &count)
        // An empty map answers ENOENT when the command exists, EINVAL when it does not.
        return rc == 0 || rc == -ENOENT
    }
}

/// Attach attempts for ``KernelFeatures``: on `lo` of a network namespace private to one short-lived thread,
/// so no interface anyone uses is touched.
enum XDPAttachProbe {
    private final class Context {
        let programFD: Int32
        var link: Bool? = nil
        var netlink: Bool? = nil
        init(programFD: Int32) { self.programFD = programFD }
    }

    static func run(programFD: Int32) -> (link: Bool?, netlink: Bool?) {
        let context = Context(programFD: programFD)
        let pointer = Unmanaged.passRetained(context).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(
            &thread,
            nil,
            { argument in
                guard let argument else { return nil }
                let context = Unmanaged<Context>.fromOpaque(argument).takeUnretainedValue()
                // unshare(CLONE_NEWNET) moves only this thread; the namespace dies with it.
                guard cweir_unshare_netns() == 0 else { return nil }
                let loopback = Int32(if_nametoindex("lo"))
                guard loopback > 0 else { return nil }
                let link = weir_xdp_link_create(context.programFD, loopback, UInt32(XDP_FLAGS_SKB_MODE))
                context.link = link >= 0
                if link >= 0 { close(link) }
                let flags = UInt32(XDP_FLAGS_SKB_MODE) | UInt32(XDP_FLAGS_UPDATE_IF_NOEXIST)
                let rc = bpf_xdp_attach(loopback, context.programFD, flags, nil)
                context.netlink = rc == 0
                if rc == 0 { _ = bpf_xdp_detach(loopback, UInt32(XDP_FLAGS_SKB_MODE), nil) }
                return nil
            },
            pointer
        )
        if created == 0 { pthread_join(thread, nil) }
        Unmanaged<Context>.fromOpaque(pointer).release()
        return (context.link, context.netlink)
    }

    /// Attaches in native mode to `interface` and detaches at once; nil when the interface is unknown or
    /// already has an XDP program (which is never disturbed).
    static func tryNative(programFD: Int32, interface: String) -> Bool? {
        let index = Int32(if_nametoindex(interface))
        guard index > 0 else { return nil }
        var query = weir_xdp_query_result()
        guard weir_xdp_query(index, &query) == 0, query.prog_id == 0 else { return nil }
        let link = weir_xdp_link_create(programFD, index, UInt32(XDP_FLAGS_DRV_MODE))
        if link >= 0 { close(link) }
        return link >= 0
    }
}
