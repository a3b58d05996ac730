// SPDX-License-Identifier: MIT

/// The module's name, for diagnostics.
public enum WeirDetectModule {
    public static let name = "WeirDetect"
}
