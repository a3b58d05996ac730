// SPDX-License-Identifier: MIT
import WeirCore

/// A JSON text builder writing into one reusable byte buffer (Suricata's JsonBuilder idea).
///
/// Commas are placed automatically: every value or key written after another item of the same object or
/// array gets one. Keys given as `StaticString` are copied without escaping and must be plain JSON-safe ASCII
/// (every EVE field name is); `String` keys and values are escaped. ``reset()`` empties the buffer but keeps
/// its capacity, so a writer reused across records allocates only when a record is bigger than any before.
/// No Foundation, no `JSONEncoder`. The writer does not check nesting: a caller that closes what it opened
/// gets valid JSON.
///
/// A class that owns its buffer (written through a pointer, no per-byte copy-on-write checks); one writer
/// belongs to one thread at a time.
public final class JSONWriter {
    /// The buffer; `count` bytes are valid, `capacity` are allocated.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    /// Bytes allocated (at least 64); grows by doubling, never shrinks.
    @exclusivity(unchecked) public private(set) var capacity: Int
    /// The number of bytes written.
    @exclusivity(unchecked) public private(set) var count = 0
    /// Whether the next key or value needs a comma before it.
    @exclusivity(unchecked) private var needsComma = false
    /// The seconds value whose `YYYY-MM-DDTHH:MM:SS` text is cached in `secondsText`.
    /// Sixteen cached `YYYY-MM-DDTHH:MM:SS` texts, slot `seconds & 15`: a flow record's timestamp, start and
    /// end usually fall in different seconds, and each keeps its slot while records march on.
    private let cachedSeconds: UnsafeMutablePointer<Int64>
    private let secondsText: UnsafeMutablePointer<UInt8>
    /// ``IPv4Text``'s table, held here so that each address reads it without the global's once-check.
    private let octetText = IPv4Text.table
    /// The rendered rule-constant members of alert objects (made on the first alert record).
    @exclusivity(unchecked) private var ruleMembersStorage: EVEAlertRuleMembers? = nil

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        self.base = .allocate(capacity: self.capacity)
        self.secondsText = .allocate(capacity: Self.timestampSlots * 19)
        self.cachedSeconds = .allocate(capacity: Self.timestampSlots)
        self.cachedSeconds.initialize(repeating: .min, count: Self.timestampSlots)
    }

    deinit {
        self.base.deallocate()
        self.secondsText.deallocate()
        self.cachedSeconds.deallocate()
    }

    private static let timestampSlots = 16

    /// Empties the buffer, keeping its capacity.
    public func reset() {
        self.count = 0
        self.needsComma = false
    }

    /// The bytes written so far, valid until the next write or reset.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: self.base, count: self.count))
    }

    /// A copy of the bytes written so far (allocates; for tests and diagnostics).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: self.base, count: self.count)) }

    /// The text as a `String` (allocates; for tests and diagnostics).
    public var text: String {
        String(decoding: UnsafeBufferPointer(start: self.base, count: self.count), as: UTF8.self)
    }

    /// The rendered rule-constant members of alert objects, made on first use.
    var ruleMembers: EVEAlertRuleMembers {
        if let members = self.ruleMembersStorage { return members }
        let members = EVEAlertRuleMembers()
        self.ruleMembersStorage = members
        return members
    }

    // MARK: Raw buffer access

    @inline(__always)
    private func ensure(_ extra: Int) {
        if self.count + extra > self.capacity { self.grow(to: self.count + extra) }
    }

    private func grow(to needed: Int) {
        var newCapacity = self.capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: self.base, count: self.count)
        self.base.deallocate()
        self.base = newBase
        self.capacity = newCapacity
    }

    @inline(__always)
    private func put(_ byte: UInt8) {
        self.ensure(1)
        self.base[self.count] = byte
        self.count += 1
    }

    @inline(__always)
    private func put(_ a: UInt8, _ b: UInt8) {
        self.ensure(2)
        self.base[self.count] = a
        self.base[self.count + 1] = b
        self.count += 2
    }

    @inline(__always)
    private func put(_ source: UnsafeRawBufferPointer) {
        guard let address = source.baseAddress, source.count > 0 else { return }
        self.ensure(source.count)
        (self.base + self.count).update(from: address.assumingMemoryBound(to: UInt8.self), count: source.count)
        self.count += source.count
    }

    @inline(__always)
    private func put(_ text: StaticString) {
        self.ensure(text.utf8CodeUnitCount)
        Self.copySmall(to: self.base + self.count, from: text.utf8Start, count: text.utf8CodeUnitCount)
        self.count += text.utf8CodeUnitCount
    }

    /// Copies `count` bytes with at most two overlapping unaligned loads and stores per piece, never reading
    /// or writing outside either range; longer texts go to `memcpy`. Inlined where the count is a literal's
    /// length, it becomes a few moves.
    @inline(__always)
    static func copySmall(to target: UnsafeMutablePointer<UInt8>, from source: UnsafePointer<UInt8>, count: Int) {
        let out = UnsafeMutableRawPointer(target)
        let from = UnsafeRawPointer(source)
        switch count {
        case 0:
            return
        case 1...3:
            out.storeBytes(of: from.load(as: UInt8.self), as: UInt8.self)
            out.storeBytes(of: from.load(fromByteOffset: count / 2, as: UInt8.self), toByteOffset: count / 2, as: UInt8.self)
            out.storeBytes(of: from.load(fromByteOffset: count - 1, as: UInt8.self), toByteOffset: count - 1, as: UInt8.self)
        case 4...7:
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            out.storeBytes(of: head, as: UInt32.self)
            out.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        case 8...16:
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            out.storeBytes(of: head, as: UInt64.self)
            out.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        case 17...32:
            let a = from.loadUnaligned(as: UInt64.self)
            let b = from.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let c = from.loadUnaligned(fromByteOffset: count - 16, as: UInt64.self)
            let d = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            out.storeBytes(of: a, as: UInt64.self)
            out.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: c, toByteOffset: count - 16, as: UInt64.self)
            out.storeBytes(of: d, toByteOffset: count - 8, as: UInt64.self)
        default:
            target.update(from: source, count: count)
        }
    }

    // MARK: Structure

    @inline(__always)
    private func separate() {
        if self.needsComma { self.put(UInt8(ascii: ",")) }
    }

    /// Opens an object as a value (top level or array item).
    public func beginObject() {
        self.separate()
        self.put(UInt8(ascii: "{"))
        self.needsComma = false
    }

    /// Opens an object under `key`.
    @inline(__always)
    public func beginObject(_ key: StaticString) {
        self.key(key)
        self.put(UInt8(ascii: "{"))
    }

    /// Opens again the object just closed (its `}` is the last byte written), to add fields to it.
    public func reopenLastObject() {
        guard self.count > 0, self.base[self.count - 1] == UInt8(ascii: "}") else { return }
        self.count -= 1
        self.needsComma = self.count > 0 && self.base[self.count - 1] != UInt8(ascii: "{")
    }

    /// Closes the innermost object.
    @inline(__always)
    public func endObject() {
        self.put(UInt8(ascii: "}"))
        self.needsComma = true
    }

    /// Opens an array as a value.
    public func beginArray() {
        self.separate()
        self.put(UInt8(ascii: "["))
        self.needsComma = false
    }

    /// Opens an array under `key`.
    public func beginArray(_ key: StaticString) {
        self.key(key)
        self.put(UInt8(ascii: "["))
    }

    /// Closes the innermost array.
    public func endArray() {
        self.put(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Ends a JSON line: appends `\n` and starts the next top-level value without a comma.
    public func endLine() {
        self.put(UInt8(ascii: "\n"))
        self.needsComma = false
    }

    /// Writes an object key known at compile time (plain ASCII, not escaped).
    @inline(__always)
    public func key(_ key: StaticString) {
        assert(Self.needsNoEscaping(key), "a StaticString key must be plain JSON-safe ASCII: \(key)")
        let length = key.utf8CodeUnitCount
        self.ensure(length + 4)
        // Through a local pointer: stores through `self.base` would make the compiler reload it per byte.
        var out = self.base + self.count
        if self.needsComma {
            out[0] = UInt8(ascii: ",")
            out += 1
        }
        out[0] = UInt8(ascii: "\"")
        Self.copySmall(to: out + 1, from: key.utf8Start, count: length)
        out[1 + length] = UInt8(ascii: "\"")
        out[2 + length] = UInt8(ascii: ":")
        self.count = (out + 3 + length) - self.base
        self.needsComma = false
    }

    /// Writes an object key, escaped. Disfavoured (as are the String forms of `string` and `field`): a string
    /// literal would otherwise pick it over the StaticString form, String being the default literal type, and
    /// every literal key would pay for the escaping scan.
    @_disfavoredOverload
    public func key(_ key: String) {
        self.separate()
        self.appendQuoted(key)
        self.put(UInt8(ascii: ":"))
        self.needsComma = false
    }

    // MARK: Values

    /// Writes a string value, escaped as JSON requires.
    @_disfavoredOverload
    public func string(_ value: String) {
        self.separate()
        self.appendQuoted(value)
        self.needsComma = true
    }

    /// Writes a string value known at compile time (plain ASCII, not escaped).
    @inline(__always)
    public func string(_ value: StaticString) {
        assert(Self.needsNoEscaping(value), "a StaticString value must be plain JSON-safe ASCII: \(value)")
        self.separate()
        self.put(UInt8(ascii: "\""))
        self.put(value)
        self.put(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes raw bytes as a string value. Valid UTF-8 is escaped like any string; otherwise, as Suricata's
    /// JsonBuilder does, every byte from 0x80 up is written as the four characters `\xNN` (lower-case hex,
    /// so `\\xNN` in the JSON text), and the rest is escaped normally.
    public func string(bytes value: UnsafeRawBufferPointer) {
        self.separate()
        self.put(UInt8(ascii: "\""))
        if Self.isPlainASCII(value) {
            // The usual header value or URI: one pass to check, one copy.
            self.put(value)
        } else if Self.isValidUTF8(value) {
            self.appendEscaped(value)
        } else {
            for byte in value {
                if byte >= 0x80 {
                    self.put("\\\\x" as StaticString)
                    self.put(Self.hexDigits[Int(byte >> 4)])
                    self.put(Self.hexDigits[Int(byte & 0xf)])
                } else {
                    self.appendEscapedByte(byte)
                }
            }
        }
        self.put(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes a signed integer.
    public func integer(_ value: Int64) {
        self.separate()
        if value < 0 {
            self.put(UInt8(ascii: "-"))
            self.appendDigits(value.magnitude)
        } else {
            self.appendDigits(UInt64(value))
        }
        self.needsComma = true
    }

    /// Writes an unsigned integer (the full 64-bit range, as flow ids need).
    @inline(__always)
    public func unsigned(_ value: UInt64) {
        self.separate()
        self.appendDigits(value)
        self.needsComma = true
    }

    /// Writes a floating-point number; non-finite values become `null` (JSON has no NaN or infinity).
    public func double(_ value: Double) {
        self.separate()
        if value.isFinite {
            if value == value.rounded(), abs(value) < 1e15 {
                self.appendDigitsSigned(Int64(value))
                self.put(UInt8(ascii: "."), UInt8(ascii: "0"))
            } else {
                var text = "\(value)"
                text.withUTF8 { self.put(UnsafeRawBufferPointer($0)) }
            }
        } else {
            self.put("null" as StaticString)
        }
        self.needsComma = true
    }

    /// Writes `true` or `false`.
    @inline(__always)
    public func bool(_ value: Bool) {
        self.separate()
        if value {
            self.put("true" as StaticString)
        } else {
            self.put("false" as StaticString)
        }
        self.needsComma = true
    }

    /// Writes `null`.
    public func null() {
        self.separate()
        self.put("null" as StaticString)
        self.needsComma = true
    }

    /// Writes a pre-rendered JSON value (object, array, number, string with its quotes) verbatim.
    /// The caller vouches that the fragment is valid JSON.
    public func raw(_ fragment: UnsafeRawBufferPointer) {
        self.separate()
        self.put(fragment)
        self.needsComma = true
    }

    /// Writes a pre-rendered JSON value verbatim.
    public func raw(_ fragment: [UInt8]) {
        fragment.withUnsafeBytes { self.raw($0) }
    }

    /// Appends bytes outside the JSON structure (whole pre-rendered lines); comma state is left alone.
    public func appendVerbatim(_ bytes: UnsafeRawBufferPointer) {
        self.put(bytes)
    }

    /// Writes `data` as a base64 string value (RFC 4648, with padding).
    public func base64(_ data: UnsafeRawBufferPointer) {
        self.separate()
        self.put(UInt8(ascii: "\""))
        self.ensure((data.count + 2) / 3 * 4)
        Base64.encode(data, writingTo: self.base + self.count)
        self.count += (data.count + 2) / 3 * 4
        self.put(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes a timestamp as Suricata's EVE text, `2024-01-31T12:34:56.123456+0000` (always UTC).
    public func timestamp(_ time: Timestamp) {
        self.separate()
        let micros = Int(truncatingIfNeeded: time.microsecondPart)
        let seconds = time.seconds
        let slot = Int(seconds & Int64(Self.timestampSlots - 1))
        let slotText = self.secondsText + slot * 19
        guard micros >= 0 && micros < 1_000_000,
            self.cachedSeconds[slot] == seconds || Self.fillSecondsText(seconds, into: slotText)
        else {
            self.slowTimestamp(time)
            return
        }
        self.cachedSeconds[slot] = seconds
        // `"` + 19 cached bytes + `.uuuuuu+0000"`: 33 bytes, the microseconds as three digit pairs.
        self.ensure(33)
        let out = self.base + self.count
        out[0] = UInt8(ascii: "\"")
        Self.copySmall(to: out + 1, from: slotText, count: 19)
        let pairs = Self.digitPairs.utf8Start
        out[20] = UInt8(ascii: ".")
        let high = (micros / 10_000) &* 2
        let middle = (micros / 100 % 100) &* 2
        let low = (micros % 100) &* 2
        out[21] = pairs[high]
        out[22] = pairs[high + 1]
        out[23] = pairs[middle]
        out[24] = pairs[middle + 1]
        out[25] = pairs[low]
        out[26] = pairs[low + 1]
        Self.copySmall(to: out + 27, from: ("+0000\"" as StaticString).utf8Start, count: 6)
        self.count += 33
        self.needsComma = true
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS` for `seconds` into the 19 bytes at `out` with digit pairs; false (nothing
    /// cached) for years outside 0...9999, whose text does not fit.
    private static func fillSecondsText(_ seconds: Int64, into out: UnsafeMutablePointer<UInt8>) -> Bool {
        let civil = CivilTime(secondsSinceEpoch: seconds)
        guard civil.year >= 0 && civil.year <= 9999 else { return false }
        let pairs = Self.digitPairs.utf8Start
        func pair(_ value: Int64, _ at: Int) {
            let index = Int(truncatingIfNeeded: value) &* 2
            out[at] = pairs[index]
            out[at + 1] = pairs[index + 1]
        }
        pair(civil.year / 100, 0)
        pair(civil.year % 100, 2)
        out[4] = UInt8(ascii: "-")
        pair(civil.month, 5)
        out[7] = UInt8(ascii: "-")
        pair(civil.day, 8)
        out[10] = UInt8(ascii: "T")
        pair(civil.hour, 11)
        out[13] = UInt8(ascii: ":")
        pair(civil.minute, 14)
        out[16] = UInt8(ascii: ":")
        pair(civil.second, 17)
        return true
    }

    /// The general timestamp text, for years past 9999 and out-of-range microseconds (never cached).
    private func slowTimestamp(_ time: Timestamp) {
        let civil = CivilTime(secondsSinceEpoch: time.seconds)
        var text: [UInt8] = []
        text.reserveCapacity(32)
        text.append(UInt8(ascii: "\""))
        Self.appendPadded(civil.year, 4, &text)
        text.append(UInt8(ascii: "-"))
        Self.appendPadded(civil.month, 2, &text)
        text.append(UInt8(ascii: "-"))
        Self.appendPadded(civil.day, 2, &text)
        text.append(UInt8(ascii: "T"))
        Self.appendPadded(civil.hour, 2, &text)
        text.append(UInt8(ascii: ":"))
        Self.appendPadded(civil.minute, 2, &text)
        text.append(UInt8(ascii: ":"))
        Self.appendPadded(civil.second, 2, &text)
        text.withUnsafeBytes { self.put($0) }
        self.put(UInt8(ascii: "."))
        self.putPadded(time.microsecondPart, 6)
        self.put("+0000" as StaticString)
        self.put(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes an address as a string value: dotted quad, or for IPv6 eight full groups of four hex digits
    /// (``IPv6Text``, as Suricata 8 prints).
    public func ipAddress(_ address: IPAddress) {
        self.separate()
        if address.isIPv4 {
            // The quotes and at most 15 bytes of text, plus the table's padding after the text.
            self.ensure(IPv4Text.room + 2)
            let out = self.base + self.count
            out[0] = UInt8(ascii: "\"")
            let end = IPv4Text.write(address.v4Value, at: out + 1, table: self.octetText)
            end[0] = UInt8(ascii: "\"")
            self.count = end + 1 - self.base
        } else {
            self.ensure(IPv6Text.length + 2)
            let out = self.base + self.count
            out[0] = UInt8(ascii: "\"")
            let end = IPv6Text.write(address, at: out + 1)
            end[0] = UInt8(ascii: "\"")
            self.count = end + 1 - self.base
        }
        self.needsComma = true
    }

    /// A two-digit lower-case hex string value, as Suricata prints TCP flags (`"1b"`).
    public func hexString(_ value: UInt8) {
        self.separate()
        self.ensure(4)
        let out = self.base + self.count
        let digits = ("0123456789abcdef" as StaticString).utf8Start
        out[0] = UInt8(ascii: "\"")
        out[1] = digits[Int(value >> 4)]
        out[2] = digits[Int(value & 0xf)]
        out[3] = UInt8(ascii: "\"")
        self.count += 4
        self.needsComma = true
    }

    /// Writes `data` as a string value keeping printable ASCII, `\n` and `\r` and turning every other byte
    /// into `.`, as Suricata's `payload_printable` (`PrintStringsToBuffer`).
    public func printableString(_ data: UnsafeRawBufferPointer) {
        self.separate()
        self.put(UInt8(ascii: "\""))
        for byte in data {
            if (byte >= 0x20 && byte < 0x7f) || byte == 0x0a || byte == 0x0d {
                self.appendEscapedByte(byte)
            } else {
                self.put(UInt8(ascii: "."))
            }
        }
        self.put(UInt8(ascii: "\""))
        self.needsComma = true
    }

    // MARK: Fields (key + value)

    /// `"key":"value"` (escaped).
    @_disfavoredOverload
    public func field(_ key: StaticString, _ value: String) {
        self.key(key)
        self.string(value)
    }

    /// `"key":"value"` for a compile-time ASCII value.
    @inline(__always)
    public func field(_ key: StaticString, _ value: StaticString) {
        self.key(key)
        self.string(value)
    }

    /// `"key":123`.
    @inline(__always)
    public func field(_ key: StaticString, _ value: UInt64) {
        self.key(key)
        self.unsigned(value)
    }

    /// `"key":-123`.
    public func field(_ key: StaticString, _ value: Int64) {
        self.key(key)
        self.integer(value)
    }

    /// `"key":true`.
    @inline(__always)
    public func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        self.bool(value)
    }

    /// `"key":"2024-01-31T12:34:56.123456+0000"`.
    @inline(__always)
    public func field(_ key: StaticString, _ value: Timestamp) {
        self.key(key)
        self.timestamp(value)
    }

    /// `"key":"10.0.0.1"`.
    @inline(__always)
    public func field(_ key: StaticString, _ value: IPAddress) {
        self.key(key)
        self.ipAddress(value)
    }

    // MARK: Members with their punctuation

    // Record writers whose field order is fixed know, when they compile, whether a comma goes before a field:
    // these take the member name with all its punctuation as one literal (`,"flow_id":`), copied in one piece,
    // and leave the writer as the plain `key` + value calls would (a comma is due after the value).

    /// Writes `name`, a member name with its punctuation (`"name":` or `,"name":`), verbatim; a value follows.
    @inline(__always)
    func member(_ name: StaticString) {
        self.put(name)
        self.needsComma = false
    }

    /// After a verbatim copy that ended with a value: the next member needs a comma.
    @inline(__always)
    func needsCommaAfterValue() {
        self.needsComma = true
    }

    /// Writes a whole member, name and literal value (`,"proto":"TCP"`), verbatim.
    @inline(__always)
    func literalMember(_ text: StaticString) {
        self.put(text)
        self.needsComma = true
    }

    /// `name` (with its punctuation) and an unsigned number, with one capacity check.
    @inline(__always)
    func member(_ name: StaticString, _ value: UInt64) {
        let length = name.utf8CodeUnitCount
        self.ensure(length + 20)
        let out = self.base + self.count
        Self.copySmall(to: out, from: name.utf8Start, count: length)
        self.count = Self.putDigits(value, at: out + length) - self.base
        self.needsComma = true
    }

    /// `name` (with its punctuation) and a timestamp.
    @inline(__always)
    func member(_ name: StaticString, _ value: Timestamp) {
        self.member(name)
        self.timestamp(value)
    }

    /// `name` (with its punctuation) and an address.
    @inline(__always)
    func member(_ name: StaticString, _ value: IPAddress) {
        self.member(name)
        self.ipAddress(value)
    }

    /// `name` (with its punctuation) and a string, escaped.
    @inline(__always)
    func member(_ name: StaticString, _ value: String) {
        self.member(name)
        self.appendQuoted(value)
        self.needsComma = true
    }

    /// Whether `text` looks like `"name":` or `,"name":` (possibly opening an object on the way,
    /// `,"flow":{"pkts_toserver":`): plain ASCII without backslashes. Tests use it; `member` does not check per
    /// call (a debug-build check there allocated in every record), the exact-bytes tests of each record kind cover
    /// the literals.
    static func isMemberName(_ text: StaticString) -> Bool {
        guard text.hasPointerRepresentation else { return false }
        var bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)[...]
        if bytes.first == UInt8(ascii: ",") { bytes = bytes.dropFirst() }
        guard bytes.count >= 3, bytes.first == UInt8(ascii: "\""), bytes[bytes.endIndex - 2] == UInt8(ascii: "\""),
            bytes.last == UInt8(ascii: ":")
        else { return false }
        return !bytes.contains { $0 < 0x20 || $0 >= 0x7f || $0 == UInt8(ascii: "\\") }
    }

    // MARK: Internals

    /// Whether a compile-time text is printable ASCII without `"` or `\\` (checked in debug builds: literals
    /// resolve to the StaticString overloads, which copy without escaping).
    static func needsNoEscaping(_ text: StaticString) -> Bool {
        guard text.hasPointerRepresentation else { return false }
        let bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return !bytes.contains { $0 < 0x20 || $0 >= 0x7f || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private func appendQuoted(_ value: String) {
        self.put(UInt8(ascii: "\""))
        // Native and small strings lend their bytes in place; only a bridged one is made contiguous first.
        let lent: Void? = value.utf8.withContiguousStorageIfAvailable { self.appendEscaped(UnsafeRawBufferPointer($0)) }
        if lent == nil {
            var copy = value
            copy.withUTF8 { self.appendEscaped(UnsafeRawBufferPointer($0)) }
        }
        self.put(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes of `word` needs escaping: below 0x20, `"` or `\\` (SWAR: each zero-byte
    /// test fires exactly when a byte matches).
    @inline(__always)
    private static func needsEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = ((word ^ (ones &* 0x22)) &- ones) & ~(word ^ (ones &* 0x22)) & highs
        let backslash = ((word ^ (ones &* 0x5c)) &- ones) & ~(word ^ (ones &* 0x5c)) & highs
        return control | quote | backslash != 0
    }

    /// Appends `source` with JSON escapes; runs without escapes are copied in one piece.
    private func appendEscaped(_ source: UnsafeRawBufferPointer) {
        let count = source.count
        // Short values (protocol names, states, most header values are under 8 bytes or just over): one or two
        // overlapping words test every byte, and a clean value is one small copy.
        if count >= 1 && count <= 16, let base = source.baseAddress {
            let word: UInt64
            if count >= 8 {
                word = base.loadUnaligned(as: UInt64.self)
            } else if count >= 4 {
                word =
                    UInt64(base.loadUnaligned(as: UInt32.self))
                    | UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 32
            } else {
                // One to three bytes, repeated to fill the word (a repeated byte tests as itself).
                let a = UInt64(base.load(as: UInt8.self))
                let b = UInt64(base.load(fromByteOffset: count / 2, as: UInt8.self))
                let c = UInt64(base.load(fromByteOffset: count - 1, as: UInt8.self))
                let three = a | b << 8 | c << 16
                word = three | three << 24 | c << 48 | c << 56
            }
            let tail = count > 8 ? base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) : word
            if !Self.needsEscaping(word) && !Self.needsEscaping(tail) {
                self.ensure(count)
                Self.copySmall(to: self.base + self.count, from: base.assumingMemoryBound(to: UInt8.self), count: count)
                self.count += count
                return
            }
        }
        var runStart = 0
        var index = 0
        while index < count {
            // Skip eight bytes at a time while none of them needs escaping.
            if index + 8 <= count, !Self.needsEscaping(source.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
                continue
            }
            let byte = source[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if index > runStart { self.putRun(source, runStart, index) }
                self.appendEscapedByte(byte)
                runStart = index + 1
            }
            index += 1
        }
        if count > runStart { self.putRun(source, runStart, count) }
    }

    /// Copies `source[start..<end]` (not empty): short runs, most field values, without a `memmove` call.
    @inline(__always)
    private func putRun(_ source: UnsafeRawBufferPointer, _ start: Int, _ end: Int) {
        guard let address = source.baseAddress else { return }
        let length = end - start
        self.ensure(length)
        let from = address.assumingMemoryBound(to: UInt8.self) + start
        Self.copySmall(to: self.base + self.count, from: from, count: length)
        self.count += length
    }

    @inline(__always)
    private func appendEscapedByte(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self.put(UInt8(ascii: "\\"), UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): self.put(UInt8(ascii: "\\"), UInt8(ascii: "\\"))
        case 0x0a: self.put(UInt8(ascii: "\\"), UInt8(ascii: "n"))
        case 0x0d: self.put(UInt8(ascii: "\\"), UInt8(ascii: "r"))
        case 0x09: self.put(UInt8(ascii: "\\"), UInt8(ascii: "t"))
        case 0x08: self.put(UInt8(ascii: "\\"), UInt8(ascii: "b"))
        case 0x0c: self.put(UInt8(ascii: "\\"), UInt8(ascii: "f"))
        case ..<0x20:
            self.put("\\u00" as StaticString)
            self.put(Self.hexDigits[Int(byte >> 4)])
            self.put(Self.hexDigits[Int(byte & 0xf)])
        default: self.put(byte)
        }
    }

    private func appendDigitsSigned(_ value: Int64) {
        if value < 0 { self.put(UInt8(ascii: "-")) }
        self.appendDigits(value.magnitude)
    }

    /// "00" to "99", for writing two digits per division.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// 10^0 ... 10^19, for counting the digits of a number.
    private static let powersOfTen: [UInt64] = [
        1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// The number of decimal digits of `value` (1 for 0): the bit length times log10(2) guesses it to within
    /// one, one table compare settles it.
    @inline(__always)
    static func decimalDigitCount(_ value: UInt64) -> Int {
        let bits = 64 &- (value | 1).leadingZeroBitCount
        let guess = (bits &* 1233) >> 12
        return max(1, guess &+ (value >= Self.powersOfTen[guess] ? 1 : 0))
    }

    /// Writes the decimal digits of `value` at `out` (room for 20 bytes); returns the position after them.
    @inline(__always)
    static func putDigits(_ value: UInt64, at out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        if value < 10 {
            out[0] = UInt8(truncatingIfNeeded: value) &+ 0x30
            return out + 1
        }
        let digits = Self.decimalDigitCount(value)
        let pairs = Self.digitPairs.utf8Start
        var position = digits
        var rest = value
        // Four digits per division of the running value (its chain of dependent divisions is what costs on
        // 16-digit flow ids), split into two independent pairs.
        while rest >= 10_000 {
            let chunk = Int(truncatingIfNeeded: rest % 10_000)
            rest /= 10_000
            position &-= 4
            let high = (chunk / 100) &* 2
            let low = (chunk % 100) &* 2
            out[position] = pairs[high]
            out[position + 1] = pairs[high + 1]
            out[position + 2] = pairs[low]
            out[position + 3] = pairs[low + 1]
        }
        if rest >= 100 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            position &-= 2
            out[position] = pairs[pair]
            out[position + 1] = pairs[pair + 1]
        }
        if rest >= 10 {
            let pair = Int(truncatingIfNeeded: rest) &* 2
            out[0] = pairs[pair]
            out[1] = pairs[pair + 1]
        } else {
            out[0] = UInt8(truncatingIfNeeded: rest) &+ 0x30
        }
        return out + digits
    }

    /// Appends the decimal digits of `value` without building a String.
    @inline(__always)
    private func appendDigits(_ value: UInt64) {
        self.ensure(20)
        self.count = Self.putDigits(value, at: self.base + self.count) - self.base
    }

    /// Appends `value` as exactly `width` digits (more when it is wider), into the buffer.
    @inline(__always)
    private func putPadded(_ value: Int64, _ width: Int) {
        self.ensure(width)
        var rest = value
        var position = self.count + width - 1
        while position >= self.count {
            self.base[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
            position -= 1
        }
        self.count += width
    }

    static func appendPadded(_ value: Int64, _ width: Int, _ out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        // Values wider than `width` (years past 9999) keep all their digits.
        while divisor * 10 <= rest { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: rest / divisor) &+ 0x30)
            rest %= divisor
            divisor /= 10
        }
    }

    /// Whether every byte of `data` is printable ASCII or a space and none needs escaping: such text is copied
    /// as it is. Eight bytes per step; the last step overlaps the one before.
    static func isPlainASCII(_ data: UnsafeRawBufferPointer) -> Bool {
        let count = data.count
        guard count >= 8 else {
            for byte in data where byte >= 0x80 || byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            return true
        }
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while true {
            let word = data.loadUnaligned(fromByteOffset: min(index, count - 8), as: UInt64.self)
            if word & highs != 0 || Self.needsEscaping(word) { return false }
            index += 8
            if index >= count { return true }
        }
    }

    /// Whether `data` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
    static func isValidUTF8(_ data: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = data.count
        while index < count {
            if index + 8 <= count,
                data.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
                continue
            }
            let lead = data[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xbf
            switch lead {
            case 0xc2...0xdf: length = 2
            case 0xe0:
                length = 3
                lower = 0xa0
            case 0xe1...0xec, 0xee...0xef: length = 3
            case 0xed:
                length = 3
                upper = 0x9f
            case 0xf0:
                length = 4
                lower = 0x90
            case 0xf1...0xf3: length = 4
            case 0xf4:
                length = 4
                upper = 0x8f
            default: return false
            }
            guard index + length <= count else { return false }
            let second = data[index + 1]
            guard second >= lower, second <= upper else { return false }
            for offset in 2..<max(length, 2) where (data[index + offset] & 0xc0) != 0x80 { return false }
            index += length
        }
        return true
    }
}
