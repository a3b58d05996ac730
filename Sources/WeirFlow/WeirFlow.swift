// SPDX-License-Identifier: MIT

/// The module's name, for diagnostics.
public enum WeirFlowModule {
    public static let name = "WeirFlow"
}
