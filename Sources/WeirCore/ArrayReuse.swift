// SPDX-License-Identifier: MIT

extension Array {
    /// Empties a scratch array and keeps its storage for the next packet.
    ///
    /// The per-packet path clears several scratch arrays that are usually empty already. The library's
    /// `removeAll(keepingCapacity: true)` goes through a generic `replaceSubrange` even then (about 80
    /// instructions per call in a release build); an empty array is left as it is here.
    @inlinable
    public mutating func removeAllKeepingCapacity() {
        if !self.isEmpty { self.removeAll(keepingCapacity: true) }
    }
}
