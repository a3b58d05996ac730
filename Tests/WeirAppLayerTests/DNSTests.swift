// SPDX-License-Identifier: MIT
import Testing
import WeirOutput

@testable import WeirAppLayer

/// Builds DNS messages for the tests.
private struct DNSBuilder {
    var bytes: [UInt8] = []

    init(id: UInt16, flags: UInt16, counts: (UInt16, UInt16, UInt16, UInt16)) {
        self.u16(id)
        self.u16(flags)
        self.u16(counts.0)
        self.u16(counts.1)
        self.u16(counts.2)
        self.u16(counts.3)
    }

    mutating func u16(_ value: UInt16) { self.bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
    mutating func u32(_ value: UInt32) { self.u16(UInt16(value >> 16)); self.u16(UInt16(value & 0xffff)) }

    mutating func name(_ text: String) {
        for label in text.split(separator: ".") {
            self.bytes.append(UInt8(label.utf8.count))
            self.bytes += Array(label.utf8)
        }
        self.bytes.append(0)
    }

    mutating func pointer(_ offset: Int) { self.u16(0xc000 | UInt16(offset)) }

    mutating func question(_ text: String, type: UInt16) {
        self.name(text)
        self.u16(type)
        self.u16(1)
    }

    /// A record whose owner is a pointer to `owner`.
    mutating func record(owner: Int, type: UInt16, ttl: UInt32 = 300, data: [UInt8]) {
        self.pointer(owner)
        self.u16(type)
        self.u16(1)
        self.u32(ttl)
        self.u16(UInt16(data.count))
        self.bytes += data
    }
}

@Suite("DNS messages, transactions and EVE")
struct DNSTests {
    private func request(id: UInt16 = 0x1234, name: String = "www.example.com", type: UInt16 = 1) -> [UInt8] {
        var builder = DNSBuilder(id: id, flags: 0x0100, counts: (1, 0, 0, 0))
        builder.question(name, type: type)
        return builder.bytes
    }

    private func response(id: UInt16 = 0x1234) -> [UInt8] {
        var builder = DNSBuilder(id: id, flags: 0x8180, counts: (1, 5, 1, 1))
        builder.question("www.example.com", type: 1)
        let cname = [UInt8(3)] + Array("cdn".utf8) + [0xc0, 16]
        builder.record(owner: 12, type: 5, data: cname)
        builder.record(owner: 12, type: 1, data: [192, 0, 2, 1])
        builder.record(owner: 12, type: 28, data: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        builder.record(owner: 12, type: 16, data: [3] + Array("one".utf8) + [3] + Array("two".utf8))
        builder.record(owner: 16, type: 15, data: [0, 10, 0xc0, 12])
        var soa: [UInt8] = [2] + Array("ns".utf8) + [0xc0, 16] + [0xc0, 16]
        for value: UInt32 in [2024, 3600, 600, 86400, 300] {
            soa += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        }
        builder.record(owner: 16, type: 6, data: soa)
        // OPT with one option.
        builder.bytes += [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 6, 0, 10, 0, 2, 0xab, 0xcd]
        return builder.bytes
    }

    @Test func decodesSectionsWithCompression() throws {
        let message = try DNSMessage.decode(self.response())
        #expect(message.isResponse)
        #expect(message.questions.first?.name.text == "www.example.com")
        #expect(message.answers.count == 5)
        #expect(message.answers[0].data == .name(DNSName(value: Array("cdn.example.com".utf8))))
        #expect(message.answers[1].data == .address([192, 0, 2, 1]))
        #expect(message.answers[3].data == .text([Array("one".utf8), Array("two".utf8)]))
        #expect(message.answers[4].name.text == "example.com")
        #expect(message.answers[4].data == .name(DNSName(value: Array("www.example.com".utf8))))
        if case .soa(let mname, _, let serial, _, _, _, let minimum) = message.authorities.first?.data {
            #expect(mname.text == "ns.example.com")
            #expect(serial == 2024 && minimum == 300)
        } else {
            Issue.record("no SOA")
        }
        if case .options(let options) = message.additionals.first?.data {
            #expect(options.first?.code == 10 && options.first?.data == [0xab, 0xcd])
        } else {
            Issue.record("no OPT")
        }
    }

    @Test func transactionsArePairedByID() {
        var session = DNSSession()
        let parsed1 = session.parseUDP(self.request(id: 7), toServer: true)
        #expect(parsed1)
        let parsed2 = session.parseUDP(self.request(id: 8, name: "b.test"), toServer: true)
        #expect(parsed2)
        let parsed3 = session.parseUDP(self.response(id: 7), toServer: false)
        #expect(parsed3)
        let transactions = session.takeTransactions()
        #expect(transactions.map(\.txID) == [0, 1, 2])
        #expect(transactions[2].answersRequest == 0)
        #expect(transactions[1].answersRequest == nil)
        #expect(session.pairedResponses == 1)
    }

    @Test func tcpMessagesSplitAndBatched() {
        func framed(_ message: [UInt8]) -> [UInt8] {
            [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
        }
        let stream = framed(self.request(id: 1)) + framed(self.request(id: 2)) + [0, 0] + framed(self.request(id: 3))
        var session = DNSSession()
        // Two whole messages and a zero length in the first segment, the third split in three.
        let cut1 = framed(self.request(id: 1)).count * 2 + 2 + 1
        let cut2 = cut1 + 10
        session.parseTCP(Array(stream[..<cut1]), toServer: true)
        #expect(session.transactions.count == 2)
        session.parseTCP(Array(stream[cut1..<cut2]), toServer: true)
        #expect(session.transactions.count == 2)
        #expect(session.bufferedBytes == cut2 - cut1 + 1)
        session.parseTCP(Array(stream[cut2...]), toServer: true)
        #expect(session.takeTransactions().map(\.message.id) == [1, 2, 3])
        #expect(session.bufferedBytes == 0)
    }

    @Test func tcpParsingResumesAfterAGap() {
        func framed(_ message: [UInt8]) -> [UInt8] {
            [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
        }
        var session = DNSSession()
        // A response cut by a gap: its start is dropped, the data after the gap that is not a message start is
        // dropped too, and the next whole response parses.
        let response = framed(self.response(id: 1))
        session.parseTCP(Array(response[..<20]), toServer: false)
        session.gap(toServer: false)
        #expect(session.bufferedBytes == 0 && session.afterGap)
        session.parseTCP(Array(response[40...]), toServer: false)
        #expect(session.transactions.isEmpty && !session.tcpFailedToClient)
        session.parseTCP(framed(self.response(id: 2)), toServer: false)
        #expect(session.takeTransactions().map(\.message.id) == [2])
        #expect(!session.afterGap)
    }

    @Test func compressionLoopsAreEventsNotHangs() {
        // A question whose name is a pointer to itself.
        var selfLoop = DNSBuilder(id: 1, flags: 0x0100, counts: (1, 0, 0, 0))
        selfLoop.pointer(12)
        selfLoop.u16(1)
        selfLoop.u16(1)
        var session = DNSSession()
        let parsed4 = session.parseUDP(selfLoop.bytes, toServer: true)
        #expect(!parsed4)
        #expect(session.takeEvents().map(\.event) == [.malformedData])

        // A label, then a pointer back to the label: loops until the label limit.
        var loop = DNSBuilder(id: 2, flags: 0x0100, counts: (1, 0, 0, 0))
        loop.bytes += [1, UInt8(ascii: "a")]
        loop.pointer(12)
        loop.u16(1)
        loop.u16(1)
        let parsed5 = session.parseUDP(loop.bytes, toServer: true)
        #expect(parsed5)
        let transaction = session.takeTransactions().first
        #expect(transaction?.events == [.tooManyLabels])
        #expect(transaction?.message.questions.first?.name.truncated == true)
    }

    @Test func malformedMessagesAreEvents() {
        var session = DNSSession()
        let parsed6 = session.parseUDP(self.request(id: 1), toServer: true)
        #expect(parsed6)
        // Truncated in the question: malformed_data on the flow's latest transaction.
        let parsed7 = session.parseUDP(Array(self.request(id: 2).dropLast(3)), toServer: true)
        #expect(!parsed7)
        // A response sent to the server.
        let parsed8 = session.parseUDP(self.response(id: 3), toServer: true)
        #expect(!parsed8)
        // Not DNS at all: no transaction, no event (detection decides).
        let parsed9 = session.parseUDP(Array("GET / HTTP/1.1\r\n\r\n".utf8), toServer: true)
        #expect(!parsed9)
        #expect(session.takeTransactions().first?.events == [.malformedData, .notRequest])
        // A request answered with the Z flag and a bad opcode.
        var odd = DNSBuilder(id: 4, flags: 0x8000 | 0x7800 | 0x0040, counts: (1, 0, 0, 0))
        odd.question("x.test", type: 1)
        let parsed10 = session.parseUDP(odd.bytes, toServer: false)
        #expect(parsed10)
        #expect(session.takeTransactions().first?.events == [.zFlagSet, .invalidOpcode])
    }

    @Test func randomInputNeverCrashes() {
        var generator = SplitMix64(state: 3)
        var session = DNSSession()
        let valid = self.response()
        for round in 0..<500 {
            var bytes = valid
            for _ in 0..<(round % 6 + 1) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            session.parseUDP(Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))), toServer: false)
            session.parseTCP(bytes, toServer: round % 2 == 0)
            _ = session.takeTransactions()
        }
        #expect(session.transactionCount > 0)
    }

    @Test func eveVersion3Record() {
        var session = DNSSession()
        session.parseUDP(self.request(), toServer: true)
        session.parseUDP(self.response(), toServer: false)
        let transactions = session.takeTransactions()
        let request = renderJSON { $0.writeDNS(transactions[0]) }["dns"] as? [String: Any] ?? [:]
        #expect(request["version"] as? Int == 3)
        #expect(request["type"] as? String == "request")
        #expect(request["tx_id"] as? Int == 0)
        #expect(request["id"] as? Int == 0x1234)
        #expect(request["flags"] as? String == "100")
        #expect(request["rd"] as? Bool == true)
        #expect(request["rcode"] as? String == "NOERROR")
        let queries = request["queries"] as? [[String: Any]] ?? []
        #expect(queries.first?["rrname"] as? String == "www.example.com")
        #expect(queries.first?["rrtype"] as? String == "A")

        let response = renderJSON { $0.writeDNS(transactions[1]) }["dns"] as? [String: Any] ?? [:]
        #expect(response["type"] as? String == "response")
        #expect(response["qr"] as? Bool == true)
        let answers = response["answers"] as? [[String: Any]] ?? []
        #expect(answers.map { $0["rrtype"] as? String } == ["CNAME", "A", "AAAA", "TXT", "TXT", "MX"])
        #expect(
            answers.map { $0["rdata"] as? String } == [
                "cdn.example.com", "192.0.2.1", "2001:0db8:0000:0000:0000:0000:0000:0001", "one", "two",
                "www.example.com",
            ]
        )
        let soa = (response["authorities"] as? [[String: Any]])?.first?["soa"] as? [String: Any]
        #expect(soa?["mname"] as? String == "ns.example.com")
        let opt = (response["additionals"] as? [[String: Any]])?.first?["opt"] as? [[String: Any]]
        #expect(opt?.first?["data"] as? String == "abcd")
    }

    @Test func groupedAnswersByDefaultNotInAlerts() {
        var session = DNSSession()
        session.parseUDP(self.response(), toServer: false)
        let response = session.takeTransactions()[0]
        let record = renderJSON { $0.writeDNS(response, filter: DNSLogFilter()) }["dns"] as? [String: Any] ?? [:]
        let grouped = record["grouped"] as? [String: Any] ?? [:]
        #expect(Set(grouped.keys) == ["CNAME", "A", "AAAA", "TXT", "MX"])
        #expect(grouped["A"] as? [String] == ["192.0.2.1"])
        #expect(grouped["TXT"] as? [String] == ["one", "two"])
        #expect(grouped["MX"] as? [String] == ["www.example.com"])
        #expect((record["answers"] as? [Any])?.count == 6)
        // Alerts carry the detailed form only (Suricata's alert flags).
        let alert = renderJSON { $0.writeDNS(response) }["dns"] as? [String: Any] ?? [:]
        #expect(alert["grouped"] == nil && (alert["answers"] as? [Any])?.count == 6)
        // `formats` picks either form.
        let groupedOnly = DNSLogFilter(requests: true, responses: true, formats: ["grouped"], types: nil)
        let g = renderJSON { $0.writeDNS(response, filter: groupedOnly) }["dns"] as? [String: Any] ?? [:]
        #expect(g["answers"] == nil && g["grouped"] != nil)
        let detailedOnly = DNSLogFilter(requests: true, responses: true, formats: ["detailed"], types: nil)
        let d = renderJSON { $0.writeDNS(response, filter: detailedOnly) }["dns"] as? [String: Any] ?? [:]
        #expect(d["answers"] != nil && d["grouped"] == nil)
    }

    @Test func recordTypeFilterAndMessagesWithoutQuestions() {
        var session = DNSSession()
        session.parseUDP(self.request(type: 1), toServer: true)
        session.parseUDP(self.request(id: 2, type: 15), toServer: true)
        session.parseUDP(self.request(id: 3, type: 64), toServer: true)
        session.parseUDP(DNSBuilder(id: 4, flags: 0x8180, counts: (0, 0, 0, 0)).bytes, toServer: false)
        let txs = session.takeTransactions()
        #expect(txs.count == 4)
        let everything = DNSLogFilter()
        // Unfiltered: every type, named or not; a message without questions is never logged (as Suricata).
        #expect(txs.map { everything.logs($0) } == [true, true, true, false])
        let mxOnly = DNSLogFilter(requests: true, responses: true, formats: nil, types: ["mx"])
        #expect(txs.map { mxOnly.logs($0) } == [false, true, false, false])
        // Any narrowing (here: no responses) leaves types without a name out.
        let requestsOnly = DNSLogFilter(requests: true, responses: false, formats: nil, types: nil)
        #expect(txs.map { requestsOnly.logs($0) } == [true, true, false, false])
        // Alerts: every named type, so a query of an unnamed type has no `queries`.
        let alert = renderJSON { $0.writeDNS(txs[2]) }["dns"] as? [String: Any] ?? [:]
        #expect(alert["queries"] == nil && alert["type"] as? String == "request")
    }

    @Test func eveVersion2Records() {
        var session = DNSSession()
        var builder = DNSBuilder(id: 7, flags: 0x0140, counts: (2, 0, 0, 0))
        builder.question("a.example", type: 1)
        builder.question("b.example", type: 28)
        session.parseUDP(builder.bytes, toServer: true)
        session.parseUDP(self.response(), toServer: false)
        let txs = session.takeTransactions()
        let second = renderJSON { $0.writeDNSQuery(txs[0], index: 1) }["dns"] as? [String: Any] ?? [:]
        #expect(second["version"] as? Int == 2)
        #expect(second["type"] as? String == "query")
        #expect(second["rrname"] as? String == "b.example" && second["rrtype"] as? String == "AAAA")
        #expect(second["tx_id"] as? Int == 0 && second["id"] as? Int == 7 && second["z"] as? Bool == true)
        let answer = renderJSON { $0.writeDNSAnswer(txs[1], filter: DNSLogFilter()) }["dns"] as? [String: Any] ?? [:]
        #expect(answer["version"] as? Int == 2)
        #expect(answer["type"] as? String == "answer")
        #expect(answer["rrname"] as? String == "www.example.com" && answer["rrtype"] as? String == "A")
        #expect(answer["tx_id"] == nil && answer["queries"] == nil)
        #expect((answer["answers"] as? [Any])?.count == 6 && answer["grouped"] != nil)
    }

    @Test func probeSaysWhichWayAMessageTravels() {
        let probe = DNSParser.descriptor.probes[0]
        let request = self.request()
        let response = self.response()
        request.withUnsafeBytes { #expect(probe.probe($0, true) == .match) }
        request.withUnsafeBytes { #expect(probe.probe($0, false) == .matchOtherDirection) }
        response.withUnsafeBytes { #expect(probe.probe($0, false) == .match) }
        response.withUnsafeBytes { #expect(probe.probe($0, true) == .matchOtherDirection) }
        // Over TCP a long first message is recognised from its header (Suricata's probe), before it is whole.
        var framed: [UInt8] = [0x40, 0x00] + request
        framed.withUnsafeBytes { #expect(DNSParser.probe($0, tcp: true) == .match) }
        framed[7] = 0  // no questions in a request: not DNS
        framed.withUnsafeBytes { #expect(DNSParser.probe($0, tcp: true) == .noMatch) }
        ([0x00, 0x40, 0x01] as [UInt8]).withUnsafeBytes { #expect(DNSParser.probe($0, tcp: true) == .needMoreData) }
    }

    @Test func typeAndRcodeNames() {
        #expect(DNSNames.type(254) == "MAILA")
        #expect(DNSNames.type(253) == "253")
        #expect(DNSNames.type(28) == "AAAA")
        #expect(DNSNames.type(999) == "999")
        #expect(DNSNames.type(named: "mx") == 15)
        #expect(DNSNames.rcode(3) == "NXDOMAIN")
        #expect(DNSNames.rcode(named: "servfail") == 2)
    }
}
