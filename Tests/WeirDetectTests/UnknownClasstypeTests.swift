// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

/// A classtype the classification table lacks: Suricata loads the rule with "Unknown Classtype" and priority 3
/// and warns once per classtype; only strict rule loading makes it an error.
@Suite struct UnknownClasstypeTests {
    static let rules = """
        alert tcp any any -> any any (msg:"a"; content:"a"; classtype:my-own-class; sid:1;)
        alert tcp any any -> any any (msg:"b"; content:"b"; classtype:my-own-class; priority:1; sid:2;)
        alert tcp any any -> any any (msg:"c"; content:"c"; classtype:trojan-activity; sid:3;)
        """

    @Test func rulesLoadWithTheUnknownClasstypeReportedOnce() throws {
        let loader = RuleFileLoader(variables: RuleVariables(), classifications: .suricataDefault, strict: false)
        let set = loader.load(text: Self.rules, file: "t.rules")
        #expect(set.errors.isEmpty)
        #expect(set.rules.map(\.rule.sid) == [1, 2, 3])
        #expect(set.unknownClasstypes.count == 1)
        #expect(set.unknownClasstypes.first?.name == "my-own-class" && set.unknownClasstypes.first?.line == 1)
        let table = ClassificationTable.suricataDefault
        let first = table.categoryAndSeverity(of: set.rules[0].rule)
        #expect(first.category == "Unknown Classtype" && first.severity == 3)
        #expect(table.categoryAndSeverity(of: set.rules[1].rule).severity == 1, "priority still wins")
        #expect(table.categoryAndSeverity(of: set.rules[2].rule).category == "A Network Trojan was detected")
    }

    @Test func strictLoadingRejectsThem() {
        let loader = RuleFileLoader(variables: RuleVariables(), classifications: .suricataDefault, strict: true)
        let set = loader.load(text: Self.rules, file: "t.rules")
        #expect(set.errors.first?.reason == "unknown classtype 'my-own-class'")
    }
}
