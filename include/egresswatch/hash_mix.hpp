// The two steps the hashes of addresses and flow keys are built from.
#pragma once

#include <cstdint>

namespace egresswatch {

// The 128-bit product of a and b, its halves folded together (wyhash's mum):
// one multiply mixes two words, and independent products run side by side.
inline uint64_t mum(uint64_t a, uint64_t b) {
    unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

// murmur3's fmix64: every bit of the result depends on every bit of h, so
// that `hash % n` spreads keys that differ only in a few high bits.
inline uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

}  // namespace egresswatch
