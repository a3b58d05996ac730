// SPDX-License-Identifier: MIT
#if canImport(Glibc)
    import Glibc
#endif

/// A seeded mutation fuzzer for the rule parser: mutates real rules byte- and token-wise, parses them,
/// and checks that every parsed rule prints and re-parses to the same model and that no input is slow.
public struct RuleFuzzer {
    /// Running totals.
    public struct Result: Sendable {
        /// Inputs parsed or rejected.
        public var executions = 0
        /// Inputs that parsed.
        public var parsed = 0
        /// Inputs rejected with an error.
        public var rejected = 0
        /// Parsed inputs whose printed form did not re-parse to an equal rule.
        public var roundTripFailures = 0
        /// Inputs slower than the hang limit.
        public var hangs = 0
        /// The slowest input, in milliseconds of this thread's CPU time (immune to other load on the machine).
        public var slowestMilliseconds = 0.0
        /// The slowest input in wall-clock milliseconds (inflated when the machine is busy).
        public var slowestWallMilliseconds = 0.0
        /// The input that took the most CPU time.
        public var slowestInput: String?
        /// Wall time spent.
        public var elapsedSeconds = 0.0
        /// The first input that failed a check.
        public var firstProblem: String?
    }

    let seeds: [[UInt8]]
    var state: UInt64
    let parser = RuleParser()
    static let dictionary: [[UInt8]] = [
        "content:", "pcre:", "\"", ";", "\\", "|", "!", "[", "]", ",", ":", "$HOME_NET", "any", "->", "<>", "(", ")",
        "byte_test:", "byte_extract:4,0,v;", "distance:", "within:", "http_uri;", "http.uri;", "to_lowercase;",
        "fast_pattern:only;", "flowbits:", "threshold:", "-", "0x", "::", "/", "999999999999999999999", "pkt_data;",
        "flow:", "dsize:", "<>", "\n", "\t", "#", "isdataat:", "bsize:", "sid:1;", "fe80::1/64", "1.2.3.4-1.2.3.9",
    ].map { Array($0.utf8) }

    /// Makes a fuzzer over seed rules with a deterministic random seed.
    public init(seeds: [String], seed: UInt64) {
        self.seeds = seeds.map { Array($0.utf8) }
        self.state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    mutating func next() -> UInt64 {
        // xorshift64*
        self.state ^= self.state >> 12
        self.state ^= self.state << 25
        self.state ^= self.state >> 27
        return self.state &* 0x2545_F491_4F6C_DD1D
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(self.next() % UInt64(n)) }

    /// One mutated input.
    public mutating func mutate() -> [UInt8] {
        var input = self.seeds[self.below(self.seeds.count)]
        let rounds = 1 + self.below(6)
        for _ in 0..<rounds {
            switch self.below(7) {
            case 0 where !input.isEmpty:
                input[self.below(input.count)] = UInt8(truncatingIfNeeded: self.next())
            case 1 where !input.isEmpty:
                let start = self.below(input.count)
                let length = min(input.count - start, 1 + self.below(16))
                input.removeSubrange(start..<(start + length))
            case 2:
                let word = RuleFuzzer.dictionary[self.below(RuleFuzzer.dictionary.count)]
                input.insert(contentsOf: word, at: self.below(input.count + 1))
            case 3 where !input.isEmpty:
                let start = self.below(input.count)
                let length = min(input.count - start, 1 + self.below(32))
                let slice = Array(input[start..<(start + length)])
                input.insert(contentsOf: slice, at: self.below(input.count + 1))
            case 4:
                let other = self.seeds[self.below(self.seeds.count)]
                if !other.isEmpty, !input.isEmpty {
                    let cut = self.below(input.count)
                    let from = self.below(other.count)
                    input = Array(input[..<cut]) + Array(other[from...])
                }
            case 5 where !input.isEmpty:
                let i = self.below(input.count)
                let special: [UInt8] = [0x3b, 0x22, 0x5c, 0x7c, 0x2c, 0x3a, 0x21, 0x20, 0x00, 0xff, 0x28, 0x29]
                input[i] = special[self.below(special.count)]
            default:
                if !input.isEmpty { input.removeLast(self.below(min(input.count, 8))) }
            }
        }
        return input
    }

    /// CPU time consumed by the calling thread, in milliseconds.
    static func threadCPUMilliseconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1e6
    }

    /// Checks one input: parse, and for a parsed rule, print and re-parse.
    ///
    /// - Returns: Whether it parsed, and whether the round trip held.
    public func check(_ input: [UInt8]) -> (parsed: Bool, roundTrip: Bool) {
        let text = String(decoding: input, as: UTF8.self)
        for logical in LogicalRuleLine.split(Array(text.utf8)) {
            guard let rule = try? self.parser.parse(logical.text) else { return (false, true) }
            let printed = RulePrinter.canonicalText(rule)
            guard let again = try? self.parser.parse(printed) else { return (true, false) }
            return (true, again == rule)
        }
        return (false, true)
    }

    /// Runs for `seconds`, calling `progress` about every 10 seconds.
    public mutating func run(seconds: Double, hangMilliseconds: Double, progress: (Result) -> Void) -> Result {
        var result = Result()
        let clock = ContinuousClock()
        let start = clock.now
        var lastReport = start
        let limit = Duration.milliseconds(Int64(seconds * 1000))
        while clock.now - start < limit {
            for _ in 0..<256 {
                let input = self.mutate()
                let began = clock.now
                let cpuBefore = RuleFuzzer.threadCPUMilliseconds()
                let (parsed, roundTrip) = self.check(input)
                let ms = RuleFuzzer.threadCPUMilliseconds() - cpuBefore
                let took = clock.now - began
                let wall = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
                if wall > result.slowestWallMilliseconds { result.slowestWallMilliseconds = wall }
                result.executions += 1
                if parsed { result.parsed += 1 } else { result.rejected += 1 }
                if ms > result.slowestMilliseconds {
                    result.slowestMilliseconds = ms
                    result.slowestInput = String(decoding: input, as: UTF8.self)
                }
                if ms > hangMilliseconds {
                    result.hangs += 1
                    if result.firstProblem == nil { result.firstProblem = String(decoding: input, as: UTF8.self) }
                }
                if !roundTrip {
                    result.roundTripFailures += 1
                    if result.firstProblem == nil { result.firstProblem = String(decoding: input, as: UTF8.self) }
                }
            }
            if clock.now - lastReport > .seconds(10) {
                lastReport = clock.now
                let elapsed = clock.now - start
                result.elapsedSeconds = Double(elapsed.components.seconds)
                progress(result)
            }
        }
        let elapsed = clock.now - start
        result.elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return result
    }
}
