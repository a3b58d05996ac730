// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc

/// What ends a replay before its input does: SIGINT or SIGTERM (through a signalfd), a caller's stop
/// descriptor, or an output that can no longer be written. The replay checks it between packets, so the
/// packet in hand is finished and the run then ends as at the end of its input.
final class ReplayStop {
    private let fd: Int32?
    private let ownsDescriptor: Bool
    /// Why the run stopped early (`SIGTERM`, `stop requested`, `write error`), once it has.
    private(set) var reason: String?

    /// A stop check for `options`: a signalfd when ``RunOptions/stopOnSignals`` is set, the caller's
    /// ``RunOptions/stopDescriptor``, or neither (only write errors stop the run).
    init(_ options: RunOptions, messages: MessageOutput) {
        if let descriptor = options.stopDescriptor {
            self.fd = descriptor
            self.ownsDescriptor = false
        } else if options.stopOnSignals {
            let descriptor = cweir_stop_signal_fd()
            if descriptor < 0 {
                messages.write("weir: warning: signalfd: \(String(cString: strerror(errno))); SIGTERM ends the run at once\n")
                self.fd = nil
            } else {
                self.fd = descriptor
            }
            self.ownsDescriptor = descriptor >= 0
        } else {
            self.fd = nil
            self.ownsDescriptor = false
        }
    }

    deinit {
        if self.ownsDescriptor, let fd = self.fd { close(fd) }
    }

    /// True once the run should end: a stop was asked for, or an output failed. Never blocks.
    func requested(_ outputs: ReplayOutputs) -> Bool {
        if self.reason != nil { return true }
        if outputs.writeError != nil {
            self.reason = "write error"
            return true
        }
        guard let fd = self.fd else { return false }
        var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, 0) > 0 else { return false }
        if self.ownsDescriptor {
            // A signalfd_siginfo is 128 bytes and starts with the signal number.
            var info = [UInt32](repeating: 0, count: 32)
            let n = info.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            self.reason = n >= 4 ? (info[0] == UInt32(SIGINT) ? "SIGINT" : "SIGTERM") : "a signal"
        } else {
            self.reason = "stop requested"
        }
        return true
    }
}
