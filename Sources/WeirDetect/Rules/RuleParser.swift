// SPDX-License-Identifier: MIT

/// Stage two of rule parsing: turns a ``RuleScanner`` result into a typed ``Rule``.
///
/// Each keyword's value is validated as Suricata validates it; a keyword that Weir recognises but does not
/// type (``KeywordDescriptor/isParsed`` false) becomes a named ``RuleOption/unsupported(name:value:)`` so the
/// rule is reported "not loaded: keyword X not supported" rather than as a syntax error.
public struct RuleParser: Sendable {
    /// Classification names accepted by `classtype`; `nil` accepts any name.
    public var classifications: ClassificationTable?
    /// Whether to compile every pcre with PCRE2 and reject the rule on a compile error, as Suricata does at load.
    public var validatesRegexes = false
    /// The features a `requires: feature …` finds (``RuleRequirements/features``, less those the configuration
    /// turns off).
    public var requirementFeatures = RuleRequirements.features

    /// Makes a parser that checks `classtype` against `classifications` (the bundled table by default).
    public init(classifications: ClassificationTable? = .suricataDefault) {
        self.classifications = classifications
    }

    /// Parses one logical rule (continuation lines joined, no leading `#`).
    ///
    /// - Throws: ``RuleParseError`` with the offset in `text`, the keyword, and a one-line reason.
    public func parse(_ text: Substring) throws(RuleParseError) -> Rule {
        let scanned = try RuleScanner.scan(text)
        // `requires` first, as Suricata's first pass: a rule for another engine is skipped whatever else it holds.
        for option in scanned.options where option.name == "requires" {
            let outcome = RuleRequirements.evaluate(option.value ?? "", features: self.requirementFeatures) { name in
                KeywordRegistry.descriptor(named: name)?.isParsed == true
            }
            switch outcome {
            case .met: continue
            case .invalid(let reason):
                throw RuleParseError(offset: option.valueOffset, keyword: "requires", reason: reason)
            case .unmet(let reason):
                var skipped = RuleParseError(offset: option.valueOffset, keyword: "requires", reason: reason)
                skipped.isUnmetRequirement = true
                throw skipped
            }
        }
        var builder = try RuleBuilder(header: scanned.header)
        builder.validatesRegexes = self.validatesRegexes
        for option in scanned.options {
            try builder.apply(option, classifications: self.classifications)
        }
        return try builder.finish(endOffset: text.utf8.count)
    }

    /// Parses one logical rule from a `String`.
    public func parse(_ text: String) throws(RuleParseError) -> Rule { try self.parse(Substring(text)) }
}

/// The mutable state of stage two: the rule so far, the sticky buffer, and the content being modified.
struct RuleBuilder {
    var rule: Rule
    /// The buffer new matches go to.
    var currentBuffer = BufferID.payload
    /// Whether a sticky buffer other than `pkt_data` is active.
    var stickyActive = false
    /// Transforms given after the current sticky buffer.
    var currentTransforms: [Transform] = []
    /// The current sticky buffer's argument (direction or frame name).
    var currentArgument: String?
    /// Whether transforms were given that no match has used yet (Suricata rejects switching buffers then).
    var transformsPending = false
    /// Whether `pkt_data` was the last buffer keyword.
    var explicitPayload = false
    /// Offset of the option being applied, for errors raised by helpers.
    var currentOptionOffset = 0
    /// The next rule-wide match rank.
    var nextOrder = 0
    /// The section of the most recent content or pcre.
    var lastPatternSection: Int?
    /// Position of the last `content`, for modifiers.
    var lastContent: (section: Int, match: Int)?
    /// `byte_extract`/`byte_math` variables defined so far.
    var variables: Set<String> = []
    var hasSid = false
    var validatesRegexes = false
    var fastPatternSeen = false
    var lastKeyword = ""

    init(header: [RuleScanner.Field]) throws(RuleParseError) {
        let action = try RuleBuilder.parseAction(header[0])
        let proto = try RuleBuilder.parseProtocol(header[1])
        let source = try AddressSpec.parse(header[2].text, offset: header[2].offset)
        let sourcePorts = try PortSpec.parse(header[3].text, offset: header[3].offset)
        guard let direction = RuleDirection(rawValue: String(header[4].text)) else {
            throw RuleParseError(
                offset: header[4].offset,
                reason: "invalid direction '\(header[4].text)', expected '->' or '<>'"
            )
        }
        let destination = try AddressSpec.parse(header[5].text, offset: header[5].offset)
        let destinationPorts = try PortSpec.parse(header[6].text, offset: header[6].offset)
        self.rule = Rule(
            action: action,
            proto: proto,
            source: source,
            sourcePorts: sourcePorts,
            direction: direction,
            destination: destination,
            destinationPorts: destinationPorts
        )
    }

    static func parseAction(_ field: RuleScanner.Field) throws(RuleParseError) -> RuleAction {
        let parts = field.text.lowercased().split(separator: ",", omittingEmptySubsequences: false)
        func one(_ text: Substring) throws(RuleParseError) -> (RuleAction.Kind, String?) {
            let pieces = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let kind = RuleAction.Kind(rawValue: String(pieces[0])) else {
                throw RuleParseError(offset: field.offset, reason: "unknown action '\(field.text)'")
            }
            if pieces.count == 2 {
                guard ["packet", "flow", "hook", "tx"].contains(pieces[1]) else {
                    throw RuleParseError(offset: field.offset, reason: "unknown action scope '\(pieces[1])'")
                }
                return (kind, String(pieces[1]))
            }
            return (kind, nil)
        }
        let (kind, scope) = try one(parts[0])
        var extra: [String] = []
        for part in parts.dropFirst() {
            _ = try one(part)
            extra.append(String(part))
        }
        return RuleAction(kind: kind, scope: scope, extra: extra)
    }

    static func parseProtocol(_ field: RuleScanner.Field) throws(RuleParseError) -> RuleProtocol {
        let lower = field.text.lowercased()
        let pieces = lower.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(pieces[0])
        guard RuleProtocol.known.contains(name) else {
            throw RuleParseError(offset: field.offset, reason: "unknown protocol '\(field.text)'")
        }
        if pieces.count == 2 {
            guard !pieces[1].isEmpty else { throw RuleParseError(offset: field.offset, reason: "empty protocol hook") }
            return RuleProtocol(name: name, hook: String(pieces[1]))
        }
        return RuleProtocol(name: name)
    }

    func error(_ option: RuleScanner.Option, _ reason: String, atValue: Bool = true) -> RuleParseError {
        RuleParseError(
            offset: atValue ? option.valueOffset : option.nameOffset,
            keyword: String(option.name),
            reason: reason
        )
    }

    func requireValue(_ option: RuleScanner.Option) throws(RuleParseError) -> Substring {
        guard let value = option.value, !value.isEmpty else {
            throw self.error(option, "needs a value", atValue: false)
        }
        return value
    }

    func requireNoValue(_ option: RuleScanner.Option) throws(RuleParseError) {
        if option.value != nil { throw self.error(option, "takes no value") }
    }

    // MARK: - Sections

    /// The index of the section for `buffer` with `transforms`, appending one if there is none.
    ///
    /// Suricata keeps one match list per buffer and transform chain, so a buffer named twice continues its
    /// earlier section and relative matches stay relative to the earlier matches of that list.
    mutating func sectionIndex(_ buffer: BufferID, _ transforms: [Transform], argument: String? = nil) -> Int {
        if let index = self.rule.sections.lastIndex(where: {
            $0.buffer == buffer && $0.transforms == transforms && $0.argument == argument
        }) {
            return index
        }
        self.rule.sections.append(BufferSection(buffer: buffer, argument: argument, transforms: transforms))
        return self.rule.sections.count - 1
    }

    /// Appends a match to section `s` with the next rule-wide order.
    mutating func append(_ match: PayloadMatch, toSection s: Int) -> (Int, Int) {
        self.rule.sections[s].matches.append(match)
        self.rule.sections[s].order.append(self.nextOrder)
        self.nextOrder += 1
        if RuleBuilder.isPositional(match) { self.lastPatternSection = s }
        if s == self.currentSectionIfExists() { self.transformsPending = false }
        return (s, self.rule.sections[s].matches.count - 1)
    }

    /// Keywords Suricata's relative lookup considers (content, pcre, byte_*, isdataat).
    static func isPositional(_ match: PayloadMatch) -> Bool {
        switch match {
        case .content, .pcre, .byteTest, .byteJump, .byteExtract, .byteMath, .isdataat: true
        default: false
        }
    }

    /// The current buffer's section, if it has one yet.
    func currentSectionIfExists() -> Int? {
        self.rule.sections.lastIndex(where: {
            $0.buffer == self.currentBuffer && $0.transforms == self.currentTransforms
                && $0.argument == self.currentArgument
        })
    }

    /// Appends a match to the current sticky buffer's section.
    mutating func appendToCurrent(_ match: PayloadMatch) -> (Int, Int) {
        let s = self.sectionIndex(self.currentBuffer, self.currentTransforms, argument: self.currentArgument)
        return self.append(match, toSection: s)
    }

    /// Appends a match to a buffer's section.
    mutating func appendTo(_ buffer: BufferID, _ match: PayloadMatch, transforms: [Transform] = []) -> (Int, Int) {
        self.append(match, toSection: self.sectionIndex(buffer, transforms))
    }

    /// Appends a `byte_*`/`isdataat` match, in the list Suricata would choose.
    ///
    /// Without a sticky buffer, Suricata puts a `relative` one in the list of the last content, pcre, `byte_*`
    /// or `isdataat` (which a legacy modifier may have moved), else in the current buffer. After an explicit
    /// `pkt_data` Weir keeps it in the payload (Suricata would follow the last match into another buffer, which
    /// cannot be what the author of `pkt_data` meant, and no sticky-buffer spelling could say it).
    mutating func appendPositional(_ match: PayloadMatch, relative: Bool) {
        if relative, !self.stickyActive, !self.explicitPayload, let s = self.lastPatternSection {
            _ = self.append(match, toSection: s)
        } else {
            _ = self.appendToCurrent(match)
        }
    }

    /// Starts a sticky buffer (`pkt_data` resets to the payload).
    mutating func startBuffer(_ buffer: BufferID, argument: String? = nil) throws(RuleParseError) {
        if self.transformsPending {
            throw RuleParseError(
                offset: self.currentOptionOffset,
                keyword: buffer.name,
                reason: "previous transforms not consumed by a match before this buffer"
            )
        }
        self.explicitPayload = buffer == .payload
        self.currentBuffer = buffer
        self.currentArgument = argument
        self.currentTransforms = []
        self.stickyActive = buffer != .payload
    }

    func lastContentValue(_ option: RuleScanner.Option) throws(RuleParseError) -> ContentMatch {
        guard let (s, m) = self.lastContent, case .content(let content) = self.rule.sections[s].matches[m] else {
            throw self.error(option, "needs a preceding content", atValue: false)
        }
        return content
    }

    mutating func setLastContent(_ content: ContentMatch) {
        guard let (s, m) = self.lastContent else { return }
        self.rule.sections[s].matches[m] = .content(content)
    }

    /// Moves the last content to `buffer` (legacy `http_*` modifier).
    mutating func moveLastContent(to buffer: BufferID, option: RuleScanner.Option) throws(RuleParseError) {
        let content = try self.lastContentValue(option)
        if self.stickyActive {
            throw self.error(
                option,
                "content modifier used while sticky buffer \(self.currentBuffer) is set; reset it with pkt_data first",
                atValue: false
            )
        }
        guard let (s, m) = self.lastContent else { return }
        if self.rule.sections[s].buffer != .payload {
            throw self.error(option, "content already has buffer \(self.rule.sections[s].buffer)", atValue: false)
        }
        self.rule.sections[s].matches.remove(at: m)
        let rank = self.rule.sections[s].order.remove(at: m)
        if self.rule.sections[s].matches.isEmpty { self.rule.sections.remove(at: s) }
        // The content keeps its rank; it is inserted in rank order and sections stay ordered by first rank.
        let target = self.sectionIndex(buffer, [])
        let at =
            self.rule.sections[target].order.firstIndex(where: { $0 > rank }) ?? self.rule.sections[target].order.count
        self.rule.sections[target].matches.insert(.content(content), at: at)
        self.rule.sections[target].order.insert(rank, at: at)
        let moved = self.rule.sections[target]
        self.rule.sections.sort { ($0.order.first ?? Int.max) < ($1.order.first ?? Int.max) }
        guard
            let newIndex = self.rule.sections.firstIndex(where: {
                $0.buffer == moved.buffer && $0.transforms == moved.transforms && $0.argument == moved.argument
            })
        else { return }
        self.lastContent = (newIndex, at)
        self.lastPatternSection = self.sectionOfLatestPattern()
    }

    /// The section holding the content, pcre, `byte_*` or `isdataat` with the highest rank.
    func sectionOfLatestPattern() -> Int? {
        var best: (section: Int, rank: Int)?
        for (s, section) in self.rule.sections.enumerated() {
            for (m, match) in section.matches.enumerated() {
                switch match {
                case _ where RuleBuilder.isPositional(match):
                    if section.order[m] > (best?.rank ?? -1) { best = (s, section.order[m]) }
                default: break
                }
            }
        }
        return best?.section
    }

    // MARK: - Options

    mutating func apply(_ option: RuleScanner.Option, classifications: ClassificationTable?) throws(RuleParseError) {
        self.currentOptionOffset = option.nameOffset
        // Keywords are ASCII and almost always lowercase already.
        let name =
            option.name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? option.name.lowercased() : String(option.name)
        defer { self.lastKeyword = name }
        guard let descriptor = KeywordRegistry.lookup(name) else {
            throw self.error(option, "unknown rule keyword '\(option.name)'", atValue: false)
        }
        switch descriptor.kind {
        case .stickyBuffer(let canonical):
            var argument: String?
            if let value = option.value {
                if canonical == "frame" {
                    guard !value.isEmpty, value.utf8.allSatisfy(isVariableByte) else {
                        throw self.error(option, "invalid frame name '\(value)'")
                    }
                } else {
                    // Suricata 8: a buffer that exists in both directions may name one.
                    guard value == "to_client" || value == "to_server" else {
                        throw self.error(option, "takes no value, or to_client / to_server")
                    }
                }
                argument = String(value)
            } else if canonical == "frame" {
                throw self.error(option, "needs a frame name", atValue: false)
            }
            try self.startBuffer(BufferID(canonical), argument: argument)
            return
        case .legacyModifier(let canonical):
            try self.requireNoValue(option)
            try self.moveLastContent(to: BufferID(canonical), option: option)
            return
        case .transform:
            try self.applyTransform(name, option: option)
            return
        default:
            break
        }
        if !descriptor.isParsed {
            if descriptor.kind == .payloadMatch {
                _ = self.appendToCurrent(.unsupported(name: descriptor.name, value: option.value.map(String.init)))
            } else {
                self.rule.options.append(.unsupported(name: descriptor.name, value: option.value.map(String.init)))
            }
            return
        }
        try self.applyTyped(descriptor.name, option: option, classifications: classifications)
    }

    mutating func applyTransform(_ name: String, option: RuleScanner.Option) throws(RuleParseError) {
        guard self.stickyActive else {
            throw self.error(option, "transforms must follow a sticky buffer", atValue: false)
        }
        let transform: Transform
        switch name {
        case "dotprefix": transform = .dotprefix
        case "strip_whitespace": transform = .stripWhitespace
        case "compress_whitespace": transform = .compressWhitespace
        case "to_lowercase": transform = .toLowercase
        case "to_uppercase": transform = .toUppercase
        case "to_md5": transform = .toMD5
        case "to_sha1": transform = .toSHA1
        case "to_sha256": transform = .toSHA256
        case "url_decode": transform = .urlDecode
        case "header_lowercase": transform = .headerLowercase
        case "strip_pseudo_headers": transform = .stripPseudoHeaders
        case "domain": transform = .domain
        case "tld": transform = .tld
        case "xor" where option.value?.first != "\"":
            // Suricata 8's variable-key form (`xor:offset 1,extract 1 0`) is recognised but not typed.
            transform = .other(name: "xor", arguments: String(try self.requireValue(option)))
        case "xor":
            let value = try self.requireValue(option)
            let key = try self.unquote(value, option: option)
            guard key.utf8.count % 2 == 0, !key.isEmpty, let bytes = RuleBuilder.hexBytes(key) else {
                throw self.error(option, "xor key must be an even number of hex digits")
            }
            transform = .xor(key: bytes)
        case "pcrexform":
            let value = try self.requireValue(option)
            transform = .pcrexform(pattern: String(try self.unquote(value, option: option)))
        case "from_base64":
            transform = .fromBase64(arguments: option.value.map(String.init))
        default:
            transform = .other(name: name, arguments: option.value.map(String.init))
        }
        switch name {
        case "dotprefix", "strip_whitespace", "compress_whitespace", "to_lowercase", "to_uppercase", "to_md5",
            "to_sha1", "to_sha256", "url_decode", "header_lowercase", "strip_pseudo_headers", "domain", "tld":
            try self.requireNoValue(option)
        default: break
        }
        self.currentTransforms.append(transform)
        self.transformsPending = true
    }

    mutating func applyTyped(_ name: String, option: RuleScanner.Option, classifications: ClassificationTable?)
        throws(RuleParseError)
    {
        switch name {
        case "msg":
            let value = try self.requireValue(option)
            self.rule.message = try self.unescapeText(value, option: option)
        case "sid":
            self.rule.sid = try self.parseUInt32(option, minimum: 1)
            self.hasSid = true
        case "gid": self.rule.gid = try self.parseUInt32(option, minimum: 0)
        case "rev": self.rule.rev = try self.parseUInt32(option, minimum: 0)
        case "priority":
            let value = try self.parseUInt32(option, minimum: 1)
            guard value <= 255 else { throw self.error(option, "priority must be 1-255") }
            self.rule.priority = Int(value)
        case "classtype":
            let value = String(try self.requireValue(option))
            if let classifications, classifications[value] == nil {
                throw self.error(option, "unknown classtype '\(value)'")
            }
            self.rule.classtype = value
        case "reference":
            let value = try self.requireValue(option)
            guard let comma = value.utf8.firstIndex(of: UInt8(ascii: ",")) else {
                throw self.error(option, "expected 'system,id'")
            }
            let system = Substring(value.utf8[..<comma]).trimmingSpaces()
            let id = Substring(value.utf8[value.utf8.index(after: comma)...]).trimmingSpaces()
            guard !system.isEmpty, !id.isEmpty else { throw self.error(option, "expected 'system,id'") }
            self.rule.references.append(RuleReference(system: String(system), id: String(id)))
        case "metadata":
            let value = try self.requireValue(option)
            RuleBuilder.parseMetadata(value, into: &self.rule.metadata)
        case "requires":
            // Evaluated before every other option (RuleParser.parse); a rule that gets here meets it.
            _ = try self.requireValue(option)
        case "target":
            let value = try self.requireValue(option)
            guard let target = RuleTarget(rawValue: String(value)) else {
                throw self.error(option, "expected src_ip or dest_ip")
            }
            self.rule.target = target
        case "content", "uricontent":
            try self.applyContent(option, uri: name == "uricontent")
        case "filename", "fileext":
            try self.applyFileName(option, isExtension: name == "fileext")
        case "nocase", "rawbytes", "startswith", "endswith":
            try self.requireNoValue(option)
            var content = try self.lastContentValue(option)
            switch name {
            case "nocase":
                if content.nocase { throw self.error(option, "content already has nocase", atValue: false) }
                content.nocase = true
            case "rawbytes": content.rawbytes = true
            case "startswith":
                if content.offset != nil || content.depth != nil || content.distance != nil || content.within != nil {
                    throw self.error(
                        option,
                        "startswith cannot be combined with depth, offset, distance or within",
                        atValue: false
                    )
                }
                content.startsWith = true
            default:
                content.endsWith = true
            }
            self.setLastContent(content)
        case "depth", "offset", "distance", "within":
            try self.applyPositionModifier(name, option: option)
        case "fast_pattern":
            try self.applyFastPattern(option)
        case "pcre":
            try self.applyPCRE(option)
        case "byte_test":
            let test = try self.parseByteTest(option)
            self.appendPositional(.byteTest(test), relative: test.relative)
        case "byte_jump":
            let jump = try self.parseByteJump(option)
            self.appendPositional(.byteJump(jump), relative: jump.relative)
        case "byte_extract":
            let extract = try self.parseByteExtract(option)
            self.variables.insert(extract.name)
            self.appendPositional(.byteExtract(extract), relative: extract.relative)
        case "byte_math":
            let math = try self.parseByteMath(option)
            self.variables.insert(math.result)
            self.appendPositional(.byteMath(math), relative: math.relative)
        case "isdataat":
            let isdataat = try self.parseIsDataAt(option)
            self.appendPositional(.isdataat(isdataat), relative: isdataat.relative)
        case "bsize":
            _ = self.appendToCurrent(.bsize(try self.parseInteger(option, maximum: UInt64(UInt32.max))))
        case "absent":
            if let value = option.value {
                guard value == "or_else" else { throw self.error(option, "expected no value or 'or_else'") }
                _ = self.appendToCurrent(.absent(orElse: true))
            } else {
                _ = self.appendToCurrent(.absent(orElse: false))
            }
        case "asn1":
            self.appendPositional(.asn1(try self.parseASN1(option)), relative: false)
        case "base64_decode":
            _ = self.appendToCurrent(try self.parseBase64Decode(option))
        default:
            self.rule.options.append(try self.parseOption(name, option: option))
        }
    }

    /// Splits `key value, key value, lone` into entries, byte-wise (metadata is the longest option of ET rules).
    static func parseMetadata(_ value: Substring, into entries: inout [RuleMetadataEntry]) {
        value.utf8.withContiguousStorageIfAvailable { buffer in
            var start = 0
            let count = buffer.count
            func isBlank(_ b: UInt8) -> Bool { b == 32 || b == 9 }
            // Separators and blanks escaped by an odd run of backslashes stay in the text, so that the printed
            // value never ends in a lone backslash that would escape the closing ';'.
            func isEscaped(_ index: Int) -> Bool {
                var backslashes = 0
                var probe = index - 1
                while probe >= 0, buffer[probe] == UInt8(ascii: "\\") {
                    backslashes += 1
                    probe -= 1
                }
                return backslashes % 2 == 1
            }
            while start <= count {
                var end = start
                while end < count, buffer[end] != UInt8(ascii: ",") || isEscaped(end) { end += 1 }
                var a = start
                var b = end
                while a < b, isBlank(buffer[a]) { a += 1 }
                while b > a, isBlank(buffer[b - 1]), !isEscaped(b - 1) { b -= 1 }
                if a < b {
                    var space = a
                    while space < b, !isBlank(buffer[space]) || isEscaped(space) { space += 1 }
                    var valueStart = space
                    while valueStart < b, isBlank(buffer[valueStart]) { valueStart += 1 }
                    entries.append(
                        RuleMetadataEntry(
                            key: String(decoding: UnsafeBufferPointer(rebasing: buffer[a..<space]), as: UTF8.self),
                            value: String(
                                decoding: UnsafeBufferPointer(rebasing: buffer[valueStart..<b]),
                                as: UTF8.self
                            )
                        )
                    )
                }
                start = end + 1
            }
        }
            ?? {
                // Substrings of native strings are contiguous; this path keeps the function total.
                var copy = String(value)
                copy.makeContiguousUTF8()
                RuleBuilder.parseMetadata(Substring(copy), into: &entries)
            }()
    }

    // MARK: - Content

    mutating func applyContent(_ option: RuleScanner.Option, uri: Bool) throws(RuleParseError) {
        var value = try self.requireValue(option)
        var negated = false
        if value.hasPrefix("!") {
            negated = true
            value = value.dropFirst().trimmingSpaces()
        }
        let inner = try self.unquote(value, option: option, strict: true)
        let bytes = try self.decodeContent(inner, option: option)
        guard !bytes.isEmpty else { throw self.error(option, "content is empty") }
        let match = PayloadMatch.content(ContentMatch(pattern: bytes, isNegated: negated))
        if uri {
            if self.stickyActive {
                throw self.error(
                    option,
                    "uricontent used while sticky buffer \(self.currentBuffer) is set",
                    atValue: false
                )
            }
            self.lastContent = self.appendTo(.httpURI, match)
        } else {
            self.lastContent = self.appendToCurrent(match)
        }
    }

    /// `filename` and `fileext`: a case-insensitive content on `file.name` (for `fileext`, `.ext` at the end of the
    /// name), as Suricata sets them up. Like Suricata they also end any sticky buffer: a content after them is
    /// payload again. The value may be quoted or not; `!` negates it.
    mutating func applyFileName(_ option: RuleScanner.Option, isExtension: Bool) throws(RuleParseError) {
        if self.transformsPending {
            throw self.error(option, "previous transforms not consumed before '\(option.name)'", atValue: false)
        }
        var value = try self.requireValue(option)
        var negated = false
        if value.hasPrefix("!") {
            negated = true
            value = value.dropFirst().trimmingSpaces()
        }
        let inner = value.hasPrefix("\"") ? try self.unquote(value, option: option, strict: true) : value
        var bytes = try self.decodeContent(inner, option: option)
        guard !bytes.isEmpty else { throw self.error(option, "file name is empty") }
        if isExtension { bytes.insert(UInt8(ascii: "."), at: 0) }
        var content = ContentMatch(pattern: bytes, isNegated: negated)
        content.nocase = true
        content.endsWith = isExtension
        self.currentBuffer = .payload
        self.currentArgument = nil
        self.currentTransforms = []
        self.stickyActive = false
        self.explicitPayload = false
        self.lastContent = self.appendTo(.fileName, .content(content))
    }

    /// Decodes content text: `|hex|` runs and the escapes `\;` `\"` `\\` `\:`.
    func decodeContent(_ text: Substring, option: RuleScanner.Option) throws(RuleParseError) -> [UInt8] {
        // Errors point at the offending byte: the offset of `text` inside the value, plus the byte's index.
        let base =
            option.valueOffset + (option.value.map { $0.utf8.distance(from: $0.startIndex, to: text.startIndex) } ?? 0)
        func fail(_ index: Int, _ reason: String) -> RuleParseError {
            RuleParseError(offset: base + index, keyword: String(option.name), reason: reason)
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var inHex = false
        var hexStart = 0
        var escaped = false
        var nibble: UInt8?
        var index = -1
        for byte in text.utf8 {
            index += 1
            if inHex {
                if byte == UInt8(ascii: "|") {
                    if nibble != nil { throw fail(index, "odd number of hex digits in content") }
                    inHex = false
                } else if byte == 32 || byte == 9 {
                    if nibble != nil { throw fail(index, "hex digits must come in pairs in content") }
                } else if let digit = RuleBuilder.hexValue(byte) {
                    if let high = nibble {
                        out.append(high << 4 | digit)
                        nibble = nil
                    } else {
                        nibble = digit
                    }
                } else {
                    throw fail(index, "invalid hex character '\(Character(Unicode.Scalar(byte)))' in content")
                }
                continue
            }
            if escaped {
                guard
                    byte == UInt8(ascii: ";") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                        || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "|")
                else { throw fail(index - 1, "invalid escape '\\\(Character(Unicode.Scalar(byte)))' in content") }
                out.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "|") {
                inHex = true
                hexStart = index
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: ";") {
                throw fail(index, "unescaped '\(Character(Unicode.Scalar(byte)))' in content")
            } else {
                out.append(byte)
            }
        }
        if inHex { throw fail(hexStart, "unterminated hex run (missing '|') in content") }
        if escaped { throw fail(index, "content ends with a lone backslash") }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for byte in text.utf8 {
            guard let digit = hexValue(byte) else { return nil }
            if let h = high {
                out.append(h << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        return high == nil ? out : nil
    }

    mutating func applyPositionModifier(_ name: String, option: RuleScanner.Option) throws(RuleParseError) {
        let value = try self.requireValue(option)
        var content = try self.lastContentValue(option)
        let number = try self.parseIntegerOrVariable(value, option: option, allowNegative: name == "distance")
        if content.startsWith { throw self.error(option, "\(name) cannot be combined with startswith", atValue: false) }
        switch name {
        case "depth", "offset":
            if content.distance != nil || content.within != nil {
                throw self.error(
                    option,
                    "\(name) (absolute) cannot be combined with distance/within (relative)",
                    atValue: false
                )
            }
        default:
            if content.depth != nil || content.offset != nil {
                throw self.error(
                    option,
                    "\(name) (relative) cannot be combined with depth/offset (absolute)",
                    atValue: false
                )
            }
        }
        switch name {
        case "depth":
            if content.depth != nil { throw self.error(option, "content already has a depth", atValue: false) }
            if case .literal(let n) = number {
                guard n > 0 else { throw self.error(option, "depth must be positive") }
                guard n >= content.pattern.count else {
                    throw self.error(option, "depth \(n) is smaller than the content length \(content.pattern.count)")
                }
            }
            content.depth = number
        case "offset":
            if content.offset != nil { throw self.error(option, "content already has an offset", atValue: false) }
            content.offset = number
        case "distance":
            if content.distance != nil { throw self.error(option, "content already has a distance", atValue: false) }
            content.distance = number
        default:
            if content.within != nil { throw self.error(option, "content already has a within", atValue: false) }
            if case .literal(let n) = number, n < content.pattern.count {
                throw self.error(option, "within \(n) is smaller than the content length \(content.pattern.count)")
            }
            content.within = number
        }
        self.setLastContent(content)
    }

    mutating func applyFastPattern(_ option: RuleScanner.Option) throws(RuleParseError) {
        var content = try self.lastContentValue(option)
        if self.fastPatternSeen {
            throw self.error(option, "only one content per rule can be fast_pattern", atValue: false)
        }
        if let value = option.value {
            if value == "only" {
                content.fastPattern = .only
            } else {
                let parts = value.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count == 2, let offset = Int(parts[0].trimmingSpaces()),
                    let length = Int(parts[1].trimmingSpaces()), offset >= 0, length > 0
                else { throw self.error(option, "expected 'only' or 'offset,length'") }
                guard offset + length <= content.pattern.count else {
                    throw self.error(
                        option,
                        "fast_pattern slice \(offset),\(length) is outside the content (\(content.pattern.count) bytes)"
                    )
                }
                content.fastPattern = .chop(offset: offset, length: length)
            }
        } else {
            content.fastPattern = .plain
        }
        self.fastPatternSeen = true
        self.setLastContent(content)
    }

    // MARK: - pcre

    mutating func applyPCRE(_ option: RuleScanner.Option) throws(RuleParseError) {
        var value = try self.requireValue(option)
        var negated = false
        if value.hasPrefix("!") {
            negated = true
            value = value.dropFirst().trimmingSpaces()
        }
        // Suricata also accepts an unquoted /regex/flags.
        let inner = value.first == "/" ? value : try self.unquote(value, option: option)
        guard inner.utf8.first == UInt8(ascii: "/"), let close = inner.utf8.lastIndex(of: UInt8(ascii: "/")),
            close > inner.startIndex
        else {
            throw self.error(option, "pcre must be written /regex/flags")
        }
        var match = PCREMatch(pattern: String(inner[inner.index(after: inner.startIndex)..<close]))
        match.isNegated = negated
        var suffix = inner[inner.index(after: close)...]
        if let comma = suffix.firstIndex(of: ",") {
            let captures = suffix[suffix.index(after: comma)...].trimmingSpaces()
            guard !captures.isEmpty else { throw self.error(option, "empty pcre capture list") }
            match.captures = String(captures)
            suffix = suffix[..<comma]
        }
        for flag in suffix.trimmingSpaces() {
            switch flag {
            case "i": match.flags.insert(.caseless)
            case "s": match.flags.insert(.dotAll)
            case "m": match.flags.insert(.multiline)
            case "x": match.flags.insert(.extended)
            case "A": match.flags.insert(.anchored)
            case "E": match.flags.insert(.dollarEndOnly)
            case "G": match.flags.insert(.ungreedy)
            case "R": match.flags.insert(.relative)
            case "O": match.flags.insert(.overrideMatchLimit)
            case "B": match.flags.insert(.rawBytes)
            default:
                guard PCREMatch.buffer(forFlag: flag) != nil else {
                    throw self.error(option, "unknown pcre modifier '\(flag)'")
                }
                if let existing = match.bufferFlag, existing != flag {
                    throw self.error(option, "pcre modifier '\(flag)' conflicts with '\(existing)'")
                }
                match.bufferFlag = flag
            }
        }
        if match.pattern.isEmpty { throw self.error(option, "empty pcre") }
        if match.flags.contains(.rawBytes), let flag = match.bufferFlag {
            throw self.error(option, "pcre modifier 'B' is inconsistent with '\(flag)'")
        }
        if match.bufferFlag == "W", !match.flags.contains(.caseless), RuleBuilder.hasUnescapedUppercase(match.pattern) {
            // Suricata: the host buffer is lowercase, so an uppercase host pcre can never match.
            throw self.error(
                option,
                "pcre with 'W' (http.host) has an uppercase character; the host buffer is lowercase"
            )
        }
        if self.validatesRegexes, let failure = PCRECompileCheck.error(pattern: match.pattern, flags: match.flags) {
            // Point at the byte PCRE2 stopped at: value start + quote/negation + slash + PCRE2's offset.
            let patternStart =
                option.value.map { value in
                    value.utf8.distance(from: value.startIndex, to: inner.startIndex) + 1
                } ?? 0
            throw RuleParseError(
                offset: option.valueOffset + patternStart + min(failure.offset, match.pattern.utf8.count),
                keyword: "pcre",
                reason: "PCRE2 compile error: \(failure.message)"
            )
        }
        if let flag = match.bufferFlag, let buffer = PCREMatch.buffer(forFlag: flag) {
            if self.stickyActive {
                // Suricata accepts a letter that names the active sticky buffer's list, and rejects any other
                // (`Q`, the file_data list, is also the list of `http.response_body`).
                let sameList =
                    buffer == self.currentBuffer
                    || (buffer == .fileData && self.currentBuffer == .httpResponseBody)
                guard sameList else {
                    throw self.error(
                        option,
                        "pcre buffer modifier '\(flag)' used while sticky buffer \(self.currentBuffer) is set"
                    )
                }
                _ = self.appendToCurrent(.pcre(match))
                return
            }
            if match.flags.contains(.relative), !self.hasPreviousMatch(in: buffer) {
                throw self.error(option, "pcre /R needs a preceding match in buffer \(buffer)")
            }
            _ = self.appendTo(buffer, .pcre(match))
        } else {
            if match.flags.contains(.relative), !self.stickyActive, !self.explicitPayload,
                !self.hasPreviousMatch(in: self.currentBuffer)
            {
                throw self.error(option, "pcre /R needs a preceding content or pcre in the same buffer")
            }
            _ = self.appendToCurrent(.pcre(match))
        }
    }

    static func hasUnescapedUppercase(_ pattern: String) -> Bool {
        var escaped = false
        for byte in pattern.utf8 {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte >= 65 && byte <= 90 {
                return true
            }
        }
        return false
    }

    // After an explicit `pkt_data`, a pcre /R with no earlier payload match is accepted (relative to the
    // buffer start): the printer needs that spelling for a rule whose anchor content a legacy modifier moved.
    func hasPreviousMatch(in buffer: BufferID, transforms: [Transform] = []) -> Bool {
        guard let section = self.rule.sections.last(where: { $0.buffer == buffer && $0.transforms == transforms })
        else {
            return false
        }
        return section.matches.contains { match in
            switch match {
            case .content, .pcre: true
            default: false
            }
        }
    }

    // MARK: - byte_* and friends

    func arguments(_ option: RuleScanner.Option) throws(RuleParseError) -> [Substring] {
        let value = try self.requireValue(option)
        return value.splitTrimmed(UInt8(ascii: ","))
    }

    func parseIntegerOrVariable(_ text: Substring, option: RuleScanner.Option, allowNegative: Bool = false)
        throws(RuleParseError) -> IntegerOrVariable
    {
        let trimmed = text.trimmingSpaces()
        if let number = RuleBuilder.parseSigned(trimmed) {
            guard allowNegative || number >= 0 else { throw self.error(option, "value must not be negative") }
            return .literal(number)
        }
        let name = String(trimmed)
        guard self.variables.contains(name) else {
            throw self.error(option, "'\(trimmed)' is neither a number nor a byte_extract/byte_math variable")
        }
        return .variable(name)
    }

    static func parseSigned(_ text: Substring) -> Int64? {
        if text.hasPrefix("-") {
            return IntegerMatch.parseUnsigned(text.dropFirst()).flatMap { $0 <= UInt64(Int64.max) ? -Int64($0) : nil }
        }
        if text.hasPrefix("+") {
            return IntegerMatch.parseUnsigned(text.dropFirst()).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil }
        }
        return IntegerMatch.parseUnsigned(text).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil }
    }

    func parseCount(_ text: Substring, option: RuleScanner.Option, maximum: Int, allowZero: Bool = false)
        throws(RuleParseError) -> IntegerOrVariable
    {
        if let first = text.utf8.first, !(first >= 48 && first <= 57), self.variables.contains(String(text)) {
            return .variable(String(text))
        }
        guard let n = Int(text), n >= (allowZero ? 0 : 1), n <= maximum else {
            throw self.error(
                option,
                "byte count '\(text)' must be \(allowZero ? 0 : 1)-\(maximum) or a byte_extract/byte_math variable"
            )
        }
        return .literal(Int64(n))
    }

    /// Applies a shared `byte_*` flag; returns false if `word` is not one.
    func applyFormatWord(
        _ word: Substring,
        _ format: inout ByteFormat,
        _ relative: inout Bool,
        _ bitmask: inout UInt64?,
        option: RuleScanner.Option
    ) throws(RuleParseError) -> Bool {
        switch word {
        case "relative": relative = true
        case "big": format.endian = .big
        case "little": format.endian = .little
        case "dce": format.endian = .dce
        case "string": if format.stringBase == nil { format.stringBase = .dec }
        case "hex": format.stringBase = .hex
        case "dec": format.stringBase = .dec
        case "oct": format.stringBase = .oct
        default:
            if word.hasPrefix("bitmask") {
                let text = word.dropFirst("bitmask".count).trimmingSpaces()
                guard let mask = IntegerMatch.parseUnsigned(text), mask != 0 else {
                    throw self.error(option, "invalid bitmask '\(text)'")
                }
                bitmask = mask
                return true
            }
            return false
        }
        return true
    }

    func parseByteTest(_ option: RuleScanner.Option) throws(RuleParseError) -> ByteTest {
        let args = try self.arguments(option)
        guard args.count >= 4 else { throw self.error(option, "expected count, operator, value, offset") }
        var opText = args[1]
        var negated = false
        if opText.hasPrefix("!") {
            negated = true
            opText = opText.dropFirst().trimmingSpaces()
        }
        if opText.isEmpty && negated { opText = "=" }
        guard let op = ByteTest.Operator(rawValue: String(opText)) else {
            throw self.error(option, "invalid byte_test operator '\(args[1])'")
        }
        var format = ByteFormat()
        var relative = false
        var bitmask: UInt64?
        for word in args.dropFirst(4) {
            guard try self.applyFormatWord(word, &format, &relative, &bitmask, option: option) else {
                throw self.error(option, "unknown byte_test option '\(word)'")
            }
        }
        // Suricata accepts 0 with `string`: the whole remaining number is read.
        let count = try self.parseCount(
            args[0],
            option: option,
            maximum: format.stringBase == nil ? 8 : 23,
            allowZero: format.stringBase != nil
        )
        return ByteTest(
            count: count,
            isNegated: negated,
            op: op,
            value: try self.parseIntegerOrVariable(args[2], option: option),
            offset: try self.parseIntegerOrVariable(args[3], option: option, allowNegative: true),
            relative: relative,
            format: format,
            bitmask: bitmask
        )
    }

    func parseByteJump(_ option: RuleScanner.Option) throws(RuleParseError) -> ByteJump {
        let args = try self.arguments(option)
        guard args.count >= 2 else { throw self.error(option, "expected count, offset") }
        var jump = ByteJump(
            count: .literal(0),
            offset: try self.parseIntegerOrVariable(args[1], option: option, allowNegative: true),
            relative: false,
            multiplier: nil,
            format: ByteFormat(),
            align: false,
            fromBeginning: false,
            fromEnd: false,
            postOffset: nil,
            bitmask: nil
        )
        for word in args.dropFirst(2) {
            if try self.applyFormatWord(word, &jump.format, &jump.relative, &jump.bitmask, option: option) { continue }
            switch word {
            case "align": jump.align = true
            case "from_beginning": jump.fromBeginning = true
            case "from_end": jump.fromEnd = true
            default:
                if word.hasPrefix("multiplier") {
                    guard let n = Int(word.dropFirst("multiplier".count).trimmingSpaces()), n > 0 else {
                        throw self.error(option, "invalid multiplier in '\(word)'")
                    }
                    jump.multiplier = n
                } else if word.hasPrefix("post_offset") {
                    guard let n = Int(word.dropFirst("post_offset".count).trimmingSpaces()) else {
                        throw self.error(option, "invalid post_offset in '\(word)'")
                    }
                    jump.postOffset = n
                } else {
                    throw self.error(option, "unknown byte_jump option '\(word)'")
                }
            }
        }
        if jump.fromBeginning && jump.fromEnd { throw self.error(option, "from_beginning and from_end are exclusive") }
        // A zero count reads nothing and only applies post_offset (used by ET rules).
        jump.count = try self.parseCount(
            args[0],
            option: option,
            maximum: jump.format.stringBase == nil ? 8 : 23,
            allowZero: true
        )
        return jump
    }

    func parseByteExtract(_ option: RuleScanner.Option) throws(RuleParseError) -> ByteExtract {
        let args = try self.arguments(option)
        guard args.count >= 3 else { throw self.error(option, "expected count, offset, name") }
        guard let offset = Int(args[1]) else { throw self.error(option, "invalid offset '\(args[1])'") }
        let name = String(args[2])
        guard let first = name.utf8.first, !(first >= 48 && first <= 57), name.utf8.allSatisfy(isVariableByte) else {
            throw self.error(option, "invalid variable name '\(name)'")
        }
        var extract = ByteExtract(
            count: 0,
            offset: offset,
            name: name,
            relative: false,
            multiplier: nil,
            format: ByteFormat(),
            align: nil,
            bitmask: nil
        )
        for word in args.dropFirst(3) {
            if try self.applyFormatWord(word, &extract.format, &extract.relative, &extract.bitmask, option: option) {
                continue
            }
            if word.hasPrefix("multiplier") {
                guard let n = Int(word.dropFirst("multiplier".count).trimmingSpaces()), n > 0 else {
                    throw self.error(option, "invalid multiplier in '\(word)'")
                }
                extract.multiplier = n
            } else if word.hasPrefix("align") {
                guard let n = Int(word.dropFirst("align".count).trimmingSpaces()), n == 2 || n == 4 else {
                    throw self.error(option, "align must be 2 or 4")
                }
                extract.align = n
            } else {
                throw self.error(option, "unknown byte_extract option '\(word)'")
            }
        }
        guard let n = Int(args[0]), n >= 1, n <= (extract.format.stringBase == nil ? 8 : 23) else {
            throw self.error(option, "byte count '\(args[0])' must be 1-\(extract.format.stringBase == nil ? 8 : 23)")
        }
        extract.count = n
        return extract
    }

    func parseByteMath(_ option: RuleScanner.Option) throws(RuleParseError) -> ByteMath {
        let args = try self.arguments(option)
        var count: IntegerOrVariable?
        var offset: Int?
        var op: ByteMath.Operator?
        var rvalue: IntegerOrVariable?
        var result: String?
        var format = ByteFormat()
        var relative = false
        var bitmask: UInt64?
        for word in args {
            let pieces = word.split(separator: " ", maxSplits: 1)
            let key = pieces.first ?? ""
            let rest = pieces.count > 1 ? pieces[1].trimmingSpaces() : ""
            switch key {
            case "bytes": count = try self.parseCount(rest, option: option, maximum: 10)
            case "offset":
                guard let n = Int(rest) else { throw self.error(option, "invalid offset '\(rest)'") }
                offset = n
            case "oper":
                guard let o = ByteMath.Operator(rawValue: String(rest)) else {
                    throw self.error(option, "invalid operator '\(rest)'")
                }
                op = o
            case "rvalue": rvalue = try self.parseIntegerOrVariable(rest, option: option)
            case "result":
                guard !rest.isEmpty, rest.utf8.allSatisfy(isVariableByte) else {
                    throw self.error(option, "invalid result name '\(rest)'")
                }
                result = String(rest)
            case "endian":
                guard let e = ByteFormat.Endian(rawValue: String(rest)) else {
                    throw self.error(option, "invalid endian '\(rest)'")
                }
                format.endian = e
            case "string":
                guard let b = ByteFormat.Base(rawValue: String(rest)) else {
                    throw self.error(option, "invalid string base '\(rest)'")
                }
                format.stringBase = b
            default:
                guard try self.applyFormatWord(word, &format, &relative, &bitmask, option: option) else {
                    throw self.error(option, "unknown byte_math option '\(word)'")
                }
            }
        }
        guard let count, let offset, let op, let rvalue, let result else {
            throw self.error(option, "byte_math needs bytes, offset, oper, rvalue and result")
        }
        return ByteMath(
            count: count,
            offset: offset,
            op: op,
            rvalue: rvalue,
            result: result,
            relative: relative,
            format: format,
            bitmask: bitmask
        )
    }

    func parseIsDataAt(_ option: RuleScanner.Option) throws(RuleParseError) -> IsDataAt {
        let args = try self.arguments(option)
        var first = args[0]
        var negated = false
        if first.hasPrefix("!") {
            negated = true
            first = first.dropFirst().trimmingSpaces()
        }
        var result = IsDataAt(
            position: try self.parseIntegerOrVariable(first, option: option),
            isNegated: negated,
            relative: false,
            rawbytes: false
        )
        for word in args.dropFirst() {
            switch word {
            case "relative": result.relative = true
            case "rawbytes": result.rawbytes = true
            default: throw self.error(option, "unknown isdataat option '\(word)'")
            }
        }
        return result
    }

    func parseASN1(_ option: RuleScanner.Option) throws(RuleParseError) -> ASN1Check {
        var check = ASN1Check()
        for word in try self.arguments(option) {
            let pieces = word.split(separator: " ", maxSplits: 1)
            let rest = pieces.count > 1 ? pieces[1].trimmingSpaces() : ""
            switch pieces.first ?? "" {
            case "bitstring_overflow": check.bitstringOverflow = true
            case "double_overflow": check.doubleOverflow = true
            case "oversize_length":
                guard let n = UInt32(rest) else { throw self.error(option, "invalid oversize_length '\(rest)'") }
                check.oversizeLength = n
            case "absolute_offset":
                guard let n = UInt32(rest) else { throw self.error(option, "invalid absolute_offset '\(rest)'") }
                check.absoluteOffset = n
            case "relative_offset":
                guard let n = Int32(rest) else { throw self.error(option, "invalid relative_offset '\(rest)'") }
                check.relativeOffset = n
            default: throw self.error(option, "unknown asn1 option '\(word)'")
            }
        }
        if check.absoluteOffset != nil && check.relativeOffset != nil {
            throw self.error(option, "absolute_offset and relative_offset are exclusive")
        }
        if !check.bitstringOverflow && !check.doubleOverflow && check.oversizeLength == nil {
            throw self.error(option, "asn1 needs bitstring_overflow, double_overflow or oversize_length")
        }
        return check
    }

    func parseBase64Decode(_ option: RuleScanner.Option) throws(RuleParseError) -> PayloadMatch {
        var bytes: Int?
        var offset: Int?
        var relative = false
        if let value = option.value {
            for word in value.split(separator: ",").map({ $0.trimmingSpaces() }) {
                let pieces = word.split(separator: " ", maxSplits: 1)
                let rest = pieces.count > 1 ? pieces[1].trimmingSpaces() : ""
                switch pieces.first ?? "" {
                case "bytes":
                    guard let n = Int(rest), n > 0 else { throw self.error(option, "invalid bytes '\(rest)'") }
                    bytes = n
                case "offset":
                    guard let n = Int(rest), n >= 0 else { throw self.error(option, "invalid offset '\(rest)'") }
                    offset = n
                case "relative": relative = true
                default: throw self.error(option, "unknown base64_decode option '\(word)'")
                }
            }
        }
        return .base64Decode(bytes: bytes, offset: offset, relative: relative)
    }

    func parseInteger(_ option: RuleScanner.Option, maximum: UInt64) throws(RuleParseError) -> IntegerMatch {
        let value = try self.requireValue(option)
        switch IntegerMatch.parse(value, maximum: maximum) {
        case .success(let match): return match
        case .failure(let failure): throw self.error(option, failure.reason)
        }
    }

    func parseUInt32(_ option: RuleScanner.Option, minimum: UInt32) throws(RuleParseError) -> UInt32 {
        let value = try self.requireValue(option)
        guard let n = UInt32(value), n >= minimum else { throw self.error(option, "'\(value)' is not a valid number") }
        return n
    }

    /// Strips surrounding double quotes (required).
    ///
    /// With `strict`, a quote before the end is reported as a missing `;` (content); pcre values may hold
    /// bare quotes, as Suricata takes everything between the first and the last quote.
    func unquote(_ value: Substring, option: RuleScanner.Option, strict: Bool = false) throws(RuleParseError)
        -> Substring
    {
        let view = value.utf8
        let quote = UInt8(ascii: "\"")
        guard view.count >= 2, view.first == quote else {
            throw self.error(option, "value must be enclosed in double quotes")
        }
        let innerStart = view.index(after: view.startIndex)
        let last = view.index(before: view.endIndex)
        if strict {
            // A closing quote before the end means a missing ';' (or a stray quote).
            var escaped = false
            var index = innerStart
            while index < last {
                let byte = view[index]
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == quote {
                    let garbage = Substring(view[view.index(after: index)...]).trimmingSpaces()
                    let offset = option.valueOffset + view.distance(from: view.startIndex, to: garbage.startIndex)
                    throw RuleParseError(
                        offset: offset,
                        keyword: String(option.name),
                        reason: "unexpected '\(garbage.prefix(40))' after the closing quote (missing ';'?)"
                    )
                }
                index = view.index(after: index)
            }
        }
        guard view[last] == quote else { throw self.error(option, "value must be enclosed in double quotes") }
        return Substring(view[innerStart..<last])
    }

    /// Unescapes a quoted or bare text value (`msg`): `\;` `\"` `\\` and other backslashes kept.
    func unescapeText(_ value: Substring, option: RuleScanner.Option) throws(RuleParseError) -> String {
        var text = value.utf8[...]
        if text.first == UInt8(ascii: "\"") {
            guard text.count >= 2, text.last == UInt8(ascii: "\"") else {
                throw self.error(option, "unterminated quoted value")
            }
            text = text.dropFirst().dropLast()
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var escaped = false
        for byte in text {
            if escaped {
                out.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                throw self.error(option, "unescaped '\"' inside quoted value")
            } else {
                out.append(byte)
            }
        }
        if escaped { out.append(UInt8(ascii: "\\")) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Finish

    func finish(endOffset: Int) throws(RuleParseError) -> Rule {
        guard self.hasSid else { throw RuleParseError(offset: endOffset, keyword: "sid", reason: "rule has no sid") }
        return self.rule
    }
}
