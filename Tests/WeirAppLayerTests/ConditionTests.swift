// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirAppLayer

@Suite("App-layer option keywords on TLS, SSH and DNS transactions")
struct ConditionTests {
    private func tlsTransaction() -> TLSTransaction {
        let tx = TLSTransaction(options: TLSSession.Options(), logFields: .extended)
        tx.session.parse(tlsRecords(22, hexBytes(GeneratedFixtures.clientHello12)), toServer: true)
        tx.session.parse(
            tlsRecords(22, hexBytes(GeneratedFixtures.serverHello12) + hexBytes(GeneratedFixtures.certificateMessage)),
            toServer: false
        )
        return tx
    }

    @Test func tlsKeywords() {
        let tx = self.tlsTransaction()
        let now = Timestamp(seconds: 1_800_000_000, microseconds: 0)
        func m(_ keyword: String, _ value: String, toServer: Bool = false) -> Bool? {
            tx.matches(keyword: keyword, value: value, toServer: toServer, now: now)
        }
        #expect(m("tls.version", "1.2") == true)
        #expect(m("tls.version", "1.3") == false)
        #expect(m("ssl_version", "tls1.2") == true)
        #expect(m("ssl_version", "sslv3,tls1.0") == false)
        #expect(m("ssl_version", "!sslv3") == true)
        // The last handshake record held ServerHello and Certificate.
        #expect(m("ssl_state", "server_hello") == true)
        #expect(m("ssl_state", "client_hello") == false)
        #expect(m("ssl_state", "client_hello|server_hello") == true)
        #expect(m("ssl_state", "!client_keyx") == true)
        #expect(m("tls.fingerprint", "\"\(GeneratedFixtures.leafFingerprint.uppercased())\"") == true)
        #expect(m("tls.subject", "\"CN=www.example.com\"") == true)
        #expect(m("tls.subject", "!\"CN=www.example.com\"") == false)
        #expect(m("tls.issuerdn", "\"Weir Test CA\"") == true)
        #expect(m("tls.cert_chain_len", "2") == true)
        #expect(m("tls.cert_chain_len", ">2") == false)
        #expect(m("tls_cert_notbefore", ">2023") == true)
        #expect(m("tls_cert_notbefore", "2023-01-01<>2024-02-01") == true)
        #expect(m("tls_cert_notafter", "<2030-01-01") == false)
        #expect(m("tls_cert_expired", "") == false)
        #expect(m("tls_cert_valid", "") == true)
        #expect(m("dns.opcode", "0") == nil)
    }

    @Test func dnsAndSSHKeywords() {
        var session = DNSSession()
        var message: [UInt8] = [0, 1, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 1, UInt8(ascii: "a"), 0, 0, 28, 0, 1]
        session.parseUDP(message, toServer: false)
        let tx = DNSAppTransaction(session.takeTransactions()[0])
        let now = Timestamp(microseconds: 0)
        #expect(tx.matches(keyword: "dns.rcode", value: "3", toServer: false, now: now) == true)
        #expect(tx.matches(keyword: "dns.rcode", value: "NXDOMAIN", toServer: false, now: now) == true)
        #expect(tx.matches(keyword: "dns.rcode", value: "!0", toServer: false, now: now) == true)
        #expect(tx.matches(keyword: "dns.opcode", value: "0", toServer: false, now: now) == true)
        #expect(tx.matches(keyword: "dns.rrtype", value: "AAAA", toServer: false, now: now) == true)
        #expect(tx.matches(keyword: "dns.rrtype", value: "1", toServer: false, now: now) == false)
        message[2] = 0x28  // opcode 5 (update)
        session.parseUDP(message, toServer: true)
        let update = DNSAppTransaction(session.takeTransactions()[0])
        #expect(update.matches(keyword: "dns.opcode", value: ">4", toServer: true, now: now) == true)

        let ssh = SSHTransaction(computeHASSH: true)
        ssh.session.parse(Array("SSH-1.99-OpenSSH_3.9p1\r\n".utf8), toServer: false)
        #expect(ssh.matches(keyword: "ssh.protoversion", value: "2_compat", toServer: false, now: now) == true)
        #expect(ssh.matches(keyword: "ssh.protoversion", value: "2.0", toServer: false, now: now) == false)
        #expect(ssh.matches(keyword: "ssh.softwareversion", value: "\"OpenSSH\"", toServer: false, now: now) == true)
    }

    @Test func unsignedConditions() {
        #expect(UIntCondition("5")?.matches(5) == true)
        #expect(UIntCondition("!5")?.matches(5) == false)
        #expect(UIntCondition(">=5")?.matches(5) == true)
        #expect(UIntCondition("1-10")?.matches(5) == true)
        #expect(UIntCondition("1-10")?.matches(10) == false)
        #expect(UIntCondition("x") == nil)
        #expect(TLSTransaction.epoch("1970-01-02") == 86400)
        #expect(TLSTransaction.epoch("2024-01-02T03:04:05") == GeneratedFixtures.leafNotBefore)
    }
}
