// SPDX-License-Identifier: MIT
import Crypto

/// Running MD5, SHA-1 and SHA-256 of a file's bytes (EVE `fileinfo` with `force-hash`), from swift-crypto.
struct FileHashes {
    private var md5 = Insecure.MD5()
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()
    /// `force-hash` names SHA-256: the file gets it even when truncated or with gaps (Suricata's
    /// `g_file_force_sha256`), where MD5 and SHA-1 come only with a file closed whole.
    let forcedSHA256: Bool

    init(forcedSHA256: Bool) {
        self.forcedSHA256 = forcedSHA256
    }

    /// Adds bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        self.md5.update(bufferPointer: bytes)
        self.sha1.update(bufferPointer: bytes)
        self.sha256.update(bufferPointer: bytes)
    }

    /// The SHA-256 alone, as lowercase hex.
    func finalizeSHA256() -> String { hex(self.sha256.finalize()) }

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
