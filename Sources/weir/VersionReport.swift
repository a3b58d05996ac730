// SPDX-License-Identifier: MIT
import CMimalloc
import Glibc
import WeirBypass
import WeirCapture
import WeirDetect

/// `weir --version` / `-V`: Weir's version and commit, then each library it runs with, one per line (the
/// counterpart of `suricata --build-info`, so a bug report says exactly what ran).
enum VersionReport {
    /// Weir's release version.
    static let version = "0.5.0-dev"

    static func text() -> String {
        var kernel = utsname()
        uname(&kernel)
        let release = withUnsafeBytes(of: &kernel.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let lines = [
            "Weir \(Self.version) (commit \(BuildInfo.commit), \(BuildInfo.commitDate))",
            "rule language, configuration and EVE: as Suricata 8.0",
            "libbpf:      \(BPFLibrary.version)",
            "libpcap:     \(PcapLibrary.version)",
            "Vectorscan:  \(MatcherLibraries.vectorscan)",
            "PCRE2:       \(MatcherLibraries.pcre2)",
            "libyaml:     the copy inside Yams \(BuildInfo.yams)",
            "allocator:   \(Self.allocator())",
            "kernel:      \(release) (running)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// mimalloc's version, and whether it is the one serving `malloc` (it is when the executable was linked
    /// with it ahead of glibc; a bug report must say if that ever stopped being true).
    static func allocator() -> String {
        let v = mi_version()
        let version = "mimalloc \(v / 100).\(v / 10 % 10).\(v % 10)"
        guard let probe = malloc(64) else { return version }
        defer { free(probe) }
        return mi_is_in_heap_region(probe) ? "\(version), serving malloc" : "\(version), linked but malloc is glibc's"
    }
}
