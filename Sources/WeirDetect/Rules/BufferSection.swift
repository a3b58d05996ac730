// SPDX-License-Identifier: MIT

/// A buffer that payload keywords inspect, named by its canonical Suricata sticky-buffer name.
///
/// `pkt_data` (the packet payload / reassembled stream) is ``payload``. Legacy spellings (`http_uri`,
/// `dns_query`, `file_data`) are mapped to the canonical name by the parser through ``KeywordRegistry``.
public struct BufferID: Sendable, Hashable, CustomStringConvertible {
    /// Canonical name (`http.uri`, `dns.query`, `pkt_data`).
    public var name: String

    /// Makes a buffer id from its canonical name.
    public init(_ name: String) { self.name = name }

    /// The packet payload (or reassembled stream), the default buffer.
    public static let payload = BufferID("pkt_data")
    /// `http.uri` (normalised request URI).
    public static let httpURI = BufferID("http.uri")
    /// `http.uri.raw`.
    public static let httpRawURI = BufferID("http.uri.raw")
    /// `http.header` (normalised request or response headers).
    public static let httpHeader = BufferID("http.header")
    /// `http.header.raw`.
    public static let httpRawHeader = BufferID("http.header.raw")
    /// `http.method`.
    public static let httpMethod = BufferID("http.method")
    /// `http.cookie`.
    public static let httpCookie = BufferID("http.cookie")
    /// `http.request_body`.
    public static let httpRequestBody = BufferID("http.request_body")
    /// `file.name`: the name of a file a transaction carries.
    public static let fileName = BufferID("file.name")
    /// `http.stat_code`.
    public static let httpStatCode = BufferID("http.stat_code")
    /// `http.stat_msg`.
    public static let httpStatMsg = BufferID("http.stat_msg")
    /// `http.user_agent`.
    public static let httpUserAgent = BufferID("http.user_agent")
    /// `http.host`.
    public static let httpHost = BufferID("http.host")
    /// `http.host.raw`.
    public static let httpRawHost = BufferID("http.host.raw")
    /// `file.data`.
    public static let fileData = BufferID("file.data")
    /// `http.response_body`: the response's part of the file_data list (its own buffer, to-client only).
    public static let httpResponseBody = BufferID("http.response_body")

    /// The canonical name.
    public var description: String { self.name }
}

/// One run of payload inspection on one buffer: the buffer, its transforms, then its matches in rule order.
///
/// Relative keywords (`distance`, `within`, pcre `/R`, `relative`) are relative to the previous match of the
/// same section.
public struct BufferSection: Sendable, Equatable {
    /// The inspected buffer.
    public var buffer: BufferID
    /// The buffer keyword's argument, if any: Suricata 8's direction (`file.data:to_client`) or a frame name
    /// (`frame:request`).
    public var argument: String?
    /// Transforms applied to the buffer before matching, in order.
    public var transforms: [Transform]
    /// The matches on the (transformed) buffer, in order.
    public var matches: [PayloadMatch]
    /// For each match, its rank among all payload matches of the rule in rule order (same count as
    /// ``matches``): tells which `byte_extract` runs before a match in another section that uses its variable.
    public var order: [Int]

    /// Makes a section.
    public init(
        buffer: BufferID,
        argument: String? = nil,
        transforms: [Transform] = [],
        matches: [PayloadMatch] = [],
        order: [Int]? = nil
    ) {
        self.buffer = buffer
        self.argument = argument
        self.order = order ?? Array(matches.indices)
        self.transforms = transforms
        self.matches = matches
    }
}

/// A buffer transform (`dotprefix`, `to_lowercase`, `pcrexform:"…"` …).
public enum Transform: Sendable, Equatable {
    case dotprefix
    case stripWhitespace
    case compressWhitespace
    case toLowercase
    case toUppercase
    case toMD5
    case toSHA1
    case toSHA256
    case urlDecode
    case headerLowercase
    case stripPseudoHeaders
    /// `domain`: the registered domain of a host name.
    case domain
    /// `tld`: the top-level domain of a host name.
    case tld
    /// `xor:"key"` with the key bytes.
    case xor(key: [UInt8])
    /// `pcrexform:"regex"`: the first capture replaces the buffer.
    case pcrexform(pattern: String)
    /// `from_base64` with optional `bytes`, `offset`, `mode` arguments as written.
    case fromBase64(arguments: String?)
    /// A transform the parser recognises by name only (`subslice`, `gunzip`, `luaxform` …).
    case other(name: String, arguments: String?)

    /// The keyword spelling.
    public var keyword: String {
        switch self {
        case .dotprefix: "dotprefix"
        case .stripWhitespace: "strip_whitespace"
        case .compressWhitespace: "compress_whitespace"
        case .toLowercase: "to_lowercase"
        case .toUppercase: "to_uppercase"
        case .toMD5: "to_md5"
        case .toSHA1: "to_sha1"
        case .toSHA256: "to_sha256"
        case .urlDecode: "url_decode"
        case .headerLowercase: "header_lowercase"
        case .stripPseudoHeaders: "strip_pseudo_headers"
        case .domain: "domain"
        case .tld: "tld"
        case .xor: "xor"
        case .pcrexform: "pcrexform"
        case .fromBase64: "from_base64"
        case .other(let name, _): name
        }
    }
}

/// A number that is either a literal or a `byte_extract`/`byte_math` variable set earlier in the rule.
public enum IntegerOrVariable: Sendable, Equatable, CustomStringConvertible {
    case literal(Int64)
    case variable(String)

    /// The value as written.
    public var description: String {
        switch self {
        case .literal(let value): String(value)
        case .variable(let name): name
        }
    }
}

/// A keyword that inspects the current buffer.
public enum PayloadMatch: Sendable, Equatable {
    case content(ContentMatch)
    case pcre(PCREMatch)
    case byteTest(ByteTest)
    case byteJump(ByteJump)
    case byteExtract(ByteExtract)
    case byteMath(ByteMath)
    case isdataat(IsDataAt)
    /// `bsize`: the buffer's size.
    case bsize(IntegerMatch)
    /// `absent` (`absent:or_else` when `orElse`): the buffer does not exist.
    case absent(orElse: Bool)
    /// `base64_decode` arguments (`bytes`, `offset`, `relative`); decoded data is read by `base64_data`.
    case base64Decode(bytes: Int?, offset: Int?, relative: Bool)
    /// `asn1` checks on BER-encoded data.
    case asn1(ASN1Check)
    /// A buffer-bound keyword recognised by name only (`dataset`, `entropy` …); the rule is unsupported.
    case unsupported(name: String, value: String?)
}

/// `content` with all its modifiers.
public struct ContentMatch: Sendable, Equatable {
    /// `fast_pattern` forms.
    public enum FastPattern: Sendable, Equatable {
        /// `fast_pattern`.
        case plain
        /// `fast_pattern:only` (Suricata ≥ 7 treats it as plain; kept for fidelity).
        case only
        /// `fast_pattern:offset,length`: only this slice of the pattern goes to the prefilter.
        case chop(offset: Int, length: Int)
    }

    /// The bytes to find, with `|hex|` and escapes decoded.
    public var pattern: [UInt8]
    /// `content:!"…"`: the rule matches when the pattern is absent.
    public var isNegated = false
    /// `nocase`.
    public var nocase = false
    /// `offset`.
    public var offset: IntegerOrVariable?
    /// `depth`.
    public var depth: IntegerOrVariable?
    /// `distance` (may be negative), relative to the previous match.
    public var distance: IntegerOrVariable?
    /// `within`, relative to the previous match.
    public var within: IntegerOrVariable?
    /// `startswith`.
    public var startsWith = false
    /// `endswith`.
    public var endsWith = false
    /// `fast_pattern`.
    public var fastPattern: FastPattern?
    /// `rawbytes` (a no-op in Suricata, kept for fidelity).
    public var rawbytes = false

    /// Makes a content with no modifiers.
    public init(pattern: [UInt8], isNegated: Bool = false) {
        self.pattern = pattern
        self.isNegated = isNegated
    }

    /// Whether the content is positioned relative to the previous match.
    public var isRelative: Bool { self.distance != nil || self.within != nil }
}

/// `pcre:"/regex/flags"`.
public struct PCREMatch: Sendable, Equatable {
    /// Modifier letters after the closing slash.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `i`: caseless.
        public static let caseless = Flags(rawValue: 1 << 0)
        /// `s`: dot matches newline.
        public static let dotAll = Flags(rawValue: 1 << 1)
        /// `m`: multiline.
        public static let multiline = Flags(rawValue: 1 << 2)
        /// `x`: extended (whitespace ignored).
        public static let extended = Flags(rawValue: 1 << 3)
        /// `A`: anchored at the start of the buffer (or of the relative position).
        public static let anchored = Flags(rawValue: 1 << 4)
        /// `E`: `$` matches only at the very end.
        public static let dollarEndOnly = Flags(rawValue: 1 << 5)
        /// `G`: ungreedy.
        public static let ungreedy = Flags(rawValue: 1 << 6)
        /// `R`: relative to the previous match.
        public static let relative = Flags(rawValue: 1 << 7)
        /// `O`: override the configured match limit.
        public static let overrideMatchLimit = Flags(rawValue: 1 << 8)
        /// `B`: Snort's raw-bytes flag, accepted and ignored as Suricata does.
        public static let rawBytes = Flags(rawValue: 1 << 9)
    }

    /// The regular expression between the slashes, as written (escapes kept for PCRE).
    public var pattern: String
    /// `pcre:!"…"`.
    public var isNegated = false
    /// The non-buffer flags.
    public var flags: Flags = []
    /// The buffer letter, if any (`U`, `H`, …), as written; the match is placed in that buffer's section.
    public var bufferFlag: Character?
    /// Capture assignment after the regex (`, flow:name` / `, pkt:name`), as written.
    public var captures: String?

    /// Makes a pcre match.
    public init(pattern: String) { self.pattern = pattern }

    /// The buffer that a pcre buffer letter selects (Suricata's `detect-pcre.c` letters).
    public static func buffer(forFlag flag: Character) -> BufferID? {
        switch flag {
        case "U": .httpURI
        case "I": .httpRawURI
        case "P": .httpRequestBody
        case "Q": .fileData
        case "H": .httpHeader
        case "D": .httpRawHeader
        case "M": .httpMethod
        case "C": .httpCookie
        case "S": .httpStatCode
        case "Y": .httpStatMsg
        case "V": .httpUserAgent
        case "W": .httpHost
        case "Z": .httpRawHost
        default: nil
        }
    }
}

/// Byte order and number base shared by the `byte_*` keywords.
public struct ByteFormat: Sendable, Equatable {
    /// How the bytes are read.
    public enum Endian: String, Sendable { case big, little, dce }
    /// Base of a `string` number.
    public enum Base: String, Sendable { case hex, dec, oct }

    /// Endianness (`big` unless written).
    public var endian: Endian?
    /// `string,<base>`: the bytes are ASCII digits; `nil` for binary.
    public var stringBase: Base?

    /// Binary big-endian.
    public init(endian: Endian? = nil, stringBase: Base? = nil) {
        self.endian = endian
        self.stringBase = stringBase
    }
}

/// `byte_test:count, [!]op, value, offset [, relative] [, endian] [, string, base] [, dce] [, bitmask m]`.
public struct ByteTest: Sendable, Equatable {
    /// Comparison operators.
    public enum Operator: String, Sendable {
        case lt = "<", gt = ">", eq = "=", le = "<=", ge = ">=", and = "&", xor = "^"
    }

    /// Bytes to read (1–8, up to 23 for strings, 0 with `string` for "the whole number"), or a variable.
    public var count: IntegerOrVariable
    /// `!` before the operator.
    public var isNegated: Bool
    /// The operator.
    public var op: Operator
    /// The value compared against.
    public var value: IntegerOrVariable
    /// Where to read, from the buffer start or the previous match.
    public var offset: IntegerOrVariable
    /// `relative`.
    public var relative: Bool
    /// Byte order and base.
    public var format: ByteFormat
    /// `bitmask` applied before comparing.
    public var bitmask: UInt64?
}

/// `byte_jump:count, offset [, relative] [, multiplier n] [, endian] [, string, base] [, align]
/// [, from_beginning | from_end] [, post_offset n] [, dce] [, bitmask m]`.
public struct ByteJump: Sendable, Equatable {
    /// Bytes to read, or a variable.
    public var count: IntegerOrVariable
    /// Where to read.
    public var offset: IntegerOrVariable
    /// `relative`.
    public var relative: Bool
    /// `multiplier`.
    public var multiplier: Int?
    /// Byte order and base.
    public var format: ByteFormat
    /// `align` (round up to 4).
    public var align: Bool
    /// `from_beginning`.
    public var fromBeginning: Bool
    /// `from_end`.
    public var fromEnd: Bool
    /// `post_offset`.
    public var postOffset: Int?
    /// `bitmask`.
    public var bitmask: UInt64?
}

/// `byte_extract:count, offset, name [, relative] [, multiplier n] [, endian] [, string, base] [, align n]
/// [, dce] [, bitmask m]`; `name` becomes usable by later keywords.
public struct ByteExtract: Sendable, Equatable {
    /// Bytes to read.
    public var count: Int
    /// Where to read.
    public var offset: Int
    /// The variable name.
    public var name: String
    /// `relative`.
    public var relative: Bool
    /// `multiplier`.
    public var multiplier: Int?
    /// Byte order and base.
    public var format: ByteFormat
    /// `align` (2 or 4).
    public var align: Int?
    /// `bitmask`.
    public var bitmask: UInt64?
}

/// `byte_math:bytes n, offset n, oper op, rvalue v, result name [, relative] [, endian e] [, string b]
/// [, dce] [, bitmask m]`.
public struct ByteMath: Sendable, Equatable {
    /// Arithmetic operators.
    public enum Operator: String, Sendable { case add = "+", sub = "-", mul = "*", div = "/", shl = "<<", shr = ">>" }

    /// Bytes to read, or a variable.
    public var count: IntegerOrVariable
    /// Where to read.
    public var offset: Int
    /// The operation.
    public var op: Operator
    /// The right-hand value.
    public var rvalue: IntegerOrVariable
    /// The result variable name.
    public var result: String
    /// `relative`.
    public var relative: Bool
    /// Byte order and base.
    public var format: ByteFormat
    /// `bitmask`.
    public var bitmask: UInt64?
}

/// `asn1:[bitstring_overflow][, double_overflow][, oversize_length n][, absolute_offset n | relative_offset n]`.
public struct ASN1Check: Sendable, Equatable {
    /// `bitstring_overflow`: a BIT STRING whose unused-bits count is too large.
    public var bitstringOverflow = false
    /// `double_overflow`: a REAL with an overlong encoding.
    public var doubleOverflow = false
    /// `oversize_length n`: a length field larger than `n`.
    public var oversizeLength: UInt32?
    /// `absolute_offset n`: decode from this buffer offset.
    public var absoluteOffset: UInt32?
    /// `relative_offset n` (may be negative): decode relative to the previous match.
    public var relativeOffset: Int32?

    /// No checks.
    public init() {}
}

/// `isdataat:[!]n [, relative] [, rawbytes]`.
public struct IsDataAt: Sendable, Equatable {
    /// The position.
    public var position: IntegerOrVariable
    /// `!`: no data at that position.
    public var isNegated: Bool
    /// `relative`.
    public var relative: Bool
    /// `rawbytes`.
    public var rawbytes: Bool
}
