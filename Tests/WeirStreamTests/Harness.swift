// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirFlow
@testable import WeirStream

/// TCP flag bits.
enum F {
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08
    static let ack: UInt8 = 0x10
}

/// Drives one ``TCPSession`` with hand-built packets and collects what it hands out.
final class Harness {
    let context: StreamContext
    let session: TCPSession
    /// Raw-stream bytes handed to detection, per direction, in order of hand-off (offset, bytes).
    var raw: [Bool: [(UInt64, [UInt8])]] = [true: [], false: []]
    /// App-layer chunks per direction: bytes, or nil for a gap of the given length.
    var app: [Bool: [(UInt64, [UInt8]?, Int)]] = [true: [], false: []]
    var endOfStream: [Bool: Bool] = [true: false, false: false]
    var lastResult = StreamResult()
    /// Client and server addresses (packets are built from the direction).
    var source = IPAddress(v4: 0x0A00_0001)
    var destination = IPAddress(v4: 0x0A00_0002)

    init(_ settings: StreamSettings = StreamSettings()) {
        self.context = StreamContext(settings: settings)
        self.session = TCPSession(context: self.context)
    }

    @discardableResult
    func send(
        toServer: Bool, flags: UInt8, seq: UInt32, ack: UInt32 = 0, payload: [UInt8] = [], window: UInt16 = 65535,
        wscale: UInt8? = nil, checksum: ChecksumState = .valid, fastOpen: Bool = false
    ) -> StreamResult {
        var p = Packet()
        p.ipVersion = 4
        p.source = toServer ? self.source : self.destination
        p.destination = toServer ? self.destination : self.source
        p.hasL4 = true
        p.l4Protocol = 6
        p.tcpFlags = flags
        p.tcpSequence = seq
        p.tcpAcknowledgement = ack
        p.tcpWindow = window
        p.tcpOptions.windowScale = wscale
        p.tcpOptions.hasFastOpen = fastOpen
        p.l4Checksum = checksum
        p.payloadOffset = 0
        p.payloadLength = payload.count
        let result = payload.withUnsafeBytes { frame in self.session.handle(p, toServer: toServer, frame: frame) }
        self.collect()
        self.lastResult = result
        return result
    }

    func finish() {
        self.session.finish()
        self.collect()
    }

    private func collect() {
        for chunk in self.session.rawChunks {
            self.raw[chunk.toServer, default: []].append((chunk.block.offset, Array(chunk.block.bytes)))
        }
        for chunk in self.session.appLayerChunks {
            if chunk.block.isGap {
                self.app[chunk.toServer, default: []].append((chunk.block.offset, nil, chunk.block.length))
            } else if chunk.block.length > 0 {
                self.app[chunk.toServer, default: []].append((chunk.block.offset, Array(chunk.block.bytes), chunk.block.length))
            }
            if chunk.isEndOfStream { self.endOfStream[chunk.toServer] = true }
        }
    }

    /// All app-layer bytes of a direction, gaps as `gapByte` fill.
    func appBytes(toServer: Bool, gapByte: UInt8 = 0x2E) -> [UInt8] {
        var out: [UInt8] = []
        for (_, bytes, length) in self.app[toServer] ?? [] {
            if let bytes { out += bytes } else { out += [UInt8](repeating: gapByte, count: length) }
        }
        return out
    }

    /// All raw-stream bytes of a direction, concatenated in hand-off order.
    func rawBytes(toServer: Bool) -> [UInt8] { (self.raw[toServer] ?? []).flatMap { $0.1 } }

    /// A completed handshake: client ISN `cisn`, server ISN `sisn`.
    func handshake(cisn: UInt32 = 1000, sisn: UInt32 = 5000, window: UInt16 = 65535) {
        self.send(toServer: true, flags: F.syn, seq: cisn, window: window)
        self.send(toServer: false, flags: F.syn | F.ack, seq: sisn, ack: cisn &+ 1, window: window)
        self.send(toServer: true, flags: F.ack, seq: cisn &+ 1, ack: sisn &+ 1, window: window)
    }
}

extension String {
    var bytes: [UInt8] { Array(self.utf8) }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
