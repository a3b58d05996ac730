// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDetect

@Suite struct RuleOptionTests {
    let parser = RuleParser()

    func rule(_ options: String, proto: String = "tcp") throws -> Rule {
        try self.parser.parse("alert \(proto) any any -> any any (\(options) sid:1;)")
    }

    func contents(_ rule: Rule, section: Int = 0) -> [ContentMatch] {
        rule.sections[section].matches.compactMap { if case .content(let c) = $0 { c } else { nil } }
    }

    /// The error a rule body raises, with the option part of the offset made relative to "alert tcp any any -> any any (".
    func error(_ options: String) -> RuleParseError? {
        do {
            _ = try self.parser.parse("alert tcp any any -> any any (\(options) sid:1;)")
            return nil
        } catch {
            var e = error
            e.offset -= 30
            return e
        }
    }

    @Test func metadataKeywords() throws {
        let r = try self.parser.parse(
            #"alert tcp any any -> any any (msg:"a \"quoted\" \; b\\c"; gid:3; rev:7; sid:42; classtype:trojan-activity; priority:2; reference:url,example.com/x; reference:cve,2020-1234; metadata:former_category MALWARE, signature_severity Major, lone; target:dest_ip;)"#
        )
        #expect(r.message == #"a "quoted" ; b\c"#)
        #expect(r.sid == 42 && r.gid == 3 && r.rev == 7)
        #expect(r.classtype == "trojan-activity" && r.priority == 2)
        #expect(
            r.references == [
                RuleReference(system: "url", id: "example.com/x"), RuleReference(system: "cve", id: "2020-1234"),
            ]
        )
        #expect(
            r.metadata == [
                RuleMetadataEntry(key: "former_category", value: "MALWARE"),
                RuleMetadataEntry(key: "signature_severity", value: "Major"), RuleMetadataEntry(key: "lone", value: ""),
            ]
        )
        #expect(r.target == .destinationIP)
        let table = ClassificationTable.suricataDefault
        #expect(table.categoryAndSeverity(of: r).category == "A Network Trojan was detected")
        #expect(table.categoryAndSeverity(of: r).severity == 2)
        var noPriority = r
        noPriority.priority = nil
        #expect(table.categoryAndSeverity(of: noPriority).severity == 1)
    }

    @Test func contentDecoding() throws {
        let r = try self.rule(#"content:"GET |20 2f|a\;b\"c\\d\:e|0D0a|";"#)
        #expect(self.contents(r)[0].pattern == Array("GET  /a;b\"c\\d:e\r\n".utf8))
        let negated = try self.rule(#"content:!"abc";"#)
        #expect(self.contents(negated)[0].isNegated)
    }

    @Test func contentModifiers() throws {
        let r = try self.rule(
            #"content:"abc"; nocase; offset:2; depth:10; content:"de"; distance:-1; within:5; fast_pattern; content:"z"; startswith; content:"y"; endswith; rawbytes;"#
        )
        let c = self.contents(r)
        #expect(c[0].nocase && c[0].offset == .literal(2) && c[0].depth == .literal(10) && !c[0].isRelative)
        #expect(
            c[1].distance == .literal(-1) && c[1].within == .literal(5) && c[1].fastPattern == .plain && c[1].isRelative
        )
        #expect(c[2].startsWith && c[3].endsWith && c[3].rawbytes)
        #expect(r.fastPatternContent?.match == 1)
    }

    @Test func fastPatternForms() throws {
        #expect(self.contents(try self.rule(#"content:"abcdef"; fast_pattern:only;"#))[0].fastPattern == .only)
        #expect(
            self.contents(try self.rule(#"content:"abcdef"; fast_pattern:1,3;"#))[0].fastPattern
                == .chop(offset: 1, length: 3)
        )
        #expect(
            self.error(#"content:"abc"; fast_pattern:2,3;"#)?.reason
                == "fast_pattern slice 2,3 is outside the content (3 bytes)"
        )
        #expect(
            self.error(#"content:"a"; fast_pattern; content:"b"; fast_pattern;"#)?.reason
                == "only one content per rule can be fast_pattern"
        )
    }

    @Test(arguments: [
        (#"nocase;"#, "needs a preceding content", 0),
        (#"content:"abc"; depth:2;"#, "depth 2 is smaller than the content length 3", 21),
        (#"content:"abc"; within:2;"#, "within 2 is smaller than the content length 3", 22),
        (
            #"content:"abc"; depth:5; distance:1;"#,
            "distance (relative) cannot be combined with depth/offset (absolute)", 24
        ),
        (#"content:"abc"; startswith; offset:1;"#, "offset cannot be combined with startswith", 27),
        (#"content:"abc"; nocase; nocase;"#, "content already has nocase", 23),
        (#"content:"ab|4"; "#, "unterminated hex run (missing '|') in content", 11),
        (#"content:"a|4 1|";"#, "hex digits must come in pairs in content", 12),
        (#"content:"a\x";"#, #"invalid escape '\x' in content"#, 10),
        (#"content:abc;"#, "value must be enclosed in double quotes", 8),
        (#"content:"";"#, "content is empty", 8),
        (#"content:"a"; depth:x;"#, "'x' is neither a number nor a byte_extract/byte_math variable", 19),
        (#"foo:bar;"#, "unknown rule keyword 'foo'", 0),
        (#"flow.pkts_either:3;"#, "unknown rule keyword 'flow.pkts_either'", 0),
        (#"content:"a" nocase;"#, "unexpected 'nocase' after the closing quote (missing ';'?)", 12),
    ])
    func contentErrors(_ options: String, _ reason: String, _ offset: Int) {
        let e = self.error(options)
        #expect(e?.reason == reason)
        #expect(e?.offset == offset)
    }

    @Test func legacyModifiersMoveTheContent() throws {
        let r = try self.rule(
            #"content:"GET"; http_method; content:"/x"; http_uri; nocase; content:"payload"; content:"/y"; http_uri; distance:0;"#,
            proto: "http"
        )
        #expect(r.sections.map(\.buffer) == [.httpMethod, .httpURI, .payload])
        #expect(self.contents(r, section: 1).map(\.pattern) == [Array("/x".utf8), Array("/y".utf8)])
        #expect(self.contents(r, section: 1)[0].nocase)
        #expect(self.contents(r, section: 1)[1].distance == .literal(0))
        #expect(self.contents(r, section: 2)[0].pattern == Array("payload".utf8))
        // The canonical printer uses sticky buffers and the result parses to the same model.
        let printed = RulePrinter.canonicalText(r)
        #expect(
            printed.contains(
                #"http.method; content:"GET"; http.uri; content:"/x"; nocase; pkt_data; content:"payload"; http.uri; content:"/y"; distance:0;"#
            )
        )
        #expect(r.sections[1].order == [1, 3])
        #expect(try self.parser.parse(printed) == r)
    }

    @Test func relativeByteKeywordsFollowTheLastContentsBuffer() throws {
        // Suricata puts a relative byte_extract after a uricontent into the URI list, so `one` is defined
        // before the second uricontent uses it.
        let r = try self.rule(
            #"uricontent:"this"; byte_extract:1,2,one,string,dec,relative; uricontent:"ring"; distance:one; byte_test:1,=,1,0;"#
        )
        #expect(r.sections.map(\.buffer) == [.httpURI, .payload])
        #expect(r.sections[0].matches.count == 3)
        #expect(r.sections[0].order == [0, 1, 2])
        #expect(r.sections[1].order == [3])
        #expect(try self.parser.parse(RulePrinter.canonicalText(r)) == r)
    }

    @Test func transformsMustBeConsumedBeforeTheNextBuffer() {
        let e = self.error(#"http.uri; to_lowercase; pkt_data; content:"a";"#)
        #expect(e?.reason == "previous transforms not consumed by a match before this buffer")
        #expect(e?.offset == 24)
    }

    @Test func escapedTrailingSpaceStaysInTheValue() throws {
        let r = try self.rule(#"http.uri; from_base64: offset 10\ ; content:"a";"#)
        #expect(r.sections[0].transforms == [.fromBase64(arguments: #"offset 10\ "#)])
        #expect(try self.parser.parse(RulePrinter.canonicalText(r)) == r)
    }

    /// Found by libFuzzer: trimming an escaped trailing blank left a lone backslash that escaped the printed ';'.
    @Test(arguments: [
        #"metadata:a b\ , key\ ;"#, #"reference:url,abc\ ;"#, #"metadata:x y\,;"#,
        #"metadata:created_at 2010, sev (msg:\ ;"#,
    ])
    func escapedBlanksAndSeparatorsRoundTrip(_ options: String) throws {
        let r = try self.rule(options)
        #expect(try self.parser.parse(RulePrinter.canonicalText(r)) == r)
    }

    @Test func relativeAfterExplicitPktDataStaysInThePayload() throws {
        let r = try self.rule(#"content:"a"; http_uri; pkt_data; isdataat:1,relative; content:"b"; pcre:"/c/R";"#)
        #expect(r.sections.map(\.buffer) == [.httpURI, .payload])
        #expect(r.sections[1].matches.count == 3)
        // Without pkt_data, Suricata follows the last match into the URI list.
        let s = try self.rule(#"content:"a"; http_uri; isdataat:1,relative;"#)
        #expect(s.sections.map(\.buffer) == [.httpURI])
        #expect(s.sections[0].matches.count == 2)
    }

    @Test func stickyBuffersAndTransforms() throws {
        let r = try self.rule(
            #"dns_query; dotprefix; to_lowercase; content:".evil.com"; endswith; tls.sni; content:"x"; file_data; content:"y"; http.response_body; content:"z";"#
        )
        #expect(r.sections.count == 4)
        #expect(r.sections[0].buffer == BufferID("dns.query"))
        #expect(r.sections[0].transforms == [.dotprefix, .toLowercase])
        #expect(r.sections[1].buffer == BufferID("tls.sni"))
        // http.response_body is the response's part of the file_data list: a buffer of its own (to-client).
        #expect(r.sections[2].buffer == .fileData)
        #expect(self.contents(r, section: 2).count == 1)
        #expect(r.sections[3].buffer == .httpResponseBody)
        #expect(self.contents(r, section: 3).count == 1)
        // pcre's Q (the file_data list) is accepted under http.response_body, as Suricata accepts it.
        #expect(self.error(#"http.response_body; content:"a"; pcre:"/b/Q";"#) == nil)
        #expect(self.error(#"content:"a"; to_lowercase;"#)?.reason == "transforms must follow a sticky buffer")
        #expect(
            self.error(#"http.uri; content:"a"; http_header;"#)?.reason
                == "content modifier used while sticky buffer http.uri is set; reset it with pkt_data first"
        )
    }

    @Test func transformAfterMatchesStartsANewSection() throws {
        let r = try self.rule(#"http.uri; content:"A"; to_lowercase; content:"b";"#)
        #expect(r.sections.count == 2)
        #expect(r.sections[0].transforms.isEmpty && r.sections[1].transforms == [.toLowercase])
    }

    @Test func transformArguments() throws {
        let r = try self.rule(#"http.uri; xor:"0d0aff"; pcrexform:"^/(.*)"; from_base64:bytes 4; content:"a";"#)
        #expect(
            r.sections[0].transforms == [
                .xor(key: [0x0d, 0x0a, 0xff]), .pcrexform(pattern: "^/(.*)"), .fromBase64(arguments: "bytes 4"),
            ]
        )
        let other = try self.rule(#"http.uri; subslice:1,2; content:"a";"#)
        #expect(other.unsupportedKeywords == ["subslice"])
    }

    @Test func pcreFlags() throws {
        let r = try self.rule(#"content:"x"; pcre:"/a\;b/ismxAEGROR";"#)
        guard case .pcre(let p) = r.sections[0].matches[1] else { Issue.record("no pcre"); return }
        #expect(p.pattern == #"a\;b"#)
        #expect(
            p.flags == [
                .caseless, .dotAll, .multiline, .extended, .anchored, .dollarEndOnly, .ungreedy, .overrideMatchLimit,
                .relative,
            ]
        )
        #expect(p.bufferFlag == nil)
    }

    @Test(arguments: [
        ("U", "http.uri"), ("I", "http.uri.raw"), ("P", "http.request_body"), ("Q", "file.data"), ("H", "http.header"),
        ("D", "http.header.raw"), ("M", "http.method"), ("C", "http.cookie"), ("S", "http.stat_code"),
        ("Y", "http.stat_msg"), ("V", "http.user_agent"), ("W", "http.host"), ("Z", "http.host.raw"),
    ])
    func pcreBufferLetters(_ letter: String, _ buffer: String) throws {
        let r = try self.rule(#"pcre:!"/a/\#(letter)";"#, proto: "http")
        #expect(r.sections.map(\.buffer) == [BufferID(buffer)])
        guard case .pcre(let p) = r.sections[0].matches[0] else { Issue.record("no pcre"); return }
        #expect(p.isNegated && p.bufferFlag == Character(letter))
    }

    @Test func pcreErrors() {
        #expect(self.error(#"pcre:"/a/Ux";"#)?.reason == nil)
        #expect(self.error(#"pcre:"/a/q";"#)?.reason == "unknown pcre modifier 'q'")
        #expect(self.error(#"pcre:"/a/UH";"#)?.reason == "pcre modifier 'H' conflicts with 'U'")
        #expect(self.error(#"pcre:"/a/R";"#)?.reason == "pcre /R needs a preceding content or pcre in the same buffer")
        #expect(
            self.error(#"pcre:"/A/W";"#)?.reason
                == "pcre with 'W' (http.host) has an uppercase character; the host buffer is lowercase"
        )
        #expect(
            self.error(#"http.uri; pcre:"/a/H";"#)?.reason
                == "pcre buffer modifier 'H' used while sticky buffer http.uri is set"
        )
        #expect(self.error(#"pcre:"a";"#)?.reason == "pcre must be written /regex/flags")
    }

    @Test func pcreCompileErrorsPointIntoTheRegex() {
        var parser = RuleParser()
        parser.validatesRegexes = true
        let text = #"alert tcp any any -> any any (pcre:"/ab[c/i"; sid:1;)"#
        #expect(
            throws: RuleParseError(
                offset: 41,
                keyword: "pcre",
                reason: "PCRE2 compile error: missing terminating ] for character class"
            )
        ) {
            try parser.parse(text)
        }
        #expect((try? parser.parse(#"alert tcp any any -> any any (pcre:"/a\;b[\x22]/i"; sid:1;)"#)) != nil)
        #expect((try? RuleParser().parse(text)) != nil)  // without validation the rule parses
    }

    @Test func byteKeywordsAndVariables() throws {
        let r = try self.rule(
            #"content:"x"; byte_extract:2,0,len,relative,little,multiplier 2,align 4,bitmask 0xff00; byte_test:4,!&,0x10,len,relative,big,string,hex; byte_jump:len,2,relative,multiplier 2,little,align,from_beginning,post_offset -3,bitmask 0x0f; byte_math:bytes 2,offset 0,oper <<,rvalue len,result out,relative,endian big,string dec; isdataat:!out,relative,rawbytes; content:"y"; distance:len; within:out;"#
        )
        let m = r.sections[0].matches
        guard case .byteExtract(let e) = m[1], case .byteTest(let t) = m[2], case .byteJump(let j) = m[3],
            case .byteMath(let bm) = m[4], case .isdataat(let i) = m[5], case .content(let c) = m[6]
        else { Issue.record("unexpected matches \(m)"); return }
        #expect(
            e
                == ByteExtract(
                    count: 2,
                    offset: 0,
                    name: "len",
                    relative: true,
                    multiplier: 2,
                    format: ByteFormat(endian: .little),
                    align: 4,
                    bitmask: 0xff00
                )
        )
        #expect(
            t
                == ByteTest(
                    count: .literal(4),
                    isNegated: true,
                    op: .and,
                    value: .literal(16),
                    offset: .variable("len"),
                    relative: true,
                    format: ByteFormat(endian: .big, stringBase: .hex),
                    bitmask: nil
                )
        )
        #expect(
            j.count == .variable("len") && j.offset == .literal(2) && j.fromBeginning && j.align && j.postOffset == -3
                && j.bitmask == 0x0f && j.multiplier == 2
        )
        #expect(
            bm.op == .shl && bm.rvalue == .variable("len") && bm.result == "out"
                && bm.format == ByteFormat(endian: .big, stringBase: .dec)
        )
        #expect(i == IsDataAt(position: .variable("out"), isNegated: true, relative: true, rawbytes: true))
        #expect(c.distance == .variable("len") && c.within == .variable("out"))
        #expect(
            self.error(#"byte_test:9,=,1,0;"#)?.reason
                == "byte count '9' must be 1-8 or a byte_extract/byte_math variable"
        )
        #expect(self.error(#"byte_test:1,~,1,0;"#)?.reason == "invalid byte_test operator '~'")
        #expect(
            self.error(#"byte_jump:1,0,from_beginning,from_end;"#)?.reason
                == "from_beginning and from_end are exclusive"
        )
        #expect(
            self.error(#"byte_math:bytes 1,offset 0,oper +,rvalue 1;"#)?.reason
                == "byte_math needs bytes, offset, oper, rvalue and result"
        )
    }

    @Test func flowAndBits() throws {
        let r = try self.rule(
            #"flow:established,from_client,no_stream; flowbits:isset,a|b; flowbits:set,c; flowbits:noalert; xbits:isset,x,track ip_pair,expire 60; flowint:cnt,+,1; flowint:cnt,>,other; flowint:cnt,notset;"#
        )
        #expect(r.options[0] == .flow([.established, .toServer, .noStream]))
        #expect(r.options[1] == .flowbits(BitsCommand(operation: .isset, names: ["a", "b"])))
        #expect(r.options[2] == .flowbits(BitsCommand(operation: .set, names: ["c"])))
        #expect(r.options[3] == .flowbits(BitsCommand(operation: .noalert, names: [])))
        #expect(r.options[4] == .xbits(BitsCommand(operation: .isset, names: ["x"]), track: .ipPair, expire: 60))
        #expect(r.options[5] == .flowint(FlowintCommand(name: "cnt", op: .add, value: .literal(1))))
        #expect(r.options[6] == .flowint(FlowintCommand(name: "cnt", op: .greater, value: .variable("other"))))
        #expect(r.options[7] == .flowint(FlowintCommand(name: "cnt", op: .notset, value: nil)))
        #expect(self.error("flow:to_server,to_client;")?.reason == "to_server and to_client are exclusive")
        #expect(self.error("flow:sideways;")?.reason == "unknown flow option 'sideways'")
        #expect(self.error("flowbits:set;")?.reason == "set needs a name")
        #expect(self.error("xbits:set,a;")?.reason == "xbits needs 'track ip_src|ip_dst|ip_pair'")
    }

    @Test func accessors() throws {
        let r = try self.rule(
            #"flow:established,to_server; ttl:<5; ttl:>1; flowbits:noalert; detection_filter:track by_src,count 2,seconds 5; http.uri; content:"a"; http.uri; to_lowercase; content:"b";"#
        )
        #expect(r.flow == [.established, .toServer])
        #expect(r.integerMatches(.ttl) == [IntegerMatch(.less, 5), IntegerMatch(.greater, 1)])
        #expect(r.integerMatches(.dsize).isEmpty)
        #expect(r.isNoAlert)
        #expect(r.threshold?.count == 2)
        #expect(r.sections(for: .httpURI).count == 2)
        #expect(try self.rule("sid:2;").flow == nil)
    }

    @Test func thresholds() throws {
        let r = try self.rule(
            "threshold: type limit, track by_src, seconds 60, count 1; detection_filter:track by_dst,count 3,seconds 10,unique_on dst_port; threshold:type backoff,track by_flow,count 1,multiplier 10;"
        )
        #expect(r.options[0] == .threshold(Threshold(kind: .limit, track: .bySource, count: 1, seconds: 60)))
        #expect(
            r.options[1]
                == .detectionFilter(
                    Threshold(kind: .threshold, track: .byDestination, count: 3, seconds: 10, uniqueOn: "dst_port")
                )
        )
        #expect(
            r.options[2] == .threshold(Threshold(kind: .backoff, track: .byFlow, count: 1, seconds: 0, multiplier: 10))
        )
        #expect(self.error("threshold:type limit,track by_src,count 1;")?.reason == "needs seconds")
        #expect(
            self.error("threshold:type sometimes,track by_src,count 1,seconds 1;")?.reason == "invalid type 'sometimes'"
        )
    }

    @Test(arguments: [
        ("ttl:10", IntegerKeyword.ttl, IntegerMatch(.equal, 10)), ("ttl:<5", .ttl, IntegerMatch(.less, 5)),
        ("dsize:>=100", .dsize, IntegerMatch(.greaterOrEqual, 100)),
        ("dsize:<=3", .dsize, IntegerMatch(.lessOrEqual, 3)),
        ("itype:!8", .itype, IntegerMatch(.notEqual, 8)), ("icode:1-5", .icode, IntegerMatch(.range, 1, 5)),
        ("icmp_id:1<>9", .icmpID, IntegerMatch(.range, 1, 9)),
        ("icmp_seq:!1-9", .icmpSeq, IntegerMatch(.notRange, 1, 9)),
        ("tcp.mss:&0xF=4", .tcpMSS, IntegerMatch(.maskEqual, 15, 4)),
        ("flow.age:>0x10", .flowAge, IntegerMatch(.greater, 16)),
        ("flow.pkts:toserver,=10", .flowPktsToServer, IntegerMatch(.equal, 10)),
        ("flow.pkts:either,=10", .flowPktsEither, IntegerMatch(.equal, 10)),
        ("flow.bytes:either,>3000", .flowBytesEither, IntegerMatch(.greater, 3000)),
    ])
    func integerKeywords(_ option: String, _ keyword: IntegerKeyword, _ match: IntegerMatch) throws {
        let r = try self.rule(option + ";")
        #expect(r.options == [.integer(keyword, match)])
        // The printed form is a rule Weir and Suricata read back to the same option.
        #expect(try self.rule(RulePrinter.optionText(.integer(keyword, match)) + ";").options == r.options)
    }

    @Test func integerMatchSemantics() {
        #expect(
            IntegerMatch(.range, 1, 5).matches(2) && !IntegerMatch(.range, 1, 5).matches(1)
                && !IntegerMatch(.range, 1, 5).matches(5)
        )
        #expect(IntegerMatch(.notRange, 1, 5).matches(1) && !IntegerMatch(.notRange, 1, 5).matches(3))
        #expect(
            IntegerMatch(.maskNotEqual, 0xc0, 0).matches(0x80) && !IntegerMatch(.maskNotEqual, 0xc0, 0).matches(0x3f)
        )
        #expect(self.error("ttl:256;")?.reason == "256 is larger than the maximum 255")
        #expect(self.error("ttl:5-2;")?.reason == "range 5-2 is empty")
        #expect(self.error("dsize:<0;")?.reason == "'<0' can never match")
        #expect(self.error("dsize:abc;")?.reason == "'abc' is not an integer comparison")
    }

    @Test func packetKeywords() throws {
        let r = try self.rule(
            "tos:!x10; flags:SA+,CE; fragbits:!D; ipopts:lsrr; ip_proto:!tcp; sameip; noalert; bypass; urilen:>10,raw; app-layer-protocol:!http,final; decode-event:ipv4.trunc_pkt; stream-event:3whs_ack_in_wrong_dir; app-layer-event:http.invalid_header; ipv4-csum:invalid; stream_size:server,<,5; tag:session,5,packets; ssl_state:client_hello|!server_hello; ssl_version:tls1.2,sslv3; tls.version:1.2; ftpbounce; ttl:3; prefilter; flags:0;"
        )
        let expected: [RuleOption] = [
            .tos(value: 16, isNegated: true), .tcpFlags(TCPFlagsMatch(flags: 0x12, modifier: .all, ignored: 0xc0)),
            .fragbits(bits: 2, modifier: .not), .ipopts("lsrr"), .ipProto(IntegerMatch(.notEqual, 6)), .sameIP,
            .noalert,
            .bypass, .urilen(IntegerMatch(.greater, 10), raw: true),
            .appLayerProtocol(name: "http", isNegated: true, mode: "final"),
            .event(.decode, name: "ipv4.trunc_pkt"), .event(.stream, name: "3whs_ack_in_wrong_dir"),
            .event(.appLayer, name: "http.invalid_header"), .checksum(layer: "ipv4-csum", valid: false),
            .streamSize(side: "server", IntegerMatch(.less, 5)),
            .tag(kind: "session", count: 5, metric: "packets", direction: nil),
            .sslState(["client_hello", "!server_hello"]), .sslVersion(["tls1.2", "sslv3"]), .tlsVersion("1.2"),
            .ftpbounce,
            .integer(.ttl, IntegerMatch(.equal, 3)), .prefilter,
            .tcpFlags(TCPFlagsMatch(flags: 0, modifier: .exact, ignored: 0)),
        ]
        #expect(r.options == expected)
        #expect(r.unsupportedKeywords.isEmpty)
        #expect(try self.parser.parse(RulePrinter.canonicalText(r)) == r)
        #expect(self.error("flags:SX;")?.reason == "invalid TCP flag 'X'")
        #expect(self.error("ipopts:bogus;")?.reason == "unknown ip option 'bogus'")
        #expect(self.error("ip_proto:300;")?.reason == "unknown IP protocol '300'")
    }

    @Test func asn1() throws {
        let r = try self.rule(
            "content:\"x\"; asn1:double_overflow, bitstring_overflow, relative_offset -27, oversize_length 2048;"
        )
        var expected = ASN1Check()
        expected.doubleOverflow = true
        expected.bitstringOverflow = true
        expected.relativeOffset = -27
        expected.oversizeLength = 2048
        #expect(r.sections[0].matches[1] == .asn1(expected))
        #expect(try self.parser.parse(RulePrinter.canonicalText(r)) == r)
        #expect(
            self.error("asn1:relative_offset 1;")?.reason
                == "asn1 needs bitstring_overflow, double_overflow or oversize_length"
        )
    }

    @Test func unsupportedKeywordsAreNamedNotErrors() throws {
        let r = try self.rule(
            #"content:"a"; dataset:isset,bad,type string; lua:script.lua; filestore; http.uri; gunzip; content:"b"; frame:http1.request; content:"c";"#
        )
        #expect(r.unsupportedKeywords == ["filestore", "dataset", "lua", "gunzip", "frame"])
        #expect(try self.parser.parse(RulePrinter.canonicalText(r)) == r)
    }

    @Test func classtypeIsCheckedAgainstTheTable() {
        #expect(self.error("classtype:made-up;")?.reason == "unknown classtype 'made-up'")
        #expect(
            (try? RuleParser(classifications: nil).parse("alert tcp any any -> any any (classtype:made-up; sid:1;)"))
                != nil
        )
    }

    @Test func ruleWithoutSid() {
        #expect(throws: RuleParseError(offset: 44, keyword: "sid", reason: "rule has no sid")) {
            try self.parser.parse(#"alert tcp any any -> any any (msg:"no sid";)"#)
        }
    }
}
