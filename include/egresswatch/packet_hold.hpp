// Packets of flagged flows (--evidence-packets): for every open flow, its
// first N packets in each direction as captured (cut to the evidence snap
// length), and, for every client, the DNS answer packet that last named each
// address it resolved. When a flow's record is an alert the sensor takes what
// is held for it and stores it (egresswatch pcap writes it out); when a flow
// ends without an alert its packets stay a short while (two flush intervals)
// in case re-judging raises a late alert for it, and are then dropped.
//
// Memory is bounded by one byte budget for all of it: a packet that does not
// fit is not kept, and counted (capture_stats.evidence_packets_not_kept);
// flows that ended without an alert, then the oldest DNS answers, make room first.
// Used from the capture thread, and from the lanes' threads once set_threaded().
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/dns_cache.hpp"  // ClientAddress
#include "egresswatch/flow_table.hpp"
#include "egresswatch/frame_header.hpp"
#include "egresswatch/net.hpp"

namespace egresswatch {

struct PacketHoldConfig {
    size_t per_direction = 16;           // 0: off
    size_t snaplen = 512;                // bytes kept of each frame
    size_t budget_bytes = 128ull << 20;  // all held packets together, with their bookkeeping
    bool vlan_in_key = false;            // as the flow table's key
};

enum class PacketDirection : uint8_t { out, in, dns };  // out: device -> remote
const char* to_string(PacketDirection direction);

// One captured frame, cut to the snap length.
struct HeldPacket {
    int64_t ts_us = 0;
    uint32_t origlen = 0;  // the frame's length on the wire
    int linktype = 0;      // DLT_*/LINKTYPE_* of the capture
    PacketDirection direction = PacketDirection::out;
    std::vector<uint8_t> data;  // caplen = data.size()
};

class PacketHold {
public:
    explicit PacketHold(PacketHoldConfig config);
    bool enabled() const { return config_.per_direction > 0; }
    const PacketHoldConfig& config() const { return config_; }
    // From now on several threads call add() (lanes): take the lock.
    void set_threaded() { threaded_ = true; }
    // A copy made while `frames` says they were cut is not kept (Sensor::watch_frames).
    void watch_frames(const FramesCutWatch* frames) { frames_ = frames; }

    // A packet of the flow `p` belongs to; `packet_index` is the flow's
    // sequence if the packet starts it (FlowTable::account's packet_index).
    // A frame that stays where it is until the capture ends (a mapped file's)
    // is held by reference and read back from its file only if its flow
    // alerts; a file cut or rewritten in the meantime (watch_frames, or other
    // bytes there when it is read back) makes it not kept, as a copy made
    // after a cut is not.
    void add(const DecodedPacket& p, uint64_t packet_index, int linktype, const FrameHeader& header,
             const uint8_t* frame, bool frame_stays = false);
    // A DNS answer that told `client` the `addresses`; `learnt_at` is the
    // capture's index of its packet (0: unknown, as with lanes). A flow whose
    // first packet is index P is named by the last answer learnt before P,
    // as with one worker, even when several workers hold that packet after
    // the capture thread has learnt newer answers: those keep the answers
    // they replace until settle().
    void add_dns_answer(const IpAddress& client, const std::vector<IpAddress>& addresses, int linktype,
                        const FrameHeader& header, const uint8_t* frame, uint64_t learnt_at = 0);
    // Every packet up to index `offered` has been offered to the hold (its
    // flow's shard has processed it): answers replaced by one learnt at or
    // before it are no longer needed (no packet still to come began before it).
    void settle(uint64_t offered);

    // The flow `key` whose first packet was `sequence` ended in its shard
    // (the shard's thread, in packet order): what is held for it waits for
    // its final record, and the next flow of the same addresses and ports,
    // which the shard may see before that record is written, is held apart.
    void close(const FlowKey& key, uint64_t sequence);

    // A record of `flow` (named `uid` in the store) is written. If it is an
    // alert, returns the packets held for it and not yet taken, in capture
    // order, after the DNS answer that named its remote end (the first time).
    // A final record ends the flow here: an alert's packets are forgotten, a
    // flow without one is kept for late alerts (take_ended) until aged out.
    std::vector<HeldPacket> take(const FlowData& flow, const std::string& uid, bool alert, bool final);
    // A late alert for the ended flow `uid`: what is still held of it, if anything.
    std::vector<HeldPacket> take_ended(const std::string& uid);
    // Called at every flush: drops ended flows kept since before the last flush.
    void age();

    uint64_t not_kept() const { return not_kept_.load(std::memory_order_relaxed); }
    size_t bytes() const;
    size_t open_flows() const;  // flows held for, whose final record is not yet written

private:
    // A held frame, written in its flow's chunk just before its bytes, or
    // before a Reference to where they stay.
    struct Held {
        int64_t ts_us;
        uint32_t origlen;
        uint32_t size;  // bytes kept
        int32_t linktype;
        bool from_low;  // sent by the key's low end
        bool by_reference;
    };
    struct Reference {
        const FramesInPlace* file;  // the file the frame stays in (FramesCutWatch::file)
        uint64_t offset;            // of the frame in it
        uint64_t digest;            // of the bytes when held (frame_digest)
    };
    // Chunks of the sizes flows start with and double to (256 bytes to
    // 4 KiB) are reused, not freed: a malloc and free for each, with the page
    // faults of memory new to the process, was three quarters of what holding
    // evidence cost on real traffic. What waits here is bounded (kPoolBytes)
    // and not part of the budget, which counts what is held.
    class ChunkPool {
    public:
        ChunkPool() = default;
        ChunkPool(const ChunkPool&) = delete;
        ChunkPool& operator=(const ChunkPool&) = delete;
        ~ChunkPool();
        uint8_t* get(size_t size);
        void put(uint8_t* bytes, size_t size);

    private:
        static constexpr size_t kClasses = 5;  // 256, 512, 1024, 2048, 4096
        std::vector<uint8_t*> free_[kClasses];
        size_t free_bytes_ = 0;
    };
    struct ChunkRelease {
        ChunkPool* pool;
        size_t size;
        void operator()(uint8_t* bytes) const { pool->put(bytes, size); }
    };
    struct Chunk {
        std::unique_ptr<uint8_t[], ChunkRelease> bytes;
        uint32_t size, used;
    };
    struct Entry {
        uint64_t sequence = 0;
        uint16_t count[2] = {0, 0};  // packets seen from the low end, from the high end (up to N)
        bool dns_taken = false;
        // The DNS answers that had named each end to the other when the flow
        // began: to the low end about the high end, and the other way round.
        std::shared_ptr<const HeldPacket> dns_to_low, dns_to_high;
        // The packets not yet taken, each a Held and its bytes, in order, in
        // chunks each twice the last (up to 4 KiB): a chunk is never moved or
        // grown (one buffer per flow that doubled copied its frames again at
        // each step), and a short flow takes little.
        std::vector<Chunk> chunks;
        size_t packets = 0;
        size_t chunk_bytes = 0;  // of all its chunks
        size_t cost = 0;         // what it holds: bookkeeping, chunks, DNS answers
    };
    struct Ended {
        Entry entry;
        bool device_is_low = true;
        uint64_t generation = 0;
    };
    using DnsKey = ClientAddress;
    struct LearntAnswer {
        std::shared_ptr<const HeldPacket> packet;
        uint64_t learnt_at = 0;
    };
    struct DnsAnswer {
        LearntAnswer latest;
        uint64_t sequence;
        // Threaded: the answers this one replaced since the last settle(),
        // oldest first. Outside the budget: few, and gone at the next barrier.
        std::vector<LearntAnswer> replaced;
        // The answer learnt last before packet `packet_index` (0: the latest).
        const LearntAnswer* learnt_before(uint64_t packet_index) const;
    };

    bool make_room(size_t bytes);  // with the lock held
    bool drop_oldest_dns();        // false: none left
    // The packets not yet taken, after the DNS answer the first time; frees them.
    std::vector<HeldPacket> take_locked(bool device_is_low, Entry& entry);
    void drop_ended(const std::string& uid);
    void complete_dns(const FlowData& flow, Entry& entry);

    PacketHoldConfig config_;
    ChunkPool pool_;  // before the entries, which return their chunks to it
    bool threaded_ = false;
    const FramesCutWatch* frames_ = nullptr;
    bool frames_were_cut() const { return frames_ && frames_->cut(); }
    mutable std::mutex mutex_;
    size_t bytes_ = 0;
    size_t dns_bytes_ = 0;  // of bytes_
    std::atomic<uint64_t> not_kept_{0};
    std::unordered_map<FlowKey, Entry, FlowKeyHash> open_;
    std::unordered_map<uint64_t, Entry> closed_;  // by sequence: ended in a shard, final record not yet taken
    std::unordered_map<std::string, Ended> ended_;
    std::deque<std::string> ended_order_;
    uint64_t generation_ = 0;
    std::unordered_map<DnsKey, DnsAnswer, ClientAddressHash> dns_;
    std::deque<std::pair<DnsKey, uint64_t>> dns_order_;
    std::vector<DnsKey> unsettled_;  // answers with replaced ones kept
    uint64_t dns_sequence_ = 0;
};

}  // namespace egresswatch
