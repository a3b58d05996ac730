// SPDX-License-Identifier: MIT

/// What to do with a TLS or SSH flow once its handshake is over and the rest is encrypted
/// (`app-layer.protocols.{tls,ssh}.encryption-handling`).
public enum EncryptedFlowHandling: String, Sendable, CaseIterable {
    /// `default` / `track-only` (Suricata's default): stop content inspection of the flow, keep tracking it
    /// (flow record, counters, header-only rules).
    case trackOnly = "track-only"
    /// `bypass`: bypass the flow (into the kernel tables in live capture, local bypass otherwise).
    case bypass
    /// `full`: keep inspecting the encrypted bytes.
    case full

    /// The mode a configuration value names; Suricata reads anything unknown as `track-only`.
    public init(configValue: String?) {
        switch configValue?.lowercased() {
        case "bypass": self = .bypass
        case "full": self = .full
        default: self = .trackOnly
        }
    }
}

/// A parser whose flow turns encrypted: the stage asks it when the handshake has finished both ways.
public protocol AppLayerEncryptedParser: AnyObject {
    /// The configured handling.
    var encryptionHandling: EncryptedFlowHandling { get }
    /// True once both directions are past their handshake.
    var handshakeFinishedBothWays: Bool { get }
    /// The stream offset of a direction from which its bytes are encrypted, `nil` while clear.
    func encryptedFrom(toServer: Bool) -> UInt64?
}
