// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirOutput

/// Community ID v1 against the spec's published baseline (corelight/community-id-spec, baseline/*.json): every
/// row of the default-seed and seed-1 tables, both directions where the table has them.
@Suite struct CommunityIDTests {
    struct Vector: Sendable, CustomStringConvertible {
        var proto: UInt8
        var source: String
        var destination: String
        var sourcePort: UInt16
        var destinationPort: UInt16
        var seed0: String
        var seed1: String
        var description: String { "\(proto) \(source):\(sourcePort) → \(destination):\(destinationPort)" }
    }

    static let vectors: [Vector] = [
        Vector(proto: 58, source: "fe80::200:86ff:fe05:80da", destination: "fe80::260:97ff:fe07:69ea", sourcePort: 135,
               destinationPort: 136, seed0: "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", seed1: "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
        Vector(proto: 58, source: "fe80::260:97ff:fe07:69ea", destination: "fe80::200:86ff:fe05:80da", sourcePort: 136,
               destinationPort: 135, seed0: "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", seed1: "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="),
        Vector(proto: 58, source: "fe80::260:97ff:fe07:69ea", destination: "fe80::200:86ff:fe05:80da", sourcePort: 135,
               destinationPort: 136, seed0: "1:zavyT/cezQr1fmImYCwYnMXbgck=", seed1: "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="),
        Vector(proto: 58, source: "3ffe:501:1800:2345::2", destination: "3ffe:507:0:1:200:86ff:fe05:80da", sourcePort: 3,
               destinationPort: 0, seed0: "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", seed1: "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="),
        Vector(proto: 58, source: "3ffe:501:410:0:2c0:dfff:fe47:33e", destination: "3ffe:507:0:1:200:86ff:fe05:80da",
               sourcePort: 1, destinationPort: 4, seed0: "1:hLZd0XGWojozrvxqE0dWB1iM6R0=",
               seed1: "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8="),
        Vector(proto: 58, source: "3ffe:507:0:1:200:86ff:fe05:80da", destination: "3ffe:501:0:1001::2", sourcePort: 128,
               destinationPort: 129, seed0: "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", seed1: "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
        Vector(proto: 58, source: "3ffe:501:0:1001::2", destination: "3ffe:507:0:1:200:86ff:fe05:80da", sourcePort: 129,
               destinationPort: 128, seed0: "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", seed1: "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="),
        Vector(proto: 58, source: "fe80::200:86ff:fe05:80da", destination: "ff02::2", sourcePort: 133, destinationPort: 134,
               seed0: "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", seed1: "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="),
        Vector(proto: 58, source: "fe80::260:97ff:fe07:69ea", destination: "ff02::1", sourcePort: 134, destinationPort: 133,
               seed0: "1:pkvHqCL88/tg1k4cPigmZXUtL00=", seed1: "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="),
        Vector(proto: 1, source: "192.168.0.89", destination: "192.168.0.1", sourcePort: 8, destinationPort: 0,
               seed0: "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", seed1: "1:03g6IloqVBdcZlPyX8r0hgoE7kA="),
        Vector(proto: 1, source: "192.168.0.1", destination: "192.168.0.89", sourcePort: 0, destinationPort: 8,
               seed0: "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", seed1: "1:03g6IloqVBdcZlPyX8r0hgoE7kA="),
        Vector(proto: 1, source: "10.0.0.1", destination: "10.0.0.2", sourcePort: 11, destinationPort: 0,
               seed0: "1:YHxtAirCG//0OzkcVAukqKQN9xM=", seed1: "1:XjUibYHaafLQ3pxQeiMI8g25q20="),
        Vector(proto: 6, source: "2001:470:e5bf:dead:4957:2174:e82c:4887", destination: "2607:f8b0:400c:c03::1a",
               sourcePort: 63943, destinationPort: 25, seed0: "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
               seed1: "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
        Vector(proto: 6, source: "2607:f8b0:400c:c03::1a", destination: "2001:470:e5bf:dead:4957:2174:e82c:4887",
               sourcePort: 25, destinationPort: 63943, seed0: "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
               seed1: "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
        Vector(proto: 132, source: "192.168.170.8", destination: "192.168.170.56", sourcePort: 7, destinationPort: 7,
               seed0: "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", seed1: "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="),
        Vector(proto: 132, source: "192.168.170.56", destination: "192.168.170.8", sourcePort: 7, destinationPort: 7,
               seed0: "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", seed1: "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="),
        Vector(proto: 6, source: "128.232.110.120", destination: "66.35.250.204", sourcePort: 34855, destinationPort: 80,
               seed0: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", seed1: "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
        Vector(proto: 6, source: "66.35.250.204", destination: "128.232.110.120", sourcePort: 80, destinationPort: 34855,
               seed0: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", seed1: "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
        Vector(proto: 17, source: "192.168.1.52", destination: "8.8.8.8", sourcePort: 54585, destinationPort: 53,
               seed0: "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", seed1: "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
        Vector(proto: 17, source: "8.8.8.8", destination: "192.168.1.52", sourcePort: 53, destinationPort: 54585,
               seed0: "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", seed1: "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
        Vector(proto: 46, source: "10.1.12.1", destination: "10.1.12.2", sourcePort: 0, destinationPort: 0,
               seed0: "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", seed1: "1:rYir8gphR31noO9iDRQmF/BteEI="),
        Vector(proto: 46, source: "10.1.12.2", destination: "10.1.12.1", sourcePort: 0, destinationPort: 0,
               seed0: "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", seed1: "1:rYir8gphR31noO9iDRQmF/BteEI="),
    ]

    @Test(arguments: vectors)
    func matchesThePublishedBaseline(_ v: Vector) throws {
        let source = try #require(IPAddress(v.source))
        let destination = try #require(IPAddress(v.destination))
        for (seed, expected) in [(UInt16(0), v.seed0), (1, v.seed1)] {
            let id = CommunityID.v1(
                source: source, destination: destination, ipProtocol: v.proto, sourcePort: v.sourcePort,
                destinationPort: v.destinationPort, seed: seed)
            #expect(id == expected, "seed \(seed)")
        }
    }

    /// ICMP flows as Suricata hashes them on flow records: the first packet's type and its counterpart, always
    /// ordered. Expected values computed apart (Python: SHA-1 over Suricata's packed struct, base64).
    @Test func icmpFlowsHashLikeSuricata() throws {
        let a = try #require(IPAddress("192.168.0.89"))
        let b = try #require(IPAddress("192.168.0.1"))
        // An echo flow is the spec's value, whichever side sent first.
        #expect(CommunityID.v1(icmpFlowFrom: a, to: b, ipProtocol: 1, type: 8) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        #expect(CommunityID.v1(icmpFlowFrom: b, to: a, ipProtocol: 1, type: 0) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        // A port unreachable from 10.0.0.2: no counterpart, so port 0 against type 3, and the pair is ordered
        // (the spec would keep the direction and use the code).
        let c = try #require(IPAddress("10.0.0.2"))
        let d = try #require(IPAddress("10.0.0.1"))
        #expect(CommunityID.v1(icmpFlowFrom: c, to: d, ipProtocol: 1, type: 3) == "1:Gvxy5tJBqVQmXeu+uDF2STCC0rk=")
        #expect(CommunityID.icmpCounterpart(of: 128, ipProtocol: 58) == 129)
        #expect(CommunityID.icmpCounterpart(of: 3, ipProtocol: 1) == nil)
    }
}
