// SPDX-License-Identifier: MIT
import WeirOutput

extension SSHSession {
    /// Whether there is anything to log (a banner from either side).
    public var hasBanner: Bool { !self.client.protoVersion.isEmpty || !self.server.protoVersion.isEmpty }
}

extension JSONWriter {
    /// Writes the `ssh` object of an EVE `ssh` record or of an alert's app-layer metadata.
    public func writeSSH(_ session: SSHSession, hassh: Bool = true) {
        self.beginObject("ssh")
        if !session.client.protoVersion.isEmpty {
            self.beginObject("client")
            self.writeSSHSide(session.client, hassh: hassh)
            self.endObject()
        }
        if !session.server.protoVersion.isEmpty {
            self.beginObject("server")
            self.writeSSHSide(session.server, hassh: hassh)
            self.endObject()
        }
        self.endObject()
    }

    private func writeSSHSide(_ side: SSHSession.Side, hassh: Bool) {
        self.key("proto_version")
        side.protoVersion.withUnsafeBytes { self.string(bytes: $0) }
        if !side.softwareVersion.isEmpty {
            self.key("software_version")
            side.softwareVersion.withUnsafeBytes { self.string(bytes: $0) }
        }
        if hassh, side.hassh != nil || side.hasshString != nil {
            self.beginObject("hassh")
            if let hash = side.hassh { self.field("hash", hash) }
            if let text = side.hasshString { self.field("string", text) }
            self.endObject()
        }
    }
}
