// src/core/discovery/dahua.cpp: parse_dahua_discovery (DHIP and the binary reply).

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("Dahua: DHIP camera reply", "[discovery][dahua]") {
    Bytes b = dhip(kDahuaCamera);
    auto m = parse_dahua_discovery(b.data(), b.size());
    REQUIRE(m);
    CHECK_FALSE(m->is_search);
    CHECK_FALSE(m->binary);
    CHECK(m->method == "client.notifyDevInfo");
    CHECK(m->device_type == "IPC-HDW2431T");
    CHECK(m->device_class == "IPC");
    CHECK(m->serial == "6G0ABCDEF000022");
    CHECK(m->vendor == "Dahua");
    CHECK(m->version == "2.800.0000000.25.R");
    CHECK(m->machine_name == "Front-Door");
    CHECK(m->mac == "3c:ef:8c:00:00:22");
    CHECK(m->ipv4 == "10.20.1.22");
    CHECK(m->hint.hostname == "Front-Door");
    CHECK(m->hint.vendor == "Dahua");
    CHECK(m->hint.model == "IPC-HDW2431T");
    CHECK(m->hint.evidence == Strings{"dahua-discovery:IPC-HDW2431T", "dahua-class:IPC",
                                      "dahua-vendor:Dahua", "dahua-firmware:2.800.0000000.25.R"});
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("Dahua: recorders, searches, no header, escapes", "[discovery][dahua]") {
    Bytes xvr = dhip(R"({"method":"client.notifyDevInfo","params":{"deviceInfo":{"DeviceClass":"XVR",)"
                     R"("DeviceType":"XVR5108HS-I3","Vendor":"General"}}})");
    auto m = parse_dahua_discovery(xvr.data(), xvr.size());
    REQUIRE(m);
    CHECK(m->hint.kind == DeviceKind::nvr);
    CHECK(m->vendor == "General");

    Bytes search = dhip("{\"method\":\"DHDiscover.search\",\"params\":{\"mac\":\"\",\"uni\":1}}\n");
    m = parse_dahua_discovery(search.data(), search.size());
    REQUIRE(m);
    CHECK(m->is_search);
    CHECK(m->hint.empty());

    Bytes bare = bytes(R"(xx{"DeviceType" : "DH-IPC-HFW1230S\"x\u0041\u4e2d","SerialNo":1,"SerialNo":"S1"})");
    m = parse_dahua_discovery(bare.data(), bare.size());
    REQUIRE(m);
    CHECK(m->device_type == "DH-IPC-HFW1230S\"xA?");
    CHECK(m->serial == "S1");  // a number is not a string: the next one is read
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("Dahua: binary UDP 5050 reply", "[discovery][dahua]") {
    Bytes b(0x78, 0);
    b[0] = 0xb3;
    std::string mac = "3c:ef:8c:00:00:23";
    std::string trailer = "SerialNo:4K0000AAA123\r\nIPv6Addr:fe80::1/64;\r\n";
    b[2] = static_cast<uint8_t>(mac.size() + 8);
    b[0x14] = static_cast<uint8_t>(trailer.size());
    std::string type = "IPC-HFW4431R";
    std::copy(type.begin(), type.end(), b.begin() + 0x28);
    b.insert(b.end(), mac.begin(), mac.end());
    for (char c : std::string("NVR4104\0", 8)) b.push_back(static_cast<uint8_t>(c));
    b.insert(b.end(), trailer.begin(), trailer.end());
    auto m = parse_dahua_discovery(b.data(), b.size());
    REQUIRE(m);
    CHECK(m->binary);
    CHECK(m->mac == mac);
    CHECK(m->device_type == "NVR4104");  // section 2's type wins over section 1's
    CHECK(m->serial == "4K0000AAA123");
    CHECK(m->hint.kind == DeviceKind::nvr);

    Bytes request(32, 0);
    request[0] = 0xa3;
    m = parse_dahua_discovery(request.data(), request.size());
    REQUIRE(m);
    CHECK(m->is_search);
}

TEST_CASE("Dahua: not Dahua", "[discovery][dahua]") {
    for (std::string_view s : {std::string_view(""), std::string_view("hello"), std::string_view("{}"),
                               std::string_view("{\"a\":\"b\"}"), std::string_view("{\"DeviceType\":\"cut"),
                               std::string_view("\x20\0\0\0DHIP", 8)}) {
        Bytes b = bytes(s);
        CHECK_FALSE(parse_dahua_discovery(b.data(), b.size()));
    }
    Bytes short_binary(0x40, 0);
    short_binary[0] = 0xb3;
    CHECK_FALSE(parse_dahua_discovery(short_binary.data(), short_binary.size()));
    CHECK_FALSE(parse_dahua_discovery(nullptr, 4));
}
