// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import WeirConfig

/// Puts the calling thread where `threading.cpu-affinity` says (Suricata's `set-cpu-affinity: yes`): on its
/// family's CPUs, at its priority class's nice value. Each thread calls it for itself, first thing.
///
/// A placement the kernel refuses (a CPU taken offline, no CAP_SYS_NICE for a raised priority) is reported
/// once on the message output and the thread runs on unplaced, as Suricata's threads do.
struct ThreadPlacement: Sendable {
    let threading: ThreadingSettings
    let err: MessageOutput
    let quiet: Bool

    init(_ threading: ThreadingSettings, options: RunOptions) {
        self.threading = threading
        self.err = options.messageOutput
        self.quiet = options.quiet
    }

    /// Whether any thread is placed at all.
    var isActive: Bool { self.threading.setCPUAffinity }

    /// Places the calling thread, thread `index` of `family` (on `interface` for live workers), named `name`
    /// in the messages; returns where it went (nil when affinity is off or the family has no set).
    @discardableResult
    func place(
        _ family: ThreadFamily, index: Int, interface: String? = nil, name: String
    ) -> (cpus: [Int], priority: ThreadPriorityClass)? {
        guard self.isActive, let set = self.threading.set(for: family, interface: interface) else { return nil }
        let available = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let (cpus, priority) = set.placement(of: index, available: available)
        guard !cpus.isEmpty else { return nil }
        var failures: [String] = []
        let numbers = cpus.map { Int32($0) }
        if numbers.withUnsafeBufferPointer({ cweir_pin_thread($0.baseAddress, Int32($0.count)) }) != 0 {
            failures.append("CPUs \(Self.describe(cpus)): \(String(cString: strerror(errno)))")
        }
        if cweir_lower_thread_priority(priority.nice) != 0 {
            failures.append("nice \(priority.nice): \(String(cString: strerror(errno)))")
        }
        if !failures.isEmpty {
            self.err.write("weir: warning: \(name) (\(family.rawValue)) not placed: \(failures.joined(separator: "; "))\n")
        } else if !self.quiet {
            self.err.write(
                "weir: \(name) runs on CPU\(cpus.count == 1 ? "" : "s") \(Self.describe(cpus)), priority \(priority.rawValue) (nice \(priority.nice))\n"
            )
        }
        return (cpus, priority)
    }

    /// `0`, `0-3`, `0,2,5-7`.
    static func describe(_ cpus: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        while index < cpus.count {
            var end = index
            while end + 1 < cpus.count && cpus[end + 1] == cpus[end] + 1 { end += 1 }
            parts.append(end == index ? "\(cpus[index])" : "\(cpus[index])-\(cpus[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    /// The CPUs the calling thread may run on and its nice value (what a placement left; tests read it).
    static func current() -> (cpus: [Int], nice: Int32) {
        var cpus = [Int32](repeating: 0, count: 1024)
        let count = cpus.withUnsafeMutableBufferPointer { cweir_thread_cpus($0.baseAddress, Int32($0.count)) }
        return (cpus.prefix(Int(max(0, count))).map(Int.init), cweir_thread_nice())
    }
}
