// SPDX-License-Identifier: MIT
import CLibBPF
import Glibc

/// An XDP program attached to an interface; detached when this object goes away (and, with a bpf_link,
/// also when the process dies).
public final class XDPAttachment {
    /// The attach mode asked for.
    public enum RequestedMode: String, Sendable, CaseIterable {
        /// Driver (native) mode; fails when the driver has no XDP support.
        case native
        /// Generic (SKB) mode; works on every interface, slower.
        case generic
        /// Let the kernel choose (native where the driver supports it).
        case auto
    }

    /// The mode the kernel reports after attaching (`bpf_xdp_query`).
    public enum AttachedMode: String, Sendable {
        case native
        case generic
        case offload
        case multiple
        case unknown
    }

    /// How the program was attached.
    public enum Method: String, Sendable {
        /// A bpf_link (kernel 5.9+): detaches when the link's last descriptor closes.
        case link
        /// Netlink with XDP_FLAGS_UPDATE_IF_NOEXIST: survives the process; detached explicitly.
        case netlink
    }

    /// The interface index.
    public let interfaceIndex: Int32
    /// How it was attached.
    public let method: Method
    /// The mode actually in effect.
    public let attachedMode: AttachedMode
    /// The kernel's id of the attached program.
    public let programID: UInt32
    private let modeFlags: UInt32
    private var linkFD: Int32
    private var attached = true
    /// Where the link is pinned, so that it outlives the process (fail-open / fail-closed): the program
    /// stays attached after a crash and the next start takes the link over.
    public let pinPath: String?
    /// True when an earlier run's pinned link was taken over (its program replaced) rather than created.
    public let tookOverPinnedLink: Bool

    /// Attaches `program` to the interface.
    ///
    /// - Parameters:
    ///   - replaceForeign: detach another XDP program first. Without it, a foreign program makes this throw
    ///     `.foreignProgram` and is left in place.
    ///   - pinPath: pin the bpf_link there (bpffs), so the program stays attached if the process dies; a link
    ///     already pinned there (left by a killed run) is taken over: its program is replaced atomically, so
    ///     traffic never goes without a program. Needs bpf_link (kernel 5.9).
    /// - Throws: ``BPFError``; on failure nothing stays attached.
    public init(
        program: BPFProgram,
        interfaceIndex: Int32,
        mode: RequestedMode,
        features: KernelFeatures,
        replaceForeign: Bool = false,
        pinPath: String? = nil
    ) throws(BPFError) {
        let flags: UInt32
        switch mode {
        case .native: flags = UInt32(XDP_FLAGS_DRV_MODE)
        case .generic: flags = UInt32(XDP_FLAGS_SKB_MODE)
        case .auto: flags = 0
        }
        if pinPath != nil && !features.uses(.bpfLinkXDP) {
            throw BPFError(
                .unsupported, call: "pin XDP link on ifindex \(interfaceIndex)",
                message: "a program that outlives Weir needs bpf_link (kernel 5.9)")
        }
        self.pinPath = pinPath
        if let pinPath, access(pinPath, F_OK) == 0 {
            let pinned = bpf_obj_get(pinPath)
            if pinned < 0 { throw .system("bpf_obj_get(\(pinPath))", pinned) }
            let rc = bpf_link_update(pinned, program.fd, nil)
            if rc != 0 {
                close(pinned)
                throw .system("bpf_link_update(\(pinPath))", rc)
            }
            let now = try Self.query(interfaceIndex)
            self.interfaceIndex = interfaceIndex
            self.method = .link
            self.linkFD = pinned
            self.programID = now.prog_id
            self.attachedMode = Self.attachedMode(now.attach_mode)
            self.modeFlags = xdpModeFlags(now.attach_mode)
            self.tookOverPinnedLink = true
            return
        }
        self.tookOverPinnedLink = false
        let existing = try Self.query(interfaceIndex)
        if existing.prog_id != 0 {
            guard replaceForeign else {
                throw BPFError(
                    .foreignProgram,
                    call: "attach XDP to ifindex \(interfaceIndex)",
                    message:
                        "XDP program id \(existing.prog_id) is already attached; pass the replace flag to take over"
                )
            }
            let rc = bpf_xdp_detach(interfaceIndex, xdpModeFlags(existing.attach_mode), nil)
            if rc != 0 { throw .system("bpf_xdp_detach(ifindex \(interfaceIndex))", rc) }
        }
        var method = Method.netlink
        var linkFD: Int32 = -1
        if features.uses(.bpfLinkXDP) {
            linkFD = weir_xdp_link_create(program.fd, interfaceIndex, flags)
            if linkFD < 0 { throw .system("bpf_link_create(BPF_XDP, ifindex \(interfaceIndex))", linkFD) }
            if let pinPath {
                let rc = bpf_obj_pin(linkFD, pinPath)
                if rc != 0 {
                    _ = bpf_link_detach(linkFD)
                    close(linkFD)
                    throw .system("bpf_obj_pin(\(pinPath))", rc)
                }
            }
            method = .link
        } else {
            let rc = bpf_xdp_attach(interfaceIndex, program.fd, flags | UInt32(XDP_FLAGS_UPDATE_IF_NOEXIST), nil)
            if rc != 0 { throw .system("bpf_xdp_attach(ifindex \(interfaceIndex))", rc) }
        }
        let now = try Self.query(interfaceIndex)
        self.interfaceIndex = interfaceIndex
        self.method = method
        self.linkFD = linkFD
        self.programID = now.prog_id
        self.attachedMode = Self.attachedMode(now.attach_mode)
        self.modeFlags = xdpModeFlags(now.attach_mode)
    }

    private static func attachedMode(_ mode: UInt8) -> AttachedMode {
        switch Int(mode) {
        case XDP_ATTACHED_DRV: return .native
        case XDP_ATTACHED_SKB: return .generic
        case XDP_ATTACHED_HW: return .offload
        case XDP_ATTACHED_MULTI: return .multiple
        default: return .unknown
        }
    }

    /// Leaves the program attached after this process ends (a crash, or a stop that must keep failing open):
    /// only this process's descriptor is closed; the pinned link keeps the program on the interface.
    public func release() {
        guard self.attached, self.pinPath != nil else { return }
        self.attached = false
        close(self.linkFD)
        self.linkFD = -1
    }

    deinit {
        self.detach()
    }

    /// Detaches the program (idempotent), and removes its pinned link.
    public func detach() {
        guard self.attached else { return }
        self.attached = false
        if let pinPath = self.pinPath { unlink(pinPath) }
        if self.method == .link {
            // Detach explicitly before closing: the link's descriptor may have copies this close does not
            // end, for instance in a child another thread forked and that has not reached exec yet (its
            // O_CLOEXEC copy lives until then), and the program would stay attached meanwhile.
            _ = bpf_link_detach(self.linkFD)
            close(self.linkFD)
            self.linkFD = -1
            return
        }
        // Only remove the program if it is still ours.
        if let current = try? Self.query(self.interfaceIndex), current.prog_id == self.programID {
            _ = bpf_xdp_detach(self.interfaceIndex, self.modeFlags, nil)
        }
    }

    /// What is attached to an interface now.
    public static func query(_ interfaceIndex: Int32) throws(BPFError) -> weir_xdp_query_result {
        var result = weir_xdp_query_result()
        let rc = weir_xdp_query(interfaceIndex, &result)
        if rc != 0 { throw .system("bpf_xdp_query(ifindex \(interfaceIndex))", rc) }
        return result
    }
}

/// The attach flag matching a `bpf_xdp_query` attach mode.
private func xdpModeFlags(_ attachMode: UInt8) -> UInt32 {
    switch Int(attachMode) {
    case XDP_ATTACHED_DRV: return UInt32(XDP_FLAGS_DRV_MODE)
    case XDP_ATTACHED_SKB: return UInt32(XDP_FLAGS_SKB_MODE)
    case XDP_ATTACHED_HW: return UInt32(XDP_FLAGS_HW_MODE)
    default: return 0
    }
}
