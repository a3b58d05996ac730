// SPDX-License-Identifier: MIT

/// A decoder anomaly, named as Suricata names it (`decode-event:<name>` in rules, `decoder.event.<name>` in
/// stats).
public enum DecodeEvent: UInt8, CaseIterable, Sendable {
    case ipv4PktTooSmall = 0
    case ipv4HlenTooSmall = 1

    /// Suricata's dotted name, for example `ipv4.hlen_too_small`.
    public var name: String {
        switch self {
        case .ipv4PktTooSmall: return "ipv4.pkt_too_small"
        case .ipv4HlenTooSmall: return "ipv4.hlen_too_small"
        }
    }
}
