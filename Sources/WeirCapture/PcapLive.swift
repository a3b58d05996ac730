// SPDX-License-Identifier: MIT
import CPcap
import Glibc
import WeirCore

/// Live capture through libpcap (`--pcap=IF`): the portable source, for interfaces or systems where the
/// TPACKET_V3 ring is not wanted. Non-blocking, so its descriptor can be polled together with a stop
/// descriptor; frames are handed out as ``PcapRecord``s valid only during the callback.
public final class PcapLive {
    private let handle: OpaquePointer
    /// The interface.
    public let interface: String
    /// The capture's pcap link type (`pcap_datalink`).
    public let linkType: Int32
    /// libpcap's socket, polled for frames (made close-on-exec here).
    public let selectable: Int32

    /// Opens `interface` (promiscuous unless told otherwise) with a snapshot length of 64 KiB and the given
    /// kernel buffer size in bytes.
    public init(interface: String, promiscuous: Bool = true, bufferBytes: Int32 = 16 << 20) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let created = errorBuffer.withUnsafeMutableBufferPointer { pcap_create(interface, $0.baseAddress) }
        guard let handle = created else {
            throw CaptureError(path: interface, message: Self.text(errorBuffer, or: "pcap_create failed"))
        }
        func fail(_ call: String) -> CaptureError {
            let message = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            return CaptureError(path: interface, message: "\(call): \(message)")
        }
        _ = pcap_set_snaplen(handle, 65535)
        _ = pcap_set_promisc(handle, promiscuous ? 1 : 0)
        _ = pcap_set_timeout(handle, 10)
        _ = pcap_set_buffer_size(handle, bufferBytes)
        let activated = pcap_activate(handle)
        if activated < 0 {
            let message = activated == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" : String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw CaptureError(path: interface, message: message)
        }
        guard errorBuffer.withUnsafeMutableBufferPointer({ pcap_setnonblock(handle, 1, $0.baseAddress) }) == 0 else {
            throw fail("pcap_setnonblock")
        }
        let selectable = pcap_get_selectable_fd(handle)
        guard selectable >= 0 else { throw fail("pcap_get_selectable_fd") }
        // libpcap opens its socket without O_CLOEXEC: a child started meanwhile must not keep it.
        _ = fcntl(selectable, F_SETFD, fcntl(selectable, F_GETFD) | FD_CLOEXEC)
        self.handle = handle
        self.interface = interface
        self.linkType = pcap_datalink(handle)
        self.selectable = selectable
    }

    deinit {
        pcap_close(self.handle)
    }

    static func text(_ buffer: [CChar], or fallback: String) -> String {
        let message = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return message.isEmpty ? fallback : message
    }

    /// Delivers every frame libpcap has; when there are none, waits up to `timeoutMilliseconds` for one (or
    /// for `stopFD` to become readable).
    public func wait(timeoutMilliseconds: Int32, stopFD: Int32? = nil, _ body: (PcapRecord) -> Void) -> AFPacketWait {
        var delivered = self.dispatch(body)
        if delivered < 0 { return .failed("pcap_dispatch: \(String(cString: pcap_geterr(self.handle)))") }
        if delivered > 0 { return .delivered(delivered) }
        if case .ended(let outcome) = pollCapture([self.selectable], stopFD: stopFD, timeoutMilliseconds: timeoutMilliseconds) {
            return outcome
        }
        delivered = self.dispatch(body)
        if delivered < 0 { return .failed("pcap_dispatch: \(String(cString: pcap_geterr(self.handle)))") }
        return .delivered(delivered)
    }

    private func dispatch(_ body: (PcapRecord) -> Void) -> Int {
        withoutActuallyEscaping(body) { body in
            var context = body
            let count = withUnsafeMutablePointer(to: &context) { pointer in
                pcap_dispatch(
                    self.handle, -1,
                    { user, header, data in
                        guard let user, let header, let data else { return }
                        let body = user.withMemoryRebound(to: ((PcapRecord) -> Void).self, capacity: 1) { $0.pointee }
                        let caplen = Int(header.pointee.caplen)
                        body(
                            PcapRecord(
                                timestamp: Timestamp(
                                    seconds: Int64(header.pointee.ts.tv_sec), microseconds: Int64(header.pointee.ts.tv_usec)),
                                bytes: UnsafeRawBufferPointer(start: data, count: caplen),
                                wireLength: max(Int(header.pointee.len), caplen)))
                    },
                    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self))
            }
            return Int(count)
        }
    }

    /// libpcap's counters: packets received and dropped (`pcap_stats`; on Linux cumulative).
    public func statistics() -> AFPacketStatistics {
        var stats = pcap_stat()
        var out = AFPacketStatistics()
        if pcap_stats(self.handle, &stats) == 0 {
            out.packets = UInt64(stats.ps_recv)
            out.drops = UInt64(stats.ps_drop)
        }
        return out
    }
}
