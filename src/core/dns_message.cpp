#include "egresswatch/dns_message.hpp"

namespace egresswatch {

namespace {

constexpr size_t kMaxNameWire = 255;   // RFC 1035 2.3.4, counting length octets and the root
constexpr int kMaxPointerJumps = 128;  // far more than any real name needs
constexpr size_t kMaxTxtStrings = 64;

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
           static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void append_label(std::string& out, const uint8_t* label, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        uint8_t c = label[i];
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if (c == '.' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c > 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            // \DDD, RFC 4343 2.1 presentation form (space and non-ASCII too).
            out += '\\';
            out += static_cast<char>('0' + c / 100);
            out += static_cast<char>('0' + c / 10 % 10);
            out += static_cast<char>('0' + c % 10);
        }
    }
}

// Reads the (possibly compressed) name that starts at `pos`. On success, `out`
// holds the name and `next` the offset just past the name where it is written
// (after its first pointer, or after the root label).
//
// Loop protection: a pointer must point strictly before the lowest offset the
// name has read so far, so no byte is ever read twice and every walk ends. The
// jump cap and the 255-octet length cap bound it further.
bool read_name(const uint8_t* msg, size_t len, size_t pos, std::string& out, size_t& next) {
    out.clear();
    size_t p = pos;
    size_t lowest = pos;
    size_t wire = 1;  // the root label
    bool jumped = false;
    int jumps = 0;
    while (true) {
        if (p >= len) return false;
        uint8_t c = msg[p];
        if ((c & 0xc0) == 0xc0) {
            if (p + 1 >= len) return false;
            size_t target = static_cast<size_t>(c & 0x3f) << 8 | msg[p + 1];
            if (!jumped) {
                next = p + 2;
                jumped = true;
            }
            if (target >= lowest || ++jumps > kMaxPointerJumps) return false;
            lowest = target;
            p = target;
            continue;
        }
        if (c & 0xc0) return false;  // 0x40/0x80: extended label types, obsolete
        if (c == 0) {
            if (!jumped) next = p + 1;
            return true;
        }
        if (c > len - p - 1) return false;  // label runs past the message
        wire += 1 + static_cast<size_t>(c);
        if (wire > kMaxNameWire) return false;
        if (!out.empty()) out += '.';
        append_label(out, msg + p + 1, c);
        p += 1 + static_cast<size_t>(c);
    }
}

enum class RecordResult { stored, skipped, malformed, stop };

// Reads one resource record at `pos`. `stop` means the record cannot be
// bounded (bad owner name or cut short), so nothing after it can be read.
RecordResult read_record(const uint8_t* msg, size_t len, size_t& pos, DnsRecord& rr) {
    size_t p = 0;
    if (!read_name(msg, len, pos, rr.name, p)) return RecordResult::stop;
    if (len - p < 10) return RecordResult::stop;
    rr.type = get16(msg + p);
    uint16_t cls = get16(msg + p + 2);
    rr.rclass = cls & 0x7fff;
    rr.cache_flush = (cls & 0x8000) != 0;
    uint32_t ttl = get32(msg + p + 4);
    rr.ttl = ttl > 0x7fffffffu ? 0 : ttl;
    size_t rdlength = get16(msg + p + 8);
    size_t rdata = p + 10;
    if (rdlength > len - rdata) return RecordResult::stop;
    size_t rdend = rdata + rdlength;
    pos = rdend;

    switch (rr.type) {
    case dns_type::a:
        if (rdlength != 4) return RecordResult::malformed;
        rr.address = IpAddress::v4(msg + rdata);
        return RecordResult::stored;
    case dns_type::aaaa:
        if (rdlength != 16) return RecordResult::malformed;
        rr.address = IpAddress::v6(msg + rdata);
        return RecordResult::stored;
    case dns_type::cname:
    case dns_type::ptr: {
        size_t after = 0;
        // The name may point anywhere before it, but its own bytes must lie
        // inside the RDATA.
        if (!read_name(msg, rdend, rdata, rr.target, after) || after != rdend)
            return RecordResult::malformed;
        return RecordResult::stored;
    }
    case dns_type::srv: {
        if (rdlength < 7) return RecordResult::malformed;
        rr.srv_priority = get16(msg + rdata);
        rr.srv_weight = get16(msg + rdata + 2);
        rr.srv_port = get16(msg + rdata + 4);
        size_t after = 0;
        if (!read_name(msg, rdend, rdata + 6, rr.target, after) || after != rdend)
            return RecordResult::malformed;
        return RecordResult::stored;
    }
    case dns_type::txt: {
        size_t q = rdata;
        while (q < rdend) {
            size_t n = msg[q];
            if (n > rdend - q - 1) return RecordResult::malformed;
            if (rr.txt.size() < kMaxTxtStrings)
                rr.txt.emplace_back(reinterpret_cast<const char*>(msg + q + 1), n);
            q += 1 + n;
        }
        return RecordResult::stored;
    }
    default:
        return RecordResult::skipped;
    }
}

}  // namespace

std::string dns_type_name(uint16_t type) {
    switch (type) {
    case dns_type::a: return "A";
    case dns_type::ns: return "NS";
    case dns_type::cname: return "CNAME";
    case dns_type::soa: return "SOA";
    case dns_type::ptr: return "PTR";
    case dns_type::mx: return "MX";
    case dns_type::txt: return "TXT";
    case dns_type::aaaa: return "AAAA";
    case dns_type::srv: return "SRV";
    case dns_type::opt: return "OPT";
    case dns_type::https: return "HTTPS";
    case dns_type::any: return "ANY";
    default: return "TYPE" + std::to_string(type);
    }
}

std::optional<DnsMessage> parse_dns_message(const uint8_t* data, size_t length) {
    if (data == nullptr || length < kDnsHeaderLength) return std::nullopt;
    // Compression pointers have 14 bits; DNS messages are at most 65535 bytes.
    if (length > 65535) length = 65535;

    DnsMessage m;
    m.id = get16(data);
    uint16_t flags = get16(data + 2);
    m.is_response = *dns_is_response(data, length);
    m.opcode = static_cast<uint8_t>(flags >> 11 & 0x0f);
    m.authoritative = (flags & 0x0400) != 0;
    m.truncated = (flags & 0x0200) != 0;
    m.rcode = static_cast<uint8_t>(flags & 0x0f);
    m.qdcount = get16(data + 4);
    m.ancount = get16(data + 6);
    m.nscount = get16(data + 8);
    m.arcount = get16(data + 10);

    size_t pos = kDnsHeaderLength;
    // Every question takes at least 5 bytes: more than fit is not DNS.
    if (m.qdcount > (length - pos) / 5) return std::nullopt;
    for (uint16_t i = 0; i < m.qdcount; ++i) {
        DnsQuestion q;
        size_t next = 0;
        if (!read_name(data, length, pos, q.name, next) || length - next < 4) return std::nullopt;
        q.type = get16(data + next);
        uint16_t cls = get16(data + next + 2);
        q.qclass = cls & 0x7fff;
        q.unicast_response = (cls & 0x8000) != 0;
        pos = next + 4;
        if (i == 0) {
            m.qname = q.name;
            m.qtype = q.type;
        }
        if (m.questions.size() < kDnsMaxQuestions) m.questions.push_back(std::move(q));
    }
    m.parsed_length = pos;

    struct Section {
        uint16_t count;
        std::vector<DnsRecord>* records;
    };
    const Section sections[] = {{m.ancount, &m.answers},
                                {m.nscount, &m.authorities},
                                {m.arcount, &m.additionals}};
    size_t stored = 0;
    for (const Section& section : sections) {
        for (uint16_t i = 0; i < section.count; ++i) {
            if (pos >= length || stored >= kDnsMaxRecords) {
                m.complete = false;
                return m;
            }
            DnsRecord rr;
            switch (read_record(data, length, pos, rr)) {
            case RecordResult::stored:
                section.records->push_back(std::move(rr));
                ++stored;
                break;
            case RecordResult::skipped: ++m.skipped_records; break;
            case RecordResult::malformed: ++m.malformed_records; break;
            case RecordResult::stop: m.complete = false; return m;
            }
            m.parsed_length = pos;
        }
    }
    return m;
}

DnsTcpResult parse_dns_tcp_segment(const uint8_t* data, size_t length) {
    DnsTcpResult r;
    if (data == nullptr) return r;
    size_t pos = 0;
    while (length - pos >= 2 && r.messages.size() < kDnsMaxMessagesPerSegment) {
        size_t frame = get16(data + pos);
        if (frame < kDnsHeaderLength) {
            r.malformed = true;
            break;
        }
        if (frame > length - pos - 2) {
            r.partial_length = frame;
            break;
        }
        auto message = parse_dns_message(data + pos + 2, frame);
        if (!message || !message->complete || message->parsed_length != frame) {
            r.malformed = true;
            break;
        }
        r.messages.push_back(std::move(*message));
        pos += 2 + frame;
        r.consumed = pos;
    }
    return r;
}

}  // namespace egresswatch
