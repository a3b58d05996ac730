// SPDX-License-Identifier: MIT

/// An application protocol as EVE names it (`app_proto`): `http`, `tls`, `dns` …, or the detection outcomes
/// `unknown` (not decided yet) and `failed` (given up).
public struct AppProtocol: Hashable, Sendable, CustomStringConvertible {
    /// The EVE spelling.
    public let name: String

    /// A protocol by its EVE name.
    public init(_ name: String) { self.name = name }

    public var description: String { self.name }

    /// Detection has not decided yet.
    public static let unknown = AppProtocol("unknown")
    /// Detection gave up (Suricata's `ALPROTO_FAILED`, EVE `app_proto: failed`).
    public static let failed = AppProtocol("failed")
    /// HTTP/1.x.
    public static let http = AppProtocol("http")

    /// True for a real protocol (not `unknown` or `failed`).
    public var isKnown: Bool { self != .unknown && self != .failed }
}
