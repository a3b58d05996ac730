// SPDX-License-Identifier: MIT

/// Suricata's readings of scalar configuration text: booleans, sizes with units, integers.
public enum ConfigValueParser {
    /// `yes/no`, `true/false`, `on/off`, `1/0` in any letter case, as Suricata's `ConfValIsTrue`/`ConfValIsFalse`
    /// accept them; `nil` for anything else.
    public static func bool(_ text: String) -> Bool? {
        switch text.trimmingSpaces.lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: return nil
        }
    }

    /// A byte count: a number (decimals allowed) with an optional unit `kb`, `mb`, `gb` (also `kib`, `mib`,
    /// `gib`; any letter case; binary multiples as Suricata's `ParseSizeString`), optional space between.
    /// A bare number is bytes. `nil` when the text is not a size or overflows 64 bits.
    public static func size(_ text: String) -> UInt64? {
        let trimmed = text.trimmingSpaces.lowercased()
        var numberEnd = trimmed.startIndex
        while numberEnd < trimmed.endIndex, trimmed[numberEnd].isASCII,
            trimmed[numberEnd].isNumber || trimmed[numberEnd] == "."
        {
            numberEnd = trimmed.index(after: numberEnd)
        }
        let number = trimmed[..<numberEnd]
        let unit = String(trimmed[numberEnd...]).trimmingSpaces
        let multiplier: UInt64
        switch unit {
        case "", "b": multiplier = 1
        case "kb", "kib": multiplier = 1 << 10
        case "mb", "mib": multiplier = 1 << 20
        case "gb", "gib": multiplier = 1 << 30
        case "tb", "tib": multiplier = 1 << 40
        default: return nil
        }
        guard !number.isEmpty, number.first != ".", number.filter({ $0 == "." }).count <= 1 else { return nil }
        if !number.contains(".") {
            guard let value = UInt64(number) else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        guard let value = Double(number), value.isFinite else { return nil }
        let bytes = value * Double(multiplier)
        guard bytes < 1.8e19 else { return nil }
        return UInt64(bytes)
    }

    /// A decimal integer with an optional sign, or `0x` hexadecimal.
    public static func integer(_ text: String) -> Int64? {
        let trimmed = text.trimmingSpaces
        if trimmed.lowercased().hasPrefix("0x") { return Int64(trimmed.dropFirst(2), radix: 16) }
        return Int64(trimmed)
    }
}

/// A configuration enum read from YAML text: the raw values are Suricata's spellings.
public protocol ConfigEnum: RawRepresentable, CaseIterable, Sendable, Hashable where RawValue == String {
    /// Extra spellings accepted for a case (for example `yes` for `true`); empty by default.
    static var aliases: [String: Self] { get }
}

extension ConfigEnum {
    public static var aliases: [String: Self] { [:] }

    /// The case spelled `text` (letter case ignored), or `nil`.
    public static func parse(_ text: String) -> Self? {
        let lowered = text.trimmingSpaces.lowercased()
        if let value = Self(rawValue: lowered) { return value }
        return Self.aliases[lowered]
    }

    /// `a, b or c`, for error messages.
    static var choices: String {
        let names = Self.allCases.map(\.rawValue)
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }
}
