// SPDX-License-Identifier: MIT

/// RFC 4648 base64 (standard alphabet, `=` padding), the encoding of EVE's `payload` and `packet` fields.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends the base64 text of `data` to `out`.
    public static func encode(_ data: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let count = data.count
        out.reserveCapacity(out.count + (count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= count {
            let chunk = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2])
            out.append(Self.alphabet[Int(chunk >> 18 & 0x3f)])
            out.append(Self.alphabet[Int(chunk >> 12 & 0x3f)])
            out.append(Self.alphabet[Int(chunk >> 6 & 0x3f)])
            out.append(Self.alphabet[Int(chunk & 0x3f)])
            index += 3
        }
        switch count - index {
        case 1:
            let chunk = UInt32(data[index]) << 16
            out.append(Self.alphabet[Int(chunk >> 18 & 0x3f)])
            out.append(Self.alphabet[Int(chunk >> 12 & 0x3f)])
            out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        case 2:
            let chunk = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8
            out.append(Self.alphabet[Int(chunk >> 18 & 0x3f)])
            out.append(Self.alphabet[Int(chunk >> 12 & 0x3f)])
            out.append(Self.alphabet[Int(chunk >> 6 & 0x3f)])
            out.append(UInt8(ascii: "="))
        default:
            break
        }
    }

    /// The base64 text of `data` as a String.
    public static func encode(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        data.withUnsafeBytes { Self.encode($0, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}
