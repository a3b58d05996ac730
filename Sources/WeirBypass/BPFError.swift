// SPDX-License-Identifier: MIT
import Glibc

/// A failure of a libbpf or bpf(2) call, or a refusal by Weir's loader, naming the call and the errno.
public struct BPFError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, by kind.
    public enum Code: Sendable, Equatable {
        /// A system or libbpf call failed with `errno`.
        case systemCall
        /// The embedded object lacks a program, map or section the loader needs.
        case missingSymbol
        /// A pin directory was made by a different ABI or with different sizes; it is never reused silently.
        case incompatiblePin
        /// Another XDP program is attached and replacing it was not requested.
        case foreignProgram
        /// A kernel feature needed for the request is unavailable (or switched off by `WEIR_KERNEL_VERSION`).
        case unsupported
        /// The request itself is invalid (bad interface name, bad settings).
        case invalidArgument
    }

    /// The kind of failure.
    public var code: Code
    /// The call or step that failed, e.g. `bpf_object__load(weir_xdp)`.
    public var call: String
    /// The errno reported, or 0 when the failure is not a system-call error.
    public var errno: Int32
    /// Extra detail for the operator.
    public var message: String

    /// Creates an error from its parts.
    public init(_ code: Code, call: String, errno: Int32 = 0, message: String = "") {
        self.code = code
        self.call = call
        self.errno = errno
        self.message = message
    }

    /// A system-call failure; `errno` may be given negative, as libbpf returns it.
    static func system(_ call: String, _ errno: Int32, _ message: String = "") -> BPFError {
        BPFError(.systemCall, call: call, errno: errno < 0 ? -errno : errno, message: message)
    }

    /// The call, the errno with its text, and the message.
    public var description: String {
        var text = "\(self.call) failed"
        if self.errno != 0 {
            let reason = strerror(self.errno).map { String(cString: $0) } ?? "errno \(self.errno)"
            text += ": \(reason) (errno \(self.errno))"
        }
        if !self.message.isEmpty { text += ": \(self.message)" }
        return text
    }
}
