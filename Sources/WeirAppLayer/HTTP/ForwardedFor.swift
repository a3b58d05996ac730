// SPDX-License-Identifier: MIT
import WeirCore

/// The client address an HTTP proxy reports in `X-Forwarded-For` (or another configured header), as Suricata's
/// `xff` output option reads it (`app-layer-htp-xff.c`): from a value of 7 to 255 bytes, a reverse-proxy
/// deployment takes the last address of the chain (after its last space), a forward deployment the first (before
/// its first comma); `[v6]` loses its brackets and `a.b.c.d:port` its port; only a valid IPv4 or IPv6 address
/// is returned, spelled as in the header.
public enum ForwardedFor {
    /// `xff.deployment`.
    public enum Deployment: Sendable { case reverse, forward }

    /// The address in header value `value`, or `nil`.
    public static func address(in value: UnsafeRawBufferPointer, deployment: Deployment) -> String? {
        guard value.count >= 7, value.count < 256 else { return nil }
        var start = 0
        var end = value.count
        switch deployment {
        case .reverse:
            if let space = value.lastIndex(of: 0x20) { start = space + 1 }
        case .forward:
            if let comma = value.firstIndex(of: 0x2C) { end = comma }
        }
        var text = String(decoding: UnsafeRawBufferPointer(rebasing: value[start..<end]), as: UTF8.self)
        if text.hasPrefix("[") {
            // `[v6]`, with anything after the bracket (a port) left out; an unclosed bracket is malformed.
            guard let close = text.firstIndex(of: "]") else { return nil }
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if text.filter({ $0 == "." }).count == 3 && text.filter({ $0 == ":" }).count == 1,
            let colon = text.firstIndex(of: ":")
        {
            text = String(text[..<colon])
        }
        return IPAddress(text) != nil ? text : nil
    }
}

extension AppLayerStage {
    /// The forwarded client address of an HTTP flow's transaction `txID`, or, without one, of its oldest live
    /// transaction that has one (Suricata's `HttpXFFGetIPFromTx` / `HttpXFFGetIP`). `nil` for other protocols.
    public func forwardedFor(
        slot: Int32, flowID: UInt64, txID: UInt64?, header: String, deployment: ForwardedFor.Deployment
    ) -> String? {
        guard let parser = self.httpParser(slot: slot, flowID: flowID) else { return nil }
        for tx in parser.live where txID == nil || tx.id == txID {
            if let value = tx.header(header, toServer: true),
                let address = ForwardedFor.address(in: value, deployment: deployment)
            {
                return address
            }
            if txID != nil { return nil }
        }
        return nil
    }
}
