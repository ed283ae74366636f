#include "egresswatch/flow_table.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <random>
#include <tuple>

#include "egresswatch/dns_message.hpp"
#include "egresswatch/dpi.hpp"
#include "egresswatch/hash_mix.hpp"

namespace egresswatch {

Flow::Flow() = default;
Flow::~Flow() = default;
Flow::Flow(Flow&&) noexcept = default;
Flow& Flow::operator=(Flow&&) noexcept = default;

bool FlowData::from_device(const DecodedPacket& p) const {
    if (p.src_ip != device_ip()) return false;
    // Same address on both ends (loopback, hairpin): the port tells them apart.
    return device_ip() != remote_ip() || p.src_port == device_port();
}

FlowKey FlowKey::from(const DecodedPacket& p, bool vlan_in_key) {
    FlowKey k;
    bool src_first = std::tie(p.src_ip, p.src_port) < std::tie(p.dst_ip, p.dst_port);
    k.low_ip = src_first ? p.src_ip : p.dst_ip;
    k.high_ip = src_first ? p.dst_ip : p.src_ip;
    k.low_port = src_first ? p.src_port : p.dst_port;
    k.high_port = src_first ? p.dst_port : p.src_port;
    k.protocol = p.ip_protocol;
    if (vlan_in_key) {
        k.vlan = static_cast<int16_t>(p.vlan);
        k.inner_vlan = static_cast<int16_t>(p.inner_vlan);
    }
    return k;
}

size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
    // Pairs of the key's words multiplied into 128 bits, each word first
    // masked by the seed (wyhash's mum): the products are independent, where
    // the multiply-xorshift rounds they replace ran one after the other (2%
    // of the capture thread). Every product depends on the seed, so keys
    // that collide for one table do not for another.
    uint64_t words[4];
    std::memcpy(words, k.low_ip.bytes.data(), 16);
    std::memcpy(words + 2, k.high_ip.bytes.data(), 16);
    uint64_t rest = uint64_t{k.low_port} << 48 | uint64_t{k.high_port} << 32 | uint64_t{k.protocol} << 24 |
                    (uint64_t(uint16_t(k.vlan)) << 12 ^ uint64_t(uint16_t(k.inner_vlan)));
    uint64_t h = mum(words[0] ^ seed ^ 0xa0761d6478bd642full, words[1] ^ seed ^ 0xe7037ed1a0b428dbull) ^
                 mum(words[2] ^ seed ^ 0x8ebc6af09c88c6e3ull, words[3] ^ seed ^ 0x589965cc75374cc3ull);
    h = mum(h ^ rest, seed ^ 0x1d8e4e27c47d124full);
    // FlowWorkers routes by `hash % workers`: without fmix64 the ports once
    // barely reached the low bits, and every flow between two addresses went
    // to one worker when the count was even (issue 17).
    return static_cast<size_t>(fmix64(h));
}

namespace {
uint64_t random_seed() {
    std::random_device device;
    return uint64_t{device()} << 32 | device();
}
enum TimeoutClass : uint8_t { kTcp = 0, kOther = 1, kClosed = 2 };
}  // namespace

FlowKeyHash FlowKeyHash::random() { return FlowKeyHash{random_seed()}; }

FlowTable::FlowTable(size_t max_flows, FlowTimeouts timeouts, IsLocal is_local, OnEnd on_end, bool vlan_in_key)
    : max_flows_(max_flows),
      timeouts_(timeouts),
      vlan_in_key_(vlan_in_key),
      is_local_(std::move(is_local)),
      on_end_(std::move(on_end)),
      flows_(1024, FlowKeyHash::random()) {}

FlowTable::~FlowTable() = default;

int64_t FlowTable::timeout_of(uint8_t timeout_class) const {
    switch (timeout_class) {
    case kTcp: return timeouts_.tcp_us;
    case kClosed: return timeouts_.closed_us;
    default: return timeouts_.udp_us;
    }
}

uint8_t FlowTable::timeout_class_of(const Flow& flow) const {
    if (flow.is_closed()) return kClosed;
    return flow.key.protocol == 6 ? kTcp : kOther;
}

void FlowTable::unlink(Flow& flow) {
    TimeoutList& list = lists_[flow.timeout_class];
    (flow.older ? flow.older->newer : list.oldest) = flow.newer;
    (flow.newer ? flow.newer->older : list.newest) = flow.older;
    flow.older = flow.newer = nullptr;
}

void FlowTable::touch(Flow& flow, uint8_t timeout_class) {
    unlink(flow);
    flow.timeout_class = timeout_class;
    TimeoutList& list = lists_[timeout_class];
    flow.older = list.newest;
    (list.newest ? list.newest->newer : list.oldest) = &flow;
    list.newest = &flow;
}

void FlowTable::finish(Flow& flow, FlowEnd why) {
    unlink(flow);
    if (why == FlowEnd::evicted) ++evicted_;
    on_end_(flow, why);
    FlowKey key = flow.key;  // erase by a copy: the flow (and its key) dies here
    flows_.erase(key);
}

Flow& FlowTable::account(const DecodedPacket& p, int64_t ts_us, uint64_t packet_index) {
    // Expire at most once per packet-time second: cheap, and exact enough.
    if (expires_itself_ && (ts_us - last_expiry_us_ >= 1'000'000 || ts_us < last_expiry_us_)) expire(ts_us);

    FlowKey key = FlowKey::from(p, vlan_in_key_);
    auto [it, inserted] = flows_.try_emplace(key);
    Flow& flow = it->second;
    if (inserted) {
        ++created_;
        flow.key = key;
        flow.sequence = packet_index ? packet_index : next_sequence_++;
        flow.ip_version = p.ip_version;
        bool src_local = is_local_(p.src_ip);
        bool dst_local = is_local_(p.dst_ip);
        // The internal end is the device; otherwise whoever spoke first.
        bool src_is_device = src_local || !dst_local;
        flow.device_initiated = src_is_device;
        const IpAddress& device_ip = src_is_device ? p.src_ip : p.dst_ip;
        uint16_t device_port = src_is_device ? p.src_port : p.dst_port;
        flow.device_is_low = device_ip == key.low_ip && device_port == key.low_port;
        flow.remote_is_local = src_is_device ? dst_local : src_local;
        flow.first_us = ts_us;
        flow.timeout_class = kOther;
        TimeoutList& list = lists_[kOther];
        flow.older = list.newest;
        (list.newest ? list.newest->newer : list.oldest) = &flow;
        list.newest = &flow;
        if (flows_.size() > max_flows_) {
            // Evict the least recently active flow of any class.
            Flow* victim = nullptr;
            for (auto& l : lists_)
                if (l.oldest && l.oldest != &flow && (!victim || l.oldest->last_us < victim->last_us))
                    victim = l.oldest;
            if (victim) finish(*victim, FlowEnd::evicted);
        }
    }

    bool outbound = flow.from_device(p);
    if (outbound) {
        if (flow.packets_out == 0) {
            flow.vlan_out = static_cast<int16_t>(p.vlan);
            flow.inner_vlan_out = static_cast<int16_t>(p.inner_vlan);
        }
        flow.bytes_out += p.ip_length;
        ++flow.packets_out;
        if (p.has_src_mac && !flow.has_device_mac) flow.device_mac = p.src_mac, flow.has_device_mac = true;
        if (p.has_dst_mac && !flow.has_remote_mac) flow.remote_mac = p.dst_mac, flow.has_remote_mac = true;
    } else {
        if (flow.packets_in == 0) {
            flow.vlan_in = static_cast<int16_t>(p.vlan);
            flow.inner_vlan_in = static_cast<int16_t>(p.inner_vlan);
        }
        flow.bytes_in += p.ip_length;
        ++flow.packets_in;
        if (p.has_dst_mac && !flow.has_device_mac) flow.device_mac = p.dst_mac, flow.has_device_mac = true;
        if (p.has_src_mac && !flow.has_remote_mac) flow.remote_mac = p.src_mac, flow.has_remote_mac = true;
    }
    if (p.ip_protocol == 6) {
        if (p.tcp_flags & tcp_flag::rst) flow.reset = true;
        if (p.tcp_flags & tcp_flag::fin) (outbound ? flow.fin_from_device : flow.fin_from_remote) = true;
    } else if (p.ip_protocol == 17 && either_port(p, 53)) {
        if (auto response = dns_is_response(p.payload, p.payload_captured)) {
            if (!*response) {
                if (flow.dns_unanswered < UINT8_MAX) ++flow.dns_unanswered;
            } else {
                if (flow.dns_unanswered) --flow.dns_unanswered;
                flow.dns_answered = true;
            }
        }
    }
    if (ts_us > flow.last_us) flow.last_us = ts_us;
    if (ts_us < flow.first_us) flow.first_us = ts_us;
    flow.dirty = true;
    touch(flow, timeout_class_of(flow));
    return flow;
}

void FlowTable::expire(int64_t now_us) {
    last_expiry_us_ = now_us;
    for (uint8_t c = 0; c < 3; ++c) {
        int64_t timeout = timeout_of(c);
        while (Flow* oldest = lists_[c].oldest) {
            if (now_us - oldest->last_us < timeout) break;
            finish(*oldest, c == kClosed ? FlowEnd::closed : FlowEnd::idle);
        }
    }
}

int64_t FlowTable::next_expiry_us() const {
    int64_t next = INT64_MAX;
    for (uint8_t c = 0; c < 3; ++c)
        if (const Flow* oldest = lists_[c].oldest) next = std::min(next, oldest->last_us + timeout_of(c));
    return next;
}

void FlowTable::end_all() {
    for (auto& list : lists_)
        while (Flow* oldest = list.oldest) finish(*oldest, FlowEnd::shutdown);
}

void FlowTable::take_changed(const std::function<void(Flow&)>& visit) {
    for (auto& list : lists_)
        for (Flow* flow = list.newest; flow && flow->dirty; flow = flow->older) {
            flow->dirty = false;
            visit(*flow);
        }
}

}  // namespace egresswatch
