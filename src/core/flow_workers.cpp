#include "egresswatch/flow_workers.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace egresswatch {
namespace {

constexpr size_t kBatchPackets = 256;
constexpr size_t kBatchBytes = 512 * 1024;
constexpr size_t kMaxInbox = 32;  // batches waiting per worker: bounds memory, not speed
// At a barrier, an idle worker's unsent packets, up to this many, are
// processed on the capture thread with the barrier's command (see barrier()).
constexpr size_t kInPlacePackets = kBatchPackets / 4;

// A pointer into a frame as an offset, so that it can travel with a copy of
// the frame, and back (kNowhere: no pointer).
constexpr uint32_t kNowhere = UINT32_MAX;
uint32_t offset_in(const uint8_t* frame, const uint8_t* p) { return p ? static_cast<uint32_t>(p - frame) : kNowhere; }
const uint8_t* at(const uint8_t* frame, uint32_t offset) { return offset == kNowhere ? nullptr : frame + offset; }

std::vector<FlowOutput> in_packet_order(std::vector<FlowOutput> outputs) {
    std::sort(outputs.begin(), outputs.end(), [](const FlowOutput& a, const FlowOutput& b) {
        return a.flow.sequence < b.flow.sequence || (a.flow.sequence == b.flow.sequence && !a.final && b.final);
    });
    return outputs;
}

}  // namespace

FlowShard::FlowShard(const FlowShardConfig& config) : dpi_(config.custom_protocols_file), hold_(config.hold) {
    table_ = std::make_unique<FlowTable>(config.max_flows, config.timeouts, config.is_local,
                                         [this](Flow& flow, FlowEnd) {
                                             dpi_.give_up(flow);
                                             output_.push_back(output_of(flow, true));
                                         },
                                         config.vlan_in_key);
}

FlowOutput FlowShard::output_of(const FlowData& flow, bool final) const {
    FlowOutput out{flow, {}, {}, final};
    if (flow.classified) {
        out.app_protocol = dpi_.protocol_name(flow);
        out.app_category = dpi_.category_name(flow);
    }
    return out;
}

void FlowShard::publish_counts() {
    open_.store(table_->size(), std::memory_order_relaxed);
    evicted_.store(table_->evicted(), std::memory_order_relaxed);
}

void FlowShard::process(const DecodedPacket& packet, int64_t ts_us, uint64_t packet_index, const FrameRef& frame) {
    uint64_t created = table_->created();
    size_t open = table_->size();
    Flow& flow = table_->account(packet, ts_us, packet_index);
    // The counts change only when a flow begins (and another may be evicted)
    // or the table expires flows, once a packet-time second.
    if (table_->created() != created || table_->size() != open) publish_counts();
    // Only the first N packets each way are held, and only of flows that can
    // alert (not between two internal addresses): the flow's counts say so,
    // so the hold is not consulted for the rest (most packets of real traffic).
    if (hold_ && hold_->enabled() && !flow.remote_is_local) {
        uint64_t seen_this_way = flow.from_device(packet) ? flow.packets_out : flow.packets_in;
        if (seen_this_way <= hold_->config().per_direction)
            hold_->add(packet, packet_index, frame.linktype, frame.header, frame.bytes, frame.stays);
    }
    if (!flow.dpi_done) dpi_.process(flow, packet, ts_us);
}

void FlowShard::expire(int64_t now_us) {
    table_->expire(now_us);
    next_expiry_us_ = table_->next_expiry_us();
    publish_counts();
}

void FlowShard::snapshot_changed() {
    table_->take_changed([this](Flow& flow) {
        output_.push_back(output_of(flow, false));
        flow.ever_written = true;
    });
}

void FlowShard::end_all() {
    table_->end_all();
    next_expiry_us_ = INT64_MAX;
    publish_counts();
}

FlowWorkers::FlowWorkers(int workers, const FlowShardConfig& config)
    : shortest_timeout_us_(std::min({config.timeouts.tcp_us, config.timeouts.udp_us, config.timeouts.closed_us})),
      idle_expiry_step_us_(std::min(shortest_timeout_us_, kMaxIdleExpiryStepUs)) {
    std::random_device device;
    route_seed_ = uint64_t{device()} << 32 | device();
    vlan_in_key_ = config.vlan_in_key;
    hold_ = config.hold;
    size_t n = static_cast<size_t>(std::max(workers, 1));
    FlowShardConfig shard_config = config;
    shard_config.max_flows = std::max<size_t>(1, (config.max_flows + n - 1) / n);
    for (size_t i = 0; i < n; ++i) {
        shards_.push_back(std::make_unique<FlowShard>(shard_config));
        shards_.back()->set_expires_itself(false);  // expire() skips calls that cannot expire a flow
    }
    if (n == 1) return;  // the capture thread does the work
    for (size_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
    for (size_t i = 0; i < n; ++i) workers_[i]->thread = std::thread([this, i] { run(i); });
}

FlowWorkers::~FlowWorkers() { stop_workers(); }

// Ends the packet-fed workers' threads once they have done what was sent.
void FlowWorkers::stop_workers() {
    for (auto& worker : workers_) {
        {
            std::lock_guard lock(worker->mutex);
            worker->stopping = true;
        }
        worker->wake.notify_one();
        worker->thread.join();
    }
    workers_.clear();
}

void FlowWorkers::start_lanes() {
    stop_workers();  // the lanes replace them (nothing was sent to them yet)
    for (auto& shard : shards_) shard->set_expires_itself(true);  // each lane by its own packet time
    for (size_t i = 0; i < shards_.size(); ++i) lanes_.push_back(std::make_unique<Lane>());
    lanes_running_ = true;
}

void FlowWorkers::lanes_stopped() {
    lanes_running_ = false;
    // What the lanes' last reads left in their shards, for take_lane_output().
    for (size_t i = 0; i < lanes_.size(); ++i) {
        auto output = shards_[i]->take_output();
        std::move(output.begin(), output.end(), std::back_inserter(lanes_[i]->ready));
    }
}

// On lane k's thread: the barrier's command, if one waits, then what left the
// shard since the last call goes to the capture thread.
void FlowWorkers::serve_lane(size_t index) {
    Lane& lane = *lanes_[index];
    FlowShard& shard = *shards_[index];
    Command command;
    int64_t command_us;
    {
        std::lock_guard lock(lane.mutex);
        command = std::exchange(lane.pending, Command::none);
        command_us = lane.pending_us;
    }
    if (command != Command::none) run_command(shard, command, command_us);
    auto output = shard.take_output();
    {
        std::lock_guard lock(lane.mutex);
        std::move(output.begin(), output.end(), std::back_inserter(lane.ready));
        if (command != Command::none) ++lane.commands_done;
    }
    if (command != Command::none) lane.done.notify_all();
}

void FlowWorkers::process_on_lane(size_t lane_index, const FrameRef& frame, const DecodedPacket& packet,
                                  int64_t ts_us, uint64_t packet_index) {
    // Each lane's table expires by its own packet-time second (live capture
    // has no one order to keep), as a table alone does.
    shards_[lane_index]->process(packet, ts_us, packet_index, frame);
}

std::vector<FlowOutput> FlowWorkers::take_lane_output() {
    std::vector<FlowOutput> outputs;
    collect_lane_output(outputs);
    return in_packet_order(std::move(outputs));
}

void FlowWorkers::collect_lane_output(std::vector<FlowOutput>& outputs) {
    for (auto& lane : lanes_) {
        std::lock_guard lock(lane->mutex);
        std::move(lane->ready.begin(), lane->ready.end(), std::back_inserter(outputs));
        lane->ready.clear();
    }
}

void FlowWorkers::run_command(FlowShard& shard, Command command, int64_t command_us) {
    switch (command) {
    case Command::none: break;
    case Command::expire: shard.expire(command_us); break;
    case Command::snapshot: shard.snapshot_changed(); break;
    case Command::end_all: shard.end_all(); break;
    }
}

void FlowWorkers::process(const FrameRef& frame_ref, const DecodedPacket& packet, int64_t ts_us,
                          uint64_t packet_index) {
    expiry_bound_us_ = std::min(expiry_bound_us_, ts_us + shortest_timeout_us_);
    if (workers_.empty()) {
        shards_[0]->process(packet, ts_us, packet_index, frame_ref);
        return;
    }
    const FrameHeader& header = frame_ref.header;
    const uint8_t* frame = frame_ref.bytes;
    bool frame_stays = frame_ref.stays;
    size_t index = route(FlowKey::from(packet, vlan_in_key_), route_seed_, workers_.size());
    Worker& worker = *workers_[index];
    if (worker.filling && worker.filling->frame_bytes + header.caplen > kBatchBytes) send(index);
    if (!worker.filling) {
        std::lock_guard lock(worker.mutex);
        worker.filling = take_spare(worker);
    }
    Batch& batch = *worker.filling;
    batch.packets.push_back({packet, frame_stays ? frame : nullptr, batch.bytes.size(), header, frame_ref.linktype,
                             offset_in(frame, packet.ip_header), offset_in(frame, packet.payload), ts_us,
                             packet_index});
    if (!frame_stays) batch.bytes.insert(batch.bytes.end(), frame, frame + header.caplen);
    batch.frame_bytes += header.caplen;
    if (batch.packets.size() >= kBatchPackets) send(index);
}

// A used batch, or a new one (with the worker's lock held).
std::unique_ptr<FlowWorkers::Batch> FlowWorkers::take_spare(Worker& worker) {
    if (worker.spare.empty()) {
        auto batch = std::make_unique<Batch>();
        batch->bytes.reserve(kBatchBytes);
        batch->packets.reserve(kBatchPackets);
        return batch;
    }
    std::unique_ptr<Batch> batch = std::move(worker.spare.back());
    worker.spare.pop_back();
    return batch;
}

void FlowWorkers::send(size_t index, Command command, int64_t command_us) {
    Worker& worker = *workers_[index];
    std::unique_ptr<Batch> batch = std::move(worker.filling);
    if (!batch) batch = std::make_unique<Batch>();  // a command alone
    hand_over_.to_workers += batch->packets.size();
    batch->command = command;
    batch->command_us = command_us;
    {
        std::unique_lock lock(worker.mutex);
        worker.done.wait(lock, [&] { return worker.inbox.size() < kMaxInbox; });
        worker.inbox.push_back(std::move(batch));
        if (command != Command::none) ++worker.commands_sent;
    }
    worker.wake.notify_one();
}

void FlowWorkers::run(size_t index) {
    std::string name = "ew-flows-" + std::to_string(index);
    pthread_setname_np(pthread_self(), name.c_str());  // for top -H, perf and gdb
    Worker& worker = *workers_[index];
    FlowShard& shard = *shards_[index];
    for (;;) {
        std::unique_ptr<Batch> batch;
        {
            std::unique_lock lock(worker.mutex);
            worker.wake.wait(lock, [&] { return worker.stopping || !worker.inbox.empty(); });
            if (worker.inbox.empty()) return;  // stopping, and everything sent is done
            batch = std::move(worker.inbox.front());
            worker.inbox.pop_front();
            worker.busy = true;
        }
        worker.done.notify_all();  // room in the inbox
        Command command = batch->command;
        run_batch(shard, *batch);
        {
            std::lock_guard lock(worker.mutex);
            worker.spare.push_back(std::move(batch));
            if (command != Command::none) ++worker.commands_done;
            worker.busy = false;
        }
        worker.done.notify_all();
    }
}

// A batch's packets, then its command, on `shard`; the batch is emptied for reuse.
void FlowWorkers::run_batch(FlowShard& shard, Batch& batch) {
    for (Packet& p : batch.packets) {
        const uint8_t* frame = p.frame ? p.frame : batch.bytes.data() + p.offset;
        p.decoded.ip_header = at(frame, p.ip_header_at);  // the only pointers in a DecodedPacket
        p.decoded.payload = at(frame, p.payload_at);
        shard.process(p.decoded, p.ts_us, p.index, FrameRef{p.linktype, p.header, frame, p.frame != nullptr});
    }
    run_command(shard, batch.command, batch.command_us);
    batch.bytes.clear();
    batch.frame_bytes = 0;
    batch.packets.clear();
    batch.command = Command::none;
}

size_t FlowWorkers::route(const FlowKey& key, uint64_t seed, size_t workers) {
    return FlowKeyHash{seed}(key) % workers;
}

std::vector<FlowOutput> FlowWorkers::barrier(Command command, int64_t command_us) {
    if (!lanes_.empty()) {
        // Lane threads run the command between reads; once stopped, we do.
        for (auto& lane : lanes_) {
            if (!lanes_running_) break;
            std::lock_guard lock(lane->mutex);
            lane->pending = command;
            lane->pending_us = command_us;
            ++lane->commands_sent;
        }
        std::vector<FlowOutput> outputs;
        for (size_t i = 0; i < lanes_.size(); ++i) {
            Lane& lane = *lanes_[i];
            if (lanes_running_) {
                std::unique_lock lock(lane.mutex);
                lane.done.wait(lock, [&] { return lane.commands_done == lane.commands_sent; });
                continue;
            }
            run_command(*shards_[i], command, command_us);
            auto taken = shards_[i]->take_output();
            std::move(taken.begin(), taken.end(), std::back_inserter(outputs));
        }
        collect_lane_output(outputs);  // what the lanes handed over, the command's output too
        return in_packet_order(std::move(outputs));
    }
    if (workers_.empty()) {
        FlowShard& shard = *shards_[0];
        run_command(shard, command, command_us);
        return in_packet_order(shard.take_output());
    }
    // A worker with nothing to do and few packets not yet sent (sparse
    // traffic: on a week of real traffic a barrier came every 36 packets)
    // is not woken for them: the capture thread processes them and runs the
    // command on its shard, the same work in the same order, while it holds
    // the worker's lock (the worker takes work only under it). Waking each
    // worker and waiting for it, twice a context switch, was most of what
    // --workers cost on such traffic.
    // Nothing is sent to such a worker, so the wait below returns at once.
    ++hand_over_.barriers;
    for (size_t i = 0; i < workers_.size(); ++i) {
        Worker& worker = *workers_[i];
        size_t unsent = worker.filling ? worker.filling->packets.size() : 0;
        {
            std::unique_lock lock(worker.mutex);
            if (worker.inbox.empty() && !worker.busy && unsent <= kInPlacePackets) {
                if (!worker.filling) {
                    run_command(*shards_[i], command, command_us);
                    continue;
                }
                hand_over_.in_place += worker.filling->packets.size();
                worker.filling->command = command;
                worker.filling->command_us = command_us;
                run_batch(*shards_[i], *worker.filling);
                worker.spare.push_back(std::move(worker.filling));
                continue;
            }
        }
        send(i, command, command_us);
    }
    std::vector<FlowOutput> outputs;
    for (size_t i = 0; i < workers_.size(); ++i) {
        Worker& worker = *workers_[i];
        {
            std::unique_lock lock(worker.mutex);
            worker.done.wait(lock, [&] { return worker.commands_done == worker.commands_sent; });
        }
        // The worker is idle until the next batch: its output is ours to take.
        auto taken = shards_[i]->take_output();
        std::move(taken.begin(), taken.end(), std::back_inserter(outputs));
    }
    if (hold_) hold_->settle();  // every packet sent has been offered to it
    return in_packet_order(std::move(outputs));
}

std::vector<FlowOutput> FlowWorkers::expire(int64_t now_us) {
    // Evicted flows wait for a barrier too: one soon after the cap is reached.
    bool idle_due = now_us >= expiry_bound_us_ &&
                    (now_us - idle_expired_at_us_ >= idle_expiry_step_us_ || now_us < idle_expired_at_us_);
    if (lanes_.empty() && !idle_due && evicted() == evicted_at_barrier_) return {};
    auto outputs = barrier(Command::expire, now_us);
    idle_expired_at_us_ = now_us;
    expiry_bound_us_ = INT64_MAX;
    for (const auto& shard : shards_) expiry_bound_us_ = std::min(expiry_bound_us_, shard->next_expiry_us());
    evicted_at_barrier_ = evicted();
    return outputs;
}
std::vector<FlowOutput> FlowWorkers::snapshot_changed() { return barrier(Command::snapshot, 0); }
std::vector<FlowOutput> FlowWorkers::end_all() { return barrier(Command::end_all, 0); }

size_t FlowWorkers::open_flows() const {
    size_t n = 0;
    for (const auto& shard : shards_) n += shard->open_flows();
    return n;
}

uint64_t FlowWorkers::evicted() const {
    uint64_t n = 0;
    for (const auto& shard : shards_) n += shard->evicted();
    return n;
}

}  // namespace egresswatch
