// SPDX-License-Identifier: MIT
import CPcap

/// The libpcap this build runs with, for `weir --version`.
public enum PcapLibrary {
    /// `libpcap version 1.10.3 (with TPACKET_V3)`.
    public static var version: String { String(cString: pcap_lib_version()) }
}
