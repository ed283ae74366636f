// Small, deterministic packet builder for test captures.
//
// Every function builds one header (or one application message) and returns
// its bytes; callers nest them inside out: payload -> transport -> IP -> link.
// Lengths and checksums are always computed, never left to the caller.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace capgen {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using Headers = std::vector<std::pair<std::string, std::string>>;

Bytes to_bytes(std::string_view text);
void append(Bytes& out, ByteView more);

// ---- addresses -------------------------------------------------------------

struct Mac {
  std::array<std::uint8_t, 6> octets{};
};
Mac mac(std::string_view text);  // "44:19:b6:00:00:21"

struct Ip {
  Bytes octets;  // 4 (IPv4) or 16 (IPv6) bytes, network order
  bool is_v6() const { return octets.size() == 16; }
};
Ip ip(std::string_view text);  // "10.20.1.21" or "fd00:20::21"

// ---- link layer ------------------------------------------------------------

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr std::uint16_t kTpid8021Q = 0x8100;   // customer VLAN tag
inline constexpr std::uint16_t kTpid8021ad = 0x88a8;  // QinQ service (outer) tag

struct VlanTag {
  std::uint16_t tpid = kTpid8021Q;
  std::uint16_t vid = 0;
  std::uint8_t pcp = 0;
};
VlanTag dot1q(std::uint16_t vid);       // 0x8100 tag
VlanTag qinq_outer(std::uint16_t vid);  // 0x88a8 tag, goes first in the list

// EtherType for an IPv4 or IPv6 packet, read from its version nibble.
std::uint16_t ethertype_of(ByteView ip_packet);

// Ethernet II without FCS. Tags are written outermost first. Frames shorter
// than the 60-byte minimum get zero padding (as seen on a switch mirror port)
// unless pad is false.
Bytes ethernet(const Mac& dst, const Mac& src, std::uint16_t ethertype, ByteView payload,
               const std::vector<VlanTag>& tags = {}, bool pad = true);

enum class SllPacketType : std::uint16_t {
  kHost = 0,       // addressed to this host
  kBroadcast = 1,
  kMulticast = 2,
  kOtherHost = 3,
  kOutgoing = 4,   // sent by this host
};
// DLT_LINUX_SLL (16-byte header); addr is the sender's link-layer address.
Bytes linux_sll(SllPacketType type, const Mac& addr, std::uint16_t protocol, ByteView payload);
// DLT_LINUX_SLL2 (20-byte header).
Bytes linux_sll2(SllPacketType type, std::uint32_t ifindex, const Mac& addr,
                 std::uint16_t protocol, ByteView payload);

// ---- network layer ---------------------------------------------------------

inline constexpr std::uint8_t kProtoHopByHop = 0;
inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoRouting = 43;
inline constexpr std::uint8_t kProtoFragment = 44;
inline constexpr std::uint8_t kProtoGre = 47;
inline constexpr std::uint8_t kProtoEsp = 50;
inline constexpr std::uint8_t kProtoIcmpv6 = 58;
inline constexpr std::uint8_t kProtoNoNext = 59;
inline constexpr std::uint8_t kProtoDestOptions = 60;

// RFC 1071 checksum over data, starting from a partial 32-bit sum.
std::uint16_t internet_checksum(ByteView data, std::uint32_t partial_sum = 0);
// TCP/UDP/ICMPv6 checksum: pseudo header (v4 or v6) + segment.
std::uint16_t transport_checksum(const Ip& src, const Ip& dst, std::uint8_t protocol,
                                 ByteView segment);

struct Ipv4Fields {
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  bool dont_fragment = true;
  Bytes options;  // raw option bytes; padded with EOL to a multiple of 4
};
// IPv4 header + payload; total length and header checksum filled in.
Bytes ipv4(const Ip& src, const Ip& dst, std::uint8_t protocol, ByteView payload,
           const Ipv4Fields& fields = {});

// One IPv6 extension header; bytes[0] (next header) is filled in by ipv6().
struct Ipv6Extension {
  std::uint8_t type = 0;  // kProtoHopByHop, kProtoRouting, kProtoFragment, kProtoDestOptions
  Bytes bytes;            // the whole header, a multiple of 8 bytes
};
// Options are raw TLVs; Pad1/PadN is added to reach a multiple of 8 bytes.
Ipv6Extension ipv6_hop_by_hop(ByteView options = {});
Ipv6Extension ipv6_destination_options(ByteView options = {});
// Segment routing header (routing type 4); segments[0] is the final destination.
Ipv6Extension ipv6_routing(const std::vector<Ip>& segments, std::uint8_t segments_left);
Ipv6Extension ipv6_fragment(std::uint16_t offset_units, bool more_fragments,
                            std::uint32_t identification);

// IPv6 header + extension headers + payload; payload length counts the
// extension headers, the next-header chain ends with protocol.
Bytes ipv6(const Ip& src, const Ip& dst, std::uint8_t protocol, ByteView payload,
           const std::vector<Ipv6Extension>& extensions = {}, std::uint8_t hop_limit = 64);

// ---- transport layer -------------------------------------------------------

namespace tcp_flags {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
}  // namespace tcp_flags

struct TcpFields {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 64240;
  Bytes options;  // raw option bytes; padded with EOL to a multiple of 4
};
// Typical SYN options, 12 bytes: MSS, NOP, window scale, NOP, NOP, SACK permitted.
Bytes tcp_syn_options(std::uint16_t mss = 1460, std::uint8_t window_scale = 7);
// TCP header + payload with a correct checksum for src -> dst.
Bytes tcp(const Ip& src, const Ip& dst, const TcpFields& fields, ByteView payload);
// UDP header + payload with a correct checksum for src -> dst.
Bytes udp(const Ip& src, const Ip& dst, std::uint16_t src_port, std::uint16_t dst_port,
          ByteView payload);
// ICMP (v4) echo request or reply.
Bytes icmp_echo(bool reply, std::uint16_t id, std::uint16_t seq, ByteView data);
// ICMPv6 echo request or reply (checksum needs the addresses).
Bytes icmpv6_echo(const Ip& src, const Ip& dst, bool reply, std::uint16_t id,
                  std::uint16_t seq, ByteView data);
// Payloads for "other" IP protocols, to pass to ipv4()/ipv6() as is.
Bytes gre(std::uint16_t protocol_type, ByteView payload);  // 4-byte GRE header
Bytes esp(std::uint32_t spi, std::uint32_t seq, ByteView encrypted);

// ---- application payloads --------------------------------------------------

enum class DnsType : std::uint16_t { kA = 1, kCname = 5, kAaaa = 28 };

struct DnsRecord {
  std::string name;
  DnsType type = DnsType::kA;
  std::uint32_t ttl = 0;
  std::string data;  // an address for A/AAAA, a domain name for CNAME
};
// Names are compressed with pointers to any suffix already in the message.
Bytes dns_query(std::uint16_t id, std::string_view name, DnsType type);
Bytes dns_response(std::uint16_t id, std::string_view name, DnsType type,
                   const std::vector<DnsRecord>& answers);
// DNS over TCP: the message behind its 2-byte length prefix.
Bytes dns_over_tcp(ByteView message);

// TLS 1.2 record with a TLS 1.3 ClientHello: 3 cipher suites, the
// server_name and supported_versions extensions. Size = 74 + sni.size().
Bytes tls_client_hello(std::string_view sni);
// One application_data record of exactly record_size bytes (>= 5), header included.
Bytes tls_application_data(std::size_t record_size);

struct DhcpRequest {
  std::uint32_t xid = 0;
  Mac client_mac;
  Ip client_ip;                      // ciaddr (0.0.0.0 unless renewing)
  std::optional<Ip> requested_ip;    // option 50
  std::string hostname;              // option 12
  std::string vendor_class;          // option 60
  Bytes parameter_list;              // option 55
};
// BOOTREQUEST with DHCP message type 3; options 53, 61 (type 1 + MAC),
// 50 if set, 12, 60, 55, end; padded to the classic 300-byte BOOTP minimum.
Bytes dhcp_request(const DhcpRequest& request);

Bytes http_get(std::string_view host, std::string_view path, const Headers& extra = {});
Bytes http_response(int status, std::string_view reason, const Headers& headers,
                    std::string_view body);

Bytes rtsp_request(std::string_view method, std::string_view url, int cseq,
                   const Headers& extra = {});
Bytes rtsp_reply(int cseq, const Headers& headers, std::string_view body = {});
// RTSP interleaved binary frame ('$', channel, length) around one RTP packet
// (12-byte header, payload type 96) whose payload is rtp_payload_size filler bytes.
Bytes rtsp_interleaved_rtp(std::uint8_t channel, std::uint16_t rtp_seq,
                           std::uint32_t rtp_timestamp, std::size_t rtp_payload_size);

struct SsdpNotify {
  std::string location;
  std::string notification_type;  // NT
  std::string usn;
  std::string server;
  int max_age = 1800;
};
Bytes ssdp_notify(const SsdpNotify& notify);

struct WsDiscoveryMatch {
  std::string message_uuid;
  std::string relates_to_uuid;  // the Probe's MessageID
  std::string endpoint_uuid;
  std::string scopes;           // space separated onvif:// URIs
  std::string xaddrs;           // device service URL
};
// SOAP 1.2 ProbeMatches with one NetworkVideoTransmitter match (ONVIF).
Bytes ws_discovery_probe_match(const WsDiscoveryMatch& match);

struct SadpAnnouncement {
  std::string uuid;
  std::string device_type;
  std::string model;
  std::string serial;
  std::string mac;   // "44-19-b6-00-00-21"
  std::string ipv4;
  std::string firmware;
};
// Hikvision SADP-like XML sent to 239.255.255.250:37020.
Bytes sadp_announcement(const SadpAnnouncement& announcement);

}  // namespace capgen

// ---- additions: payloads for identify.pcap and rules_each.pcap -------------

namespace capgen {

// Like tls_client_hello() but without the server_name extension (a client
// that sends no SNI). Size = 65: record header 5 + handshake header 4 +
// version 2 + random 32 + session id length 1 + cipher suites 2 + 6 +
// compression 2 + extensions length 2 + supported_versions extension 9.
Bytes tls_client_hello_without_sni();

// Record types for mdns_response().
inline constexpr std::uint16_t kMdnsTypeA = 1;
inline constexpr std::uint16_t kMdnsTypePtr = 12;
inline constexpr std::uint16_t kMdnsTypeSrv = 33;

struct MdnsRecord {
  std::string name;
  std::uint16_t type = kMdnsTypeA;
  std::uint32_t ttl = 120;
  bool cache_flush = false;    // top bit of the class (unique records)
  std::string data;            // A: an address; PTR: the instance name; SRV: the target host
  std::uint16_t srv_port = 0;  // SRV only (priority and weight are 0)
};
// mDNS response (RFC 6762): ID 0, flags 0x8400 (response, authoritative), no
// question, the given answer and additional records. Names are compressed
// with pointers to any suffix already in the message (SRV targets too, which
// RFC 6762 18.14 allows).
Bytes mdns_response(const std::vector<MdnsRecord>& answers,
                    const std::vector<MdnsRecord>& additionals);

// SOAP 1.2 WS-Discovery Probe for ONVIF NetworkVideoTransmitter devices, as an
// NVR or a client sends it to 239.255.255.250:3702.
Bytes ws_discovery_probe(std::string_view message_uuid);

// Dahua DHIP message: a 32-byte header (bytes 0-3 20 00 00 00, 4-7 "DHIP",
// 8-11 session id 0, 12-15 request id, 16-19 body length, 20-23 0, 24-27 body
// length, 28-31 0; numbers little-endian) followed by the JSON body as is.
Bytes dahua_dhip(std::uint32_t request_id, std::string_view json);

}  // namespace capgen
