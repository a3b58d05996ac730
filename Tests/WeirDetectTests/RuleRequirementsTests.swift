// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

/// `requires:` as Suricata reads it: the version expression, features and keywords; an unmet requirement skips
/// the rule before anything else in it is read.
@Suite struct RuleRequirementsTests {
    static func outcome(_ text: String) -> RuleRequirements.Outcome {
        RuleRequirements.evaluate(Substring(text)) { KeywordRegistry.descriptor(named: $0)?.isParsed == true }
    }

    @Test(arguments: [
        "version >= 8", "version >= 8.0.6", "version >= 7 < 9", "version >= 7.0.3 < 8 | >= 8.0.1",
        "version <= 8.0.6", "version > 7.9.9", "feature ja4", "feature ja3, version >= 7", "keyword sid",
        "keyword http.uri, feature ja4", "  version   >=   6  ",
    ])
    func met(_ text: String) {
        #expect(Self.outcome(text) == .met, "\(text)")
    }

    @Test(arguments: [
        "version >= 9", "version >= 8.0.7", "version >= 7 < 8", "version < 8", "version >= 7.0.3 < 8 | >= 8.0.7",
        "version >= 10.0.0", "feature lua", "feature ja4, feature geoip", "keyword foobar",
        "keyword vlan.layers_nonexistent", "foo bar", "version >= 8, foo bar",
    ])
    func unmet(_ text: String) {
        guard case .unmet = Self.outcome(text) else {
            Issue.record("\(text): \(Self.outcome(text))")
            return
        }
    }

    @Test(arguments: ["version >= 8, version >= 7", "version foo", "version 8", "version >= 8.x", "version >= 300"])
    func invalid(_ text: String) {
        guard case .invalid = Self.outcome(text) else {
            Issue.record("\(text): \(Self.outcome(text))")
            return
        }
    }

    @Test func theVersionComparedIsTheOneGiven() {
        let nine = RuleRequirements.Version(major: 9, minor: 0, patch: 0)
        #expect(RuleRequirements.evaluate("version >= 9", version: nine) { _ in true } == .met)
        #expect(RuleRequirements.evaluate("feature ja4", features: []) { _ in true } != .met)
    }

    @Test func unmetRulesAreSkippedNotFailedWhateverElseTheyHold() {
        let rules = """
            alert tcp any any -> any any (msg:"for Weir"; content:"a"; requires: version >= 8; sid:1;)
            alert vxlan any any -> any any (requires: version >= 10; sid:2;)
            alert http any any => any any (requires: version >= 10; sid:3;)
            alert udp any any -> any any (vxlan_vni:10; requires: version >= 10; sid:4;)
            alert asdf any any -> any any (requires: version >= 6; sid:5;)
            alert tcp any any -> any any (content:"b"; requires: version >= 8, version >= 7; sid:6;)
            alert tcp any any -> any any (content:"c"; requires: feature ja4; sid:7;)
            """
        let set = RuleFileLoader(variables: RuleVariables(), classifications: .suricataDefault, strict: false)
            .load(text: rules, file: "t.rules")
        #expect(set.rules.map(\.rule.sid) == [1, 7])
        #expect(set.unmetRequirements.map(\.line) == [2, 3, 4])
        #expect(set.unmetRequirements.allSatisfy { $0.file == "t.rules" && $0.keyword == "requires" })
        // A rule whose requirements hold is read in full: a bad header is an error; so is a bad expression.
        #expect(set.errors.map(\.line) == [5, 6])
    }

    @Test func featuresFollowTheLoader() {
        var loader = RuleFileLoader(variables: RuleVariables(), classifications: .suricataDefault, strict: false)
        loader.requirementFeatures.remove("ja4")
        let set = loader.load(text: "alert tcp any any -> any any (content:\"c\"; requires: feature ja4; sid:7;)\n")
        #expect(set.rules.isEmpty)
        #expect(set.unmetRequirements.count == 1)
    }

    @Test func aDuplicateWithAHigherRevisionThatMeetsItsRequirementReplacesTheFirst() {
        let rules = """
            alert tcp any any -> any any (decode-event:tcp.pkt_too_small; sid:1;)
            alert tcp any any -> any any (decode-event:tcp.pkt_too_small; prefilter; requires: version >= 8; sid:1; rev:2;)
            """
        let set = RuleFileLoader(variables: RuleVariables(), classifications: .suricataDefault, strict: false)
            .load(text: rules)
        #expect(set.rules.map(\.rule.rev) == [2])
    }
}
