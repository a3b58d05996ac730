// SPDX-License-Identifier: MIT
import Foundation
import Testing

@testable import WeirDetect

/// Inputs the fuzz targets found (Tests/FuzzRegressions/<target>/), replayed through the same checks.
@Suite struct FuzzRegressionTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { url.deleteLastPathComponent() }
        return url.path + "/FuzzRegressions"
    }()

    static func inputs(_ target: String) -> [String] {
        let dir = root + "/" + target
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    /// The rule-parser target's oracle: every rule that parses prints and parses back to the same model.
    @Test(arguments: inputs("rule-parser"))
    func ruleParserRoundTrip(_ path: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var parser = RuleParser()
        parser.validatesRegexes = bytes.first.map { $0 & 1 == 1 } ?? false
        for logical in LogicalRuleLine.split(bytes) {
            guard let rule = try? parser.parse(logical.text) else { continue }
            let printed = RulePrinter.canonicalText(rule)
            let again = try parser.parse(printed)
            #expect(again == rule, "\(printed)")
            if again != rule {
                for (a, b) in zip(rule.options, again.options) where a != b { Issue.record("option \(a) became \(b)") }
                if rule.message != again.message {
                    let a = Array(rule.message.utf8)
                    let b = Array(again.message.utf8)
                    let i = zip(a, b).prefix { $0 == $1 }.count
                    Issue.record("msg differs at \(i) of \(a.count)/\(b.count): \(a[max(0, i - 12)..<min(a.count, i + 12)]) became \(b[max(0, i - 12)..<min(b.count, i + 12)])")
                }
            }
        }
    }

    /// The shape of the input above, by hand: a backslash followed by a combining mark (U+0737) in `msg`.
    @Test func backslashBeforeACombiningMarkRoundTrips() throws {
        let parser = RuleParser()
        let rule = try parser.parse("alert ip any any -> any any (msg:\"a\\\\\u{0737}b\\;c\"; sid:1;)")
        #expect(Array(rule.message.unicodeScalars) == Array("a\\\u{0737}b;c".unicodeScalars))
        #expect(try parser.parse(RulePrinter.canonicalText(rule)) == rule)
    }
}
