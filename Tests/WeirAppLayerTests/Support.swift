// SPDX-License-Identifier: MIT
import Foundation
import WeirOutput

/// Bytes from a hex string (fixtures).
func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// TLS records of `type` carrying `payload`, at most `maxRecord` bytes of payload each.
func tlsRecords(_ type: UInt8, _ payload: [UInt8], version: UInt16 = 0x0303, maxRecord: Int = 16384) -> [UInt8] {
    var out: [UInt8] = []
    var start = 0
    repeat {
        let end = min(payload.count, start + maxRecord)
        let chunk = payload[start..<end]
        out += [type, UInt8(version >> 8), UInt8(version & 0xff), UInt8(chunk.count >> 8), UInt8(chunk.count & 0xff)]
        out += chunk
        start = end
    } while start < payload.count
    return out
}

/// Renders with `body` into a fresh writer and parses the result as a JSON object.
func renderJSON(_ body: (JSONWriter) -> Void) -> [String: Any] {
    let writer = JSONWriter()
    writer.beginObject()
    body(writer)
    writer.endObject()
    let data = Data(writer.bytes)
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
}

/// A deterministic generator for fuzz tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
