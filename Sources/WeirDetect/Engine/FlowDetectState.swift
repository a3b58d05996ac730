// SPDX-License-Identifier: MIT

/// Detection state attached to one flow: flowbits, flowints, the IP-only "already seen" marks, and the pass and
/// drop decisions (Suricata keeps these in `Flow`; Weir keeps them beside the flow table, indexed by slot).
///
/// The ``DetectContext`` owns one per ``WeirFlow/FlowTable`` slot; a slot's state is tagged with the flow id
/// and cleared the first time a different flow (a reused slot) is seen, so WeirFlow needs no change.
package struct FlowDetectState: Sendable {
    /// The flow this state belongs to; 0 = unused.
    package var flowID: UInt64 = 0
    /// Flowbits, one bit per interned name.
    package var bits: [UInt64] = []
    /// Flowint values and whether each is set.
    package var ints: [Int64] = []
    /// Whether each flowint is set.
    package var intIsSet: [Bool] = []
    /// IP-only signatures already evaluated in this direction.
    package var ipOnlyDoneToServer = false
    /// IP-only signatures already evaluated server → client.
    package var ipOnlyDoneToClient = false
    /// TCP: the session was established before the current packet (Suricata sets `FLOW_PKT_ESTABLISHED` from
    /// the state the packet finds, so the handshake's final ACK is not yet "established").
    package var tcpWasEstablished = false
    /// A pass rule matched: no more detection on this flow.
    package var isPassed = false
    /// A drop/reject rule matched in IPS mode: every later packet is dropped.
    package var isDropped = false

    /// An unused slot.
    package init() {}

    /// Prepares the state for a new flow, keeping storage.
    mutating func reset(flowID: UInt64, flowbits: Int, flowints: Int) {
        self.flowID = flowID
        let words = (flowbits + 63) / 64
        if self.bits.count != words {
            self.bits = [UInt64](repeating: 0, count: words)
        } else {
            for i in self.bits.indices { self.bits[i] = 0 }
        }
        if self.ints.count != flowints {
            self.ints = [Int64](repeating: 0, count: flowints)
            self.intIsSet = [Bool](repeating: false, count: flowints)
        } else {
            for i in self.intIsSet.indices { self.intIsSet[i] = false }
        }
        self.ipOnlyDoneToServer = false
        self.ipOnlyDoneToClient = false
        self.tcpWasEstablished = false
        self.isPassed = false
        self.isDropped = false
    }

    /// Whether flowbit `bit` is set.
    @inline(__always)
    package func isSet(_ bit: VariableID) -> Bool {
        let w = bit >> 6
        return w < self.bits.count && self.bits[w] & (1 << UInt64(bit & 63)) != 0
    }

    @inline(__always)
    mutating func set(_ bit: VariableID, _ on: Bool) {
        let w = bit >> 6
        guard w < self.bits.count else { return }
        if on { self.bits[w] |= 1 << UInt64(bit & 63) } else { self.bits[w] &= ~(1 << UInt64(bit & 63)) }
    }
}
