// Flow tracking and DPI, spread over worker threads (--workers N).
//
// The capture thread decodes each packet once: a symmetric hash of its flow
// key picks the shard, so both directions of a conversation meet in one flow
// table and one nDPI module. With one worker the shard runs in the capture
// thread itself; with more, each shard has a thread that is sent the decoded
// packets in batches (frames copied into the batch unless they stay where
// they are, no allocation per packet).
//
// Flows leave the shards only at barriers the capture thread sets in packet
// order (idle expiry every step of capture time, the flush interval, the
// end), and are then written in the order of their first packet. Worker
// threads run a barrier where it falls among their packets; the capture
// thread collects its flows later (post, done, collect), and the sensor
// keeps the payloads that teach it about devices and names behind it. So
// the records are the same whatever the number of workers: every shard
// expires its flows at the same point of the capture as one table would,
// and the shared state a record is made with (devices, passive DNS) is at
// that point too. Only the --max-flows cap is per shard (max_flows / N each).
#pragma once

#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/dpi.hpp"
#include "egresswatch/flow_table.hpp"
#include "egresswatch/frame_header.hpp"
#include "egresswatch/packet_hold.hpp"

namespace egresswatch {

// A flow record leaving a shard: a copy of an open flow (final false) or an
// ended flow, with nDPI's names for its protocol resolved by its shard.
struct FlowOutput {
    FlowData flow;
    std::string app_protocol, app_category;  // empty unless classified
    bool final = false;
};

struct FlowShardConfig {
    size_t max_flows = 2'000'000;  // for this shard
    FlowTimeouts timeouts;
    FlowTable::IsLocal is_local;   // called from the shard's thread: must be thread-safe
    std::string custom_protocols_file;
    bool vlan_in_key = false;      // --vlan-in-flow-key (see FlowKey)
    // Evidence: the shard offers each flow's first packets each way to the
    // hold, since it alone knows, without a lookup, which packets those are
    // (null: none kept). Shared by the shards: threaded with several.
    PacketHold* hold = nullptr;
};

// The frame a packet was decoded from, for the evidence hold.
struct FrameRef {
    int linktype = 0;
    FrameHeader header;
    const uint8_t* bytes = nullptr;
    bool stays = false;  // the frame stays where it is until the capture ends (a mapped file's)
};

// One flow table and one nDPI module; used by one thread at a time.
class FlowShard {
public:
    explicit FlowShard(const FlowShardConfig& config);
    void process(const DecodedPacket& packet, int64_t ts_us, uint64_t packet_index, const FrameRef& frame);
    void expire(int64_t now_us);
    // Copies every flow changed since it was last written to the output, and
    // marks it written.
    void snapshot_changed();
    void end_all();
    // Flows that left (expired, evicted, ended) or were copied since the last take.
    std::vector<FlowOutput> take_output() { return std::exchange(output_, {}); }

    size_t open_flows() const { return open_.load(std::memory_order_relaxed); }
    uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }
    // The table's next_expiry_us() as of the last expire() or end_all().
    int64_t next_expiry_us() const { return next_expiry_us_; }
    // FlowTable::set_expires_itself: off while packet-fed, on for a lane.
    void set_expires_itself(bool on) { table_->set_expires_itself(on); }

private:
    FlowOutput output_of(const FlowData& flow, bool final) const;
    void publish_counts();

    Dpi dpi_;
    PacketHold* hold_;
    std::unique_ptr<FlowTable> table_;
    std::vector<FlowOutput> output_;
    // Read by the capture thread for statistics while the shard works.
    std::atomic<size_t> open_{0};
    std::atomic<uint64_t> evicted_{0};
    int64_t next_expiry_us_ = INT64_MAX;
};

class FlowWorkers {
public:
    // `workers` shards; with more than one, each on its own thread.
    FlowWorkers(int workers, const FlowShardConfig& config);
    ~FlowWorkers();
    FlowWorkers(const FlowWorkers&) = delete;
    FlowWorkers& operator=(const FlowWorkers&) = delete;

    // Hands a decoded packet to its flow's shard (`frame` is what it was
    // decoded from: a worker thread reads it from a copy unless it stays).
    void process(const FrameRef& frame, const DecodedPacket& packet, int64_t ts_us, uint64_t packet_index);

    // Barriers: points in packet order where every shard ends idle flows,
    // copies the flows changed since they were last written, or ends them
    // all. Each returns the flows that left the shards since the barrier
    // before it, by first packet.
    //
    // Packet-fed worker threads are not waited for: post() appends the
    // command to what each worker is sent after the packets handed to it
    // so far and returns the barrier's ticket; done() says whether every
    // shard has run it, and collect() (oldest ticket first) waits for that
    // and returns its flows. A worker is sent its packets and commands
    // together, up to kMarksPerBatch barriers at a time: on real traffic, a
    // barrier comes every few dozen packets, and waking every worker at
    // each, and waiting for it, had kept half of the packets on the capture
    // thread. With one shard, and with lanes, post() runs the barrier at once.
    enum class Command { none, expire, snapshot, end_all };
    uint64_t post(Command command, int64_t command_us = 0);
    bool done(uint64_t ticket) const;
    std::vector<FlowOutput> collect(uint64_t ticket);
    static constexpr size_t kMarksPerBatch = 16;

    // Before a packet at `now_us`: posts an expiry barrier if one is due.
    // Idle flows are ended once per step of capture time (the shortest
    // timeout, at most kMaxIdleExpiryStepUs: 5 s by default, the closed
    // timeout), on a grid set by packet time alone, so that the barriers,
    // and so the records, are the same for any number of workers. On real
    // traffic, sparse over days, nearly every packet starts a new
    // packet-time second: a barrier for each was most of what tracking
    // cost. A flow idle past its timeout ends within a step after it (a
    // packet that comes before then continues it, as a keep-alive a little
    // late). Flows evicted at --max-flows are taken at the next call.
    std::optional<uint64_t> post_expiry(int64_t now_us);
    static constexpr int64_t kMaxIdleExpiryStepUs = 10'000'000;

    // Barriers that wait for their flows (post and collect).
    std::vector<FlowOutput> expire(int64_t now_us);  // nothing unless one is due (post_expiry)
    std::vector<FlowOutput> snapshot_changed();
    std::vector<FlowOutput> end_all();
    // Ends the workers' threads once they have done what was sent (after
    // end_all(), when nothing more will be): the destructor then has none to
    // end, and a process that exits without it leaves no thread running.
    void stop_workers();

    // Live capture with PACKET_FANOUT: the kernel spreads packets over one
    // socket per shard by a symmetric hash, and the capture's lane thread k
    // reads shard k's sockets. start_lanes() before those threads start; on
    // lane k's thread, serve_lane(k) between reads (it runs the barriers'
    // commands for shard k and hands its output over) and process_on_lane(k)
    // for each packet; lanes_stopped() once the threads have ended (barriers
    // then run on the caller's thread).
    void start_lanes();
    void serve_lane(size_t lane);
    void process_on_lane(size_t lane, const FrameRef& frame, const DecodedPacket& packet, int64_t ts_us,
                         uint64_t packet_index);
    void lanes_stopped();
    // Flows that left the shards on the lanes' threads (expired, evicted).
    std::vector<FlowOutput> take_lane_output();

    // The worker of `workers` that a flow's packets go to (both directions
    // have one key), by its key hashed with the run's seed.
    static size_t route(const FlowKey& key, uint64_t seed, size_t workers);

    int workers() const { return static_cast<int>(shards_.size()); }
    // What the capture thread sent to packet-fed worker threads (all zero
    // with one shard, and with lanes): packets, the batches they went in
    // (each a wake-up of its worker), and barriers. Capture thread only.
    struct HandOver {
        uint64_t to_workers = 0;  // packets sent in batches to the workers' threads
        uint64_t batches = 0;     // batches sent, with packets, barriers or both
        uint64_t barriers = 0;    // expiry, flush and end barriers with worker threads
    };
    const HandOver& hand_over() const { return hand_over_; }
    size_t open_flows() const;
    uint64_t evicted() const;

private:
    struct Packet {
        DecodedPacket decoded;  // its pointers are set again from the offsets below
        const uint8_t* frame;   // where it stays, or nullptr: at `offset` in Batch::bytes
        size_t offset;
        FrameHeader header;
        int linktype;
        uint32_t ip_header_at, payload_at;  // decoded's pointers as offsets into the frame
        int64_t ts_us;
        uint64_t index;
    };
    // A barrier's command, run after the batch's first `after` packets.
    struct Mark {
        size_t after;
        Command command;
        int64_t command_us;
        uint64_t ticket;
    };
    struct Batch {
        std::vector<uint8_t> bytes;
        size_t frame_bytes = 0;  // of all its frames, copied or not: bounds what is in flight
        std::vector<Packet> packets;
        std::vector<Mark> marks;
    };
    // A shard's thread and what is waiting for it.
    struct Worker {
        std::mutex mutex;
        std::condition_variable wake, done;
        std::deque<std::unique_ptr<Batch>> inbox;
        std::vector<std::unique_ptr<Batch>> spare;  // used batches, for reuse
        // The flows each barrier took from the shard, until collected.
        std::deque<std::vector<FlowOutput>> results;
        std::atomic<uint64_t> ticket_done{0};  // the last barrier it ran
        bool stopping = false;
        std::unique_ptr<Batch> filling;  // capture thread only
        std::thread thread;
    };

    // A shard read by one of the capture's lane threads from fanout sockets.
    struct Lane {
        std::mutex mutex;
        std::condition_variable done;
        Command pending = Command::none;
        int64_t pending_us = 0;
        uint64_t commands_sent = 0, commands_done = 0;
        std::vector<FlowOutput> ready;  // left the shard, for the capture thread
    };

    void run_batch(Worker& worker, FlowShard& shard, Batch& batch);
    static std::unique_ptr<Batch> take_spare(Worker& worker);
    Batch& filling(Worker& worker);
    void collect_lane_output(std::vector<FlowOutput>& outputs);
    void run(size_t index);
    void run_command(FlowShard& shard, Command command, int64_t command_us);
    void send(size_t index);
    // Lanes: the command on every lane's thread (or here once they stopped), waited for.
    std::vector<FlowOutput> lanes_barrier(Command command, int64_t command_us);

    std::vector<std::unique_ptr<FlowShard>> shards_;
    std::vector<std::unique_ptr<Worker>> workers_;  // empty with one shard, and with lanes
    std::vector<std::unique_ptr<Lane>> lanes_;      // live capture with PACKET_FANOUT
    bool lanes_running_ = false;  // their threads serve barriers (capture thread only)
    bool vlan_in_key_ = false;
    PacketHold* hold_ = nullptr;  // settled as worker threads' barriers are collected
    uint64_t route_seed_;
    int64_t idle_expiry_step_us_;
    int64_t idle_expired_at_us_ = 0;  // the capture time of the last expiry barrier
    uint64_t evicted_at_barrier_ = 0;
    uint64_t last_packet_index_ = 0;  // handed to the shards so far
    // Barriers posted and not yet collected, oldest first: their ticket, the
    // packets handed over before them, and (run at once) their flows.
    struct Posted {
        uint64_t ticket;
        uint64_t packets_before;
        std::vector<FlowOutput> outputs;
    };
    std::deque<Posted> posted_;
    uint64_t next_ticket_ = 1;
    HandOver hand_over_;
};

}  // namespace egresswatch
