// What a passive observer learns about a device from the discovery traffic it
// sends: DHCP, mDNS, SSDP, WS-Discovery (ONVIF), Hikvision SADP and Dahua
// DHIP discovery.
//
// Every parser takes one UDP payload as captured (untrusted bytes): it never
// reads past `len`, never recurses, caps every loop and every string it keeps,
// and returns nullopt for bytes that are not its protocol. Text it keeps is
// cleaned (see DeviceHint) so it can go into the store and logs as is.
//
// Each protocol is implemented in its own file under src/core/discovery/
// (dhcp, mdns, ssdp, ws_discovery, sadp, dahua), with the vocabulary that
// turns evidence into a DeviceKind in vocabulary.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egresswatch/device_kind.hpp"
#include "egresswatch/dns_message.hpp"
#include "egresswatch/net.hpp"

namespace egresswatch {

// What one message says about the device that SENT it (for DHCP: the client
// named by chaddr, see DhcpMessage::hint).
//
// All strings are valid UTF-8 without control characters: a byte that is not
// part of a valid UTF-8 sequence, or a control character, becomes '?', text
// ends at the first NUL, and leading/trailing blanks are trimmed. hostname,
// vendor and model are at most 128 bytes; an evidence string is at most 160.
struct DeviceHint {
    std::optional<std::string> hostname;
    std::optional<std::string> vendor;     // only from a field that names the maker
    std::optional<std::string> model;
    // camera, nvr or iot as the vocabulary reads the evidence (see
    // classify_hint); never DeviceKind::other: no kind is nullopt.
    std::optional<DeviceKind> kind;
    // Short, stable "source:value" strings in the order seen, without
    // duplicates, at most kMaxEvidence, e.g. "dhcp-hostname:DS-2CD2143G2-I",
    // "mdns:_rtsp._tcp.local", "onvif:NetworkVideoTransmitter". Values that are
    // unique per unit (serial numbers, MACs, UUIDs, addresses) are not evidence;
    // they stay in the parsed message.
    std::vector<std::string> evidence;

    bool empty() const { return !hostname && !vendor && !model && evidence.empty(); }
};
inline constexpr size_t kMaxEvidence = 32;

// Sets kind from the evidence with the vocabulary table in
// src/core/discovery/vocabulary.cpp (one entry per string, each saying where
// that string is observed). When rules of several kinds match, nvr wins over
// camera, and camera over iot; when none matches, kind is cleared. The parsers
// below call it.
void classify_hint(DeviceHint& hint);
// The kind one evidence string alone gives (camera, nvr or iot), or nullopt.
std::optional<DeviceKind> classify_evidence(std::string_view evidence);

// Adds `from` to `into` (a device seen in several messages): fills hostname,
// vendor and model where `into` has none, appends new evidence (up to
// kMaxEvidence), and classifies again.
void merge_hint(DeviceHint& into, const DeviceHint& from);

// ---- DHCP (UDP 67/68), RFC 2131/2132 ---------------------------------------

namespace dhcp_message_type {
inline constexpr uint8_t discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6,
                         release = 7, inform = 8;
}

struct DhcpMessage {
    uint8_t op = 0;                         // 1 BOOTREQUEST (client), 2 BOOTREPLY (server)
    uint32_t xid = 0;
    std::optional<uint8_t> message_type;    // option 53
    std::optional<MacAddress> client_mac;   // chaddr, when htype is Ethernet and hlen 6
    std::optional<IpAddress> client_ip;     // ciaddr, when not 0.0.0.0
    std::optional<IpAddress> your_ip;       // yiaddr, when not 0.0.0.0 (replies)
    std::optional<IpAddress> requested_ip;  // option 50
    std::optional<std::string> hostname;    // option 12, cleaned
    std::optional<std::string> vendor_class;  // option 60, cleaned
    std::vector<uint8_t> parameter_list;    // option 55, in the client's order
    std::vector<uint8_t> client_id;         // option 61, raw (type octet first)
    std::optional<std::string> fqdn;        // option 81 domain name (RFC 4702), lower-case
    // An option whose length ran past its area (the options field, or file/sname
    // under option 52 overload): the options before it are kept.
    bool options_truncated = false;
    // Evidence about the CLIENT, filled for BOOTREQUEST only. A server's reply
    // may echo the client's hostname, but it is the server's word, sent by the
    // server: the caller may attach it to client_mac if it wants to.
    DeviceHint hint;
};

// The payload of a UDP datagram to or from port 67/68. Needs the 236-byte
// BOOTP header and the DHCP magic cookie; op must be 1 or 2.
std::optional<DhcpMessage> parse_dhcp(const uint8_t* udp_payload, size_t len);

// ---- mDNS (UDP 5353) --------------------------------------------------------

// Evidence from an mDNS message the device sent: in a response, its answer and
// additional records ("mdns:" service types from PTR/SRV records,
// "mdns-instance:" instance names, "mdns-host:" host names from A/AAAA owners
// and SRV targets, "mdns-model:" from TXT "md="/"model=", HomeKit "hap-ci:");
// in a query, the records it proposes in the authority section while probing
// for its own names, and the service types it asks for ("mdns-query:", which
// say what it looks for rather than what it is).
DeviceHint parse_mdns_hints(const DnsMessage& message);

// ---- SSDP (UDP 1900) --------------------------------------------------------

enum class SsdpKind { notify, search, response };

struct SsdpMessage {
    SsdpKind kind = SsdpKind::notify;
    std::optional<std::string> server;      // SERVER
    std::optional<std::string> user_agent;  // USER-AGENT
    std::optional<std::string> usn;         // USN
    std::optional<std::string> nt;          // NT (NOTIFY)
    std::optional<std::string> nts;         // NTS: ssdp:alive, ssdp:byebye, ssdp:update
    std::optional<std::string> st;          // ST (M-SEARCH: what is sought; 200 OK: what answers)
    std::optional<std::string> location;    // LOCATION
    // NOTIFY and 200 OK describe the sender: "ssdp-server:", and "ssdp-nt:"
    // for NT (NOTIFY) or ST (200 OK) unless it is uuid:... (one unit) or a
    // :service: type (a device announces each of its services). An M-SEARCH gives its
    // "ssdp-user-agent:" and what it searches for ("ssdp-search:").
    DeviceHint hint;
};

// "NOTIFY * HTTP/1.1", "M-SEARCH * HTTP/1.1" or an "HTTP/1.x 200" response;
// header names are case-insensitive; lines end in CRLF or LF.
std::optional<SsdpMessage> parse_ssdp(const uint8_t* payload, size_t len);

// ---- WS-Discovery (UDP 3702), ONVIF ------------------------------------------

enum class WsDiscoveryKind { probe, probe_matches, hello, bye, resolve, resolve_matches };

struct WsDiscoveryMessage {
    WsDiscoveryKind kind = WsDiscoveryKind::probe;
    std::vector<std::string> types;   // local names, prefix dropped: "NetworkVideoTransmitter", "Device"
    std::vector<std::string> scopes;  // URIs as sent (percent-encoded)
    std::vector<std::string> xaddrs;  // service URLs
    std::optional<std::string> endpoint;  // EndpointReference Address, e.g. urn:uuid:...
    // From ProbeMatches/Hello/ResolveMatches only; a Probe or Resolve is sent
    // by a client looking for devices and gives "onvif-probe:" evidence only.
    DeviceHint hint;
};

// A SOAP envelope; namespace prefixes may be anything (or none). The ONVIF
// scopes (onvif://www.onvif.org/type|hardware|name|location|Profile/...) give
// evidence; hardware/ is the model. Several matches in one ProbeMatches are
// all read (their types and scopes are pooled).
std::optional<WsDiscoveryMessage> parse_ws_discovery(const uint8_t* payload, size_t len);

// ---- Hikvision SADP (UDP 37020) ---------------------------------------------

struct SadpMessage {
    // A <Probe> (an "inquiry" from the SADP tool or an NVR) rather than a
    // device's <ProbeMatch>. A probe gives no hint.
    bool is_probe = false;
    std::optional<std::string> types;               // <Types>: inquiry, hello, ...
    std::optional<std::string> device_type;         // <DeviceType>: a numeric code on real devices
    std::optional<std::string> device_description;  // <DeviceDescription>: the model
    std::optional<std::string> serial;              // <DeviceSN>
    std::optional<std::string> mac;                 // <MAC>, as sent ("44-19-b6-00-00-21")
    std::optional<std::string> ipv4;                // <IPv4Address>
    std::optional<std::string> software_version;    // <SoftwareVersion>
    std::optional<std::string> analog_channels;     // <AnalogChannelNum>
    std::optional<std::string> digital_channels;    // <DigitalChannelNum>
    DeviceHint hint;
};

// The XML that Hikvision devices (and their OEM rebrands) send to
// 239.255.255.250:37020. A SOAP envelope (WS-Discovery) is not SADP.
std::optional<SadpMessage> parse_hikvision_sadp(const uint8_t* payload, size_t len);

// ---- Dahua discovery (UDP 37810 DHIP, UDP 5050) -----------------------------

struct DahuaDiscoveryMessage {
    // true: a search ("DHDiscover.search", or the binary 0xa3 request) from a
    // client; it gives no hint.
    bool is_search = false;
    bool binary = false;                         // the older binary reply (UDP 5050, magic 0xb3)
    std::optional<std::string> method;           // "client.notifyDevInfo", ...
    std::optional<std::string> device_type;      // DeviceType: the model, e.g. IPC-HDW2431T
    std::optional<std::string> device_class;     // DeviceClass: IPC, NVR, DVR, XVR, VTO, ...
    std::optional<std::string> serial;           // SerialNo
    std::optional<std::string> vendor;           // Vendor (OEM builds say "General", "Private")
    std::optional<std::string> version;          // Version (firmware)
    std::optional<std::string> machine_name;     // MachineName
    std::optional<std::string> mac;              // mac
    std::optional<std::string> ipv4;             // IPv4Address.IPAddress
    DeviceHint hint;
};

// DHIP: a 32-byte header ("\x20\0\0\0" "DHIP" ...) and a JSON body. Without
// the header the JSON body is looked for at the first '{' in the first 64
// bytes. String fields are read by key without a JSON library (first
// occurrence; nesting is not checked). The binary UDP 5050 reply is read
// from its fixed offsets and its "Key:Value" trailer.
std::optional<DahuaDiscoveryMessage> parse_dahua_discovery(const uint8_t* payload, size_t len);

}  // namespace egresswatch
