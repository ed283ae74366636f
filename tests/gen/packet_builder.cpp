#include "packet_builder.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace capgen {
namespace {

void put8(Bytes& out, std::uint8_t v) { out.push_back(v); }

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(Bytes& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

void set16(Bytes& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}

void put_text(Bytes& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }

std::uint16_t to_u16(std::size_t n) {
  if (n > 0xffff) throw std::length_error("field does not fit in 16 bits");
  return static_cast<std::uint16_t>(n);
}

// Deterministic filler: a repeating, recognisable byte pattern.
void put_filler(Bytes& out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(0x20 + i % 0x5f));
}

// Pads raw option bytes with EOL (0) to a multiple of four.
Bytes pad_to_4(ByteView options) {
  Bytes out(options.begin(), options.end());
  while (out.size() % 4 != 0) out.push_back(0);
  return out;
}

// Hop-by-hop and destination options share one layout: next header, length
// in 8-byte units minus one, then TLV options padded with Pad1/PadN.
Ipv6Extension options_extension(std::uint8_t type, ByteView options) {
  Bytes h{0, 0};
  append(h, options);
  std::size_t pad = (8 - h.size() % 8) % 8;
  if (pad == 1) {
    put8(h, 0);  // Pad1
  } else if (pad >= 2) {
    put8(h, 1);  // PadN
    put8(h, static_cast<std::uint8_t>(pad - 2));
    h.insert(h.end(), pad - 2, 0);
  }
  h[1] = static_cast<std::uint8_t>(h.size() / 8 - 1);
  return {type, h};
}

// "start line CRLF (name: value CRLF)* CRLF body", with Content-Length when
// there is a body. Shared by HTTP, RTSP and SSDP.
Bytes text_message(std::string_view start_line, const Headers& headers, std::string_view body) {
  std::string s(start_line);
  s += "\r\n";
  for (const auto& [name, value] : headers) s += name + ": " + value + "\r\n";
  if (!body.empty()) s += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  s += "\r\n";
  s += body;
  return to_bytes(s);
}

// Writes domain names, compressing any suffix that is already in the message.
class DnsNameWriter {
 public:
  void write(Bytes& msg, std::string_view name) {
    std::vector<std::string> labels;
    std::size_t start = 0;
    while (start < name.size()) {
      std::size_t dot = name.find('.', start);
      if (dot == std::string_view::npos) dot = name.size();
      labels.emplace_back(name.substr(start, dot - start));
      start = dot + 1;
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
      std::string suffix = lower(join(labels, i));
      if (auto it = offsets_.find(suffix); it != offsets_.end()) {
        put16(msg, static_cast<std::uint16_t>(0xc000 | it->second));
        return;
      }
      if (msg.size() < 0x4000) offsets_.emplace(suffix, static_cast<std::uint16_t>(msg.size()));
      if (labels[i].empty() || labels[i].size() > 63) throw std::invalid_argument("bad DNS label");
      put8(msg, static_cast<std::uint8_t>(labels[i].size()));
      put_text(msg, labels[i]);
    }
    put8(msg, 0);
  }

 private:
  static std::string join(const std::vector<std::string>& labels, std::size_t from) {
    std::string s;
    for (std::size_t i = from; i < labels.size(); ++i) s += (i == from ? "" : ".") + labels[i];
    return s;
  }
  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  }
  std::map<std::string, std::uint16_t> offsets_;
};

Bytes dns_header(std::uint16_t id, std::uint16_t flags, std::uint16_t answers) {
  Bytes h;
  put16(h, id);
  put16(h, flags);
  put16(h, 1);        // QDCOUNT
  put16(h, answers);  // ANCOUNT
  put16(h, 0);        // NSCOUNT
  put16(h, 0);        // ARCOUNT
  return h;
}

void put_question(Bytes& msg, DnsNameWriter& names, std::string_view name, DnsType type) {
  names.write(msg, name);
  put16(msg, static_cast<std::uint16_t>(type));
  put16(msg, 1);  // class IN
}

void put_dhcp_option(Bytes& out, std::uint8_t code, ByteView value) {
  put8(out, code);
  put8(out, static_cast<std::uint8_t>(value.size()));
  append(out, value);
}

// Extension 43, supported_versions: TLS 1.3, TLS 1.2.
void put_supported_versions(Bytes& extensions) {
  put16(extensions, 0x002b);
  put16(extensions, 5);
  put8(extensions, 4);
  put16(extensions, 0x0304);
  put16(extensions, 0x0303);
}

// A TLS 1.2 record holding a ClientHello with three cipher suites and these
// extensions; its 32 random bytes count up from random_start.
Bytes client_hello_record(ByteView extensions, std::uint8_t random_start) {
  Bytes hello;
  put16(hello, 0x0303);  // legacy_version
  for (int i = 0; i < 32; ++i) put8(hello, static_cast<std::uint8_t>(random_start + i));  // random
  put8(hello, 0);  // empty session id
  put16(hello, 6);
  put16(hello, 0x1301);  // TLS_AES_128_GCM_SHA256
  put16(hello, 0x1302);  // TLS_AES_256_GCM_SHA384
  put16(hello, 0xc02f);  // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  put8(hello, 1);        // one compression method: null
  put8(hello, 0);
  put16(hello, to_u16(extensions.size()));
  append(hello, extensions);

  Bytes record;
  put8(record, 22);  // handshake
  put16(record, 0x0301);
  put16(record, to_u16(hello.size() + 4));
  put8(record, 1);  // client_hello
  put8(record, 0);
  put16(record, to_u16(hello.size()));
  append(record, hello);
  return record;
}

}  // namespace

Bytes to_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

// ---- addresses -------------------------------------------------------------

Mac mac(std::string_view text) {
  Mac m;
  unsigned v[6];
  std::string s(text);
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4],
                  &v[5]) != 6) {
    throw std::invalid_argument("bad MAC: " + s);
  }
  for (int i = 0; i < 6; ++i) m.octets[i] = static_cast<std::uint8_t>(v[i]);
  return m;
}

Ip ip(std::string_view text) {
  std::string s(text);
  Ip a;
  bool v6 = s.find(':') != std::string::npos;
  a.octets.resize(v6 ? 16 : 4);
  if (inet_pton(v6 ? AF_INET6 : AF_INET, s.c_str(), a.octets.data()) != 1) {
    throw std::invalid_argument("bad IP address: " + s);
  }
  return a;
}

// ---- link layer ------------------------------------------------------------

VlanTag dot1q(std::uint16_t vid) { return {kTpid8021Q, vid, 0}; }
VlanTag qinq_outer(std::uint16_t vid) { return {kTpid8021ad, vid, 0}; }

std::uint16_t ethertype_of(ByteView ip_packet) {
  if (ip_packet.empty()) throw std::invalid_argument("empty IP packet");
  return (ip_packet[0] >> 4) == 6 ? kEtherTypeIpv6 : kEtherTypeIpv4;
}

Bytes ethernet(const Mac& dst, const Mac& src, std::uint16_t ethertype, ByteView payload,
               const std::vector<VlanTag>& tags, bool pad) {
  Bytes f(dst.octets.begin(), dst.octets.end());
  f.insert(f.end(), src.octets.begin(), src.octets.end());
  for (const VlanTag& tag : tags) {
    put16(f, tag.tpid);
    put16(f, static_cast<std::uint16_t>((tag.pcp & 0x7) << 13 | (tag.vid & 0x0fff)));
  }
  put16(f, ethertype);
  append(f, payload);
  if (pad && f.size() < 60) f.resize(60, 0);
  return f;
}

Bytes linux_sll(SllPacketType type, const Mac& addr, std::uint16_t protocol, ByteView payload) {
  Bytes h;
  put16(h, static_cast<std::uint16_t>(type));
  put16(h, 1);  // ARPHRD_ETHER
  put16(h, 6);  // address length
  h.insert(h.end(), addr.octets.begin(), addr.octets.end());
  put16(h, 0);  // address field is 8 bytes
  put16(h, protocol);
  append(h, payload);
  return h;
}

Bytes linux_sll2(SllPacketType type, std::uint32_t ifindex, const Mac& addr,
                 std::uint16_t protocol, ByteView payload) {
  Bytes h;
  put16(h, protocol);
  put16(h, 0);  // reserved
  put32(h, ifindex);
  put16(h, 1);  // ARPHRD_ETHER
  put8(h, static_cast<std::uint8_t>(type));
  put8(h, 6);   // address length
  h.insert(h.end(), addr.octets.begin(), addr.octets.end());
  put16(h, 0);  // address field is 8 bytes
  append(h, payload);
  return h;
}

// ---- network layer ---------------------------------------------------------

std::uint16_t internet_checksum(ByteView data, std::uint32_t partial_sum) {
  std::uint64_t sum = partial_sum;
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.size() % 2 != 0) sum += data.back() << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint16_t transport_checksum(const Ip& src, const Ip& dst, std::uint8_t protocol,
                                 ByteView segment) {
  Bytes pseudo = src.octets;
  append(pseudo, dst.octets);
  if (src.is_v6()) {
    put32(pseudo, static_cast<std::uint32_t>(segment.size()));
    put32(pseudo, protocol);  // three zero bytes, then next header
  } else {
    put8(pseudo, 0);
    put8(pseudo, protocol);
    put16(pseudo, to_u16(segment.size()));
  }
  append(pseudo, segment);
  return internet_checksum(pseudo);
}

Bytes ipv4(const Ip& src, const Ip& dst, std::uint8_t protocol, ByteView payload,
           const Ipv4Fields& fields) {
  if (src.is_v6() || dst.is_v6()) throw std::invalid_argument("ipv4() needs IPv4 addresses");
  Bytes options = pad_to_4(fields.options);
  std::size_t header_len = 20 + options.size();
  if (header_len > 60) throw std::length_error("IPv4 options too long");
  Bytes p;
  put8(p, static_cast<std::uint8_t>(0x40 | header_len / 4));
  put8(p, 0);  // DSCP/ECN
  put16(p, to_u16(header_len + payload.size()));
  put16(p, fields.id);
  put16(p, fields.dont_fragment ? 0x4000 : 0);
  put8(p, fields.ttl);
  put8(p, protocol);
  put16(p, 0);  // checksum, below
  append(p, src.octets);
  append(p, dst.octets);
  append(p, options);
  set16(p, 10, internet_checksum(p));
  append(p, payload);
  return p;
}

Ipv6Extension ipv6_hop_by_hop(ByteView options) {
  return options_extension(kProtoHopByHop, options);
}

Ipv6Extension ipv6_destination_options(ByteView options) {
  return options_extension(kProtoDestOptions, options);
}

Ipv6Extension ipv6_routing(const std::vector<Ip>& segments, std::uint8_t segments_left) {
  if (segments.empty()) throw std::invalid_argument("routing header needs segments");
  Bytes h;
  put8(h, 0);
  put8(h, static_cast<std::uint8_t>(2 * segments.size()));  // 8-byte units after the first 8
  put8(h, 4);  // routing type 4: segment routing header
  put8(h, segments_left);
  put8(h, static_cast<std::uint8_t>(segments.size() - 1));  // last entry
  put8(h, 0);   // flags
  put16(h, 0);  // tag
  for (const Ip& s : segments) append(h, s.octets);
  return {kProtoRouting, h};
}

Ipv6Extension ipv6_fragment(std::uint16_t offset_units, bool more_fragments,
                            std::uint32_t identification) {
  Bytes h;
  put8(h, 0);
  put8(h, 0);  // reserved
  put16(h, static_cast<std::uint16_t>(offset_units << 3 | (more_fragments ? 1 : 0)));
  put32(h, identification);
  return {kProtoFragment, h};
}

Bytes ipv6(const Ip& src, const Ip& dst, std::uint8_t protocol, ByteView payload,
           const std::vector<Ipv6Extension>& extensions, std::uint8_t hop_limit) {
  if (!src.is_v6() || !dst.is_v6()) throw std::invalid_argument("ipv6() needs IPv6 addresses");
  Bytes chain;
  for (std::size_t i = 0; i < extensions.size(); ++i) {
    Bytes h = extensions[i].bytes;
    h[0] = i + 1 < extensions.size() ? extensions[i + 1].type : protocol;
    append(chain, h);
  }
  Bytes p;
  put32(p, 0x60000000);  // version 6, traffic class 0, flow label 0
  put16(p, to_u16(chain.size() + payload.size()));
  put8(p, extensions.empty() ? protocol : extensions.front().type);
  put8(p, hop_limit);
  append(p, src.octets);
  append(p, dst.octets);
  append(p, chain);
  append(p, payload);
  return p;
}

// ---- transport layer -------------------------------------------------------

Bytes tcp_syn_options(std::uint16_t mss, std::uint8_t window_scale) {
  Bytes o{2, 4};  // MSS
  put16(o, mss);
  put8(o, 1);  // NOP
  put8(o, 3);  // window scale
  put8(o, 3);
  put8(o, window_scale);
  put8(o, 1);  // NOP
  put8(o, 1);  // NOP
  put8(o, 4);  // SACK permitted
  put8(o, 2);
  return o;
}

Bytes tcp(const Ip& src, const Ip& dst, const TcpFields& fields, ByteView payload) {
  Bytes options = pad_to_4(fields.options);
  std::size_t header_len = 20 + options.size();
  if (header_len > 60) throw std::length_error("TCP options too long");
  Bytes s;
  put16(s, fields.src_port);
  put16(s, fields.dst_port);
  put32(s, fields.seq);
  put32(s, fields.ack);
  put8(s, static_cast<std::uint8_t>(header_len / 4 << 4));
  put8(s, fields.flags);
  put16(s, fields.window);
  put16(s, 0);  // checksum, below
  put16(s, 0);  // urgent pointer
  append(s, options);
  append(s, payload);
  set16(s, 16, transport_checksum(src, dst, kProtoTcp, s));
  return s;
}

Bytes udp(const Ip& src, const Ip& dst, std::uint16_t src_port, std::uint16_t dst_port,
          ByteView payload) {
  Bytes s;
  put16(s, src_port);
  put16(s, dst_port);
  put16(s, to_u16(8 + payload.size()));
  put16(s, 0);  // checksum, below
  append(s, payload);
  std::uint16_t sum = transport_checksum(src, dst, kProtoUdp, s);
  set16(s, 6, sum == 0 ? 0xffff : sum);
  return s;
}

Bytes icmp_echo(bool reply, std::uint16_t id, std::uint16_t seq, ByteView data) {
  Bytes m;
  put8(m, reply ? 0 : 8);
  put8(m, 0);
  put16(m, 0);  // checksum, below
  put16(m, id);
  put16(m, seq);
  append(m, data);
  set16(m, 2, internet_checksum(m));
  return m;
}

Bytes icmpv6_echo(const Ip& src, const Ip& dst, bool reply, std::uint16_t id,
                  std::uint16_t seq, ByteView data) {
  Bytes m;
  put8(m, reply ? 129 : 128);
  put8(m, 0);
  put16(m, 0);  // checksum, below
  put16(m, id);
  put16(m, seq);
  append(m, data);
  set16(m, 2, transport_checksum(src, dst, kProtoIcmpv6, m));
  return m;
}

Bytes gre(std::uint16_t protocol_type, ByteView payload) {
  Bytes g;
  put16(g, 0);  // no checksum, key or sequence; version 0
  put16(g, protocol_type);
  append(g, payload);
  return g;
}

Bytes esp(std::uint32_t spi, std::uint32_t seq, ByteView encrypted) {
  Bytes e;
  put32(e, spi);
  put32(e, seq);
  append(e, encrypted);
  return e;
}

// ---- application payloads --------------------------------------------------

Bytes dns_query(std::uint16_t id, std::string_view name, DnsType type) {
  Bytes msg = dns_header(id, 0x0100, 0);  // standard query, recursion desired
  DnsNameWriter names;
  put_question(msg, names, name, type);
  return msg;
}

Bytes dns_response(std::uint16_t id, std::string_view name, DnsType type,
                   const std::vector<DnsRecord>& answers) {
  Bytes msg = dns_header(id, 0x8180, to_u16(answers.size()));  // response, RD, RA, NOERROR
  DnsNameWriter names;
  put_question(msg, names, name, type);
  for (const DnsRecord& rr : answers) {
    names.write(msg, rr.name);
    put16(msg, static_cast<std::uint16_t>(rr.type));
    put16(msg, 1);  // class IN
    put32(msg, rr.ttl);
    std::size_t length_at = msg.size();
    put16(msg, 0);  // RDLENGTH, below
    if (rr.type == DnsType::kCname) {
      names.write(msg, rr.data);
    } else {
      append(msg, ip(rr.data).octets);
    }
    set16(msg, length_at, to_u16(msg.size() - length_at - 2));
  }
  return msg;
}

Bytes dns_over_tcp(ByteView message) {
  Bytes out;
  put16(out, to_u16(message.size()));
  append(out, message);
  return out;
}

Bytes tls_client_hello(std::string_view sni) {
  Bytes server_name;  // extension 0: one host_name entry
  put16(server_name, to_u16(sni.size() + 3));
  put8(server_name, 0);  // host_name
  put16(server_name, to_u16(sni.size()));
  put_text(server_name, sni);

  Bytes extensions;
  put16(extensions, 0x0000);  // server_name
  put16(extensions, to_u16(server_name.size()));
  append(extensions, server_name);
  put_supported_versions(extensions);
  return client_hello_record(extensions, 0);
}

Bytes tls_application_data(std::size_t record_size) {
  if (record_size < 5) throw std::invalid_argument("TLS record needs 5 header bytes");
  Bytes record;
  put8(record, 23);  // application_data
  put16(record, 0x0303);
  put16(record, to_u16(record_size - 5));
  put_filler(record, record_size - 5);
  return record;
}

Bytes dhcp_request(const DhcpRequest& r) {
  Bytes m;
  put8(m, 1);  // BOOTREQUEST
  put8(m, 1);  // htype Ethernet
  put8(m, 6);  // hlen
  put8(m, 0);  // hops
  put32(m, r.xid);
  put16(m, 0);  // secs
  put16(m, 0);  // flags
  Bytes ciaddr = r.client_ip.octets.empty() ? Bytes(4, 0) : r.client_ip.octets;
  append(m, ciaddr);
  m.insert(m.end(), 12, 0);  // yiaddr, siaddr, giaddr
  m.insert(m.end(), r.client_mac.octets.begin(), r.client_mac.octets.end());
  m.insert(m.end(), 10 + 64 + 128, 0);  // chaddr padding, sname, file
  put32(m, 0x63825363);                  // magic cookie

  put_dhcp_option(m, 53, Bytes{3});  // DHCPREQUEST
  Bytes client_id{1};                // hardware type Ethernet + MAC
  client_id.insert(client_id.end(), r.client_mac.octets.begin(), r.client_mac.octets.end());
  put_dhcp_option(m, 61, client_id);
  if (r.requested_ip) put_dhcp_option(m, 50, r.requested_ip->octets);
  put_dhcp_option(m, 12, to_bytes(r.hostname));
  put_dhcp_option(m, 60, to_bytes(r.vendor_class));
  put_dhcp_option(m, 55, r.parameter_list);
  put8(m, 255);  // end
  if (m.size() < 300) m.resize(300, 0);
  return m;
}

Bytes http_get(std::string_view host, std::string_view path, const Headers& extra) {
  Headers headers{{"Host", std::string(host)}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return text_message("GET " + std::string(path) + " HTTP/1.1", headers, {});
}

Bytes http_response(int status, std::string_view reason, const Headers& headers,
                    std::string_view body) {
  return text_message("HTTP/1.1 " + std::to_string(status) + " " + std::string(reason), headers,
                      body);
}

Bytes rtsp_request(std::string_view method, std::string_view url, int cseq, const Headers& extra) {
  Headers headers{{"CSeq", std::to_string(cseq)}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return text_message(std::string(method) + " " + std::string(url) + " RTSP/1.0", headers, {});
}

Bytes rtsp_reply(int cseq, const Headers& extra, std::string_view body) {
  Headers headers{{"CSeq", std::to_string(cseq)}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return text_message("RTSP/1.0 200 OK", headers, body);
}

Bytes rtsp_interleaved_rtp(std::uint8_t channel, std::uint16_t rtp_seq,
                           std::uint32_t rtp_timestamp, std::size_t rtp_payload_size) {
  Bytes f;
  put8(f, '$');
  put8(f, channel);
  put16(f, to_u16(12 + rtp_payload_size));
  put8(f, 0x80);  // RTP version 2
  put8(f, 96);    // dynamic payload type (H.264 in the SDP)
  put16(f, rtp_seq);
  put32(f, rtp_timestamp);
  put32(f, 0x4419b621);  // SSRC
  put_filler(f, rtp_payload_size);
  return f;
}

Bytes ssdp_notify(const SsdpNotify& n) {
  return text_message("NOTIFY * HTTP/1.1",
                      {{"HOST", "239.255.255.250:1900"},
                       {"CACHE-CONTROL", "max-age=" + std::to_string(n.max_age)},
                       {"LOCATION", n.location},
                       {"NT", n.notification_type},
                       {"NTS", "ssdp:alive"},
                       {"SERVER", n.server},
                       {"USN", n.usn}},
                      {});
}

Bytes ws_discovery_probe_match(const WsDiscoveryMatch& m) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
      " xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
      " xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\""
      " xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
      "<s:Header>"
      "<a:MessageID>urn:uuid:" + m.message_uuid + "</a:MessageID>"
      "<a:RelatesTo>urn:uuid:" + m.relates_to_uuid + "</a:RelatesTo>"
      "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
      "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>"
      "</s:Header>"
      "<s:Body><d:ProbeMatches><d:ProbeMatch>"
      "<a:EndpointReference><a:Address>urn:uuid:" + m.endpoint_uuid +
      "</a:Address></a:EndpointReference>"
      "<d:Types>dn:NetworkVideoTransmitter</d:Types>"
      "<d:Scopes>" + m.scopes + "</d:Scopes>"
      "<d:XAddrs>" + m.xaddrs + "</d:XAddrs>"
      "<d:MetadataVersion>1</d:MetadataVersion>"
      "</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>";
  return to_bytes(xml);
}

Bytes sadp_announcement(const SadpAnnouncement& a) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ProbeMatch>"
      "<Uuid>" + a.uuid + "</Uuid>"
      "<Types>hello</Types>"
      "<DeviceType>" + a.device_type + "</DeviceType>"
      "<DeviceDescription>" + a.model + "</DeviceDescription>"
      "<DeviceSN>" + a.serial + "</DeviceSN>"
      "<MAC>" + a.mac + "</MAC>"
      "<IPv4Address>" + a.ipv4 + "</IPv4Address>"
      "<SoftwareVersion>" + a.firmware + "</SoftwareVersion>"
      "</ProbeMatch>";
  return to_bytes(xml);
}

}  // namespace capgen

// ---- additions: payloads for identify.pcap and rules_each.pcap -------------

namespace capgen {

Bytes tls_client_hello_without_sni() {
  Bytes extensions;
  put_supported_versions(extensions);
  return client_hello_record(extensions, 0x40);
}

Bytes mdns_response(const std::vector<MdnsRecord>& answers,
                    const std::vector<MdnsRecord>& additionals) {
  Bytes msg;
  put16(msg, 0);       // ID: always 0 in multicast responses
  put16(msg, 0x8400);  // response, authoritative answer
  put16(msg, 0);       // QDCOUNT
  put16(msg, to_u16(answers.size()));
  put16(msg, 0);       // NSCOUNT
  put16(msg, to_u16(additionals.size()));
  DnsNameWriter names;
  auto put_record = [&](const MdnsRecord& rr) {
    names.write(msg, rr.name);
    put16(msg, rr.type);
    put16(msg, static_cast<std::uint16_t>(rr.cache_flush ? 0x8001 : 0x0001));  // class IN
    put32(msg, rr.ttl);
    std::size_t length_at = msg.size();
    put16(msg, 0);  // RDLENGTH, below
    switch (rr.type) {
      case kMdnsTypeA:
        append(msg, ip(rr.data).octets);
        break;
      case kMdnsTypePtr:
        names.write(msg, rr.data);
        break;
      case kMdnsTypeSrv:
        put16(msg, 0);  // priority
        put16(msg, 0);  // weight
        put16(msg, rr.srv_port);
        names.write(msg, rr.data);
        break;
      default:
        throw std::invalid_argument("mdns_response: unsupported record type");
    }
    set16(msg, length_at, to_u16(msg.size() - length_at - 2));
  };
  for (const MdnsRecord& rr : answers) put_record(rr);
  for (const MdnsRecord& rr : additionals) put_record(rr);
  return msg;
}

Bytes ws_discovery_probe(std::string_view message_uuid) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
      " xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
      " xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\""
      " xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
      "<s:Header>"
      "<a:MessageID>urn:uuid:" + std::string(message_uuid) + "</a:MessageID>"
      "<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"
      "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>"
      "</s:Header>"
      "<s:Body><d:Probe>"
      "<d:Types>dn:NetworkVideoTransmitter</d:Types>"
      "</d:Probe></s:Body></s:Envelope>";
  return to_bytes(xml);
}

Bytes dahua_dhip(std::uint32_t request_id, std::string_view json) {
  auto put32le = [](Bytes& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  auto body_length = static_cast<std::uint32_t>(json.size());
  Bytes m;
  put32le(m, 0x20);  // header length
  put_text(m, "DHIP");
  put32le(m, 0);  // session id
  put32le(m, request_id);
  put32le(m, body_length);
  put32le(m, 0);
  put32le(m, body_length);
  put32le(m, 0);
  put_text(m, json);
  return m;
}

}  // namespace capgen
