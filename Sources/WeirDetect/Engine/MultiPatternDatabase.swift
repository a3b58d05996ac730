// SPDX-License-Identifier: MIT
import CHyperscan

/// One literal for the multi-pattern prefilter.
package struct PrefilterPattern: Sendable, Hashable {
    /// The bytes to find (NULs allowed).
    package var bytes: [UInt8]
    /// Case-insensitive (ASCII) match.
    package var nocase: Bool

    /// Makes a pattern.
    package init(bytes: [UInt8], nocase: Bool) {
        self.bytes = bytes
        self.nocase = nocase
    }
}

/// Why a Vectorscan database could not be built.
public struct PatternCompileError: Error, Sendable, CustomStringConvertible {
    /// Vectorscan's message.
    public var message: String
    /// The failing pattern's index, when Vectorscan names one.
    public var patternIndex: Int?
    /// One line for logs.
    public var description: String {
        "vectorscan compile failed" + (self.patternIndex.map { " at pattern \($0)" } ?? "") + ": " + self.message
    }
}

/// A compiled Vectorscan block-mode database over literals (Suricata's `util-mpm-hs.c` role).
///
/// Built once at engine load with `hs_compile_multi` over escaped literals; patterns are reported by their
/// index, at most once per scan (`HS_FLAG_SINGLEMATCH`), which is all a prefilter needs. The database is
/// immutable and shared by every worker; each worker scans with its own ``PatternScratch``.
package final class MultiPatternDatabase: @unchecked Sendable {
    let database: OpaquePointer
    /// Number of patterns compiled.
    package let patternCount: Int

    /// Compiles `patterns`; their array index is the id reported by ``scan(_:scratch:into:)``.
    ///
    /// - Throws: ``PatternCompileError`` when Vectorscan refuses the set (it never does for non-empty literals).
    package init(patterns: [PrefilterPattern]) throws(PatternCompileError) {
        precondition(!patterns.isEmpty, "an empty pattern set has no database")
        // hs_compile_lit_multi in Vectorscan 5.4 rejects literals that start with a NUL byte ("empty string"),
        // so every pattern goes through the regex API with each non-alphanumeric byte written as \xHH.
        var flags: [UInt32] = []
        var ids: [UInt32] = []
        flags.reserveCapacity(patterns.count)
        ids.reserveCapacity(patterns.count)
        var storage: [UnsafeMutablePointer<CChar>] = []
        storage.reserveCapacity(patterns.count)
        defer { for pointer in storage { pointer.deallocate() } }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for (index, pattern) in patterns.enumerated() {
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: pattern.bytes.count * 4 + 1)
            var length = 0
            for byte in pattern.bytes {
                let isAlphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                if isAlphanumeric {
                    pointer[length] = CChar(bitPattern: byte)
                    length += 1
                } else {
                    pointer[length] = 0x5C
                    pointer[length + 1] = 0x78
                    pointer[length + 2] = CChar(bitPattern: hex[Int(byte >> 4)])
                    pointer[length + 3] = CChar(bitPattern: hex[Int(byte & 15)])
                    length += 4
                }
            }
            pointer[length] = 0
            storage.append(pointer)
            flags.append(UInt32(HS_FLAG_SINGLEMATCH) | (pattern.nocase ? UInt32(HS_FLAG_CASELESS) : 0))
            ids.append(UInt32(index))
        }
        var database: OpaquePointer?
        var error: UnsafeMutablePointer<hs_compile_error_t>?
        let expressions: [UnsafePointer<CChar>?] = storage.map { UnsafePointer($0) }
        let status = hs_compile_multi(
            expressions,
            flags,
            ids,
            UInt32(patterns.count),
            UInt32(HS_MODE_BLOCK),
            nil,
            &database,
            &error
        )
        guard status == HS_SUCCESS, let database else {
            var failure = PatternCompileError(message: "status \(status)", patternIndex: nil)
            if let error {
                if let message = error.pointee.message { failure.message = String(cString: message) }
                if error.pointee.expression >= 0 { failure.patternIndex = Int(error.pointee.expression) }
                hs_free_compile_error(error)
            }
            throw failure
        }
        self.database = database
        self.patternCount = patterns.count
    }

    deinit { hs_free_database(self.database) }

    /// After `failure` compiling `patterns`: the patterns Vectorscan refuses on their own, by index, with its
    /// message. Vectorscan names the first bad expression; the rest are found by compiling halves, so a set
    /// with one bad pattern costs about two more compiles.
    /// - Throws: `failure` again when no single pattern explains it.
    package static func refusedPatterns(
        _ patterns: [PrefilterPattern], failure: PatternCompileError
    ) throws(PatternCompileError) -> [Int: String] {
        var bad: [Int: String] = [:]
        func search(_ indices: ArraySlice<Int>) {
            guard !indices.isEmpty else { return }
            do {
                _ = try MultiPatternDatabase(patterns: indices.map { patterns[$0] })
            } catch {
                if indices.count == 1 {
                    bad[indices[indices.startIndex]] = error.message
                    return
                }
                if let named = error.patternIndex, named < indices.count {
                    let index = indices[indices.startIndex + named]
                    bad[index] = error.message
                    search(indices.filter { $0 != index }[...])
                    return
                }
                let middle = indices.startIndex + indices.count / 2
                search(indices[..<middle])
                search(indices[middle...])
            }
        }
        search(Array(patterns.indices)[...])
        guard !bad.isEmpty else { throw failure }
        return bad
    }

    /// Bytes the compiled database occupies.
    package var byteSize: Int {
        var size = 0
        _ = hs_database_size(self.database, &size)
        return size
    }

    /// Scans `bytes` and appends the id of every pattern found (each at most once) to `sink`.
    ///
    /// - Complexity: Linear in `bytes.count`; no allocation.
    package func scan(_ bytes: UnsafeRawBufferPointer, scratch: PatternScratch, into sink: inout PatternHits) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        withUnsafeMutablePointer(to: &sink) { sinkPointer in
            _ = hs_scan(
                self.database,
                base.assumingMemoryBound(to: CChar.self),
                UInt32(truncatingIfNeeded: bytes.count),
                0,
                scratch.scratch,
                { id, _, _, _, context in
                    guard let context else { return 1 }
                    context.assumingMemoryBound(to: PatternHits.self).pointee.append(id)
                    return 0
                },
                sinkPointer
            )
        }
    }
}

/// Pattern ids found by one scan, in a preallocated buffer owned by the worker.
package struct PatternHits {
    /// Storage; the first ``count`` entries are valid.
    package private(set) var ids: [UInt32]
    /// Ids found so far.
    package private(set) var count = 0

    /// Makes a sink for up to `capacity` distinct ids.
    package init(capacity: Int) { self.ids = [UInt32](repeating: 0, count: max(capacity, 1)) }

    @inline(__always)
    mutating func append(_ id: UInt32) {
        guard self.count < self.ids.count else { return }
        self.ids[self.count] = id
        self.count += 1
    }

    /// Forgets the ids, keeping the storage.
    package mutating func removeAll() { self.count = 0 }
}

/// Vectorscan scratch space: one per worker, usable with every database it was prepared for.
package final class PatternScratch: @unchecked Sendable {
    fileprivate var scratch: OpaquePointer?

    /// Makes scratch space big enough for each of `databases`.
    package init(databases: [MultiPatternDatabase]) {
        var scratch: OpaquePointer?
        for database in databases { _ = hs_alloc_scratch(database.database, &scratch) }
        self.scratch = scratch
    }

    deinit { if let scratch = self.scratch { hs_free_scratch(scratch) } }
}
