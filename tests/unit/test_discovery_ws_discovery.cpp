// src/core/discovery/ws_discovery.cpp: parse_ws_discovery (ONVIF).

#include "unit/test_discovery_support.hpp"

using namespace egresswatch;
using namespace discovery_test;

TEST_CASE("WS-Discovery: capgen's ONVIF ProbeMatch", "[discovery][ws_discovery]") {
    auto m = parse_ws_discovery(reinterpret_cast<const uint8_t*>(kProbeMatch), sizeof kProbeMatch - 1);
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::probe_matches);
    CHECK(m->types == Strings{"NetworkVideoTransmitter"});
    CHECK(m->scopes == Strings{"onvif://www.onvif.org/type/video_encoder",
                               "onvif://www.onvif.org/hardware/IPC-HDW2431T"});
    CHECK(m->xaddrs == Strings{"http://10.20.1.22/onvif/device_service"});
    CHECK(m->endpoint == "urn:uuid:e0508b00-0022-4000-8000-e0508b000022");
    CHECK(m->hint.model == "IPC-HDW2431T");
    CHECK(m->hint.evidence == Strings{"onvif:NetworkVideoTransmitter", "onvif-scope-type:video_encoder",
                                      "onvif-hardware:IPC-HDW2431T"});
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("WS-Discovery: other prefixes, Hello, escapes, several types", "[discovery][ws_discovery]") {
    Bytes hello = bytes(
        "<?xml version=\"1.0\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:wsdd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" "
        "xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\" xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
        "<SOAP-ENV:Header><wsa:Action SOAP-ENV:mustUnderstand=\"true\">"
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action></SOAP-ENV:Header>"
        "<SOAP-ENV:Body><wsdd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:1</wsa:Address>"
        "</wsa:EndpointReference>\n<wsdd:Types>tds:Device dn:NetworkVideoTransmitter</wsdd:Types>\n"
        "<wsdd:Scopes>\n onvif://www.onvif.org/type/Network_Video_Transmitter "
        "onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G2-I "
        "onvif://www.onvif.org/hardware/DS-2CD2143G2-I onvif://www.onvif.org/location/city/hangzhou "
        "onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/MAC/44:19:b6:00:00:21 "
        "http://example.com/x?a=1&amp;b=2</wsdd:Scopes>"
        "<wsdd:XAddrs>http://10.20.1.21/onvif/device_service http://[fd00::21]/onvif/device_service"
        "</wsdd:XAddrs></wsdd:Hello></SOAP-ENV:Body></SOAP-ENV:Envelope>");
    auto m = parse_ws_discovery(hello.data(), hello.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::hello);
    CHECK(m->types == Strings{"Device", "NetworkVideoTransmitter"});
    CHECK(m->scopes.size() == 7);
    CHECK(m->scopes.back() == "http://example.com/x?a=1&b=2");
    CHECK(m->xaddrs.size() == 2);
    CHECK(m->endpoint == "urn:uuid:1");
    CHECK(m->hint.model == "DS-2CD2143G2-I");
    CHECK(m->hint.evidence ==
          Strings{"onvif:Device", "onvif:NetworkVideoTransmitter",
                  "onvif-scope-type:Network_Video_Transmitter", "onvif-name:HIKVISION DS-2CD2143G2-I",
                  "onvif-hardware:DS-2CD2143G2-I", "onvif-location:city/hangzhou",
                  "onvif-profile:Streaming"});
    CHECK(m->hint.kind == DeviceKind::camera);
}

TEST_CASE("WS-Discovery: a recorder, a probe, a printer, no Action", "[discovery][ws_discovery]") {
    Bytes nvr = bytes(
        "<e:Envelope xmlns:e=\"s\" xmlns:d=\"d\" xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
        "<e:Body><d:ProbeMatches><d:ProbeMatch><d:Types>dn:NetworkVideoStorage</d:Types>"
        "</d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>");
    auto m = parse_ws_discovery(nvr.data(), nvr.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::probe_matches);
    CHECK(m->hint.kind == DeviceKind::nvr);

    Bytes probe = bytes(
        "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Header><Action>"
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</Action></Header><Body><Probe>"
        "<Types xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">dn:NetworkVideoTransmitter</Types>"
        "</Probe></Body></Envelope>");
    m = parse_ws_discovery(probe.data(), probe.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::probe);
    CHECK(m->hint.evidence == Strings{"wsd-probe:NetworkVideoTransmitter"});
    CHECK_FALSE(m->hint.kind);  // looking for cameras does not make one

    Bytes printer = bytes(
        "<soap:Envelope xmlns:soap=\"x\" xmlns:wsdp=\"http://schemas.xmlsoap.org/ws/2006/02/devprof\" "
        "xmlns:wprt=\"http://schemas.microsoft.com/windows/2006/08/wdp/print\"><soap:Body><wsd:Hello>"
        "<wsd:Types>wsdp:Device wprt:PrintDeviceType</wsd:Types></wsd:Hello></soap:Body></soap:Envelope>");
    m = parse_ws_discovery(printer.data(), printer.size());
    REQUIRE(m);
    CHECK(m->kind == WsDiscoveryKind::hello);
    CHECK(m->hint.evidence == Strings{"wsd-type:Device", "wsd-type:PrintDeviceType"});
    CHECK_FALSE(m->hint.kind);
}

TEST_CASE("WS-Discovery: not WS-Discovery", "[discovery][ws_discovery]") {
    for (std::string_view s :
         {"", "<xml/>", "<s:Envelope><s:Body><x:Other/></s:Body></s:Envelope>", "<Envelope",
          "<Envelope><Body><ProbeMatches><Types>dn:NetworkVideoTransmitter",
          "<<<<<<<<<<<<<<<<<<<<<<<<"}) {
        Bytes b = bytes(s);
        auto m = parse_ws_discovery(b.data(), b.size());
        if (m) {
            CHECK(m->types.empty());  // an unterminated element is not read
        }
    }
    Bytes sadp = bytes(kSadpCapgen);
    CHECK_FALSE(parse_ws_discovery(sadp.data(), sadp.size()));
}
