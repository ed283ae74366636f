#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "egresswatch/dns_message.hpp"

using namespace egresswatch;

namespace {

using Bytes = std::vector<uint8_t>;

// Made by tests/gen/packet_builder (capgen's CNAME chain, scenario 9 layout):
// cam.example-cloud.cn A? -> CNAME edge.example-cdn.com (TTL 3600), whose A
// owner is a pointer into the CNAME's RDATA -> 18.130.5.7 (TTL 60).
const uint8_t kCnameChain[] = {
    0x09, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x63, 0x61, 0x6d, 0x0d, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x2d, 0x63, 0x6c, 0x6f, 0x75, 0x64, 0x02, 0x63, 0x6e, 0x00, 0x00, 0x01,
    0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
    0x00, 0x16, 0x04, 0x65, 0x64, 0x67, 0x65, 0x0b, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x2d, 0x63, 0x64, 0x6e, 0x03, 0x63, 0x6f, 0x6d, 0x00,
    0xc0, 0x32, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
    0x12, 0x82, 0x05, 0x07,
};

// packet_builder: dev.example.net AAAA 2001:db8::21, TTL 300.
const uint8_t kAaaa[] = {
    0x09, 0x02, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x64, 0x65, 0x76, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x6e, 0x65, 0x74, 0x00, 0x00, 0x1c, 0x00, 0x01, 0xc0, 0x0c, 0x00,
    0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x10, 0x20, 0x01, 0x0d,
    0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x21,
};

// packet_builder dns_over_tcp(): 2-byte length 0x0035, then api.tcp-dns.example
// A 18.130.5.6, TTL 120.
const uint8_t kTcpFramed[] = {
    0x00, 0x35, 0x09, 0x03, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x03, 0x61, 0x70, 0x69, 0x07, 0x74, 0x63, 0x70, 0x2d, 0x64,
    0x6e, 0x73, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x00, 0x00,
    0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x78, 0x00, 0x04, 0x12, 0x82, 0x05, 0x06,
};

// A small DNS writer for hand-built messages. Names are written uncompressed
// unless a pointer is asked for explicitly.
struct Dns {
    Bytes b;
    Dns(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0) {
        for (uint16_t v : {id, flags, qd, an, ns, ar}) u16(v);
    }
    Dns& u8(uint8_t v) { b.push_back(v); return *this; }
    Dns& u16(uint16_t v) { b.push_back(v >> 8); b.push_back(v & 0xff); return *this; }
    Dns& u32(uint32_t v) { u16(v >> 16); return u16(v & 0xffff); }
    Dns& raw(std::initializer_list<uint8_t> v) { b.insert(b.end(), v); return *this; }
    Dns& labels(std::string_view dotted) {  // labels without the root
        size_t start = 0;
        while (start < dotted.size()) {
            size_t dot = dotted.find('.', start);
            if (dot == std::string_view::npos) dot = dotted.size();
            u8(static_cast<uint8_t>(dot - start));
            b.insert(b.end(), dotted.begin() + start, dotted.begin() + dot);
            start = dot + 1;
        }
        return *this;
    }
    Dns& name(std::string_view dotted) { return labels(dotted).u8(0); }
    Dns& pointer(uint16_t offset) { return u16(0xc000 | offset); }
    Dns& question(std::string_view n, uint16_t type, uint16_t cls = 1) { return name(n).u16(type).u16(cls); }
    // Type, class, TTL, then RDATA whose length is patched by end_rdata().
    size_t rr_head(uint16_t type, uint16_t cls, uint32_t ttl) {
        u16(type).u16(cls).u32(ttl).u16(0);
        return b.size();
    }
    Dns& end_rdata(size_t start) {
        size_t n = b.size() - start;
        b[start - 2] = static_cast<uint8_t>(n >> 8);
        b[start - 1] = static_cast<uint8_t>(n & 0xff);
        return *this;
    }
    size_t size() const { return b.size(); }
};

std::optional<DnsMessage> parse(const Bytes& b) { return parse_dns_message(b.data(), b.size()); }

}  // namespace

TEST_CASE("DNS: CNAME chain with a pointer into RDATA", "[dns]") {
    auto m = parse_dns_message(kCnameChain, sizeof kCnameChain);
    REQUIRE(m);
    CHECK(m->id == 0x0901);
    CHECK(m->is_response);
    CHECK(m->rcode == 0);
    CHECK(m->opcode == 0);
    CHECK_FALSE(m->truncated);
    CHECK(m->qname == "cam.example-cloud.cn");
    CHECK(m->qtype == dns_type::a);
    CHECK(m->complete);
    CHECK(m->parsed_length == sizeof kCnameChain);
    REQUIRE(m->answers.size() == 2);
    CHECK(m->answers[0].name == "cam.example-cloud.cn");
    CHECK(m->answers[0].type == dns_type::cname);
    CHECK(m->answers[0].ttl == 3600);
    CHECK(m->answers[0].target == "edge.example-cdn.com");
    CHECK(m->answers[1].name == "edge.example-cdn.com");
    CHECK(m->answers[1].type == dns_type::a);
    CHECK(m->answers[1].ttl == 60);
    CHECK(m->answers[1].address.to_string() == "18.130.5.7");
    CHECK(m->answers[1].address.is_v4);
    CHECK(dns_type_name(m->answers[0].type) == "CNAME");
    CHECK(dns_type_name(99) == "TYPE99");
}

TEST_CASE("DNS: AAAA answer and its TTL", "[dns]") {
    auto m = parse_dns_message(kAaaa, sizeof kAaaa);
    REQUIRE(m);
    CHECK(m->qname == "dev.example.net");
    CHECK(m->qtype == dns_type::aaaa);
    REQUIRE(m->answers.size() == 1);
    CHECK(m->answers[0].type == dns_type::aaaa);
    CHECK(m->answers[0].ttl == 300);
    CHECK_FALSE(m->answers[0].address.is_v4);
    CHECK(m->answers[0].address.to_string() == "2001:db8::21");
}

TEST_CASE("DNS: query, case folding, root name, header flags", "[dns]") {
    Dns q(0xbeef, 0x0100, 1, 0);
    q.question("WWW.Example.COM", dns_type::a);
    auto m = parse(q.b);
    REQUIRE(m);
    CHECK(m->id == 0xbeef);
    CHECK_FALSE(m->is_response);
    CHECK(m->qname == "www.example.com");
    CHECK(m->answers.empty());
    CHECK(m->complete);

    Dns root(1, 0x8183 | 0x0400 | 0x0200, 1, 0);  // NXDOMAIN, AA, TC
    root.u8(0).u16(dns_type::ns).u16(1);
    m = parse(root.b);
    REQUIRE(m);
    CHECK(m->qname.empty());
    CHECK(m->qtype == dns_type::ns);
    CHECK(m->rcode == 3);
    CHECK(m->authoritative);
    CHECK(m->truncated);

    Dns none(2, 0x8000, 0, 0);  // no question at all
    m = parse(none.b);
    REQUIRE(m);
    CHECK(m->qname.empty());
    CHECK(m->qtype == 0);
    CHECK(m->questions.empty());
}

TEST_CASE("DNS: label bytes that need escaping", "[dns]") {
    Dns q(1, 0, 1, 0);
    q.raw({5, 'a', '.', 'B', ' ', 0xc3, 3, 'c', '\\', 'd', 0}).u16(dns_type::ptr).u16(1);
    auto m = parse(q.b);
    REQUIRE(m);
    CHECK(m->qname == "a\\.b\\032\\195.c\\\\d");
}

TEST_CASE("DNS: compression pointers, chains of them, and loops", "[dns]") {
    SECTION("pointer to a pointer, backwards each time") {
        Dns r(1, 0x8180, 1, 2);
        r.question("example.com", dns_type::a);  // name at 12
        size_t www = r.size();
        r.labels("www").pointer(12);              // www.example.com
        size_t rd = r.rr_head(dns_type::cname, 1, 10);
        r.labels("cdn").pointer(static_cast<uint16_t>(www)).end_rdata(rd);  // cdn.www.example.com
        r.pointer(static_cast<uint16_t>(rd));     // owner: -> cdn -> www -> example.com
        rd = r.rr_head(dns_type::a, 1, 10);
        r.raw({192, 0, 2, 1}).end_rdata(rd);
        auto m = parse(r.b);
        REQUIRE(m);
        CHECK(m->complete);
        REQUIRE(m->answers.size() == 2);
        CHECK(m->answers[0].name == "www.example.com");
        CHECK(m->answers[0].target == "cdn.www.example.com");
        CHECK(m->answers[1].name == "cdn.www.example.com");
    }
    SECTION("a pointer to itself") {
        Dns r(1, 0, 1, 0);
        r.pointer(12).u16(1).u16(1);
        CHECK_FALSE(parse(r.b));
    }
    SECTION("two names pointing at each other") {
        // Question at 12 is fine; the answer owner at 29 is a label then a
        // pointer to 29 (itself, after a label): a loop through labels.
        Dns r(1, 0x8000, 1, 1);
        r.question("a.example", dns_type::a);
        size_t owner = r.size();
        r.labels("x").pointer(static_cast<uint16_t>(owner));
        size_t rd = r.rr_head(dns_type::a, 1, 1);
        r.raw({1, 2, 3, 4}).end_rdata(rd);
        auto m = parse(r.b);
        REQUIRE(m);  // the header and question are fine
        CHECK_FALSE(m->complete);
        CHECK(m->answers.empty());
    }
    SECTION("a pointer cycle 12 -> 14 -> 12") {
        // Refused at the first step: 14 is not before the name's own bytes.
        Dns r(1, 0, 1, 0);
        r.pointer(14).pointer(12).u16(1).u16(1);
        CHECK_FALSE(parse(r.b));
    }
    SECTION("a forward pointer") {
        Dns r(1, 0, 1, 0);
        r.pointer(16).u16(1).u16(1).name("later");
        CHECK_FALSE(parse(r.b));
    }
    SECTION("a pointer past the end") {
        Dns r(1, 0, 1, 0);
        r.labels("a").pointer(0x3fff).u16(1).u16(1);
        CHECK_FALSE(parse(r.b));
    }
    SECTION("a pointer cut in half") {
        Dns r(1, 0, 1, 0);
        r.u8(0xc0);
        CHECK_FALSE(parse(r.b));
    }
}

TEST_CASE("DNS: label and name length limits", "[dns]") {
    std::string l63(63, 'a');
    SECTION("255 octets on the wire is the limit") {
        // 3 x (1+63) + (1+61) + root = 255
        Dns ok(1, 0, 1, 0);
        ok.question(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b'), dns_type::a);
        auto m = parse(ok.b);
        REQUIRE(m);
        CHECK(m->qname.size() == 63 * 3 + 61 + 3);

        Dns too_long(1, 0, 1, 0);
        too_long.question(l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b'), dns_type::a);
        CHECK_FALSE(parse(too_long.b));
    }
    SECTION("a long name made with pointers is still limited") {
        Dns r(1, 0x8000, 1, 1);
        r.question(l63 + "." + l63 + "." + l63, dns_type::a);  // 193 octets
        r.labels(l63).pointer(12);                             // 64 + 193 = 257
        size_t rd = r.rr_head(dns_type::a, 1, 1);
        r.raw({1, 2, 3, 4}).end_rdata(rd);
        auto m = parse(r.b);
        REQUIRE(m);
        CHECK_FALSE(m->complete);
        CHECK(m->answers.empty());
    }
    SECTION("a label longer than the message") {
        Dns r(1, 0, 1, 0);
        r.raw({20, 'a', 'b'});
        CHECK_FALSE(parse(r.b));
    }
    SECTION("extended label types 0x40 and 0x80 are refused") {
        Dns r(1, 0, 1, 0);
        r.raw({0x41, 0x00}).u16(1).u16(1);
        CHECK_FALSE(parse(r.b));
        Dns s(1, 0, 1, 0);
        s.raw({0x80, 0x00}).u16(1).u16(1);
        CHECK_FALSE(parse(s.b));
    }
}

TEST_CASE("DNS: truncated messages at every length", "[dns]") {
    size_t last_answers = 0;
    for (size_t n = 0; n <= sizeof kCnameChain; ++n) {
        Bytes cut(kCnameChain, kCnameChain + n);  // a copy: ASan sees reads past n
        auto m = parse_dns_message(cut.data(), cut.size());
        if (n < 38) {  // the header and question end at 38
            CHECK_FALSE(m);
            continue;
        }
        REQUIRE(m);
        CHECK(m->qname == "cam.example-cloud.cn");
        CHECK(m->answers.size() >= last_answers);
        last_answers = m->answers.size();
        CHECK(m->complete == (n == sizeof kCnameChain));
        CHECK(m->parsed_length <= n);
    }
    CHECK(last_answers == 2);
    CHECK_FALSE(parse_dns_message(nullptr, 40));
}

TEST_CASE("DNS: header counts larger than the message", "[dns]") {
    Dns r(1, 0x8180, 1, 0xffff, 0xffff, 0xffff);
    r.question("a.example", dns_type::a);
    r.pointer(12);
    size_t rd = r.rr_head(dns_type::a, 1, 5);
    r.raw({10, 0, 0, 1}).end_rdata(rd);
    auto m = parse(r.b);
    REQUIRE(m);
    CHECK(m->answers.size() == 1);
    CHECK_FALSE(m->complete);

    Dns q(1, 0, 0xffff, 0);  // more questions than could fit: not DNS
    q.question("a.example", dns_type::a);
    CHECK_FALSE(parse(q.b));
}

TEST_CASE("DNS: malformed RDATA skips the record, not the message", "[dns]") {
    Dns r(1, 0x8180, 1, 4);
    r.question("a.example", dns_type::a);
    r.pointer(12);
    size_t rd = r.rr_head(dns_type::a, 1, 5);
    r.raw({10, 0, 0, 1, 99}).end_rdata(rd);  // A with 5 bytes
    r.pointer(12);
    rd = r.rr_head(dns_type::cname, 1, 5);
    r.labels("x").end_rdata(rd);  // CNAME whose name runs past its RDATA
    r.pointer(12);
    rd = r.rr_head(dns_type::soa, 1, 5);  // a type we do not keep
    r.raw({0, 0, 0, 0}).end_rdata(rd);
    r.pointer(12);
    rd = r.rr_head(dns_type::a, 1, 0x80000000u);  // TTL with the top bit: 0
    r.raw({10, 0, 0, 2}).end_rdata(rd);
    auto m = parse(r.b);
    REQUIRE(m);
    CHECK(m->complete);
    CHECK(m->malformed_records == 2);
    CHECK(m->skipped_records == 1);
    REQUIRE(m->answers.size() == 1);
    CHECK(m->answers[0].address.to_string() == "10.0.0.2");
    CHECK(m->answers[0].ttl == 0);
}

TEST_CASE("DNS: mDNS response with PTR, SRV, TXT and A records", "[dns]") {
    // _rtsp._tcp.local PTR Cam1._rtsp._tcp.local; additional SRV, TXT, A.
    Dns r(0, 0x8400, 0, 1, 0, 3);
    size_t svc = r.size();
    r.name("_rtsp._tcp.local");
    size_t rd = r.rr_head(dns_type::ptr, 1, 4500);
    size_t instance = r.size();
    r.labels("Cam1").pointer(static_cast<uint16_t>(svc)).end_rdata(rd);
    r.pointer(static_cast<uint16_t>(instance));
    rd = r.rr_head(dns_type::srv, 0x8001, 120);  // cache-flush
    size_t host = 0;
    r.u16(0).u16(0).u16(554);
    host = r.size();
    r.labels("ipcam-21").pointer(static_cast<uint16_t>(svc + 11)).end_rdata(rd);  // + "local"
    r.pointer(static_cast<uint16_t>(instance));
    rd = r.rr_head(dns_type::txt, 0x8001, 4500);
    r.raw({8, 'm', 'd', '=', 'X', '-', '1', '0', '0', 0, 4, 'p', 'a', 't', 'h'}).end_rdata(rd);
    r.pointer(static_cast<uint16_t>(host));
    rd = r.rr_head(dns_type::a, 0x8001, 120);
    r.raw({10, 20, 1, 21}).end_rdata(rd);

    auto m = parse(r.b);
    REQUIRE(m);
    CHECK(m->complete);
    CHECK(m->authoritative);
    REQUIRE(m->answers.size() == 1);
    CHECK(m->answers[0].name == "_rtsp._tcp.local");
    CHECK(m->answers[0].target == "cam1._rtsp._tcp.local");
    CHECK_FALSE(m->answers[0].cache_flush);
    REQUIRE(m->additionals.size() == 3);
    const DnsRecord& srv = m->additionals[0];
    CHECK(srv.type == dns_type::srv);
    CHECK(srv.cache_flush);
    CHECK(srv.rclass == 1);
    CHECK(srv.srv_port == 554);
    CHECK(srv.target == "ipcam-21.local");
    const DnsRecord& txt = m->additionals[1];
    REQUIRE(txt.txt.size() == 3);
    CHECK(txt.txt[0] == "md=X-100");
    CHECK(txt.txt[1].empty());
    CHECK(txt.txt[2] == "path");
    CHECK(m->additionals[2].name == "ipcam-21.local");
    CHECK(m->additionals[2].address.to_string() == "10.20.1.21");
}

TEST_CASE("DNS: a TXT string longer than its RDATA", "[dns]") {
    Dns r(0, 0x8400, 0, 1);
    r.name("x.local");
    size_t rd = r.rr_head(dns_type::txt, 1, 1);
    r.raw({9, 'a', 'b'}).end_rdata(rd);
    auto m = parse(r.b);
    REQUIRE(m);
    CHECK(m->answers.empty());
    CHECK(m->malformed_records == 1);
}

TEST_CASE("DNS over TCP: length prefixes", "[dns]") {
    SECTION("one message") {
        auto r = parse_dns_tcp_segment(kTcpFramed, sizeof kTcpFramed);
        REQUIRE(r.messages.size() == 1);
        CHECK(r.consumed == sizeof kTcpFramed);
        CHECK_FALSE(r.malformed);
        CHECK(r.partial_length == 0);
        CHECK(r.messages[0].qname == "api.tcp-dns.example");
        REQUIRE(r.messages[0].answers.size() == 1);
        CHECK(r.messages[0].answers[0].address.to_string() == "18.130.5.6");
        CHECK(r.messages[0].answers[0].ttl == 120);
    }
    SECTION("two messages in one segment, then half of a third") {
        Bytes seg(kTcpFramed, kTcpFramed + sizeof kTcpFramed);
        seg.insert(seg.end(), {0x00, sizeof kCnameChain});
        seg.insert(seg.end(), kCnameChain, kCnameChain + sizeof kCnameChain);
        seg.insert(seg.end(), kTcpFramed, kTcpFramed + 20);
        auto r = parse_dns_tcp_segment(seg.data(), seg.size());
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[1].qname == "cam.example-cloud.cn");
        CHECK(r.consumed == sizeof kTcpFramed + 2 + sizeof kCnameChain);
        CHECK(r.partial_length == 0x35);
        CHECK_FALSE(r.malformed);
    }
    SECTION("a continuation segment is not taken for a message") {
        auto r = parse_dns_tcp_segment(kCnameChain + 20, sizeof kCnameChain - 20);
        CHECK(r.messages.empty());
        CHECK(r.consumed == 0);
        CHECK((r.malformed || r.partial_length > 0));
    }
    SECTION("a length too small for a header, and a frame with trailing bytes") {
        const uint8_t small[] = {0x00, 0x05, 1, 2, 3, 4, 5};
        auto r = parse_dns_tcp_segment(small, sizeof small);
        CHECK(r.messages.empty());
        CHECK(r.malformed);

        Bytes padded = {0x00, static_cast<uint8_t>(sizeof kAaaa + 3)};
        padded.insert(padded.end(), kAaaa, kAaaa + sizeof kAaaa);
        padded.insert(padded.end(), {0, 0, 0});
        r = parse_dns_tcp_segment(padded.data(), padded.size());
        CHECK(r.messages.empty());
        CHECK(r.malformed);
    }
    SECTION("nothing, or only a length") {
        CHECK(parse_dns_tcp_segment(nullptr, 0).messages.empty());
        const uint8_t one[] = {0x00};
        auto r = parse_dns_tcp_segment(one, 1);
        CHECK(r.messages.empty());
        CHECK(r.consumed == 0);
    }
}

TEST_CASE("DNS: random bytes and mutated messages never crash", "[dns]") {
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 20000; ++round) {
        Bytes b;
        if (round % 2 == 0) {
            b.assign(kCnameChain, kCnameChain + sizeof kCnameChain);
            int flips = 1 + round % 6;
            for (int i = 0; i < flips; ++i) b[static_cast<size_t>(byte(rng)) % b.size()] = static_cast<uint8_t>(byte(rng));
            b.resize(static_cast<size_t>(byte(rng)) % (b.size() + 1));
        } else {
            b.resize(static_cast<size_t>(byte(rng)) % 200);
            for (auto& x : b) x = static_cast<uint8_t>(byte(rng) < 64 ? 0xc0 | (byte(rng) & 0x3f) : byte(rng));
        }
        if (auto m = parse_dns_message(b.data(), b.size())) {
            CHECK(m->parsed_length <= b.size());
            for (const auto* section : {&m->answers, &m->authorities, &m->additionals})
                for (const DnsRecord& rr : *section) {
                    CHECK(rr.name.size() <= 4 * 255);
                    CHECK(rr.target.size() <= 4 * 255);
                }
        }
        auto t = parse_dns_tcp_segment(b.data(), b.size());
        CHECK(t.consumed <= b.size());
    }
}
