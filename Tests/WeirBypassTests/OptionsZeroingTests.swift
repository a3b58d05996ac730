// SPDX-License-Identifier: MIT
import CLibBPF
import CWeirLinux
import Glibc
import Testing
import WeirBPFObjects
@testable import WeirBypass

private final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// libbpf refuses options whose bytes past the fields it knows (tail padding included) are not zero. Each
/// options type goes through one C helper that zeroes the whole storage; these tests fill the stack with
/// garbage before every call, as an optimised build may leave it, and expect every call to work.
@Suite("libbpf options are fully zeroed whatever the stack held")
struct OptionsZeroingTests {
    static let garbage: [UInt8] = [0x00, 0xa5, 0xff, 0x5a]

    @Test("the hazard is real: options with garbage padding are refused, zeroed ones are not")
    func hazardIsReal() {
        #expect(weir_test_xdp_query_with_padding(1, 0) == 0)
        #expect(weir_test_xdp_query_with_padding(1, 0xa5) == -EINVAL)
    }

    @Test("bpf_xdp_query_opts, bpf_map_create_opts, bpf_map_batch_opts, bpf_map_info after a dirty stack", arguments: garbage)
    func queryAndMaps(byte: UInt8) {
        _ = weir_test_scribble_stack(byte)
        var query = weir_xdp_query_result()
        #expect(weir_xdp_query(1, &query) == 0)  // lo: read only

        _ = weir_test_scribble_stack(byte)
        let fd = weir_map_create(BPF_MAP_TYPE_HASH, "weir_zero_test", 4, 4, 8, 0)
        #expect(fd >= 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)

        var keys = [UInt32](repeating: 0, count: 8)
        var values = [UInt32](repeating: 0, count: 8)
        var count: UInt32 = 8
        var next: UInt32 = 0
        _ = weir_test_scribble_stack(byte)
        // An empty map answers ENOENT; refused options would answer EINVAL.
        #expect(weir_map_lookup_batch(fd, nil, &next, &keys, &values, &count) == -ENOENT)

        var info = bpf_map_info()
        _ = weir_test_scribble_stack(byte)
        #expect(weir_map_info(fd, &info) == 0)
        #expect(info.max_entries == 8 && info.key_size == 4)
    }

    @Test("bpf_object_open_opts and bpf_test_run_opts after a dirty stack", arguments: garbage)
    func openAndTestRun(byte: UInt8) throws {
        BPFLogging.silence()
        _ = weir_test_scribble_stack(byte)
        let object = try BPFObject(bytes: BPFObjectBytes.weirBaseline, name: "weir_baseline")
        try object.load()
        let pass = try object.program(WEIR_PROG_XDP_PASS)
        _ = weir_test_scribble_stack(byte)
        let run = try pass.testRun([UInt8](repeating: 0, count: 60), repeat: 3)
        #expect(run.returnValue == 2)  // XDP_PASS
    }

    @Test("bpf_link_create_opts after a dirty stack: an XDP link on a private lo", arguments: garbage)
    func linkCreate(byte: UInt8) throws {
        BPFLogging.silence()
        let object = try BPFObject(bytes: BPFObjectBytes.weirBaseline, name: "weir_baseline")
        try object.load()
        let programFD = try object.program(WEIR_PROG_XDP_PASS).fd
        let outcome = Box<(link: Int32, cloexec: Bool, attached: UInt32, after: UInt32)>((-1, false, 0, 1))
        let ran = inFreshNamespace {
            let lo = Int32(if_nametoindex("lo"))
            _ = weir_test_scribble_stack(byte)
            let link = weir_xdp_link_create(programFD, lo, UInt32(XDP_FLAGS_SKB_MODE))
            var query = weir_xdp_query_result()
            _ = weir_xdp_query(lo, &query)
            let cloexec = link >= 0 && fcntl(link, F_GETFD) & FD_CLOEXEC != 0
            if link >= 0 {
                _ = bpf_link_detach(link)  // as XDPAttachment does: a forked child may hold a copy
                close(link)
            }
            var after = weir_xdp_query_result()
            _ = weir_xdp_query(lo, &after)
            outcome.value = (link, cloexec, query.prog_id, after.prog_id)
        }
        #expect(ran)
        #expect(outcome.value.link >= 0)
        #expect(outcome.value.cloexec)
        #expect(outcome.value.attached != 0 && outcome.value.after == 0)
    }

    @Test("no Swift source builds a libbpf options value itself")
    func noMemberwiseOptions() throws {
        let sources = URLLessPath.sourcesRoot()
        let offenders = try swiftFiles(under: sources).filter { path in
            let text = readText(path)
            return text.contains("_opts()") || text.contains("_opts>") || text.contains("_opts(sz")
        }
        #expect(offenders.isEmpty, "memberwise libbpf options in \(offenders)")
    }
}

/// Paths of this package, found from this file's location.
enum URLLessPath {
    static func sourcesRoot(file: String = #filePath) -> String {
        var parts = file.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last != "Tests" { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/") + "/Sources"
    }
}

func swiftFiles(under root: String) throws -> [String] {
    var out: [String] = []
    guard let handle = opendir(root) else { return [] }
    defer { closedir(handle) }
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let path = "\(root)/\(name)"
        if Int32(entry.pointee.d_type) == Int32(DT_DIR) {
            out += try swiftFiles(under: path)
        } else if name.hasSuffix(".swift") {
            out.append(path)
        }
    }
    return out
}

func readText(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}
