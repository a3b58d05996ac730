// SPDX-License-Identifier: MIT
import Glibc
import WeirBypass
import WeirCapture
import WeirConfig

/// Where a capture's bypassed flows are handled.
public enum BypassPlane: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `weir_xdp` in the driver (native XDP).
    case xdpNative = "xdp-native"
    /// `weir_xdp` in generic (SKB) mode.
    case xdpGeneric = "xdp-generic"
    /// `weir_xdp` in whatever mode the kernel picks (inline `xdp-mode: none`).
    case xdpKernelChoice = "xdp"
    /// `weir_sock` on the capture sockets (IDS only).
    case socketFilter = "socket-filter"
    /// No kernel help: the worker skips bypassed flows (Suricata's local bypass); inline it still forwards them
    /// in user space.
    case local = "local"

    public var description: String {
        switch self {
        case .xdpNative: return "native XDP"
        case .xdpGeneric: return "generic XDP"
        case .xdpKernelChoice: return "XDP (mode chosen by the kernel)"
        case .socketFilter: return "socket filter"
        case .local: return "local bypass"
        }
    }

    /// The XDP attach mode, for the XDP planes.
    var attachMode: XDPAttachment.RequestedMode? {
        switch self {
        case .xdpNative: return .native
        case .xdpGeneric: return .generic
        case .xdpKernelChoice: return .auto
        case .socketFilter, .local: return nil
        }
    }

    /// The planes `xdp-mode` allows, best first; with `auto` each falls back to the next. Nil for a mode Weir
    /// does not build (`hw`).
    ///
    /// IDS: native XDP → generic XDP → socket filter → local bypass. Inline (the devmap redirect needs XDP on
    /// both interfaces; a socket filter would hide packets the worker must forward): native XDP → generic XDP
    /// → forwarding in user space.
    public static func candidates(_ mode: XDPMode, inline: Bool) -> [BypassPlane]? {
        switch (mode, inline) {
        case (.auto, false): return [.xdpNative, .xdpGeneric, .socketFilter, .local]
        case (.auto, true): return [.xdpNative, .xdpGeneric, .local]
        case (.none, false): return [.socketFilter]
        case (.none, true): return [.xdpKernelChoice]
        case (.soft, _): return [.xdpGeneric]
        case (.driver, _): return [.xdpNative]
        case (.hw, _): return nil
        }
    }

    /// Why this plane cannot be used with these features on this interface; nil when it can be tried.
    func unavailability(
        _ features: KernelFeatures, inline: Bool, dedicated: Bool, addresses: [String], interface: String
    ) -> String? {
        let version = features.overrideVersion.map { " (WEIR_KERNEL_VERSION=\($0))" } ?? ""
        func missing(_ feature: KernelFeatures.Feature) -> String {
            "\(feature.rawValue) needs kernel \(feature.minimumKernel)\(version)"
        }
        switch self {
        case .xdpNative, .xdpGeneric, .xdpKernelChoice:
            if !features.usesXDP { return missing(.xdpGeneric) }
            if self == .xdpNative && !features.uses(.xdpNative) { return missing(.xdpNative) }
            if inline && !features.uses(.xdpRedirect) { return missing(.xdpRedirect) }
            if !inline && !dedicated && !addresses.isEmpty {
                return
                    "XDP bypass would drop this host's own traffic on \(interface) (it has \(addresses.joined(separator: ", "))); set dedicated: yes if it is a capture-only port"
            }
            return nil
        case .socketFilter:
            if inline { return "a socket filter hides packets from the forwarding socket: not allowed inline" }
            return features.uses(.socketFilter) ? nil : missing(.socketFilter)
        case .local:
            return nil
        }
    }
}

/// The bypass plane a capture ended up with, and the fallbacks taken on the way.
struct BypassChoice {
    /// The loaded planes (nil for local bypass).
    var kernel: KernelBypass?
    /// The plane in use.
    var plane: BypassPlane
    /// One line per plane passed over, with its reason.
    var fallbacks: [String]

    /// The socket filter the capture rings attach before binding, when that is the plane.
    var filterFD: Int32? {
        guard self.plane == .socketFilter else { return nil }
        return self.kernel?.planes.first?.program.fd
    }
}

extension LiveCapture {
    /// Loads the bypass data plane for an `af-packet` entry (IDS) or inline pair, trying the planes
    /// `xdp-mode` allows in order (see ``BypassPlane/candidates(_:inline:)``). Maps are pinned under
    /// `bypass.pin-path/<interface>`, so `weir bypass` sees them.
    ///
    /// With `auto`, a plane the kernel lacks (or one that fails to load or attach) is passed over, with the
    /// reason logged and counted; an explicitly named mode that cannot be had stops start-up with the reason.
    ///
    /// Nothing is attached to capture sockets here: a socket filter is returned in ``BypassChoice/filterFD``
    /// for the rings to attach before they are bound, so no frame reaches a ring unfiltered.
    ///
    /// With a heartbeat (`fail-mode` on a pair) only the XDP planes qualify: they are what keeps traffic
    /// flowing (or stopped) once Weir is gone; their links are pinned so the programs outlive the process.
    static func chooseBypass(
        _ entry: AFPacketInterface, peer: AFPacketInterface?, config: WeirConfiguration, indices: (Int32, Int32?),
        environment: [String: String], heartbeat: HeartbeatSettings? = nil
    ) -> Result<BypassChoice, RuntimeError> {
        let features = Self.kernelFeatures(config, environment)
        let inline = peer != nil
        guard var candidates = BypassPlane.candidates(entry.xdpMode, inline: inline) else {
            return .failure(RuntimeError("xdp-mode \(entry.xdpMode.rawValue) is not supported; use auto, soft or driver"))
        }
        if heartbeat != nil {
            candidates = candidates.filter { $0.attachMode != nil }
            if config.bypass.pinPath.isEmpty {
                return .failure(RuntimeError("fail-mode needs bypass.pin-path: the XDP links are pinned there to outlive Weir"))
            }
        }
        let addresses = inline ? [] : Self.routableAddresses(entry.interface)
        var fallbacks: [String] = []
        for plane in candidates {
            var reason = plane.unavailability(
                features, inline: inline, dedicated: entry.dedicated, addresses: addresses, interface: entry.interface)
            if reason == nil {
                switch Self.load(
                    plane, entry, peer: peer, config: config, indices: indices, features: features, heartbeat: heartbeat)
                {
                case .success(let kernel):
                    return .success(BypassChoice(kernel: kernel, plane: plane, fallbacks: fallbacks))
                case .failure(let error):
                    reason = error.message
                }
            }
            let why = reason ?? "unavailable"
            guard entry.xdpMode == .auto else {
                return .failure(RuntimeError("xdp-mode \(entry.xdpMode.rawValue): \(plane) cannot be used: \(why)"))
            }
            fallbacks.append("\(plane) not used: \(why)")
        }
        return .failure(RuntimeError("no bypass plane could be used: \(fallbacks.joined(separator: "; "))"))
    }

    /// Loads and attaches one plane; `.local` loads nothing.
    private static func load(
        _ plane: BypassPlane, _ entry: AFPacketInterface, peer: AFPacketInterface?, config: WeirConfiguration,
        indices: (Int32, Int32?), features: KernelFeatures, heartbeat: HeartbeatSettings?
    ) -> Result<KernelBypass?, RuntimeError> {
        var base = Self.bypassSettings(config)
        if let heartbeat {
            base.heartbeatTimeoutNanoseconds = heartbeat.timeoutNanoseconds
            base.failMode = heartbeat.failMode
        }
        if plane == .local { return .success(nil) }
        if plane == .socketFilter {
            do {
                // Attached by each ring (with fanout, each member socket runs its own filter) before it binds.
                let loaded = try BypassDataPlane(kind: .socketFilter, settings: base, features: features, interface: entry.interface)
                return .success(KernelBypass(planes: [loaded]))
            } catch {
                return .failure(RuntimeError("\(error)"))
            }
        }
        guard let mode = plane.attachMode else { return .failure(RuntimeError("no attach mode")) }
        var targets: [(interface: String, index: Int32, other: Int32?)] = [(entry.interface, indices.0, nil)]
        if let peer, let peerIndex = indices.1 {
            targets = [(entry.interface, indices.0, peerIndex), (peer.interface, peerIndex, indices.0)]
        }
        var planes: [BypassDataPlane] = []
        var attachments: [XDPAttachment] = []
        for target in targets {
            var settings = base
            if let other = target.other {
                settings.isIPS = true
                settings.peerInterfaceIndex = UInt32(bitPattern: other)
            }
            do {
                let loaded = try BypassDataPlane(kind: .xdp, settings: settings, features: features, interface: target.interface)
                attachments.append(
                    try XDPAttachment(
                        program: loaded.program, interfaceIndex: target.index, mode: mode, features: features,
                        pinPath: heartbeat == nil ? nil : loaded.pinDirectory.map { "\($0)/\(Self.linkPinName)" }))
                planes.append(loaded)
            } catch {
                // Whatever this attempt attached or pinned goes before the next plane is tried.
                KernelBypass(planes: planes, attachments: attachments).abandon()
                return .failure(RuntimeError(peer == nil ? "\(error)" : "\(target.interface): \(error)"))
            }
        }
        return .success(KernelBypass(planes: planes, attachments: attachments, action: peer == nil ? .bypass : .fastForward))
    }
}


/// `fail-mode` with its heartbeat, for a copy-mode pair: how often the workers tick the kernel's heartbeat,
/// and how long the XDP programs wait without one before failing open or closed.
struct HeartbeatSettings {
    var failMode: WeirBypass.BypassSettings.FailMode
    var periodNanoseconds: UInt64
    var timeoutNanoseconds: UInt64

    /// The entry's `fail-mode` and heartbeat, for a copy-mode pair; nil without `fail-mode`.
    init?(_ entry: AFPacketInterface, inline: Bool) {
        guard inline, let mode = entry.failMode else { return nil }
        self.failMode = mode == .open ? .open : .closed
        self.periodNanoseconds = UInt64(entry.heartbeatPeriod) * 1_000_000
        self.timeoutNanoseconds = UInt64(entry.heartbeatTimeout) * 1_000_000
    }
}

extension LiveCapture {
    /// The pinned bpf_link's name in an interface's pin directory (with `fail-mode`).
    static let linkPinName = "weir_xdp_link"
}
