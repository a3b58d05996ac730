// SPDX-License-Identifier: MIT
import CHyperscan
import CPCRE2

/// The versions of the matching libraries this build runs with, for `weir --version`.
public enum MatcherLibraries {
    /// Vectorscan (Hyperscan's API): `5.4.9 2023-03-11`.
    public static var vectorscan: String {
        String(String(cString: hs_version()).reversed().drop { $0 == " " }.reversed())
    }

    /// PCRE2: `10.42 2022-12-11`.
    public static var pcre2: String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBytes { pcre2_config_8(UInt32(PCRE2_CONFIG_VERSION), $0.baseAddress) }
        guard length > 1 else { return "unknown" }
        return String(decoding: buffer.prefix(Int(length) - 1), as: UTF8.self)
    }
}
