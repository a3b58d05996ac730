// SPDX-License-Identifier: MIT

/// Detection state of one app-layer transaction (Suricata's per-transaction `DetectEngineState`): which
/// signatures already matched it, so a rule fires at most once per transaction, and how far each direction was
/// inspected, so an unchanged transaction is not inspected again.
///
/// The app layer stores one in every transaction; only ``DetectContext`` reads and writes it.
public struct TransactionDetectState: Sendable {
    /// Signatures (evaluation-order indexes) that matched this transaction, in match order.
    package var matched: [Int32] = []
    /// The transaction's progress in each direction when it was last inspected (-1: never).
    public var inspectedProgressToServer = -1
    /// The progress of the to-client direction when last inspected (-1: never).
    public var inspectedProgressToClient = -1

    /// A transaction nothing has inspected yet.
    public init() {}

    /// True when signature `index` already matched this transaction.
    @inline(__always)
    package func hasMatched(_ index: Int32) -> Bool { self.matched.contains(index) }
}
