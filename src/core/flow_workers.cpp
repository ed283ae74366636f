#include "egresswatch/flow_workers.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>

namespace egresswatch {
namespace {

constexpr size_t kBatchPackets = 256;
constexpr size_t kBatchBytes = 512 * 1024;
constexpr size_t kMaxInbox = 32;  // batches waiting per worker: bounds memory, not speed

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
                                             if (hold_) hold_->close(flow.key, flow.sequence);
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
    : idle_expiry_step_us_(std::min({config.timeouts.tcp_us, config.timeouts.udp_us, config.timeouts.closed_us,
                                     kMaxIdleExpiryStepUs})) {
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
    last_packet_index_ = packet_index;
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
    Batch& batch = filling(worker);
    batch.packets.push_back({packet, frame_stays ? frame : nullptr, batch.bytes.size(), header, frame_ref.linktype,
                             offset_in(frame, packet.ip_header), offset_in(frame, packet.payload), ts_us,
                             packet_index});
    if (!frame_stays) batch.bytes.insert(batch.bytes.end(), frame, frame + header.caplen);
    batch.frame_bytes += header.caplen;
    if (batch.packets.size() >= kBatchPackets) send(index);
}

FlowWorkers::Batch& FlowWorkers::filling(Worker& worker) {
    if (!worker.filling) {
        std::lock_guard lock(worker.mutex);
        worker.filling = take_spare(worker);
    }
    return *worker.filling;
}

// A used batch, or a new one (with the worker's lock held).
std::unique_ptr<FlowWorkers::Batch> FlowWorkers::take_spare(Worker& worker) {
    if (worker.spare.empty()) {
        auto batch = std::make_unique<Batch>();
        batch->bytes.reserve(kBatchBytes);
        batch->packets.reserve(kBatchPackets);
        batch->marks.reserve(kMarksPerBatch);
        return batch;
    }
    std::unique_ptr<Batch> batch = std::move(worker.spare.back());
    worker.spare.pop_back();
    return batch;
}

// The worker's filling batch to its inbox (waiting while the inbox is full).
void FlowWorkers::send(size_t index) {
    Worker& worker = *workers_[index];
    std::unique_ptr<Batch> batch = std::move(worker.filling);
    if (!batch) return;
    hand_over_.to_workers += batch->packets.size();
    ++hand_over_.batches;
    {
        std::unique_lock lock(worker.mutex);
        worker.done.wait(lock, [&] { return worker.inbox.size() < kMaxInbox; });
        worker.inbox.push_back(std::move(batch));
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
        }
        worker.done.notify_all();  // room in the inbox
        bool barriers = !batch->marks.empty();
        run_batch(worker, shard, *batch);
        {
            std::lock_guard lock(worker.mutex);
            worker.spare.push_back(std::move(batch));
        }
        if (barriers) worker.done.notify_all();
    }
}

// A batch's packets and barriers in order, on the worker's shard; the batch
// is emptied for reuse.
void FlowWorkers::run_batch(Worker& worker, FlowShard& shard, Batch& batch) {
    size_t next = 0;
    auto run_marks_until = [&](size_t packets) {
        for (; next < batch.marks.size() && batch.marks[next].after <= packets; ++next) {
            const Mark& mark = batch.marks[next];
            run_command(shard, mark.command, mark.command_us);
            auto output = shard.take_output();
            {
                std::lock_guard lock(worker.mutex);
                worker.results.push_back(std::move(output));
            }
            worker.ticket_done.store(mark.ticket, std::memory_order_release);
        }
    };
    for (size_t i = 0; i < batch.packets.size(); ++i) {
        run_marks_until(i);
        Packet& p = batch.packets[i];
        const uint8_t* frame = p.frame ? p.frame : batch.bytes.data() + p.offset;
        p.decoded.ip_header = at(frame, p.ip_header_at);  // the only pointers in a DecodedPacket
        p.decoded.payload = at(frame, p.payload_at);
        shard.process(p.decoded, p.ts_us, p.index, FrameRef{p.linktype, p.header, frame, p.frame != nullptr});
    }
    run_marks_until(batch.packets.size());
    batch.bytes.clear();
    batch.frame_bytes = 0;
    batch.packets.clear();
    batch.marks.clear();
}

size_t FlowWorkers::route(const FlowKey& key, uint64_t seed, size_t workers) {
    return FlowKeyHash{seed}(key) % workers;
}

std::vector<FlowOutput> FlowWorkers::lanes_barrier(Command command, int64_t command_us) {
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
    return outputs;
}

uint64_t FlowWorkers::post(Command command, int64_t command_us) {
    uint64_t ticket = next_ticket_++;
    Posted posted{ticket, last_packet_index_, {}};
    if (!lanes_.empty()) {
        posted.outputs = in_packet_order(lanes_barrier(command, command_us));
    } else if (workers_.empty()) {
        FlowShard& shard = *shards_[0];
        run_command(shard, command, command_us);
        posted.outputs = in_packet_order(shard.take_output());
    } else {
        ++hand_over_.barriers;
        for (size_t i = 0; i < workers_.size(); ++i) {
            Batch& batch = filling(*workers_[i]);
            batch.marks.push_back({batch.packets.size(), command, command_us, ticket});
            // The end is waited for at once; other barriers travel with the
            // packets that follow them, a few at a time.
            if (command == Command::end_all || batch.marks.size() >= kMarksPerBatch) send(i);
        }
    }
    posted_.push_back(std::move(posted));
    return ticket;
}

bool FlowWorkers::done(uint64_t ticket) const {
    for (const auto& worker : workers_)
        if (worker->ticket_done.load(std::memory_order_acquire) < ticket) return false;
    return true;
}

std::vector<FlowOutput> FlowWorkers::collect(uint64_t ticket) {
    if (posted_.empty() || posted_.front().ticket != ticket) throw std::logic_error("barriers are collected in order");
    Posted posted = std::move(posted_.front());
    posted_.pop_front();
    if (workers_.empty()) return std::move(posted.outputs);
    std::vector<FlowOutput> outputs;
    for (size_t i = 0; i < workers_.size(); ++i) {
        Worker& worker = *workers_[i];
        // Still in the batch being filled: sent now, with what it has.
        if (worker.filling && !worker.filling->marks.empty() && worker.filling->marks.front().ticket <= ticket)
            send(i);
        std::vector<FlowOutput> taken;
        {
            std::unique_lock lock(worker.mutex);
            worker.done.wait(lock, [&] { return worker.ticket_done.load(std::memory_order_acquire) >= ticket; });
            taken = std::move(worker.results.front());
            worker.results.pop_front();
        }
        std::move(taken.begin(), taken.end(), std::back_inserter(outputs));
    }
    // Every packet handed over before the barrier has been offered to it.
    if (hold_) hold_->settle(posted.packets_before);
    return in_packet_order(std::move(outputs));
}

std::optional<uint64_t> FlowWorkers::post_expiry(int64_t now_us) {
    bool idle_due = !lanes_.empty() || now_us - idle_expired_at_us_ >= idle_expiry_step_us_ ||
                    now_us < idle_expired_at_us_;
    std::optional<uint64_t> ticket;
    if (idle_due) {
        idle_expired_at_us_ = now_us;
        ticket = post(Command::expire, now_us);
    } else if (evicted() != evicted_at_barrier_) {
        ticket = post(Command::none);  // only the evicted flows: idle ones end on the grid
    }
    if (ticket) evicted_at_barrier_ = evicted();
    return ticket;
}

std::vector<FlowOutput> FlowWorkers::expire(int64_t now_us) {
    auto ticket = post_expiry(now_us);
    return ticket ? collect(*ticket) : std::vector<FlowOutput>{};
}
std::vector<FlowOutput> FlowWorkers::snapshot_changed() { return collect(post(Command::snapshot)); }
std::vector<FlowOutput> FlowWorkers::end_all() { return collect(post(Command::end_all)); }

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
