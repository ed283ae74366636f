// src/core/discovery/vocabulary.cpp and hint.cpp: classify_evidence,
// classify_hint and merge_hint.

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("classify: the vocabulary and its precedence", "[discovery][vocabulary]") {
    CHECK(classify_evidence("onvif:NetworkVideoTransmitter") == DeviceKind::camera);
    CHECK(classify_evidence("onvif:networkvideotransmitter") == DeviceKind::camera);
    CHECK(classify_evidence("onvif:NetworkVideoDisplay") == DeviceKind::nvr);
    CHECK_FALSE(classify_evidence("onvif:Device"));
    CHECK(classify_evidence("sadp:DS-2CD2143G2-I") == DeviceKind::camera);
    CHECK(classify_evidence("sadp:DS-7608NI-K2") == DeviceKind::nvr);
    CHECK(classify_evidence("sadp:DS-9632NI-I8") == DeviceKind::nvr);
    CHECK(classify_evidence("dahua-discovery:DHI-NVR5416-4KS2") == DeviceKind::nvr);
    CHECK(classify_evidence("dahua-discovery:IPC-HDW5421S") == DeviceKind::camera);
    CHECK(classify_evidence("dahua-class:HCVR") == DeviceKind::nvr);
    CHECK(classify_evidence("dhcp-hostname:DCS-935L") == DeviceKind::camera);
    CHECK(classify_evidence("dhcp-hostname:DCH-S150") == DeviceKind::iot);
    CHECK(classify_evidence("dhcp-hostname:ESP_07AEFB") == DeviceKind::iot);
    CHECK_FALSE(classify_evidence("dhcp-hostname:my-laptop"));
    CHECK(classify_evidence("dhcp-vendor-class:udhcp 0.9.8") == DeviceKind::iot);
    CHECK_FALSE(classify_evidence("dhcp-vendor-class:MSFT 5.0"));
    CHECK(classify_evidence("mdns:_rtsp._tcp.local") == DeviceKind::camera);
    CHECK(classify_evidence("mdns:_onvif._tcp.local") == DeviceKind::camera);
    CHECK_FALSE(classify_evidence("mdns:_http._tcp.local"));
    CHECK(classify_evidence("ssdp-server:Embedded/1.0 UPnP/1.0 IPCamera-UPnP/1.0") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Linux/2.6 UPnP/1.0 IpCamera/1.0") == DeviceKind::camera);
    CHECK_FALSE(classify_evidence("ssdp-server:Linux UPnP/1.0 Sonos/57.3 (ZPS1)"));
    CHECK(classify_evidence("ssdp-nt:urn:schemas-upnp-org:device:DigitalSecurityCamera:1") == DeviceKind::camera);
    CHECK_FALSE(classify_evidence("ssdp-search:urn:schemas-upnp-org:device:DigitalSecurityCamera:1"));
    CHECK_FALSE(classify_evidence("wsd-probe:NetworkVideoTransmitter"));
    // Strings seen in the IoT Sentinel captures (see the table's comments).
    CHECK(classify_evidence("ssdp-nt:hnap:NetworkCamera") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Linux,    UPnP/1.0 DCS-935L/1.0") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-nt:urn:schemas-upnp-org:device:DCS-935L:1") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Cellvision UPnP/1.0") == DeviceKind::camera);
    CHECK(classify_evidence("mdns-host:dcs-935l-b0c554255b0e.local") == DeviceKind::camera);
    CHECK(classify_evidence("ssdp-server:Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0") == DeviceKind::iot);
    CHECK(classify_evidence("ssdp-nt:urn:Belkin:device:insight:1") == DeviceKind::iot);
    CHECK_FALSE(classify_evidence("ssdp-server:Unspecified, UPnP/1.0, Unspecified"));
    CHECK_FALSE(classify_evidence("no-colon"));
    CHECK_FALSE(classify_evidence(""));

    DeviceHint h;
    h.evidence = {"dhcp-vendor-class:udhcp 1.22.1"};
    classify_hint(h);
    CHECK(h.kind == DeviceKind::iot);
    h.evidence.push_back("onvif:NetworkVideoTransmitter");
    classify_hint(h);
    CHECK(h.kind == DeviceKind::camera);
    h.evidence.push_back("sadp:DS-7608NI-K2");
    classify_hint(h);
    CHECK(h.kind == DeviceKind::nvr);
    h.evidence = {"dhcp-hostname:laptop"};
    classify_hint(h);
    CHECK_FALSE(h.kind);
}

TEST_CASE("merge_hint: first values stay, evidence is pooled once", "[discovery][vocabulary]") {
    DeviceHint a;
    a.hostname = "cam";
    a.evidence = {"dhcp-hostname:cam", "dhcp-vendor-class:udhcp 1.22.1"};
    classify_hint(a);
    DeviceHint b;
    b.hostname = "other";
    b.model = "IPC-HDW2431T";
    b.evidence = {"dhcp-vendor-class:udhcp 1.22.1", "onvif:NetworkVideoTransmitter"};
    merge_hint(a, b);
    CHECK(a.hostname == "cam");
    CHECK(a.model == "IPC-HDW2431T");
    CHECK(a.evidence == Strings{"dhcp-hostname:cam", "dhcp-vendor-class:udhcp 1.22.1",
                                "onvif:NetworkVideoTransmitter"});
    CHECK(a.kind == DeviceKind::camera);

    DeviceHint many;
    for (int i = 0; i < 100; ++i) many.evidence.push_back("x:" + std::to_string(i));
    DeviceHint into;
    merge_hint(into, many);
    CHECK(into.evidence.size() == kMaxEvidence);
}
