// SPDX-License-Identifier: MIT

/// The HTTP bodies detection inspects as they arrive, each with its own record of what was inspected (as
/// Suricata keeps one for `http.request_body` and one per file for `file.data`).
enum HTTPBodyBuffer: Sendable {
    /// `http.request_body`.
    case requestBody
    /// `file.data` of a request (an upload).
    case requestFile
    /// `file.data` / `http.response_body` of a response.
    case responseFile

    var toServer: Bool { self != .responseFile }

    /// The buffer name whose rules read it.
    var name: String { self == .requestBody ? "http.request_body" : "file.data" }
}

extension HTTPTransaction {
    /// Where detection should inspect `buffer` now: the offset into the body kept so far, or nil when there is
    /// nothing new or too little yet. Suricata's body inspection:
    /// - nothing until the body holds the minimal inspect size (`*-body-minimal-inspect-size`), unless it is
    ///   complete, its stream ended, or it reached its body limit;
    /// - then the new bytes with the window before them: when less than `*-body-inspect-window` is new, the
    ///   window is filled up with bytes already inspected; when more is new, a quarter of a window of them is
    ///   kept in front (so a match across the boundary is found);
    /// - `http.request_body` uses the window only once past the minimal size, `file.data` from the second
    ///   inspection on.
    func bodyWindow(_ buffer: HTTPBodyBuffer) -> Int? {
        let toServer = buffer.toServer
        let count = toServer ? self.requestBody.count : self.responseBody.count
        let inspected = self.inspected(buffer)
        guard count > inspected else { return nil }
        let settings = self.htp.flatMap { HTTPParser.parser($0.pointee.connp) }?.config.settings
        let minimal =
            toServer
            ? settings?.requestBodyMinimalInspectSize ?? 32 * 1024 : settings?.responseBodyMinimalInspectSize ?? 40 * 1024
        let window =
            toServer
            ? settings?.requestBodyInspectWindow ?? 4 * 1024 : settings?.responseBodyInspectWindow ?? 16 * 1024
        let limit = toServer ? settings?.requestBodyLimit ?? 100 * 1024 : settings?.responseBodyLimit ?? 100 * 1024
        let done =
            self.progress(toServer: toServer) >= HTTPProgress.complete
            || (toServer ? self.requestStreamEnded : self.responseStreamEnded)
        if (limit == 0 || count < limit) && count < minimal && !done { return nil }
        let windowed = buffer == .requestBody ? inspected > minimal : inspected > 0
        guard windowed else { return 0 }
        let fresh = count - inspected
        if fresh < window {
            let short = window - fresh
            return inspected < short ? 0 : inspected - short
        }
        return max(0, inspected - window / 4)
    }

    /// Whether the body kept so far may be inspected whole: it is complete, its stream ended, it reached its
    /// limit, or it holds the minimal inspect size.
    func bodyIsInspectable(_ buffer: HTTPBodyBuffer) -> Bool {
        let toServer = buffer.toServer
        let count = toServer ? self.requestBody.count : self.responseBody.count
        guard count > 0 else { return false }
        let settings = self.htp.flatMap { HTTPParser.parser($0.pointee.connp) }?.config.settings
        let minimal =
            toServer
            ? settings?.requestBodyMinimalInspectSize ?? 32 * 1024 : settings?.responseBodyMinimalInspectSize ?? 40 * 1024
        let truncated = toServer ? self.requestBodyTruncated : self.responseBodyTruncated
        let ended = toServer ? self.requestStreamEnded : self.responseStreamEnded
        return self.progress(toServer: toServer) >= HTTPProgress.complete || ended || truncated || count >= minimal
    }

    /// ``bodyWindow(_:)``, recording the body as inspected up to its end.
    func takeBodyWindow(_ buffer: HTTPBodyBuffer) -> Int? {
        guard let offset = self.bodyWindow(buffer) else { return nil }
        let count = buffer.toServer ? self.requestBody.count : self.responseBody.count
        switch buffer {
        case .requestBody: self.bodyInspected.request = count
        case .requestFile: self.bodyInspected.requestFile = count
        case .responseFile: self.bodyInspected.responseFile = count
        }
        return offset
    }

    func inspected(_ buffer: HTTPBodyBuffer) -> Int {
        switch buffer {
        case .requestBody: return self.bodyInspected.request
        case .requestFile: return self.bodyInspected.requestFile
        case .responseFile: return self.bodyInspected.responseFile
        }
    }

    /// Whether a body of this direction that a rule reads has a window to inspect now.
    func hasNewBodyData(toServer: Bool) -> Bool {
        let count = toServer ? self.requestBody.count : self.responseBody.count
        guard count > 0 else { return false }
        // Whether a rule reads each body buffer, from the flags the parser's factory keeps per rule set (not a
        // name lookup per call).
        let kept = self.htp.flatMap { HTTPParser.parser($0.pointee.connp) }?.kept ?? HTTPKeptBuffers()
        func due(_ buffer: HTTPBodyBuffer) -> Bool {
            let used = buffer == .requestBody ? kept.requestBodyRule : kept.fileData
            return count > self.inspected(buffer) && used && self.bodyWindow(buffer) != nil
        }
        return toServer ? due(.requestBody) || due(.requestFile) : due(.responseFile)
    }
}
