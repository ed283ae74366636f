#include "options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace egresswatch::daemon {

namespace po = boost::program_options;

std::string default_rules_dir() {
    // Installed rules first; a source build falls back to the checkout's rules/.
    for (const char* dir : {EGRESSWATCH_RULES_INSTALL_DIR, EGRESSWATCH_SOURCE_RULES_DIR}) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(std::filesystem::path(dir) / "countries.txt", ec)) return dir;
    }
    return EGRESSWATCH_RULES_INSTALL_DIR;
}

std::optional<Options> parse_options(int argc, const char* const* argv, int& exit_code) {
    Options o;
    std::string config_file, geoip_dir;
    std::vector<std::string> local_nets;
    double flush_seconds = 60, stats_seconds = 60;
    std::string flush_clock;
    double tcp_timeout = 300, udp_timeout = 60, closed_timeout = 5;
    uint64_t min_free_mb = 100;
    uint64_t evidence_memory_mb = 128;

    po::options_description input("Input");
    input.add_options()
        ("read,r", po::value(&o.read_files)->composing(), "read a pcap/pcapng file (repeatable; several files are one capture, in time order)")
        ("interface,i", po::value(&o.interfaces)->composing(), "capture live on an interface (repeatable; promiscuous, TPACKET_V3)")
        ("snaplen", po::value(&o.snaplen)->default_value(65535), "live capture: bytes kept per packet (the default keeps whole TLS ClientHellos and DNS answers, also from NICs that merge segments)")
        ("buffer-mb", po::value(&o.buffer_mb)->default_value(64), "live capture: kernel buffer size in MiB, per interface")
        ("filter", po::value(&o.bpf_filter), "live capture: BPF filter expression");
    po::options_description output("Evidence store");
    output.add_options()
        ("db,d", po::value(&o.sensor.store_path), "SQLite evidence store (created if missing)")
        ("flush-interval", po::value(&flush_seconds)->default_value(60), "seconds between writes of open flows")
        ("flush-clock", po::value(&flush_clock)->default_value("wall"), "reading files: what --flush-interval counts, wall (seconds of reading) or packet (seconds of capture time: the same snapshots on every run, but a week-long capture makes 10,000 flushes); live capture counts both")
        ("retention-days", po::value(&o.retention.flow_days)->default_value(0), "delete flows without an alert, and passive DNS, older than this (0: keep)")
        ("alert-retention-days", po::value(&o.retention.alert_days)->default_value(0), "delete flows with an alert older than this (0: keep)")
        ("min-free-mb", po::value(&min_free_mb)->default_value(100), "stop writing, and record the gap, while the store's file system has less free space than this")
        ("evidence-packets", po::value(&o.sensor.evidence.per_direction)->default_value(16), "keep the first N packets of each direction of every flow, and the DNS answer that named its remote end; stored with the flow's alert (egresswatch pcap), dropped for flows without one (0: off)")
        ("evidence-snaplen", po::value(&o.sensor.evidence.snaplen)->default_value(512), "bytes kept of each evidence packet")
        ("evidence-memory-mb", po::value(&evidence_memory_mb)->default_value(128), "memory for the packets held (flows still open, DNS answers); packets that do not fit are counted in capture_stats.evidence_packets_not_kept");
    po::options_description enrichment("Rules and enrichment");
    enrichment.add_options()
        ("rules", po::value(&o.sensor.rules_dir), "rules directory (default: the installed or bundled rules/)")
        ("geoip-dir", po::value(&geoip_dir), "directory with the country (or city) and ASN .mmdb files")
        ("inventory", po::value(&o.sensor.inventory_file), "site inventory CSV: address,label,site,kind (wins over every other signal)")
        ("oui-dir", po::value(&o.sensor.oui_dir)->default_value("/usr/share/ieee-data"), "IEEE MAC registry (Debian ieee-data)")
        ("home-country", po::value(&o.sensor.home_country)->default_value("GB"), "ISO 3166 alpha-2 code of \"in country\"")
        ("local-net", po::value(&local_nets)->composing(), "internal network CIDR, repeatable (default: RFC 1918, 100.64/10, fc00::/7, link-local)")
        ("max-flows", po::value(&o.sensor.max_flows)->default_value(2'000'000), "hard cap on tracked flows (oldest evicted, counted)")
        ("tcp-timeout", po::value(&tcp_timeout)->default_value(300), "seconds without a packet after which an established TCP flow ends")
        ("udp-timeout", po::value(&udp_timeout)->default_value(60), "the same for UDP and other protocols")
        ("vlan-in-flow-key", po::bool_switch(&o.sensor.vlan_in_flow_key), "keep the 802.1Q ids in the flow key, for sites whose VLANs reuse the same addresses (VRFs); by default a flow is its addresses, ports and protocol, whatever the tags each way")
        ("closed-timeout", po::value(&closed_timeout)->default_value(5), "seconds a flow lasts once over: TCP after FIN from both ends or RST, DNS once every query is answered (for stragglers)")
        ("workers", po::value(&o.sensor.workers)->default_value(1), "threads that track flows and run nDPI, each for a share of the flows by a symmetric hash of addresses and ports (the same records with any number); live capture then reads that many sockets per interface, spread by the kernel with PACKET_FANOUT in hash mode, each by its own thread");
    po::options_description operation("Operation");
    operation.add_options()
        ("user", po::value(&o.user), "run as this user once the capture is open (default for live capture started as root outside systemd: egresswatch; \"root\" stays root)")
        ("json-log", po::value(&o.json_log), "also write every flow and alert as JSON lines, with its Community ID, to FILE or - (standard output); reopened on SIGHUP")
        ("stats-interval", po::value(&stats_seconds)->default_value(60), "live capture: seconds between capture statistics (store and log)");
    po::options_description general("General");
    general.add_options()
        ("config,c", po::value(&config_file), "INI configuration file (same names as the long options)")
        ("quiet,q", po::bool_switch(&o.quiet), "no summary on exit")
        ("help,h", "show this help")
        ("version", "show the version");

    po::options_description all;
    all.add(input).add(output).add(enrichment).add(operation).add(general);
    po::options_description in_file;
    in_file.add(input).add(output).add(enrichment).add(operation);

    auto usage_error = [&](const std::string& message) -> std::optional<Options> {
        std::cerr << "egresswatchd: " << message << "\nTry 'egresswatchd --help'.\n";
        exit_code = 2;
        return std::nullopt;
    };
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
        if (vm.count("help")) {
            std::cout << "Usage: egresswatchd -r FILE [-r FILE ...] -d STORE.db [options]\n"
                         "       egresswatchd -i IFACE -d STORE.db [options]\n"
                         "Passive monitor: records every flow, flags camera/IoT egress.\n"
                      << all;
            exit_code = 0;
            return std::nullopt;
        }
        if (vm.count("version")) {
            std::cout << "egresswatchd " << EGRESSWATCH_VERSION << "\n";
            exit_code = 0;
            return std::nullopt;
        }
        if (vm.count("config")) {
            std::ifstream in(vm["config"].as<std::string>());
            if (!in) return usage_error("cannot read config file " + vm["config"].as<std::string>());
            // Stored after the command line, so the command line wins.
            po::store(po::parse_config_file(in, in_file), vm);
        }
        po::notify(vm);
    } catch (const po::error& e) {
        return usage_error(e.what());
    }
    if (o.read_files.empty() && o.interfaces.empty()) return usage_error("nothing to read: give -r FILE or -i IFACE");
    if (!o.read_files.empty() && !o.interfaces.empty()) return usage_error("-r and -i cannot be combined");
    if (o.sensor.store_path.empty()) return usage_error("no store: give -d STORE.db");
    auto& cc = o.sensor.home_country;
    std::transform(cc.begin(), cc.end(), cc.begin(), [](unsigned char c) { return std::toupper(c); });
    if (cc.size() != 2 || !std::isalpha(static_cast<unsigned char>(cc[0])) || !std::isalpha(static_cast<unsigned char>(cc[1])))
        return usage_error("--home-country wants an ISO 3166 alpha-2 code such as GB, got \"" + cc + "\"");
    if (!local_nets.empty()) {
        o.sensor.local_networks.clear();
        for (const auto& text : local_nets) {
            auto net = Cidr::parse(text);
            if (!net) return usage_error("--local-net: not a CIDR network: \"" + text + "\"");
            o.sensor.local_networks.push_back(*net);
        }
    }
    if (flush_seconds <= 0) return usage_error("--flush-interval must be positive");
    if (flush_clock != "wall" && flush_clock != "packet")
        return usage_error("--flush-clock is wall or packet, not \"" + flush_clock + "\"");
    o.flush_by_packet_time = flush_clock == "packet";
    if (tcp_timeout <= 0 || udp_timeout <= 0 || closed_timeout <= 0)
        return usage_error("--tcp-timeout, --udp-timeout and --closed-timeout must be positive");
    o.sensor.timeouts.tcp_us = static_cast<int64_t>(tcp_timeout * 1e6);
    o.sensor.timeouts.udp_us = static_cast<int64_t>(udp_timeout * 1e6);
    o.sensor.timeouts.closed_us = static_cast<int64_t>(closed_timeout * 1e6);
    o.sensor.flush_interval_us = static_cast<int64_t>(flush_seconds * 1e6);
    if (o.snaplen <= 0 || o.buffer_mb <= 0) return usage_error("--snaplen and --buffer-mb must be positive");
    if (stats_seconds <= 0) return usage_error("--stats-interval must be positive");
    if (o.sensor.workers < 1 || o.sensor.workers > 64) return usage_error("--workers must be between 1 and 64");
    o.stats_interval_us = static_cast<int64_t>(stats_seconds * 1e6);
    o.min_free_bytes = min_free_mb << 20;
    if (o.sensor.evidence.snaplen == 0 || o.sensor.evidence.snaplen > 262144)
        return usage_error("--evidence-snaplen must be between 1 and 262144");
    if (evidence_memory_mb == 0) return usage_error("--evidence-memory-mb must be positive (--evidence-packets 0 turns evidence packets off)");
    o.sensor.evidence.budget_bytes = evidence_memory_mb << 20;
    const auto& retention = o.retention;
    if (retention.flow_days < 0 || retention.alert_days < 0) return usage_error("retention days cannot be negative");
    if (retention.alert_days > 0 && (retention.flow_days == 0 || retention.alert_days < retention.flow_days))
        return usage_error("--alert-retention-days must not be shorter than --retention-days: alerts are kept longer");
    if (o.sensor.rules_dir.empty()) o.sensor.rules_dir = default_rules_dir();
    o.sensor.geoip_dirs = geoip_search_path(geoip_dir);
    return o;
}

}  // namespace egresswatch::daemon
