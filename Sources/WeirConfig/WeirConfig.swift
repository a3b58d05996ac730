// SPDX-License-Identifier: MIT

/// The module's name, for diagnostics.
public enum WeirConfigModule {
    public static let name = "WeirConfig"
}
