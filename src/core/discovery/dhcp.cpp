// DHCP (UDP 67/68), RFC 2131/2132: the client's host name, FQDN, vendor class
// and parameter list.

#include <algorithm>
#include <cstring>

#include "internal.hpp"

namespace egresswatch {

using namespace discovery_detail;

namespace {

uint32_t get32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
           static_cast<uint32_t>(p[2]) << 8 | p[3];
}

std::optional<IpAddress> nonzero_v4(const uint8_t* p) {
    if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) return std::nullopt;
    return IpAddress::v4(p);
}

struct DhcpOptions {
    static constexpr size_t kMaxOption = 1024;  // per option, after RFC 3396 concatenation
    std::string hostname, vendor_class, params, client_id, fqdn;
    bool has_hostname = false, has_vendor = false, has_params = false, has_client_id = false,
         has_fqdn = false;
    std::optional<uint8_t> message_type;
    std::optional<uint8_t> overload;
    std::optional<IpAddress> requested_ip;
    bool truncated = false;

    void concat(std::string& to, bool& has, const uint8_t* v, size_t n) {
        has = true;
        size_t room = kMaxOption - std::min(kMaxOption, to.size());
        to.append(reinterpret_cast<const char*>(v), std::min(n, room));
    }

    void parse_area(const uint8_t* d, size_t begin, size_t end, bool allow_overload) {
        size_t p = begin;
        while (p < end) {
            uint8_t code = d[p];
            if (code == 0) {  // pad
                ++p;
                continue;
            }
            if (code == 255) return;  // end
            if (end - p < 2) {
                truncated = true;
                return;
            }
            size_t n = d[p + 1];
            if (n > end - p - 2) {
                truncated = true;
                return;
            }
            const uint8_t* v = d + p + 2;
            switch (code) {
            case 12: concat(hostname, has_hostname, v, n); break;
            case 60: concat(vendor_class, has_vendor, v, n); break;
            case 55: concat(params, has_params, v, n); break;
            case 61: concat(client_id, has_client_id, v, n); break;
            case 81: concat(fqdn, has_fqdn, v, n); break;
            case 53:
                if (n >= 1 && !message_type) message_type = v[0];
                break;
            case 50:
                if (n == 4 && !requested_ip) requested_ip = IpAddress::v4(v);
                break;
            case 52:
                if (n >= 1 && allow_overload && !overload) overload = v[0];
                break;
            default: break;
            }
            p += 2 + n;
        }
    }
};

// RFC 4702 option 81: flags, two obsolete RCODE octets, then the name in
// wire form (E bit, 0x04) or, deprecated, ASCII.
std::optional<std::string> decode_fqdn(std::string_view raw) {
    if (raw.size() < 4) return std::nullopt;
    uint8_t flags = static_cast<uint8_t>(raw[0]);
    std::string_view name = raw.substr(3);
    std::string out;
    if (flags & 0x04) {
        size_t p = 0;
        while (p < name.size()) {
            size_t n = static_cast<uint8_t>(name[p]);
            if (n == 0 || (n & 0xc0) || n > name.size() - p - 1) break;
            if (!out.empty()) out += '.';
            out.append(name.substr(p + 1, n));
            p += 1 + n;
            if (out.size() > 255) break;
        }
    } else {
        out.assign(name);
    }
    for (char& c : out) c = lower(c);
    while (!out.empty() && out.back() == '.') out.pop_back();
    return clean_field(out, 255);
}

std::string params_text(std::string_view params) {
    std::string s;
    for (unsigned char code : params) {
        std::string item = std::to_string(code);
        if (s.size() + 1 + item.size() > kMaxEvidenceLength - 12) break;
        if (!s.empty()) s += ',';
        s += item;
    }
    return s;
}

}  // namespace

std::optional<DhcpMessage> parse_dhcp(const uint8_t* d, size_t len) {
    constexpr size_t kSname = 44, kFile = 108, kCookie = 236, kOptions = 240;
    if (d == nullptr || len < kOptions) return std::nullopt;
    if ((d[0] != 1 && d[0] != 2) || d[2] > 16) return std::nullopt;
    if (get32(d + kCookie) != 0x63825363) return std::nullopt;

    DhcpMessage m;
    m.op = d[0];
    m.xid = get32(d + 4);
    if (d[1] == 1 && d[2] == 6) {
        MacAddress mac;
        std::memcpy(mac.data(), d + 28, 6);
        m.client_mac = mac;
    }
    m.client_ip = nonzero_v4(d + 12);
    m.your_ip = nonzero_v4(d + 16);

    DhcpOptions o;
    o.parse_area(d, kOptions, len, true);
    // Option 52 overload (RFC 2132 9.3): options continue in file, then sname.
    if (o.overload && (*o.overload & 1)) o.parse_area(d, kFile, kCookie, false);
    if (o.overload && (*o.overload & 2)) o.parse_area(d, kSname, kFile, false);

    m.message_type = o.message_type;
    m.requested_ip = o.requested_ip;
    if (o.has_hostname) m.hostname = clean_field(o.hostname);
    if (o.has_vendor) m.vendor_class = clean_field(o.vendor_class);
    m.parameter_list.assign(o.params.begin(), o.params.end());
    m.client_id.assign(o.client_id.begin(), o.client_id.end());
    if (o.has_fqdn) m.fqdn = decode_fqdn(o.fqdn);
    m.options_truncated = o.truncated;

    if (m.op == 1) {
        DeviceHint& h = m.hint;
        if (m.hostname) {
            h.hostname = m.hostname;
            add_evidence(h, "dhcp-hostname", *m.hostname);
        }
        if (m.fqdn) {
            if (!h.hostname) h.hostname = clean_field(std::string_view(*m.fqdn).substr(0, m.fqdn->find('.')));
            add_evidence(h, "dhcp-fqdn", *m.fqdn);
        }
        if (m.vendor_class) add_evidence(h, "dhcp-vendor-class", *m.vendor_class);
        if (!o.params.empty()) add_evidence(h, "dhcp-params", params_text(o.params));
        classify_hint(h);
    }
    return m;
}

}  // namespace egresswatch
