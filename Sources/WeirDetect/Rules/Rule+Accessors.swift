// SPDX-License-Identifier: MIT

extension Rule {
    /// The `flow` options, or `nil` when the rule has no `flow` keyword.
    public var flow: FlowOptions? {
        for option in self.options { if case .flow(let flow) = option { return flow } }
        return nil
    }

    /// Every comparison the rule makes on `keyword` (a rule may repeat an integer keyword).
    public func integerMatches(_ keyword: IntegerKeyword) -> [IntegerMatch] {
        self.options.compactMap { option in
            if case .integer(let k, let match) = option, k == keyword { return match }
            return nil
        }
    }

    /// Whether a match raises no alert (`noalert`, `flowbits:noalert` or `xbits:noalert`).
    public var isNoAlert: Bool {
        self.options.contains { option in
            switch option {
            case .noalert: true
            case .flowbits(let command): command.operation == .noalert
            case .xbits(let command, _, _): command.operation == .noalert
            default: false
            }
        }
    }

    /// The `threshold` or `detection_filter` settings, if any.
    public var threshold: Threshold? {
        for option in self.options {
            switch option {
            case .threshold(let t), .detectionFilter(let t): return t
            default: continue
            }
        }
        return nil
    }

    /// The sections in which Suricata would look for `buffer` (every transform chain of it).
    public func sections(for buffer: BufferID) -> [BufferSection] {
        self.sections.filter { $0.buffer == buffer }
    }
}
