// SPDX-License-Identifier: MIT
import WeirOutput

/// A transaction that carries files (HTTP bodies, SMTP attachments …): each becomes an EVE `fileinfo` record.
public protocol AppLayerFileTransaction: AppLayerTransaction {
    /// Calls `body` with each file of the transaction.
    func forEachFile(_ body: (AppLayerFile) -> Void)
}

/// One file as `fileinfo` logs it.
public struct AppLayerFile {
    /// How the file ended.
    public enum State: String, Sendable {
        /// Complete.
        case closed = "CLOSED"
        /// Cut short (the transaction or flow ended first).
        case truncated = "TRUNCATED"
        /// Still open when logged.
        case open = "OPEN"
        /// The parser failed on it.
        case error = "ERROR"
    }

    /// `filename` (bytes as sent).
    public var name: [UInt8]
    /// `size`: bytes seen.
    public var size: Int
    /// `state`.
    public var state: State
    /// `gaps`: data was missing.
    public var gaps: Bool
    /// Digests, when computed (`force-hash`).
    public var md5: String?
    public var sha1: String?
    public var sha256: String?
    /// The file travels to the server (an upload); false for a download. Its `fileinfo` record is written in
    /// that direction: a download's source is the server, as Suricata's file logger writes it.
    public var toServer = false
    /// The file's copy in the file store (`file-store`), when it is being stored.
    public var store: StoredFile?

    /// A file description.
    public init(name: [UInt8], size: Int, state: State, gaps: Bool) {
        self.name = name
        self.size = size
        self.state = state
        self.gaps = gaps
    }

    /// Writes `"fileinfo":{…}` into the open record; `hashes` are the digests to print (`md5`, `sha1`,
    /// `sha256`) when known.
    public func write(_ w: JSONWriter, hashes: Set<String>, txID: UInt64) {
        w.beginObject("fileinfo")
        w.key("filename")
        self.name.withUnsafeBytes { w.string(bytes: $0) }
        w.field("gaps", self.gaps)
        w.key("state")
        w.string(self.state.rawValue)
        if hashes.contains("md5"), let md5 = self.md5 { w.field("md5", md5) }
        if hashes.contains("sha1"), let sha1 = self.sha1 { w.field("sha1", sha1) }
        if hashes.contains("sha256"), let sha256 = self.sha256 { w.field("sha256", sha256) }
        if let store = self.store, store.isStored {
            w.field("stored", true)
            w.field("file_id", UInt64(store.id))
        } else {
            w.field("stored", false)
        }
        w.field("size", UInt64(self.size))
        w.field("tx_id", txID)
        w.endObject()
    }
}
