// src/core/discovery/sadp.cpp: parse_hikvision_sadp.

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("SADP: capgen's announcement and a recorder's reply", "[discovery][sadp]") {
    auto m = parse_hikvision_sadp(reinterpret_cast<const uint8_t*>(kSadpCapgen), sizeof kSadpCapgen - 1);
    REQUIRE(m);
    CHECK_FALSE(m->is_probe);
    CHECK(m->types == "hello");
    CHECK(m->device_type == "IPC");
    CHECK(m->device_description == "DS-2CD2143G2-I");
    CHECK(m->serial == "DS-2CD2143G2-I20261102AAWRJ00000021");
    CHECK(m->mac == "44-19-b6-00-00-21");
    CHECK(m->ipv4 == "10.20.1.21");
    CHECK(m->software_version == "V5.7.3");
    CHECK(m->hint.vendor == "Hikvision");
    CHECK(m->hint.model == "DS-2CD2143G2-I");
    CHECK(m->hint.evidence == Strings{"sadp:DS-2CD2143G2-I", "sadp-type:IPC", "sadp-firmware:V5.7.3"});
    CHECK(m->hint.kind == DeviceKind::camera);

    m = parse_hikvision_sadp(reinterpret_cast<const uint8_t*>(kSadpRecorder), sizeof kSadpRecorder - 1);
    REQUIRE(m);
    CHECK(m->device_type == "44322");
    CHECK(m->analog_channels == "4");
    CHECK(m->digital_channels == "5");
    CHECK(m->software_version == "V3.5.38build 191215");
    CHECK(m->hint.kind == DeviceKind::nvr);  // DS-7xxx
}

TEST_CASE("SADP: probes, WS-Discovery and garbage", "[discovery][sadp]") {
    Bytes probe = bytes("<?xml version=\"1.0\" encoding=\"utf-8\"?><Probe><Uuid>8282F1DB</Uuid>"
                        "<Types>inquiry</Types></Probe>");
    auto m = parse_hikvision_sadp(probe.data(), probe.size());
    REQUIRE(m);
    CHECK(m->is_probe);
    CHECK(m->types == "inquiry");
    CHECK(m->hint.empty());

    CHECK_FALSE(parse_hikvision_sadp(reinterpret_cast<const uint8_t*>(kProbeMatch), sizeof kProbeMatch - 1));
    Bytes empty_match = bytes("<ProbeMatch><Uuid>x</Uuid></ProbeMatch>");
    CHECK_FALSE(parse_hikvision_sadp(empty_match.data(), empty_match.size()));
    Bytes cut = bytes("<ProbeMatch><DeviceDescription>DS-2CD");
    CHECK_FALSE(parse_hikvision_sadp(cut.data(), cut.size()));
    CHECK_FALSE(parse_hikvision_sadp(nullptr, 5));
}
