// SPDX-License-Identifier: MIT
import WeirDetect
import WeirOutput

extension AppProtocol {
    /// SSH.
    public static let ssh = AppProtocol("ssh")
}

/// The single transaction of an SSH flow: both banners, KEXINITs and NEWKEYS.
public final class SSHTransaction: AppLayerTransaction {
    public let id: UInt64 = 0
    /// The flow's SSH state.
    public internal(set) var session: SSHSession
    public var events: [AppLayerEvent] = []
    public var detectState = TransactionDetectState()
    public var isLogged = false
    private(set) var hasshClient: [UInt8]?
    private(set) var hasshClientString: [UInt8]?
    private(set) var hasshServer: [UInt8]?
    private(set) var hasshServerString: [UInt8]?

    init(computeHASSH: Bool) {
        self.session = SSHSession(computeHASSH: computeHASSH)
    }

    /// Suricata's progress: a side is at `banner_done` until both have sent NEWKEYS, then both are `finished`.
    public func progress(toServer: Bool) -> Int {
        if self.session.encryptedBothWays { return SSHProgress.finished.rawValue }
        let side = toServer ? self.session.client : self.session.server
        return min(side.progress, .bannerDone).rawValue
    }

    public func completeProgress(toServer: Bool) -> Int { SSHProgress.finished.rawValue }

    public func writeEVE(_ writer: JSONWriter) { writer.writeSSH(self.session) }

    /// A side's KEXINIT brought its HASSH after its banner, with no change of progress: the direction is
    /// inspected again, as Suricata re-inspects a transaction its parser updated.
    private var newData: (toServer: Bool, toClient: Bool) = (false, false)

    public func hasNewData(toServer: Bool) -> Bool { toServer ? self.newData.toServer : self.newData.toClient }

    public func inspected(toServer: Bool) {
        if toServer { self.newData.toServer = false } else { self.newData.toClient = false }
    }

    func refreshBuffers() {
        if self.hasshClient == nil, let hash = self.session.client.hassh {
            self.hasshClient = Array(hash.utf8)
            self.hasshClientString = self.session.client.hasshString.map { Array($0.utf8) }
            self.newData.toServer = true
        }
        if self.hasshServer == nil, let hash = self.session.server.hassh {
            self.hasshServer = Array(hash.utf8)
            self.hasshServerString = self.session.server.hasshString.map { Array($0.utf8) }
            self.newData.toClient = true
        }
    }
}

/// The SSH parser of one flow.
public final class SSHParser: AppLayerParser, AppLayerEncryptedParser {
    public let transactionState: SSHTransaction
    private var live = true
    public let encryptionHandling: EncryptedFlowHandling
    private let counters: AppLayerCounters

    /// A parser configured from `app-layer.protocols.ssh`.
    public init(settings: AppLayerParserSettings) {
        let hassh = settings.values["hassh"].map { !["no", "false", "0"].contains($0.lowercased()) } ?? true
        self.transactionState = SSHTransaction(computeHASSH: hassh)
        self.encryptionHandling = EncryptedFlowHandling(configValue: settings.values["encryption-handling"])
        self.counters = settings.counters
    }

    public var handshakeFinishedBothWays: Bool { self.transactionState.session.encryptedBothWays }

    public func encryptedFrom(toServer: Bool) -> UInt64? {
        toServer
            ? self.transactionState.session.client.encryptedFrom : self.transactionState.session.server.encryptedFrom
    }

    public func parse(_ bytes: UnsafeRawBufferPointer, toServer: Bool, context: inout AppLayerParseContext) {
        let tx = self.transactionState
        let before = (tx.session.client.progress, tx.session.server.progress)
        let hadHASSH = (tx.session.client.hassh != nil, tx.session.server.hassh != nil)
        tx.session.parse(bytes, toServer: toServer)
        for (event, _) in tx.session.takeEvents() {
            tx.events.append(AppLayerEvent("ssh." + event.rawValue))
            self.counters.add("ssh.events")
        }
        // A KEXINIT brings a side's HASSH without moving its progress.
        if before != (tx.session.client.progress, tx.session.server.progress)
            || hadHASSH != (tx.session.client.hassh != nil, tx.session.server.hassh != nil)
        {
            tx.refreshBuffers()
            context.triggerRawInspection(toServer: toServer)
        }
        if (toServer ? tx.session.client : tx.session.server).failed { context.parserFailed = true }
    }

    public func gap(_ length: Int, toServer: Bool, context: inout AppLayerParseContext) {
        let side = toServer ? self.transactionState.session.client : self.transactionState.session.server
        if side.progress != .finished { context.parserFailed = true }
    }

    public func endOfStream(toServer: Bool, context: inout AppLayerParseContext) {}
    public var transactionCount: Int { self.live ? 1 : 0 }
    public func transaction(at index: Int) -> any AppLayerTransaction { self.transactionState }
    public func freeTransactions(through id: UInt64) { self.live = false }
    public var memoryUse: Int { 256 }
    /// The flow's one transaction exists with the parser (Suricata's SSH state), so `app_layer.tx.ssh` never grows.
    public var transactionsCreated: UInt64 { 1 }
}

extension SSHParser {
    /// `SSH-` at the start of either direction.
    static func probe(_ bytes: UnsafeRawBufferPointer) -> AppLayerProbeResult {
        let prefix: [UInt8] = Array("SSH-".utf8)
        let count = min(bytes.count, 4)
        for index in 0..<count where bytes[index] != prefix[index] { return .noMatch }
        return count == 4 ? .match : .needMoreData
    }

    /// The protocol as the stage registers it.
    public static let descriptor = AppLayerProtocolDescriptor(
        proto: .ssh,
        transports: [6],
        probes: [AppLayerProbe(direction: .both) { bytes, _ in SSHParser.probe(bytes) }],
        defaultDetectionPorts: "22",
        makeParser: { SSHParser(settings: $0) },
        buffers: SSHParser.buffers,
        eventNames: SSHEvent.allCases.map(\.rawValue)
    )

    private static func buffer(
        _ name: String,
        toServer: Bool,
        _ pick: @escaping @Sendable (SSHTransaction) -> [UInt8]?
    ) -> AppLayerBufferDescriptor {
        AppLayerBufferDescriptor(name: name, toServer: toServer, progress: SSHProgress.bannerDone.rawValue) {
            tx,
            body in
            guard let tx = tx as? SSHTransaction, let bytes = pick(tx), !bytes.isEmpty else { return }
            bytes.withUnsafeBytes { body($0) }
        }
    }

    static let buffers: [AppLayerBufferDescriptor] = [
        buffer("ssh.proto", toServer: true) { $0.session.client.protoVersion },
        buffer("ssh.proto", toServer: false) { $0.session.server.protoVersion },
        buffer("ssh.software", toServer: true) { $0.session.client.softwareVersion },
        buffer("ssh.software", toServer: false) { $0.session.server.softwareVersion },
        buffer("ssh.hassh", toServer: true) { $0.hasshClient },
        buffer("ssh.hassh.string", toServer: true) { $0.hasshClientString },
        buffer("ssh.hassh.server", toServer: false) { $0.hasshServer },
        buffer("ssh.hassh.server.string", toServer: false) { $0.hasshServerString },
    ]
}
