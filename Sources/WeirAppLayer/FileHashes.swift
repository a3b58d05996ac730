// SPDX-License-Identifier: MIT
import Crypto

/// Running MD5, SHA-1 and SHA-256 of a file's bytes (EVE `fileinfo` with `force-hash`), from swift-crypto.
struct FileHashes {
    private var md5 = Insecure.MD5()
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()

    /// Adds bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        self.md5.update(bufferPointer: bytes)
        self.sha1.update(bufferPointer: bytes)
        self.sha256.update(bufferPointer: bytes)
    }

    /// The three digests as lowercase hex.
    func finalize() -> (md5: String, sha1: String, sha256: String) {
        (hex(self.md5.finalize()), hex(self.sha1.finalize()), hex(self.sha256.finalize()))
    }
}

/// Lowercase hex of a digest.
func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in digest {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
