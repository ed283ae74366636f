// Passive DNS: which client resolved which name to which address, learnt from
// the DNS answers seen on the wire (the CNAME chain from the question, within
// bounds per response), and looked up when a flow without SNI or Host needs
// its name. Every answer kept is also a DnsObservation for the store.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/dns_cache.hpp"
#include "egresswatch/dns_message.hpp"
#include "egresswatch/net.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch {

// Per DNS response: what passive DNS keeps at most (the rest is counted in dns_dropped).
inline constexpr size_t kDnsMaxAnswersKept = 32;   // answer records stored and remembered
inline constexpr size_t kDnsMaxAliases = 8;        // CNAME hops followed from the question
inline constexpr size_t kDnsMaxNameChars = 255;    // a name's presentation form (253 plus room)

// What one DNS response taught.
struct DnsLearnt {
    // The question and its aliases; null when the message teaches nothing
    // (a query, an error, no question, or a question beyond the bounds).
    std::shared_ptr<const ResolvedName> resolved;
    std::vector<DnsObservation> observations;  // one per answer kept, for the store
    std::vector<IpAddress> named;           // addresses remembered for the client
    std::vector<uint32_t> named_ttls;       // each one's TTL
    uint64_t dropped = 0;                   // answers, names and aliases beyond the bounds
    bool beyond_bounds = false;             // something was left out (counted in dropped())
};

class PassiveDns {
public:
    explicit PassiveDns(size_t max_bytes = DnsCache::kDefaultMaxBytes) : cache_(max_bytes), max_bytes_(max_bytes) {}

    // A DNS message in `packet` (its addresses and transport), seen at `ts_us`.
    // The client is the packet's destination.
    DnsLearnt learn(const DnsMessage& message, const DecodedPacket& packet, int64_t ts_us);
    // learn() in two halves: what a message teaches, without learning it (the
    // evidence hold notes the answers' packets before the cache learns them:
    // Sensor::defer_payload), and learning what was read.
    static DnsLearnt read(const DnsMessage& message, const DecodedPacket& packet, int64_t ts_us);
    void remember(const DnsLearnt& learnt, const DecodedPacket& packet, int64_t ts_us);
    // The name `client` most recently resolved to `address`, or nullptr.
    const ResolvedName* lookup(const IpAddress& client, const IpAddress& address, int64_t now_us) const {
        return cache_.lookup(client, address, now_us);
    }

    uint64_t answers() const { return answers_; }  // answers stored
    uint64_t dropped() const { return dropped_; }  // answers, names and aliases beyond the bounds
    uint64_t evicted() const { return cache_.evicted(); }
    size_t max_bytes() const { return max_bytes_; }

private:
    DnsCache cache_;
    size_t max_bytes_;
    uint64_t answers_ = 0, dropped_ = 0;
};

}  // namespace egresswatch
