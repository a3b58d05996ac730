// SPDX-License-Identifier: MIT

/// The interned names of an engine's flow variables, by the id its signatures use.
package struct DetectVariableNames: Sendable {
    package var flowbits: [String: Int] = [:]
    package var flowints: [String: Int] = [:]
    package var xbits: [String: Int] = [:]

    package init(flowbits: [String: Int] = [:], flowints: [String: Int] = [:], xbits: [String: Int] = [:]) {
        self.flowbits = flowbits
        self.flowints = flowints
        self.xbits = xbits
    }
}

extension DetectContext {
    /// The engine this context runs.
    public var detectEngine: DetectEngine { self.engine }

    /// Takes over the per-flow and per-host detection state of `old`, a context of the engine this one
    /// replaces (a rule reload), so flows go on where they were.
    ///
    /// What Suricata does when a flow first meets a new engine version (its `de_ctx_version` check): the
    /// flow's signature groups are looked up again, and its transactions' detect state is reset so the new
    /// rules inspect them from the start. Here the IP-only marks are cleared (the new engine's IP-only rules
    /// run once on the flow), transaction state is reset by the app layer (``TransactionDetectState/reset()``).
    /// Flowbits, flowints and xbits are kept, moved by name to the new engine's ids (a name no new rule
    /// uses is dropped); pass and drop decisions stay with the flow. Threshold and rate-filter windows stay
    /// with rules whose gid:sid the new engine still has. The counters carry on.
    public func adopt(from old: DetectContext) {
        let before = old.engine.variableNames
        let after = self.engine.variableNames
        func mapping(_ from: [String: Int], _ to: [String: Int]) -> [(Int, Int)] {
            from.compactMap { name, id in to[name].map { (id, $0) } }
        }
        let bits = mapping(before.flowbits, after.flowbits)
        let ints = mapping(before.flowints, after.flowints)
        let words = (self.engine.flowbitCount + 63) / 64
        let intCount = self.engine.flowintCount
        var states = old.flowStates
        for index in states.indices where states[index].flowID != 0 {
            let previous = states[index]
            var state = FlowDetectState()
            state.flowID = previous.flowID
            state.bits = [UInt64](repeating: 0, count: words)
            state.ints = [Int64](repeating: 0, count: intCount)
            state.intIsSet = [Bool](repeating: false, count: intCount)
            for (from, to) in bits where previous.isSet(from) { state.set(to, true) }
            for (from, to) in ints where from < previous.intIsSet.count && previous.intIsSet[from] {
                state.ints[to] = previous.ints[from]
                state.intIsSet[to] = true
            }
            state.tcpWasEstablished = previous.tcpWasEstablished
            state.isPassed = previous.isPassed
            state.isDropped = previous.isDropped
            states[index] = state
        }
        self.flowStates = states

        let xbits = Dictionary(uniqueKeysWithValues: mapping(before.xbits, after.xbits))
        var expiry: [XbitKey: Int64] = [:]
        for (key, until) in old.xbitExpiry {
            guard let bit = xbits[key.bit] else { continue }
            expiry[XbitKey(bit: bit, first: key.first, second: key.second)] = until
        }
        self.xbitExpiry = expiry

        var bySID: [UInt64: Int32] = [:]
        for (index, signature) in self.engine.signatures.enumerated() {
            bySID[UInt64(signature.gid) << 32 | UInt64(signature.sid)] = Int32(index)
        }
        var entries: [ThresholdKey: ThresholdEntry] = [:]
        for (key, entry) in old.thresholdEntries {
            let index = Int(key.signature)
            guard index >= 0, index < old.engine.signatures.count else { continue }
            let signature = old.engine.signatures[index]
            guard let now = bySID[UInt64(signature.gid) << 32 | UInt64(signature.sid)] else { continue }
            var moved = key
            moved.signature = now
            entries[moved] = entry
        }
        self.thresholdEntries = entries
        self.counters = old.counters
    }
}

extension TransactionDetectState {
    /// Forgets what an earlier engine matched and inspected (Suricata's reset of a flow's transactions when
    /// the detection engine changed): the next inspection runs the current rules over the whole transaction.
    public mutating func reset() {
        self.matched.removeAll()
        self.inspectedProgressToServer = -1
        self.inspectedProgressToClient = -1
    }
}
