// SPDX-License-Identifier: MIT

/// IPv6 extension headers (RFC 8200 section 4 and successors); the raw value is the bit in
/// ``Packet/ipv6ExtensionHeaders``.
public enum IPv6ExtensionHeader: UInt8, CaseIterable, Sendable {
    /// Hop-by-Hop Options, next header 0.
    case hopByHop = 0
    /// Routing, next header 43.
    case routing = 1
    /// Fragment, next header 44.
    case fragment = 2
    /// Destination Options, next header 60.
    case destinationOptions = 3
    /// Authentication Header, next header 51 (RFC 4302).
    case authentication = 4
    /// Encapsulating Security Payload, next header 50 (RFC 4303); decoding stops there.
    case esp = 5
    /// No Next Header, 59.
    case noNextHeader = 6
    /// Mobility (135), HIP (139) or Shim6 (140): skipped over without parsing.
    case mobilityHIPOrShim6 = 7

    /// The bit this header sets in ``Packet/ipv6ExtensionHeaders``.
    @inlinable public var bit: UInt16 { UInt16(1) << UInt16(self.rawValue) }
}
