#include "housekeeping.hpp"

#include <sys/stat.h>

#include <iostream>

#include "egresswatch/version.hpp"
#include "signals.hpp"

namespace egresswatch::daemon {
namespace {

constexpr int64_t kGeoCheckEveryUs = 10'000'000;

}  // namespace

std::string geolocation_files(const std::vector<std::string>& dirs) {
    std::string identity;
    for (const auto* names : {&GeoLocator::country_file_names(), &GeoLocator::asn_file_names()})
        for (const auto& dir : dirs)
            for (const auto& name : *names) {
                std::string path = dir + "/" + name;
                struct stat st {};
                if (stat(path.c_str(), &st) != 0) continue;
                identity += path + " " + std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " +
                            std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
            }
    return identity;
}

Housekeeping::Housekeeping(Sensor& sensor, LiveCapture& capture, const Options& options, AlertRouter* events,
                           ChainSigner* signer,                            int64_t now_us)
    : sensor_(sensor),
      capture_(capture),
      options_(options),
      events_(events),
      signer_(signer),
      interval_start_us_(now_us),
      flushes_signed_(sensor.flushes()),
      counters_at_interval_start_(sensor.counters()),
      geo_files_(geolocation_files(options.sensor.geoip_dirs)),
      next_geo_check_us_(now_us + kGeoCheckEveryUs) {}

void Housekeeping::tick(int64_t now_us) {
    if (take_reload_request()) {
        if (events_) events_->reopen();
        reload("SIGHUP");
    }
    if (now_us >= next_geo_check_us_) {
        next_geo_check_us_ = now_us + kGeoCheckEveryUs;
        if (geolocation_files(options_.sensor.geoip_dirs) != geo_files_) reload("a geolocation database changed");
    }
    // Packets end idle flows and make the sensor write open ones; in a quiet
    // spell the clock must, or the last burst would wait for the next packet.
    sensor_.on_clock(now_us);
    if (sensor_.flushes() != flushes_signed_) {
        flushes_signed_ = sensor_.flushes();
        // What the writer committed since the last flush (it writes in the
        // background, so this flush's records are in the next checkpoint).
        if (signer_) signer_->checkpoint(now_us);
    }
    if (now_us - interval_start_us_ >= options_.stats_interval_us) report(now_us);
}

void Housekeeping::finish(int64_t now_us) { report(now_us); }

void Housekeeping::reload(const char* why) {
    // Noted first: a file caught half-copied is tried again once it changes again.
    geo_files_ = geolocation_files(options_.sensor.geoip_dirs);
    try {
        sensor_.reload();
        std::cerr << "egresswatchd: reloaded rules and geolocation (" << why << ")\n";
        std::cerr << "egresswatchd: geolocation "
                  << geolocation_age(options_.sensor.geoip_dirs, std::time(nullptr)) << "\n";
    } catch (const std::exception& e) {
        std::string message = std::string("reload (") + why +
                              ") failed, still using the previous rules and geolocation: " + e.what();
        std::cerr << "egresswatchd: " << message << "\n";
        if (events_) events_->health({HealthEvent::Level::error, "reload-failed", "rules and geolocation", message, {}});
    }
}

// Store trouble goes out when it starts and when it ends (the writer logs
// the details itself): a store that cannot be written, or a disk so full that
// records are dropped (a gap in the evidence, table store_gaps).
void Housekeeping::report_store_health() {
    StoreWriter::Health now = sensor_.store_health();
    const std::string store = options_.sensor.store_path;
    auto tell = [&](HealthEvent::Level level, const char* kind, const std::string& message, std::optional<uint64_t> count) {
        if (events_) events_->health({level, kind, store, message, count});
    };
    if (now.failing && !store_health_.failing)
        tell(HealthEvent::Level::error, "store-failing", "records cannot be written, retrying (held in memory): " + now.error, {});
    else if (!now.failing && store_health_.failing)
        tell(HealthEvent::Level::notice, "store-recovered", "records are written again", {});
    if (now.in_gap && !store_health_.in_gap)
        tell(HealthEvent::Level::error, "store-gap",
             "the store's disk is below the free-space floor (--min-free-mb): records are dropped until space "
             "returns (table store_gaps)",
             now.records_dropped);
    else if (!now.in_gap && store_health_.in_gap)
        tell(HealthEvent::Level::notice, "store-resumed", "space is back and writing resumed; records dropped in gaps",
             now.records_dropped);
    store_health_ = std::move(now);
}

void Housekeeping::report(int64_t now_us) {
    uint64_t dropped = 0;
    for (const auto& [name, interface_dropped] : capture_.take_drops()) {
        dropped += interface_dropped;
        bool was_dropping = dropping_.count(name) > 0;
        if (interface_dropped && !was_dropping) {
            dropping_.insert(name);
            std::string message = "the kernel dropped " + std::to_string(interface_dropped) +
                                  " packets: capture is not keeping up and the store has a gap (see capture_stats); "
                                  "a larger --buffer-mb or a --filter may help";
            std::cerr << "egresswatchd: " << name << ": " << message << "\n";
            if (events_) events_->health({HealthEvent::Level::error, "drops", name, message, interface_dropped});
        } else if (!interface_dropped && was_dropping) {
            dropping_.erase(name);
            std::cerr << "egresswatchd: " << name << ": no drops in the last interval\n";
            if (events_)
                events_->health({HealthEvent::Level::notice, "drops-ended", name, "no drops in the last interval", 0});
        }
    }
    sensor_.record_capture_stats(capture_.source_name(), interval_start_us_, now_us, dropped);
    report_store_health();

    const SensorCounters& now = sensor_.counters();
    const SensorCounters& before = counters_at_interval_start_;
    double seconds = std::max(1e-6, (now_us - interval_start_us_) / 1e6);
    std::cerr << "egresswatchd: stats: " << static_cast<uint64_t>((now.packets - before.packets) / seconds)
              << " packets/s, " << sensor_.open_flows() << " flows open, " << now.flows_written - before.flows_written
              << " flows ended, " << now.alerts - before.alerts << " alerts, " << dropped << " packets dropped, "
              << now.malformed - before.malformed << " malformed in the last " << static_cast<int64_t>(seconds + 0.5)
              << " s\n";
    counters_at_interval_start_ = now;
    interval_start_us_ = now_us;
}

}  // namespace egresswatch::daemon
