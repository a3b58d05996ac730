// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

/// `filename` and `fileext` are set up as Suricata sets them up: a case-insensitive content on `file.name` (for
/// `fileext` a `.ext` that ends the name), negated by `!`, ending any sticky buffer.
@Suite struct FileKeywordParseTests {
    let parser = RuleParser()

    func rule(_ options: String) throws -> Rule {
        try self.parser.parse("alert http any any -> any any (\(options) sid:1;)")
    }

    func content(_ rule: Rule, buffer: BufferID) -> ContentMatch? {
        for section in rule.sections where section.buffer == buffer {
            for match in section.matches { if case .content(let c) = match { return c } }
        }
        return nil
    }

    @Test func filenameIsNocaseContentOnFileName() throws {
        let r = try self.rule(#"filename:"Report.PDF";"#)
        let c = try #require(self.content(r, buffer: .fileName))
        #expect(c.pattern == Array("Report.PDF".utf8) && c.nocase && !c.endsWith && !c.isNegated)
        // Unquoted values work too (quotes are optional), and `!` negates.
        let n = try #require(self.content(try self.rule("filename:!a.exe;"), buffer: .fileName))
        #expect(n.pattern == Array("a.exe".utf8) && n.isNegated && n.nocase)
    }

    @Test func fileextIsDottedEndswith() throws {
        let c = try #require(self.content(try self.rule(#"fileext:"pdf";"#), buffer: .fileName))
        #expect(c.pattern == Array(".pdf".utf8) && c.nocase && c.endsWith && !c.isNegated)
        let n = try #require(self.content(try self.rule(#"fileext:!"doc";"#), buffer: .fileName))
        #expect(n.pattern == Array(".doc".utf8) && n.isNegated && n.endsWith)
    }

    @Test func filenameEndsTheStickyBuffer() throws {
        // The content after `filename` is payload again, not file.data.
        let r = try self.rule(#"file.data; content:"x"; filename:"a"; content:"y";"#)
        #expect(self.content(r, buffer: .payload)?.pattern == Array("y".utf8))
        #expect(self.content(r, buffer: BufferID("file.data"))?.pattern == Array("x".utf8))
        // A second nocase on it is refused, as on any nocase content.
        #expect(throws: RuleParseError.self) { try self.rule(#"filename:"a"; nocase;"#) }
        // Pending transforms are refused, as Suricata refuses them.
        #expect(throws: RuleParseError.self) { try self.rule(#"file.data; to_lowercase; filename:"a";"#) }
        #expect(throws: RuleParseError.self) { try self.rule(#"filename:"";"#) }
    }

    @Test func filesizeAndHashOptions() throws {
        let r = try self.rule("filesize:>1000; filesha256:! lists/bad.sha256;")
        #expect(r.options.first == .filesize(IntegerMatch(.greater, 1000)))
        guard case .fileHash(let hash)? = r.options.last else {
            Issue.record("no filesha256 option: \(r.options)")
            return
        }
        #expect(hash.kind == .sha256 && hash.isNegated && hash.list == "lists/bad.sha256" && hash.hashes == nil)
        #expect(throws: RuleParseError.self) { try self.rule("filemd5:;") }
        #expect(throws: RuleParseError.self) { try self.rule("filesize:big;") }
    }

    @Test func hashListLinesAreReadAsSuricataReadsThem() {
        let text = "# comment\n\nABCDEF0123456789abcdef0123456789 trailing words\nabc\nzz\n"
        let (hashes, bad) = FileHashMatch.parseList(Array(text.utf8), kind: .md5)
        #expect(hashes == ["abcdef0123456789abcdef0123456789"])
        // "abc" is a hex run of the wrong length (line 4); "zz" and the comment start with no hex digit.
        #expect(bad.map(\.line) == [4])
    }

    @Test func keywordsAreListedAsMatched() {
        for name in ["file.name", "filename", "fileext", "filesize", "filemd5", "filesha1", "filesha256"] {
            #expect(KeywordRegistry.descriptor(named: name)?.isMatched == true, "\(name)")
        }
    }
}
