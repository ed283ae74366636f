#include "cli.hpp"

#include <boost/program_options.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device_story.hpp"
#include "egresswatch/clock.hpp"
#include "egresswatch/rules.hpp"
#include "egresswatch/common/config_file.hpp"
#include "egresswatch/common/option_docs.hpp"
#include "egresswatch/version.hpp"
#include "evidence_commands.hpp"
#include "filters.hpp"
#include "output.hpp"
#include "packet_commands.hpp"
#include "query.hpp"
#include "rejudge_command.hpp"
#include "report.hpp"
#include "store.hpp"
#include "time_format.hpp"

namespace egresswatch::cli {
namespace {

namespace po = boost::program_options;

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;  // also: verify found a tampered record
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "Usage: egresswatch -d STORE.db [-d STORE.db ...] COMMAND [options]\n"
    "\n"
    "Investigate the flow evidence that egresswatchd records, and report on it.\n"
    "\n"
    "Commands:\n"
    "  alerts          flagged flows, with severity and reasons\n"
    "  flows           all recorded flows\n"
    "  devices         internal devices (ordered by IP address)\n"
    "  dns             passive DNS answers seen\n"
    "  device IP|MAC   one device: identity and evidence, destinations with totals,\n"
    "                  alerts, DNS names it resolved\n"
    "  report          the egress summary of a period: --period, or --since/--until\n"
    "  verify          check every sealed record against the evidence chain\n"
    "  export          a case bundle about one device (--device) that others can verify\n"
    "  rejudge         judge the stored flows of a period (--since, --until) again\n"
    "                  with the rules now in --rules: late alerts, sealed\n"
    "  pcap            the stored packets of the alerts selected (alerts' filters), as\n"
    "                  pcapng for Wireshark or tshark: -o FILE.pcapng\n"
    "  hold            put a device's evidence on legal hold (--device; --release ends\n"
    "                  it): retention deletes none of it; without --device, list holds\n";

constexpr const char* kEpilog =
    "Times T are UTC: 2026-11-02, 2026-11-02T09:00:00[.250][Z], or relative to\n"
    "now: 30m, 12h, 7d (also s and w). --since/--until select flows that overlap\n"
    "the window: last_seen >= since and first_seen < until (dns: the answer's\n"
    "time). Devices are selected by their own first_seen/last_seen, and flow\n"
    "filters select devices with at least one matching flow in the window.\n"
    "A report period P is 2026 (a year), 2026-11 (a month), 2026-W47 (an ISO week),\n"
    "2026-11-02 (a day), last-month or last-week (the last whole one, UTC);\n"
    "a flow counts in the period in which it started.\n"
    "With several stores (-d A.db -d B.db) the rows of all are merged, and the\n"
    "report covers all of them.\n"
    "\n"
    "Exit status: 0 success, 1 store error or (verify) a tampered record, 2 usage error.\n";

// Thrown for a bad command line; the message is shown after "egresswatch: ".
struct UsageError {
    std::string message;
};

enum class Verb { Query, Device, Report, Verify, Export, Rejudge, Pcap, Hold };

struct Invocation {
    Verb verb = Verb::Query;
    Command query = Command::Flows;
    std::vector<std::string> store_paths;
    Format format = Format::Table;
    report::Format report_format = report::Format::Markdown;
    Filters filters;
    report::Scope scope;                  // report
    std::optional<std::string> output;    // -o FILE
    std::string rules_dir;                // rejudge
    std::string store_origin;             // where the store came from, when not -d
    std::size_t terminal_width = 0;       // tables fit it (0: not a terminal)
    std::optional<std::string> key;       // verify --key PUB
    bool release = false;                 // hold --release
};

struct OptionSet {
    po::options_description store{"Store"};
    po::options_description filters{"Filters"};
    po::options_description output{"Output"};
    po::options_description reporting{"Report"};
    po::options_description verifying{"Verify"};
    po::options_description holding{"Legal hold"};
    po::options_description general{"General"};
    po::options_description hidden;
    po::options_description all;
    po::positional_options_description positional;

    OptionSet() {
        auto text = [](const char* name) { return po::value<std::string>()->value_name(name); };
        store.add_options()("db,d", po::value<std::vector<std::string>>()->value_name("STORE.db"),
                            "evidence store written by egresswatchd; repeat for several");
        filters.add_options()
            ("since", text("T"), "only flows still active at or after T")
            ("until", text("T"), "only flows that started before T")
            ("device", text("IP|MAC|NAME"), "only this device (MAC in any letter case; NAME: label or hostname)")
            ("country", text("CC[,CC]"), "only flows to these countries (ISO codes)")
            ("asn", text("N[,N]"), "only flows to these autonomous systems")
            ("domain", text("SUFFIX"), "only flows (dns: names) in this domain, e.g. hik-connect.com")
            ("severity", text("LEVEL"), "only flows with an alert of LEVEL or above: low, medium, high")
            ("kind", text("KIND[,KIND]"), "only devices of these kinds: camera, nvr, iot, other")
            ("app", text("PROTO"), "only flows of this application protocol, e.g. TLS or HikConnect");
        output.add_options()
            ("format", text("FORMAT"), "table (default), csv, json or jsonl; report: md (default), html, csv or json")
            ("limit", text("N"), "print at most N rows")
            ("order", text("BY"), "time (default) or bytes (most first): flows and alerts")
            ("output,o", text("FILE"), "write to FILE instead of standard output")
            ("tz", text("ZONE"), "show times in tables and md/html reports in ZONE, e.g. Europe/London (default: tz = in the sensor's configuration, else UTC); json, csv and sealed records stay UTC");
        reporting.add_options()
            ("period", text("P"), "the report's period: 2026, 2026-11, 2026-W47, 2026-11-02 (UTC), last-month or last-week")
            ("rules", text("DIR"), "rejudge: the rules directory (default: the installed or bundled rules/)");
        verifying.add_options()("key", text("PUB"),
                                "verify: the sensor's Ed25519 public key (PEM); checks its signed checkpoints");
        holding.add_options()("release", po::bool_switch(), "hold: end the legal hold of --device");
        general.add_options()
            ("help,h", "show this help and exit")
            ("version", "show the version and exit");
        hidden.add_options()("command", po::value<std::string>())("target", po::value<std::string>());
        // The build writes the man page and the bash completion with it.
        hidden.add_options()("generate", po::value<std::string>());
        all.add(store).add(filters).add(output).add(reporting).add(verifying).add(holding).add(general).add(hidden);
        positional.add("command", 1).add("target", 1);
    }

    // egresswatch(1) and the bash completion, from these tables.
    bool generate(const std::string& what, std::ostream& out) const;

    void print_help(std::ostream& out) const {
        out << kUsage << '\n' << store << '\n' << filters << '\n' << output << '\n' << reporting << '\n'
            << verifying << '\n' << holding << '\n' << general << '\n' << kEpilog;
    }
};

bool OptionSet::generate(const std::string& what, std::ostream& out) const {
    std::vector<const po::options_description*> groups = {&store, &filters, &output, &reporting, &verifying, &holding, &general};
    if (what == "man") {
        option_docs::Page page;
        page.program = "egresswatch";
        page.section = 1;
        page.summary = "investigate and report on the flow evidence egresswatchd records";
        page.synopsis = {"[-d STORE.db ...] COMMAND [options]"};
        std::string usage = kUsage;
        // The usage's commands, as --help shows them.
        page.description = usage.substr(usage.find("\n\n") + 2);
        page.groups = groups;
        page.sections = {
            {"NOTES", kEpilog},
            {"ENVIRONMENT",
             "EGRESSWATCH_DB: the store when -d is not given.\n\n"
             "EGRESSWATCH_CONF: the sensor's configuration, whose db = and tz = are the defaults of -d and --tz "
             "(default /etc/egresswatch/egresswatch.conf).\n\n"
             "COLUMNS: the width tables fit on a terminal."},
            {"EXAMPLES", " egresswatch alerts --since 7d\n egresswatch alerts --country CN,HK,MO --kind camera,nvr\n"
                         " egresswatch report --period last-month --format html -o report.html\n"
                         " egresswatch -d site-a.db -d site-b.db report --period 2026-11 --tz Europe/London"},
        };
        page.see_also = "egresswatchd(8)";
#ifdef EGRESSWATCH_VERSION
        option_docs::write_man_page(out, page, EGRESSWATCH_VERSION);
#else
        option_docs::write_man_page(out, page, "");
#endif
        return true;
    }
    if (what == "bash-completion") {
        option_docs::Completion c;
        c.program = "egresswatch";
        c.commands = {"alerts", "flows", "devices", "dns", "device", "report", "verify", "export", "rejudge", "pcap", "hold"};
        c.groups = groups;
        // Every format some command takes: the parsers say which words are formats.
        std::vector<std::string> formats;
        for (const char* f : {"table", "csv", "json", "jsonl", "md", "html"})
            if (parse_format(f) || report::parse_format(f)) formats.push_back(f);
        c.values = {{"--format", formats},
                    {"--period", {"last-month", "last-week"}},
                    {"--severity", {"low", "medium", "high"}},
                    {"--kind", {"camera", "nvr", "iot", "other"}},
                    {"--order", {"time", "bytes"}}};
        c.file_options = {"-d", "--db", "-o", "--output", "--key"};
        c.value_commands = {{"--tz", "cd /usr/share/zoneinfo 2>/dev/null && find * -type f -name '[A-Z]*' 2>/dev/null"}};
        option_docs::write_bash_completion(out, c);
        return true;
    }
    return false;
}

std::optional<std::string> get(const po::variables_map& vm, const char* name) {
    if (!vm.count(name)) return std::nullopt;
    return vm[name].as<std::string>();
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::int64_t parse_time_option(const po::variables_map& vm, const char* name, std::int64_t now) {
    std::string value = *get(vm, name);
    auto us = parse_time(value, now);
    if (!us)
        throw UsageError{"invalid --" + std::string(name) + " " + quoted(value) +
                         ": expected a date (2026-11-02), a UTC date-time "
                         "(2026-11-02T09:00:00Z) or a relative time (7d, 12h, 30m)"};
    return *us;
}

// Parses option `name`, if given, with `parse`; a value it rejects is a usage
// error that says what was expected.
template <typename Parse>
auto parse_option(const po::variables_map& vm, const char* name, Parse parse, const char* expected)
    -> decltype(parse(std::string_view{})) {
    auto value = get(vm, name);
    if (!value) return std::nullopt;
    auto parsed = parse(*value);
    if (!parsed) throw UsageError{"invalid --" + std::string(name) + " " + quoted(*value) + ": expected " + expected};
    return parsed;
}

// The options each command takes, besides -d, --help and --version.
std::vector<std::string_view> options_of(Verb verb) {
    switch (verb) {
        case Verb::Query:
            return {"since", "until", "device", "country", "asn", "domain", "severity", "kind", "app",
                    "format", "limit", "order", "output"};
        case Verb::Device:
            return {"since", "until", "country", "asn", "domain", "severity", "app", "format", "output"};
        case Verb::Report: return {"period", "since", "until", "format", "output"};
        case Verb::Verify: return {"key"};
        case Verb::Export: return {"device", "since", "until", "format", "output"};
        case Verb::Rejudge: return {"device", "since", "until", "rules"};
        case Verb::Pcap:
            return {"since", "until", "device", "country", "asn", "domain", "severity", "kind", "app", "limit", "output"};
        case Verb::Hold: return {"device", "release"};
    }
    return {};
}

void check_options(const po::variables_map& vm, Verb verb, const std::string& command) {
    static const std::vector<std::string_view> kGeneral = {"db", "command", "target", "help", "version", "tz"};
    auto allowed = options_of(verb);
    for (const auto& [name, value] : vm) {
        if (name == "release" && !value.as<bool>()) continue;  // a switch is always in the map
        if (std::find(kGeneral.begin(), kGeneral.end(), name) != kGeneral.end()) continue;
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            throw UsageError{"--" + name + " does not apply to " + command + " (see --help)"};
    }
}

Verb parse_verb(const std::string& command, Invocation& inv) {
    if (auto query = parse_command(command)) {
        inv.query = *query;
        return Verb::Query;
    }
    if (command == "device") return Verb::Device;
    if (command == "report") return Verb::Report;
    if (command == "verify") return Verb::Verify;
    if (command == "export") return Verb::Export;
    if (command == "rejudge") return Verb::Rejudge;
    if (command == "pcap") return Verb::Pcap;
    if (command == "hold") return Verb::Hold;
    throw UsageError{"unknown command " + quoted(command) +
                     " (expected alerts, flows, devices, dns, device, report, verify, export, rejudge, pcap or hold)"};
}

void parse_filters(const po::variables_map& vm, std::int64_t now, Filters& f) {
    if (vm.count("since")) f.since_us = parse_time_option(vm, "since", now);
    if (vm.count("until")) f.until_us = parse_time_option(vm, "until", now);
    if (f.since_us && f.until_us && *f.since_us >= *f.until_us)
        throw UsageError{"--since " + format_time(*f.since_us) + " is not before --until " + format_time(*f.until_us)};
    f.device = parse_option(vm, "device", parse_device,
                            "an IP address, a MAC address (aa:bb:cc:dd:ee:ff) or a device label or hostname");
    if (auto c = parse_option(vm, "country", parse_country_list,
                              "two-letter country codes separated by commas (CN,HK)"))
        f.countries = std::move(*c);
    if (auto a = parse_option(vm, "asn", parse_asn_list, "AS numbers separated by commas (4134,4837)"))
        f.asns = std::move(*a);
    f.domain = parse_option(vm, "domain", parse_domain_suffix, "a domain name or suffix (hik-connect.com)");
    if (auto s = parse_option(vm, "severity", parse_severity, "low, medium or high")) f.severities = std::move(*s);
    if (auto k = parse_option(vm, "kind", parse_kind_list, "camera, nvr, iot or other, separated by commas"))
        f.kinds = std::move(*k);
    f.app = parse_option(vm, "app", parse_app, "a protocol name such as TLS, HikConnect or TLS.HikConnect");
    if (auto order = parse_option(vm, "order", parse_order, "time or bytes")) f.order = *order;
    if (auto limit = get(vm, "limit")) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
        if (ec != std::errc() || end != limit->data() + limit->size() || n <= 0)
            throw UsageError{"invalid --limit " + quoted(*limit) + ": expected a positive integer"};
        f.limit = n;
    }
}

void parse_report_scope(const po::variables_map& vm, Invocation& inv, std::int64_t now) {
    Filters& f = inv.filters;
    if (auto given = get(vm, "period")) {
        auto period = std::optional<std::string>(resolve_period(*given, now));
        if (f.since_us || f.until_us) throw UsageError{"give either --period or --since/--until, not both"};
        auto window = parse_period(*period);
        if (!window)
            throw UsageError{"invalid --period " + quoted(*given) +
                             ": expected a year (2026), a month (2026-11), an ISO week (2026-W47), a day (2026-11-02), "
                             "last-month or last-week"};
        inv.scope.window = *window;
        inv.scope.period = *period;
        return;
    }
    if (!f.since_us) throw UsageError{"report needs --period P, or --since T (and --until T)"};
    inv.scope.window = {*f.since_us, *f.until_us};
    inv.scope.period = format_time(*f.since_us) + " to " + format_time(*f.until_us);
}

// The daemon's configuration, where the CLI takes its defaults from
// (EGRESSWATCH_CONF names another, for tests and second sensors).
std::string config_path() {
    const char* path = std::getenv("EGRESSWATCH_CONF");
    return path && *path ? path : config_file::kDefaultPath;
}

// Without -d: EGRESSWATCH_DB, else the store the installed daemon writes (db =).
void default_store(Invocation& inv) {
    if (const char* db = std::getenv("EGRESSWATCH_DB"); db && *db) {
        inv.store_paths = {db};
        inv.store_origin = "EGRESSWATCH_DB";
        return;
    }
    std::string path = config_path();
    if (auto entry = config_file::find(config_file::read(path), "db"); entry && !entry->value.empty()) {
        inv.store_paths = {entry->value};
        inv.store_origin = "db = in " + path;
    }
}

// --tz, else tz = in the configuration, else UTC.
void choose_display_zone(const po::variables_map& vm) {
    std::string zone = "UTC", from = "--tz";
    if (auto tz = get(vm, "tz")) {
        zone = *tz;
    } else if (auto entry = config_file::find(config_file::read(config_path()), "tz")) {
        zone = entry->value;
        from = "tz = in " + config_path() + ":" + std::to_string(entry->line);
    }
    if (!set_display_zone(zone))
        throw UsageError{"unknown time zone " + quoted(zone) + " (" + from +
                         "): expected UTC or a tz database name such as Europe/London (Debian: tzdata)"};
}

// The columns of the terminal that standard output is, or 0.
std::size_t terminal_width() {
    if (!isatty(STDOUT_FILENO)) return 0;
    if (const char* columns = std::getenv("COLUMNS")) {
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(columns, columns + std::strlen(columns), n);
        if (ec == std::errc() && *end == '\0' && n >= 20) return n;
    }
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
    return 80;
}

Invocation parse_invocation(const po::variables_map& vm, std::int64_t now) {
    Invocation inv;
    auto command = get(vm, "command");
    if (!command)
        throw UsageError{"missing command: alerts, flows, devices, dns, device, report, verify, export, rejudge, pcap "
                         "or hold (see --help)"};
    inv.verb = parse_verb(*command, inv);
    check_options(vm, inv.verb, *command);

    auto target = get(vm, "target");
    if (inv.verb == Verb::Device && !target) throw UsageError{"device needs the device: egresswatch device IP|MAC"};
    if (inv.verb != Verb::Device && target)
        throw UsageError{"unexpected argument " + quoted(*target) + " after " + *command + " (see --help)"};

    if (auto format = get(vm, "format")) {
        if (inv.verb == Verb::Report) {
            auto parsed = report::parse_format(*format);
            if (!parsed) throw UsageError{"unknown report format " + quoted(*format) + " (expected md, html, csv or json)"};
            inv.report_format = *parsed;
        } else if (inv.verb == Verb::Export) {
            if (*format != "json") throw UsageError{"export writes json only, not " + quoted(*format)};
        } else {
            auto parsed = parse_format(*format);
            if (!parsed) throw UsageError{"unknown format " + quoted(*format) + " (expected table, csv, json or jsonl)"};
            inv.format = *parsed;
        }
    }
    if (inv.verb == Verb::Report && !vm.count("period") && vm.count("since") && !vm.count("until"))
        inv.filters.until_us = now;  // a report "since 7d" runs until now
    parse_filters(vm, now, inv.filters);

    if (inv.verb == Verb::Device) {
        inv.filters.device = parse_device(*target);
        if (!inv.filters.device)
            throw UsageError{"invalid device " + quoted(*target) + ": expected an IP address or a MAC address"};
    }
    if (inv.verb == Verb::Query)
        if (auto option = inapplicable_filter(inv.query, inv.filters))
            throw UsageError{*option + " does not apply to " + *command + " (see --help)"};
    if (inv.verb == Verb::Report) parse_report_scope(vm, inv, now);
    if (inv.verb == Verb::Export && !inv.filters.device)
        throw UsageError{"export needs --device IP|MAC|NAME"};
    inv.output = get(vm, "output");
    if (inv.verb == Verb::Rejudge) {
        if (!inv.filters.since_us) throw UsageError{"rejudge needs --since T (and --until T)"};
        if (inv.filters.device && inv.filters.device->kind != DeviceFilter::Kind::Ip)
            throw UsageError{"rejudge --device takes an IP address"};
        inv.rules_dir = get(vm, "rules").value_or(default_rules_dir());
    }
    inv.key = get(vm, "key");
    if (inv.verb == Verb::Pcap && !inv.output) throw UsageError{"pcap writes a file: give -o FILE.pcapng"};
    inv.release = vm.count("release") && vm["release"].as<bool>();
    if (inv.release && !inv.filters.device) throw UsageError{"hold --release needs --device IP|MAC|NAME"};

    if (vm.count("db")) inv.store_paths = vm["db"].as<std::vector<std::string>>();
    if (!vm.count("db")) default_store(inv);
    if (inv.store_paths.empty() ||
        std::any_of(inv.store_paths.begin(), inv.store_paths.end(), [](const auto& p) { return p.empty(); }))
        throw UsageError{"missing store: give -d STORE.db (or set EGRESSWATCH_DB, or db = in " + config_path() + ")"};
    if (inv.verb == Verb::Rejudge && inv.store_paths.size() != 1)
        throw UsageError{"rejudge writes to one store: give one -d STORE.db"};
    return inv;
}

// Runs the command; false only when verify found a tampered record.
bool execute(const Invocation& inv, std::ostream& out, std::ostream& err) {
    if (inv.verb == Verb::Hold) {  // writes: not through the read-only Store
        run_hold(inv.store_paths, HoldRequest{inv.filters.device, inv.release}, out);
        return true;
    }
    if (inv.verb == Verb::Rejudge) {
        const auto& device = inv.filters.device;
        rejudge_store({inv.store_paths[0], *inv.filters.since_us, inv.filters.until_us,
                       device ? std::optional(device->value) : std::nullopt, inv.rules_dir},
                      out);
        return true;
    }
    std::vector<std::unique_ptr<Store>> stores;
    for (const auto& path : inv.store_paths) {
        try {
            stores.push_back(std::make_unique<Store>(path));
        } catch (const std::exception& e) {
            if (inv.store_origin.empty()) throw;
            // The service's store: readable by the egresswatch group.
            throw std::runtime_error(std::string(e.what()) + " (the store named by " + inv.store_origin +
                                     "; to read the service's store, join the egresswatch group: "
                                     "sudo adduser $USER egresswatch, then log in again; or give -d STORE.db)");
        }
    }
    switch (inv.verb) {
        case Verb::Query: {
            auto formatter =
                make_formatter(inv.format, columns(inv.query), command_name(inv.query), out, {}, inv.terminal_width);
            run_query(stores, inv.query, inv.filters, [&](const Row& row) { formatter->row(row); });
            formatter->finish();
            return true;
        }
        case Verb::Device: write_device_story(stores, inv.filters, inv.format, out); return true;
        case Verb::Report:
            report::write_report(report::build_report(stores, inv.scope), inv.report_format, out);
            return true;
        case Verb::Verify: return verify_stores(stores, out, inv.key);
        case Verb::Export: export_bundle(stores, *inv.filters.device, inv.filters, out); return true;
        case Verb::Rejudge: return true;  // above: it writes
        case Verb::Pcap: {
            PcapSummary written = write_alert_pcapng(stores, inv.filters, out);
            err << "egresswatch: wrote " << written.packets << (written.packets == 1 ? " packet" : " packets")
                << " of " << written.alerts << (written.alerts == 1 ? " alert" : " alerts") << " to "
                << *inv.output << '\n';
            return true;
        }
        case Verb::Hold: break;
    }
    return true;
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    try {
        OptionSet options;
        po::variables_map vm;
        try {
            // No guessing of abbreviated option names: scripts depend on this.
            int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
            po::store(po::command_line_parser(argc, argv)
                          .options(options.all)
                          .positional(options.positional)
                          .style(style)
                          .run(),
                      vm);
            po::notify(vm);
        } catch (const po::error& e) {
            throw UsageError{std::string(e.what()) + " (see --help)"};
        }

        if (vm.count("help")) {
            options.print_help(out);
            return kExitOk;
        }
        if (auto what = get(vm, "generate")) {
            if (!options.generate(*what, out)) throw UsageError{"--generate takes man or bash-completion"};
            return kExitOk;
        }
        if (vm.count("version")) {
            out << version_text("egresswatch", geoip_search_path(""));
            return kExitOk;
        }

        choose_display_zone(vm);
        Invocation inv = parse_invocation(vm, now_us());
        if (!inv.output && &out == &std::cout) inv.terminal_width = terminal_width();
        std::ofstream file;
        if (inv.output) {
            file.open(*inv.output, std::ios::binary | std::ios::trunc);
            if (!file) {
                err << "egresswatch: cannot write " << *inv.output << ": " << std::strerror(errno) << '\n';
                return kExitRuntime;
            }
        }
        std::ostream& sink = inv.output ? file : out;
        bool ok = execute(inv, sink, err);
        if (!sink.flush()) {
            err << "egresswatch: cannot write the output\n";
            return kExitRuntime;
        }
        return ok ? kExitOk : kExitRuntime;
    } catch (const UsageError& e) {
        err << "egresswatch: " << e.message << '\n';
        return kExitUsage;
    } catch (const NoRecords& e) {
        err << "egresswatch: " << e.message << '\n';
        return kExitRuntime;
    } catch (const std::exception& e) {
        err << "egresswatch: " << e.what() << '\n';
        return kExitRuntime;
    }
}

}  // namespace egresswatch::cli
