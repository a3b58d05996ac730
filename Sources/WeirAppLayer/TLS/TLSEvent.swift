// SPDX-License-Identifier: MIT

/// TLS parser anomalies, named as Suricata's `app-layer-event:tls.<name>` spells them.
public enum TLSEvent: String, Sendable, CaseIterable {
    case invalidSSLv2Header = "invalid_sslv2_header"
    case invalidTLSHeader = "invalid_tls_header"
    case invalidRecordVersion = "invalid_record_version"
    case invalidRecordType = "invalid_record_type"
    case invalidRecordLength = "invalid_record_length"
    case invalidHandshakeMessage = "invalid_handshake_message"
    case heartbeatMessage = "heartbeat_message"
    case invalidHeartbeatMessage = "invalid_heartbeat_message"
    case overflowHeartbeatMessage = "overflow_heartbeat_message"
    case dataleakHeartbeatMismatch = "dataleak_heartbeat_mismatch"
    case handshakeInvalidLength = "handshake_invalid_length"
    case multipleSNIExtensions = "multiple_sni_extensions"
    case invalidSNIType = "invalid_sni_type"
    case invalidSNILength = "invalid_sni_length"
    case tooManyRecordsInPacket = "too_many_records_in_packet"
    case invalidAlertMessage = "invalid_alert_message"
    case invalidCertificate = "invalid_certificate"
    case certificateInvalidLength = "certificate_invalid_length"
    case certificateInvalidDER = "certificate_invalid_der"
    case errorMessageEncountered = "error_message_encountered"
    case invalidSSLRecord = "invalid_ssl_record"
}

/// Client side of a TLS session's progress (Suricata's `TlsStateClient`); detection inspects a buffer
/// once its side has reached the buffer's point.
public enum TLSClientProgress: Int, Sendable, Comparable {
    case inProgress = 0, helloDone, certificateDone, handshakeDone, finished

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Server side of a TLS session's progress (Suricata's `TlsStateServer`).
public enum TLSServerProgress: Int, Sendable, Comparable {
    case inProgress = 0, hello, certificateDone, helloDone, handshakeDone, finished

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A TLS alert record seen in the clear.
public struct TLSAlert: Sendable, Equatable {
    /// 1 warning, 2 fatal.
    public var level: UInt8
    /// The alert description code.
    public var description: UInt8
    /// Sent by the client.
    public var fromClient: Bool
}
