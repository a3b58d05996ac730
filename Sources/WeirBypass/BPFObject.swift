// SPDX-License-Identifier: MIT
import CLibBPF
import Glibc

/// Installs a libbpf print callback that keeps warnings (on stderr) and drops debug chatter.
public enum BPFLogging {
    /// Routes libbpf's own messages: warnings and info go to file descriptor 2, debug is discarded.
    public static func install() {
        _ = libbpf_set_print { level, format, arguments in
            guard level != LIBBPF_DEBUG, let format, let arguments else { return 0 }
            return vdprintf(2, format, arguments)
        }
    }

    /// Silences libbpf completely (probes and tests, whose failures are expected and reported by Weir).
    public static func silence() {
        _ = libbpf_set_print { _, _, _ in 0 }
    }
}

/// An owned file descriptor that is closed when the last reference goes away.
public final class BPFFileDescriptor {
    /// The descriptor; valid until deinit.
    public let rawValue: Int32

    /// Takes ownership of `rawValue`.
    public init(owning rawValue: Int32) {
        self.rawValue = rawValue
    }

    deinit {
        close(self.rawValue)
    }
}

/// An opened (and, after ``load()``, loaded) libbpf object: programs plus maps, closed on deinit.
///
/// Setup-path only: every failure throws a ``BPFError`` naming the libbpf call.
public final class BPFObject {
    let handle: OpaquePointer
    /// The object's name, for messages.
    public let name: String
    // libbpf may keep pointers into the buffer given to bpf_object__open_mem until the object is closed.
    private let image: UnsafeMutableRawBufferPointer

    /// Opens an ELF image held in memory (one of `BPFObjectBytes`). Nothing is loaded into the kernel yet.
    public init(bytes: [UInt8], name: String) throws(BPFError) {
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { image.copyMemory(from: $0) }
        let openResult: OpaquePointer? = name.withCString { cName in
            weir_object_open_mem(image.baseAddress, bytes.count, cName)
        }
        guard let handle = openResult else {
            let code = errno
            image.deallocate()
            throw .system("bpf_object__open_mem(\(name))", code)
        }
        self.handle = handle
        self.name = name
        self.image = image
    }

    deinit {
        bpf_object__close(self.handle)
        self.image.deallocate()
    }

    /// Verifies and loads every program, creating (or reusing pinned) maps.
    public func load() throws(BPFError) {
        let rc = bpf_object__load(self.handle)
        if rc != 0 { throw .system("bpf_object__load(\(self.name))", rc) }
    }

    /// The program called `name`.
    public func program(_ name: String) throws(BPFError) -> BPFProgram {
        guard let program = bpf_object__find_program_by_name(self.handle, name) else {
            throw BPFError(.missingSymbol, call: "bpf_object__find_program_by_name(\(name))")
        }
        return BPFProgram(handle: program, name: name, owner: self)
    }

    /// The raw libbpf map called `name`, for settings made before ``load()``.
    func rawMap(_ name: String) throws(BPFError) -> OpaquePointer {
        guard let map = bpf_object__find_map_by_name(self.handle, name) else {
            throw BPFError(.missingSymbol, call: "bpf_object__find_map_by_name(\(name))")
        }
        return map
    }

    /// Whether the object defines a map called `name`.
    public func hasMap(_ name: String) -> Bool {
        bpf_object__find_map_by_name(self.handle, name) != nil
    }

    /// The loaded map called `name`, typed by its key and value (sizes checked against the kernel's).
    public func map<Key: BitwiseCopyable, Value: BitwiseCopyable>(
        _ name: String,
        key: Key.Type = Key.self,
        value: Value.Type = Value.self
    ) throws(BPFError) -> BPFMap<Key, Value> {
        let map = try self.rawMap(name)
        let fd = bpf_map__fd(map)
        if fd < 0 { throw .system("bpf_map__fd(\(name))", fd, "object not loaded") }
        return try BPFMap(fd: fd, name: name, owner: self)
    }

    /// Sets a map's capacity before load.
    public func setMaxEntries(_ name: String, _ count: UInt32) throws(BPFError) {
        let rc = bpf_map__set_max_entries(try self.rawMap(name), count)
        if rc != 0 { throw .system("bpf_map__set_max_entries(\(name))", rc) }
    }

    /// Tells libbpf not to create a map the kernel lacks; code using it must be switched off by a knob so the
    /// verifier never reaches it.
    public func setAutocreate(_ name: String, _ create: Bool) throws(BPFError) {
        let rc = bpf_map__set_autocreate(try self.rawMap(name), create)
        if rc != 0 { throw .system("bpf_map__set_autocreate(\(name))", rc) }
    }

    /// Sets where libbpf pins a map, or finds and reuses an existing pin of it.
    public func setPinPath(_ name: String, _ path: String) throws(BPFError) {
        let rc = bpf_map__set_pin_path(try self.rawMap(name), path)
        if rc != 0 { throw .system("bpf_map__set_pin_path(\(name))", rc) }
    }

    /// Names of the maps the object defines, excluding libbpf's internal `.rodata`/`.bss` maps.
    public var mapNames: [String] {
        var names: [String] = []
        var map = bpf_object__next_map(self.handle, nil)
        while let current = map {
            let name = String(cString: bpf_map__name(current))
            if !name.contains(".") { names.append(name) }
            map = bpf_object__next_map(self.handle, current)
        }
        return names
    }

    /// Replaces the read-only data section (the `const volatile` knobs) before load.
    ///
    /// The section must hold exactly one `T`; any other size means the object and this build disagree.
    public func setReadOnlyData<T: BitwiseCopyable>(_ value: T) throws(BPFError) {
        var map = bpf_object__next_map(self.handle, nil)
        while let current = map {
            let name = String(cString: bpf_map__name(current))
            if name.hasSuffix(".rodata") {
                var size = 0
                _ = bpf_map__initial_value(current, &size)
                guard size == MemoryLayout<T>.size else {
                    throw BPFError(
                        .missingSymbol,
                        call: "bpf_map__initial_value(\(name))",
                        message: ".rodata is \(size) bytes, expected \(MemoryLayout<T>.size)"
                    )
                }
                var copy = value
                let rc = withUnsafeBytes(of: &copy) {
                    bpf_map__set_initial_value(current, $0.baseAddress, $0.count)
                }
                if rc != 0 { throw .system("bpf_map__set_initial_value(\(name))", rc) }
                return
            }
            map = bpf_object__next_map(self.handle, current)
        }
        throw BPFError(.missingSymbol, call: "find .rodata in \(self.name)")
    }
}

/// One program of a ``BPFObject``; valid while the object lives (it holds a reference to it).
public struct BPFProgram {
    let handle: OpaquePointer
    /// The program's name.
    public let name: String
    let owner: BPFObject

    /// The program's file descriptor (valid once the object is loaded).
    public var fd: Int32 { bpf_program__fd(self.handle) }

    /// The result of one BPF_PROG_TEST_RUN.
    public struct TestRun: Sendable {
        /// The program's return value (the XDP action, or the socket filter's accepted length).
        public var returnValue: UInt32
        /// Average nanoseconds per repetition, as the kernel measured it.
        public var durationNanoseconds: UInt32
    }

    /// Runs the program on `frame` in the kernel with BPF_PROG_TEST_RUN, `count` times.
    ///
    /// For XDP the frame starts at its Ethernet header. A socket filter gets an skb whose data starts at
    /// layer 3 (the kernel runs `eth_type_trans` first) with the MAC header still recorded.
    public func testRun(_ frame: [UInt8], repeat count: UInt32 = 1) throws(BPFError) -> TestRun {
        var returnValue: UInt32 = 0
        var duration: UInt32 = 0
        let rc = frame.withUnsafeBytes { buffer in
            weir_prog_test_run(
                self.fd, buffer.baseAddress, UInt32(buffer.count), Int32(bitPattern: count), &returnValue, &duration
            )
        }
        if rc != 0 { throw .system("bpf_prog_test_run_opts(\(self.name))", rc) }
        return TestRun(returnValue: returnValue, durationNanoseconds: duration)
    }
}
