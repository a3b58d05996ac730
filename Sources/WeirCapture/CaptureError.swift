// SPDX-License-Identifier: MIT

/// A capture input could not be opened or listed.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    /// The file, directory or interface concerned.
    public var path: String
    /// A one-line reason, from libpcap or the system.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(self.path): \(self.message)" }
}
