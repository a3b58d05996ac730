// SPDX-License-Identifier: MIT

/// The module's name, for diagnostics.
public enum WeirRuntimeModule {
    public static let name = "WeirRuntime"
}
