// SPDX-License-Identifier: MIT

/// IPv4 options Weir recognises (RFC 791 and successors); the raw value is the bit in ``Packet/ipv4Options``.
///
/// The `ipopts` rule keyword names them with ``keyword``; `ipopts:any` matches a packet whose
/// ``Packet/ipv4Options`` is not zero.
public enum IPv4Option: UInt8, CaseIterable, Sendable {
    /// Record Route, option type 7.
    case recordRoute = 0
    /// End of Option List, option type 0.
    case endOfList = 1
    /// No Operation, option type 1.
    case noOperation = 2
    /// Timestamp, option type 68 (RFC 781).
    case timestamp = 3
    /// Basic Security, option type 130 (RFC 1108).
    case security = 4
    /// Extended Security, option type 133 (RFC 1108).
    case extendedSecurity = 5
    /// Loose Source and Record Route, option type 131.
    case looseSourceRoute = 6
    /// Strict Source and Record Route, option type 137.
    case strictSourceRoute = 7
    /// Stream Identifier (SATNET), option type 136.
    case streamID = 8
    /// Quick-Start, option type 25 (RFC 4782); no `ipopts` name.
    case quickStart = 9
    /// Commercial IP Security Option, type 134; no `ipopts` name.
    case cipso = 10
    /// Router Alert, option type 148 (RFC 2113); no `ipopts` name.
    case routerAlert = 11

    /// The bit this option sets in ``Packet/ipv4Options``.
    @inlinable public var bit: UInt32 { UInt32(1) << UInt32(self.rawValue) }

    /// The option type byte on the wire.
    public var typeCode: UInt8 {
        switch self {
        case .recordRoute: return 7
        case .endOfList: return 0
        case .noOperation: return 1
        case .timestamp: return 68
        case .security: return 130
        case .extendedSecurity: return 133
        case .looseSourceRoute: return 131
        case .strictSourceRoute: return 137
        case .streamID: return 136
        case .quickStart: return 25
        case .cipso: return 134
        case .routerAlert: return 148
        }
    }

    /// The `ipopts` keyword value (`rr`, `eol`, `nop`, `ts`, `sec`, `esec`, `lsrr`, `ssrr`, `satid`), or `nil`
    /// for options the keyword cannot name.
    public var keyword: String? {
        switch self {
        case .recordRoute: return "rr"
        case .endOfList: return "eol"
        case .noOperation: return "nop"
        case .timestamp: return "ts"
        case .security: return "sec"
        case .extendedSecurity: return "esec"
        case .looseSourceRoute: return "lsrr"
        case .strictSourceRoute: return "ssrr"
        case .streamID: return "satid"
        case .quickStart, .cipso, .routerAlert: return nil
        }
    }

    /// The option named by an `ipopts` value; `nil` for `any` (test ``Packet/ipv4Options`` against zero) and
    /// for unknown names.
    public init?(keyword: some StringProtocol) {
        for option in IPv4Option.allCases where option.keyword == String(keyword) {
            self = option
            return
        }
        return nil
    }
}
