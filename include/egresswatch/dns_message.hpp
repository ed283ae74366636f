// DNS message parsing for passive DNS and mDNS: the header, the questions and
// the A, AAAA, CNAME, PTR, SRV and TXT records of every section.
//
// The input is untrusted. The parser never reads past `length`, never
// recurses, follows compression pointers only backwards (a pointer must point
// before every byte the name has used so far, so no pointer loop can be
// followed), caps every loop, and allocates only for the names and records it
// returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "egresswatch/net.hpp"

namespace egresswatch {

namespace dns_type {
inline constexpr uint16_t a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16,
                          aaaa = 28, srv = 33, opt = 41, https = 65, any = 255;
}

// "A", "AAAA", "CNAME", "PTR", "SRV", "TXT", ... or "TYPE<n>".
std::string dns_type_name(uint16_t type);

struct DnsQuestion {
    std::string name;               // lower-case, no trailing dot, "" for the root
    uint16_t type = 0;
    uint16_t qclass = 0;            // without the mDNS unicast-response bit
    bool unicast_response = false;  // mDNS "QU" bit (top bit of the class)
};

// One resource record of a supported type (A, AAAA, CNAME, PTR, SRV, TXT).
// Names are in the same form as DnsQuestion::name. A label byte that is not a
// printable ASCII character, and a '.' or '\' inside a label, is written in
// presentation form (\DDD, \., \\), so names are always printable ASCII.
struct DnsRecord {
    std::string name;           // owner name
    uint16_t type = 0;
    uint16_t rclass = 0;        // without the mDNS cache-flush bit
    bool cache_flush = false;   // mDNS: top bit of the class
    uint32_t ttl = 0;           // seconds; values above 2^31-1 read as 0 (RFC 2181 8)
    IpAddress address;          // A, AAAA
    std::string target;         // CNAME, PTR: the name pointed to; SRV: the target host
    uint16_t srv_priority = 0, srv_weight = 0, srv_port = 0;
    std::vector<std::string> txt;  // TXT character-strings, raw octets (any byte values)
};

struct DnsMessage {
    uint16_t id = 0;
    bool is_response = false;
    uint8_t opcode = 0;
    bool authoritative = false;
    bool truncated = false;     // the TC bit (the server cut the answer short)
    uint8_t rcode = 0;          // the header's 4-bit RCODE

    // The first question (what passive DNS keys on); "" and 0 if there is none.
    std::string qname;
    uint16_t qtype = 0;
    std::vector<DnsQuestion> questions;  // all questions (mDNS may ask several)

    std::vector<DnsRecord> answers;
    std::vector<DnsRecord> authorities;  // mDNS probes carry the proposed records here
    std::vector<DnsRecord> additionals;  // mDNS responses carry SRV/TXT/A here

    // Counts from the header, as sent.
    uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
    // False when a record was cut short or malformed beyond its own bounds
    // (the records before it are kept), or a cap below was reached.
    bool complete = true;
    uint32_t skipped_records = 0;    // records of other types (OPT, NS, SOA, ...)
    uint32_t malformed_records = 0;  // supported type, bad RDATA, record skipped
    size_t parsed_length = 0;        // bytes read, from the header to the last whole record
};

// Caps: names are at most 255 octets on the wire (RFC 1035 2.3.4), at most
// 128 pointer jumps per name, 64 stored questions, 512 stored records per
// message, 64 strings per TXT record.
inline constexpr size_t kDnsMaxQuestions = 64;
inline constexpr size_t kDnsMaxRecords = 512;

// The header's QR bit alone: whether the message is a response; nullopt if
// shorter than the 12-byte header. No parse, no allocation: flow tracking
// asks it of every packet on port 53.
inline constexpr size_t kDnsHeaderLength = 12;
inline std::optional<bool> dns_is_response(const uint8_t* data, size_t length) {
    if (data == nullptr || length < kDnsHeaderLength) return std::nullopt;
    return (data[2] & 0x80) != 0;
}

// A DNS message as carried by UDP (DNS on 53, mDNS on 5353, LLMNR on 5355).
// nullopt when the bytes are not a DNS message: shorter than the 12-byte
// header, or a question that cannot be read. Records that cannot be read end
// the parse with complete = false and keep what was read before them.
std::optional<DnsMessage> parse_dns_message(const uint8_t* data, size_t length);

// DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by a
// 2-byte length, and a segment may carry several messages. This reads every
// complete length-prefixed message at the start of one TCP payload.
//
// What it does otherwise: it does not reassemble. A message longer than the
// rest of the segment stops the walk and is reported in partial_length (the
// caller may buffer `length - consumed` bytes and call again with the rest
// prepended); a segment that starts in the middle of a message (a
// continuation) almost always fails the checks below and sets malformed. To
// keep continuations from being taken for messages, a framed message is only
// accepted when it is read to its end with complete = true.
struct DnsTcpResult {
    std::vector<DnsMessage> messages;
    size_t consumed = 0;        // bytes of the complete frames that were read
    size_t partial_length = 0;  // >0: the length prefix of a frame that did not fit
    bool malformed = false;     // a complete frame that was not a whole DNS message
};
inline constexpr size_t kDnsMaxMessagesPerSegment = 64;
DnsTcpResult parse_dns_tcp_segment(const uint8_t* data, size_t length);

}  // namespace egresswatch
