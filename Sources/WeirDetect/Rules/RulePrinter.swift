// SPDX-License-Identifier: MIT

/// Writes a ``Rule`` in canonical Suricata syntax.
///
/// Dotted sticky buffers replace legacy modifiers, each keyword has one spelling, and metadata comes last.
/// Parsing the output gives a rule equal to the input.
public enum RulePrinter {
    /// The canonical text of `rule`.
    public static func canonicalText(_ rule: Rule) -> String {
        var out = "\(rule.action.name) \(rule.proto.name)"
        if let hook = rule.proto.hook { out += ":" + hook }
        out +=
            " \(rule.source) \(rule.sourcePorts) \(rule.direction.rawValue) \(rule.destination) \(rule.destinationPorts) ("
        var parts: [String] = []
        parts.append("msg:\"\(escapeText(rule.message))\"")
        for option in rule.options { parts.append(optionText(option)) }
        // Matches are written in rule order, switching buffers as needed, so that variables are defined before
        // use and relative keywords follow the match they are relative to.
        var ranked: [(rank: Int, section: Int, match: Int)] = []
        for (s, section) in rule.sections.enumerated() {
            for (m, rank) in section.order.enumerated() where m < section.matches.count { ranked.append((rank, s, m)) }
        }
        ranked.sort { $0.rank < $1.rank }
        var current: Int?
        for item in ranked {
            let section = rule.sections[item.section]
            if current != item.section {
                if section.buffer != .payload || current != nil {
                    parts.append(section.buffer.name + (section.argument.map { ":" + $0 } ?? ""))
                }
                for transform in section.transforms { parts.append(transformText(transform)) }
                current = item.section
            }
            parts.append(contentsOf: matchText(section.matches[item.match]))
        }
        if let classtype = rule.classtype { parts.append("classtype:\(classtype)") }
        for reference in rule.references { parts.append("reference:\(reference.system),\(reference.id)") }
        if !rule.metadata.isEmpty {
            parts.append(
                "metadata:"
                    + rule.metadata.map { $0.value.isEmpty ? $0.key : "\($0.key) \($0.value)" }.joined(separator: ", ")
            )
        }
        if let target = rule.target { parts.append("target:\(target.rawValue)") }
        if let priority = rule.priority { parts.append("priority:\(priority)") }
        parts.append("sid:\(rule.sid)")
        if rule.gid != 1 { parts.append("gid:\(rule.gid)") }
        parts.append("rev:\(rule.rev)")
        out += parts.joined(separator: "; ") + ";)"
        return out
    }

    /// Escapes `\\`, `"` and `;` for a quoted text value. By Unicode scalar, not by Character: a combining
    /// mark after a backslash makes one Character of the two, which compared unequal to `\\` and left the
    /// backslash unescaped (found by the rule-parser fuzz target).
    static func escapeText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\\" || scalar == "\"" || scalar == ";" { out.append("\\") }
            out.append(scalar)
        }
        return String(out)
    }

    /// Content bytes as Suricata text: printable ASCII as is, everything else (and `"` `;` `\` `|` `:`) in hex.
    static func contentText(_ bytes: [UInt8]) -> String {
        var out = ""
        var inHex = false
        let hex = Array("0123456789ABCDEF")
        for byte in bytes {
            let plain =
                byte >= 0x20 && byte < 0x7f && byte != 0x22 && byte != 0x3b && byte != 0x5c && byte != 0x7c
                && byte != 0x3a
            if plain {
                if inHex { out.append("|"); inHex = false }
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                if inHex { out.append(" ") } else { out.append("|"); inHex = true }
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        }
        if inHex { out.append("|") }
        return out
    }

    static func formatWords(_ format: ByteFormat) -> [String] {
        var words: [String] = []
        if let endian = format.endian { words.append(endian.rawValue) }
        if let base = format.stringBase { words.append("string"); words.append(base.rawValue) }
        return words
    }

    static func matchText(_ match: PayloadMatch) -> [String] {
        switch match {
        case .content(let c):
            var parts = ["content:\(c.isNegated ? "!" : "")\"\(contentText(c.pattern))\""]
            if c.nocase { parts.append("nocase") }
            if let v = c.offset { parts.append("offset:\(v)") }
            if let v = c.depth { parts.append("depth:\(v)") }
            if let v = c.distance { parts.append("distance:\(v)") }
            if let v = c.within { parts.append("within:\(v)") }
            if c.startsWith { parts.append("startswith") }
            if c.endsWith { parts.append("endswith") }
            if c.rawbytes { parts.append("rawbytes") }
            switch c.fastPattern {
            case .none: break
            case .plain: parts.append("fast_pattern")
            case .only: parts.append("fast_pattern:only")
            case .chop(let offset, let length): parts.append("fast_pattern:\(offset),\(length)")
            }
            return parts
        case .pcre(let p):
            var flags = ""
            let letters: [(PCREMatch.Flags, Character)] = [
                (.caseless, "i"), (.dotAll, "s"), (.multiline, "m"), (.extended, "x"), (.anchored, "A"),
                (.dollarEndOnly, "E"), (.ungreedy, "G"), (.relative, "R"), (.overrideMatchLimit, "O"), (.rawBytes, "B"),
            ]
            for (flag, letter) in letters where p.flags.contains(flag) { flags.append(letter) }
            if let b = p.bufferFlag { flags.append(b) }
            var text = "pcre:\(p.isNegated ? "!" : "")\"/\(p.pattern)/\(flags)"
            if let captures = p.captures { text += ", " + captures }
            return [text + "\""]
        case .byteTest(let t):
            var words = ["\(t.count)", (t.isNegated ? "!" : "") + t.op.rawValue, "\(t.value)", "\(t.offset)"]
            if t.relative { words.append("relative") }
            words += formatWords(t.format)
            if let mask = t.bitmask { words.append("bitmask 0x" + String(mask, radix: 16)) }
            return ["byte_test:" + words.joined(separator: ",")]
        case .byteJump(let j):
            var words = ["\(j.count)", "\(j.offset)"]
            if j.relative { words.append("relative") }
            if let m = j.multiplier { words.append("multiplier \(m)") }
            words += formatWords(j.format)
            if j.align { words.append("align") }
            if j.fromBeginning { words.append("from_beginning") }
            if j.fromEnd { words.append("from_end") }
            if let p = j.postOffset { words.append("post_offset \(p)") }
            if let mask = j.bitmask { words.append("bitmask 0x" + String(mask, radix: 16)) }
            return ["byte_jump:" + words.joined(separator: ",")]
        case .byteExtract(let e):
            var words = ["\(e.count)", "\(e.offset)", e.name]
            if e.relative { words.append("relative") }
            if let m = e.multiplier { words.append("multiplier \(m)") }
            words += formatWords(e.format)
            if let a = e.align { words.append("align \(a)") }
            if let mask = e.bitmask { words.append("bitmask 0x" + String(mask, radix: 16)) }
            return ["byte_extract:" + words.joined(separator: ",")]
        case .byteMath(let m):
            var words = [
                "bytes \(m.count)", "offset \(m.offset)", "oper \(m.op.rawValue)", "rvalue \(m.rvalue)",
                "result \(m.result)",
            ]
            if m.relative { words.append("relative") }
            if let e = m.format.endian { words.append("endian \(e.rawValue)") }
            if let b = m.format.stringBase { words.append("string \(b.rawValue)") }
            if let mask = m.bitmask { words.append("bitmask 0x" + String(mask, radix: 16)) }
            return ["byte_math:" + words.joined(separator: ",")]
        case .isdataat(let i):
            var words = [(i.isNegated ? "!" : "") + "\(i.position)"]
            if i.relative { words.append("relative") }
            if i.rawbytes { words.append("rawbytes") }
            return ["isdataat:" + words.joined(separator: ",")]
        case .bsize(let m): return ["bsize:\(m)"]
        case .absent(let orElse): return [orElse ? "absent:or_else" : "absent"]
        case .base64Decode(let bytes, let offset, let relative):
            var words: [String] = []
            if let b = bytes { words.append("bytes \(b)") }
            if let o = offset { words.append("offset \(o)") }
            if relative { words.append("relative") }
            return [words.isEmpty ? "base64_decode" : "base64_decode:" + words.joined(separator: ",")]
        case .asn1(let a):
            var words: [String] = []
            if a.bitstringOverflow { words.append("bitstring_overflow") }
            if a.doubleOverflow { words.append("double_overflow") }
            if let n = a.oversizeLength { words.append("oversize_length \(n)") }
            if let n = a.absoluteOffset { words.append("absolute_offset \(n)") }
            if let n = a.relativeOffset { words.append("relative_offset \(n)") }
            return ["asn1:" + words.joined(separator: ",")]
        case .unsupported(let name, let value): return [value.map { "\(name):\($0)" } ?? name]
        }
    }

    static func transformText(_ transform: Transform) -> String {
        switch transform {
        case .xor(let key):
            return "xor:\""
                + key.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                .joined() + "\""
        case .pcrexform(let pattern): return "pcrexform:\"\(pattern)\""
        case .fromBase64(let args): return args.map { "from_base64:\($0)" } ?? "from_base64"
        case .other(let name, let args): return args.map { "\(name):\($0)" } ?? name
        default: return transform.keyword
        }
    }

    static func optionText(_ option: RuleOption) -> String {
        switch option {
        case .flow(let flow):
            return "flow:" + FlowOptions.names.filter { flow.contains($0.1) }.map(\.0).joined(separator: ",")
        case .flowbits(let command): return "flowbits:" + bitsText(command)
        case .xbits(let command, let track, let expire):
            var text = "xbits:" + bitsText(command) + ",track \(track.rawValue)"
            if let expire { text += ",expire \(expire)" }
            return text
        case .flowint(let f):
            var text = "flowint:\(f.name),\(f.op.rawValue)"
            if let value = f.value { text += ",\(value)" }
            return text
        case .threshold(let t):
            var text = "threshold:type \(t.kind.rawValue),track \(t.track.rawValue),count \(t.count)"
            if t.kind != .backoff { text += ",seconds \(t.seconds)" }
            if let m = t.multiplier { text += ",multiplier \(m)" }
            return text
        case .detectionFilter(let t):
            return "detection_filter:track \(t.track.rawValue),count \(t.count),seconds \(t.seconds)"
                + (t.uniqueOn.map { ",unique_on \($0)" } ?? "")
        case .integer(.flowPktsEither, let match): return "flow.pkts:either,\(match)"
        case .integer(.flowBytesEither, let match): return "flow.bytes:either,\(match)"
        case .integer(let keyword, let match): return "\(keyword.rawValue):\(match)"
        case .urilen(let match, let raw): return "urilen:\(match)" + (raw ? ",raw" : "")
        case .tos(let value, let negated): return "tos:\(negated ? "!" : "")\(value)"
        case .tcpFlags(let f):
            var text = "flags:" + f.modifier.rawValue
            if f.flags == 0 { text += "0" }
            for (letter, bit) in TCPFlagsMatch.letters where f.flags & bit != 0 { text.append(letter) }
            if f.ignored != 0 {
                text += ","
                for (letter, bit) in TCPFlagsMatch.letters where f.ignored & bit != 0 { text.append(letter) }
            }
            return text
        case .fragbits(let bits, let modifier):
            var text = "fragbits:" + modifier.rawValue
            if bits & 1 != 0 { text += "M" }
            if bits & 2 != 0 { text += "D" }
            if bits & 4 != 0 { text += "R" }
            return text
        case .fragoffset(let comparison, let value):
            return "fragoffset:" + (comparison == "=" ? "" : String(comparison)) + String(value)
        case .ipopts(let name): return "ipopts:\(name)"
        case .ipProto(let match): return "ip_proto:\(match)"
        case .sameIP: return "sameip"
        case .vlanID(let match): return "vlan.id:\(match)"
        case .noalert: return "noalert"
        case .bypass: return "bypass"
        case .ftpbounce: return "ftpbounce"
        case .filesize(let match): return "filesize:\(match)"
        case .fileHash(let match): return "\(match.kind.keyword):\(match.isNegated ? "!" : "")\(match.list)"
        case .prefilter: return "prefilter"
        case .alert: return "alert"
        case .appLayerProtocol(let name, let negated, let mode):
            return "app-layer-protocol:\(negated ? "!" : "")\(name)" + (mode.map { ",\($0)" } ?? "")
        case .event(let kind, let name): return "\(kind.rawValue):\(name)"
        case .checksum(let layer, let valid): return "\(layer):\(valid ? "valid" : "invalid")"
        case .streamSize(let side, let match):
            let text = match.description
            let opEnd = text.firstIndex(where: { $0.isNumber }) ?? text.startIndex
            let op = text[..<opEnd]
            let mapped = op.isEmpty ? "=" : (op == "!" ? "!=" : String(op))
            return "stream_size:\(side),\(mapped),\(match.value)"
        case .tag(let kind, let count, let metric, let direction):
            var text = "tag:\(kind)"
            if let count, let metric { text += ",\(count),\(metric)" }
            if let direction { text += ",\(direction)" }
            return text
        case .sslState(let states): return "ssl_state:" + states.joined(separator: "|")
        case .sslVersion(let versions): return "ssl_version:" + versions.joined(separator: ",")
        case .tlsVersion(let version): return "tls.version:\(version)"
        case .appLayerCondition(let keyword, let value): return value.isEmpty ? keyword : "\(keyword):\(value)"
        case .unsupported(let name, let value): return value.map { "\(name):\($0)" } ?? name
        }
    }

    static func bitsText(_ command: BitsCommand) -> String {
        if command.operation == .noalert { return "noalert" }
        return "\(command.operation.rawValue),\(command.names.joined(separator: command.requiresAll ? "&" : "|"))"
    }
}
