// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// Issue 15, point 4: nesting and alias expansion are bounded before the YAML becomes a tree, so a hostile
/// configuration is an error with file, line and column instead of a stack overflow or unbounded memory.
@Suite struct BoundsTests {
    static let deepFlowList = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
    static var deepBlockMapping: String {
        var text = ""
        for level in 0..<3_000 { text += String(repeating: " ", count: level) + "k\(level):\n" }
        return text + String(repeating: " ", count: 3_000) + "leaf\n"
    }
    static let aliasBomb = """
        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
        g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
        h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
        i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
        """

    @Test func deepListIsAnErrorWithLocation() throws {
        let error = try #require(loadError("vars: " + Self.deepFlowList + "\n"))
        #expect(error.code == .syntax)
        #expect(error.description.hasPrefix("test.yaml:1:70: YAML nested more than 64 levels deep"), "\(error)")
    }

    @Test func deepBlockMappingIsAnErrorWithLocation() throws {
        let error = try #require(loadError(Self.deepBlockMapping))
        #expect(error.line == 65 && error.column == 65, "\(error)")
        #expect(error.message.contains("nested more than 64 levels"))
    }

    @Test func aliasBombIsStoppedWhereItPassesTheLimit() throws {
        let error = try #require(loadError(Self.aliasBomb))
        #expect(error.message.contains("aliases expand to more than 1000000 nodes"), "\(error)")
        #expect(error.line == 7, "\(error)")
        #expect(YAMLBounds.check(Self.aliasBomb, maxExpandedNodes: 100_000_000)?.line == 9)
    }

    @Test func ordinaryAliasesAndNestingStillLoad() throws {
        #expect(YAMLBounds.check(Self.aliasBomb.split(separator: "\n").prefix(4).joined(separator: "\n")) == nil)
        let nested = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(YAMLBounds.check(nested) == nil)
        #expect(YAMLBounds.check("[" + nested + "]")?.column == 65)
        let loaded = try ConfigLoader.load(
            yaml: "vars:\n  address-groups: &groups\n    HOME_NET: \"[10.0.0.0/8]\"\n", file: "ok.yaml")
        #expect(loaded.warnings.isEmpty)
        // Not YAML: left to the parser, which reports its own error.
        #expect(YAMLBounds.check("a: [b\n") == nil)
    }

    @Test func includedFilesAndOverridesAreBoundedToo() throws {
        let dir = try Fixtures.folder([
            "main.yaml": "include: deep.yaml\n",
            "deep.yaml": "vars: " + Self.deepFlowList + "\n",
        ])
        let included = try #require(loadFileError(dir + "/main.yaml"))
        #expect(included.file == dir + "/deep.yaml" && included.line == 1 && included.column == 70, "\(included)")
        let override = try #require(loadError("", overrides: ["logging.outputs=" + Self.deepFlowList]))
        #expect(override.code == .badOverride)
        #expect(override.message.contains("nested more than 64 levels"), "\(override)")
        let bomb = Self.aliasBomb.replacingOccurrences(of: "\n", with: ", ").replacingOccurrences(of: "a: &a", with: "{a: &a")
        let overrideBomb = try #require(loadError("", overrides: ["logging.outputs=" + bomb + "}"]))
        #expect(overrideBomb.message.contains("aliases expand"), "\(overrideBomb)")
    }
}
