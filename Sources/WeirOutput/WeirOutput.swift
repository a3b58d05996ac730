// SPDX-License-Identifier: MIT

/// The module's name, for diagnostics.
public enum WeirOutputModule {
    public static let name = "WeirOutput"
}
