#include "egresswatch/net.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "egresswatch/hash_mix.hpp"

namespace egresswatch {

IpAddress IpAddress::v4(const uint8_t* four) {
    IpAddress a;
    a.is_v4 = true;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, four, 4);
    return a;
}

IpAddress IpAddress::v6(const uint8_t* sixteen) {
    IpAddress a;
    std::memcpy(a.bytes.data(), sixteen, 16);
    return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    std::string s(text);
    uint8_t buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4(buf);
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6(buf);
    return std::nullopt;
}

std::string IpAddress::to_string() const {
    char out[INET6_ADDRSTRLEN];
    if (is_v4) {
        // By hand: glibc's inet_ntop formats IPv4 with sprintf, about 1,700
        // instructions an address, and the sensor writes two for every flow
        // and DNS answer. Same text: dotted decimal, no leading zeros.
        char* o = out;
        for (int i = 0; i < 4; ++i) {
            unsigned v = bytes[12 + static_cast<size_t>(i)];
            if (i) *o++ = '.';
            if (v >= 100) *o++ = static_cast<char>('0' + v / 100);
            if (v >= 10) *o++ = static_cast<char>('0' + v / 10 % 10);
            *o++ = static_cast<char>('0' + v % 10);
        }
        return std::string(out, static_cast<size_t>(o - out));
    }
    inet_ntop(AF_INET6, bytes.data(), out, sizeof out);
    return out;
}

bool IpAddress::is_group_or_unspecified() const {
    const uint8_t* a = data();
    if (is_v4) {
        bool unspecified = a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0;
        bool broadcast = a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255;
        return unspecified || broadcast || (a[0] & 0xf0) == 0xe0;
    }
    if (a[0] == 0xff) return true;
    for (int i = 0; i < 16; ++i)
        if (a[i]) return false;
    return true;
}

size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
    // Not seeded: addresses are not the flow table's keys (that hash is);
    // this one serves per-address tables. The address's two words in one
    // multiply: FNV-1a a byte at a time, sixteen multiplies one after the
    // other, was 4% of the capture thread on real traffic.
    uint64_t words[2];
    std::memcpy(words, a.bytes.data(), 16);
    return static_cast<size_t>(
        fmix64(mum(words[0] ^ 0xa0761d6478bd642full, words[1] ^ 0xe7037ed1a0b428dbull) ^ a.is_v4));
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    int max_bits = address->length_bits();
    int prefix = max_bits;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
            prefix < 0 || prefix > max_bits)
            return std::nullopt;
    }
    Cidr c{*address, prefix};
    // Normalise: clear host bits so that to_string() shows the network.
    int bits = prefix + (address->is_v4 ? 96 : 0);
    for (int i = 0; i < 16; ++i) {
        int keep = std::clamp(bits - i * 8, 0, 8);
        c.network.bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
    }
    return c;
}

namespace {

// Bytes [at, at + 8) of an address as a big-endian number.
uint64_t half_of(const IpAddress& address, size_t at) {
    uint64_t half;
    std::memcpy(&half, address.bytes.data() + at, sizeof half);
    return __builtin_bswap64(half);
}

// The first `bits` (0 to 64) bits set.
uint64_t leading_ones(int bits) { return bits <= 0 ? 0 : bits >= 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - bits); }

}  // namespace

// Two masked 64-bit compares: every packet asks this of both its ends (is it local?).
bool Cidr::contains(const IpAddress& address) const {
    if (address.is_v4 != network.is_v4) return false;
    int bits = prefix_length + (network.is_v4 ? 96 : 0);
    uint64_t high_mask = leading_ones(bits), low_mask = leading_ones(bits - 64);
    return ((half_of(address, 0) ^ half_of(network, 0)) & high_mask) == 0 &&
           ((half_of(address, 8) ^ half_of(network, 8)) & low_mask) == 0;
}

std::string Cidr::to_string() const {
    return network.to_string() + "/" + std::to_string(prefix_length);
}

std::vector<Cidr> default_local_networks() {
    std::vector<Cidr> nets;
    for (const char* text : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                             "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128",
                             // multicast and broadcast stay on the site: never egress
                             "224.0.0.0/4", "255.255.255.255/32", "ff00::/8", "0.0.0.0/32", "::/128"})
        nets.push_back(*Cidr::parse(text));
    return nets;
}

std::string mac_to_string(const MacAddress& mac) {
    static const char* hex = "0123456789abcdef";
    std::string s;
    s.reserve(17);
    for (size_t i = 0; i < mac.size(); ++i) {
        if (i) s += ':';
        s += hex[mac[i] >> 4];
        s += hex[mac[i] & 15];
    }
    return s;
}

std::optional<MacAddress> parse_mac(std::string_view text) {
    MacAddress mac{};
    size_t n = 0;
    int nibble = 0;
    uint8_t current = 0;
    for (char ch : text) {
        if (ch == ':' || ch == '-' || ch == '.') continue;
        int v;
        if (ch >= '0' && ch <= '9') v = ch - '0';
        else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
        else return std::nullopt;
        current = static_cast<uint8_t>(current << 4 | v);
        if (++nibble == 2) {
            if (n == mac.size()) return std::nullopt;
            mac[n++] = current;
            nibble = 0;
            current = 0;
        }
    }
    if (n != mac.size() || nibble != 0) return std::nullopt;
    return mac;
}

}  // namespace egresswatch
