#include "check.hpp"

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>
#include <vector>

#include "capture.hpp"
#include "egresswatch/common/config_file.hpp"
#include "egresswatch/common/sqlite.hpp"
#include "egresswatch/schema.hpp"
#include "privileges.hpp"
#include "egresswatch/version.hpp"

namespace egresswatch::daemon {
namespace {

namespace fs = std::filesystem;

// Prints problems as they are found and the summary's lines; counts problems.
class Checker {
public:
    explicit Checker(const Options& options) : o_(options) {}

    // Where an option came from: the config file's line, or the command line.
    std::string where(std::string_view option) const {
        auto at = config_location(o_.config_file, option);
        return at.empty() ? "--" + std::string(option) : at;
    }
    void problem(const std::string& where, const std::string& what, const std::string& fix) {
        ++problems_;
        std::cerr << "egresswatchd: " << (where.empty() ? "" : where + ": ") << what << "\n";
        if (!fix.empty()) std::cerr << "    fix: " << fix << "\n";
    }
    void line(const std::string& label, const std::string& text) const {
        if (!o_.quiet) std::cout << "  " << label << std::string(label.size() < 14 ? 14 - label.size() : 1, ' ')
                                 << text << "\n";
    }
    int problems() const { return problems_; }
    const Options& options() const { return o_; }

private:
    const Options& o_;
    int problems_ = 0;
};

// Opens the capture as the daemon would before it changes user, and closes it.
void check_capture(Checker& c) {
    const Options& o = c.options();
    if (o.read_files.empty()) {
        Options one = o;
        one.sensor.workers = 1;  // one socket per interface: no fanout group to join
        try {
            LiveCapture capture(one);
            c.line("capture", "interface " + capture.source_name() + " opened (snaplen " + std::to_string(o.snaplen) +
                                  ", buffer " + std::to_string(o.buffer_mb) + " MiB per interface, filter " +
                                  (o.bpf_filter.empty() ? std::string("none") : "\"" + o.bpf_filter + "\"") + ", " +
                                  std::to_string(o.sensor.workers) + (o.sensor.workers == 1 ? " worker)" : " workers)"));
        } catch (const std::exception& e) {
            std::string what = e.what();
            if (what.find("--filter") != std::string::npos)
                c.problem(c.where("filter"), what, "correct the BPF expression (see pcap-filter(7)), or remove filter =");
            else
                c.problem(c.where("interface"), what,
                          "name an interface that exists (ip -br link), and run as root or with CAP_NET_RAW and "
                          "CAP_NET_ADMIN (the systemd unit grants both)");
        }
        return;
    }
    try {
        FileCapture files(o.read_files);
        c.line("capture", std::to_string(o.read_files.size()) + " file(s) opened: " + o.read_files.front() +
                              (o.read_files.size() > 1 ? " ..." : ""));
    } catch (const std::exception& e) {
        c.problem(c.where("read"), e.what(), "give a readable pcap or pcapng file");
    }
}

// Whether the current user may create files in `dir` (and write `file`, if it exists).
void check_writable(Checker& c, const std::string& option, const fs::path& file, const std::string& user) {
    fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        c.problem(c.where(option), "directory " + dir.string() + " of " + file.string() + " does not exist",
                  "create it: install -d -o egresswatch -g egresswatch -m 0750 " + dir.string());
        return;
    }
    if (access(dir.c_str(), W_OK | X_OK) != 0)
        c.problem(c.where(option), "user " + user + " cannot create files in " + dir.string() + " (" +
                                       std::strerror(errno) + ")",
                  "chown " + user + " " + dir.string() + " (the package's /var/lib/egresswatch is), or choose a "
                  "directory " + user + " can write");
    else if (fs::exists(file, ec) && access(file.c_str(), R_OK | W_OK) != 0)
        c.problem(c.where(option), "user " + user + " cannot write " + file.string() + " (" + std::strerror(errno) + ")",
                  "chown " + user + " " + file.string());
}

void check_store(Checker& c, const std::string& user) {
    const Options& o = c.options();
    const std::string& path = o.sensor.store_path;
    std::error_code ec;
    bool exists = fs::exists(path, ec);
    int problems = c.problems();
    check_writable(c, "db", path, user);
    if (c.problems() != problems) return;
    if (!exists) {
        c.line("store", path + " (will be created; its directory is writable by " + user + ")");
        return;
    }
    try {
        sqlite::Connection db(path, sqlite::Connection::Mode::read_only);
        auto version = db.user_version();
        sqlite::check_schema_version(version, schema::kVersion, path, sqlite::SchemaUse::migrate);
        std::string note = version == schema::kVersion ? "schema version " + std::to_string(version)
                                                       : "schema version " + std::to_string(version) +
                                                             ", will be migrated to " + std::to_string(schema::kVersion);
        c.line("store", path + " (exists, " + note + "; writable by " + user + ")");
    } catch (const std::exception& e) {
        c.problem(c.where("db"), e.what(), "point db = at an egresswatch store, or move this file away");
    }
}

void check_rules(Checker& c) {
    const Options& o = c.options();
    try {
        Rules rules = Rules::load(o.sensor.rules_dir, o.sensor.home_country);
        c.line("rules", o.sensor.rules_dir + " (" + std::to_string(rules.entry_count()) + " entries, home country " +
                            o.sensor.home_country + ")");
    } catch (const std::exception& e) {
        // Rules errors name their file:line, and a missing file says what to do.
        std::string what = e.what();
        bool at_line = std::regex_search(what, std::regex(R"(\.txt:[0-9]+: )"));
        c.problem("", what, at_line ? "correct that line (each file's format is in its header and rules/README.md)" : "");
    }
    if (o.sensor.inventory_file.empty()) return;
    try {
        Inventory::load(o.sensor.inventory_file);
        c.line("inventory", o.sensor.inventory_file);
    } catch (const std::exception& e) {
        c.problem("", e.what(), "correct that line: address,label,site,kind");
    }
}

void check_geolocation(Checker& c) {
    try {
        GeoLocator geo(c.options().sensor.geoip_dirs);
        c.line("geolocation", geo.describe());
        c.line("", geolocation_age(geo, std::time(nullptr)));
    } catch (const std::exception& e) {
        c.problem(c.where("geoip-dir"), e.what(), "");
    }
}

void check_registry(Checker& c) {
    const std::string& dir = c.options().sensor.oui_dir;
    try {
        auto registry = OuiRegistry::load(dir);
        if (registry.size() == 0)
            c.line("IEEE registry", dir + ": empty or missing: MAC vendors will be unknown (apt-get install ieee-data)");
        else
            c.line("IEEE registry", dir + " (" + std::to_string(registry.size()) + " assignments)");
    } catch (const std::exception& e) {
        c.problem(c.where("oui-dir"), e.what(), "apt-get install --reinstall ieee-data, or fix oui-dir =");
    }
}

void check_json_log(Checker& c, const std::string& user) {
    const std::string& log = c.options().json_log;
    if (log.empty()) return;
    if (log == "-") {
        c.line("JSON log", "standard output");
        return;
    }
    int problems = c.problems();
    check_writable(c, "json-log", log, user);
    if (c.problems() == problems) c.line("JSON log", log);
}

// What the daemon does after it has changed user.
void check_as_service_user(Checker& c, const std::string& user) {
    check_store(c, user);
    check_rules(c);
    check_geolocation(c);
    check_registry(c);
    check_json_log(c, user);
    const std::string& tz = c.options().tz;
    std::error_code ec;
    if (!tz.empty() && tz != "UTC" &&
        (tz.find("..") != std::string::npos || !fs::is_regular_file(fs::path("/usr/share/zoneinfo") / tz, ec)))
        c.problem(c.where("tz"), "unknown time zone \"" + tz + "\"",
                  "use a tz database name such as Europe/London (ls /usr/share/zoneinfo; Debian: tzdata)");
    else if (!tz.empty())
        c.line("time zone", tz + " (egresswatch's tables and reports)");
    const auto& r = c.options().retention;
    c.line("retention", r.enabled() ? "flows " + std::to_string(r.flow_days) + " days, flows with an alert " +
                                          (r.alert_days ? std::to_string(r.alert_days) + " days" : std::string("kept"))
                                    : std::string("keep everything"));
}

std::string current_user() {
    const passwd* me = getpwuid(geteuid());
    return me ? me->pw_name : std::to_string(geteuid());
}

}  // namespace

std::string config_location(const std::string& config_file, std::string_view option) {
    if (config_file.empty()) return "";
    auto entry = config_file::find(config_file::read(config_file), option);
    return entry ? config_file + ":" + std::to_string(entry->line) : "";
}

void report_check_usage_error(const std::string& config_file, const std::string& message) {
    // Boost names options as 'name', '--name' or --name; ours say --name.
    std::smatch m;
    std::string where;
    if (std::regex_search(message, m, std::regex(R"(--([a-z][a-z0-9-]*))")) ||
        std::regex_search(message, m, std::regex(R"(option '([a-z][a-z0-9-]*)')")))
        where = config_location(config_file, m[1].str());
    std::cerr << "egresswatchd: " << (where.empty() ? "" : where + ": ") << message << "\n"
              << "    fix: correct it (the names are the long options of egresswatchd --help)\n"
              << "egresswatchd: configuration has problems\n";
}

int run_check(const Options& options) {
    Checker c(options);
    if (!options.quiet)
        std::cout << "egresswatchd " << version_line() << "\nwould run with"
                  << (options.config_file.empty() ? std::string() : " " + options.config_file) << ":\n";
    check_capture(c);
    const bool live = options.read_files.empty();
    std::optional<std::string> user;
    try {
        user = user_to_become(options.user, live);
    } catch (const std::exception& e) {
        c.problem(c.where("user"), e.what(), "");
    }
    int child_problems = 0;
    if (!user) {
        c.line("user", current_user() + " (no change)");
        check_as_service_user(c, current_user());
    } else if (geteuid() != 0) {
        c.problem(c.where("user"), "cannot check as user " + *user + ": only root can change user",
                  "run egresswatchd --check as root, or as " + *user);
    } else {
        c.line("user", *user + " (after the capture is open)");
        // As the daemon does: the files are read by the user it becomes, in a
        // child that becomes that user, so that root's access proves nothing.
        std::cout.flush();
        std::cerr.flush();
        pid_t pid = fork();
        if (pid == 0) {
            Checker child(options);
            try {
                become_user(*user);
                check_as_service_user(child, *user);
            } catch (const std::exception& e) {
                child.problem(child.where("user"), e.what(), "");
            }
            std::cout.flush();
            std::cerr.flush();
            _exit(std::min(child.problems(), 100));
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
            c.problem("", "the check as user " + *user + " did not finish", "");
        else
            child_problems = WEXITSTATUS(status);
    }
    int problems = c.problems() + child_problems;
    if (problems) {
        std::cerr << "egresswatchd: configuration has " << problems << (problems == 1 ? " problem\n" : " problems\n");
        return kCheckFailed;
    }
    if (!options.quiet) std::cout << "configuration OK\n";
    return 0;
}

}  // namespace egresswatch::daemon
