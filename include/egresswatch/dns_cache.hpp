// Passive DNS: which client resolved which name to which address. A flow
// without SNI or Host takes the name that its own device most recently
// resolved to the remote address. Entries expire after their TTL plus a grace
// period (devices keep using answers past the TTL), and the cache is bounded
// by the memory it takes, not by its number of entries (an answer with a
// 255-octet name and a chain of aliases costs a hundred times a plain one):
// when full, the oldest answers go first, and each is counted.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
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
    // 64 MiB: half a million ordinary answers (about 130 bytes each).
    static constexpr size_t kDefaultMaxBytes = size_t{64} << 20;
    explicit DnsCache(size_t max_bytes = kDefaultMaxBytes, int64_t grace_us = 900'000'000,
                      int64_t min_ttl_us = 60'000'000);

    // The addresses of one response share its name: pass the same pointer.
    void remember(const IpAddress& client, const IpAddress& address, std::shared_ptr<const ResolvedName> name,
                  uint32_t ttl_seconds, int64_t now_us);
    // The name, or nullptr if this client resolved nothing to this address lately.
    const ResolvedName* lookup(const IpAddress& client, const IpAddress& address, int64_t now_us) const;

    size_t size() const { return entries_.size(); }
    // What the entries take, as counted against the bound (an estimate that
    // charges every entry its whole name, shared or not).
    size_t bytes() const { return bytes_; }
    uint64_t evicted() const { return evicted_; }

    // The cost of one entry: the fixed part and its name.
    static size_t cost_of(const ResolvedName& name);

private:
    using Key = ClientAddress;
    using KeyHash = ClientAddressHash;
    struct Entry {
        std::shared_ptr<const ResolvedName> name;
        int64_t expires_us;
        uint64_t sequence;
        size_t cost;
    };
    void trim(int64_t now_us);
    void erase(std::unordered_map<Key, Entry, KeyHash>::iterator it);

    size_t max_bytes_;
    int64_t grace_us_, min_ttl_us_;
    std::unordered_map<Key, Entry, KeyHash> entries_;
    std::deque<std::pair<Key, uint64_t>> order_;  // insertion order, for eviction
    uint64_t next_sequence_ = 0;
    uint64_t evicted_ = 0;
    size_t bytes_ = 0;
};

}  // namespace egresswatch
