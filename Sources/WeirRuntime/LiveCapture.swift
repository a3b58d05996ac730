// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import WeirBypass
import WeirCapture
import WeirConfig
import WeirCore
import WeirDecode
import WeirFlow
import WeirOutput

/// Live capture (`--af-packet[=IF]`, `--pcap=IF`): TPACKET_V3 rings (one per worker, in a fanout group; two
/// per worker for an inline pair) or libpcap → the same pipeline as replay (decode, flows, stream, detection,
/// EVE), until SIGINT or SIGTERM (or the caller's stop descriptor).
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
        var options = options
        // An inline pair (`copy-mode: ips`) runs detection as IPS; the configuration decides before the rules load.
        if let peeked = try? RunSetup.loadConfiguration(options).configuration,
            let name = interface ?? peeked.afPacket.first?.interface,
            peeked.afPacket.first(where: { $0.interface == name })?.copyMode == .ips
        {
            options.simulateIPS = true
        }
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
        var entry = config.afPacket.first { $0.interface == name } ?? AFPacketInterface(interface: name)
        entry.checksumChecks = Self.checksumMode(entry, options: options)
        let inline = Self.inlinePeer(entry, config: config).map { peer -> AFPacketInterface in
            var peer = peer
            peer.checksumChecks = Self.checksumMode(peer, options: options)
            return peer
        }
        if entry.copyMode != .none && inline == nil {
            err.write("weir: \(name): copy-mode \(entry.copyMode.rawValue) needs copy-iface\n")
            return 2
        }
        let count = Self.workerCount(entry)
        // The kernel plane comes first: XDP is attached, or the socket filter loaded for the rings to attach
        // before they bind, so no frame of a flow already in a (reused) kernel table reaches a ring.
        var kernel: KernelBypass?
        var filterFD: Int32?
        var bypassCounters: [(String, UInt64)] = []
        let ownIndex = Int32(bitPattern: if_nametoindex(name))
        let peerIndex = inline.map { Int32(bitPattern: if_nametoindex($0.interface)) }
        let heartbeat = HeartbeatSettings(entry, inline: inline != nil)
        if (entry.bypass || heartbeat != nil) && ownIndex > 0 && (peerIndex ?? 1) > 0 {
            switch Self.chooseBypass(
                entry, peer: inline, config: config, indices: (ownIndex, peerIndex), environment: environment,
                heartbeat: heartbeat)
            {
            case .success(let choice):
                kernel = choice.kernel
                filterFD = choice.filterFD
                if let kernel {
                    // Entries a killed run left expire after the protocol's bypassed-flow timeout, unless adopted.
                    let flowSettings = config.flowTableSettings
                    kernel.orphanTimeout = { proto in
                        UInt64(max(1, flowSettings.timeouts(for: proto).bypassed)) * 1_000_000_000
                    }
                    if kernel.orphanCount > 0 {
                        err.write(
                            "weir: \(name): bypass: \(kernel.orphanCount) flows left in the kernel tables by an earlier run: adopted when seen, else expired when idle\n")
                    }
                }
                for line in choice.fallbacks { err.write("weir: \(name): bypass: \(line)\n") }
                if !options.quiet || !choice.fallbacks.isEmpty {
                    err.write("weir: \(name): bypass plane: \(choice.plane.rawValue)\n")
                }
                bypassCounters.append(("flow_bypassed.plane_fallbacks", UInt64(choice.fallbacks.count)))
                if let heartbeat, !options.quiet {
                    err.write(
                        "weir: \(name): fail-mode \(heartbeat.failMode == .open ? "open" : "closed"): heartbeat every \(heartbeat.periodNanoseconds / 1_000_000) ms; without one for \(heartbeat.timeoutNanoseconds / 1_000_000) ms the pair's XDP programs \(heartbeat.failMode == .open ? "forward everything" : "drop everything")\n")
                }
            case .failure(let message):
                err.write("weir: \(name): bypass: \(message)\n")
                return 2
            }
        }
        // A start that fails from here on removes what the bypass set up (programs, new pin directories).
        func failed(_ status: Int32) -> Int32 {
            kernel?.abandon()
            return status
        }
        // Every ring joins its fanout group before any is read, so the kernel splits traffic from the start. An
        // inline worker reads both interfaces of the pair: with the same (symmetric) flow hash and the same
        // number of members, both directions of a flow land in the same worker.
        var rings: [[AFPacketRing]] = []
        do {
            for _ in 0..<count {
                var settings = Self.ringSettings(entry, workers: count, inline: inline != nil)
                settings.filterProgramFD = filterFD
                var own = [try AFPacketRing(settings: settings)]
                if let inline {
                    own.append(try AFPacketRing(settings: Self.ringSettings(inline, workers: count, inline: true)))
                }
                rings.append(own)
            }
        } catch {
            err.write("weir: \(error)\n")
            return failed(2)
        }

        guard let (stopDescriptor, ownsStop) = Self.stopDescriptor(stopFD, err) else { return failed(1) }
        defer { if ownsStop { close(stopDescriptor) } }

        var workers: [LiveWorker] = []
        for (index, own) in rings.enumerated() {
            var outputs = setup.outputs
            if index > 0 {
                // Further workers append to the files the first one created (whole records per write).
                do {
                    outputs = try ReplayOutputs(
                        directory: setup.logDirectory, settings: config.outputs, stats: config.stats,
                        sensorName: config.sensorName, append: true, network: setup.outputs.networkSinks,
                        fileStore: setup.outputs.fileStore, messages: err)
                } catch {
                    err.write("weir: \(error)\n")
                    return failed(2)
                }
            }
            var pipeline = setup.pipeline(options, outputs: outputs)
            pipeline.liveSource = name
            pipeline.captureBypass = entry.bypass ? kernel.map { CaptureBypass(kernel: $0) } : nil
            if let bypass = pipeline.captureBypass {
                // The worker's own rings, read on its own thread: what it has not read yet when it writes an entry.
                bypass.ringBacklog = { own.reduce(0) { $0 + $1.backlog() } }
                bypass.log = { err.write($0) }
            }
            let decoders = own.map {
                PacketDecoder(
                    linkType: LinkType(rawValue: $0.linkType) ?? .ethernet, checksums: Self.checksums(entry.checksumChecks),
                    settings: pipeline.configuration.decoderSettings)
            }
            // Frames read on one interface of a pair leave through the other, by the worker's own socket.
            var forwarding: Forwarding?
            if inline != nil {
                do {
                    forwarding = Forwarding(
                        sender: try PacketSender(), peers: [own[1].interfaceIndex, own[0].interfaceIndex],
                        enforce: entry.copyMode == .ips)
                } catch {
                    err.write("weir: \(error)\n")
                    return failed(2)
                }
            }
            workers.append(
                LiveWorker(
                    rings: own, pipeline: pipeline, decoders: decoders, stopFD: stopDescriptor, forwarding: forwarding))
        }
        // The first worker gives the heartbeat: if it stops reading (killed, hung, stopped), the beat stops.
        if let heartbeat, let kernel {
            workers[0].heartbeat = (kernel, Double(heartbeat.periodNanoseconds) / 1e9)
        }
        let how = count == 1 ? "one worker" : "\(count) workers (fanout group \(entry.clusterID))"
        let pair = inline.map { " inline (\(entry.copyMode.rawValue)) with \($0.interface)" } ?? ""
        let status = Self.runWorkers(
            workers, setup: setup, options: options, name: name, description: "\(name)\(pair) with \(how)",
            inline: inline != nil, extraCounters: bypassCounters, kernel: kernel, ready: ready)
        // Entries of an earlier run that no flow adopted would outlive this one with nobody to remove them.
        kernel?.expireOrphans(all: true)
        return status
    }

    /// Live capture through libpcap (`--pcap=IF`): one worker, passive (no inline mode, no kernel bypass);
    /// otherwise the same pipeline, stop handling, stats record and summary as `--af-packet`.
    public static func runPcap(
        _ options: RunOptions,
        interface: String,
        stopFD: Int32? = nil,
        ready: (() -> Void)? = nil
    ) -> Int32 {
        let err = options.messageOutput
        let setup: RunSetup
        switch RunSetup.prepare(options) {
        case .ready(let prepared): setup = prepared
        case .done(let status): return status
        }
        var entry = setup.configuration.afPacket.first { $0.interface == interface } ?? AFPacketInterface(interface: interface)
        entry.checksumChecks = Self.checksumMode(entry, options: options)
        let source: PcapLive
        do {
            source = try PcapLive(interface: interface, promiscuous: entry.promiscuous)
        } catch {
            err.write("weir: \(error)\n")
            return 2
        }
        guard let linkType = LinkType(rawValue: source.linkType) else {
            err.write("weir: \(interface): link type \(source.linkType) is not supported\n")
            return 2
        }
        guard let (stopDescriptor, ownsStop) = Self.stopDescriptor(stopFD, err) else { return 1 }
        defer { if ownsStop { close(stopDescriptor) } }
        var pipeline = setup.pipeline(options)
        pipeline.liveSource = interface
        let decoder = PacketDecoder(
            linkType: linkType, checksums: Self.checksums(entry.checksumChecks, ring: false),
            settings: pipeline.configuration.decoderSettings)
        let worker = LiveWorker(
            rings: [], pipeline: pipeline, decoders: [decoder], stopFD: stopDescriptor, pcap: source)
        return Self.runWorkers(
            [worker], setup: setup, options: options, name: interface, description: "\(interface) (libpcap)",
            inline: false, ready: ready)
    }

    /// Runs the workers (the first on this thread) until they stop, then writes one stats record for all of
    /// them and the summary; returns the exit status. The control thread (SIGUSR2 rule reload, the control
    /// socket and the metrics endpoint when configured) runs beside them. `counterBoard` is handed the board
    /// the workers publish their counters on (about once a second), before they start.
    static func runWorkers(
        _ workers: [LiveWorker], setup: RunSetup, options: RunOptions, name: String, description: String,
        inline: Bool, extraCounters: [(String, UInt64)] = [], kernel: KernelBypass? = nil,
        ready: (() -> Void)?, counterBoard: ((CounterBoard) -> Void)? = nil
    ) -> Int32 {
        let err = options.messageOutput
        let count = workers.count
        let reloader = RuleReloader(options: options, detection: setup.detection, workers: count)
        let control = ControlPlane(
            reloader: reloader, workers: count, interfaces: Array(Set(workers.flatMap(\.interfaces))).sorted(),
            runningMode: "workers", version: options.versionText, inline: inline, extraCounters: extraCounters,
            kernel: kernel)
        for (index, worker) in workers.enumerated() {
            worker.index = index
            worker.control = control
        }
        let server: ControlServer
        do {
            let endpoints = try ControlEndpoints.resolve(options: options, configuration: setup.configuration)
            server = try ControlServer.start(
                control: control, endpoints: endpoints, err: err,
                placement: ThreadPlacement(setup.configuration.threading, options: options))
            if let path = endpoints.socketPath, !options.quiet { err.write("weir: control socket: \(path)\n") }
            if let metrics = endpoints.metrics, !options.quiet {
                let shown = metrics.isIPv6 ? "[\(metrics.host)]:\(metrics.port)" : "\(metrics.host):\(metrics.port)"
                err.write("weir: metrics: http://\(shown)/metrics\n")
            }
        } catch {
            err.write("weir: \(error)\n")
            return 2
        }
        ready?()
        if !options.quiet { err.write("weir: capturing on \(description); stop with Ctrl-C\n") }
        // Started by systemd with Type=notify: the unit is up once the rings (and any kernel plane) are.
        if cweir_sd_notify("READY=1\nSTATUS=capturing on \(description)") < 0 {
            err.write("weir: sd_notify: \(String(cString: strerror(errno)))\n")
        }
        let started = monotonicSeconds()
        // Each worker publishes its counters on the board; the first also writes the periodic records.
        let sharedKernel = kernel ?? workers.first?.pipeline.captureBypass?.kernel
        let places = Self.workerPlaces(workers, threading: setup.configuration.threading, name: name)
        let board = CounterBoard(
            threadNames: places.map(\.name),
            shared: { sharedKernel?.counters ?? [] })
        board.publishGlobal(EngineCounters.make(extraCounters))
        for (index, worker) in workers.enumerated() {
            worker.board = (board, index)
            worker.started = started
        }
        if let counterBoard { counterBoard(board) }
        // Worker 0 runs here; the others on threads of their own. With `set-cpu-affinity`, each first moves to
        // its CPU of the worker set (its interface's own set when it has one).
        let placement = ThreadPlacement(setup.configuration.threading, options: options)
        let threads = zip(workers, places).dropFirst().compactMap { worker, place in
            spawnThread(detached: false) {
                placement.place(.worker, index: place.index, interface: place.interface, name: place.name)
                worker.run()
            }
        }
        if let place = places.first {
            placement.place(.worker, index: place.index, interface: place.interface, name: place.name)
        }
        workers[0].run()
        _ = cweir_sd_notify("STOPPING=1")
        for thread in threads { pthread_join(thread, nil) }
        server.stop()
        let elapsed = monotonicSeconds() - started

        var statistics = AFPacketStatistics()
        for worker in workers { statistics.add(worker.statistics) }
        // The last stats record: every worker's final counters (its decoders are merged into its pipeline by
        // now), summed under Suricata's names, with the detection engine's last load or reload.
        for (index, worker) in workers.enumerated() {
            board.publish(index, worker.pipeline.allCounters(capture: worker.captureCounters))
        }
        let (totals, perThread) = board.snapshot()
        setup.outputs.detectEngines = [reloader.engine.statsEntry]
        setup.outputs.stats.write(
            time: LiveCapture.wallClock(), uptime: UInt64(max(0, elapsed)), totals: totals, threads: perThread,
            outputs: setup.outputs)
        setup.outputs.flush()
        setup.outputs.closeNetwork()

        if !options.quiet {
            err.write(
                workers[0].pipeline.summary(
                    files: 0, seconds: elapsed, logDirectory: setup.logDirectory,
                    others: workers.dropFirst().map(\.pipeline)))
            if count > 1 { err.write("  workers:  \(count) (figures above are their sums)\n") }
            err.write(
                "  kernel:   \(Format.count(statistics.packets)) packets, \(Format.count(statistics.drops)) dropped (ring full)\n")
        }
        for worker in workers {
            if let failure = worker.pipeline.outputs.writeError {
                err.write("weir: output error: \(failure)\n")
                return 2
            }
        }
        for worker in workers where worker.failure != nil {
            err.write("weir: \(name): \(worker.failure ?? "")\n")
        }
        return workers.contains { $0.failure != nil } ? 1 : 0
    }

    /// Each worker's thread name (`W#01-eth0`, as in the stats), the interface whose CPU set it may take, and
    /// its index in that set: among the interface's own workers when the interface has a set of its own,
    /// among all workers otherwise (Suricata hands out a set's CPUs in turn).
    static func workerPlaces(
        _ workers: [LiveWorker], threading: ThreadingSettings, name: String
    ) -> [(name: String, interface: String?, index: Int)] {
        var perInterface: [String: Int] = [:]
        return workers.enumerated().map { index, worker in
            let threadName = "W#" + (index + 1 < 10 ? "0" : "") + "\(index + 1)-\(name)"
            let interface = worker.interfaces.first
            guard let interface, threading.sets[.worker]?.interfaces[interface] != nil else {
                return (threadName, interface, index)
            }
            let own = perInterface[interface, default: 0]
            perInterface[interface] = own + 1
            return (threadName, interface, own)
        }
    }

    /// The descriptor that ends the capture: the caller's, or (nil) a signalfd for SIGINT and SIGTERM, which
    /// this thread blocks before the workers start so they inherit the mask; `owned` says to close it. Nil
    /// after reporting when the signalfd cannot be made.
    /// The process-owned path also installs the SIGHUP (reopen the logs) and SIGUSR2 (reload the rules)
    /// handlers: a sensor must survive logrotate's `kill -HUP`.
    static func stopDescriptor(_ stopFD: Int32?, _ err: MessageOutput) -> (fd: Int32, owned: Bool)? {
        if let stopFD { return (stopFD, false) }
        if cweir_ignore_operator_signals() != 0 {
            err.write("weir: sigaction: \(String(cString: strerror(errno)))\n")
            return nil
        }
        let fd = cweir_stop_signal_fd()
        guard fd >= 0 else {
            err.write("weir: signalfd: \(String(cString: strerror(errno)))\n")
            return nil
        }
        return (fd, true)
    }

    /// The other interface of an inline pair (`copy-mode: ips|tap` with `copy-iface`): its own entry, or one
    /// mirroring this entry's settings; its fanout group id differs, as a group belongs to one interface.
    static func inlinePeer(_ entry: AFPacketInterface, config: WeirConfiguration) -> AFPacketInterface? {
        guard entry.copyMode != .none, let other = entry.copyInterface, !other.isEmpty else { return nil }
        var peer = config.afPacket.first { $0.interface == other } ?? entry
        peer.interface = other
        peer.copyInterface = entry.interface
        peer.threads = entry.threads
        if peer.clusterID == entry.clusterID { peer.clusterID = entry.clusterID &+ 1 }
        return peer
    }

    /// Workers for an entry: `threads`, or one per online CPU for `auto`.
    static func workerCount(_ entry: AFPacketInterface) -> Int {
        if let threads = entry.threads { return max(1, threads) }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// The kernel's features, gated by `WEIR_KERNEL_VERSION` or else the configuration's
    /// `kernel-version-override`.
    static func kernelFeatures(_ config: WeirConfiguration, _ environment: [String: String]) -> KernelFeatures {
        var environment = environment
        if environment["WEIR_KERNEL_VERSION"] == nil, let version = config.kernelVersionOverride {
            environment["WEIR_KERNEL_VERSION"] = "\(version.major).\(version.minor).\(version.patch)"
        }
        return KernelFeatures.probe(environment: environment)
    }

    /// The data plane's sizes and pin root from the configuration's `bypass` section.
    static func bypassSettings(_ config: WeirConfiguration) -> WeirBypass.BypassSettings {
        var settings = WeirBypass.BypassSettings()
        settings.flowTableSize = UInt32(clamping: config.bypass.flowTableSize)
        settings.blockListSize = UInt32(clamping: config.bypass.blockListSize)
        settings.pinRoot = config.bypass.pinPath.isEmpty ? nil : config.bypass.pinPath
        return settings
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
    static func ringSettings(_ entry: AFPacketInterface, workers: Int = 1, inline: Bool = false) -> AFPacketRingSettings {
        var settings = AFPacketRingSettings(interface: entry.interface)
        settings.ignoreOutgoing = inline
        settings.trustKernelChecksums = entry.checksumChecks == .kernel
        if workers > 1 {
            // Suricata's cluster types: the flow hash (symmetric, so both directions of a flow meet in one
            // worker; with `defrag` the kernel reassembles fragments first), the CPU, the receive queue, or
            // round robin.
            let defrag: UInt16 = entry.defrag ? UInt16(PACKET_FANOUT_FLAG_DEFRAG) : 0
            let mode: UInt16
            switch entry.clusterType {
            case .clusterFlow, .clusterHash: mode = UInt16(PACKET_FANOUT_HASH) | defrag
            case .clusterCPU: mode = UInt16(PACKET_FANOUT_CPU)
            case .clusterQM: mode = UInt16(PACKET_FANOUT_QM)
            case .clusterRoundRobin: mode = UInt16(PACKET_FANOUT_LB)
            case .clusterRandom: mode = UInt16(PACKET_FANOUT_RND)
            case .clusterRollover: mode = UInt16(PACKET_FANOUT_ROLLOVER)
            // No eBPF load-balancing program is shipped: the flow hash splits the same way a flow-keyed one would.
            case .clusterEBPF: mode = UInt16(PACKET_FANOUT_HASH) | defrag
            }
            settings.fanout = (UInt16(truncatingIfNeeded: entry.clusterID), mode)
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var block = max(page, 1)
        while block < entry.blockSize { block <<= 1 }
        settings.blockSize = block
        settings.frameSize = min(block, 2048)
        settings.blockCount = max(4, entry.ringSize * 2048 / block)
        settings.blockTimeoutMilliseconds = entry.effectiveBlockTimeout
        settings.promiscuous = entry.promiscuous
        return settings
    }

    /// The entry's `checksum-checks`, unless `-k` forces one for the whole run, as in Suricata.
    static func checksumMode(_ entry: AFPacketInterface, options: RunOptions) -> AFPacketChecksumMode {
        switch options.checksumChecks {
        case "none": return .no
        case "all": return .yes
        case "auto": return .auto
        default: return entry.checksumChecks
        }
    }

    /// The decoder's checksum policy for `checksum-checks`. `kernel` (Suricata's default) validates every
    /// frame except those the kernel vouches for (``PcapRecord/checksumsVouched``): on a ring that is `all`
    /// with the per-frame flags; libpcap shows no flags, so there it is `auto`.
    static func checksums(_ mode: AFPacketChecksumMode, ring: Bool = true) -> ChecksumValidation {
        switch mode {
        case .yes: return .all
        case .no: return .none
        case .auto: return .auto
        case .kernel: return ring ? .all : .auto
        }
    }

    /// Wall-clock time, for flow timeouts while no packet arrives.
    static func wallClock() -> Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(seconds: Int64(now.tv_sec), microseconds: Int64(now.tv_nsec / 1000))
    }
}

/// Where an inline worker sends what it read: the sending socket, the peer interface of each ring, and
/// whether drops are enforced (`ips`) or everything is copied (`tap`).
struct Forwarding {
    let sender: PacketSender
    let peers: [Int32?]
    let enforce: Bool
}

/// One live-capture worker: a ring of the fanout group (two for an inline pair) and a pipeline of its own
/// (flows, stream, detection context, outputs). A flow stays in one worker (the fanout hash is symmetric),
/// so workers share nothing but the kernel bypass table, which has its own lock, and the sending socket.
final class LiveWorker: @unchecked Sendable {
    let rings: [AFPacketRing]
    /// libpcap instead of rings (`--pcap`).
    let pcap: PcapLive?
    var pipeline: ReplayPipeline
    var decoders: [PacketDecoder]
    let stopFD: Int32
    let forwarding: Forwarding?
    /// Why the worker stopped early, if it did.
    var failure: String?
    /// The interface of each ring (EVE `in_iface`), and which one the outputs name now.
    let interfaces: [String]
    private var currentInterface = -1
    /// `fail-mode`: the planes whose heartbeat this worker ticks, and how often (seconds).
    var heartbeat: (kernel: KernelBypass, period: Double)?
    /// Where this worker publishes its counters, and its slot there; worker 0 also writes the periodic
    /// stats records from it.
    var board: (board: CounterBoard, index: Int)?
    /// When the capture started (monotonic seconds), for `uptime`.
    var started = 0.0
    /// The worker's number (0 runs on the capture's thread), for the control plane.
    var index = 0
    /// Rule reload and counter requests; nil for captures run without one.
    var control: ControlPlane?
    /// The engine generation this worker runs, and the last counter request it answered.
    var engineGeneration = 1
    var answeredRequest = 0
    /// The decoders' counters are in the pipeline (done once, when the worker stops).
    var decodersMerged = false

    init(
        rings: [AFPacketRing], pipeline: ReplayPipeline, decoders: [PacketDecoder], stopFD: Int32,
        forwarding: Forwarding? = nil, pcap: PcapLive? = nil
    ) {
        self.rings = rings
        self.pcap = pcap
        self.interfaces = pcap.map { [$0.interface] } ?? rings.map(\.settings.interface)
        self.pipeline = pipeline
        self.decoders = decoders
        self.stopFD = stopFD
        self.forwarding = forwarding
    }

    /// Resets and unreachables sent for reject rules.
    private(set) var rejectsSent: UInt64 = 0

    /// One frame through the pipeline, then (inline) out of the other interface unless it was dropped; a
    /// reject also answers the source (back out of this interface) and/or the destination (out of the other).
    private func handle(_ index: Int, _ record: PcapRecord, _ emit: (inout Flow, FlowEndReason) -> Void) {
        if index != self.currentInterface && index < self.interfaces.count {
            self.currentInterface = index
            self.pipeline.outputs.inInterface = self.interfaces[index]
        }
        self.pipeline.process(record, decoder: &self.decoders[index], emit: emit)
        guard let forwarding = self.forwarding, let peer = forwarding.peers[index] else { return }
        if !(forwarding.enforce && self.pipeline.packetDropped) {
            forwarding.sender.send(record.bytes, interfaceIndex: peer)
        }
        if forwarding.enforce, let target = self.pipeline.packetRejected {
            for (toSource, out) in [(true, self.rings[index].interfaceIndex), (false, peer)]
            where toSource ? target.toSource : target.toDestination {
                guard let reply = RejectFrames.build(frame: record.bytes, packet: self.pipeline.packet, toSource: toSource)
                else { continue }
                reply.withUnsafeBytes { forwarding.sender.send($0, interfaceIndex: out) }
                self.rejectsSent += 1
            }
        }
    }

    private func wait(
        timeoutMilliseconds: Int32, stopFD: Int32?, _ emit: (inout Flow, FlowEndReason) -> Void
    ) -> AFPacketWait {
        if let pcap = self.pcap {
            return pcap.wait(timeoutMilliseconds: timeoutMilliseconds, stopFD: stopFD) { self.handle(0, $0, emit) }
        }
        return AFPacketRing.wait(self.rings, timeoutMilliseconds: timeoutMilliseconds, stopFD: stopFD) { index, record in
            self.handle(index, record, emit)
        }
    }

    /// This worker's capture counters: the kernel's for its rings, and (inline) what it sent.
    var captureCounters: [(String, UInt64)] {
        let kernel = self.statistics
        var out: [(String, UInt64)] = [
            ("capture.kernel_packets", kernel.packets), ("capture.kernel_drops", kernel.drops),
            ("capture.kernel_freezes", kernel.freezes),
        ]
        if let sender = self.forwarding?.sender {
            out.append(("capture.forwarded", sender.sent - min(sender.sent, self.rejectsSent)))
            out.append(("capture.afpacket.send_errors", sender.failures))
            out.append(("capture.rejects_sent", self.rejectsSent))
        }
        return out
    }

    /// Publishes this worker's counters (about once a second); worker 0 then writes a stats record and
    /// stats.log block when `stats.interval` seconds of wall-clock time have passed.
    private func publishCounters() {
        guard let (board, index) = self.board else { return }
        board.publish(index, self.pipeline.allCounters(decoders: self.decoders, capture: self.captureCounters))
        let now = LiveCapture.wallClock()
        guard index == 0, self.pipeline.outputs.stats.isDue(at: now.seconds) else { return }
        let (totals, threads) = board.snapshot()
        self.pipeline.outputs.stats.write(
            time: now, uptime: UInt64(max(0, monotonicSeconds() - self.started)), totals: totals, threads: threads,
            outputs: self.pipeline.outputs)
    }

    /// The kernel's counters over this worker's sources.
    var statistics: AFPacketStatistics {
        if let pcap = self.pcap { return pcap.statistics() }
        var sum = AFPacketStatistics()
        for ring in self.rings { sum.add(ring.statistics()) }
        return sum
    }

    /// Reads the rings until the stop descriptor becomes readable, then ends every flow (without a stats
    /// record: the capture writes one for all workers).
    func run() {
        let emit = self.pipeline.flowEndHandler()
        var refreshed = monotonicSeconds()
        var beaten = 0.0
        var flushed = monotonicSeconds()
        let timeout = self.heartbeat.map { Int32(max(1, min(250, $0.period * 1000))) } ?? 250
        var reopenGeneration = cweir_reopen_generation()
        var published = 0.0
        capture: while true {
            if self.board != nil, monotonicSeconds() - published >= 1 {
                self.publishCounters()
                published = monotonicSeconds()
            }
            // Between two ring reads, a packet boundary: a reloaded rule set is swapped in here.
            if let control = self.control {
                self.serviceControl(control)
                if control.stopRequested.load(ordering: .acquiring) {
                    // `shutdown` from the control socket: as a stop signal.
                    _ = self.wait(timeoutMilliseconds: 0, stopFD: nil, emit)
                    break capture
                }
            }
            // SIGHUP (log rotation): reopen between packets, so every record lands whole in one file.
            let generation = cweir_reopen_generation()
            if generation != reopenGeneration {
                reopenGeneration = generation
                for problem in self.pipeline.outputs.reopen() { self.pipeline.messages.write("weir: \(problem)\n") }
            }
            if let kernel = self.pipeline.captureBypass, monotonicSeconds() - refreshed >= 1 {
                kernel.refresh(&self.pipeline.flows, now: LiveCapture.wallClock())
                refreshed = monotonicSeconds()
            }
            if monotonicSeconds() - flushed >= 1 {
                // A sensor that is never idle still shows its EVE and fast.log records within a second.
                self.pipeline.outputs.flush()
                flushed = monotonicSeconds()
            }
            if let heartbeat = self.heartbeat, monotonicSeconds() - beaten >= heartbeat.period {
                for plane in heartbeat.kernel.planes { try? plane.heartbeat() }
                beaten = monotonicSeconds()
            }
            let outcome = self.wait(timeoutMilliseconds: timeout, stopFD: self.stopFD, emit)
            switch outcome {
            case .delivered(0):
                self.pipeline.idle(now: LiveCapture.wallClock(), emit: emit)
            case .delivered:
                continue
            case .stopped:
                // Whatever arrived before the stop is still read.
                _ = self.wait(timeoutMilliseconds: 0, stopFD: nil, emit)
                break capture
            case .failed(let message):
                self.failure = message
                break capture
            }
        }
        Self.merge(self.decoders, into: &self.pipeline)
        self.decodersMerged = true
        self.pipeline.finish(writeStats: false)
        if let control = self.control {
            // Stopped: the final counters answer every later request, and reloads no longer wait for it.
            control.post(
                worker: self.index, request: control.requested.load(ordering: .acquiring), snapshot: self.snapshot(),
                final: true)
            control.reloader.acknowledge(worker: self.index, generation: -1)
        }
    }
}
