// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirOutput

#if canImport(Glibc)
    import Glibc
#endif

/// `weir bench eve`: EVE rendering throughput against copying the same lines pre-rendered, in one run.
struct EVEBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eve",
        abstract: "Render EVE flow and alert records and compare with copying the same lines already rendered.",
        discussion: """
            Both runs go through the same batching writer into a sink that only counts bytes, so the ratio \
            (copy time / render time) is what JSON rendering costs over moving finished bytes. Build with \
            -c release for meaningful figures.
            """
    )

    @Option(name: .long, help: "How many records each run writes (flow and alert alternately).")
    var records: Int = 2_000_000

    @Option(name: .long, help: "How many times to repeat each run; the best time of each is reported.")
    var repeats: Int = 3

    func run() throws {
        guard self.records > 0, self.repeats > 0 else {
            throw ValidationError("--records and --repeats must be positive.")
        }
        let clock = ContinuousClock()
        let lines = EVEBenchmark.prerenderedLines()
        var bestRenderCPU = Double.infinity
        var bestRender = Duration.seconds(1_000_000)
        var bestCopy = Duration.seconds(1_000_000)
        var renderedBytes = 0
        var copiedBytes = 0
        for _ in 0..<self.repeats {
            let renderSink = MemorySink(discarding: true)
            let cpuBefore = Self.processCPUSeconds()
            let renderTime = clock.measure { _ = EVEBenchmark.render(count: self.records, into: renderSink) }
            bestRenderCPU = min(bestRenderCPU, Self.processCPUSeconds() - cpuBefore)
            bestRender = min(bestRender, renderTime)
            renderedBytes = renderSink.byteCount
            let copySink = MemorySink(discarding: true)
            let copyTime = clock.measure { _ = EVEBenchmark.copy(count: self.records, lines: lines, into: copySink) }
            bestCopy = min(bestCopy, copyTime)
            copiedBytes = copySink.byteCount
        }
        let renderSeconds = Self.seconds(bestRender)
        let copySeconds = Self.seconds(bestCopy)
        let n = Double(self.records)
        let renderRate = Self.fixed(n / renderSeconds / 1e6, 2)
        let renderCPURate = Self.fixed(n / bestRenderCPU / 1e6, 2)
        let copyRate = Self.fixed(n / copySeconds / 1e6, 2)
        let renderMB = Self.fixed(Double(renderedBytes) / renderSeconds / 1e6, 0)
        let copyMB = Self.fixed(Double(copiedBytes) / copySeconds / 1e6, 0)
        var out = ""
        out += "records per run:     \(self.records) (flow and alert alternately), best of \(self.repeats)\n"
        out += "render:              \(Self.fixed(renderSeconds, 3)) s, \(renderRate) M records/s, \(renderMB) MB/s\n"
        out += "render CPU time:     \(Self.fixed(bestRenderCPU, 3)) s, \(renderCPURate) M records per CPU-second\n"
        out += "copy pre-rendered:   \(Self.fixed(copySeconds, 3)) s, \(copyRate) M records/s, \(copyMB) MB/s\n"
        out +=
            "ratio (copy/render): \(Self.fixed(copySeconds / renderSeconds, 2))x  (target >= 0.5x, >= 1 M records/s)\n"
        Self.writeToStandardOutput(out)
    }

    /// Writes `text` to file descriptor 1, retrying partial writes and EINTR.
    static func writeToStandardOutput(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = write(1, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// CPU time used by this process so far (user + system), seconds.
    static func processCPUSeconds() -> Double {
        var now = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) == 0 else { return 0 }
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    static func fixed(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        let text = String(rounded)
        guard places > 0, let dot = text.firstIndex(of: ".") else { return String(Int(rounded)) }
        let decimals = text[text.index(after: dot)...]
        return text + String(repeating: "0", count: max(0, places - decimals.count))
    }
}
