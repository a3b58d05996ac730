// SPDX-License-Identifier: MIT

/// An alert's or drop's `verdict` object: what the engine finally did with the packet (Suricata's
/// `EveAddVerdict`), written with `alert.verdict: yes` or `drop.verdict: yes`.
///
/// `action` is `drop` (dropped in IPS mode, or rejected in IPS mode), `pass` (a pass rule matched the packet),
/// or `alert`; a reject adds `reject-target` and the reply sent (`tcp-reset` or `icmp-prohib`).
public struct EVEVerdict: Sendable, Equatable {
    /// `drop`, `pass`, `alert` (or `accept`).
    public var action: String
    /// `to_client`, `to_server` or `both` for a reject; `nil` otherwise.
    public var rejectTarget: String?
    /// The replies a reject sends: `tcp-reset` for TCP, `icmp-prohib` for UDP and ICMP, none otherwise.
    public var reject: [String]?

    /// A verdict.
    public init(action: String, rejectTarget: String? = nil, reject: [String]? = nil) {
        self.action = action
        self.rejectTarget = rejectTarget
        self.reject = reject
    }
}

extension JSONWriter {
    /// Writes `"verdict":{…}` into the open object.
    func writeVerdict(_ verdict: EVEVerdict) {
        self.beginObject("verdict")
        self.field("action", verdict.action)
        if let target = verdict.rejectTarget { self.field("reject-target", target) }
        if let reject = verdict.reject {
            self.beginArray("reject")
            for reply in reject { self.string(reply) }
            self.endArray()
        }
        self.endObject()
    }
}
