// SPDX-License-Identifier: MIT
import Testing
import WeirOutput

@testable import WeirAppLayer

@Suite("SSH banners, HASSH and NEWKEYS")
struct SSHTests {
    private let newKeys: [UInt8] = [0, 0, 0, 12, 10, 21] + Array(repeating: 0, count: 10)

    private func flows() -> (client: [UInt8], server: [UInt8]) {
        let kexinit = hexBytes(GeneratedFixtures.sshKexinit)
        let client =
            Array("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".utf8) + kexinit + self.newKeys
            + Array(repeating: 0x77, count: 500)
        let server =
            Array("SSH-1.99-Cisco_server\r\n".utf8) + kexinit + self.newKeys + Array(repeating: 0x66, count: 700)
        return (client, server)
    }

    @Test func bannersHASSHAndEncryptionPoint() {
        let flows = self.flows()
        var session = SSHSession()
        session.parse(flows.client, toServer: true)
        session.parse(flows.server, toServer: false)
        #expect(session.events.isEmpty)
        #expect(session.client.protoVersion == Array("2.0".utf8))
        #expect(session.client.softwareVersion == Array("OpenSSH_9.2p1".utf8))
        #expect(session.server.protoVersion == Array("1.99".utf8))
        #expect(session.server.softwareVersion == Array("Cisco_server".utf8))
        #expect(session.client.hasshString == GeneratedFixtures.hasshClientString)
        #expect(session.client.hassh == GeneratedFixtures.hasshClient)
        #expect(session.server.hasshString == GeneratedFixtures.hasshServerString)
        #expect(session.server.hassh == GeneratedFixtures.hasshServer)
        #expect(session.encryptedBothWays)
        #expect(session.client.encryptedFrom == UInt64(flows.client.count - 500))
        #expect(session.server.encryptedFrom == UInt64(flows.server.count - 700))
    }

    @Test func byteByByteGivesTheSameResult() {
        let flows = self.flows()
        var session = SSHSession()
        for byte in flows.client { session.parse([byte], toServer: true) }
        for byte in flows.server { session.parse([byte], toServer: false) }
        #expect(session.client.hassh == GeneratedFixtures.hasshClient)
        #expect(session.server.hassh == GeneratedFixtures.hasshServer)
        #expect(session.client.encryptedFrom == UInt64(flows.client.count - 500))
        #expect(session.encryptedBothWays)
    }

    @Test func progressStopsAtBannerWithoutNewKeys() {
        var session = SSHSession()
        session.parse(Array("SSH-2.0-x\n".utf8), toServer: true)
        #expect(session.client.progress == .bannerDone)
        #expect(session.client.softwareVersion == Array("x".utf8))
        #expect(!session.encryptedBothWays)
    }

    @Test func malformedInputBecomesEvents() {
        var banner = SSHSession()
        banner.parse(Array("HTTP/1.1 200 OK\r\n".utf8), toServer: false)
        #expect(banner.events.map(\.event) == [.invalidBanner])

        var long = SSHSession()
        long.parse(Array("SSH-2.0-".utf8) + Array(repeating: UInt8(ascii: "a"), count: 300), toServer: true)
        long.parse(Array("\r\n".utf8) + self.newKeys, toServer: true)
        #expect(long.events.map(\.event) == [.longBanner])
        #expect(long.client.progress == .finished)

        var record = SSHSession()
        record.parse(Array("SSH-2.0-x\r\n".utf8) + [0, 0, 0, 1, 5, 20], toServer: true)
        #expect(record.events.map(\.event) == [.invalidRecord])
    }

    @Test func randomInputNeverCrashes() {
        var generator = SplitMix64(state: 11)
        let flows = self.flows()
        for _ in 0..<300 {
            var bytes = flows.client
            for _ in 0..<4 {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            var session = SSHSession()
            let cut = Int.random(in: 0..<bytes.count, using: &generator)
            session.parse(Array(bytes[..<cut]), toServer: true)
            session.parse(Array(bytes[cut...]), toServer: true)
            #expect(session.client.offset == UInt64(bytes.count))
        }
    }

    @Test func eveObject() {
        let flows = self.flows()
        var session = SSHSession()
        session.parse(flows.client, toServer: true)
        session.parse(flows.server, toServer: false)
        let json = renderJSON { $0.writeSSH(session) }
        let ssh = json["ssh"] as? [String: Any] ?? [:]
        let client = ssh["client"] as? [String: Any] ?? [:]
        let server = ssh["server"] as? [String: Any] ?? [:]
        #expect(client["proto_version"] as? String == "2.0")
        #expect(client["software_version"] as? String == "OpenSSH_9.2p1")
        #expect((client["hassh"] as? [String: String])?["hash"] == GeneratedFixtures.hasshClient)
        #expect((server["hassh"] as? [String: String])?["string"] == GeneratedFixtures.hasshServerString)
    }
}
