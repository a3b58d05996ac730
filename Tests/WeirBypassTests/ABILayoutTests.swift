// SPDX-License-Identifier: MIT
import CWeirLinux
import Testing
import WeirBypass
import WeirCore
import WeirFlow

/// The Swift view of weir_abi.h must match the layout the BPF programs were compiled with (shim.c pins the
/// same numbers with _Static_assert on the C side).
@Suite("ABI layout")
struct ABILayoutTests {
    @Test func flowKeys() {
        #expect(MemoryLayout<weir_flow_key_v4>.size == 20)
        #expect(MemoryLayout<weir_flow_key_v4>.alignment == 4)
        #expect(MemoryLayout<weir_flow_key_v4>.offset(of: \.port_a) == 8)
        #expect(MemoryLayout<weir_flow_key_v4>.offset(of: \.vlan_outer) == 12)
        #expect(MemoryLayout<weir_flow_key_v4>.offset(of: \.proto) == 16)
        #expect(MemoryLayout<weir_flow_key_v6>.size == 44)
        #expect(MemoryLayout<weir_flow_key_v6>.stride == 44)
        #expect(MemoryLayout<weir_flow_key_v6>.offset(of: \.addr_b) == 16)
        #expect(MemoryLayout<weir_flow_key_v6>.offset(of: \.port_a) == 32)
        #expect(MemoryLayout<weir_flow_key_v6>.offset(of: \.proto) == 40)
    }

    @Test func values() {
        #expect(MemoryLayout<weir_flow_value>.size == 56)
        #expect(MemoryLayout<weir_flow_value>.alignment == 8)
        #expect(MemoryLayout<weir_flow_value>.offset(of: \.last_seen_ns) == 32)
        #expect(MemoryLayout<weir_flow_value>.offset(of: \.action) == 48)
        #expect(MemoryLayout<weir_lpm_key_v4>.size == 8)
        #expect(MemoryLayout<weir_lpm_key_v6>.size == 20)
        #expect(MemoryLayout<weir_block_value>.size == 8)
        #expect(MemoryLayout<weir_knobs>.size == 144)
        #expect(MemoryLayout<weir_flow_slot_v4>.size == 80)
        #expect(MemoryLayout<weir_flow_slot_v4>.offset(of: \.tag) == 20)
        #expect(MemoryLayout<weir_flow_slot_v4>.offset(of: \.value) == 24)
        #expect(MemoryLayout<weir_flow_slot_v6>.size == 104)
        #expect(MemoryLayout<weir_flow_slot_v6>.offset(of: \.tag) == 44)
        #expect(MemoryLayout<weir_flow_slot_v6>.offset(of: \.value) == 48)
        #expect(MemoryLayout<weir_control>.size == 16)
        #expect(MemoryLayout<weir_info>.size == 128)
        #expect(MemoryLayout<weir_table_stats>.size == 40)
        #expect(Int(WEIR_STAT_MAX.rawValue) == BypassStatistic.allCases.count)
    }

    @Test("IPv4 key bytes are in network order, VLAN masked to 12 bits")
    func keyBytes() throws {
        let key = FlowKey(
            firstAddress: try #require(IPAddress("10.0.0.1")),
            secondAddress: try #require(IPAddress("10.0.0.2")),
            firstPort: 0x1234,
            secondPort: 80,
            proto: 6,
            vlan0: 0xf123,
            vlan1: 2
        )
        let abi = try #require(key.abiKey)
        #expect(abi.bytes == [10, 0, 0, 1, 10, 0, 0, 2, 0x12, 0x34, 0, 80, 0x01, 0x23, 0, 2, 6, 0, 0, 0])
        #expect(
            FlowKey(abi: abi)
                == FlowKey(
                    firstAddress: key.firstAddress,
                    secondAddress: key.secondAddress,
                    firstPort: 0x1234,
                    secondPort: 80,
                    proto: 6,
                    vlan0: 0x123,
                    vlan1: 2
                )
        )
    }

    @Test("IPv6 key round-trips")
    func v6RoundTrip() throws {
        let key = FlowKey(
            firstAddress: try #require(IPAddress("2001:db8::1")),
            secondAddress: try #require(IPAddress("2001:db8::2:0")),
            firstPort: 1,
            secondPort: 2,
            proto: 17
        )
        let abi = try #require(key.abiKey)
        #expect(Array(abi.bytes.prefix(4)) == [0x20, 0x01, 0x0d, 0xb8])
        #expect(abi.bytes[15] == 1 && abi.bytes[29] == 2)
        #expect(FlowKey(abi: abi) == key)
    }

    /// ICMPv4 flows hold their types where ports would be (echo 8, reply 0); the kernel keys ICMP by address.
    @Test("an ICMPv4 flow's types stay out of its kernel key")
    func icmpTypesAreNotKernelPorts() throws {
        let a = try #require(IPAddress("10.0.0.1"))
        let b = try #require(IPAddress("10.0.0.2"))
        let echo = FlowKey(firstAddress: a, secondAddress: b, firstPort: 8, secondPort: 0, proto: 1)
        let abi = try #require(echo.abiKey)
        #expect(abi.bytes == (try #require(echo.kernelForm.abiKey)).bytes)
        #expect(FlowKey(abi: abi) == echo.kernelForm)
        #expect(echo.kernelForm.firstPort == 0 && echo.kernelForm.secondPort == 0)
        let udp = FlowKey(firstAddress: a, secondAddress: b, firstPort: 8, secondPort: 53, proto: 17)
        #expect(udp.kernelForm == udp)
    }

    @Test("keys the kernel can never build are refused")
    func refused() throws {
        let a = try #require(IPAddress("10.0.0.1"))
        let b = try #require(IPAddress("10.0.0.2"))
        let v6 = try #require(IPAddress("::1"))
        #expect(FlowKey(firstAddress: a, secondAddress: b, firstPort: 0, secondPort: 0, proto: 47).abiKey == nil)
        #expect(FlowKey(firstAddress: a, secondAddress: b, firstPort: 1, secondPort: 2, proto: 58).abiKey == nil)
        #expect(FlowKey(firstAddress: b, secondAddress: a, firstPort: 1, secondPort: 2, proto: 6).abiKey == nil)
        #expect(FlowKey(firstAddress: a, secondAddress: v6, firstPort: 1, secondPort: 2, proto: 6).abiKey == nil)
    }
}
