#include "egresswatch/dns_cache.hpp"

#include <algorithm>

namespace egresswatch {

DnsCache::DnsCache(size_t max_entries, int64_t grace_us, int64_t min_ttl_us)
    : max_entries_(max_entries), grace_us_(grace_us), min_ttl_us_(min_ttl_us) {}

void DnsCache::remember(const IpAddress& client, const IpAddress& address, ResolvedName name,
                        uint32_t ttl_seconds, int64_t now_us) {
    int64_t ttl_us = std::max<int64_t>(int64_t{ttl_seconds} * 1'000'000, min_ttl_us_);
    Key key{client, address};
    uint64_t sequence = next_sequence_++;
    entries_.insert_or_assign(key, Entry{std::move(name), now_us + ttl_us + grace_us_, sequence});
    order_.emplace_back(key, sequence);
    trim(now_us);
}

void DnsCache::trim(int64_t now_us) {
    // A key re-inserted again and again leaves stale queue slots behind a
    // long-lived head; rebuild the queue before it outgrows the cache.
    if (order_.size() > 2 * max_entries_ + 1024) {
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
        bool over = entries_.size() > max_entries_;
        if (!expired && !over) break;
        if (over && !expired) ++evicted_;
        entries_.erase(it);
        order_.pop_front();
    }
}

const ResolvedName* DnsCache::lookup(const IpAddress& client, const IpAddress& address, int64_t now_us) const {
    auto it = entries_.find(Key{client, address});
    if (it == entries_.end() || it->second.expires_us <= now_us) return nullptr;
    return &it->second.name;
}

}  // namespace egresswatch
