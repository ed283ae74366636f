// The host name nDPI finds (here a DHCP host name, option 12) reaches
// flows.domain clean: whatever bytes a device chose, no control characters or
// invalid UTF-8 get into the store.
#include <catch2/catch.hpp>

#include <string>

#include "egresswatch/dpi.hpp"
#include "egresswatch/flow_table.hpp"
#include "gen/packet_builder.hpp"

using namespace egresswatch;

namespace {

// The domain nDPI gives a flow of one DHCP request with `hostname`.
std::string domain_of_dhcp_request(const std::string& hostname) {
    capgen::DhcpRequest request;
    request.xid = 0x1234;
    request.client_mac = capgen::mac("44:19:b6:00:00:21");
    request.client_ip = capgen::ip("0.0.0.0");
    request.hostname = hostname;
    capgen::Ip from = capgen::ip("0.0.0.0"), to = capgen::ip("255.255.255.255");
    capgen::Bytes frame = capgen::ethernet(
        capgen::mac("ff:ff:ff:ff:ff:ff"), request.client_mac, 0x0800,
        capgen::ipv4(from, to, 17, capgen::udp(from, to, 68, 67, capgen::dhcp_request(request))));
    DecodedPacket packet;
    auto size = static_cast<uint32_t>(frame.size());
    REQUIRE(decode_packet(1, frame.data(), size, size, packet) == DecodeStatus::ok);
    Dpi dpi("");
    Flow flow;
    dpi.process(flow, packet, 1'000'000);
    dpi.give_up(flow);
    REQUIRE(flow.dpi_done);
    return flow.domain;
}

}  // namespace

TEST_CASE("dpi: a DHCP host name is stored as nDPI read it when it is clean", "[dpi][hostile]") {
    CHECK(domain_of_dhcp_request("Camera-21") == "camera-21");
}

TEST_CASE("dpi: a DHCP host name loses its control characters and invalid UTF-8", "[dpi][hostile]") {
    // ESC [31m (C0), U+0085 NEL (C1), a byte that is not UTF-8.
    CHECK(domain_of_dhcp_request("Evil\x1b[31m\xc2\x85\xff" "cam") == "evil?[31m??cam");
    CHECK(domain_of_dhcp_request("=HYPERLINK(1)\x07") == "=hyperlink(1)?");
}
