// Addresses and networks: the small value types every stage shares.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace egresswatch {

// An IPv4 or IPv6 address. IPv4 is kept as an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) so that keys, hashing and comparison have one form.
struct IpAddress {
    std::array<uint8_t, 16> bytes{};
    bool is_v4 = false;

    static IpAddress v4(const uint8_t* four);
    static IpAddress v6(const uint8_t* sixteen);
    static std::optional<IpAddress> parse(std::string_view text);

    std::string to_string() const;
    // Multicast, broadcast or unspecified: a destination, never a device.
    bool is_group_or_unspecified() const;
    // The bytes a resolver would use: 4 for IPv4, 16 for IPv6.
    const uint8_t* data() const { return is_v4 ? bytes.data() + 12 : bytes.data(); }
    int length_bits() const { return is_v4 ? 32 : 128; }

    // As two 64-bit words, in the defaulted forms' order (the bytes, then
    // is_v4): those called libc's memcmp for every comparison, 5% of the
    // capture thread on real traffic (flow keys, the device and DNS tables).
    bool operator==(const IpAddress& o) const noexcept {
        return word(0) == o.word(0) && word(1) == o.word(1) && is_v4 == o.is_v4;
    }
    std::strong_ordering operator<=>(const IpAddress& o) const noexcept {
        if (auto c = word(0) <=> o.word(0); c != 0) return c;
        if (auto c = word(1) <=> o.word(1); c != 0) return c;
        return is_v4 <=> o.is_v4;
    }

private:
    // Bytes 8i to 8i+7, most significant first: words compare as the bytes do.
    uint64_t word(int i) const noexcept {
        uint64_t w;
        std::memcpy(&w, bytes.data() + 8 * i, 8);
        if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
        return w;
    }
};

struct IpAddressHash {
    size_t operator()(const IpAddress& a) const noexcept;
};

// A CIDR block such as 10.0.0.0/8 or fc00::/7.
struct Cidr {
    IpAddress network;
    int prefix_length = 0;

    static std::optional<Cidr> parse(std::string_view text);
    bool contains(const IpAddress& address) const;
    std::string to_string() const;
};

// The default "internal" networks: RFC 1918, RFC 6598 shared space, loopback,
// link-local (v4 and v6), IPv6 unique-local, and multicast/broadcast (a
// discovery announcement is not egress).
std::vector<Cidr> default_local_networks();

using MacAddress = std::array<uint8_t, 6>;
std::string mac_to_string(const MacAddress& mac);  // lower-case, colon separated
std::optional<MacAddress> parse_mac(std::string_view text);

}  // namespace egresswatch
