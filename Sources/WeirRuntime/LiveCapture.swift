// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import WeirBypass
import WeirCapture
import WeirConfig
import WeirCore
import WeirDecode
import WeirFlow

/// Live capture (`--af-packet[=IF]`): one TPACKET_V3 ring on an interface → the same pipeline as replay
/// (decode, flows, stream, detection, EVE), until SIGINT or SIGTERM (or the caller's stop descriptor).
///
/// One worker reads one ring; `threads` above 1 is not used yet and says so.
public enum LiveCapture {
    /// Runs the capture and returns the process exit status (0 stopped cleanly, 1 capture failure, 2 usage,
    /// configuration or interface error).
    ///
    /// - Parameters:
    ///   - interface: the interface from the command line, or nil for the configuration's first
    ///     `af-packet` entry.
    ///   - stopFD: a descriptor that becomes readable when the capture must end (an eventfd, for callers in
    ///     the same process); nil blocks SIGINT and SIGTERM and stops on either.
    ///   - environment: the process environment (`WEIR_KERNEL_VERSION` gates the kernel features).
    ///   - ready: called once the ring is open, before the first wait.
    public static func run(
        _ options: RunOptions,
        interface: String?,
        stopFD: Int32? = nil,
        environment: [String: String] = [:],
        ready: (() -> Void)? = nil
    ) -> Int32 {
        let err = options.messageOutput
        let setup: RunSetup
        switch RunSetup.prepare(options) {
        case .ready(let prepared): setup = prepared
        case .done(let status): return status
        }
        let config = setup.configuration
        guard let name = interface ?? config.afPacket.first?.interface, !name.isEmpty, name != "default" else {
            err.write("weir: --af-packet needs an interface: --af-packet=IF, or an af-packet entry in the configuration\n")
            return 2
        }
        let entry = config.afPacket.first { $0.interface == name } ?? AFPacketInterface(interface: name)
        if let threads = entry.threads, threads > 1, !options.quiet {
            err.write("weir: warning: af-packet threads: \(threads) asked, one worker reads \(name) (fanout workers are not built yet)\n")
        }
        let ring: AFPacketRing
        do {
            ring = try AFPacketRing(settings: Self.ringSettings(entry))
        } catch {
            err.write("weir: \(error)\n")
            return 2
        }

        var stopDescriptor = stopFD ?? -1
        var ownsStop = false
        if stopFD == nil {
            stopDescriptor = cweir_stop_signal_fd()
            guard stopDescriptor >= 0 else {
                err.write("weir: signalfd: \(String(cString: strerror(errno)))\n")
                return 1
            }
            ownsStop = true
        }
        defer { if ownsStop { close(stopDescriptor) } }

        var pipeline = setup.pipeline(options)
        pipeline.liveSource = name
        if entry.bypass {
            switch Self.captureBypass(entry, config: config, ring: ring, environment: environment) {
            case .success(let kernel): pipeline.captureBypass = kernel
            case .failure(let message):
                err.write("weir: \(name): bypass: \(message)\n")
                return 2
            }
        }
        var decoder = PacketDecoder(linkType: .ethernet, checksums: Self.checksums(entry.checksumChecks))
        let emit = pipeline.flowEndHandler()
        ready?()
        if !options.quiet { err.write("weir: capturing on \(name); stop with Ctrl-C\n") }
        let started = monotonicSeconds()
        var refreshed = started
        var status: Int32 = 0
        capture: while true {
            if let kernel = pipeline.captureBypass, monotonicSeconds() - refreshed >= 1 {
                kernel.refresh(&pipeline.flows, now: Self.wallClock())
                refreshed = monotonicSeconds()
            }
            let outcome = ring.wait(timeoutMilliseconds: 250, stopFD: stopDescriptor) { record in
                pipeline.process(record, decoder: &decoder, emit: emit)
            }
            switch outcome {
            case .delivered(0):
                pipeline.idle(now: Self.wallClock(), emit: emit)
            case .delivered:
                continue
            case .stopped:
                // Whatever arrived before the stop is still read.
                _ = ring.wait(timeoutMilliseconds: 0) { record in
                    pipeline.process(record, decoder: &decoder, emit: emit)
                }
                break capture
            case .failed(let message):
                err.write("weir: \(name): \(message)\n")
                status = 1
                break capture
            }
        }
        pipeline.decoders[LinkType.ethernet.rawValue] = decoder
        let kernel = ring.statistics()
        pipeline.captureCounters = [
            ("capture.kernel_packets", kernel.packets),
            ("capture.kernel_drops", kernel.drops),
            ("capture.kernel_freezes", kernel.freezes),
        ]
        pipeline.finish()
        let elapsed = monotonicSeconds() - started
        if !options.quiet {
            err.write(pipeline.summary(files: 0, seconds: elapsed, logDirectory: setup.logDirectory))
            err.write("  kernel:   \(Format.count(kernel.packets)) packets, \(Format.count(kernel.drops)) dropped (ring full)\n")
        }
        if let failure = setup.outputs.writeError {
            err.write("weir: output error: \(failure)\n")
            return 2
        }
        return status
    }

    /// Loads the bypass data plane (pinned under `bypass.pin-path/<interface>`, so `weir bypass` sees it):
    /// `weir_xdp` attached to the interface when `xdp-mode` asks for XDP, else `weir_sock` attached to the
    /// capture socket.
    ///
    /// XDP bypass drops packets for the whole host, so it is refused on an interface with routable
    /// addresses unless the entry says `dedicated: yes` (a SPAN port or tap, where every packet is a copy).
    static func captureBypass(
        _ entry: AFPacketInterface, config: WeirConfiguration, ring: AFPacketRing, environment: [String: String]
    ) -> Result<CaptureBypass, BypassSetupError> {
        var environment = environment
        if environment["WEIR_KERNEL_VERSION"] == nil, let version = config.kernelVersionOverride {
            environment["WEIR_KERNEL_VERSION"] = "\(version.major).\(version.minor).\(version.patch)"
        }
        let features = KernelFeatures.probe(environment: environment)
        guard features.uses(.socketFilter) else {
            return .failure(BypassSetupError("eBPF socket filters are not available on this kernel"))
        }
        var settings = WeirBypass.BypassSettings()
        settings.flowTableSize = UInt32(clamping: config.bypass.flowTableSize)
        settings.blockListSize = UInt32(clamping: config.bypass.blockListSize)
        settings.pinRoot = config.bypass.pinPath.isEmpty ? nil : config.bypass.pinPath
        if entry.xdpMode != .none {
            let mode: XDPAttachment.RequestedMode
            switch entry.xdpMode {
            case .soft: mode = .generic
            case .driver: mode = .native
            case .hw, .none:
                return .failure(BypassSetupError("xdp-mode \(entry.xdpMode.rawValue) is not supported; use soft or driver"))
            }
            guard features.usesXDP else {
                return .failure(BypassSetupError("XDP is not available on this kernel; set xdp-mode: none for the socket filter"))
            }
            let addresses = Self.routableAddresses(entry.interface)
            if !entry.dedicated && !addresses.isEmpty {
                return .failure(
                    BypassSetupError(
                        "XDP bypass would drop this host's own traffic on \(entry.interface) (it has \(addresses.joined(separator: ", "))); set dedicated: yes if it is a capture-only port, or xdp-mode: none to hide bypassed flows from the capture socket only"
                    ))
            }
            do {
                let plane = try BypassDataPlane(kind: .xdp, settings: settings, features: features, interface: entry.interface)
                let attachment = try XDPAttachment(
                    program: plane.program, interfaceIndex: ring.interfaceIndex, mode: mode, features: features)
                return .success(CaptureBypass(plane: plane, attachment: attachment))
            } catch {
                return .failure(BypassSetupError("\(error)"))
            }
        }
        do {
            let plane = try BypassDataPlane(
                kind: .socketFilter, settings: settings, features: features, interface: entry.interface)
            try ring.attachFilter(programFD: plane.program.fd)
            return .success(CaptureBypass(plane: plane))
        } catch let error as BPFError {
            return .failure(BypassSetupError("\(error)"))
        } catch {
            return .failure(BypassSetupError("\(error)"))
        }
    }

    /// The interface's addresses other than IPv6 link-local ones, as text.
    static func routableAddresses(_ interface: String) -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(first) }
        var out: [String] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let name = entry.pointee.ifa_name, String(cString: name) == interface,
                let address = entry.pointee.ifa_addr
            else { continue }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                var v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                inet_ntop(AF_INET, &v4, &text, socklen_t(text.count))
            case AF_INET6:
                var v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                let bytes = withUnsafeBytes(of: &v6) { Array($0) }
                if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { continue }  // fe80::/10
                inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count))
            default:
                continue
            }
            out.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return out
    }

    /// The ring for an `af-packet` entry: Suricata's `block-size` (rounded up to a power of two of at least
    /// a page), and enough blocks for `ring-size` frames of 2 KiB.
    static func ringSettings(_ entry: AFPacketInterface) -> AFPacketRingSettings {
        var settings = AFPacketRingSettings(interface: entry.interface)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var block = max(page, 1)
        while block < entry.blockSize { block <<= 1 }
        settings.blockSize = block
        settings.frameSize = min(block, 2048)
        settings.blockCount = max(4, entry.ringSize * 2048 / block)
        settings.blockTimeoutMilliseconds = entry.blockTimeout
        settings.promiscuous = entry.promiscuous
        return settings
    }

    /// The decoder's checksum policy for `checksum-checks`. `kernel` (trust the offload flags) is read as
    /// `auto`: validate, and stop validating when the sample shows offloaded (unfilled) checksums.
    static func checksums(_ mode: AFPacketChecksumMode) -> ChecksumValidation {
        switch mode {
        case .yes: return .all
        case .no: return .none
        case .auto, .kernel: return .auto
        }
    }

    static func wallClock() -> Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(seconds: Int64(now.tv_sec), microseconds: Int64(now.tv_nsec / 1000))
    }
}

/// Why capture bypass could not be set up.
struct BypassSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
