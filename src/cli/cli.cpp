#include "cli.hpp"

#include <boost/program_options.hpp>

#include <charconv>
#include <chrono>
#include <optional>
#include <string>

#include "filters.hpp"
#include "output.hpp"
#include "query.hpp"
#include "store.hpp"
#include "time_format.hpp"

namespace egresswatch::cli {
namespace {

namespace po = boost::program_options;

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "Usage: egresswatch -d STORE.db COMMAND [options]\n"
    "\n"
    "Query the flow evidence that egresswatchd records.\n"
    "\n"
    "Commands:\n"
    "  alerts    flagged flows, with severity and reasons\n"
    "  flows     all recorded flows\n"
    "  devices   internal devices (ordered by IP address)\n";

constexpr const char* kEpilog =
    "Times T are UTC: 2026-11-02, 2026-11-02T09:00:00[.250][Z], or relative to\n"
    "now: 30m, 12h, 7d (also s and w). --since/--until select flows that overlap\n"
    "the window: last_seen >= since and first_seen < until. Devices are selected\n"
    "by their own first_seen/last_seen, and --country/--asn select devices with\n"
    "at least one matching flow in the window.\n"
    "\n"
    "Exit status: 0 success, 1 store error, 2 usage error.\n";

// Thrown for a bad command line; the message is shown after "egresswatch: ".
struct UsageError {
    std::string message;
};

struct Invocation {
    Command command = Command::Flows;
    std::string store_path;
    Format format = Format::Table;
    Filters filters;
};

struct OptionSet {
    po::options_description store{"Store"};
    po::options_description filters{"Filters"};
    po::options_description output{"Output"};
    po::options_description general{"General"};
    po::options_description hidden;
    po::options_description all;
    po::positional_options_description positional;

    OptionSet() {
        auto text = [](const char* name) { return po::value<std::string>()->value_name(name); };
        store.add_options()("db,d", text("STORE.db"), "evidence store written by egresswatchd");
        filters.add_options()
            ("since", text("T"), "only flows still active at or after T")
            ("until", text("T"), "only flows that started before T")
            ("device", text("IP|MAC"), "only this device (MAC in any letter case)")
            ("country", text("CC[,CC]"), "only flows to these countries (ISO codes)")
            ("asn", text("N[,N]"), "only flows to these autonomous systems");
        output.add_options()
            ("format", text("FORMAT"), "table (default), csv or json")
            ("limit", text("N"), "print at most N rows");
        general.add_options()
            ("help,h", "show this help and exit")
            ("version", "show the version and exit");
        hidden.add_options()("command", po::value<std::string>());
        all.add(store).add(filters).add(output).add(general).add(hidden);
        positional.add("command", 1);
    }

    void print_help(std::ostream& out) const {
        out << kUsage << '\n' << store << '\n' << filters << '\n' << output << '\n' << general
            << '\n' << kEpilog;
    }
};

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

Invocation parse_invocation(const po::variables_map& vm, std::int64_t now) {
    Invocation inv;

    auto command = get(vm, "command");
    if (!command) throw UsageError{"missing command: alerts, flows or devices (see --help)"};
    auto parsed_command = parse_command(*command);
    if (!parsed_command)
        throw UsageError{"unknown command " + quoted(*command) +
                         " (expected alerts, flows or devices)"};
    inv.command = *parsed_command;

    if (auto format = get(vm, "format")) {
        auto parsed = parse_format(*format);
        if (!parsed)
            throw UsageError{"unknown format " + quoted(*format) +
                             " (expected table, csv or json)"};
        inv.format = *parsed;
    }

    Filters& f = inv.filters;
    if (vm.count("since")) f.since_us = parse_time_option(vm, "since", now);
    if (vm.count("until")) f.until_us = parse_time_option(vm, "until", now);
    if (f.since_us && f.until_us && *f.since_us >= *f.until_us)
        throw UsageError{"--since " + format_time(*f.since_us) + " is not before --until " +
                         format_time(*f.until_us)};

    if (auto device = get(vm, "device")) {
        f.device = parse_device(*device);
        if (!f.device)
            throw UsageError{"invalid --device " + quoted(*device) +
                             ": expected an IP address or a MAC address (aa:bb:cc:dd:ee:ff)"};
    }
    if (auto countries = get(vm, "country")) {
        auto parsed = parse_country_list(*countries);
        if (!parsed)
            throw UsageError{"invalid --country " + quoted(*countries) +
                             ": expected two-letter country codes separated by commas (CN,HK)"};
        f.countries = std::move(*parsed);
    }
    if (auto asns = get(vm, "asn")) {
        auto parsed = parse_asn_list(*asns);
        if (!parsed)
            throw UsageError{"invalid --asn " + quoted(*asns) +
                             ": expected AS numbers separated by commas (4134,4837)"};
        f.asns = std::move(*parsed);
    }
    if (auto limit = get(vm, "limit")) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
        if (ec != std::errc() || end != limit->data() + limit->size() || n <= 0)
            throw UsageError{"invalid --limit " + quoted(*limit) +
                             ": expected a positive integer"};
        f.limit = n;
    }

    auto path = get(vm, "db");
    if (!path || path->empty()) throw UsageError{"missing store: give -d STORE.db"};
    inv.store_path = *path;
    return inv;
}

std::int64_t now_microseconds() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

int execute(const Invocation& inv, std::ostream& out) {
    Store store(inv.store_path);
    auto formatter =
        make_formatter(inv.format, columns(inv.command), command_name(inv.command), out);
    run_query(store, inv.command, inv.filters, [&](const Row& row) { formatter->row(row); });
    formatter->finish();
    return kExitOk;
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    try {
        OptionSet options;
        po::variables_map vm;
        try {
            // No guessing of abbreviated option names: scripts depend on this.
            int style = po::command_line_style::default_style &
                        ~po::command_line_style::allow_guessing;
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
        if (vm.count("version")) {
#ifdef EGRESSWATCH_VERSION
            out << "egresswatch " << EGRESSWATCH_VERSION << '\n';
#else
            out << "egresswatch\n";
#endif
            return kExitOk;
        }

        Invocation inv = parse_invocation(vm, now_microseconds());
        int code = execute(inv, out);
        if (!out.flush()) {
            err << "egresswatch: cannot write the output\n";
            return kExitRuntime;
        }
        return code;
    } catch (const UsageError& e) {
        err << "egresswatch: " << e.message << '\n';
        return kExitUsage;
    } catch (const StoreError& e) {
        err << "egresswatch: " << e.what() << '\n';
        return kExitRuntime;
    } catch (const std::exception& e) {
        err << "egresswatch: " << e.what() << '\n';
        return kExitRuntime;
    }
}

}  // namespace egresswatch::cli
