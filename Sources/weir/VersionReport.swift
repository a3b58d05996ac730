// SPDX-License-Identifier: MIT
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
            "kernel:      \(release) (running)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
