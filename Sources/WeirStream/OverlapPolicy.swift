// SPDX-License-Identifier: MIT

/// How overlapping TCP data with different bytes is resolved in IDS mode: the target host's behaviour, chosen with
/// `host-os-policy` (Suricata's `stream-tcp-list.c` overlap handling).
///
/// Suricata applies the policy to each stored segment the new segment overlaps, by the *shape* of the overlap
/// (where the new segment starts and ends relative to the stored one), and only to the overlapping bytes: bytes
/// that fill a hole are always taken. ``prefersNewData(newStart:newEnd:oldStart:oldEnd:)`` is that table.
///
/// Several names behave identically in Suricata's table, and so here:
/// - ``bsd``, ``hpux10``, ``irix``, ``macos``, ``windows`` and ``windows2k3`` are one behaviour: old data wins,
///   except that a segment starting *before* the stored one replaces it.
/// - ``solaris`` and ``hpux11`` are one behaviour: new data wins whenever the new segment reaches or passes the
///   stored segment's end (start before, same start and same-or-later end, or start after and end later).
/// - ``first`` and ``vista`` are one behaviour: the data seen first always wins.
/// - ``linux`` is BSD plus "same start, longer new segment wins"; ``oldLinux`` is BSD plus "same start, same or
///   longer new segment wins"; ``last`` always takes the newest data.
public enum OverlapPolicy: String, CaseIterable, Sendable {
    case bsd
    case linux
    case oldLinux = "old-linux"
    case solaris
    case hpux10
    case hpux11
    case irix
    case macos
    case vista
    case windows
    case windows2k3
    case first
    case last

    /// Suricata's default (`OS_POLICY_DEFAULT` is BSD).
    public static let `default` = OverlapPolicy.bsd

    /// Parses a `host-os-policy` name; Suricata's aliases `bsd-right` (HP-UX 11 behaviour) and `old-solaris`
    /// (first-data-wins) are accepted too.
    public init?(configName: String) {
        switch configName.lowercased() {
        case "bsd-right": self = .hpux11
        case "old-solaris": self = .first
        default:
            guard let policy = OverlapPolicy(rawValue: configName.lowercased()) else { return nil }
            self = policy
        }
    }

    /// True when the bytes of the new segment `[newStart, newEnd)` replace those of the stored segment
    /// `[oldStart, oldEnd)` where they overlap and differ.
    @inlinable
    public func prefersNewData(newStart: UInt64, newEnd: UInt64, oldStart: UInt64, oldEnd: UInt64) -> Bool {
        switch self {
        case .last: return true
        case .first, .vista: return false
        default: break
        }
        if newStart == oldStart {
            if newEnd < oldEnd { return false }
            if newEnd > oldEnd && self == .linux { return true }
            return self == .oldLinux || self == .solaris || self == .hpux11
        }
        if newStart < oldStart {
            if newEnd >= oldEnd { return true }
            return self != .solaris && self != .hpux11
        }
        // The new segment starts inside the stored one.
        if newEnd > oldEnd { return self == .solaris || self == .hpux11 }
        return false
    }
}
