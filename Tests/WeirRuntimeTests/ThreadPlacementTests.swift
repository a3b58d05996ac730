// SPDX-License-Identifier: MIT
import Foundation
import Glibc
import Synchronization
import Testing
import WeirConfig
import WeirTestSupport
@testable import WeirRuntime

/// `threading.set-cpu-affinity`: threads move to their family's CPUs at their class's nice value.
@Suite struct ThreadPlacementTests {
    static let cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Places a fresh thread (never the test runner's) and returns where it ended up, and where it started
    /// (its creator's CPUs and nice value).
    static func placedThread(
        _ threading: ThreadingSettings, family: ThreadFamily, index: Int, log: MessageLog
    ) throws -> (cpus: [Int], nice: Int32, before: [Int]) {
        var options = RunOptions()
        options.messages = { log.append($0) }
        let placement = ThreadPlacement(threading, options: options)
        let result = Mutex<(cpus: [Int], nice: Int32, before: [Int])?>(nil)
        let thread = try #require(
            spawnThread(detached: false) {
                let before = ThreadPlacement.current().cpus
                placement.place(family, index: index, name: "W#0\(index + 1)")
                let now = ThreadPlacement.current()
                result.withLock { $0 = (now.cpus, now.nice, before) }
            })
        pthread_join(thread, nil)
        return try #require(result.withLock { $0 })
    }

    @Test func exclusiveWorkerTakesItsCPUAndClass() throws {
        var threading = ThreadingSettings()
        threading.setCPUAffinity = true
        var set = CPUSetSettings(mode: .exclusive)
        set.cpus = .all
        set.priorityCPUs = [.low: .all]
        threading.sets[.worker] = set
        let log = MessageLog()
        let last = Self.cpus - 1
        let placed = try Self.placedThread(threading, family: .worker, index: last, log: log)
        #expect(placed.cpus == [last], "\(log.text)")
        #expect(placed.nice == 2)
        #expect(log.text.contains("W#0\(last + 1) runs on CPU \(last), priority low (nice 2)"), "\(log.text)")
    }

    @Test func balancedSetAndNoAffinity() throws {
        var threading = ThreadingSettings()
        var set = CPUSetSettings(mode: .balanced)
        set.cpus = .cpus([0])
        threading.sets[.management] = set
        let log = MessageLog()
        // `set-cpu-affinity: no`: the sets are read but nothing moves.
        let unplaced = try Self.placedThread(threading, family: .management, index: 3, log: log)
        #expect(unplaced.cpus == unplaced.before && unplaced.nice == 0)
        threading.setCPUAffinity = true
        let placed = try Self.placedThread(threading, family: .management, index: 3, log: log)
        #expect(placed.cpus == [0] && placed.nice == 0, "\(log.text)")
        // A family without a set stays where the scheduler puts it.
        let free = try Self.placedThread(threading, family: .receive, index: 0, log: log)
        #expect(free.cpus == free.before)
    }

    /// autofp replay: `worker-cpu-set.threads` sizes the workers; the reader takes the receive set and each
    /// worker the next CPU of the worker set, as the messages say.
    @Test func autofpReplayPlacesItsThreads() throws {
        let dir = try makeTemporaryDirectory("weir-placement")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(pcapFile(frames: (0..<50).map { udpFrame(sourcePort: UInt16(2000 + $0)) }))
            .write(to: URL(fileURLWithPath: dir + "/a.pcap"))
        try "alert udp any any -> any any (msg:\"udp\"; sid:1;)\n".write(toFile: dir + "/r.rules", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.readPaths = [dir + "/a.pcap"]
        options.exclusiveRuleFiles = [dir + "/r.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.showProgress = false
        options.overrides = [
            "runmode=autofp", "threading.set-cpu-affinity=yes", "threading.cpu-affinity.receive-cpu-set.cpu=0",
            "threading.cpu-affinity.worker-cpu-set.cpu=all", "threading.cpu-affinity.worker-cpu-set.threads=2",
        ]
        let log = MessageLog()
        options.messages = { log.append($0) }
        // The replay places the thread it runs on (as the reader): a thread of the test's own.
        let status = Mutex<Int32>(-1)
        let run = options
        let started = spawnThread(detached: false) {
            let code = Replay.run(run)
            status.withLock { $0 = code }
        }
        let thread = try #require(started)
        pthread_join(thread, nil)
        #expect(status.withLock { $0 } == 0)
        let text = log.text
        #expect(text.contains("RX#01 runs on CPU 0, priority medium"), "\(text)")
        #expect(text.contains("W#01 runs on CPU 0,"), "\(text)")
        #expect(text.contains("W#02 runs on CPU \(1 % Self.cpus),"), "\(text)")
        #expect(text.contains("workers:  2"), "\(text)")
    }
}
