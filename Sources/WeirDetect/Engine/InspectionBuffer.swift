// SPDX-License-Identifier: MIT

/// What an ``InspectionBuffer`` holds.
public enum InspectionBufferKind: Sendable, Equatable {
    /// The packet's payload (`pkt_data`).
    case packetPayload
    /// A chunk of reassembled TCP stream; `streamOffset` is the chunk's first byte in the direction's stream.
    case streamChunk(streamOffset: UInt64)
    /// An application-layer sticky buffer (`http.uri`, `dns.query` …) by the id the engine registered it under
    /// (``DetectEngine/stickyBufferID(named:)``).
    case sticky(id: Int)
}

/// A view of bytes that payload keywords inspect, with its kind.
///
/// Keyword code only sees the bytes: whoever produces the buffer (packet decoder, stream reassembler, app-layer
/// parser) owns the memory and keeps it valid for the duration of the `inspect` call.
public struct InspectionBuffer: @unchecked Sendable {
    /// The bytes; valid only during the inspection call.
    public var bytes: UnsafeRawBufferPointer
    /// What the bytes are.
    public var kind: InspectionBufferKind
    /// Where the bytes start in the whole buffer, for a sticky buffer inspected in windows as it grows (an HTTP
    /// body; Suricata's `inspect_offset`): absolute `depth` and `offset` count from the whole buffer's start.
    public var offset: UInt64

    /// Makes a buffer view.
    public init(bytes: UnsafeRawBufferPointer, kind: InspectionBufferKind, offset: UInt64 = 0) {
        self.bytes = bytes
        self.kind = kind
        self.offset = offset
    }
}
