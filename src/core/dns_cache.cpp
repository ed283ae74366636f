#include "egresswatch/dns_cache.hpp"

#include <algorithm>

namespace egresswatch {

namespace {
// A map node with its key and entry, the hash bucket, a queue slot and the
// shared name's control block, rounded up.
constexpr size_t kEntryOverhead = 160;
}  // namespace

DnsCache::DnsCache(size_t max_bytes, int64_t grace_us, int64_t min_ttl_us)
    : max_bytes_(max_bytes), grace_us_(grace_us), min_ttl_us_(min_ttl_us) {}

size_t DnsCache::cost_of(const ResolvedName& name) {
    size_t cost = kEntryOverhead + name.query.capacity() + name.aliases.capacity() * sizeof(std::string);
    for (const auto& alias : name.aliases) cost += alias.capacity();
    return cost;
}

void DnsCache::remember(const IpAddress& client, const IpAddress& address, std::shared_ptr<const ResolvedName> name,
                        uint32_t ttl_seconds, int64_t now_us) {
    if (!name) return;
    int64_t ttl_us = std::max<int64_t>(int64_t{ttl_seconds} * 1'000'000, min_ttl_us_);
    Key key{client, address};
    uint64_t sequence = next_sequence_++;
    size_t cost = cost_of(*name);
    auto [it, added] = entries_.try_emplace(key);
    if (!added) bytes_ -= it->second.cost;
    it->second = Entry{std::move(name), now_us + ttl_us + grace_us_, sequence, cost};
    bytes_ += cost;
    order_.emplace_back(key, sequence);
    trim(now_us);
}

void DnsCache::erase(std::unordered_map<Key, Entry, KeyHash>::iterator it) {
    bytes_ -= it->second.cost;
    entries_.erase(it);
}

void DnsCache::trim(int64_t now_us) {
    // A key re-inserted again and again leaves stale queue slots behind a
    // long-lived head; rebuild the queue before it outgrows the cache.
    if (order_.size() > 2 * entries_.size() + 1024) {
        std::vector<std::pair<uint64_t, Key>> live;
        live.reserve(entries_.size());
        for (const auto& [key, entry] : entries_) live.emplace_back(entry.sequence, key);
        std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        order_.clear();
        for (const auto& [sequence, key] : live) order_.emplace_back(key, sequence);
    }
    // The queue holds every insertion; stale ones (re-inserted keys) are skipped.
    while (!order_.empty()) {
        auto& [key, sequence] = order_.front();
        auto it = entries_.find(key);
        bool current = it != entries_.end() && it->second.sequence == sequence;
        if (!current) {
            order_.pop_front();
            continue;
        }
        bool expired = it->second.expires_us <= now_us;
        bool over = bytes_ > max_bytes_;
        if (!expired && !over) break;
        if (over && !expired) ++evicted_;
        erase(it);
        order_.pop_front();
    }
}

const ResolvedName* DnsCache::lookup(const IpAddress& client, const IpAddress& address, int64_t now_us) const {
    auto it = entries_.find(Key{client, address});
    if (it == entries_.end() || it->second.expires_us <= now_us) return nullptr;
    return it->second.name.get();
}

}  // namespace egresswatch
