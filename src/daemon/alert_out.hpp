// What the alert senders (syslog, webhooks) share: a bounded queue between
// the capture thread, which must never wait for a receiver, and the sender's
// own thread; the counts the daemon reports; and the alert's one-line text.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "egresswatch/sensor.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch::daemon {

// What a sender did with what it was given; read by the capture thread.
struct DeliveryStats {
    std::atomic<uint64_t> sent{0};      // delivered (syslog: handed to the socket)
    std::atomic<uint64_t> failed{0};    // given up after the retries, or unsent at exit
    std::atomic<uint64_t> dropped{0};   // the queue was full: never tried
    std::atomic<uint64_t> requests{0};  // webhooks: POSTs that succeeded
    std::atomic<uint64_t> retries{0};   // attempts after a failed one
};

// "N sent, N failed, N dropped (queue full)", as the summary prints it.
std::string describe(const DeliveryStats& stats);

// A queue of at most `capacity` items; push never blocks.
template <class T>
class DeliveryQueue {
public:
    using Clock = std::chrono::steady_clock;
    explicit DeliveryQueue(size_t capacity) : capacity_(capacity) {}

    // False when full or closed (the caller counts it).
    bool push(T item) {
        {
            std::lock_guard lock(mutex_);
            if (closed_ || items_.size() >= capacity_) return false;
            items_.push_back(std::move(item));
        }
        changed_.notify_one();
        return true;
    }
    // Up to `max` items; waits until there is one, `until` passes or the
    // queue is closed (then it returns what is left without waiting).
    std::vector<T> take(size_t max, Clock::time_point until) {
        std::unique_lock lock(mutex_);
        changed_.wait_until(lock, until, [&] { return closed_ || !items_.empty(); });
        std::vector<T> out;
        while (!items_.empty() && out.size() < max) {
            out.push_back(std::move(items_.front()));
            items_.pop_front();
        }
        return out;
    }
    // Sleeps until `until`, or less once closed: a sender's back-off.
    void pause_until(Clock::time_point until) {
        std::unique_lock lock(mutex_);
        changed_.wait_until(lock, until, [&] { return closed_; });
    }
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        changed_.notify_all();
    }
    bool closed() {
        std::lock_guard lock(mutex_);
        return closed_;
    }
    size_t size() {
        std::lock_guard lock(mutex_);
        return items_.size();
    }

private:
    const size_t capacity_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<T> items_;
    bool closed_ = false;
};

// An alert in one line for people: severity, device, remote end and reasons.
//   high alert: camera 10.20.1.21 (Hikvision) -> 47.96.1.10:443/tcp litedev.hik-connect.com
//   CN AS37963 Hangzhou Alibaba: country:CN, left-country:CN
std::string alert_summary(const FlowRecord& flow, const FlowDevice& device);

// This machine's name, as syslog's HOSTNAME field allows ("-" if unknown).
std::string sensor_hostname();

// high 3, medium 2, low 1, anything else 0.
int severity_rank(std::string_view severity);

// A URL as it may be logged: webhook URLs carry their secret in the path or
// the query (Slack, Teams), so only scheme://host[:port] is kept.
std::string redact_url(std::string_view url);

}  // namespace egresswatch::daemon
