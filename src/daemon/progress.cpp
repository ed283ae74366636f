#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace egresswatch::daemon {
namespace {

std::string mebibytes(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(bytes) / (1 << 20));
    return buf;
}

std::string duration(double seconds) {
    auto s = static_cast<int64_t>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", static_cast<long>(s / 3600), static_cast<long>(s / 60 % 60),
                      static_cast<long>(s % 60));
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", static_cast<long>(s / 60), static_cast<long>(s % 60));
    return buf;
}

}  // namespace

ProgressLine::ProgressLine(bool enabled)
    : active_(enabled && isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

std::string ProgressLine::text(const ReadProgress& p, const SensorCounters& c, double seconds) {
    std::string line = "reading: ";
    if (p.bytes_total) {
        double share = std::min(1.0, static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total));
        line += std::to_string(static_cast<int>(share * 100)) + "%, " + mebibytes(p.bytes_read) + " of " +
                mebibytes(p.bytes_total) + " MiB, ";
    } else {
        line += mebibytes(p.bytes_read) + " MiB, ";
    }
    line += std::to_string(p.packets) + " packets";
    if (seconds > 0) line += " (" + std::to_string(static_cast<uint64_t>(p.packets / seconds)) + "/s)";
    line += ", " + std::to_string(c.flows_written) + " flows, " + std::to_string(c.alerts) + " alerts";
    if (p.bytes_total && p.bytes_read && seconds > 0) {
        double left = seconds * (static_cast<double>(p.bytes_total) / static_cast<double>(p.bytes_read) - 1);
        line += ", " + duration(std::max(0.0, left)) + " left";
    }
    return line;
}

void ProgressLine::update(const ReadProgress& progress, const SensorCounters& counters) {
    if (!active_) return;
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(250)) return;
    last_draw_ = now;
    std::string line = text(progress, counters, std::chrono::duration<double>(now - start_).count());
    // One terminal line, or the carriage return cannot redraw it.
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 && line.size() >= size.ws_col)
        line.resize(size.ws_col - 1);
    std::cerr << "\r\033[K" << line << std::flush;
    drawn_ = true;
}

void ProgressLine::clear() {
    if (!drawn_) return;
    std::cerr << "\r\033[K" << std::flush;
    drawn_ = false;
}

}  // namespace egresswatch::daemon
