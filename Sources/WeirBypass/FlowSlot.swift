// SPDX-License-Identifier: MIT
import CLibBPF
import CWeirLinux
import Glibc

/// One slot of a kernel flow table (`weir_flow_slot_v4` or `weir_flow_slot_v6` from `weir_abi.h`), so the
/// table code is written once for both families.
protocol FlowSlot {
    associatedtype Key: BitwiseCopyable
    var key: Key { get set }
    var tag: UInt32 { get set }
    var value: weir_flow_value { get set }
    init()
    /// The same hash the kernel computes for `key` under the table's secret.
    static func hash(_ key: Key, _ secret: weir_hash_key) -> UInt32
}

extension weir_flow_slot_v4: FlowSlot {
    static func hash(_ key: weir_flow_key_v4, _ secret: weir_hash_key) -> UInt32 {
        var key = key
        var secret = secret
        return weir_flow_hash_v4(&key, &secret)
    }
}

extension weir_flow_slot_v6: FlowSlot {
    static func hash(_ key: weir_flow_key_v6, _ secret: weir_hash_key) -> UInt32 {
        var key = key
        var secret = secret
        return weir_flow_hash_v6(&key, &secret)
    }
}

/// A slot's state, the low byte of its tag.
enum SlotState: UInt32 {
    case empty = 0
    case live = 1
    case deleted = 2

    init(tag: UInt32) {
        self = SlotState(rawValue: tag & WEIR_SLOT_STATE_MASK) ?? .deleted
    }
}

extension FlowSlot {
    var state: SlotState { SlotState(tag: self.tag) }
    var generation: UInt32 { self.tag >> UInt32(WEIR_SLOT_GENERATION_SHIFT) }

    /// True when the slot holds exactly `key`, byte for byte (the ABI keys have no implicit padding).
    func holds(_ key: Key) -> Bool {
        var mine = self.key
        var other = key
        return withUnsafeBytes(of: &mine) { a in withUnsafeBytes(of: &other) { b in a.elementsEqual(b) } }
    }
}

extension weir_hash_key {
    /// A fresh secret from the system's random source.
    static func random() -> weir_hash_key {
        var generator = SystemRandomNumberGenerator()
        var key = weir_hash_key()
        withUnsafeMutableBytes(of: &key.k) { bytes in
            for index in 0..<Int(WEIR_HASH_KEY_WORDS) {
                bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: index * 8, as: UInt64.self)
            }
        }
        return key
    }

    /// The secret's words, for comparisons and messages.
    var words: [UInt64] {
        var key = self
        return withUnsafeBytes(of: &key.k) { Array($0.bindMemory(to: UInt64.self)) }
    }
}

extension BPFMap where Key == UInt32 {
    /// Every element of an ARRAY map in index order: with batch lookups when `batched` (and the kernel
    /// takes them), else one lookup per index.
    func allElements(batched: Bool) -> [Value] {
        let count = Int(self.info.max_entries)
        var out: [Value] = []
        out.reserveCapacity(count)
        if batched && self.batchedElements(count: count, into: &out) { return out }
        out.removeAll(keepingCapacity: true)
        for index in 0..<UInt32(count) {
            guard let value = self.lookup(index) else { return out }
            out.append(value)
        }
        return out
    }

    /// Reads the whole array with BPF_MAP_LOOKUP_BATCH; false when the kernel has no batch operations (or
    /// one fails), and the caller reads element by element instead.
    private func batchedElements(count: Int, into out: inout [Value]) -> Bool {
        let chunk = 4096
        var keys = [UInt32](repeating: 0, count: chunk)
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: chunk * MemoryLayout<Value>.stride,
            alignment: MemoryLayout<Value>.alignment
        )
        defer { buffer.deallocate() }
        var position: UInt32 = 0
        var started = false
        while out.count < count {
            var fetched = UInt32(chunk)
            var next: UInt32 = 0
            let rc = keys.withUnsafeMutableBytes { keyBytes in
                withUnsafeMutablePointer(to: &position) { at in
                    weir_map_lookup_batch(
                        self.fd,
                        started ? UnsafeMutableRawPointer(at) : nil,
                        &next,
                        keyBytes.baseAddress,
                        buffer.baseAddress,
                        &fetched
                    )
                }
            }
            if rc != 0 && rc != -ENOENT { return false }
            for i in 0..<Int(min(fetched, UInt32(chunk))) {
                out.append(buffer.load(fromByteOffset: i * MemoryLayout<Value>.stride, as: Value.self))
            }
            if rc == -ENOENT || fetched == 0 { break }
            position = next
            started = true
        }
        return out.count == count
    }
}
