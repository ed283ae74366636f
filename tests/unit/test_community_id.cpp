// Community ID v1 against the values published with the spec
// (corelight/community-id-spec baseline/ and pycommunityid's tests).
#include <catch2/catch.hpp>

#include "egresswatch/community_id.hpp"
#include "egresswatch/decode.hpp"

using namespace egresswatch;

namespace {

struct Published {
    const char* src;
    const char* dst;
    uint8_t proto;
    uint16_t src_port, dst_port;  // for ICMP: type and counterpart type (or code)
    const char* id;
};

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::string id_of(const Published& p, uint16_t seed = 0) {
    return community_id_v1(ip(p.src), ip(p.dst), p.proto, p.src_port, p.dst_port, seed);
}

}  // namespace

TEST_CASE("Community ID matches the spec's published baseline", "[community_id]") {
    const Published baseline[] = {
        {"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
        {"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
        {"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
        {"3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
        {"3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
        {"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 58, 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
        {"3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
        {"fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
        {"fe80::260:97ff:fe07:69ea", "ff02::1", 58, 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
        {"192.168.0.89", "192.168.0.1", 1, 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
        {"192.168.0.1", "192.168.0.89", 1, 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
        {"10.0.0.1", "10.0.0.2", 1, 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
        {"2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 6, 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
        {"2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 6, 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
        {"192.168.170.8", "192.168.170.56", 132, 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
        {"192.168.170.56", "192.168.170.8", 132, 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
        {"128.232.110.120", "66.35.250.204", 6, 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
        {"66.35.250.204", "128.232.110.120", 6, 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
        {"192.168.1.52", "8.8.8.8", 17, 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
        {"8.8.8.8", "192.168.1.52", 17, 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
        {"10.1.12.1", "10.1.12.2", 46, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
        {"10.1.12.2", "10.1.12.1", 46, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
    };
    for (const auto& p : baseline) {
        INFO(p.src << " -> " << p.dst << " proto " << int(p.proto) << " " << p.src_port << "/" << p.dst_port);
        CHECK(id_of(p) == p.id);
    }
}

TEST_CASE("Community ID: one-way ICMP keeps its direction, other protocols ignore ports", "[community_id]") {
    // pycommunityid's tests: type 20 has no counterpart, so the code is hashed
    // and the endpoints are not reordered.
    CHECK(id_of({"192.168.0.89", "192.168.0.1", 1, 20, 0, ""}) == "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=");
    CHECK(id_of({"192.168.0.89", "192.168.0.1", 1, 20, 1, ""}) == "1:tz/fHIDUHs19NkixVVoOZywde+I=");
    CHECK(id_of({"3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, ""}) ==
          "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=");
    CHECK(id_of({"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 58, 3, 0, ""}) ==
          "1:/OGBt9BN1ofenrmSPWYicpij2Vc=");
    CHECK(id_of({"10.1.24.4", "10.1.12.1", 46, 1234, 80, ""}) == "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=");
    CHECK(id_of({"10.0.0.1", "10.0.0.2", 6, 10, 11569, ""}) == "1:SXBGMX1lBOwhhoDrZynfROxnhnM=");
}

TEST_CASE("Community ID with a seed", "[community_id]") {
    // baseline_seed1 / pycommunityid's seed=1 column.
    CHECK(id_of({"128.232.110.120", "66.35.250.204", 6, 34855, 80, ""}, 1) == "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
    CHECK(id_of({"192.168.1.52", "8.8.8.8", 17, 54585, 53, ""}, 1) == "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=");
    CHECK(id_of({"192.168.0.89", "192.168.0.1", 1, 8, 0, ""}, 1) == "1:03g6IloqVBdcZlPyX8r0hgoE7kA=");
    CHECK(id_of({"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, ""}, 1) ==
          "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=");
}

TEST_CASE("ICMP counterparts pair requests with replies", "[community_id]") {
    CHECK(icmp_counterpart(false, 8) == 0);
    CHECK(icmp_counterpart(false, 0) == 8);
    CHECK(icmp_counterpart(false, 3) == -1);
    CHECK(icmp_counterpart(true, 135) == 136);
    CHECK(icmp_counterpart(true, 1) == -1);
}
