// SPDX-License-Identifier: MIT
// libFuzzer entry point for the rule parser. Built by Fuzz/build.sh together with the WeirDetect rule sources
// in one module (so it is not part of the SwiftPM package).

/// Parses the input as rule-file text; every rule that parses must print and parse back to the same model.
@_cdecl("LLVMFuzzerTestOneInput")
public func ruleParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var parser = RuleParser()
    parser.validatesRegexes = bytes.first.map { $0 & 1 == 1 } ?? false
    for logical in LogicalRuleLine.split(bytes) {
        guard let rule = try? parser.parse(logical.text) else { continue }
        _ = rule.unsupportedKeywords
        _ = rule.fastPatternContent
        _ = try? rule.source.resolve(in: .suricataDefaults)
        _ = try? rule.destinationPorts.resolve(in: .suricataDefaults)
        let printed = RulePrinter.canonicalText(rule)
        guard let again = try? parser.parse(printed) else {
            fatalError("printed rule does not parse: \(printed)")
        }
        if again != rule { fatalError("round trip changed the rule: \(printed)") }
    }
    return 0
}
