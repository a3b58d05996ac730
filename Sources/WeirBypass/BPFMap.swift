// SPDX-License-Identifier: MIT
import CLibBPF
import Glibc

/// A BPF map with fixed key and value types, checked against the kernel's sizes when opened.
///
/// `Key` and `Value` must be the exact C layouts from `weir_abi.h` (BitwiseCopyable; the ABI structs spell
/// every padding byte out as a field, so no byte is left uninitialised).
public struct BPFMap<Key: BitwiseCopyable, Value: BitwiseCopyable> {
    /// The map's file descriptor, valid while this value (or the object it came from) lives.
    public let fd: Int32
    /// The map's name, for messages.
    public let name: String
    /// The kernel's description of the map (type, sizes, capacity).
    public let info: bpf_map_info
    let owner: AnyObject

    init(fd: Int32, name: String, owner: AnyObject) throws(BPFError) {
        var info = bpf_map_info()
        let rc = weir_map_info(fd, &info)
        if rc != 0 { throw .system("bpf_obj_get_info_by_fd(\(name))", rc) }
        guard info.key_size == MemoryLayout<Key>.size else {
            throw BPFError(
                .incompatiblePin,
                call: "open map \(name)",
                message: "key is \(info.key_size) bytes in the kernel, \(MemoryLayout<Key>.size) in this build"
            )
        }
        let perCPU = [BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH]
            .contains { $0.rawValue == info.type }
        if !perCPU && info.value_size != MemoryLayout<Value>.size {
            throw BPFError(
                .incompatiblePin,
                call: "open map \(name)",
                message: "value is \(info.value_size) bytes in the kernel, \(MemoryLayout<Value>.size) in this build"
            )
        }
        self.fd = fd
        self.name = name
        self.info = info
        self.owner = owner
    }

    /// Opens a pinned map by path; the returned value owns the descriptor.
    public static func pinned(at path: String, name: String) throws(BPFError) -> BPFMap {
        let fd = bpf_obj_get(path)
        if fd < 0 { throw .system("bpf_obj_get(\(path))", errno) }
        return try BPFMap(fd: fd, name: name, owner: BPFFileDescriptor(owning: fd))
    }

    /// The value stored under `key`, or nil when absent.
    public func lookup(_ key: Key) -> Value? {
        var key = key
        return withUnsafeTemporaryAllocation(of: Value.self, capacity: 1) { buffer -> Value? in
            guard let base = buffer.baseAddress else { return nil }
            let rc = bpf_map_lookup_elem(self.fd, &key, UnsafeMutableRawPointer(base))
            return rc == 0 ? UnsafeMutableRawPointer(base).load(as: Value.self) : nil
        }
    }

    /// How an update treats an existing entry.
    public enum UpdateMode: UInt64, Sendable {
        /// Create or replace (BPF_ANY).
        case any = 0
        /// Only create (BPF_NOEXIST).
        case create = 1
        /// Only replace (BPF_EXIST).
        case replace = 2
    }

    /// Stores `value` under `key`.
    public func update(_ key: Key, _ value: Value, mode: UpdateMode = .any) throws(BPFError) {
        var key = key
        var value = value
        let rc = bpf_map_update_elem(self.fd, &key, &value, mode.rawValue)
        if rc != 0 { throw .system("bpf_map_update_elem(\(self.name))", rc) }
    }

    /// Removes `key`; returns false when it was not present.
    @discardableResult
    public func delete(_ key: Key) throws(BPFError) -> Bool {
        var key = key
        let rc = bpf_map_delete_elem(self.fd, &key)
        if rc == 0 { return true }
        if rc == -ENOENT { return false }
        throw .system("bpf_map_delete_elem(\(self.name))", rc)
    }

    /// Every key currently in the map: a snapshot, as the kernel may add or evict entries meanwhile.
    public func keys() -> [Key] {
        var out: [Key] = []
        withUnsafeTemporaryAllocation(of: Key.self, capacity: 2) { buffer in
            guard let base = buffer.baseAddress else { return }
            let current = UnsafeMutableRawPointer(base)
            let next = UnsafeMutableRawPointer(base + 1)
            var rc = bpf_map_get_next_key(self.fd, nil, next)
            while rc == 0 {
                out.append(next.load(as: Key.self))
                current.copyMemory(from: UnsafeRawPointer(next), byteCount: MemoryLayout<Key>.size)
                rc = bpf_map_get_next_key(self.fd, current, next)
            }
        }
        return out
    }

    /// Every key with its value (a snapshot).
    public func entries() -> [(key: Key, value: Value)] {
        self.keys().compactMap { key in self.lookup(key).map { (key, $0) } }
    }
}

extension BPFMap where Value: FixedWidthInteger {
    /// For per-CPU maps: the value of `key` summed over all possible CPUs.
    ///
    /// The buffer is sized from libbpf's possible-CPU count with 8-byte slots, as the kernel copies one slot
    /// per possible CPU (sizing it from sysconf is Suricata's weakness #13).
    public func perCPUSum(_ key: Key) throws(BPFError) -> Value {
        let cpus = Int(libbpf_num_possible_cpus())
        if cpus <= 0 { throw .system("libbpf_num_possible_cpus", Int32(cpus)) }
        let stride = (MemoryLayout<Value>.size + 7) / 8 * 8
        var key = key
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * cpus, alignment: 8)
        defer { buffer.deallocate() }
        let rc = bpf_map_lookup_elem(self.fd, &key, buffer.baseAddress)
        if rc != 0 { throw .system("bpf_map_lookup_elem(\(self.name))", rc) }
        var total: Value = 0
        for cpu in 0..<cpus {
            total &+= buffer.load(fromByteOffset: cpu * stride, as: Value.self)
        }
        return total
    }

    /// For per-CPU maps: sets `key` to zero on every CPU.
    public func perCPUReset(_ key: Key) throws(BPFError) {
        let cpus = Int(libbpf_num_possible_cpus())
        if cpus <= 0 { throw .system("libbpf_num_possible_cpus", Int32(cpus)) }
        let stride = (MemoryLayout<Value>.size + 7) / 8 * 8
        var key = key
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: stride * cpus, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        let rc = bpf_map_update_elem(self.fd, &key, buffer.baseAddress, 0)
        if rc != 0 { throw .system("bpf_map_update_elem(\(self.name))", rc) }
    }
}
