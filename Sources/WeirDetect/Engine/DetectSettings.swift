// SPDX-License-Identifier: MIT

/// Engine settings, the suricata.yaml keys that shape detection.
public struct DetectSettings: Sendable {
    /// `action-order`: which matching action wins (default pass, drop, reject, alert).
    public var actionOrder: [RuleVerdictAction] = [.pass, .drop, .reject, .alert]
    /// `packet-alert-max` (0 means the default, 15).
    public var packetAlertMax = 15
    /// `--simulate-ips` / inline mode: drop and reject take effect.
    public var isIPS = false
    /// Parsed `threshold-file`.
    public var thresholdConfig = ThresholdConfig()
    /// `detect.inspection-recursion-limit`.
    public var inspectionRecursionLimit = 3000
    /// `pcre.match-limit` and `pcre.match-limit-recursion`.
    public var pcreMatchLimit: UInt32 = 3500
    /// `pcre.match-limit-recursion`.
    public var pcreRecursionLimit: UInt32 = 1500
    /// Destination/source port sets at most this large are indexed per port; larger ones share the any-port group.
    public var portGroupLimit = 64

    /// Suricata's defaults.
    public init() {}

    /// The effective alert cap.
    var alertCap: Int { self.packetAlertMax <= 0 ? 15 : self.packetAlertMax }

    /// Rank of `action` in the configured order (lower wins, evaluated first).
    func rank(_ action: RuleVerdictAction) -> Int {
        self.actionOrder.firstIndex(of: action) ?? self.actionOrder.count
    }
}

/// A bad `action-order` list.
public struct ActionOrderError: Error, Sendable, CustomStringConvertible {
    /// The offending entry.
    public var entry: String
    /// One line for the configuration error report.
    public var description: String { "action-order: unknown or repeated action '\(self.entry)'" }
}

extension DetectSettings {
    /// Parses suricata.yaml's `action-order` list (`[pass, drop, reject, alert]`); actions left out keep their
    /// default relative order after the listed ones.
    ///
    /// - Throws: ``ActionOrderError`` for an unknown or repeated name.
    public static func actionOrder(from names: [String]) throws(ActionOrderError) -> [RuleVerdictAction] {
        var order: [RuleVerdictAction] = []
        for name in names {
            let trimmed = name.lowercased().filter { !$0.isWhitespace }
            guard let action = RuleVerdictAction.allCases.first(where: { $0.name == trimmed }), !order.contains(action)
            else { throw ActionOrderError(entry: name) }
            order.append(action)
        }
        for action in RuleVerdictAction.allCases where !order.contains(action) { order.append(action) }
        return order
    }
}
