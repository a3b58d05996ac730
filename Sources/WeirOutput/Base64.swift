// SPDX-License-Identifier: MIT

/// RFC 4648 base64 (standard alphabet, `=` padding), the encoding of EVE's `payload` and `packet` fields.
public enum Base64 {
    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// The length of the base64 text of `count` bytes.
    public static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the base64 text of `data` at `out`, which must have room for ``encodedLength(_:)`` bytes.
    public static func encode(_ data: UnsafeRawBufferPointer, writingTo out: UnsafeMutablePointer<UInt8>) {
        let table = Self.alphabet.utf8Start
        let count = data.count
        var index = 0
        var position = 0
        while index + 3 <= count {
            let chunk = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2])
            out[position] = table[Int(chunk >> 18 & 0x3f)]
            out[position + 1] = table[Int(chunk >> 12 & 0x3f)]
            out[position + 2] = table[Int(chunk >> 6 & 0x3f)]
            out[position + 3] = table[Int(chunk & 0x3f)]
            index += 3
            position += 4
        }
        switch count - index {
        case 1:
            let chunk = UInt32(data[index]) << 16
            out[position] = table[Int(chunk >> 18 & 0x3f)]
            out[position + 1] = table[Int(chunk >> 12 & 0x3f)]
            out[position + 2] = UInt8(ascii: "=")
            out[position + 3] = UInt8(ascii: "=")
        case 2:
            let chunk = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8
            out[position] = table[Int(chunk >> 18 & 0x3f)]
            out[position + 1] = table[Int(chunk >> 12 & 0x3f)]
            out[position + 2] = table[Int(chunk >> 6 & 0x3f)]
            out[position + 3] = UInt8(ascii: "=")
        default:
            break
        }
    }

    /// Appends the base64 text of `data` to `out`.
    public static func encode(_ data: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let start = out.count
        let length = Self.encodedLength(data.count)
        out.append(contentsOf: repeatElement(0, count: length))
        out.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { Self.encode(data, writingTo: base + start) }
        }
    }

    /// The base64 text of `data` as a String.
    public static func encode(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        data.withUnsafeBytes { Self.encode($0, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}
