#include "egresswatch/packet_hold.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>
#include <tuple>

#include "egresswatch/clock.hpp"

namespace egresswatch {
namespace {

// What a held packet and a flow's entry cost besides the frame bytes (the
// containers' nodes and headers), so that the budget bounds the memory used.
constexpr size_t kPacketOverhead = 64;  // a DNS answer's
constexpr size_t kEntryOverhead = 256;
constexpr size_t kDnsOverhead = 128;
// Passive DNS answers take at most this share of the budget.
constexpr size_t kDnsShare = 8;
// A flow's frames are kept in chunks of 256 bytes, then twice the last, up to
// 4 KiB (a chunk is at least as large as the frame it is made for).
constexpr size_t kFirstChunk = 256;
constexpr size_t kLargestChunk = 4096;
// Free chunks kept for reuse, at most.
constexpr size_t kPoolBytes = 8u << 20;
// A held packet in a chunk: its Held, then its bytes, from an 8-byte boundary.
constexpr size_t kAlign = 8;
size_t aligned(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

// A frame held by reference is kept only if the bytes read back are still
// the ones read with its flow: a file rewritten in place (not cut, which the
// SIGBUS guard reports) would otherwise give another packet's bytes as
// evidence. A check against accidents, not a seal (whoever can write the
// capture can change it before it is read): another packet at the same place
// differs in its headers (addresses, ports, IP id, sequence numbers,
// checksums), so the digest covers the first 64 bytes and the last 16. Over
// every byte, it was 4% of the capture thread on the generated capture.
uint64_t frame_digest(const uint8_t* bytes, size_t size) {
    constexpr size_t kHead = 64, kTail = 16;
    auto hash = [](const uint8_t* at, size_t n) {
        return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(at), n));
    };
    if (size <= kHead + kTail) return hash(bytes, size);
    return hash(bytes, kHead) * 31 + hash(bytes + size - kTail, kTail) + size;
}

// `size` bytes of `file` at `offset`, or false.
bool read_back(int fd, uint64_t offset, uint8_t* into, size_t size) {
    while (size > 0) {
        ssize_t n = pread(fd, into, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        into += n;
        offset += static_cast<uint64_t>(n);
        size -= static_cast<size_t>(n);
    }
    return true;
}

// The size class of a pooled chunk size (kNone: not pooled).
constexpr size_t kNone = SIZE_MAX;
size_t size_class(size_t size) {
    for (size_t c = 0, s = kFirstChunk; s <= kLargestChunk; ++c, s *= 2)
        if (size == s) return c;
    return kNone;
}

}  // namespace

const char* to_string(PacketDirection direction) {
    switch (direction) {
    case PacketDirection::out: return "out";
    case PacketDirection::in: return "in";
    case PacketDirection::dns: return "dns";
    }
    return "out";
}

PacketHold::ChunkPool::~ChunkPool() {
    for (auto& list : free_)
        for (uint8_t* bytes : list) delete[] bytes;
}

uint8_t* PacketHold::ChunkPool::get(size_t size) {
    size_t c = size_class(size);
    if (c == kNone || free_[c].empty()) return new uint8_t[size];
    uint8_t* bytes = free_[c].back();
    free_[c].pop_back();
    free_bytes_ -= size;
    return bytes;
}

void PacketHold::ChunkPool::put(uint8_t* bytes, size_t size) {
    size_t c = size_class(size);
    if (c == kNone || free_bytes_ + size > kPoolBytes) {
        delete[] bytes;
        return;
    }
    free_[c].push_back(bytes);
    free_bytes_ += size;
}

PacketHold::PacketHold(PacketHoldConfig config)
    : config_(config), open_(64, FlowKeyHash::random()) {}

size_t PacketHold::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

size_t PacketHold::open_flows() const {
    std::lock_guard lock(mutex_);
    return open_.size() + closed_.size();
}

bool PacketHold::make_room(size_t bytes) {
    while (bytes_ + bytes > config_.budget_bytes && !ended_order_.empty()) {
        drop_ended(ended_order_.front());
        ended_order_.pop_front();
    }
    while (bytes_ + bytes > config_.budget_bytes && drop_oldest_dns()) {
    }
    return bytes_ + bytes <= config_.budget_bytes;
}

bool PacketHold::drop_oldest_dns() {
    while (!dns_order_.empty()) {
        auto [key, sequence] = dns_order_.front();
        dns_order_.pop_front();
        auto it = dns_.find(key);
        if (it == dns_.end() || it->second.sequence != sequence) continue;  // replaced since
        size_t cost = kDnsOverhead + it->second.latest.packet->data.size();
        bytes_ -= cost;
        dns_bytes_ -= cost;
        dns_.erase(it);
        return true;
    }
    return false;
}

void PacketHold::drop_ended(const std::string& uid) {
    auto it = ended_.find(uid);
    if (it == ended_.end()) return;
    bytes_ -= it->second.entry.cost;
    ended_.erase(it);
}

void PacketHold::add(const DecodedPacket& p, uint64_t packet_index, int linktype, const FrameHeader& header,
                     const uint8_t* frame, bool frame_stays) {
    if (!enabled()) return;
    std::unique_lock lock(mutex_, std::defer_lock);
    if (threaded_) lock.lock();
    FlowKey key = FlowKey::from(p, config_.vlan_in_key);
    // As FlowKey::from orders the ends: the source is the low end if it sorts first.
    bool from_low = std::tie(p.src_ip, p.src_port) < std::tie(p.dst_ip, p.dst_port);
    auto it = open_.find(key);
    if (it == open_.end()) {
        // The answer learnt last before the packet (add_dns_answer): with
        // several workers, the capture thread may have learnt later ones by
        // the time a shard gets here.
        int64_t ts_us = to_us(header.ts);
        auto named = [&](const IpAddress& client, const IpAddress& address) -> std::shared_ptr<const HeldPacket> {
            auto answer = dns_.find(DnsKey{client, address});
            if (answer == dns_.end()) return nullptr;
            const LearntAnswer* before = answer->second.learnt_before(packet_index);
            if (!before || before->packet->ts_us > ts_us) return nullptr;
            return before->packet;
        };
        std::shared_ptr<const HeldPacket> to_low = named(key.low_ip, key.high_ip);
        std::shared_ptr<const HeldPacket> to_high = named(key.high_ip, key.low_ip);
        // Counted again here: the entry keeps them even once the answers make room.
        size_t cost = kEntryOverhead + (to_low ? kPacketOverhead + to_low->data.size() : 0) +
                      (to_high ? kPacketOverhead + to_high->data.size() : 0);
        if (!make_room(cost)) {
            not_kept_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        it = open_.emplace(key, Entry{}).first;
        it->second.sequence = packet_index;
        it->second.dns_to_low = std::move(to_low);
        it->second.dns_to_high = std::move(to_high);
        it->second.cost = cost;
        bytes_ += cost;
    }
    Entry& entry = it->second;
    uint16_t& count = entry.count[from_low ? 0 : 1];
    if (count >= config_.per_direction) return;
    ++count;
    size_t caplen = std::min<size_t>(header.caplen, config_.snaplen);
    // By reference: nearly every flow ends without an alert, and copying its
    // first packets was a third of what holding cost, with the memory (a
    // week of real traffic held 31 MB of ended flows' copies for late alerts).
    // (Not from a file read unguarded: there a cut would raise SIGBUS.)
    const FramesInPlace* file = frame_stays && frames_ ? frames_->file() : nullptr;
    bool by_reference = file && file->cut && file->fd >= 0 && frame >= file->base;
    size_t record = aligned(sizeof(Held) + (by_reference ? sizeof(Reference) : caplen));
    Chunk* last = entry.chunks.empty() ? nullptr : &entry.chunks.back();
    bool fits = last && last->used + record <= last->size;
    size_t chunk_size = 0;
    if (!fits) {
        chunk_size = last ? std::min(kLargestChunk, 2 * size_t{last->size}) : kFirstChunk;
        while (chunk_size < record && chunk_size < kLargestChunk) chunk_size *= 2;
        chunk_size = std::max(chunk_size, record);  // beyond 4 KiB (a large snap length): its own size
    }
    if (!make_room(chunk_size)) {
        not_kept_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (!fits) {
        if (entry.chunks.empty()) entry.chunks.reserve(4);
        entry.chunks.push_back(Chunk{{pool_.get(chunk_size), ChunkRelease{&pool_, chunk_size}},
                                     static_cast<uint32_t>(chunk_size), 0});
        last = &entry.chunks.back();
        entry.chunk_bytes += chunk_size;
    }
    Held held{to_us(header.ts), header.len, static_cast<uint32_t>(caplen), linktype, from_low, by_reference};
    uint8_t* at = last->bytes.get() + last->used;
    std::memcpy(at, &held, sizeof held);
    if (by_reference) {
        Reference reference{file, static_cast<uint64_t>(frame - file->base), frame_digest(frame, caplen)};
        std::memcpy(at + sizeof held, &reference, sizeof reference);
    } else {
        std::memcpy(at + sizeof held, frame, caplen);
    }
    if (frames_were_cut()) {  // the copy may hold zeros: the chunk's space is reused
        --count;
        return;
    }
    last->used += static_cast<uint32_t>(record);
    ++entry.packets;
    entry.cost += chunk_size;
    bytes_ += chunk_size;
}

void PacketHold::add_dns_answer(const IpAddress& client, const std::vector<IpAddress>& addresses, int linktype,
                                const FrameHeader& header, const uint8_t* frame, uint64_t learnt_at) {
    if (!enabled() || addresses.empty()) return;
    std::unique_lock lock(mutex_, std::defer_lock);
    if (threaded_) lock.lock();
    size_t caplen = std::min<size_t>(header.caplen, config_.snaplen);
    auto packet = std::make_shared<const HeldPacket>(HeldPacket{
        to_us(header.ts), header.len, linktype, PacketDirection::dns, std::vector<uint8_t>(frame, frame + caplen)});
    if (frames_were_cut()) return;  // the copy may hold zeros
    for (const auto& address : addresses) {
        DnsKey key{client, address};
        size_t cost = kDnsOverhead + caplen;
        // One lookup: a busy resolver repeats the same answers, and finding,
        // erasing and inserting each again was a third of this function.
        auto [it, added] = dns_.try_emplace(key);
        std::vector<LearntAnswer> replaced;
        if (!added) {  // the newer answer replaces the older
            size_t old_cost = kDnsOverhead + it->second.latest.packet->data.size();
            bytes_ -= old_cost;
            dns_bytes_ -= old_cost;
            // A worker may yet hold a flow that began before this answer.
            if (threaded_ && learnt_at != 0) {
                replaced = std::move(it->second.replaced);
                if (replaced.empty()) unsettled_.push_back(key);
                replaced.push_back(std::move(it->second.latest));
            }
        }
        // No slot of dns_order_ names sequence 0: making room below cannot drop this entry.
        it->second.sequence = 0;
        // Answers stay within their share of the budget: the oldest go first.
        while (dns_bytes_ + cost > config_.budget_bytes / kDnsShare && drop_oldest_dns()) {
        }
        if (dns_bytes_ + cost > config_.budget_bytes / kDnsShare || !make_room(cost)) {
            dns_.erase(it);
            not_kept_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        uint64_t sequence = ++dns_sequence_;
        it->second = DnsAnswer{{packet, learnt_at}, sequence, std::move(replaced)};
        dns_order_.emplace_back(key, sequence);
        bytes_ += cost;
        dns_bytes_ += cost;
    }
}

const PacketHold::LearntAnswer* PacketHold::DnsAnswer::learnt_before(uint64_t packet_index) const {
    if (packet_index == 0 || latest.learnt_at < packet_index) return &latest;
    for (auto r = replaced.rbegin(); r != replaced.rend(); ++r)
        if (r->learnt_at < packet_index) return &*r;
    return nullptr;
}

void PacketHold::settle(uint64_t offered) {
    std::unique_lock lock(mutex_, std::defer_lock);
    if (threaded_) lock.lock();
    std::vector<DnsKey> still;
    for (const DnsKey& key : unsettled_) {
        auto it = dns_.find(key);
        if (it == dns_.end()) continue;
        // Each replaced answer served the packets up to the next one's index.
        auto& replaced = it->second.replaced;
        size_t done = 0;
        while (done < replaced.size()) {
            uint64_t next_at = done + 1 < replaced.size() ? replaced[done + 1].learnt_at : it->second.latest.learnt_at;
            if (next_at > offered) break;
            ++done;
        }
        replaced.erase(replaced.begin(), replaced.begin() + static_cast<std::ptrdiff_t>(done));
        if (replaced.empty()) std::vector<LearntAnswer>().swap(replaced);
        else still.push_back(key);
    }
    unsettled_ = std::move(still);
}

void PacketHold::close(const FlowKey& key, uint64_t sequence) {
    if (!enabled()) return;
    std::unique_lock lock(mutex_, std::defer_lock);
    if (threaded_) lock.lock();
    auto it = open_.find(key);
    // Another flow's (this one's first packets were not kept): left to its take().
    if (it == open_.end() || it->second.sequence != sequence) return;
    closed_.insert_or_assign(sequence, std::move(it->second));
    open_.erase(it);
}

std::vector<HeldPacket> PacketHold::take_locked(bool device_is_low, Entry& entry) {
    std::vector<HeldPacket> out;
    out.reserve(entry.packets + 1);
    if (!entry.dns_taken) {
        entry.dns_taken = true;
        // The answer that had named the remote end to the device when the flow began.
        const auto& answer = device_is_low ? entry.dns_to_low : entry.dns_to_high;
        if (answer) out.push_back(*answer);
    }
    for (const Chunk& chunk : entry.chunks) {
        for (size_t at = 0; at < chunk.used;) {
            Held held;
            std::memcpy(&held, chunk.bytes.get() + at, sizeof held);
            const uint8_t* bytes = chunk.bytes.get() + at + sizeof held;
            at += aligned(sizeof held + (held.by_reference ? sizeof(Reference) : held.size));
            HeldPacket packet{held.ts_us, held.origlen, held.linktype,
                              held.from_low == device_is_low ? PacketDirection::out : PacketDirection::in, {}};
            if (!held.by_reference) {
                packet.data.assign(bytes, bytes + held.size);
            } else {
                Reference reference;
                std::memcpy(&reference, bytes, sizeof reference);
                packet.data.resize(held.size);
                // Not kept if the file was cut since (what was read may have
                // been zeros) or the bytes there are not those read.
                if (reference.file->was_cut() ||
                    !read_back(reference.file->fd, reference.offset, packet.data.data(), held.size) ||
                    frame_digest(packet.data.data(), held.size) != reference.digest) {
                    not_kept_.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
            }
            out.push_back(std::move(packet));
        }
    }
    // Later packets (up to N each way) start new chunks.
    size_t freed = entry.chunk_bytes;
    std::vector<Chunk>().swap(entry.chunks);
    entry.packets = entry.chunk_bytes = 0;
    entry.cost -= freed;
    bytes_ -= freed;
    return out;
}

// The answer may have been learnt after the flow's first packet was held
// (lanes hand DNS answers to the capture thread a little later): the latest
// answer, if it came before the flow began, is the one that named it.
void PacketHold::complete_dns(const FlowData& flow, Entry& entry) {
    auto& answer = flow.device_is_low ? entry.dns_to_low : entry.dns_to_high;
    if (entry.dns_taken || answer) return;
    auto it = dns_.find(DnsKey{flow.device_ip(), flow.remote_ip()});
    if (it == dns_.end() || it->second.latest.packet->ts_us > flow.first_us) return;
    answer = it->second.latest.packet;
    size_t cost = kPacketOverhead + answer->data.size();
    entry.cost += cost;
    bytes_ += cost;
}

std::vector<HeldPacket> PacketHold::take(const FlowData& flow, const std::string& uid, bool alert, bool final) {
    if (!enabled()) return {};
    std::unique_lock lock(mutex_, std::defer_lock);
    if (threaded_) lock.lock();
    // An ended flow's entry waits in closed_ if its shard closed it, else in
    // open_. (With workers, an open flow's record may be written after its
    // shard ended it: its packets are the same.)
    Entry* entry = nullptr;
    auto closed = closed_.find(flow.sequence);
    auto open = open_.end();
    if (closed != closed_.end()) {
        entry = &closed->second;
    } else {
        open = open_.find(flow.key);
        // Held for another flow of the same addresses and ports: the flow's
        // own first packets were not kept (the budget was full then).
        if (open != open_.end() && open->second.sequence == flow.sequence) entry = &open->second;
    }
    auto forget = [&] {
        if (closed != closed_.end()) closed_.erase(closed);
        else open_.erase(open);
    };
    if (!entry) {
        // A final record drops an older flow's leftovers under its key (not
        // a newer flow's, which its shard may already hold packets of).
        if (final && open != open_.end() && open->second.sequence < flow.sequence) {
            bytes_ -= open->second.cost;
            open_.erase(open);
        }
        return {};
    }
    if (alert || final) complete_dns(flow, *entry);
    if (alert) {
        std::vector<HeldPacket> packets = take_locked(flow.device_is_low, *entry);
        if (final) {
            bytes_ -= entry->cost;
            forget();
        }
        return packets;
    }
    if (!final) return {};
    if (entry->packets > 0) {
        // Ended without an alert: kept, as it is, for a late alert until aged out.
        auto [slot, inserted] = ended_.try_emplace(uid);
        if (!inserted) bytes_ -= slot->second.entry.cost;
        else ended_order_.push_back(uid);
        slot->second = Ended{std::move(*entry), flow.device_is_low, generation_};
    } else {
        bytes_ -= entry->cost;
    }
    forget();
    return {};
}

std::vector<HeldPacket> PacketHold::take_ended(const std::string& uid) {
    std::unique_lock lock(mutex_, std::defer_lock);
    if (threaded_) lock.lock();
    auto it = ended_.find(uid);
    if (it == ended_.end()) return {};
    std::vector<HeldPacket> packets = take_locked(it->second.device_is_low, it->second.entry);
    bytes_ -= it->second.entry.cost;
    ended_.erase(it);  // its uid stays in ended_order_, and is skipped there
    return packets;
}

void PacketHold::age() {
    std::unique_lock lock(mutex_, std::defer_lock);
    if (threaded_) lock.lock();
    ++generation_;
    while (!ended_order_.empty()) {
        auto it = ended_.find(ended_order_.front());
        if (it != ended_.end() && it->second.generation + 2 > generation_) break;
        if (it != ended_.end()) {
            bytes_ -= it->second.entry.cost;
            ended_.erase(it);
        }
        ended_order_.pop_front();
    }
}

}  // namespace egresswatch
