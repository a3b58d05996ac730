// SPDX-License-Identifier: MIT
import Glibc

/// `threading`: where Weir's threads run (Suricata's CPU affinity) and how many offline workers autofp starts.
///
/// With `set-cpu-affinity: yes` each thread family is pinned to its CPU set: `worker-cpu-set` for the capture
/// and detection workers (live, and autofp replay), `receive-cpu-set` for autofp's reader, `management-cpu-set`
/// for the control thread. In `exclusive` mode each thread of a family takes the next CPU of its set in turn
/// and the nice value of that CPU's priority class; in `balanced` mode every thread may run on the whole set
/// at the set's default priority. Both of Suricata's layouts are read: the mapping of sets (Suricata 8) and the
/// older list of one-key entries (`- worker-cpu-set: …`).
public struct ThreadingSettings: Sendable, Equatable {
    /// `threading.set-cpu-affinity`: whether the CPU sets are applied at all (default no).
    public var setCPUAffinity = false
    /// The CPU sets, by family; a family without one is left where the scheduler puts it.
    public var sets: [ThreadFamily: CPUSetSettings] = [:]

    public init() {}

    /// The set a thread of `family` uses, the interface's own set first (`interface-specific-cpu-set`).
    public func set(for family: ThreadFamily, interface: String? = nil) -> CPUSetSettings? {
        guard let set = self.sets[family] else { return nil }
        if let interface, let own = set.interfaces[interface] { return own }
        return set
    }
}

/// A family of threads with a CPU set of its own.
public enum ThreadFamily: String, Sendable, CaseIterable, Hashable {
    /// Capture + detection workers (Suricata's `worker-cpu-set`; its legacy `detect-cpu-set` means the same).
    case worker = "worker-cpu-set"
    /// autofp's reader (Suricata's capture threads).
    case receive = "receive-cpu-set"
    /// The control thread: control socket, metrics, rule reloads.
    case management = "management-cpu-set"
    /// Suricata's IPS verdict threads; Weir gives verdicts on the worker, so this set places no thread.
    case verdict = "verdict-cpu-set"
}

/// How a family's threads share its CPUs.
public enum AffinityMode: String, ConfigEnum {
    /// Thread i runs on CPU i of the set (round robin), at that CPU's priority class.
    case exclusive
    /// Every thread may run on any CPU of the set, at the set's default priority.
    case balanced
}

/// A thread priority class; Suricata's nice values.
public enum ThreadPriorityClass: String, ConfigEnum {
    case low, medium, high

    /// The nice value a thread of this class runs at (Suricata: low 2, medium 0, high -2).
    public var nice: Int32 {
        switch self {
        case .low: return 2
        case .medium: return 0
        case .high: return -2
        }
    }
}

/// A list of CPUs as written: numbers, ranges (`"1-3"`) and `"all"`.
public enum CPUList: Sendable, Equatable {
    /// Every CPU the machine has.
    case all
    /// These CPUs, ascending, without repeats.
    case cpus([Int])

    /// The CPUs, `all` resolved against `available` (the machine's CPU count).
    public func resolved(available: Int) -> [Int] {
        switch self {
        case .all: return Array(0..<max(1, available))
        case .cpus(let list): return list
        }
    }

    public func contains(_ cpu: Int) -> Bool {
        switch self {
        case .all: return true
        case .cpus(let list): return list.contains(cpu)
        }
    }
}

/// One family's CPU set (`worker-cpu-set: {cpu, mode, prio, threads, interface-specific-cpu-set}`).
public struct CPUSetSettings: Sendable, Equatable {
    public var cpus: CPUList = .all
    public var mode: AffinityMode
    /// `prio.low` / `prio.medium` / `prio.high`: the CPUs whose threads get that class in exclusive mode.
    public var priorityCPUs: [ThreadPriorityClass: CPUList] = [:]
    /// `prio.default`: the class of a thread whose CPU is in no list, and of every balanced thread.
    public var defaultPriority: ThreadPriorityClass = .medium
    /// `threads`: how many workers autofp replay starts (instead of `detect-thread-ratio` × CPUs).
    public var threads: Int? = nil
    /// `interface-specific-cpu-set`: an interface's own set for its workers, by interface name.
    public var interfaces: [String: CPUSetSettings] = [:]

    public init(mode: AffinityMode) { self.mode = mode }

    /// Where thread `index` of the family runs: its CPUs and priority class (`available`: the machine's CPUs).
    public func placement(of index: Int, available: Int) -> (cpus: [Int], priority: ThreadPriorityClass) {
        let cpus = self.cpus.resolved(available: available)
        guard self.mode == .exclusive, !cpus.isEmpty else { return (cpus, self.defaultPriority) }
        let cpu = cpus[index % cpus.count]
        for priority in [ThreadPriorityClass.low, .medium, .high] where self.priorityCPUs[priority]?.contains(cpu) == true {
            return ([cpu], priority)
        }
        return ([cpu], self.defaultPriority)
    }

    /// The mode Suricata gives a family whose set does not say: exclusive for workers and the reader, balanced
    /// for the rest.
    static func defaultMode(_ family: ThreadFamily) -> AffinityMode {
        family == .worker || family == .receive ? .exclusive : .balanced
    }
}

extension WeirConfiguration {
    /// The CPUs this machine is configured with: a CPU number at or above it is an error.
    static var configuredCPUs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))) }

    static func decodeThreading(_ threading: MappingReader, into config: inout WeirConfiguration) throws(ConfigError) {
        config.threading.setCPUAffinity = try threading.bool("set-cpu-affinity", false)
        if let (text, node) = try threading.scalarText("detect-thread-ratio") {
            guard let ratio = Double(text), ratio > 0, ratio <= 64 else {
                throw threading.fail(node, "detect-thread-ratio", "'\(text)' is not a ratio above 0 and at most 64")
            }
            config.detectThreadRatio = ratio
        }
        if let node = threading.value("cpu-affinity") {
            let path = threading.path + ["cpu-affinity"]
            switch node.value {
            case .mapping:
                let sets = try MappingReader(node, path: path, context: threading.context)
                for entry in node.entries ?? [] {
                    try Self.decodeCPUSet(named: entry.key, in: sets, into: &config.threading)
                }
                try sets.finish()
            case .sequence(let items):
                // The older layout: a list of one-key mappings.
                for (index, item) in items.enumerated() {
                    let sets = try MappingReader(item, path: path + [String(index)], context: threading.context)
                    for entry in item.entries ?? [] {
                        try Self.decodeCPUSet(named: entry.key, in: sets, into: &config.threading)
                    }
                    try sets.finish()
                }
            default:
                throw threading.fail(node, "cpu-affinity", "expected a mapping of CPU sets, found \(node.kindName)")
            }
        }
        try threading.finish()
    }

    /// Reads the set `name` of `sets` when Weir places threads of that family; other Suricata sets
    /// (decode, stream, reject, output) are left for `finish()` to report as ignored keys.
    private static func decodeCPUSet(
        named name: String, in sets: MappingReader, into threading: inout ThreadingSettings
    ) throws(ConfigError) {
        let family: ThreadFamily
        if name == "detect-cpu-set" {
            family = .worker
        } else if let known = ThreadFamily(rawValue: name) {
            family = known
        } else {
            return
        }
        guard let reader = try sets.mapping(name) else { return }
        threading.sets[family] = try Self.decodeCPUSet(
            reader, mode: CPUSetSettings.defaultMode(family), perInterface: true,
            checksMachine: threading.setCPUAffinity)
    }

    /// `checksMachine`: CPUs the machine lacks are an error only when the sets are applied (`set-cpu-affinity:
    /// yes`); Suricata's stock configuration lists CPUs a small machine does not have, and without affinity it
    /// starts there.
    private static func decodeCPUSet(
        _ reader: MappingReader, mode: AffinityMode, perInterface: Bool, checksMachine: Bool
    ) throws(ConfigError) -> CPUSetSettings {
        var set = CPUSetSettings(mode: mode)
        if let cpus = try Self.cpuList("cpu", in: reader, checksMachine: checksMachine) { set.cpus = cpus }
        set.mode = try reader.enumeration("mode", mode)
        if let prio = try reader.mapping("prio") {
            for priority in ThreadPriorityClass.allCases {
                if let cpus = try Self.cpuList(priority.rawValue, in: prio, checksMachine: checksMachine) {
                    set.priorityCPUs[priority] = cpus
                }
            }
            set.defaultPriority = try prio.enumeration("default", set.defaultPriority)
            try prio.finish()
        }
        if reader.contains("threads") { set.threads = try reader.int("threads", 1, in: 1...1024) }
        if perInterface, let list = try reader.list("interface-specific-cpu-set") {
            for (node, path) in list {
                let entry = try MappingReader(node, path: path, context: reader.context)
                guard let (name, nameNode) = try entry.scalarText("interface"), !name.isEmpty else {
                    throw ConfigError(
                        .badValue, at: node.location, key: (path + ["interface"]).joined(separator: "."),
                        "an interface-specific CPU set needs its interface")
                }
                guard set.interfaces[name] == nil else {
                    throw entry.fail(nameNode, "interface", "'\(name)' has a CPU set already")
                }
                set.interfaces[name] = try Self.decodeCPUSet(
                    entry, mode: set.mode, perInterface: false, checksMachine: checksMachine)
            }
        }
        try reader.finish()
        return set
    }

    /// A CPU list under `key`: numbers, `"a-b"` ranges and `"all"`; with `checksMachine`, a CPU the machine does
    /// not have is an error.
    private static func cpuList(
        _ key: String, in reader: MappingReader, checksMachine: Bool
    ) throws(ConfigError) -> CPUList? {
        guard let node = reader.value(key) else { return nil }
        let items = try reader.scalars(of: node, key)
        let limit = Self.configuredCPUs
        var cpus = Set<Int>()
        for item in items {
            let text = item.trimmingSpaces
            if text == "all" { return .all }
            let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int(String($0).trimmingSpaces) }
            guard (bounds.count == 1 || bounds.count == 2), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
                low >= 0, low <= high
            else {
                throw reader.fail(node, key, "'\(text)' is not a CPU number, a range like \"1-3\", or \"all\"")
            }
            guard high < limit || !checksMachine else {
                throw reader.fail(node, key, "CPU \(high) does not exist: this machine has \(limit) (0 to \(limit - 1))")
            }
            cpus.formUnion(low...high)
        }
        return .cpus(cpus.sorted())
    }
}
