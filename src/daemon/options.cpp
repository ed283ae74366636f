#include "options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "alert_out_syslog.hpp"
#include "alert_out_webhook.hpp"
#include "check.hpp"
#include "egresswatch/common/option_docs.hpp"
#include "egresswatch/version.hpp"

namespace egresswatch::daemon {

namespace po = boost::program_options;

namespace {

// The man page egresswatchd(8) and the bash completion, from the option tables.
bool write_generated(const std::string& what, std::vector<const po::options_description*> groups) {
    if (what == "man") {
        option_docs::Page page;
        page.program = "egresswatchd";
        page.section = 8;
        page.summary = "passive monitor of camera and IoT egress, with an evidence store";
        page.synopsis = {"-r FILE [-r FILE ...] -d STORE.db [options]", "-i IFACE [-i IFACE ...] -d STORE.db [options]",
                         "--check -c /etc/egresswatch/egresswatch.conf"};
        page.description =
            "egresswatchd listens on a SPAN or mirror port (-i) or reads captures (-r), and records every flow in an "
            "SQLite evidence store: the internal device (address, MAC, vendor, kind), the remote end (address, port, "
            "country, network owner), the application and the name it used, bytes and packets each way, and times. "
            "Flows that break a rule (rules/: countries, networks, domains, MAC vendors) are alerts, with a severity "
            "and the reasons that fired. The store is read with egresswatch(1).\n\n"
            "Live capture opens the interfaces first, then becomes an unprivileged user (--user; egresswatch by "
            "default when started as root outside systemd) before it opens any other file.";
        page.groups = std::move(groups);
        page.sections = {
            {"CONFIGURATION",
             "--config FILE reads an INI file with the long options' names, one \"name = value\" a line; the "
             "command line wins. The package's is /etc/egresswatch/egresswatch.conf. egresswatchd --check tests it."},
            {"SIGNALS", "SIGHUP (systemctl reload) reloads the rules and the geolocation databases and reopens the "
                        "JSON log; a reload that fails keeps the old ones. SIGTERM and SIGINT write every open flow and "
                        "the store, then exit."},
            {"FILES", " /etc/egresswatch/egresswatch.conf\n /var/lib/egresswatch/evidence.db\n"
                      " /usr/share/egresswatch/rules/\n /var/lib/egresswatch/geoip/, /usr/share/GeoIP/\n"
                      " /usr/share/ieee-data/"},
            {"EXIT STATUS", "0 success; 1 a failure while running (--check: a problem found); 2 a configuration "
                            "error: options, rules, geolocation databases, the store, or a capture that cannot be "
                            "opened."},
        };
        page.see_also = "egresswatch(1), systemctl(1), pcap-filter(7)";
        option_docs::write_man_page(std::cout, page, EGRESSWATCH_VERSION);
        return true;
    }
    if (what == "bash-completion") {
        option_docs::Completion c;
        c.program = "egresswatchd";
        c.groups = std::move(groups);
        c.values = {{"--flush-clock", {"wall", "packet"}}, {"--home-country", {"GB"}}, {"--syslog-format", {"rfc5424", "cef"}},
                    {"--webhook-min-severity", {"low", "medium", "high"}}};
        c.file_options = {"-r", "--read", "-d", "--db", "-c", "--config", "--rules", "--geoip-dir", "--inventory",
                          "--oui-dir", "--json-log", "--signing-key"};
        c.value_commands = {{"-i|--interface", "ls /sys/class/net 2>/dev/null"},
                            {"--tz", "cd /usr/share/zoneinfo 2>/dev/null && find * -type f -name '[A-Z]*' 2>/dev/null"}};
        option_docs::write_bash_completion(std::cout, c);
        return true;
    }
    std::cerr << "egresswatchd: --generate takes man or bash-completion\n";
    return false;
}

}  // namespace

std::optional<Options> parse_options(int argc, const char* const* argv, int& exit_code) {
    Options o;
    std::string config_file, geoip_dir;
    std::vector<std::string> local_nets;
    double flush_seconds = 60, stats_seconds = 60;
    std::string flush_clock;
    std::string syslog_format;
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
        ("max-devices", po::value(&o.sensor.max_devices)->default_value(65536), "cap on devices kept in memory, and on DHCP clients awaiting an address (least recently seen evicted: written first, counted)")
        ("tcp-timeout", po::value(&tcp_timeout)->default_value(300), "seconds without a packet after which an established TCP flow ends")
        ("udp-timeout", po::value(&udp_timeout)->default_value(60), "the same for UDP and other protocols")
        ("vlan-in-flow-key", po::bool_switch(&o.sensor.vlan_in_flow_key), "keep the 802.1Q ids in the flow key, for sites whose VLANs reuse the same addresses (VRFs); by default a flow is its addresses, ports and protocol, whatever the tags each way")
        ("closed-timeout", po::value(&closed_timeout)->default_value(5), "seconds a flow lasts once over: TCP after FIN from both ends or RST, DNS once every query is answered (for stragglers)")
        ("workers", po::value(&o.sensor.workers)->default_value(1), "threads that track flows and run nDPI, each for a share of the flows by a symmetric hash of addresses and ports (the same records with any number); live capture then reads that many sockets per interface, spread by the kernel with PACKET_FANOUT in hash mode, each by its own thread");
    po::options_description operation("Operation");
    operation.add_options()
        ("user", po::value(&o.user), "run as this user once the capture is open (default for live capture started as root outside systemd: egresswatch; \"root\" stays root)")
        ("json-log", po::value(&o.json_log), "also write every flow and alert as JSON lines, with its Community ID, to FILE or - (standard output); reopened on SIGHUP")
        ("signing-key", po::value(&o.signing_key), "Ed25519 private key (PEM) with which to sign the evidence chain's head at each flush interval and on exit (signed checkpoints; `egresswatch verify --key PUB` checks them)")
        ("stats-interval", po::value(&stats_seconds)->default_value(60), "live capture: seconds between capture statistics (store and log)")
        ("tz", po::value(&o.tz), "the time zone in which egresswatch shows times by default, e.g. Europe/London (the daemon and the store keep UTC)");
    po::options_description alerts_out("Alerts out");
    alerts_out.add_options()
        ("syslog", po::value(&o.syslog_urls)->composing(), "send every alert, device identity change and sensor health event to syslog at udp://HOST:PORT, tcp://HOST:PORT (octet-counted, RFC 6587) or unix:/dev/log (repeatable)")
        ("syslog-format", po::value(&syslog_format)->default_value("rfc5424"), "rfc5424 (fields as structured data) or cef (ArcSight CEF, as Sentinel, QRadar and Splunk read it)")
        ("webhook", po::value(&o.webhook_urls)->composing(), "POST every alert as JSON to this http:// or https:// URL (Slack, Teams or any receiver; repeatable)")
        ("webhook-min-severity", po::value(&o.webhook_min_severity)->default_value("low"), "only alerts at least this severe go to webhooks: low, medium or high")
        ("webhook-retries", po::value(&o.webhook_retries)->default_value(3), "times a failed POST is tried again (after 1, 2, 4, ... s) before its alerts count as failed");
    po::options_description general("General");
    general.add_options()
        ("config,c", po::value(&config_file), "INI configuration file (same names as the long options)")
        ("quiet,q", po::bool_switch(&o.quiet), "no summary on exit, no progress line")
        ("check", po::bool_switch(&o.check), "test the configuration: load it, the rules, the geolocation databases and the IEEE registry, open (not start) the capture and the store, check the service user can write the store's directory; print what would run, or each problem with file:line and its fix; exit 0 or 1")
        ("help,h", "show this help")
        ("version", "show the version");

    po::options_description all;
    all.add(input).add(output).add(enrichment).add(operation).add(alerts_out).add(general);
    // Not in --help: the build writes the man page and bash completion with it.
    po::options_description generate;
    generate.add_options()("generate", po::value<std::string>(), "man or bash-completion");
    po::options_description parse_all;
    parse_all.add(all).add(generate);
    po::options_description in_file;
    in_file.add(input).add(output).add(enrichment).add(operation).add(alerts_out);

    // --check reports a problem with the line of the config file that set it, and exits 1.
    const bool checking = std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string_view(a) == "--check"; });
    std::string config_read;
    auto usage_error = [&](const std::string& message) -> std::optional<Options> {
        if (checking) {
            report_check_usage_error(config_read, message);
            exit_code = kCheckFailed;
            return std::nullopt;
        }
        std::cerr << "egresswatchd: " << message << "\nTry 'egresswatchd --help'.\n";
        exit_code = 2;
        return std::nullopt;
    };
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(parse_all).run(), vm);
        if (vm.count("help")) {
            std::cout << "Usage: egresswatchd -r FILE [-r FILE ...] -d STORE.db [options]\n"
                         "       egresswatchd -i IFACE -d STORE.db [options]\n"
                         "Passive monitor: records every flow, flags camera/IoT egress.\n"
                      << all
                      << "\nExit status: 0 done; 1 a failure while running (capture, store); 2 configuration to fix.\n"
                         "Reading files, after storing what was read: 3 a file is damaged or cut short;\n"
                         "4 a file shrank while it was read.\n";
            exit_code = 0;
            return std::nullopt;
        }
        if (vm.count("generate")) {
            exit_code = write_generated(vm["generate"].as<std::string>(), {&input, &output, &enrichment, &operation, &alerts_out, &general})
                            ? 0
                            : 2;
            return std::nullopt;
        }
        if (vm.count("version")) {
            std::cout << version_text("egresswatchd", geoip_search_path(vm.count("geoip-dir") ? vm["geoip-dir"].as<std::string>() : ""));
            exit_code = 0;
            return std::nullopt;
        }
        if (vm.count("config")) {
            std::ifstream in(vm["config"].as<std::string>());
            if (!in) return usage_error("cannot read config file " + vm["config"].as<std::string>());
            config_read = vm["config"].as<std::string>();
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
    if (o.sensor.max_devices < 16) return usage_error("--max-devices must be at least 16");
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
    for (const auto& url : o.syslog_urls) {
        try {
            parse_syslog_url(url);
        } catch (const std::invalid_argument& e) {
            return usage_error("--syslog " + url + ": " + e.what());
        }
    }
    if (syslog_format != "rfc5424" && syslog_format != "cef")
        return usage_error("--syslog-format is rfc5424 or cef, not \"" + syslog_format + "\"");
    o.syslog_cef = syslog_format == "cef";
    for (const auto& url : o.webhook_urls) {
        try {
            check_webhook_url(url);
        } catch (const std::invalid_argument& e) {
            return usage_error("--webhook " + url + ": " + e.what());
        }
    }
    if (o.webhook_min_severity != "low" && o.webhook_min_severity != "medium" && o.webhook_min_severity != "high")
        return usage_error("--webhook-min-severity is low, medium or high, not \"" + o.webhook_min_severity + "\"");
    if (o.webhook_retries < 0 || o.webhook_retries > 20) return usage_error("--webhook-retries must be between 0 and 20");
    if (o.sensor.rules_dir.empty()) o.sensor.rules_dir = default_rules_dir();
    o.sensor.geoip_dirs = geoip_search_path(geoip_dir);
    o.config_file = config_file;
    return o;
}

}  // namespace egresswatch::daemon
