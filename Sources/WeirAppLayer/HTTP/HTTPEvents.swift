// SPDX-License-Identifier: MIT

/// libhtp 0.5 reports anomalies as log messages; Suricata turns them into `http.*` app-layer events by the
/// message's leading words. This table holds those facts (message prefix → event name); a message not in it is
/// `unknown_error`, as in Suricata.
enum HTTPEvents {
    static let byPrefix: [(String, String)] = [
        ("GZip decompressor:", "gzip_decompression_failed"),
        ("Request field invalid: colon missing", "request_field_missing_colon"),
        ("Response field invalid: missing colon", "response_field_missing_colon"),
        ("Request chunk encoding: Invalid chunk length", "invalid_request_chunk_len"),
        ("Response chunk encoding: Invalid chunk length", "invalid_response_chunk_len"),
        ("Invalid C-L field in response", "invalid_content_length_field_in_response"),
        ("Already seen 100-Continue", "100_continue_already_seen"),
        ("Unable to match response to request", "unable_to_match_response_to_request"),
        ("Invalid server port information in request", "invalid_server_port_in_request"),
        ("Request buffer over", "request_field_too_long"),
        ("Response buffer over", "response_field_too_long"),
        ("C-T multipart/byteranges in responses not supported", "response_multipart_byteranges"),
        ("Compression bomb:", "compression_bomb"),
        ("Request field invalid", "request_header_invalid"),
        ("Response field invalid", "response_header_invalid"),
        ("Request header name is not a token", "request_header_invalid"),
        ("Response header name is not a token", "response_header_invalid"),
        ("Invalid request field folding", "invalid_request_field_folding"),
        ("Invalid response field folding", "invalid_response_field_folding"),
        ("Request server port=", "request_server_port_tcp_port_mismatch"),
        ("Request line: URI contains non-compliant delimiter", "uri_delim_non_compliant"),
        ("Request line: non-compliant delimiter between Method and URI", "method_delim_non_compliant"),
        ("Request line: leading whitespace", "request_line_leading_whitespace"),
        ("Too many response content encoding layers", "too_many_encoding_layers"),
        ("C-E gzip has abnormal value", "abnormal_ce_header"),
        ("C-E deflate has abnormal value", "abnormal_ce_header"),
        ("C-E unknown setting", "abnormal_ce_header"),
        ("Excessive request header repetitions", "request_header_repetition"),
        ("Excessive response header repetitions", "response_header_repetition"),
        ("Transfer-encoding has abnormal chunked value", "response_abnormal_transfer_encoding"),
        ("Chunked transfer-encoding on HTTP/0.9 or HTTP/1.0", "response_chunked_old_proto"),
        ("Invalid response line: invalid protocol", "response_invalid_protocol"),
        ("Invalid response line: invalid response status", "response_invalid_status"),
        ("Request line incomplete", "request_line_incomplete"),
        ("Unexpected request body", "request_body_unexpected"),
        ("LZMA decompressor: memory limit reached", "lzma_memlimit_reached"),
        ("Ambiguous request C-L value", "duplicate_content_length_field_in_request"),
        ("Ambiguous response C-L value", "duplicate_content_length_field_in_response"),
        ("Request chunk extension", "request_chunk_extension"),
        ("Too many request headers", "request_too_many_headers"),
        ("Too many response headers", "response_too_many_headers"),
    ]

    /// The event name (without `http.`) for a libhtp message.
    static func name(forMessage message: String) -> String {
        for (prefix, name) in byPrefix where message.hasPrefix(prefix) { return name }
        return "unknown_error"
    }

    /// Every HTTP event name Suricata defines (for rule checks), without the `http.` prefix.
    static let all: [String] = {
        var names = Set(byPrefix.map(\.1))
        for extra in [
            "unknown_error", "invalid_transfer_encoding_value_in_request",
            "invalid_transfer_encoding_value_in_response",
            "invalid_content_length_field_in_request", "missing_host_header", "host_header_ambiguous",
            "request_uri_host_invalid", "request_header_host_invalid", "request_auth_unrecognized",
            "double_encoded_uri", "request_line_invalid", "invalid_authority_port", "file_name_too_long",
            "range_invalid", "response_chunk_extension", "multipart_generic_error", "multipart_no_filedata",
            "multipart_invalid_header", "too_many_warnings", "failed_protocol_change",
            "compression_bomb_limit_reached", "request_line_missing_protocol", "response_body_unexpected",
        ] { names.insert(extra) }
        return names.sorted()
    }()
}
