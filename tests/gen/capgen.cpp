// capgen: writes the deterministic test captures described in SCENARIOS.md.
//
//   capgen OUTDIR          all scenario captures into OUTDIR
//   capgen --sample FILE   the ~1 minute sample site capture
//
// No randomness and fixed timestamps: output is byte-identical on every run.
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet_builder.hpp"

namespace {

using namespace capgen;
using namespace capgen::tcp_flags;
namespace fs = std::filesystem;

// 2026-11-02T09:00:00Z; check with: date -u -d @1793610000
constexpr std::int64_t kCaptureStart = 1793610000;
// 2026-11-02T10:00:00Z: start of identify.pcap and rules_each.pcap.
constexpr std::int64_t kSecondHourStart = kCaptureStart + 3600;

constexpr std::int64_t ms(std::int64_t n) { return n * 1000; }
constexpr std::int64_t sec(std::int64_t n) { return n * 1000000; }

// ---- capture file ----------------------------------------------------------

struct Frame {
  std::int64_t at_us;  // offset from kCaptureStart
  Bytes data;
  std::uint32_t wire_len;
};

class Capture {
 public:
  explicit Capture(int linktype, std::int64_t start = kCaptureStart)
      : linktype_(linktype), start_(start) {}
  int linktype() const { return linktype_; }

  void add(std::int64_t at_us, Bytes data) {
    auto wire_len = static_cast<std::uint32_t>(data.size());
    frames_.push_back({at_us, std::move(data), wire_len});
  }
  // A frame cut short by the capture (caplen < wire length).
  void add_truncated(std::int64_t at_us, Bytes data, std::size_t caplen) {
    auto wire_len = static_cast<std::uint32_t>(data.size());
    data.resize(caplen);
    frames_.push_back({at_us, std::move(data), wire_len});
  }

  // Writes frames in time order (ties keep insertion order).
  void write(const fs::path& path) const {
    std::vector<Frame> frames = frames_;
    std::stable_sort(frames.begin(), frames.end(),
                     [](const Frame& a, const Frame& b) { return a.at_us < b.at_us; });
    pcap_t* dead = pcap_open_dead(linktype_, 65535);
    if (dead == nullptr) throw std::runtime_error("pcap_open_dead failed");
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    if (dumper == nullptr) {
      std::string err = pcap_geterr(dead);
      pcap_close(dead);
      throw std::runtime_error(path.string() + ": " + err);
    }
    for (const Frame& f : frames) {
      pcap_pkthdr header{};
      header.ts.tv_sec = start_ + f.at_us / 1000000;
      header.ts.tv_usec = f.at_us % 1000000;
      header.caplen = static_cast<bpf_u_int32>(f.data.size());
      header.len = f.wire_len;
      pcap_dump(reinterpret_cast<u_char*>(dumper), &header, f.data.data());
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
  }

 private:
  int linktype_;
  std::int64_t start_;
  std::vector<Frame> frames_;
};

// ---- hosts -----------------------------------------------------------------

struct Endpoint {
  Mac mac;
  Ip ip;
};

const Mac kRouterMac = mac("00:00:5e:00:01:01");
const Mac kSsdpMulticastMac = mac("01:00:5e:7f:ff:fa");

Endpoint remote(std::string_view address) { return {kRouterMac, ip(address)}; }

const Endpoint kResolver = remote("10.20.0.1");  // the router is also DNS and DHCP server
const Endpoint kHikCamera{mac("44:19:b6:00:00:21"), ip("10.20.1.21")};
const Endpoint kDahuaCamera{mac("e0:50:8b:00:00:22"), ip("10.20.1.22")};
const Endpoint kXiongmaiDvr{mac("02:12:34:00:00:30"), ip("10.20.1.30")};
const Endpoint kNvr{mac("00:11:22:33:44:55"), ip("10.20.1.5")};
const Endpoint kWorkstation{mac("00:1b:21:aa:bb:cc"), ip("10.20.5.50")};
const Endpoint kSsdpGroup{kSsdpMulticastMac, ip("239.255.255.250")};

// ---- flows -----------------------------------------------------------------

enum class Dir { kOut, kIn };  // out: device -> remote
constexpr Dir kOut = Dir::kOut;
constexpr Dir kIn = Dir::kIn;

struct IpExtras {
  Bytes ipv4_options;
  std::vector<Ipv6Extension> ipv6_extensions;
};

IpExtras with_ipv4_options(Bytes options) { return {std::move(options), {}}; }
IpExtras with_ipv6_extensions(std::vector<Ipv6Extension> extensions) {
  return {{}, std::move(extensions)};
}

Ipv4Fields with_id(std::uint16_t id) {
  Ipv4Fields f;
  f.id = id;
  return f;
}

// One bidirectional flow between a device and a remote end. Turns payloads
// into frames for the capture's link type; tracks TCP sequence numbers.
class Flow {
 public:
  Flow(Capture& cap, Endpoint device, Endpoint remote, std::uint16_t device_port = 0,
       std::uint16_t remote_port = 0, std::vector<VlanTag> tags = {})
      : cap_(&cap),
        device_(std::move(device)),
        remote_(std::move(remote)),
        device_port_(device_port),
        remote_port_(remote_port),
        tags_{tags, std::move(tags)},
        next_seq_{0x10000000u + device_port * 7919u, 0x60000000u + remote_port * 7919u} {}

  // One TCP segment. SYNs carry tcp_syn_options(); ACK numbers follow the
  // other side's bytes sent so far.
  void tcp(std::int64_t at, Dir dir, std::uint8_t flags, ByteView payload = {},
           const IpExtras& extras = {}) {
    int me = side(dir);
    TcpFields f;
    f.src_port = dir == kOut ? device_port_ : remote_port_;
    f.dst_port = dir == kOut ? remote_port_ : device_port_;
    f.seq = next_seq_[me];
    f.ack = (flags & kAck) != 0 ? next_seq_[1 - me] : 0;
    f.flags = flags;
    f.window = (flags & kSyn) != 0 ? 64240 : 502;  // 502 << 7 (window scale) = 64256
    if ((flags & kSyn) != 0) f.options = tcp_syn_options();
    next_seq_[me] += static_cast<std::uint32_t>(payload.size()) + ((flags & kSyn) != 0) +
                     ((flags & kFin) != 0);
    send(at, dir, kProtoTcp, capgen::tcp(src(dir).ip, dst(dir).ip, f, payload), extras);
  }

  void udp(std::int64_t at, Dir dir, ByteView payload) {
    std::uint16_t sport = dir == kOut ? device_port_ : remote_port_;
    std::uint16_t dport = dir == kOut ? remote_port_ : device_port_;
    send(at, dir, kProtoUdp, capgen::udp(src(dir).ip, dst(dir).ip, sport, dport, payload));
  }

  // Echo request out, reply in.
  void echo(std::int64_t at, Dir dir, std::uint16_t id, std::uint16_t seq, ByteView data,
            const IpExtras& extras = {}) {
    bool reply = dir == kIn;
    if (device_.ip.is_v6()) {
      send(at, dir, kProtoIcmpv6, icmpv6_echo(src(dir).ip, dst(dir).ip, reply, id, seq, data),
           extras);
    } else {
      send(at, dir, kProtoIcmp, icmp_echo(reply, id, seq, data), extras);
    }
  }

  void other(std::int64_t at, Dir dir, std::uint8_t protocol, ByteView payload) {
    send(at, dir, protocol, payload);
  }

  // Later packets of this flow go to another capture file.
  void continue_in(Capture& cap) { cap_ = &cap; }

  // Tags of one direction only, as a mirror that tags one side of a
  // router-on-a-stick shows them.
  void set_tags(Dir dir, std::vector<VlanTag> tags) { tags_[side(dir)] = std::move(tags); }

  // IP TTL / hop limit of outgoing packets (64 unless set; 255 for mDNS).
  void set_out_ttl(std::uint8_t ttl) { out_ttl_ = ttl; }

 private:
  static int side(Dir dir) { return dir == kOut ? 0 : 1; }
  const Endpoint& src(Dir dir) const { return dir == kOut ? device_ : remote_; }
  const Endpoint& dst(Dir dir) const { return dir == kOut ? remote_ : device_; }

  void send(std::int64_t at, Dir dir, std::uint8_t protocol, ByteView l4,
            const IpExtras& extras = {}) {
    const Endpoint& from = src(dir);
    const Endpoint& to = dst(dir);
    Bytes packet;
    if (from.ip.is_v6()) {
      packet = ipv6(from.ip, to.ip, protocol, l4, extras.ipv6_extensions,
                    dir == kOut ? out_ttl_ : 52);
    } else {
      Ipv4Fields f;
      f.ttl = dir == kOut ? out_ttl_ : 52;
      f.id = next_ip_id_[side(dir)]++;
      f.options = extras.ipv4_options;
      packet = ipv4(from.ip, to.ip, protocol, l4, f);
    }
    cap_->add(at, frame(dir, from, to, packet));
  }

  Bytes frame(Dir dir, const Endpoint& from, const Endpoint& to, const Bytes& packet) const {
    std::uint16_t type = ethertype_of(packet);
    SllPacketType sll_type = dir == kOut ? SllPacketType::kOutgoing : SllPacketType::kHost;
    switch (cap_->linktype()) {
      case DLT_EN10MB:
        return ethernet(to.mac, from.mac, type, packet, tags_[side(dir)]);
      case DLT_LINUX_SLL:
        return linux_sll(sll_type, from.mac, type, packet);
      case DLT_LINUX_SLL2:
        return linux_sll2(sll_type, 2, from.mac, type, packet);
      case DLT_RAW:
        return packet;
      default:
        throw std::logic_error("unsupported link type");
    }
  }

  Capture* cap_;
  Endpoint device_;
  Endpoint remote_;
  std::uint16_t device_port_;
  std::uint16_t remote_port_;
  std::vector<VlanTag> tags_[2];  // out, in
  std::uint32_t next_seq_[2];
  std::uint16_t next_ip_id_[2] = {0x0100, 0x8100};
  std::uint8_t out_ttl_ = 64;
};

// ---- payloads used by several scenarios -------------------------------------

Bytes filler(std::size_t n, std::uint8_t first = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i * 7);
  return b;
}

// Dahua-style P2P datagram: 44 bytes starting ff fe ff e7.
Bytes dahua_p2p(std::uint8_t counter) {
  Bytes b{0xff, 0xfe, 0xff, 0xe7};
  append(b, filler(40, counter));
  return b;
}

// 48-byte NTPv4 client (mode 3) or server (mode 4) packet, stratum 2 for the server.
Bytes ntp(bool server) {
  Bytes b(48, 0);
  b[0] = server ? 0x24 : 0x23;
  b[1] = server ? 2 : 0;
  return b;
}

Bytes ping_data() { return filler(56, 0x10); }  // the usual 56 data bytes

// IPv4 record-route option with one empty slot, 7 bytes (padded to 8 by ipv4()).
Bytes record_route_option() { return {7, 7, 4, 0, 0, 0, 0}; }

// Rewrites the IPv4 header checksum after a deliberate corruption, so that the
// corruption is the only thing wrong. offset = where the IPv4 header starts.
void refresh_ipv4_checksum(Bytes& frame, std::size_t offset) {
  frame[offset + 10] = 0;
  frame[offset + 11] = 0;
  std::uint16_t sum = internet_checksum(ByteView(frame).subspan(offset, 20));
  frame[offset + 10] = static_cast<std::uint8_t>(sum >> 8);
  frame[offset + 11] = static_cast<std::uint8_t>(sum);
}

// ---- scenarios ---------------------------------------------------------------

// The NVR asks a camera for RTSP OPTIONS and it answers: 4 packets from `at`.
void rtsp_options(Capture& cap, const Endpoint& camera, const std::string& host, std::uint16_t nvr_port,
                  std::int64_t at) {
  Flow rtsp(cap, kNvr, camera, nvr_port, 554);
  rtsp.tcp(at, kOut, kSyn);
  rtsp.tcp(at + ms(1), kIn, kSyn | kAck);
  rtsp.tcp(at + ms(2), kOut, kPsh | kAck, rtsp_request("OPTIONS", "rtsp://" + host + "/", 1));
  rtsp.tcp(at + ms(10), kIn, kPsh | kAck, rtsp_reply(1, {{"Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"}}));
}

void write_basic(const fs::path& out) {
  Capture cap(DLT_EN10MB);

  // A. Camera TLS to Hik-Connect: 11 packets.
  Flow tls(cap, kHikCamera, remote("47.96.1.10"), 50001, 443);
  tls.tcp(ms(0), kOut, kSyn);
  tls.tcp(ms(20), kIn, kSyn | kAck);
  tls.tcp(ms(21), kOut, kAck);
  tls.tcp(ms(22), kOut, kPsh | kAck, tls_client_hello("litedev.hik-connect.com"));
  tls.tcp(ms(60), kIn, kPsh | kAck, tls_application_data(1400));
  tls.tcp(ms(61), kOut, kAck);
  tls.tcp(ms(80), kOut, kPsh | kAck, tls_application_data(200));
  tls.tcp(ms(120), kIn, kPsh | kAck, tls_application_data(600));
  tls.tcp(ms(140), kOut, kFin | kAck);
  tls.tcp(ms(160), kIn, kFin | kAck);
  tls.tcp(ms(161), kOut, kAck);

  // B. Camera UDP to a P2P server: 3 out, 2 in.
  Flow p2p(cap, kHikCamera, remote("47.254.10.20"), 40000, 8800);
  p2p.udp(ms(1000), kOut, filler(44, 1));
  p2p.udp(ms(1100), kIn, filler(60, 2));
  p2p.udp(ms(1200), kOut, filler(44, 3));
  p2p.udp(ms(1300), kIn, filler(60, 4));
  p2p.udp(ms(1400), kOut, filler(44, 5));

  // C. Camera ping; the request carries an IPv4 option (record route).
  Flow ping(cap, kHikCamera, remote("18.130.5.6"));
  ping.echo(ms(2000), kOut, 0x0021, 1, ping_data(), with_ipv4_options(record_route_option()));
  ping.echo(ms(2030), kIn, 0x0021, 1, ping_data());

  // D. Workstation, short TLS flow ended by a reset: 6 packets.
  Flow pc(cap, kWorkstation, remote("81.2.69.10"), 51000, 443);
  pc.tcp(ms(3000), kOut, kSyn);
  pc.tcp(ms(3015), kIn, kSyn | kAck);
  pc.tcp(ms(3016), kOut, kAck);
  pc.tcp(ms(3017), kOut, kPsh | kAck, tls_application_data(100));
  pc.tcp(ms(3040), kIn, kPsh | kAck, tls_application_data(300));
  pc.tcp(ms(3050), kOut, kRst | kAck);

  // E. Internal only: NVR asks the camera for RTSP OPTIONS; 4 packets.
  rtsp_options(cap, kHikCamera, "10.20.1.21", 52000, ms(4000));

  cap.write(out / "basic.pcap");
}

void write_first_inbound(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  Flow tls(cap, kHikCamera, remote("47.96.1.10"), 50002, 443);
  tls.tcp(ms(0), kIn, kPsh | kAck, tls_application_data(500));
  tls.tcp(ms(1), kOut, kAck);
  tls.tcp(ms(30), kOut, kPsh | kAck, tls_application_data(150));
  tls.tcp(ms(70), kIn, kPsh | kAck, tls_application_data(250));
  tls.tcp(ms(71), kOut, kAck);
  cap.write(out / "first_inbound.pcap");
}

void write_vlan(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  Flow tagged(cap, kHikCamera, remote("47.254.10.20"), 40001, 8800, {dot1q(100)});
  tagged.udp(ms(0), kOut, filler(44, 1));
  tagged.udp(ms(50), kIn, filler(60, 2));
  tagged.udp(ms(100), kOut, filler(44, 3));

  Flow qinq(cap, kHikCamera, remote("47.254.10.20"), 40001, 8800, {qinq_outer(200), dot1q(300)});
  qinq.udp(ms(200), kOut, filler(44, 4));
  qinq.udp(ms(250), kIn, filler(60, 5));
  cap.write(out / "vlan.pcap");
}

// A mirror that tags one direction only (router-on-a-stick, one side of a
// trunk): each conversation is one flow whatever its tags each way.
void write_vlan_oneway(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  // A. TLS upload: out tagged VLAN 100, in untagged.
  Flow upload(cap, kHikCamera, remote("47.254.10.20"), 40010, 443, {dot1q(100)});
  upload.set_tags(kIn, {});
  upload.tcp(ms(0), kOut, kSyn);
  upload.tcp(ms(20), kIn, kSyn | kAck);
  upload.tcp(ms(21), kOut, kAck);
  upload.tcp(ms(22), kOut, kPsh | kAck, tls_application_data(1000));
  upload.tcp(ms(60), kIn, kPsh | kAck, tls_application_data(100));
  upload.tcp(ms(61), kOut, kFin | kAck);
  upload.tcp(ms(80), kIn, kFin | kAck);
  upload.tcp(ms(81), kOut, kAck);
  // B. UDP: out QinQ 200/300, in a single tag 300.
  Flow p2p(cap, kHikCamera, remote("47.254.10.20"), 40011, 8800, {qinq_outer(200), dot1q(300)});
  p2p.set_tags(kIn, {dot1q(300)});
  p2p.udp(ms(200), kOut, filler(44, 1));
  p2p.udp(ms(250), kIn, filler(60, 2));
  p2p.udp(ms(300), kOut, filler(44, 3));
  // C. Inbound first, tagged; the device's answers untagged.
  Flow late(cap, kHikCamera, remote("47.254.10.20"), 40012, 8800, {});
  late.set_tags(kIn, {dot1q(100)});
  late.udp(ms(400), kIn, filler(60, 4));
  late.udp(ms(450), kOut, filler(44, 5));
  cap.write(out / "vlan_oneway.pcap");
}

void write_ipv6(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  const Endpoint camera{kHikCamera.mac, ip("fd00:20::21")};

  Flow tls(cap, camera, remote("2001:db8:100::10"), 50010, 443);
  tls.tcp(ms(0), kOut, kSyn, {},
          with_ipv6_extensions({ipv6_hop_by_hop(), ipv6_destination_options()}));
  tls.tcp(ms(30), kIn, kSyn | kAck);
  tls.tcp(ms(31), kOut, kAck);
  tls.tcp(ms(32), kOut, kPsh | kAck, tls_application_data(120));

  Flow time(cap, camera, remote("2001:db8:200::20"), 40010, 123);
  time.udp(ms(1000), kOut, ntp(false));
  time.udp(ms(1040), kIn, ntp(true));

  Flow ping(cap, camera, remote("2001:db8:100::10"));
  ping.echo(ms(2000), kOut, 0x0021, 1, ping_data());
  ping.echo(ms(2030), kIn, 0x0021, 1, ping_data());
  cap.write(out / "ipv6.pcap");
}

// The same two flows on SLL, SLL2 and raw IP links.
void write_cooked(const fs::path& path, int linktype) {
  Capture cap(linktype);
  Flow p2p(cap, kDahuaCamera, remote("116.211.1.1"), 40020, 8800);
  p2p.udp(ms(0), kOut, dahua_p2p(1));
  p2p.udp(ms(60), kIn, filler(60, 2));
  p2p.udp(ms(100), kOut, dahua_p2p(3));
  p2p.udp(ms(160), kIn, filler(60, 4));

  Flow syn(cap, kDahuaCamera, remote("47.96.1.10"), 50020, 443);
  syn.tcp(ms(500), kOut, kSyn);
  syn.tcp(ms(540), kIn, kSyn | kAck);
  cap.write(path);
}

void write_split(const fs::path& out) {
  const Endpoint camera{mac("44:19:b6:00:00:23"), ip("10.20.1.23")};
  Capture a(DLT_EN10MB);
  Capture b(DLT_EN10MB);
  // One TCP flow over both files: the Flow object keeps the sequence numbers.
  Flow first(a, camera, remote("18.130.5.6"), 50030, 443);
  first.tcp(ms(0), kOut, kSyn);
  first.tcp(ms(25), kIn, kSyn | kAck);
  first.tcp(ms(26), kOut, kAck);
  first.continue_in(b);
  first.tcp(sec(1), kOut, kPsh | kAck, tls_application_data(300));
  first.tcp(sec(1) + ms(40), kIn, kPsh | kAck, tls_application_data(800));
  first.tcp(sec(1) + ms(60), kOut, kFin | kAck);
  first.tcp(sec(1) + ms(85), kIn, kFin | kAck);

  Flow only_b(b, camera, remote("47.254.10.20"), 40030, 8800);
  only_b.udp(sec(1) + ms(200), kOut, filler(44, 1));
  only_b.udp(sec(1) + ms(260), kIn, filler(44, 2));
  a.write(out / "split_a.pcap");
  b.write(out / "split_b.pcap");
}

void write_malformed(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  const Endpoint device{mac("44:19:b6:00:00:24"), ip("10.20.1.24")};
  const Endpoint server = remote("47.96.1.10");
  const std::string name = "dev.example.net";
  Flow dns(cap, device, server, 40040, 53);

  // A well-formed IPv4 frame of the DNS flow, to corrupt below.
  auto dns_frame = [&](std::uint16_t id) {
    Bytes l4 = udp(device.ip, server.ip, 40040, 53, dns_query(id, name, DnsType::kA));
    return ethernet(kRouterMac, device.mac, kEtherTypeIpv4,
                    ipv4(device.ip, server.ip, kProtoUdp, l4, with_id(id)));
  };
  constexpr std::size_t kIp = 14;  // IPv4 header offset in an untagged frame

  // 1 good: query.
  dns.udp(ms(0), kOut, dns_query(0x2401, name, DnsType::kA));
  // 2 bad: captured only 20 bytes: 6 bytes of the IPv4 header.
  cap.add_truncated(ms(10), dns_frame(0x2402), 20);
  // 3 bad: IPv4 total length 200, but only 61 IP bytes are in the frame.
  Bytes too_long = dns_frame(0x2403);
  too_long[kIp + 2] = 0;
  too_long[kIp + 3] = 200;
  refresh_ipv4_checksum(too_long, kIp);
  cap.add(ms(20), too_long);
  // 4 good: response.
  dns.udp(ms(30), kIn,
          dns_response(0x2401, name, DnsType::kA, {{name, DnsType::kA, 300, "47.96.1.10"}}));
  // 5 bad: IHL 4 (16-byte header).
  Bytes short_ihl = dns_frame(0x2405);
  short_ihl[kIp] = 0x44;
  refresh_ipv4_checksum(short_ihl, kIp);
  cap.add(ms(40), short_ihl);
  // 6 bad: total length 16, less than the 20-byte header.
  Bytes short_total = dns_frame(0x2406);
  short_total[kIp + 2] = 0;
  short_total[kIp + 3] = 16;
  refresh_ipv4_checksum(short_total, kIp);
  cap.add(ms(50), short_total);
  // 7 bad: TCP data offset 15 (60 bytes) in a 20-byte segment.
  {
    TcpFields f;
    f.src_port = 50040;
    f.dst_port = 443;
    f.seq = 1;
    f.ack = 1;
    f.flags = kAck;
    Bytes seg = tcp(device.ip, server.ip, f, {});
    seg[12] = 0xf0;
    seg[16] = seg[17] = 0;
    std::uint16_t sum = transport_checksum(device.ip, server.ip, kProtoTcp, seg);
    seg[16] = static_cast<std::uint8_t>(sum >> 8);
    seg[17] = static_cast<std::uint8_t>(sum);
    cap.add(ms(60), ethernet(kRouterMac, device.mac, kEtherTypeIpv4,
                             ipv4(device.ip, server.ip, kProtoTcp, seg, with_id(0x2407))));
  }
  // 8 bad: IPv6 destination options header claiming 40 bytes; 8 are there.
  {
    Ipv6Extension opts = ipv6_destination_options();
    opts.bytes[1] = 4;
    Bytes packet = ipv6(ip("fd00:20::24"), ip("2001:db8:100::10"), kProtoNoNext, {}, {opts});
    cap.add(ms(70), ethernet(kRouterMac, device.mac, kEtherTypeIpv6, packet));
  }
  // 9 bad: an 802.1Q tag (VLAN 100, inner type IPv4) and nothing after it.
  cap.add(ms(80), ethernet(kRouterMac, device.mac, kEtherTypeIpv4, {}, {dot1q(100)}, false));
  // 10 not IP (not malformed): local experimental EtherType 0x88b5, 46 bytes.
  cap.add(ms(90), ethernet(kRouterMac, device.mac, 0x88b5, filler(46)));
  // 11 bad: an empty frame.
  cap.add(ms(100), Bytes{});
  // 12 good: a second query, for AAAA.
  dns.udp(ms(110), kOut, dns_query(0x240c, name, DnsType::kAaaa));
  cap.write(out / "malformed.pcap");
}

void write_other_proto(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  const Endpoint device{mac("44:19:b6:00:00:25"), ip("10.20.1.25")};
  // GRE carrying EtherType 0x88b5 so no tool decapsulates an inner packet.
  Flow tunnel(cap, device, remote("203.0.113.9"));
  tunnel.other(ms(0), kOut, kProtoGre, gre(0x88b5, filler(60, 1)));
  tunnel.other(ms(40), kIn, kProtoGre, gre(0x88b5, filler(60, 2)));
  tunnel.other(ms(80), kOut, kProtoGre, gre(0x88b5, filler(60, 3)));
  Flow ipsec(cap, device, remote("203.0.113.9"));
  ipsec.other(ms(500), kOut, kProtoEsp, esp(0x00001001, 1, filler(72, 4)));
  cap.write(out / "other_proto.pcap");
}

void write_dns_mixed(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  const Endpoint device{mac("44:19:b6:00:00:26"), ip("10.20.1.26")};

  Flow lookup(cap, device, kResolver, 40041, 53);
  lookup.udp(ms(0), kOut, dns_query(0x2601, "cam.example-cloud.cn", DnsType::kA));
  lookup.udp(ms(12), kIn,
             dns_response(0x2601, "cam.example-cloud.cn", DnsType::kA,
                          {{"cam.example-cloud.cn", DnsType::kCname, 3600, "edge.example-cdn.com"},
                           {"edge.example-cdn.com", DnsType::kA, 300, "47.96.1.20"}}));

  Flow tls(cap, device, remote("47.96.1.20"), 50040, 443);
  tls.tcp(ms(100), kOut, kSyn);
  tls.tcp(ms(130), kIn, kSyn | kAck);
  tls.tcp(ms(131), kOut, kAck);
  tls.tcp(ms(132), kOut, kPsh | kAck, tls_application_data(200));
  tls.tcp(ms(170), kIn, kPsh | kAck, tls_application_data(400));

  Flow tcp_dns(cap, device, kResolver, 50041, 53);
  tcp_dns.tcp(ms(1000), kOut, kSyn);
  tcp_dns.tcp(ms(1001), kIn, kSyn | kAck);
  tcp_dns.tcp(ms(1002), kOut, kAck);
  tcp_dns.tcp(ms(1003), kOut, kPsh | kAck,
              dns_over_tcp(dns_query(0x2602, "api.tcp-dns.example", DnsType::kA)));
  tcp_dns.tcp(ms(1020), kIn, kPsh | kAck,
              dns_over_tcp(dns_response(0x2602, "api.tcp-dns.example", DnsType::kA,
                                        {{"api.tcp-dns.example", DnsType::kA, 120, "18.130.5.7"}})));

  Flow quic(cap, device, remote("18.130.5.7"), 40042, 443);
  Bytes short_header{0x41};  // QUIC short header form, then opaque bytes
  Bytes out_payload = short_header;
  append(out_payload, filler(99, 1));
  Bytes in_payload = short_header;
  append(in_payload, filler(199, 2));
  quic.udp(ms(1100), kOut, out_payload);
  quic.udp(ms(1140), kIn, in_payload);
  cap.write(out / "dns_mixed.pcap");
}

// Defined with the sample site below.
void dns_lookup(Capture& cap, const Endpoint& client, const Endpoint& resolver,
                std::uint16_t port, std::int64_t at, std::uint16_t id, const std::string& name,
                const std::string& address, std::uint32_t ttl, std::int64_t rtt);

// ---- identify.pcap and rules_each.pcap (site 10.30.0.0/16) ------------------

// Device 10.30.0.NN with the locally administered MAC 02:30:00:00:00:NN
// (NN written as the same decimal digits in both).
Endpoint site30(int nn, std::string_view mac_text = {}) {
  std::string n = std::to_string(nn);
  std::string m = mac_text.empty() ? "02:30:00:00:00:" + n : std::string(mac_text);
  return {mac(m), ip("10.30.0." + n)};
}

const Endpoint kSite30Resolver = remote("10.30.0.1");  // also the router (same MAC)
const Endpoint kMdnsGroup{mac("01:00:5e:00:00:fb"), ip("224.0.0.251")};
const Endpoint kBroadcast{mac("ff:ff:ff:ff:ff:ff"), ip("255.255.255.255")};

// One NTP request out and its answer 30 ms later, from port 40000 + NN.
void ntp_exchange(Capture& cap, const Endpoint& device, std::uint16_t port, std::int64_t at) {
  Flow f(cap, device, remote("81.2.69.20"), port, 123);
  f.udp(at, kOut, ntp(false));
  f.udp(at + ms(30), kIn, ntp(true));
}

// Handshake, ClientHello (with SNI unless sni is empty), one 600-byte server
// record; the flow stays open. Five packets.
void tls_hello_exchange(Capture& cap, const Endpoint& device, std::uint16_t port,
                        const Endpoint& server, std::int64_t at, std::string_view sni) {
  Flow tls(cap, device, server, port, 443);
  tls.tcp(at, kOut, kSyn);
  tls.tcp(at + ms(30), kIn, kSyn | kAck);
  tls.tcp(at + ms(31), kOut, kAck);
  tls.tcp(at + ms(32), kOut, kPsh | kAck,
          sni.empty() ? tls_client_hello_without_sni() : tls_client_hello(sni));
  tls.tcp(at + ms(70), kIn, kPsh | kAck, tls_application_data(600));
}

// Each of .11 ... .22 is identified by exactly one signal; device .NN acts
// in the second starting at NN - 11 and sends its NTP request at +0.500.
void write_identify(const fs::path& out) {
  Capture cap(DLT_EN10MB, kSecondHourStart);
  auto ntp_at = [&cap](const Endpoint& device, int nn) {
    ntp_exchange(cap, device, static_cast<std::uint16_t>(40000 + nn), sec(nn - 11) + ms(500));
  };

  // .11: DHCP host name (a Hikvision camera model).
  const Endpoint dhcp_cam = site30(11);
  Flow dhcp(cap, dhcp_cam, kSite30Resolver, 68, 67);
  dhcp.udp(sec(0), kOut,
           dhcp_request({.xid = 0x02300011,
                         .client_mac = dhcp_cam.mac,
                         .client_ip = dhcp_cam.ip,
                         .requested_ip = {},
                         .hostname = "DS-2CD2043G0-I",
                         .vendor_class = "udhcp 1.22.1",
                         .parameter_list = {1, 3, 6, 12, 15, 28, 42}}));
  ntp_at(dhcp_cam, 11);

  // .12: mDNS announcement of an RTSP service.
  const Endpoint mdns_cam = site30(12);
  Flow mdns(cap, mdns_cam, kMdnsGroup, 5353, 5353);
  mdns.set_out_ttl(255);  // RFC 6762 11
  mdns.udp(sec(1), kOut,
           mdns_response({{.name = "_rtsp._tcp.local",
                           .type = kMdnsTypePtr,
                           .ttl = 4500,
                           .data = "Cam12._rtsp._tcp.local"}},
                         {{.name = "Cam12._rtsp._tcp.local",
                           .type = kMdnsTypeSrv,
                           .ttl = 120,
                           .cache_flush = true,
                           .data = "cam12.local",
                           .srv_port = 554},
                          {.name = "cam12.local",
                           .type = kMdnsTypeA,
                           .ttl = 120,
                           .cache_flush = true,
                           .data = "10.30.0.12"}}));
  ntp_at(mdns_cam, 12);

  // .13: SSDP NOTIFY with an IP camera SERVER string.
  const Endpoint ssdp_cam = site30(13);
  Flow ssdp(cap, ssdp_cam, kSsdpGroup, 1900, 1900);
  ssdp.udp(sec(2), kOut,
           ssdp_notify({.location = "http://10.30.0.13:80/desc.xml",
                        .notification_type = "upnp:rootdevice",
                        .usn = "uuid:5f3c0a13-0000-1000-8000-023000000013::upnp:rootdevice",
                        .server = "Linux/3.10 UPnP/1.0 IPCamera/1.0"}));
  ntp_at(ssdp_cam, 13);

  // .14: WS-Discovery ProbeMatch, answering the Probe of 10.30.0.50.
  const Endpoint onvif_cam = site30(14);
  const Endpoint prober = site30(50);
  Flow probe(cap, prober, kSsdpGroup, 40000, 3702);
  probe.udp(sec(3), kOut, ws_discovery_probe("5f3c0a50-0000-4000-8000-000000000001"));
  Flow match(cap, onvif_cam, prober, 3702, 40000);
  match.udp(sec(3) + ms(20), kOut,
            ws_discovery_probe_match(
                {.message_uuid = "5f3c0a14-0000-4000-8000-000000000001",
                 .relates_to_uuid = "5f3c0a50-0000-4000-8000-000000000001",
                 .endpoint_uuid = "5f3c0a14-0000-4000-8000-023000000014",
                 .scopes = "onvif://www.onvif.org/type/video_encoder "
                           "onvif://www.onvif.org/hardware/IPC-HFW1230S "
                           "onvif://www.onvif.org/name/Dahua",
                 .xaddrs = "http://10.30.0.14/onvif/device_service"}));
  ntp_at(onvif_cam, 14);

  // .15: Hikvision SADP hello from an NVR (DS-7608NI-K2).
  const Endpoint sadp_nvr = site30(15);
  Flow sadp(cap, sadp_nvr, kSsdpGroup, 37020, 37020);
  sadp.udp(sec(4), kOut,
           sadp_announcement({.uuid = "5f3c0a15-0000-1000-8000-023000000015",
                              .device_type = "30003",
                              .model = "DS-7608NI-K2",
                              .serial = "DS-7608NI-K20820261102CCRRJ00000015",
                              .mac = "02-30-00-00-00-15",
                              .ipv4 = "10.30.0.15",
                              .firmware = "V4.30.085"}));
  ntp_at(sadp_nvr, 15);

  // .16: Dahua DHIP discovery reply, broadcast.
  const Endpoint dahua_cam = site30(16);
  Flow dhip(cap, dahua_cam, kBroadcast, 37810, 37810);
  dhip.udp(sec(5), kOut,
           dahua_dhip(1, "{\"method\":\"client.notifyDevInfo\",\"params\":{\"deviceInfo\":{"
                         "\"DeviceClass\":\"IPC\",\"DeviceType\":\"IPC-HDW2431T\","
                         "\"SerialNo\":\"ABC123\",\"Vendor\":\"Dahua\"}}}"));
  ntp_at(dahua_cam, 16);

  // .17: TLS SNI of a camera vendor cloud, no DNS.
  const Endpoint sni_cam = site30(17);
  tls_hello_exchange(cap, sni_cam, 50017, remote("203.0.113.40"), sec(6), "dev.ezvizlife.com");
  ntp_at(sni_cam, 17);

  // .18: serves RTSP to 10.30.0.60.
  const Endpoint rtsp_cam = site30(18);
  const Endpoint viewer = site30(60);
  Flow rtsp(cap, viewer, rtsp_cam, 52018, 554);
  rtsp.tcp(sec(7), kOut, kSyn);
  rtsp.tcp(sec(7) + ms(1), kIn, kSyn | kAck);
  rtsp.tcp(sec(7) + ms(2), kOut, kAck);
  rtsp.tcp(sec(7) + ms(3), kOut, kPsh | kAck, rtsp_request("OPTIONS", "rtsp://10.30.0.18/", 1));
  rtsp.tcp(sec(7) + ms(10), kIn, kPsh | kAck,
           rtsp_reply(1, {{"Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"}}));
  rtsp.tcp(sec(7) + ms(11), kOut, kAck);
  ntp_at(rtsp_cam, 18);

  // .19: only its MAC (Hikvision OUI 44:19:b6).
  ntp_at(site30(19, "44:19:b6:00:00:19"), 19);

  // .20: only the inventory file knows it.
  ntp_at(site30(20), 20);

  // .21: resolves a Tuya (IoT cloud) name, then TLS without SNI.
  const Endpoint tuya = site30(21);
  dns_lookup(cap, tuya, kSite30Resolver, 41021, sec(10), 0x3021, "api.tuyaeu.com", "52.95.10.10",
             300, ms(12));
  tls_hello_exchange(cap, tuya, 50021, remote("52.95.10.10"), sec(10) + ms(100), "");
  ntp_at(tuya, 21);

  // .22: an ordinary PC (Intel MAC): DNS and TLS to the BBC.
  const Endpoint pc = site30(22, "00:1b:21:aa:bb:22");
  dns_lookup(cap, pc, kSite30Resolver, 41022, sec(11), 0x3022, "www.bbc.co.uk", "81.2.69.30", 300,
             ms(12));
  tls_hello_exchange(cap, pc, 50022, remote("81.2.69.30"), sec(11) + ms(100), "www.bbc.co.uk");
  ntp_at(pc, 22);

  cap.write(out / "identify.pcap");
}

// 100-byte UDP payloads: 2 out (at +0, +0.100), 1 in (+0.040). For port 443
// the first byte is 0x41 (QUIC short header form) so tshark reads it as QUIC.
void udp_two_one(Capture& cap, const Endpoint& device, std::uint16_t port, const Endpoint& server,
                 std::uint16_t server_port, std::int64_t at) {
  auto payload = [server_port](std::uint8_t seed) {
    if (server_port != 443) return filler(100, seed);
    Bytes b{0x41};
    append(b, filler(99, seed));
    return b;
  };
  Flow f(cap, device, server, port, server_port);
  f.udp(at, kOut, payload(1));
  f.udp(at + ms(40), kIn, payload(2));
  f.udp(at + ms(100), kOut, payload(3));
}

// Each alert rule alone; cameras are known only by the Hikvision OUI.
void write_rules_each(const fs::path& out) {
  Capture cap(DLT_EN10MB, kSecondHourStart);
  auto camera = [](int nn) {
    return site30(nn, "44:19:b6:00:00:" + std::to_string(nn));
  };
  // .31: CN address, network not watched -> country:CN + left-country:CN.
  udp_two_one(cap, camera(31), 40031, remote("1.80.1.1"), 9000, sec(0));
  // .32: Alibaba (AS45102) in GB -> network only.
  udp_two_one(cap, camera(32), 40032, remote("8.208.1.1"), 8800, sec(1));
  // .33: GB, non-cloud, but SNI of a camera vendor cloud -> domain only.
  tls_hello_exchange(cap, camera(33), 50033, remote("81.2.69.40"), sec(2),
                     "litedev.hik-connect.com");
  // .34: FR, AS64500 not watched -> left-country:FR (medium).
  udp_two_one(cap, camera(34), 40034, remote("203.0.113.50"), 5000, sec(3));
  // .35: AWS in GB -> public cloud (low).
  udp_two_one(cap, camera(35), 40035, remote("18.130.9.9"), 443, sec(4));
  // .36: asks a resolver abroad -> resolver-abroad + left-country:FR.
  dns_lookup(cap, camera(36), remote("203.0.113.53"), 40036, sec(5), 0x3036, "time.example.org",
             "81.2.69.50", 300, ms(25));
  // .37: no DNS at all, CN Alibaba -> flagged by the address alone.
  udp_two_one(cap, camera(37), 40037, remote("47.96.7.7"), 8000, sec(6));
  // .38: a PC (Intel MAC): CN Alibaba -> low; FR -> no alert.
  const Endpoint pc = site30(38, "00:1b:21:aa:bb:38");
  udp_two_one(cap, pc, 40038, remote("47.96.7.8"), 443, sec(7));
  udp_two_one(cap, pc, 40138, remote("203.0.113.51"), 443, sec(7) + ms(500));
  // .39: GB, non-cloud, port 123 -> no alert. Real 48-byte NTP packets (100
  // filler bytes would decode as a bogus NTP packet): 2 requests, 1 answer.
  Flow time(cap, camera(39), remote("81.2.69.60"), 40039, 123);
  time.udp(sec(8), kOut, ntp(false));
  time.udp(sec(8) + ms(40), kIn, ntp(true));
  time.udp(sec(8) + ms(100), kOut, ntp(false));
  cap.write(out / "rules_each.pcap");
}

// A white-label recorder (no camera vendor in its MAC) sends P2P traffic abroad,
// and only later serves RTSP to the NVR: its flow abroad is recorded before
// the sensor knows it is a camera. Both flows end with the capture, in the
// order they began.
void write_late_identify(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  Flow p2p(cap, kXiongmaiDvr, remote("47.254.10.20"), 40050, 8800);
  p2p.udp(ms(0), kOut, filler(44, 1));
  p2p.udp(ms(100), kIn, filler(60, 2));
  p2p.udp(ms(200), kOut, filler(44, 3));

  rtsp_options(cap, kXiongmaiDvr, "10.20.1.30", 52050, ms(2000));
  cap.write(out / "late_identify.pcap");
}

// An upload that ends at once: 1200 bytes of TLS data out, 100 back, both
// FINs, from `at` to `at` + 81 ms (8 packets).
void upload_and_close(Flow& upload, std::int64_t at) {
  upload.tcp(at, kOut, kSyn);
  upload.tcp(at + ms(20), kIn, kSyn | kAck);
  upload.tcp(at + ms(21), kOut, kAck);
  upload.tcp(at + ms(22), kOut, kPsh | kAck, tls_application_data(1200));
  upload.tcp(at + ms(60), kIn, kPsh | kAck, tls_application_data(100));
  upload.tcp(at + ms(61), kOut, kFin | kAck);
  upload.tcp(at + ms(80), kIn, kFin | kAck);
  upload.tcp(at + ms(81), kOut, kAck);
}

// A DHCP renewal (unicast to the router) in which the device names itself.
void dhcp_renewal(Capture& cap, const Endpoint& device, std::uint32_t xid, const std::string& hostname,
                  std::int64_t at) {
  Flow dhcp(cap, device, kResolver, 68, 67);
  dhcp.udp(at, kOut,
           dhcp_request({.xid = xid,
                         .client_mac = device.mac,
                         .client_ip = device.ip,
                         .requested_ip = {},
                         .hostname = hostname,
                         .vendor_class = {},
                         .parameter_list = {1, 3, 6}}));
}

// Identified late: `sender` uploads to `to` (port 443) from 0 to 81 ms, at 65 s
// `named` (the same device or another address of its box) names itself in a
// DHCP renewal, and at 66 s `sender` sends 100 bytes over UDP, 40 come back.
void upload_then_named(Capture& cap, const Endpoint& sender, const Endpoint& named, const Endpoint& to,
                       std::uint16_t upload_port, std::uint16_t later_port, std::uint32_t xid,
                       const std::string& hostname) {
  Flow upload(cap, sender, to, upload_port, 443);
  upload_and_close(upload, ms(0));

  dhcp_renewal(cap, named, xid, hostname, sec(65));

  Flow later(cap, sender, to, later_port, 443);
  later.udp(sec(66), kOut, filler(100, 1));
  later.udp(sec(66) + ms(40), kIn, filler(40, 2));
}

// A device identified after its first upload ended (its DHCP renewal comes a
// minute later and names it a camera): the stored upload is judged again and
// gets a late alert; the later flow to the same address is an alert at once.
void write_rejudge(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  const Endpoint camera{mac("02:00:00:00:00:40"), ip("10.20.1.40")};  // a MAC that names no maker
  upload_then_named(cap, camera, camera, remote("18.130.5.6"), 50040, 40041, 0x02010040, "front-camera");
  cap.write(out / "rejudge.pcap");
}

// One box, one device (SCENARIOS.md "boxes.pcap"): a camera's IPv6 flows are
// judged as the camera its IPv4 DHCP name makes it; a camera whose lease
// changes stays one device; the five routed addresses behind an L3 switch's
// MAC are five devices, not one box, and so are the two addresses behind a
// DHCP server's MAC.
void write_boxes(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  const Mac porch_mac = mac("02:00:00:00:00:50");  // locally administered: no maker, no kind
  const Endpoint porch4{porch_mac, ip("10.20.1.50")};
  const Endpoint porch6{porch_mac, ip("fd00:20::50")};
  const Mac garage_mac = mac("02:00:00:00:00:51");
  const Endpoint garage_old{garage_mac, ip("10.20.1.51")};
  const Endpoint garage_new{garage_mac, ip("10.20.1.61")};
  const Mac switch_mac = mac("00:00:5e:00:01:02");  // routes 10.40.0.0/24, not the Internet gateway
  const Endpoint syslog_server{mac("02:00:00:00:01:00"), ip("10.20.1.100")};

  // A. The porch camera uploads over IPv6, is named over IPv4 a minute later,
  // then sends over IPv6 again.
  upload_then_named(cap, porch6, porch4, remote("2001:db8:200::20"), 50050, 40050, 0x02010050, "porch-camera");

  // B. The garage camera is named on its first lease; its new lease sends
  // without naming itself again.
  dhcp_renewal(cap, garage_old, 0x02010051, "garage-camera", sec(100));
  Flow garage_first(cap, garage_old, remote("18.130.5.6"), 40051, 443);
  garage_first.udp(sec(101), kOut, filler(100, 3));
  garage_first.udp(sec(101) + ms(40), kIn, filler(40, 4));
  Flow garage_second(cap, garage_new, remote("18.130.5.6"), 40061, 443);
  garage_second.udp(sec(200), kOut, filler(100, 5));
  garage_second.udp(sec(200) + ms(40), kIn, filler(40, 6));

  // C. Routed: the NVR pulls RTSP from 10.40.0.11 (a camera), and .12 to .15
  // send syslog to a LAN server; every frame of theirs carries the switch's MAC.
  rtsp_options(cap, {switch_mac, ip("10.40.0.11")}, "10.40.0.11", 52011, sec(300));
  for (int host = 12; host <= 15; ++host) {
    std::string address = "10.40.0." + std::to_string(host);
    Flow log(cap, {switch_mac, ip(address)}, syslog_server, static_cast<std::uint16_t>(40000 + host), 514);
    log.udp(sec(301 + host - 12), kOut, filler(100, static_cast<std::uint8_t>(host)));
  }

  // D. A second router (its LAN address 10.20.1.254) answers the porch
  // camera's DHCP, and routes the NVR's RTSP to a camera in 10.50.0.0/24.
  const Mac router2_mac = mac("00:00:5e:00:01:03");
  const Endpoint router2{router2_mac, ip("10.20.1.254")};
  Bytes ack = dhcp_request({.xid = 0x02010052,
                            .client_mac = porch_mac,
                            .client_ip = ip("0.0.0.0"),
                            .requested_ip = {},
                            .hostname = "porch-camera",
                            .vendor_class = {},
                            .parameter_list = {1, 3, 6}});
  ack[0] = 2;  // BOOTREPLY
  std::copy(porch4.ip.octets.begin(), porch4.ip.octets.end(), ack.begin() + 16);  // yiaddr
  ack[240 + 2] = 5;  // DHCPACK (option 53 opens the options, after the magic cookie)
  Flow answer(cap, router2, porch4, 67, 68);
  answer.udp(sec(400), kOut, ack);
  rtsp_options(cap, {router2_mac, ip("10.50.0.70")}, "10.50.0.70", 52070, sec(401));
  cap.write(out / "boxes.pcap");
}

// DNS flows end 5 s (the closed timeout) after every query has its answer,
// not after the 60 s UDP timeout: a second lookup 10 s later from the same
// port is a flow of its own, while a lookup still waiting for its answer
// keeps its flow open across the same gap.
void write_dns_lifetime(const fs::path& out) {
  Capture cap(DLT_EN10MB);
  const Endpoint device{mac("44:19:b6:00:00:28"), ip("10.20.1.28")};
  const std::string name = "ntp.example.org";
  auto answer = [&](std::uint16_t id) {
    return dns_response(id, name, DnsType::kA, {{name, DnsType::kA, 300, "81.2.69.50"}});
  };

  Flow answered(cap, device, kResolver, 40060, 53);
  answered.udp(ms(0), kOut, dns_query(0x2801, name, DnsType::kA));
  answered.udp(ms(10), kIn, answer(0x2801));
  answered.udp(ms(2000), kIn, answer(0x2801));  // a late duplicate: within the 5 s
  answered.udp(ms(10000), kOut, dns_query(0x2802, name, DnsType::kA));
  answered.udp(ms(10010), kIn, answer(0x2802));

  Flow retried(cap, device, kResolver, 40061, 53);
  retried.udp(ms(500), kOut, dns_query(0x2803, name, DnsType::kA));  // never answered
  retried.udp(ms(8500), kOut, dns_query(0x2804, name, DnsType::kA));
  retried.udp(ms(8510), kIn, answer(0x2804));
  cap.write(out / "dns_lifetime.pcap");
}

void write_scenarios(const fs::path& out) {
  fs::create_directories(out);
  write_basic(out);
  write_first_inbound(out);
  write_vlan(out);
  write_vlan_oneway(out);
  write_ipv6(out);
  write_cooked(out / "sll.pcap", DLT_LINUX_SLL);
  write_cooked(out / "sll2.pcap", DLT_LINUX_SLL2);
  write_cooked(out / "raw.pcap", DLT_RAW);
  write_split(out);
  write_malformed(out);
  write_other_proto(out);
  write_dns_mixed(out);
  write_identify(out);
  write_rules_each(out);
  write_late_identify(out);
  write_dns_lifetime(out);
  write_rejudge(out);
  write_boxes(out);
}

// ---- sample site ----------------------------------------------------------------

// A DNS lookup of one A record through the given resolver.
void dns_lookup(Capture& cap, const Endpoint& client, const Endpoint& resolver,
                std::uint16_t port, std::int64_t at, std::uint16_t id, const std::string& name,
                const std::string& address, std::uint32_t ttl, std::int64_t rtt) {
  Flow f(cap, client, resolver, port, 53);
  f.udp(at, kOut, dns_query(id, name, DnsType::kA));
  f.udp(at + rtt, kIn, dns_response(id, name, DnsType::kA, {{name, DnsType::kA, ttl, address}}));
}

void sample_hikvision(Capture& cap) {
  Flow dhcp(cap, kHikCamera, kResolver, 68, 67);
  dhcp.udp(ms(0), kOut,
           dhcp_request({.xid = 0x4419b621,
                         .client_mac = kHikCamera.mac,
                         .client_ip = kHikCamera.ip,
                         .requested_ip = {},
                         .hostname = "DS-2CD2143G2-I",
                         .vendor_class = "udhcp 1.22.1",
                         .parameter_list = {1, 3, 6, 12, 15, 28, 42}}));

  Flow ssdp(cap, kHikCamera, kSsdpGroup, 1900, 1900);
  Flow sadp(cap, kHikCamera, kSsdpGroup, 37020, 37020);
  for (std::int64_t at : {ms(500), ms(30500)}) {
    ssdp.udp(at, kOut,
             ssdp_notify({.location = "http://10.20.1.21:49152/rootDesc.xml",
                          .notification_type = "upnp:rootdevice",
                          .usn = "uuid:a1b2c3d4-0000-1000-8000-4419b6000021::upnp:rootdevice",
                          .server = "Linux/3.0 UPnP/1.0 IPCamera/1.0"}));
    sadp.udp(at + ms(200), kOut,
             sadp_announcement({.uuid = "a1b2c3d4-0000-1000-8000-4419b6000021",
                                .device_type = "IPC",
                                .model = "DS-2CD2143G2-I",
                                .serial = "DS-2CD2143G2-I20261102AAWRJ00000021",
                                .mac = "44-19-b6-00-00-21",
                                .ipv4 = "10.20.1.21",
                                .firmware = "V5.7.3"}));
  }

  dns_lookup(cap, kHikCamera, kResolver, 40100, ms(1000), 0x2101, "litedev.hik-connect.com",
             "47.96.1.10", 600, ms(20));

  Flow tls(cap, kHikCamera, remote("47.96.1.10"), 50100, 443);
  tls.tcp(ms(1100), kOut, kSyn);
  tls.tcp(ms(1140), kIn, kSyn | kAck);
  tls.tcp(ms(1141), kOut, kAck);
  tls.tcp(ms(1142), kOut, kPsh | kAck, tls_client_hello("litedev.hik-connect.com"));
  tls.tcp(ms(1200), kIn, kAck, tls_application_data(1400));
  tls.tcp(ms(1201), kIn, kPsh | kAck, tls_application_data(1400));
  tls.tcp(ms(1202), kOut, kAck);
  for (std::int64_t s = 5; s <= 55; s += 10) {  // six status uploads
    tls.tcp(sec(s), kOut, kPsh | kAck, tls_application_data(600));
    tls.tcp(sec(s) + ms(60), kIn, kPsh | kAck, tls_application_data(400));
    tls.tcp(sec(s) + ms(61), kOut, kAck);
  }
}

void sample_dahua(Capture& cap) {
  const Endpoint cloud = remote("47.254.10.20");
  dns_lookup(cap, kDahuaCamera, kResolver, 40200, ms(2000), 0x2201, "www.easy4ipcloud.com",
             "47.254.10.20", 300, ms(15));

  Flow p2p(cap, kDahuaCamera, cloud, 40201, 8800);
  for (int k = 0; k < 12; ++k) {  // a keepalive every 5 s
    std::int64_t at = ms(2500) + sec(5 * k);
    p2p.udp(at, kOut, dahua_p2p(static_cast<std::uint8_t>(2 * k)));
    p2p.udp(at + ms(80), kIn, dahua_p2p(static_cast<std::uint8_t>(2 * k + 1)));
  }

  Flow tls(cap, kDahuaCamera, cloud, 50200, 443);
  tls.tcp(ms(3000), kOut, kSyn);
  tls.tcp(ms(3030), kIn, kSyn | kAck);
  tls.tcp(ms(3031), kOut, kAck);
  tls.tcp(ms(3032), kOut, kPsh | kAck, tls_client_hello("www.easy4ipcloud.com"));
  tls.tcp(ms(3070), kIn, kAck, tls_application_data(1400));
  tls.tcp(ms(3071), kIn, kPsh | kAck, tls_application_data(600));
  tls.tcp(ms(3072), kOut, kAck);
  tls.tcp(ms(3100), kOut, kPsh | kAck, tls_application_data(300));
  tls.tcp(ms(3140), kIn, kPsh | kAck, tls_application_data(200));
  tls.tcp(ms(3200), kOut, kFin | kAck);
  tls.tcp(ms(3230), kIn, kFin | kAck);
  tls.tcp(ms(3231), kOut, kAck);

  // ONVIF discovery answer to the NVR (its Probe is not in the capture).
  Flow onvif(cap, kDahuaCamera, kNvr, 3702, 40600);
  onvif.udp(ms(7000), kOut,
            ws_discovery_probe_match(
                {.message_uuid = "e0508b00-0022-4000-8000-000000000001",
                 .relates_to_uuid = "00112233-4455-4000-8000-000000000001",
                 .endpoint_uuid = "e0508b00-0022-4000-8000-e0508b000022",
                 .scopes = "onvif://www.onvif.org/type/video_encoder "
                           "onvif://www.onvif.org/hardware/IPC-HDW2431T",
                 .xaddrs = "http://10.20.1.22/onvif/device_service"}));
}

void sample_xiongmai(Capture& cap) {
  // Bypasses the site resolver and asks a public one directly.
  dns_lookup(cap, kXiongmaiDvr, remote("114.114.114.114"), 40300, ms(4000), 0x3001,
             "pub-cfg.secu100.net", "18.130.5.6", 600, ms(45));

  Flow cloud(cap, kXiongmaiDvr, remote("18.130.5.6"), 50300, 8086);
  cloud.tcp(ms(4100), kOut, kSyn);
  cloud.tcp(ms(4290), kIn, kSyn | kAck);
  cloud.tcp(ms(4291), kOut, kAck);
  for (std::int64_t at : {ms(4300), ms(34300)}) {
    cloud.tcp(at, kOut, kPsh | kAck, filler(180, 0xff));
    cloud.tcp(at + ms(180), kIn, kPsh | kAck, filler(120, 0xfe));
    cloud.tcp(at + ms(181), kOut, kAck);
  }
}

// NVR pulls a stream: DESCRIBE, then four interleaved RTP packets.
void sample_rtsp_pull(Capture& cap, const Endpoint& camera, const std::string& host,
                      std::uint16_t nvr_port, std::int64_t at) {
  Flow rtsp(cap, kNvr, camera, nvr_port, 554);
  std::string sdp =
      "v=0\r\n"
      "o=- 0 0 IN IP4 " + host + "\r\n"
      "s=Stream\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "t=0 0\r\n"
      "m=video 0 RTP/AVP 96\r\n"
      "a=rtpmap:96 H264/90000\r\n"
      "a=control:trackID=1\r\n";
  rtsp.tcp(at, kOut, kSyn);
  rtsp.tcp(at + ms(1), kIn, kSyn | kAck);
  rtsp.tcp(at + ms(2), kOut, kAck);
  rtsp.tcp(at + ms(3), kOut, kPsh | kAck,
           rtsp_request("DESCRIBE", "rtsp://" + host + "/", 2, {{"Accept", "application/sdp"}}));
  rtsp.tcp(at + ms(10), kIn, kPsh | kAck,
           rtsp_reply(2, {{"Content-Type", "application/sdp"}}, sdp));
  for (std::uint16_t i = 0; i < 4; ++i) {
    rtsp.tcp(at + ms(50 + 10 * i), kIn, kPsh | kAck,
             rtsp_interleaved_rtp(0, static_cast<std::uint16_t>(1000 + i), 90000u * i, 1384));
    if (i % 2 == 1) rtsp.tcp(at + ms(51 + 10 * i), kOut, kAck);
  }
}

void sample_nvr(Capture& cap) {
  sample_rtsp_pull(cap, kHikCamera, "10.20.1.21", 52100, ms(6000));
  sample_rtsp_pull(cap, kDahuaCamera, "10.20.1.22", 52101, ms(8000));

  Flow isapi(cap, kNvr, kHikCamera, 52200, 80);
  isapi.tcp(ms(9000), kOut, kSyn);
  isapi.tcp(ms(9001), kIn, kSyn | kAck);
  isapi.tcp(ms(9002), kOut, kAck);
  isapi.tcp(ms(9003), kOut, kPsh | kAck, http_get("10.20.1.21", "/ISAPI/System/deviceInfo"));
  isapi.tcp(ms(9020), kIn, kPsh | kAck,
            http_response(200, "OK", {{"Content-Type", "application/xml"}},
                          "<DeviceInfo><deviceName>Camera 01</deviceName>"
                          "<model>DS-2CD2143G2-I</model></DeviceInfo>"));
  isapi.tcp(ms(9030), kOut, kFin | kAck);
  isapi.tcp(ms(9031), kIn, kFin | kAck);
  isapi.tcp(ms(9032), kOut, kAck);
}

void sample_workstation(Capture& cap) {
  dns_lookup(cap, kWorkstation, kResolver, 40500, ms(10000), 0x5001, "www.gov.uk", "81.2.69.10",
             300, ms(12));
  Flow gov(cap, kWorkstation, remote("81.2.69.10"), 51500, 443);
  gov.tcp(ms(10100), kOut, kSyn);
  gov.tcp(ms(10120), kIn, kSyn | kAck);
  gov.tcp(ms(10121), kOut, kAck);
  gov.tcp(ms(10122), kOut, kPsh | kAck, tls_client_hello("www.gov.uk"));
  gov.tcp(ms(10150), kIn, kAck, tls_application_data(1400));
  gov.tcp(ms(10151), kIn, kPsh | kAck, tls_application_data(1000));
  gov.tcp(ms(10152), kOut, kAck);
  gov.tcp(ms(10200), kOut, kPsh | kAck, tls_application_data(400));
  gov.tcp(ms(10230), kIn, kAck, tls_application_data(1400));
  gov.tcp(ms(10231), kIn, kPsh | kAck, tls_application_data(1400));
  gov.tcp(ms(10232), kOut, kAck);
  gov.tcp(ms(12000), kOut, kFin | kAck);
  gov.tcp(ms(12020), kIn, kFin | kAck);
  gov.tcp(ms(12021), kOut, kAck);

  dns_lookup(cap, kWorkstation, kResolver, 40501, ms(20000), 0x5002, "www.service-public.fr",
             "203.0.113.9", 300, ms(15));
  Flow fr(cap, kWorkstation, remote("203.0.113.9"), 51501, 443);
  fr.tcp(ms(20100), kOut, kSyn);
  fr.tcp(ms(20125), kIn, kSyn | kAck);
  fr.tcp(ms(20126), kOut, kAck);
  fr.tcp(ms(20127), kOut, kPsh | kAck, tls_client_hello("www.service-public.fr"));
  fr.tcp(ms(20160), kIn, kPsh | kAck, tls_application_data(1400));
  fr.tcp(ms(20161), kOut, kAck);
  fr.tcp(ms(20200), kOut, kPsh | kAck, tls_application_data(200));
  fr.tcp(ms(20230), kIn, kPsh | kAck, tls_application_data(600));
  fr.tcp(ms(21000), kOut, kFin | kAck);
  fr.tcp(ms(21025), kIn, kFin | kAck);
  fr.tcp(ms(21026), kOut, kAck);
}

void write_sample(const fs::path& path) {
  Capture cap(DLT_EN10MB);
  sample_hikvision(cap);
  sample_dahua(cap);
  sample_xiongmai(cap);
  sample_nvr(cap);
  sample_workstation(cap);
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  cap.write(path);
}

int usage() {
  std::fprintf(stderr, "usage: capgen OUTDIR\n       capgen --sample FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && args[0] != "--sample" && args[0].rfind("-", 0) != 0) {
      write_scenarios(args[0]);
    } else if (args.size() == 2 && args[0] == "--sample") {
      write_sample(args[1]);
    } else {
      return usage();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "capgen: %s\n", e.what());
    return 1;
  }
  return 0;
}
