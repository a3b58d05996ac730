// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirOutput

/// A strict RFC 8259 checker for one JSON text, enough to prove the writer's output parses.
struct JSONChecker {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(_ text: Substring) { self.bytes = Array(text.utf8) }

    /// Whether the whole input is exactly one JSON object.
    static func isObject(_ text: Substring) -> Bool {
        var checker = JSONChecker(text)
        guard checker.peek() == UInt8(ascii: "{"), checker.value() else { return false }
        checker.skipSpace()
        return checker.index == checker.bytes.count
    }

    func peek() -> UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    mutating func skipSpace() {
        while let b = self.peek(), b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d { self.index += 1 }
    }

    mutating func expect(_ literal: String) -> Bool {
        for b in literal.utf8 {
            guard self.peek() == b else { return false }
            self.index += 1
        }
        return true
    }

    mutating func value() -> Bool {
        self.skipSpace()
        guard let b = self.peek() else { return false }
        switch b {
        case UInt8(ascii: "{"): return self.object()
        case UInt8(ascii: "["): return self.array()
        case UInt8(ascii: "\""): return self.string()
        case UInt8(ascii: "t"): return self.expect("true")
        case UInt8(ascii: "f"): return self.expect("false")
        case UInt8(ascii: "n"): return self.expect("null")
        default: return self.number()
        }
    }

    mutating func object() -> Bool {
        self.index += 1
        self.skipSpace()
        if self.peek() == UInt8(ascii: "}") {
            self.index += 1
            return true
        }
        while true {
            self.skipSpace()
            guard self.peek() == UInt8(ascii: "\""), self.string() else { return false }
            self.skipSpace()
            guard self.expect(":"), self.value() else { return false }
            self.skipSpace()
            if self.peek() == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            return self.expect("}")
        }
    }

    mutating func array() -> Bool {
        self.index += 1
        self.skipSpace()
        if self.peek() == UInt8(ascii: "]") {
            self.index += 1
            return true
        }
        while true {
            guard self.value() else { return false }
            self.skipSpace()
            if self.peek() == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            return self.expect("]")
        }
    }

    mutating func string() -> Bool {
        self.index += 1
        while let b = self.peek() {
            self.index += 1
            switch b {
            case UInt8(ascii: "\""): return true
            case UInt8(ascii: "\\"):
                guard let e = self.peek() else { return false }
                self.index += 1
                if e == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let h = self.peek(),
                            (h >= 0x30 && h <= 0x39) || (h >= 0x61 && h <= 0x66) || (h >= 0x41 && h <= 0x46)
                        else { return false }
                        self.index += 1
                    }
                } else if !Array("\"\\/bfnrt".utf8).contains(e) {
                    return false
                }
            case ..<0x20: return false
            default: break
            }
        }
        return false
    }

    mutating func number() -> Bool {
        let start = self.index
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.peek(), first >= 0x30, first <= 0x39 else { return false }
        if first == 0x30 {
            self.index += 1
        } else {
            while let d = self.peek(), d >= 0x30, d <= 0x39 { self.index += 1 }
        }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard let d = self.peek(), d >= 0x30, d <= 0x39 else { return false }
            while let d = self.peek(), d >= 0x30, d <= 0x39 { self.index += 1 }
        }
        if let e = self.peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            self.index += 1
            if let s = self.peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { self.index += 1 }
            guard let d = self.peek(), d >= 0x30, d <= 0x39 else { return false }
            while let d = self.peek(), d >= 0x30, d <= 0x39 { self.index += 1 }
        }
        return self.index > start
    }
}

@Suite struct EVEWriterTests {
    @Test func checkerRejectsBrokenJSON() {
        for bad in [#"{"a":1,}"#, #"{"a":01}"#, "{\"a\":\"x\ny\"}", #"{"a":[1 2]}"#, #"{"a":1"#, #"{"a":"\x"}"#] {
            #expect(!JSONChecker.isObject(bad[...]), "\(bad)")
        }
        #expect(JSONChecker.isObject(#"{"a":[1,-2.5e3,"\u00ff",true,null,{}]}"#[...]))
    }

    @Test func manyRecordsAreValidJSONLines() {
        let sink = MemorySink()
        var writer = EVEWriter(sink: sink, batchSize: 4096)
        var state: UInt64 = 99
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        let nasty = ["plain", "quote\"", "back\\slash", "ctrl\u{01}\u{1f}", "tab\tnl\n", "é€😀", ""]
        for i in 0..<3000 {
            let r = next()
            var flow = Records.tcpFlow
            flow.header.flowID = r
            flow.packetsToServer = r >> 7
            flow.appProto = nasty[i % nasty.count]
            flow.header.vlan = VLANTags(i % 3 == 0 ? [UInt16(i & 0xfff)] : [])
            flow.header.sourceIP =
                i % 2 == 0 ? IPAddress(v4: UInt32(truncatingIfNeeded: r)) : IPAddress(v6High: r, low: ~r)
            flow.tcp =
                i % 5 == 0
                ? nil
                : EVETCPInfo(flags: UInt8(truncatingIfNeeded: r), flagsToServer: 0, flagsToClient: 0xff, state: nil)
            writer.write(flow)
            var alert = EVEAlertRecord(header: Records.alertHeader, alert: Records.alert)
            alert.alert.signature = nasty[(i + 3) % nasty.count]
            alert.payload = (0..<(i % 40)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ i) }
            alert.payloadPrintable = true
            writer.write(alert)
            if i % 100 == 0 {
                writer.write(
                    EVEStatsRecord(
                        timestamp: Timestamp(microseconds: Int64(i)),
                        uptime: UInt64(i),
                        counters: [
                            EVEStatsCounter("decoder.pkts", r), EVEStatsCounter("flow.\(nasty[i % nasty.count])", 1),
                        ]
                    )
                )
            }
        }
        writer.flush()
        #expect(writer.recordCount == 6030)
        #expect(sink.flushCount == 1)
        let lines = sink.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6031)
        #expect(lines.last == "")
        var bad = 0
        for line in lines.dropLast() where !JSONChecker.isObject(line) { bad += 1 }
        #expect(bad == 0)
    }

    @Test func batchesGoToTheSinkWhole() {
        let sink = MemorySink()
        var writer = EVEWriter(sink: sink, batchSize: 1000)
        for _ in 0..<10 { writer.write(Records.tcpFlow) }
        // Each line is ~600 bytes: a batch is handed over every second line, always ending in a newline.
        #expect(sink.bytes.count > 0)
        #expect(sink.bytes.last == UInt8(ascii: "\n"))
        writer.flush()
        #expect(sink.lines.count == 10)
        #expect(Set(sink.lines).count == 1)
        let line = Array("{\"pre\":1}\n".utf8)
        line.withUnsafeBytes { writer.writeLine($0) }
        writer.flush()
        #expect(sink.lines.last == "{\"pre\":1}")
    }
}
