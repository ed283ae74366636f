// The progress line of egresswatchd -r on a terminal, as tools that read big
// files show one: bytes and packets read, percent, packets/s, flows, alerts and
// time left, redrawn in place on standard error and cleared at the end.
// Nothing when standard error is not a terminal or with --quiet, so scripts
// and the journal stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "capture.hpp"

namespace egresswatch::daemon {

class ProgressLine {
public:
    // Shown only when `enabled` and standard error is a terminal.
    explicit ProgressLine(bool enabled);
    ~ProgressLine() { clear(); }
    bool active() const { return active_; }
    // Redraws the line, at most four times a second.
    void update(const ReadProgress& progress, const SensorCounters& counters);
    // Removes the line (before the summary, or a message).
    void clear();

    // The line's text, without terminal controls; for tests.
    static std::string text(const ReadProgress& progress, const SensorCounters& counters, double seconds);

private:
    bool active_ = false;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace egresswatch::daemon
