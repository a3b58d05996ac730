// SPDX-License-Identifier: MIT

/// The BPF objects compiled from `bpf/*.bpf.c` by the build (BPFPlugin), embedded in the binary.
///
/// Each object is a static `[UInt8]` named after its source (`weirXDP`, `weirSock`, `weirBaseline`), decoded
/// once on first use. Open one with `bpf_object__open_mem`; nothing is read from disk.
public enum BPFObjectBytes {
    /// Decodes standard base64 (RFC 4648, with `=` padding). Invalid characters are skipped, which cannot
    /// happen for the text the build tool writes.
    package static func decodeBase64(_ text: StaticString) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8CodeUnitCount / 4 * 3)
        var accumulator: UInt32 = 0
        var bits = 0
        text.withUTF8Buffer { buffer in
            for byte in buffer {
                let value: UInt32
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a") + 26)
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0") + 52)
                case UInt8(ascii: "+"): value = 62
                case UInt8(ascii: "/"): value = 63
                default: continue
                }
                accumulator = accumulator << 6 | value
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                }
            }
        }
        return out
    }
}
