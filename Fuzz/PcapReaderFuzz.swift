// SPDX-License-Identifier: MIT
// libFuzzer entry point for the capture-file reader (libpcap, pcap and pcapng) and the decoder behind it.
// Built by Fuzz/build.sh with PcapFile.swift, CaptureError.swift and the WeirDecode sources.
import WeirCore
import WeirDecode
import Glibc

/// Where each input is written for libpcap, which reads files by path.
private let inputPath: String = {
    let path = "/dev/shm/weir-pcap-fuzz-\(getpid())"
    return path
}()

/// Writes the input to a file and reads it as a capture to its end or its damage, decoding every record:
/// nothing may trap, every record's bytes are within what libpcap returned, every time is representable.
@_cdecl("LLVMFuzzerTestOneInput")
public func pcapReaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = open(inputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    var written = 0
    while written < size {
        let n = write(fd, data + written, size - written)
        if n <= 0 { break }
        written += n
    }
    close(fd)
    guard let file = try? PcapFile(path: inputPath) else { return 0 }
    var decoder = PacketDecoder(linkType: LinkType(rawValue: file.linkType) ?? .ethernet, checksums: .all)
    var packet = Packet()
    var records = 0
    loop: while records < 100_000 {
        switch file.next() {
        case .record(let record):
            records += 1
            precondition(Timestamp.representable.contains(record.timestamp.microseconds), "unrepresentable time")
            precondition(record.wireLength >= record.bytes.count, "wire length below capture length")
            packet.reset()
            packet.timestamp = record.timestamp
            packet.captureLength = record.bytes.count
            packet.wireLength = record.wireLength
            decoder.decode(record.bytes, into: &packet)
        case .end, .damaged:
            break loop
        }
    }
    _ = file.skippedRecords
    return 0
}
