// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// `runmode` and `threading.detect-thread-ratio`, which size autofp replay.
@Suite struct ThreadingTests {
    @Test func detectThreadRatioIsRead() throws {
        #expect(try ConfigLoader.load(path: nil, overrides: []).configuration.detectThreadRatio == 1.0)
        let loaded = try ConfigLoader.load(
            path: nil, overrides: ["runmode=autofp", "threading.detect-thread-ratio=0.5"])
        #expect(loaded.configuration.runMode == .autofp)
        #expect(loaded.configuration.detectThreadRatio == 0.5)
        // A setting with an effect gets no "accepted, no effect" note.
        #expect(!loaded.notes.contains { $0.contains("runmode") })
    }

    @Test(arguments: ["0", "-1", "many", "65"])
    func badRatioStopsStartUpNamingTheKey(value: String) {
        do {
            _ = try ConfigLoader.load(path: nil, overrides: ["threading.detect-thread-ratio=\(value)"])
            Issue.record("\(value) was accepted")
        } catch {
            #expect("\(error)".contains("threading.detect-thread-ratio"), "\(error)")
        }
    }
}
