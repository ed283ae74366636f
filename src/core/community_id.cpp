#include "egresswatch/community_id.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "egresswatch/decode.hpp"

namespace egresswatch {
namespace {

bool has_ports(uint8_t proto) {
    return proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
}

// An ICMP message without a counterpart type (unreachable, time exceeded...)
// keeps its direction: the spec hashes it as sent.
bool is_one_way_icmp(uint8_t proto, uint16_t type) {
    if (proto != 1 && proto != 58) return false;
    return type > 0xff || icmp_counterpart(proto == 58, static_cast<uint8_t>(type)) < 0;
}

// Orders by address bytes, then port, as the spec's "smaller IP:port first".
bool less_endpoint(const IpAddress& a, uint16_t a_port, const IpAddress& b, uint16_t b_port) {
    int a_len = a.length_bits() / 8, b_len = b.length_bits() / 8;
    if (a_len != b_len) return a_len < b_len;
    int c = std::memcmp(a.data(), b.data(), a_len);
    return c < 0 || (c == 0 && a_port < b_port);
}

void put16(uint8_t*& out, uint16_t value) {
    *out++ = static_cast<uint8_t>(value >> 8);
    *out++ = static_cast<uint8_t>(value);
}

}  // namespace

std::string community_id_v1(const IpAddress& src, const IpAddress& dst, uint8_t proto,
                            uint16_t src_port, uint16_t dst_port, uint16_t seed) {
    const IpAddress* first = &src;
    const IpAddress* second = &dst;
    if (!is_one_way_icmp(proto, src_port) && !less_endpoint(src, src_port, dst, dst_port)) {
        std::swap(first, second);
        std::swap(src_port, dst_port);
    }
    // seed(2) . first(4|16) . second(4|16) . proto(1) . 0(1) [. port(2) . port(2)]
    uint8_t input[2 + 16 + 16 + 2 + 4];
    uint8_t* out = input;
    put16(out, seed);
    out = std::copy_n(first->data(), first->length_bits() / 8, out);
    out = std::copy_n(second->data(), second->length_bits() / 8, out);
    *out++ = proto;
    *out++ = 0;
    if (has_ports(proto)) {
        put16(out, src_port);
        put16(out, dst_port);
    }

    // Fetched once, as evidence.cpp's SHA-256: with EVP_sha1() OpenSSL 3
    // looked the algorithm up again for every flow record (2% of the capture
    // thread on real traffic).
    static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (!sha1 || EVP_Digest(input, static_cast<size_t>(out - input), digest, &digest_length, sha1, nullptr) != 1)
        throw std::runtime_error("libcrypto: SHA-1 failed");
    unsigned char base64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    int base64_length = EVP_EncodeBlock(base64, digest, static_cast<int>(digest_length));
    return "1:" + std::string(reinterpret_cast<const char*>(base64), static_cast<size_t>(base64_length));
}

}  // namespace egresswatch
