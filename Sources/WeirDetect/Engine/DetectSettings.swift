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
