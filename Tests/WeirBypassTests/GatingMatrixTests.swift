// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Testing
import WeirBypass
import WeirCapture
import WeirCore
import WeirRuntime

/// Messages of one in-process run, collected from any thread.
final class CollectedMessages: @unchecked Sendable {
    private let lock = NSLockLike()
    private var text = ""
    func append(_ line: String) { self.lock.withLock { self.text += line } }
    var all: String { self.lock.withLock { self.text } }
}

/// `xdp-mode: auto` (the default) degrades as `weir features` promises: native XDP → generic XDP → socket
/// filter → local bypass for IDS, native → generic → user-space forwarding inline, each fallback logged and
/// counted; an explicitly named mode the kernel lacks stops start-up.
@Suite("Kernel gating matrix: the plane xdp-mode auto picks at every WEIR_KERNEL_VERSION step", .serialized)
struct GatingMatrixTests {
    /// Every version where a feature appears, one below the lowest, and the running kernel (nil).
    static let steps: [String?] = {
        let versions = Set(KernelFeatures.Feature.allCases.map(\.minimumKernel.description))
        let sorted = versions.compactMap { KernelVersion(parsing: $0) }.sorted()
        return ["3.18"] + sorted.map { $0.description } + [nil]
    }()

    /// What this kernel (which has everything) must pick when acting as `version`.
    static func expected(_ version: String?, inline: Bool, bypass: Bool) -> (plane: String, fallbacks: Int) {
        guard bypass else { return ("none", 0) }
        let acting = version.flatMap { KernelVersion(parsing: $0) } ?? KernelVersion(99, 0)
        if inline { return acting >= KernelVersion(4, 14) ? ("xdp-native", 0) : ("local", 2) }
        if acting >= KernelVersion(4, 12) { return ("xdp-native", 0) }
        return acting >= KernelVersion(3, 19) ? ("socket-filter", 2) : ("local", 3)
    }

    /// Starts and stops one capture; returns its exit status, messages and stats record.
    func run(
        namespace: String, interface: String, overrides: [String], version: String?, tag: String
    ) throws -> (status: Int32, messages: String, stats: String, counters: [String: UInt64]) {
        let files = LiveRunFiles(tag, rules: "alert udp any any -> any any (msg:\"x\"; content:\"x\"; sid:1; rev:1;)\n")
        defer { files.remove() }
        var options = files.options(overrides)
        options.quiet = false
        let messages = CollectedMessages()
        options.messages = { messages.append($0) }
        let environment = version.map { ["WEIR_KERNEL_VERSION": $0] } ?? [:]
        let session = try LiveSession(in: namespace) { stop, ready in
            LiveCapture.run(options, interface: interface, stopFD: stop, environment: environment, ready: ready)
        }
        let status = session.stop()
        return (status, messages.all, files.stats(), files.counters())
    }

    @Test("every kernel step × IDS/inline × bypass on/off: the plane chosen, the fallbacks logged and counted")
    func matrix() throws {
        BPFLogging.silence()
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let pins = TemporaryPinRoot("matrix")
        defer { pins.remove() }
        var rows: [String] = ["kernel     mode    bypass  plane          fallbacks"]
        for version in Self.steps {
            for inline in [false, true] {
                for bypass in [false, true] {
                    var overrides = [
                        "af-packet.0.bypass=\(bypass ? "yes" : "no")", "bypass.pin-path=\(pins.path)",
                        "bypass.flow-table-size=1024",
                    ]
                    let (namespace, interface) = inline ? (chain.weir, chain.weirIn) : (pair.receiver, pair.receiverLink)
                    overrides.append("af-packet.0.interface=\(interface)")
                    if inline {
                        overrides += ["af-packet.0.copy-mode=ips", "af-packet.0.copy-iface=\(chain.weirOut)"]
                    }
                    let result = try self.run(
                        namespace: namespace, interface: interface, overrides: overrides, version: version,
                        tag: "matrix-\(version ?? "now")-\(inline)-\(bypass)")
                    for link in [pair.receiverLink, chain.weirIn, chain.weirOut] {
                        try? BypassDataPlane.unpin(directory: "\(pins.path)/\(link)")
                    }
                    let want = Self.expected(version, inline: inline, bypass: bypass)
                    let chosen =
                        result.messages.split(separator: "\n").first { $0.contains("bypass plane: ") }
                        .map { String($0.split(separator: " ").last ?? "") } ?? "none"
                    let fallbackLines = result.messages.split(separator: "\n").filter { $0.contains(" not used: ") }
                    let case_ = "\(version ?? "running") \(inline ? "inline" : "IDS") bypass \(bypass)"
                    #expect(result.status == 0, "\(case_): \(result.messages)")
                    #expect(chosen == want.plane, "\(case_): \(result.messages)")
                    #expect(fallbackLines.count == want.fallbacks, "\(case_): \(result.messages)")
                    if bypass {
                        #expect(
                            result.counters["flow_bypassed.plane_fallbacks", default: 0] == UInt64(want.fallbacks),
                            "\(case_): \(result.counters)")
                    }
                    let label = (version ?? "running").padding(10)
                    rows.append(
                        "\(label) \((inline ? "inline" : "IDS").padding(7)) \((bypass ? "yes" : "no").padding(7)) \(chosen.padding(14)) \(fallbackLines.count)")
                }
            }
        }
        print("gating matrix (xdp-mode auto):\n" + rows.joined(separator: "\n"))
    }

    @Test("an explicitly named mode the kernel lacks stops start-up with the reason", arguments: [
        ("soft", "4.9", false, "generic XDP cannot be used: XDP generic needs kernel 4.12"),
        ("driver", "4.13", true, "native XDP cannot be used: XDP_REDIRECT + devmap needs kernel 4.14"),
        ("none", "3.18", false, "socket filter cannot be used: socket filter (SO_ATTACH_BPF) needs kernel 3.19"),
    ])
    func explicitModeRefused(mode: String, version: String, inline: Bool, reason: String) throws {
        BPFLogging.silence()
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let pins = TemporaryPinRoot("explicit-\(mode)")
        defer { pins.remove() }
        let (namespace, interface) = inline ? (chain.weir, chain.weirIn) : (pair.receiver, pair.receiverLink)
        var overrides = [
            "af-packet.0.interface=\(interface)", "af-packet.0.bypass=yes", "af-packet.0.xdp-mode=\(mode)",
            "bypass.pin-path=\(pins.path)",
        ]
        if inline { overrides += ["af-packet.0.copy-mode=ips", "af-packet.0.copy-iface=\(chain.weirOut)"] }
        let result = try self.run(
            namespace: namespace, interface: interface, overrides: overrides, version: version, tag: "explicit-\(mode)")
        #expect(result.status == 2)
        #expect(result.messages.contains(reason), "\(result.messages)")
        // A refused start leaves no pin directory behind.
        #expect(((try? listNames(pins.path)) ?? []).isEmpty)
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    fileprivate func padding(_ width: Int) -> String {
        self.count >= width ? self : self + String(repeating: " ", count: width - self.count)
    }
}
