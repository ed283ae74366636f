// make-bench-capture: a large, realistic, seeded capture for the benchmark
// (tests/bench/run-bench.sh). Same seed and size, same bytes, every time.
//
//   make-bench-capture [--packets N] [--seed S] OUT.pcap
//       A site seen on a busy SPAN port: ~3000 devices. Cameras stream
//       RTSP/RTP video to NVRs (interleaved over TCP, or RTP over UDP: large
//       packets, long flows), and keep in touch with their vendors' clouds (DNS,
//       TLS keep-alives, UDP P2P, NTP); IoT devices keep MQTT/TLS and UDP
//       sessions; ordinary hosts make many short DNS, TLS, QUIC and HTTP flows,
//       some over IPv6. VLAN tags (802.1Q and QinQ), ARP, and a sprinkling of
//       malformed frames. Remote addresses come from tests/tools/test-geo.spec
//       ranges (so the test geolocation databases place them) and from ranges
//       it does not list (unknown country).
//
//   make-bench-capture --concurrent-flows N [--flow-kind dns|syn|stream]
//                      [--packets-per-flow M] [--seed S] OUT.pcap
//       N distinct flows that all stay open (spread over 30 s of packet time,
//       shorter than every flow timeout): for the flow table's memory. dns: a
//       DNS query, which nDPI classifies on its first packet (DPI state
//       freed); syn: a TCP SYN, which nDPI cannot classify yet (DPI state
//       kept); stream: M UDP packets of 100 opaque bytes each (nDPI is done
//       with a flow after at most 24), for what a packet costs once DPI is over.
//
// Packets are written in time order. Sessions (one per camera stream, camera
// cloud link, host, ...) each queue their next few packets; a heap merges them.
#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <queue>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "packet_builder.hpp"

namespace {

using namespace capgen;
using namespace capgen::tcp_flags;

// 2026-11-02T09:00:00Z, as the test captures.
constexpr std::int64_t kCaptureStart = 1793610000;
constexpr std::int64_t ms(double n) { return static_cast<std::int64_t>(n * 1000); }
constexpr std::int64_t sec(double n) { return static_cast<std::int64_t>(n * 1000000); }

// ---- randomness: our own generator and ranges, so the output does not depend
// on the standard library's distributions ------------------------------------

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  std::int64_t between(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  // Exponentially distributed wait with the given mean.
  std::int64_t exp_us(std::int64_t mean_us) {
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(-std::log(1.0 - unit()) * mean_us));
  }
  Rng fork() { return Rng(next()); }

 private:
  std::uint64_t state_;
};

// Incompressible bytes for encrypted and video payloads: slices of one block.
class Noise {
 public:
  explicit Noise(Rng& rng) : block_(kSize + 4096) {
    for (auto& b : block_) b = static_cast<std::uint8_t>(rng.next() >> 56);
  }
  ByteView slice(Rng& rng, std::size_t n) const {
    if (n > 4096) throw std::length_error("noise slice too large");
    return ByteView(block_).subspan(rng.below(kSize), n);
  }

 private:
  static constexpr std::size_t kSize = 1 << 16;
  Bytes block_;
};

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

Ip ipv4_of(std::uint32_t a) {
  return Ip{Bytes{std::uint8_t(a >> 24), std::uint8_t(a >> 16), std::uint8_t(a >> 8), std::uint8_t(a)}};
}
Ip ipv6_of(std::string_view prefix64, std::uint64_t iid) {
  Ip p = ip(prefix64);  // "fd00:10::" style, the low 64 bits replaced
  for (int i = 0; i < 8; ++i) p.octets[8 + i] = static_cast<std::uint8_t>(iid >> (56 - 8 * i));
  return p;
}
Mac mac_of(std::uint32_t oui, std::uint32_t nic) {
  Mac m;
  m.octets = {std::uint8_t(oui >> 16), std::uint8_t(oui >> 8), std::uint8_t(oui),
              std::uint8_t(nic >> 16), std::uint8_t(nic >> 8), std::uint8_t(nic)};
  return m;
}
std::uint32_t v4(int a, int b, int c, int d) {
  return std::uint32_t(a) << 24 | std::uint32_t(b) << 16 | std::uint32_t(c) << 8 | std::uint32_t(d);
}

const Mac kRouterMac = mac("00:00:5e:00:01:01");
const Mac kBroadcastMac = mac("ff:ff:ff:ff:ff:ff");

// ---- output ------------------------------------------------------------------

struct Packet {
  std::int64_t at_us = 0;
  Bytes frame;
  std::uint32_t wire_len = 0;  // 0: the frame's size
};

class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path) {
    dead_ = pcap_open_dead(DLT_EN10MB, 65535);
    if (!dead_) throw std::runtime_error("pcap_open_dead failed");
    dumper_ = pcap_dump_open(dead_, path.c_str());
    if (!dumper_) throw std::runtime_error(path + ": " + pcap_geterr(dead_));
  }
  ~PcapWriter() {
    if (dumper_) pcap_dump_close(dumper_);
    if (dead_) pcap_close(dead_);
  }
  void write(const Packet& p) {
    pcap_pkthdr h{};
    std::int64_t t = kCaptureStart * 1000000 + p.at_us;
    h.ts.tv_sec = t / 1000000;
    h.ts.tv_usec = t % 1000000;
    h.caplen = static_cast<bpf_u_int32>(p.frame.size());
    h.len = p.wire_len ? p.wire_len : h.caplen;
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, p.frame.data());
    ++packets_;
    bytes_ += h.len;
    last_us_ = p.at_us;
  }
  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }
  std::int64_t last_us() const { return last_us_; }

 private:
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  std::uint64_t packets_ = 0, bytes_ = 0;
  std::int64_t last_us_ = 0;
};

// ---- conversations -----------------------------------------------------------

struct Endpoint {
  Mac mac;
  Ip ip;
};

// One 5-tuple between a (the side that opens it) and b; builds Ethernet frames
// with the segment's VLAN tags and keeps TCP sequence numbers and IP ids.
class Conversation {
 public:
  Conversation(Endpoint a, std::uint16_t a_port, Endpoint b, std::uint16_t b_port,
               std::vector<VlanTag> tags, Rng& rng)
      : a_(std::move(a)), b_(std::move(b)), port_{a_port, b_port}, tags_(std::move(tags)) {
    seq_[0] = static_cast<std::uint32_t>(rng.next());
    seq_[1] = static_cast<std::uint32_t>(rng.next());
    ip_id_[0] = static_cast<std::uint16_t>(rng.next());
    ip_id_[1] = static_cast<std::uint16_t>(rng.next());
  }

  Bytes tcp(bool from_a, std::uint8_t flags, ByteView payload = {}) {
    int me = from_a ? 0 : 1;
    TcpFields f;
    f.src_port = port_[me];
    f.dst_port = port_[1 - me];
    f.seq = seq_[me];
    f.ack = (flags & kAck) ? seq_[1 - me] : 0;
    f.flags = flags;
    f.window = (flags & kSyn) ? 64240 : 2053;
    if (flags & kSyn) f.options = tcp_syn_options();
    seq_[me] += static_cast<std::uint32_t>(payload.size()) + ((flags & kSyn) != 0) + ((flags & kFin) != 0);
    return frame(from_a, kProtoTcp, capgen::tcp(src(from_a).ip, dst(from_a).ip, f, payload));
  }
  Bytes udp(bool from_a, ByteView payload) {
    int me = from_a ? 0 : 1;
    return frame(from_a, kProtoUdp, capgen::udp(src(from_a).ip, dst(from_a).ip, port_[me], port_[1 - me], payload));
  }
  Bytes icmp_echo(bool from_a, std::uint16_t id, std::uint16_t seq, ByteView data) {
    if (a_.ip.is_v6())
      return frame(from_a, kProtoIcmpv6, icmpv6_echo(src(from_a).ip, dst(from_a).ip, !from_a, id, seq, data));
    return frame(from_a, kProtoIcmp, capgen::icmp_echo(!from_a, id, seq, data));
  }

 private:
  const Endpoint& src(bool from_a) const { return from_a ? a_ : b_; }
  const Endpoint& dst(bool from_a) const { return from_a ? b_ : a_; }

  Bytes frame(bool from_a, std::uint8_t protocol, ByteView l4) {
    const Endpoint& s = src(from_a);
    const Endpoint& d = dst(from_a);
    Bytes packet;
    if (s.ip.is_v6()) {
      packet = ipv6(s.ip, d.ip, protocol, l4, {}, from_a ? 64 : 57);
    } else {
      Ipv4Fields f;
      f.ttl = from_a ? 64 : 57;
      f.id = ip_id_[from_a ? 0 : 1]++;
      packet = ipv4(s.ip, d.ip, protocol, l4, f);
    }
    return ethernet(d.mac, s.mac, ethertype_of(packet), packet, tags_);
  }

  Endpoint a_, b_;
  std::uint16_t port_[2];
  std::vector<VlanTag> tags_;
  std::uint32_t seq_[2];
  std::uint16_t ip_id_[2];
};

// ---- application payloads not in packet_builder --------------------------------

// A TLS 1.3 ServerHello record (key_share x25519, supported_versions 1.3)
// followed by ChangeCipherSpec, as servers send them.
Bytes tls13_server_hello(Rng& rng, const Noise& noise) {
  Bytes ext;
  put16(ext, 0x002b);  // supported_versions
  put16(ext, 2);
  put16(ext, 0x0304);
  put16(ext, 0x0033);  // key_share
  put16(ext, 36);
  put16(ext, 0x001d);  // x25519
  put16(ext, 32);
  append(ext, noise.slice(rng, 32));
  Bytes body;
  put16(body, 0x0303);
  append(body, noise.slice(rng, 32));  // random
  body.push_back(32);                  // legacy session id echo
  append(body, noise.slice(rng, 32));
  put16(body, 0x1301);
  body.push_back(0);
  put16(body, static_cast<std::uint16_t>(ext.size()));
  append(body, ext);
  Bytes record{0x16, 0x03, 0x03};
  put16(record, static_cast<std::uint16_t>(body.size() + 4));
  record.push_back(2);  // server_hello
  record.push_back(0);
  put16(record, static_cast<std::uint16_t>(body.size()));
  append(record, body);
  for (std::uint8_t b : {0x14, 0x03, 0x03, 0x00, 0x01, 0x01}) record.push_back(b);
  return record;
}

// An encrypted TLS record of exactly n bytes (header included).
Bytes tls_encrypted(Rng& rng, const Noise& noise, std::size_t n) {
  Bytes r{23, 0x03, 0x03};
  put16(r, static_cast<std::uint16_t>(n - 5));
  append(r, noise.slice(rng, n - 5));
  return r;
}

// QUIC v1 long-header packet (Initial = 0, Handshake = 2) padded to `size`;
// the protected payload is noise, as on the wire.
Bytes quic_long(Rng& rng, const Noise& noise, int type, const Bytes& dcid, const Bytes& scid,
                std::size_t size) {
  Bytes p{static_cast<std::uint8_t>(0xc3 | type << 4)};
  put32(p, 0x00000001);
  p.push_back(static_cast<std::uint8_t>(dcid.size()));
  append(p, dcid);
  p.push_back(static_cast<std::uint8_t>(scid.size()));
  append(p, scid);
  if (type == 0) p.push_back(0);  // no token
  std::size_t rest = size - p.size() - 2;
  put16(p, static_cast<std::uint16_t>(0x4000 | rest));  // 2-byte varint length
  append(p, noise.slice(rng, rest));
  return p;
}
Bytes quic_short(Rng& rng, const Noise& noise, const Bytes& dcid, std::size_t size) {
  Bytes p{0x43};
  append(p, dcid);
  append(p, noise.slice(rng, size - p.size()));
  return p;
}

// RTP (version 2, H.264 dynamic type 96) with a video payload.
Bytes rtp(Rng& rng, const Noise& noise, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc,
          bool marker, std::size_t payload) {
  Bytes p{0x80, static_cast<std::uint8_t>(96 | (marker ? 0x80 : 0))};
  put16(p, seq);
  put32(p, ts);
  put32(p, ssrc);
  append(p, noise.slice(rng, payload));
  return p;
}
Bytes interleaved(std::uint8_t channel, const Bytes& rtp_packet) {
  Bytes f{'$', channel};
  put16(f, static_cast<std::uint16_t>(rtp_packet.size()));
  append(f, rtp_packet);
  return f;
}
// RTCP sender report (28 bytes) or receiver report (32 bytes).
Bytes rtcp(bool sender, std::uint32_t ssrc, Rng& rng, const Noise& noise) {
  Bytes p{static_cast<std::uint8_t>(sender ? 0x80 : 0x81), static_cast<std::uint8_t>(sender ? 200 : 201)};
  put16(p, sender ? 6 : 7);
  put32(p, ssrc);
  append(p, noise.slice(rng, sender ? 20 : 24));
  return p;
}

Bytes ntp_packet(bool server) {
  Bytes b(48, 0);
  b[0] = server ? 0x24 : 0x23;
  b[1] = server ? 2 : 0;
  return b;
}

Bytes arp_request(const Mac& sender, std::uint32_t sender_ip, std::uint32_t target_ip) {
  Bytes a;
  put16(a, 1);       // Ethernet
  put16(a, 0x0800);  // IPv4
  a.push_back(6);
  a.push_back(4);
  put16(a, 1);  // request
  a.insert(a.end(), sender.octets.begin(), sender.octets.end());
  put32(a, sender_ip);
  a.insert(a.end(), 6, 0);
  put32(a, target_ip);
  return ethernet(kBroadcastMac, sender, 0x0806, a);
}

// ---- the site ------------------------------------------------------------------

struct Remote {
  std::string name;  // DNS name / SNI
  Ip address;
};

struct Cloud {  // a camera or IoT vendor's cloud
  std::string api_name;
  std::uint32_t api_ip;
  std::uint32_t p2p_ip;  // 0: no P2P
  std::uint16_t p2p_port;
  std::uint16_t tls_port;
};

// Vendors: OUI, cloud. Addresses are in test-geo.spec ranges.
struct Vendor {
  std::uint32_t oui;
  Cloud cloud;
};
const std::vector<Vendor> kCameraVendors = {
    {0x4419b6, {"litedev.hik-connect.com", v4(47, 96, 12, 40), v4(47, 96, 30, 7), 6002, 443}},    // Hikvision -> CN
    {0xe0508b, {"www.easy4ipcloud.com", v4(116, 211, 4, 20), v4(116, 211, 9, 3), 8800, 443}},     // Dahua -> CN
    {0x4419b6, {"apiieu.ezvizlife.com", v4(47, 254, 1, 30), v4(47, 254, 8, 2), 6000, 443}},       // EZVIZ -> DE (Alibaba)
    {0x00408c, {"dispatcher.axis.com", v4(203, 0, 113, 50), 0, 0, 443}},                            // Axis -> FR
    {0x343ea4, {"fw-api.ring.com", v4(18, 130, 60, 6), 0, 0, 443}},                                 // Ring -> GB (AWS)
};
const Cloud kIotCloud{"a1b2c3-ats.iot.eu-west-2.amazonaws.com", v4(18, 130, 200, 9), v4(47, 254, 33, 4), 10000, 8883};

struct Site {
  std::vector<Endpoint> cameras;
  std::vector<std::size_t> camera_vendor;
  std::vector<Endpoint> nvrs;
  std::vector<Endpoint> iot;
  std::vector<Endpoint> hosts;
  std::vector<Endpoint> hosts_v6;  // same MACs, IPv6 addresses (ULA)
  std::vector<bool> host_has_v6, host_qinq;
  std::vector<Remote> web;      // IPv4 web sites
  std::vector<Remote> web_v6;   // IPv6 web sites
  Endpoint resolver{kRouterMac, ipv4_of(v4(10, 0, 0, 53))};
};

constexpr int kCameras = 300, kNvrs = 16, kIot = 100, kHosts = 2500;

Site make_site(Rng& rng) {
  Site s;
  for (int i = 0; i < kCameras; ++i) {
    std::size_t vendor = rng.below(10) < 4 ? 0 : rng.below(kCameraVendors.size());  // Hikvision-heavy
    s.camera_vendor.push_back(vendor);
    s.cameras.push_back({mac_of(kCameraVendors[vendor].oui, 0x100000 + i), ipv4_of(v4(10, 20, 1 + i / 200, 10 + i % 200))});
  }
  for (int i = 0; i < kNvrs; ++i) s.nvrs.push_back({mac_of(0x4419b6, 0x200000 + i), ipv4_of(v4(10, 20, 0, 100 + i))});
  for (int i = 0; i < kIot; ++i) s.iot.push_back({mac_of(0x500291, 0x300000 + i), ipv4_of(v4(10, 30, 0, 10 + i))});
  for (int i = 0; i < kHosts; ++i) {
    Mac m = mac_of(i % 3 ? 0x001b21 : 0x3c5282, 0x400000 + i);  // Intel, HP
    s.hosts.push_back({m, ipv4_of(v4(10, 10, i / 250, 1 + i % 250))});
    s.hosts_v6.push_back({m, ipv6_of("fd00:10::", 0x1000 + i)});
    s.host_has_v6.push_back(rng.chance(0.2));
    s.host_qinq.push_back(rng.chance(0.05));
  }
  // Web sites: names and addresses, most in geolocated ranges, some not.
  const std::vector<std::uint32_t> bases = {v4(18, 130, 0, 0), v4(52, 95, 0, 0), v4(81, 2, 69, 0), v4(203, 0, 113, 0),
                                            v4(198, 51, 100, 0), v4(47, 254, 0, 0), v4(192, 0, 2, 0), v4(151, 101, 0, 0),
                                            v4(104, 16, 0, 0), v4(142, 250, 0, 0)};
  const std::vector<std::string> words = {"www", "api", "cdn", "static", "login", "mail", "update", "telemetry", "img", "video"};
  const std::vector<std::string> zones = {"co.uk", "com", "net", "org", "io", "de", "fr", "cloud"};
  for (int i = 0; i < 400; ++i) {
    std::string name = words[rng.below(words.size())] + "." + "site" + std::to_string(i) + "." + zones[rng.below(zones.size())];
    std::uint32_t base = bases[rng.below(bases.size())];
    std::uint32_t span = (base >> 24) == 81 || (base >> 24) == 203 || (base >> 24) == 198 || (base >> 24) == 192 ? 254 : 65000;
    s.web.push_back({name, ipv4_of(base + 1 + static_cast<std::uint32_t>(rng.below(span)))});
  }
  for (int i = 0; i < 80; ++i) {
    const char* prefix = i % 4 == 0 ? "2001:db8:100::" : i % 4 == 3 ? "2001:db8:300::" : "2001:db8:200::";
    s.web_v6.push_back({"v6.site" + std::to_string(i) + ".net", ipv6_of(prefix, 0x10 + rng.below(5000))});
  }
  return s;
}

// ---- sessions ------------------------------------------------------------------

class Session {
 public:
  virtual ~Session() = default;
  // Queues the next packets, none before the last packet of the previous
  // refill; they may interleave (an ACK after the next data segment).
  virtual void refill() = 0;
  std::deque<Packet>& queue() { return queue_; }
  // Refills until there is a packet, in time order.
  Packet& next() {
    while (queue_.empty()) {
      refill();
      std::stable_sort(queue_.begin(), queue_.end(),
                       [](const Packet& a, const Packet& b) { return a.at_us < b.at_us; });
    }
    return queue_.front();
  }

 protected:
  void add(std::int64_t at, Bytes frame, std::uint32_t wire_len = 0) {
    queue_.push_back({at, std::move(frame), wire_len});
  }
  std::deque<Packet> queue_;
};

struct Context {
  const Site& site;
  const Noise& noise;
};

// DNS lookup (A record) by `client` of `name` from `resolver`; returns when
// the answer arrived.
std::int64_t dns_lookup(std::deque<Packet>& q, Rng& rng, const Endpoint& client, const Endpoint& resolver,
                        const std::vector<VlanTag>& tags, const std::string& name, const Ip& answer,
                        std::int64_t at) {
  Conversation c(client, static_cast<std::uint16_t>(rng.between(20000, 60999)), resolver, 53, tags, rng);
  auto id = static_cast<std::uint16_t>(rng.next());
  char text[16];
  std::snprintf(text, sizeof text, "%u.%u.%u.%u", answer.octets[0], answer.octets[1], answer.octets[2],
                answer.octets[3]);
  q.push_back({at, c.udp(true, dns_query(id, name, DnsType::kA)), 0});
  std::int64_t reply = at + ms(1) + rng.between(0, ms(30));
  q.push_back({reply, c.udp(false, dns_response(id, name, DnsType::kA, {{name, DnsType::kA, 300, text}})), 0});
  return reply;
}

// A camera's main stream to an NVR: RTSP setup, then 25 fps video, either
// interleaved in the RTSP connection or as RTP/UDP with RTCP beside it.
class VideoStream : public Session {
 public:
  VideoStream(Context ctx, Rng rng, const Endpoint& camera, const Endpoint& nvr, std::int64_t start)
      : ctx_(ctx), rng_(rng), camera_(camera), nvr_(nvr), t_(start),
        over_udp_(rng_.chance(0.4)), substream_(rng_.chance(0.3)),
        camera_port_(static_cast<std::uint16_t>(5000 + 2 * rng_.below(500))),
        nvr_port_(static_cast<std::uint16_t>(40000 + 2 * rng_.below(10000))),
        rtsp_(nvr, static_cast<std::uint16_t>(rng_.between(30000, 60000)), camera, 554, {dot1q(20)}, rng_),
        rtp_(camera, camera_port_, nvr, nvr_port_, {dot1q(20)}, rng_),
        rtcp_(camera, camera_port_ + 1, nvr, nvr_port_ + 1, {dot1q(20)}, rng_),
        ssrc_(static_cast<std::uint32_t>(rng_.next())) {}

  void refill() override {
    if (!set_up_) return setup();
    if (over_udp_ && t_ >= next_keepalive_) keepalive();
    if (over_udp_ && t_ >= next_rtcp_) {
      add(t_, rtcp_.udp(true, rtcp(true, ssrc_, rng_, ctx_.noise)));
      add(t_ + ms(1), rtcp_.udp(false, rtcp(false, ssrc_ + 1, rng_, ctx_.noise)));
      t_ += ms(2);
      next_rtcp_ += sec(5);
    }
    // One frame: an I-frame every 2 s, P-frames otherwise. Sub-streams are smaller.
    bool key = frame_ % 50 == 0;
    int packets = key ? static_cast<int>(rng_.between(18, 30)) : static_cast<int>(rng_.between(1, 4));
    if (substream_) packets = key ? 6 : 1;
    std::int64_t t = t_;
    for (int i = 0; i < packets; ++i) {
      std::size_t size = i + 1 < packets ? 1400 - 16 : static_cast<std::size_t>(rng_.between(200, 1384));
      Bytes r = rtp(rng_, ctx_.noise, seq_++, static_cast<std::uint32_t>(frame_ * 3600), ssrc_, i + 1 == packets, size);
      if (over_udp_) add(t, rtp_.udp(true, r));
      else add(t, rtsp_.tcp(false, kPsh | kAck, interleaved(0, r)));
      t += rng_.between(30, 120);
    }
    if (!over_udp_) add(t + ms(0.2), rtsp_.tcp(true, kAck));  // the NVR's (delayed) ACK
    ++frame_;
    t_ += substream_ ? ms(66.7) : ms(40);
  }

 private:
  void setup() {
    std::int64_t t = t_;
    auto rtt = [&] { return static_cast<std::int64_t>(rng_.between(150, 600)); };
    add(t, rtsp_.tcp(true, kSyn));
    add(t += rtt(), rtsp_.tcp(false, kSyn | kAck));
    add(t += 50, rtsp_.tcp(true, kAck));
    std::string url = "rtsp://" + ip_text(camera_.ip) + "/Streaming/Channels/" + (substream_ ? "102" : "101");
    int cseq = 1;
    auto exchange = [&](const std::string& method, const Headers& req, const Headers& rep, std::string_view body) {
      add(t += 100, rtsp_.tcp(true, kPsh | kAck, rtsp_request(method, url, cseq, req)));
      add(t += rtt() + 2000, rtsp_.tcp(false, kPsh | kAck, rtsp_reply(cseq, rep, body)));
      add(t += 200, rtsp_.tcp(true, kAck));
      ++cseq;
    };
    exchange("OPTIONS", {}, {{"Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER"}}, {});
    exchange("DESCRIBE", {{"Accept", "application/sdp"}}, {{"Content-Type", "application/sdp"}},
             "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=Media Presentation\r\nm=video 0 RTP/AVP 96\r\n"
             "a=rtpmap:96 H264/90000\r\na=control:trackID=1\r\n");
    std::string transport =
        over_udp_ ? "RTP/AVP;unicast;client_port=" + std::to_string(nvr_port_) + "-" + std::to_string(nvr_port_ + 1) +
                        ";server_port=" + std::to_string(camera_port_) + "-" + std::to_string(camera_port_ + 1)
                  : "RTP/AVP/TCP;unicast;interleaved=0-1";
    exchange("SETUP", {{"Transport", transport}}, {{"Transport", transport}, {"Session", "7e3a9c1f;timeout=60"}}, {});
    exchange("PLAY", {{"Session", "7e3a9c1f"}, {"Range", "npt=0.000-"}}, {{"Session", "7e3a9c1f"}}, {});
    t_ = t + ms(5);
    next_keepalive_ = t_ + sec(30);
    next_rtcp_ = t_ + sec(rng_.between(1, 5));
    set_up_ = true;
  }
  void keepalive() {
    add(t_, rtsp_.tcp(true, kPsh | kAck, rtsp_request("GET_PARAMETER", "rtsp://camera/", 9, {{"Session", "7e3a9c1f"}})));
    add(t_ + ms(2), rtsp_.tcp(false, kPsh | kAck, rtsp_reply(9, {{"Session", "7e3a9c1f"}})));
    add(t_ + ms(2.2), rtsp_.tcp(true, kAck));
    t_ += ms(3);
    next_keepalive_ += sec(30);
  }
  static std::string ip_text(const Ip& a) {
    return std::to_string(a.octets[0]) + "." + std::to_string(a.octets[1]) + "." + std::to_string(a.octets[2]) + "." +
           std::to_string(a.octets[3]);
  }

  Context ctx_;
  Rng rng_;
  Endpoint camera_, nvr_;
  std::int64_t t_;
  bool over_udp_, substream_, set_up_ = false;
  std::uint16_t camera_port_, nvr_port_;
  Conversation rtsp_, rtp_, rtcp_;
  std::uint32_t ssrc_;
  std::uint16_t seq_ = 1;
  std::uint64_t frame_ = 0;
  std::int64_t next_keepalive_ = 0, next_rtcp_ = 0;
};

// A camera or IoT device's cloud link: DNS lookups, a long TLS session with
// keep-alives, UDP P2P keep-alives, NTP, and now and then an upload burst.
class CloudLink : public Session {
 public:
  CloudLink(Context ctx, Rng rng, const Endpoint& device, const Cloud& cloud, std::vector<VlanTag> tags,
            std::int64_t start)
      : ctx_(ctx), rng_(rng), device_(device), cloud_(cloud), tags_(std::move(tags)),
        api_{kRouterMac, ipv4_of(cloud.api_ip)} {
    next_[kDns] = start;
    next_[kP2p] = cloud.p2p_ip ? start + rng_.between(0, sec(10)) : INT64_MAX;
    next_[kNtp] = start + rng_.between(0, sec(64));
    next_[kKeepalive] = INT64_MAX;  // after the TLS session is up
    next_[kUpload] = start + rng_.exp_us(sec(90));
  }

  void refill() override {
    int which = static_cast<int>(std::min_element(next_, next_ + kTimers) - next_);
    std::int64_t t = next_[which];
    switch (which) {
      case kDns: {
        std::int64_t done = dns_lookup(queue_, rng_, device_, ctx_.site.resolver, tags_, cloud_.api_name, api_.ip, t);
        next_[kDns] = done + sec(rng_.between(120, 600));
        if (!tls_) open_tls(done + ms(1));
        break;
      }
      case kKeepalive: {
        add(t, tls_->tcp(true, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 69 + rng_.below(60))));
        std::int64_t back = t + rtt_;
        add(back, tls_->tcp(false, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 53 + rng_.below(40))));
        add(back + ms(0.3), tls_->tcp(true, kAck));
        next_[kKeepalive] = t + sec(rng_.between(15, 30));
        break;
      }
      case kP2p: {
        if (!p2p_) p2p_ = std::make_unique<Conversation>(device_, static_cast<std::uint16_t>(rng_.between(10000, 60000)),
                                                         Endpoint{kRouterMac, ipv4_of(cloud_.p2p_ip)}, cloud_.p2p_port, tags_, rng_);
        Bytes hello{0xff, 0xfe, 0xff, 0xe7};
        append(hello, ctx_.noise.slice(rng_, 40));
        add(t, p2p_->udp(true, hello));
        add(t + rtt_, p2p_->udp(false, ctx_.noise.slice(rng_, 60)));
        next_[kP2p] = t + sec(rng_.between(8, 12));
        break;
      }
      case kNtp: {
        Conversation ntp(device_, 123, Endpoint{kRouterMac, ipv4_of(v4(81, 2, 69, 123))}, 123, tags_, rng_);
        add(t, ntp.udp(true, ntp_packet(false)));
        add(t + ms(9), ntp.udp(false, ntp_packet(true)));
        next_[kNtp] = t + sec(64) + rng_.between(0, ms(500));
        break;
      }
      case kUpload: {
        // A clip or snapshot upload over a fresh TLS connection to the same cloud.
        Conversation up(device_, ephemeral(), api_, cloud_.tls_port, tags_, rng_);
        std::int64_t u = handshake(up, t);
        int chunks = static_cast<int>(rng_.between(10, 60));
        for (int i = 0; i < chunks; ++i) {
          add(u, up.tcp(true, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 1400)));
          if (i % 2) add(u + rtt_, up.tcp(false, kAck));
          u += rng_.between(100, 400);
        }
        u += rtt_ + ms(1);
        add(u, up.tcp(false, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 90)));
        add(u + ms(1), up.tcp(true, kFin | kAck));
        add(u + ms(1) + rtt_, up.tcp(false, kFin | kAck));
        add(u + ms(1.2) + rtt_, up.tcp(true, kAck));
        next_[kUpload] = t + rng_.exp_us(sec(120));
        break;
      }
    }
    // Timers can fire closer together than a burst lasts: the next one starts after it.
    std::int64_t last = queue_.empty() ? t : queue_.back().at_us;
    for (auto& n : next_)
      if (n != INT64_MAX && n <= last) n = last + 1;
  }

 private:
  enum { kDns, kKeepalive, kP2p, kNtp, kUpload, kTimers };
  std::uint16_t ephemeral() { return static_cast<std::uint16_t>(rng_.between(32768, 60999)); }

  std::int64_t handshake(Conversation& c, std::int64_t t) {
    add(t, c.tcp(true, kSyn));
    add(t += rtt_, c.tcp(false, kSyn | kAck));
    add(t += 100, c.tcp(true, kAck));
    add(t += 50, c.tcp(true, kPsh | kAck, tls_client_hello(cloud_.api_name)));
    Bytes hello = tls13_server_hello(rng_, ctx_.noise);
    append(hello, tls_encrypted(rng_, ctx_.noise, 1400 - hello.size()));
    add(t += rtt_, c.tcp(false, kPsh | kAck, hello));
    add(t += 200, c.tcp(false, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 1100)));
    add(t += 100, c.tcp(true, kAck));
    add(t += ms(2), c.tcp(true, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 80)));
    return t + ms(1);
  }
  void open_tls(std::int64_t t) {
    rtt_ = ms(static_cast<double>(rng_.between(20, 300)));
    tls_ = std::make_unique<Conversation>(device_, ephemeral(), api_, cloud_.tls_port, tags_, rng_);
    std::int64_t done = handshake(*tls_, t);
    next_[kKeepalive] = done + sec(rng_.between(5, 30));
  }

  Context ctx_;
  Rng rng_;
  Endpoint device_;
  const Cloud& cloud_;
  std::vector<VlanTag> tags_;
  Endpoint api_;
  std::unique_ptr<Conversation> tls_, p2p_;
  std::int64_t rtt_ = ms(150);
  std::int64_t next_[kTimers];
};

// An ordinary host: one activity after another, each a DNS lookup and then a
// short TLS, QUIC or HTTP flow (sometimes just the lookup, or a ping).
class HostActivity : public Session {
 public:
  HostActivity(Context ctx, Rng rng, std::size_t index, std::int64_t start)
      : ctx_(ctx), rng_(rng), index_(index), t_(start) {
    const Site& s = ctx_.site;
    tags_ = s.host_qinq[index] ? std::vector<VlanTag>{qinq_outer(100), dot1q(10)} : std::vector<VlanTag>{dot1q(10)};
    double r = rng_.unit();
    resolver_ = r < 0.8 ? s.resolver
              : r < 0.95 ? Endpoint{kRouterMac, ipv4_of(v4(8, 8, 8, 8))}
                         : Endpoint{kRouterMac, ipv4_of(v4(114, 114, 114, 114))};
  }

  void refill() override {
    const Site& s = ctx_.site;
    bool v6 = s.host_has_v6[index_] && rng_.chance(0.5);
    const Endpoint& me = v6 ? s.hosts_v6[index_] : s.hosts[index_];
    const Remote& site = v6 ? s.web_v6[rng_.below(s.web_v6.size())] : s.web[rng_.below(s.web.size())];
    Endpoint server{kRouterMac, site.address};
    rtt_ = ms(static_cast<double>(rng_.between(3, 150)));
    std::int64_t t = t_;
    if (!v6 && rng_.chance(0.8)) {
      t = dns_lookup(queue_, rng_, me, resolver_, tags_, site.name, site.address, t) + ms(0.5);
    }
    double kind = rng_.unit();
    if (kind < 0.55) t = tls(me, server, site.name, t);
    else if (kind < 0.85) t = quic(me, server, t);
    else if (kind < 0.95) t = http(me, server, site.name, t);
    else if (kind < 0.97) t = ping(me, server, t);
    // else: the lookup alone
    t_ = t + rng_.exp_us(sec(3));
  }

 private:
  std::uint16_t ephemeral() { return static_cast<std::uint16_t>(rng_.between(32768, 60999)); }
  Bytes connection_id() {
    ByteView id = ctx_.noise.slice(rng_, 8);
    return Bytes(id.begin(), id.end());
  }

  std::int64_t tls(const Endpoint& me, const Endpoint& server, const std::string& name, std::int64_t t) {
    Conversation c(me, ephemeral(), server, 443, tags_, rng_);
    add(t, c.tcp(true, kSyn));
    add(t += rtt_, c.tcp(false, kSyn | kAck));
    add(t += 80, c.tcp(true, kAck));
    add(t += 40, c.tcp(true, kPsh | kAck, tls_client_hello(name)));
    Bytes hello = tls13_server_hello(rng_, ctx_.noise);
    append(hello, tls_encrypted(rng_, ctx_.noise, 1400 - hello.size()));
    add(t += rtt_, c.tcp(false, kAck, hello));
    add(t += 60, c.tcp(false, kAck, tls_encrypted(rng_, ctx_.noise, 1400)));
    add(t += 60, c.tcp(false, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 700)));
    add(t += 90, c.tcp(true, kAck));
    add(t += ms(1), c.tcp(true, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 80)));
    add(t += 200, c.tcp(true, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 400 + rng_.below(300))));
    // The response: mostly small, sometimes a download.
    int n = rng_.chance(0.1) ? static_cast<int>(rng_.between(40, 200)) : static_cast<int>(rng_.between(1, 12));
    t += rtt_;
    for (int i = 0; i < n; ++i) {
      add(t, c.tcp(false, kAck, tls_encrypted(rng_, ctx_.noise, 1400)));
      if (i % 2) add(t + 60, c.tcp(true, kAck));
      t += rng_.between(20, 200);
    }
    add(t += ms(rng_.between(5, 500)), c.tcp(true, kFin | kAck));
    add(t += rtt_, c.tcp(false, kFin | kAck));
    add(t += 50, c.tcp(true, kAck));
    return t;
  }

  std::int64_t quic(const Endpoint& me, const Endpoint& server, std::int64_t t) {
    Conversation c(me, ephemeral(), server, 443, tags_, rng_);
    Bytes dcid = connection_id(), scid = connection_id();
    add(t, c.udp(true, quic_long(rng_, ctx_.noise, 0, dcid, scid, 1200)));
    add(t += rtt_, c.udp(false, quic_long(rng_, ctx_.noise, 0, scid, dcid, 1200)));
    add(t += 40, c.udp(false, quic_long(rng_, ctx_.noise, 2, scid, dcid, 1200)));
    add(t += 40, c.udp(false, quic_long(rng_, ctx_.noise, 2, scid, dcid, 600)));
    add(t += 200, c.udp(true, quic_long(rng_, ctx_.noise, 2, dcid, scid, 100)));
    int n = static_cast<int>(rng_.between(2, 30));
    for (int i = 0; i < n; ++i) {
      bool up = i % 4 == 0;
      add(t += rng_.between(30, 400), c.udp(up, quic_short(rng_, ctx_.noise, up ? scid : dcid, up ? 60 + rng_.below(400) : 1250)));
    }
    return t;
  }

  std::int64_t http(const Endpoint& me, const Endpoint& server, const std::string& name, std::int64_t t) {
    Conversation c(me, ephemeral(), server, 80, tags_, rng_);
    add(t, c.tcp(true, kSyn));
    add(t += rtt_, c.tcp(false, kSyn | kAck));
    add(t += 80, c.tcp(true, kAck));
    add(t += 40, c.tcp(true, kPsh | kAck, http_get(name, "/check?id=" + std::to_string(rng_.below(100000)),
                                                    {{"User-Agent", "Mozilla/5.0"}})));
    add(t += rtt_, c.tcp(false, kPsh | kAck, http_response(200, "OK", {{"Content-Type", "text/plain"}}, "ok")));
    add(t += 100, c.tcp(true, kFin | kAck));
    add(t += rtt_, c.tcp(false, kFin | kAck));
    add(t += 50, c.tcp(true, kAck));
    return t;
  }

  std::int64_t ping(const Endpoint& me, const Endpoint& server, std::int64_t t) {
    Conversation c(me, 0, server, 0, tags_, rng_);
    auto id = static_cast<std::uint16_t>(rng_.next());
    for (std::uint16_t i = 1; i <= 4; ++i) {
      add(t, c.icmp_echo(true, id, i, ctx_.noise.slice(rng_, 56)));
      add(t + rtt_, c.icmp_echo(false, id, i, ctx_.noise.slice(rng_, 56)));
      t += sec(1);
    }
    return t;
  }

  Context ctx_;
  Rng rng_;
  std::size_t index_;
  std::int64_t t_;
  std::vector<VlanTag> tags_;
  Endpoint resolver_;
  std::int64_t rtt_ = ms(20);
};

// ARP and malformed frames: what a SPAN port also carries.
class LinkNoise : public Session {
 public:
  LinkNoise(Context ctx, Rng rng) : ctx_(ctx), rng_(rng) {}

  void refill() override {
    t_ += rng_.exp_us(ms(10));
    const Site& s = ctx_.site;
    if (rng_.chance(0.7)) {
      std::size_t h = rng_.below(s.hosts.size());
      add(t_, arp_request(s.hosts[h].mac, v4(10, 10, h / 250, 1 + h % 250), v4(10, 10, 0, 1)));
      return;
    }
    // A malformed frame: a good packet first, then one kind of damage.
    std::size_t h = rng_.below(s.hosts.size());
    Conversation c(s.hosts[h], 40000, Endpoint{kRouterMac, ipv4_of(v4(81, 2, 69, 9))}, 443, {}, rng_);
    Bytes f = c.tcp(true, kPsh | kAck, tls_encrypted(rng_, ctx_.noise, 300));
    constexpr std::size_t kIp = 14;
    switch (rng_.below(5)) {
      case 0: f[kIp] = 0x43; break;                     // IHL 3 (< 5)
      case 1: f[kIp + 2] = 0x3f; f[kIp + 3] = 0xff; break;  // total length beyond the frame
      case 2: f[kIp + 20 + 12] = 0x20; break;           // TCP data offset 2 (< 5)
      case 3:  // a tagged frame that ends right after its tag
        f = ethernet(kRouterMac, s.hosts[h].mac, kEtherTypeIpv4, {}, {dot1q(10)}, false);
        break;
      default: f[kIp] = 0x65; break;                    // IP version 6 in an IPv4 frame
    }
    add(t_, std::move(f));
  }

 private:
  Context ctx_;
  Rng rng_;
  std::int64_t t_ = 0;
};

// ---- main loops ------------------------------------------------------------------

struct Totals {
  std::uint64_t packets, bytes;
  std::int64_t duration_us;
};

Totals write_site(const std::string& path, std::uint64_t packet_target, std::uint64_t seed) {
  Rng rng(seed);
  Noise noise(rng);
  Site site = make_site(rng);
  Context ctx{site, noise};

  std::vector<std::unique_ptr<Session>> sessions;
  for (std::size_t i = 0; i < site.cameras.size(); ++i) {
    const Endpoint& nvr = site.nvrs[i % site.nvrs.size()];
    sessions.push_back(std::make_unique<VideoStream>(ctx, rng.fork(), site.cameras[i], nvr, rng.between(0, sec(2))));
    sessions.push_back(std::make_unique<CloudLink>(ctx, rng.fork(), site.cameras[i],
                                                   kCameraVendors[site.camera_vendor[i]].cloud,
                                                   std::vector<VlanTag>{dot1q(20)}, rng.between(0, sec(5))));
  }
  for (const Endpoint& nvr : site.nvrs)
    sessions.push_back(std::make_unique<CloudLink>(ctx, rng.fork(), nvr, kCameraVendors[0].cloud,
                                                   std::vector<VlanTag>{dot1q(20)}, rng.between(0, sec(5))));
  for (const Endpoint& d : site.iot)
    sessions.push_back(std::make_unique<CloudLink>(ctx, rng.fork(), d, kIotCloud, std::vector<VlanTag>{}, rng.between(0, sec(5))));
  for (std::size_t i = 0; i < site.hosts.size(); ++i)
    sessions.push_back(std::make_unique<HostActivity>(ctx, rng.fork(), i, rng.between(0, sec(3))));
  sessions.push_back(std::make_unique<LinkNoise>(ctx, rng.fork()));

  // Merge: the session whose next packet is earliest goes first (ties: lower index).
  using Entry = std::pair<std::int64_t, std::size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    heap.push({sessions[i]->next().at_us, i});
  }
  PcapWriter out(path);
  while (out.packets() < packet_target) {
    std::size_t i = heap.top().second;
    heap.pop();
    out.write(sessions[i]->next());
    sessions[i]->queue().pop_front();
    heap.push({sessions[i]->next().at_us, i});
  }
  return {out.packets(), out.bytes(), out.last_us()};
}

Totals write_concurrent(const std::string& path, std::uint64_t flows, const std::string& kind,
                        std::uint64_t packets_per_flow, std::uint64_t seed) {
  Rng rng(seed);
  PcapWriter out(path);
  constexpr std::uint64_t kDevices = 1000;
  const std::int64_t span = sec(30);
  const std::uint64_t rounds = kind == "stream" ? packets_per_flow : 1;
  const Bytes opaque(100, 0x5a);
  // Flow f: device f % 1000 from port 10000 + f / 1000 (unique 5-tuples).
  const std::vector<std::uint32_t> resolvers = {v4(81, 2, 69, 53), v4(18, 130, 1, 53), v4(203, 0, 113, 53)};
  std::vector<Conversation> conversations;
  conversations.reserve(flows);
  for (std::uint64_t f = 0; f < flows; ++f) {
    std::uint64_t d = f % kDevices;
    Endpoint device{mac_of(0x001b21, static_cast<std::uint32_t>(0x500000 + d)),
                    ipv4_of(v4(10, 40, static_cast<int>(d / 250), static_cast<int>(1 + d % 250)))};
    auto port = static_cast<std::uint16_t>(1024 + f / kDevices % 64000);
    std::uint64_t round = f / kDevices / 64000;  // beyond 64M flows: another remote
    Endpoint remote{kRouterMac, ipv4_of(resolvers[(d + round) % resolvers.size()] + static_cast<std::uint32_t>(round << 8))};
    conversations.emplace_back(device, port, remote, kind == "dns" ? 53 : kind == "syn" ? 443 : 40000,
                               std::vector<VlanTag>{dot1q(10)}, rng);
  }
  // Round r sends packet r of every flow, so the flows interleave in time.
  const auto total = static_cast<std::int64_t>(flows * rounds);
  for (std::uint64_t r = 0; r < rounds; ++r) {
    for (std::uint64_t f = 0; f < flows; ++f) {
      Conversation& c = conversations[f];
      std::int64_t at = static_cast<std::int64_t>(r * flows + f) * span / total;
      Bytes frame = kind == "dns" ? c.udp(true, dns_query(static_cast<std::uint16_t>(f), "h" + std::to_string(f) + ".example.com", DnsType::kA))
                  : kind == "syn" ? c.tcp(true, kSyn)
                                  : c.udp(true, opaque);
      out.write({at, std::move(frame), 0});
    }
  }
  return {out.packets(), out.bytes(), out.last_us()};
}

std::uint64_t parse_count(std::string_view flag, std::string_view text) {
  std::uint64_t value = 0;
  std::uint64_t scale = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) scale = 1000, text.remove_suffix(1);
  else if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) scale = 1000000, text.remove_suffix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0)
    throw std::invalid_argument(std::string(flag) + " wants a positive number (k and M suffixes allowed)");
  return value * scale;
}

int usage() {
  std::fputs("usage: make-bench-capture [--packets N] [--seed S] OUT.pcap\n"
             "       make-bench-capture --concurrent-flows N [--flow-kind dns|syn|stream] [--packets-per-flow M]\n"
             "                          [--seed S] OUT.pcap\n",
             stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::uint64_t packets = 200000, seed = 1, concurrent = 0, packets_per_flow = 1;
    std::string kind = "dns", out;
    for (int i = 1; i < argc; ++i) {
      std::string_view a = argv[i];
      auto value = [&]() -> std::string_view {
        if (i + 1 >= argc) throw std::invalid_argument(std::string(a) + " needs a value");
        return argv[++i];
      };
      if (a == "--packets") packets = parse_count(a, value());
      else if (a == "--seed") seed = parse_count(a, value());
      else if (a == "--concurrent-flows") concurrent = parse_count(a, value());
      else if (a == "--flow-kind") kind = value();
      else if (a == "--packets-per-flow") packets_per_flow = parse_count(a, value());
      else if (a == "-h" || a == "--help") return usage(), 0;
      else if (!a.empty() && a[0] == '-') return usage();
      else if (out.empty()) out = a;
      else return usage();
    }
    if (out.empty() || (kind != "dns" && kind != "syn" && kind != "stream")) return usage();
    Totals t = concurrent ? write_concurrent(out, concurrent, kind, packets_per_flow, seed) : write_site(out, packets, seed);
    std::printf("%s: %llu packets, %llu bytes, %.3f s of packet time\n", out.c_str(),
                static_cast<unsigned long long>(t.packets), static_cast<unsigned long long>(t.bytes),
                static_cast<double>(t.duration_us) / 1e6);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make-bench-capture: %s\n", e.what());
    return 1;
  }
}
