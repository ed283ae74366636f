// Packets for the sensor stages' tests: Ethernet frames built with capgen and
// decoded as the sensor decodes them.
#pragma once

#include <pcap/pcap.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "egresswatch/decode.hpp"
#include "egresswatch/net.hpp"
#include "gen/packet_builder.hpp"

namespace sensor_test {

inline const capgen::Mac kRouterMac = capgen::mac("00:11:22:00:00:01");
inline const capgen::Mac kCameraMac = capgen::mac("00:11:22:00:00:20");
inline const capgen::Mac kRecorderMac = capgen::mac("00:11:22:00:00:30");

inline capgen::Bytes udp_frame(const capgen::Mac& src_mac, const capgen::Mac& dst_mac, const char* src,
                               const char* dst, uint16_t src_port, uint16_t dst_port, capgen::ByteView payload) {
    capgen::Ip s = capgen::ip(src), d = capgen::ip(dst);
    return capgen::ethernet(dst_mac, src_mac, capgen::kEtherTypeIpv4,
                            capgen::ipv4(s, d, capgen::kProtoUdp, capgen::udp(s, d, src_port, dst_port, payload)));
}

inline capgen::TcpFields tcp(uint16_t src_port, uint16_t dst_port, uint32_t seq, uint32_t ack, uint8_t flags) {
    capgen::TcpFields fields;
    fields.src_port = src_port;
    fields.dst_port = dst_port;
    fields.seq = seq;
    fields.ack = ack;
    fields.flags = flags;
    return fields;
}

inline capgen::Bytes tcp_frame(const capgen::Mac& src_mac, const capgen::Mac& dst_mac, const char* src,
                               const char* dst, const capgen::TcpFields& fields, capgen::ByteView payload = {}) {
    capgen::Ip s = capgen::ip(src), d = capgen::ip(dst);
    return capgen::ethernet(dst_mac, src_mac, capgen::kEtherTypeIpv4,
                            capgen::ipv4(s, d, capgen::kProtoTcp, capgen::tcp(s, d, fields, payload)));
}

// A frame and its decoding (which points into the frame).
struct Decoded {
    capgen::Bytes frame;
    egresswatch::DecodedPacket packet;
};
inline Decoded decode(capgen::Bytes frame) {
    Decoded d{std::move(frame), {}};
    REQUIRE(egresswatch::decode_packet(DLT_EN10MB, d.frame.data(), static_cast<uint32_t>(d.frame.size()),
                                       static_cast<uint32_t>(d.frame.size()), d.packet) ==
            egresswatch::DecodeStatus::ok);
    return d;
}

inline egresswatch::IpAddress ip(const char* text) { return *egresswatch::IpAddress::parse(text); }

// A path for a store in the temporary directory (not created), removed with the object.
class TempPath {
public:
    TempPath() {
        std::string pattern = (std::filesystem::temp_directory_path() / "egresswatch-sensor-XXXXXX").string();
        int fd = mkstemp(pattern.data());
        REQUIRE(fd >= 0);
        close(fd);
        std::filesystem::remove(pattern);
        path_ = pattern;
    }
    ~TempPath() {
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ignored);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace sensor_test
