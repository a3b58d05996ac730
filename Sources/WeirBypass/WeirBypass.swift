// SPDX-License-Identifier: MIT

/// The module's name, for diagnostics.
public enum WeirBypassModule {
    public static let name = "WeirBypass"
}
