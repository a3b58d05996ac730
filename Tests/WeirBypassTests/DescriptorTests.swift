// SPDX-License-Identifier: MIT
import CLibBPF
import CWeirLinux
import Glibc
import Testing
import WeirBPFObjects
@testable import WeirBypass
import WeirCapture
import WeirRuntime

/// Runs `body` on a thread alone in a fresh network namespace (its own `lo`); true when it ran.
func inFreshNamespace(_ body: @escaping () -> Void) -> Bool {
    final class Job: @unchecked Sendable {
        let body: () -> Void
        var ran = false
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    let job = Job(body)
    let pointer = Unmanaged.passRetained(job).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(
        &thread,
        nil,
        { argument in
            guard let argument else { return nil }
            let job = Unmanaged<Job>.fromOpaque(argument).takeUnretainedValue()
            guard cweir_unshare_netns() == 0 else { return nil }
            job.body()
            job.ran = true
            return nil
        },
        pointer
    )
    if created == 0 { pthread_join(thread, nil) }
    Unmanaged<Job>.fromOpaque(pointer).release()
    return job.ran
}

func isCloseOnExec(_ fd: Int32) -> Bool {
    fd >= 0 && fcntl(fd, F_GETFD) & FD_CLOEXEC != 0
}

/// The detach flake (issue 11): a program stayed attached after its link was closed, because a child that a
/// concurrent test had forked (posix_spawn of `ip`) still held a copy of the link's descriptor until its
/// exec. Every descriptor Weir makes is close-on-exec, and a link is detached explicitly, not by its last close.
@Suite("Descriptors: close-on-exec, and links detached whoever holds a copy", .serialized)
struct DescriptorTests {
    @Test("closing an XDP link detaches the program even while a forked child holds a copy of the descriptor")
    func detachDespiteForkedCopy() throws {
        BPFLogging.silence()
        let object = try BPFObject(bytes: BPFObjectBytes.weirBaseline, name: "weir_baseline")
        try object.load()
        let program = try object.program(WEIR_PROG_XDP_PASS)
        final class Outcome: @unchecked Sendable {
            var before: UInt32 = 0
            var after: UInt32 = 99
            var child: pid_t = -1
            var linkCloexec = false
            var error: Error?
        }
        let outcome = Outcome()
        let ran = inFreshNamespace {
            do {
                let lo = Int32(if_nametoindex("lo"))
                let attachment = try XDPAttachment(program: program, interfaceIndex: lo, mode: .generic, features: probedFeatures)
                #expect(attachment.method == .link)
                outcome.before = try XDPAttachment.query(lo).prog_id
                // The child holds every descriptor, the link's included, and never execs.
                outcome.child = cweir_fork_idle_child()
                attachment.detach()
                outcome.after = try XDPAttachment.query(lo).prog_id
            } catch {
                outcome.error = error
            }
        }
        if outcome.child > 0 {
            kill(outcome.child, SIGKILL)
            var status: Int32 = 0
            while waitpid(outcome.child, &status, 0) < 0 && errno == EINTR {}
        }
        #expect(ran)
        if let error = outcome.error { throw error }
        #expect(outcome.child > 0)
        #expect(outcome.before != 0, "attached")
        #expect(outcome.after == 0, "detached although the child still holds the link's descriptor")
    }

    @Test("every descriptor Weir creates is close-on-exec: bpf objects, maps, links, rings, senders, signalfd, files")
    func closeOnExec() throws {
        BPFLogging.silence()
        var settings = BypassSettings()
        settings.pinRoot = nil
        settings.flowTableSize = 256
        settings.blockListSize = 16
        let plane = try BypassDataPlane(kind: .xdp, settings: settings, features: probedFeatures)
        #expect(isCloseOnExec(plane.program.fd))
        #expect(isCloseOnExec(plane.flowsV4.fd) && isCloseOnExec(plane.stats.fd) && isCloseOnExec(plane.control.fd))

        final class Seen: @unchecked Sendable {
            var link = false
            var ring = false
            var sender = false
            var pcap = false
            var signal = false
            var errors: [String] = []
        }
        let seen = Seen()
        let programFD = plane.program.fd
        let ran = inFreshNamespace {
            let lo = Int32(if_nametoindex("lo"))
            let link = weir_xdp_link_create(programFD, lo, UInt32(XDP_FLAGS_SKB_MODE))
            seen.link = isCloseOnExec(link)
            if link >= 0 {
                _ = bpf_link_detach(link)
                close(link)
            }
            do {
                let ring = try AFPacketRing(settings: AFPacketRingSettings(interface: "lo"))
                seen.ring = isCloseOnExec(ring.fd)
            } catch {
                seen.errors.append("\(error)")
            }
            do {
                let sender = try PacketSender()
                seen.sender = isCloseOnExec(sender.fd)
            } catch {
                seen.errors.append("\(error)")
            }
            // libpcap wants the interface up (a child started from this thread shares its namespace).
            runCommand(["ip", "link", "set", "lo", "up"])
            do {
                let live = try PcapLive(interface: "lo", promiscuous: false)
                seen.pcap = isCloseOnExec(live.selectable)
            } catch {
                seen.errors.append("\(error)")
            }
            // The stop signalfd blocks SIGINT/SIGTERM for this thread only (it ends with the test).
            let signal = cweir_stop_signal_fd()
            seen.signal = isCloseOnExec(signal)
            if signal >= 0 { close(signal) }
        }
        #expect(ran)
        #expect(seen.errors.isEmpty, "\(seen.errors)")
        #expect(seen.link, "bpf link")
        #expect(seen.ring, "AF_PACKET ring")
        #expect(seen.sender, "packet sender")
        #expect(seen.pcap, "libpcap socket")
        #expect(seen.signal, "signalfd")

        let path = "/tmp/weir-cloexec-\(getpid())"
        defer { unlink(path) }
        let sink = try FileSink(path: path, append: false)
        #expect(isCloseOnExec(sink.fd), "EVE file")
        withExtendedLifetime(sink) {}
    }
}
