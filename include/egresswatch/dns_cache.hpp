// Passive DNS: which client resolved which name to which address. A flow
// without SNI or Host takes the name that its own device most recently
// resolved to the remote address. Entries expire after their TTL plus a grace
// period (devices keep using answers past the TTL), and the cache is bounded:
// when full, the oldest answers go first.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "egresswatch/net.hpp"

namespace egresswatch {

struct ResolvedName {
    std::string query;                 // the name the client asked for
    std::vector<std::string> aliases;  // CNAME targets on the way to the address
};

// A client and an address it resolved: what passive DNS is kept by.
struct ClientAddress {
    IpAddress client, address;
    bool operator==(const ClientAddress&) const = default;
};
struct ClientAddressHash {
    size_t operator()(const ClientAddress& k) const noexcept {
        IpAddressHash h;
        return h(k.client) * 31 ^ h(k.address);
    }
};

class DnsCache {
public:
    explicit DnsCache(size_t max_entries = 500'000, int64_t grace_us = 900'000'000,
                      int64_t min_ttl_us = 60'000'000);

    void remember(const IpAddress& client, const IpAddress& address, ResolvedName name,
                  uint32_t ttl_seconds, int64_t now_us);
    // The name, or nullptr if this client resolved nothing to this address lately.
    const ResolvedName* lookup(const IpAddress& client, const IpAddress& address, int64_t now_us) const;

    size_t size() const { return entries_.size(); }
    uint64_t evicted() const { return evicted_; }

private:
    using Key = ClientAddress;
    using KeyHash = ClientAddressHash;
    struct Entry {
        ResolvedName name;
        int64_t expires_us;
        uint64_t sequence;
    };
    void trim(int64_t now_us);

    size_t max_entries_;
    int64_t grace_us_, min_ttl_us_;
    std::unordered_map<Key, Entry, KeyHash> entries_;
    std::deque<std::pair<Key, uint64_t>> order_;  // insertion order, for eviction
    uint64_t next_sequence_ = 0;
    uint64_t evicted_ = 0;
};

}  // namespace egresswatch
