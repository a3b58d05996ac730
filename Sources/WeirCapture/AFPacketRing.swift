// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import WeirCore

/// How to open one AF_PACKET capture ring.
public struct AFPacketRingSettings: Sendable, Equatable {
    /// The interface to capture on.
    public var interface: String
    /// TPACKET_V3 block size in bytes (a power of two, at least a page; Suricata's `block-size`).
    public var blockSize: Int = 1 << 20
    /// Blocks in the ring.
    public var blockCount: Int = 16
    /// Largest frame the ring keeps whole (`tp_frame_size`; longer frames are cut, their wire length kept).
    public var frameSize: Int = 1 << 16
    /// Milliseconds after which the kernel hands over a block that is not full (`block-timeout`).
    public var blockTimeoutMilliseconds: Int = 10
    /// PACKET_FANOUT group id and mode, or nil for a socket of its own.
    public var fanout: (id: UInt16, mode: UInt16)? = nil
    /// Put the interface in promiscuous mode while the socket lives.
    public var promiscuous: Bool = true
    /// Leave out frames this host sends on the interface (PACKET_IGNORE_OUTGOING): an inline worker must not
    /// read back what it forwarded.
    public var ignoreOutgoing: Bool = false
    /// Pass the kernel's checksum flags on (``PcapRecord/checksumsVouched``); off, every frame is checked.
    public var trustKernelChecksums: Bool = false
    /// An eBPF socket filter (SO_ATTACH_BPF) attached before the socket is bound, so no frame reaches the
    /// ring unfiltered (capture bypass: a flow already in the kernel table never shows up, even at start).
    public var filterProgramFD: Int32? = nil

    /// A ring on `interface` with the defaults.
    public init(interface: String) { self.interface = interface }

    public static func == (a: Self, b: Self) -> Bool {
        a.interface == b.interface && a.blockSize == b.blockSize && a.blockCount == b.blockCount
            && a.frameSize == b.frameSize && a.blockTimeoutMilliseconds == b.blockTimeoutMilliseconds
            && a.fanout?.id == b.fanout?.id && a.fanout?.mode == b.fanout?.mode && a.promiscuous == b.promiscuous
            && a.ignoreOutgoing == b.ignoreOutgoing && a.trustKernelChecksums == b.trustKernelChecksums
            && a.filterProgramFD == b.filterProgramFD
    }
}

/// What one wait on a ring ended with.
public enum AFPacketWait: Equatable, Sendable {
    /// Frames were delivered (possibly none, when the wait timed out).
    case delivered(Int)
    /// The stop descriptor became readable.
    case stopped
    /// poll() or the socket failed; the message names the call.
    case failed(String)
}

/// What a poll over capture descriptors and a stop descriptor found: each capture descriptor's events, or
/// the end of the wait (stopped, failed, or interrupted: nothing delivered).
enum CapturePoll {
    case events([Int16])
    case ended(AFPacketWait)
}

/// Waits until one of `descriptors` (or `stopFD`) is readable or `timeoutMilliseconds` pass.
func pollCapture(_ descriptors: [Int32], stopFD: Int32?, timeoutMilliseconds: Int32) -> CapturePoll {
    var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    if let stopFD { fds.append(pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)) }
    let rc = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
    if rc < 0 {
        return .ended(errno == EINTR ? .delivered(0) : .failed("poll: \(String(cString: strerror(errno)))"))
    }
    if stopFD != nil && fds[descriptors.count].revents != 0 { return .ended(.stopped) }
    return .events(fds.prefix(descriptors.count).map(\.revents))
}

/// Kernel counters of a capture socket since it was opened.
public struct AFPacketStatistics: Sendable, Equatable {
    /// Frames the socket received (delivered to the ring or dropped for lack of room).
    public var packets: UInt64 = 0
    /// Frames dropped because the ring was full.
    public var drops: UInt64 = 0
    /// Times the queue was frozen because the ring was full.
    public var freezes: UInt64 = 0

    /// All zero.
    public init() {}

    /// Adds `other`'s counts (several rings, or several workers).
    public mutating func add(_ other: AFPacketStatistics) {
        self.packets += other.packets
        self.drops += other.drops
        self.freezes += other.freezes
    }
}

/// A TPACKET_V3 receive ring on one interface: an AF_PACKET socket whose frames the kernel writes into
/// shared memory in blocks, read here without a copy or a system call per frame.
///
/// Frames are handed out as ``PcapRecord``s valid only during the callback. A VLAN tag the kernel took off
/// the frame (TP_STATUS_VLAN_VALID) is put back in, so the decoder and the kernel programs see the same
/// frame. Not thread-safe: one reader per ring; several rings share a fanout group for more workers.
public final class AFPacketRing {
    /// The socket; a BPF socket filter can be attached to it (``attachFilter(programFD:)``).
    public let fd: Int32
    /// The interface's index.
    public let interfaceIndex: Int32
    /// The frames' pcap link type: 1 (Ethernet; also loopback, whose frames carry an Ethernet header) or 101
    /// (raw IP: tun and other interfaces without a link header).
    public let linkType: Int32
    /// What the ring was opened with.
    public let settings: AFPacketRingSettings
    private let ring: UnsafeMutableRawPointer
    private let ringBytes: Int
    private var block = 0
    private var scratch: UnsafeMutableRawBufferPointer
    private var counted = AFPacketStatistics()
    /// Frames taken out of the ring so far: every frame of every block read, the one being handled included.
    public private(set) var framesRead: UInt64 = 0
    /// Offset of a frame's `sll_pkttype` from its tpacket3_hdr (the sockaddr_ll follows the aligned header).
    private let packetTypeOffset: Int

    /// Opens the socket, sets up and maps the ring, and binds it to the interface.
    public init(settings: AFPacketRingSettings) throws(CaptureError) {
        let name = settings.interface
        let index = Int32(bitPattern: if_nametoindex(name))
        guard index > 0 else { throw CaptureError(path: name, message: "no such interface") }
        let hardware = cweir_interface_hardware_type(name)
        guard let linkType = Self.linkType(hardwareType: hardware) else {
            throw CaptureError(
                path: name, message: "hardware type \(hardware) is not supported (Ethernet, loopback and raw-IP interfaces are)")
        }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard settings.blockSize >= pageSize, settings.blockSize & (settings.blockSize - 1) == 0,
            settings.blockCount > 0, settings.frameSize >= 128, settings.frameSize <= settings.blockSize
        else {
            throw CaptureError(
                path: name,
                message: "ring: block size \(settings.blockSize) must be a power of two of at least \(pageSize), frame size at most the block size"
            )
        }
        // Protocol 0: nothing is queued before the ring exists and the socket is bound.
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure(name, "socket(AF_PACKET)") }
        var ok = false
        defer { if !ok { close(fd) } }

        var version = Int32(TPACKET_V3.rawValue)
        guard setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw Self.failure(name, "setsockopt(PACKET_VERSION, TPACKET_V3)")
        }
        let frameSize = Int(cweir_tpacket_align(UInt32(settings.frameSize)))
        var request = tpacket_req3()
        request.tp_block_size = UInt32(settings.blockSize)
        request.tp_block_nr = UInt32(settings.blockCount)
        request.tp_frame_size = UInt32(frameSize)
        request.tp_frame_nr = UInt32(settings.blockSize / frameSize * settings.blockCount)
        request.tp_retire_blk_tov = UInt32(max(1, settings.blockTimeoutMilliseconds))
        request.tp_feature_req_word = 0
        guard setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, socklen_t(MemoryLayout<tpacket_req3>.size)) == 0
        else { throw Self.failure(name, "setsockopt(PACKET_RX_RING)") }
        let bytes = settings.blockSize * settings.blockCount
        guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw Self.failure(name, "mmap(ring)")
        }
        if var program = settings.filterProgramFD,
            setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &program, socklen_t(MemoryLayout<Int32>.size)) != 0
        {
            let failure = Self.failure(name, "setsockopt(SO_ATTACH_BPF)")
            munmap(mapped, bytes)
            throw failure
        }
        // Protocol 0 until here: binding with ETH_P_ALL is what starts delivery, after the ring and filter exist.
        guard cweir_packet_bind(fd, index) == 0 else {
            munmap(mapped, bytes)
            throw Self.failure(name, "bind")
        }
        if let fanout = settings.fanout {
            var argument = Int32(fanout.id) | Int32(fanout.mode) << 16
            guard setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &argument, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                munmap(mapped, bytes)
                throw Self.failure(name, "setsockopt(PACKET_FANOUT)")
            }
        }
        var one: Int32 = 1
        if settings.ignoreOutgoing
            && setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, socklen_t(MemoryLayout<Int32>.size)) != 0
        {
            munmap(mapped, bytes)
            throw Self.failure(name, "setsockopt(PACKET_IGNORE_OUTGOING)")
        }
        if settings.promiscuous && cweir_packet_promisc(fd, index) != 0 {
            munmap(mapped, bytes)
            throw Self.failure(name, "setsockopt(PACKET_ADD_MEMBERSHIP, promiscuous)")
        }
        self.fd = fd
        self.interfaceIndex = index
        self.linkType = linkType
        self.settings = settings
        self.ring = mapped
        self.ringBytes = bytes
        self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: frameSize + 8, alignment: 16)
        self.packetTypeOffset =
            Int(cweir_tpacket_align(UInt32(MemoryLayout<tpacket3_hdr>.size)))
            + (MemoryLayout<sockaddr_ll>.offset(of: \.sll_pkttype) ?? 10)
        ok = true
    }

    deinit {
        munmap(self.ring, self.ringBytes)
        close(self.fd)
        self.scratch.deallocate()
    }

    /// The pcap link type of an ARPHRD_* hardware type, or nil when Weir cannot decode its frames.
    public static func linkType(hardwareType: Int32) -> Int32? {
        switch hardwareType {
        case 1, 772: return 1  // ARPHRD_ETHER, ARPHRD_LOOPBACK
        case 0xFFFE, 519: return 101  // ARPHRD_NONE (tun, wireguard), ARPHRD_RAWIP
        default: return nil
        }
    }

    static func failure(_ interface: String, _ call: String) -> CaptureError {
        CaptureError(path: interface, message: "\(call): \(String(cString: strerror(errno)))")
    }

    /// Attaches an eBPF socket filter (SO_ATTACH_BPF): frames it hides never reach the ring.
    public func attachFilter(programFD: Int32) throws(CaptureError) {
        var program = programFD
        guard setsockopt(self.fd, SOL_SOCKET, SO_ATTACH_BPF, &program, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw Self.failure(self.settings.interface, "setsockopt(SO_ATTACH_BPF)")
        }
    }

    /// Delivers every frame of the blocks the kernel has handed over on any of `rings` (an inline worker reads
    /// both interfaces of its pair); when there are none, waits up to `timeoutMilliseconds` for one (or for
    /// `stopFD`, when given, to become readable). `body` gets the index of the ring each frame came from.
    public static func wait(
        _ rings: [AFPacketRing],
        timeoutMilliseconds: Int32,
        stopFD: Int32? = nil,
        _ body: (Int, PcapRecord) -> Void
    ) -> AFPacketWait {
        var delivered = 0
        for (index, ring) in rings.enumerated() { delivered += ring.drainReadyBlocks { body(index, $0) } }
        if delivered > 0 { return .delivered(delivered) }
        switch pollCapture(rings.map(\.fd), stopFD: stopFD, timeoutMilliseconds: timeoutMilliseconds) {
        case .ended(let outcome):
            return outcome
        case .events(let events):
            for (index, ring) in rings.enumerated() {
                if events[index] & Int16(POLLERR | POLLNVAL) != 0 {
                    return .failed("poll: socket error on \(ring.settings.interface)")
                }
                delivered += ring.drainReadyBlocks { body(index, $0) }
            }
            return .delivered(delivered)
        }
    }

    /// The kernel's counters since the socket was opened (PACKET_STATISTICS resets on read; summed here).
    public func statistics() -> AFPacketStatistics {
        var stats = tpacket_stats_v3()
        var length = socklen_t(MemoryLayout<tpacket_stats_v3>.size)
        if getsockopt(self.fd, SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0 {
            // tp_packets counts every frame, delivered or dropped.
            self.counted.packets += UInt64(stats.tp_packets)
            self.counted.drops += UInt64(stats.tp_drops)
            self.counted.freezes += UInt64(stats.tp_freeze_q_cnt)
        }
        return self.counted
    }

    /// Frames the kernel has put in the ring that have not been read yet: what its counters say it wrote
    /// (PACKET_STATISTICS, delivered less dropped) less ``framesRead``. Called by the reader (during a frame's
    /// handling, it is the frames behind that one), like ``statistics()``.
    public func backlog() -> UInt64 {
        let counted = self.statistics()
        let written = counted.packets &- counted.drops
        return written > self.framesRead ? written - self.framesRead : 0
    }

    private func drainReadyBlocks(_ body: (PcapRecord) -> Void) -> Int {
        var delivered = 0
        // At most one lap of the ring per call, so a busy interface cannot starve the caller.
        for _ in 0..<self.settings.blockCount {
            let descriptor = (self.ring + self.block * self.settings.blockSize)
                .assumingMemoryBound(to: tpacket_block_desc.self)
            guard cweir_block_status(descriptor) & UInt32(TP_STATUS_USER) != 0 else { break }
            delivered += self.deliver(block: descriptor, body)
            cweir_block_release(descriptor)
            self.block = (self.block + 1) % self.settings.blockCount
        }
        return delivered
    }

    private func deliver(block descriptor: UnsafeMutablePointer<tpacket_block_desc>, _ body: (PcapRecord) -> Void) -> Int {
        let header = descriptor.pointee.hdr.bh1
        let count = Int(header.num_pkts)
        let base = UnsafeMutableRawPointer(descriptor)
        var offset = Int(header.offset_to_first_pkt)
        let limit = self.settings.blockSize
        // Every frame of the block leaves the ring with it, even those a bad offset keeps from being read.
        let readBefore = self.framesRead
        defer { self.framesRead = readBefore + UInt64(count) }
        for _ in 0..<count {
            guard offset > 0, offset + MemoryLayout<tpacket3_hdr>.size <= limit else { break }
            self.framesRead += 1
            let frame = (base + offset).assumingMemoryBound(to: tpacket3_hdr.self)
            let mac = Int(frame.pointee.tp_mac)
            let captured = Int(frame.pointee.tp_snaplen)
            // PACKET_IGNORE_OUTGOING does not reach fanout members on every kernel: check each frame too.
            let outgoing =
                self.settings.ignoreOutgoing
                && base.load(fromByteOffset: offset + self.packetTypeOffset, as: UInt8.self) == UInt8(PACKET_OUTGOING)
            if mac > 0 && offset + mac + captured <= limit && !outgoing {
                let stamp = Timestamp(
                    seconds: Int64(frame.pointee.tp_sec),
                    microseconds: Int64(frame.pointee.tp_nsec / 1000)
                )
                let bytes = UnsafeRawBufferPointer(start: base + offset + mac, count: captured)
                var wire = Int(frame.pointee.tp_len)
                let status = frame.pointee.tp_status
                if self.linkType == 1 && status & UInt32(TP_STATUS_VLAN_VALID) != 0 && captured >= 12 {
                    let tci = UInt16(truncatingIfNeeded: frame.pointee.hv1.tp_vlan_tci)
                    let tpid =
                        status & UInt32(TP_STATUS_VLAN_TPID_VALID) != 0
                        ? UInt16(truncatingIfNeeded: frame.pointee.hv1.tp_vlan_tpid) : UInt16(0x8100)
                    body(
                        PcapRecord(
                            timestamp: stamp, bytes: self.retagged(bytes, tpid: tpid, tci: tci), wireLength: wire + 4,
                            checksumsVouched: self.settings.trustKernelChecksums && Self.vouched(status)))
                } else {
                    if wire < captured { wire = captured }
                    body(
                        PcapRecord(
                            timestamp: stamp, bytes: bytes, wireLength: wire,
                            checksumsVouched: self.settings.trustKernelChecksums && Self.vouched(status)))
                }
            }
            let next = Int(frame.pointee.tp_next_offset)
            if next == 0 { break }
            offset += next
        }
        return count
    }

    /// Whether a frame's status says its checksums need no check (see ``PcapRecord/checksumsVouched``).
    static func vouched(_ status: UInt32) -> Bool {
        status & UInt32(TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID) != 0
    }

    /// The frame with its 802.1Q/802.1ad tag put back after the MAC addresses, in the scratch buffer.
    private func retagged(_ frame: UnsafeRawBufferPointer, tpid: UInt16, tci: UInt16) -> UnsafeRawBufferPointer {
        let length = min(frame.count + 4, self.scratch.count)
        let out = self.scratch
        out.copyMemory(from: UnsafeRawBufferPointer(rebasing: frame[0..<12]))
        out[12] = UInt8(tpid >> 8)
        out[13] = UInt8(tpid & 0xff)
        out[14] = UInt8(tci >> 8)
        out[15] = UInt8(tci & 0xff)
        let rest = min(frame.count - 12, length - 16)
        if rest > 0 {
            UnsafeMutableRawBufferPointer(rebasing: out[16..<(16 + rest)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: frame[12..<(12 + rest)]))
        }
        return UnsafeRawBufferPointer(rebasing: out[0..<(16 + max(rest, 0))])
    }
}

/// Sends whole frames out of interfaces: the inline worker's forwarding path. The socket (protocol 0)
/// receives nothing.
public final class PacketSender {
    /// The sending socket (close-on-exec).
    public let fd: Int32
    /// Frames the kernel refused (full queue, link down), counted rather than retried.
    public private(set) var failures: UInt64 = 0
    /// Frames sent.
    public private(set) var sent: UInt64 = 0

    /// A sending socket.
    public init() throws(CaptureError) {
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw CaptureError(path: "packet sender", message: "socket(AF_PACKET): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    deinit {
        close(self.fd)
    }

    /// Sends `frame` out of the interface with index `interfaceIndex`.
    public func send(_ frame: UnsafeRawBufferPointer, interfaceIndex: Int32) {
        let n = cweir_packet_send(self.fd, interfaceIndex, frame.baseAddress, UInt(frame.count))
        if n == frame.count { self.sent += 1 } else { self.failures += 1 }
    }
}
