// SPDX-License-Identifier: MIT
import CLibBPF

/// The libbpf this build runs with, for `weir --version`.
public enum BPFLibrary {
    /// `v1.1`.
    public static var version: String { String(cString: libbpf_version_string()) }
}
