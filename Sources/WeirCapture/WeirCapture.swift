// SPDX-License-Identifier: MIT

/// The module's name, for diagnostics.
public enum WeirCaptureModule {
    public static let name = "WeirCapture"
}
