#include "rejudge_command.hpp"

#include "text.hpp"

#include <egresswatch/clock.hpp>
#include <egresswatch/common/sqlite.hpp>
#include <egresswatch/common/time.hpp>
#include <egresswatch/rejudge.hpp>
#include <egresswatch/rules.hpp>
#include <egresswatch/schema.hpp>

#include <memory>

namespace egresswatch::cli {

namespace {

std::string home_country(sqlite::Connection& store) {
    auto st = store.prepare("SELECT value FROM meta WHERE key = 'home_country'");
    if (!st.step())
        throw StoreError(store.context() + "no home_country in meta: not a store written by egresswatchd");
    return st.text(0);
}

}  // namespace

void rejudge_store(const RejudgeScope& scope, std::ostream& out) {
    sqlite::Connection store(scope.store_path, sqlite::Connection::Mode::read_write);
    sqlite::check_schema_version(store.user_version(), schema::kVersion, scope.store_path, sqlite::SchemaUse::read);
    auto rules = std::make_shared<const Rules>(Rules::load(scope.rules_dir, home_country(store)));

    RejudgeRequest request;
    request.device_ip = scope.device_ip;
    request.since_us = scope.since_us;
    request.until_us = scope.until_us;
    request.cause = "re-judged:rules " + rules->directory() + " (" + std::to_string(rules->entry_count()) + " entries)";
    request.raised_us = now_us();
    request.rules = rules;

    // IMMEDIATE: the daemon may be writing; the late-alert chain must grow
    // from the head this transaction read.
    store.exec("BEGIN IMMEDIATE");
    std::vector<FlowRecord> raised;
    try {
        raised = rejudge_stored_flows(store.handle(), *rules, request);
        store.exec("COMMIT");
    } catch (...) {
        sqlite3_exec(store.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    out << "Judged again the closed flows without an alert that began from " << format_time(scope.since_us)
        << (scope.until_us ? " to " + format_time(*scope.until_us) : std::string(" on"))
        << (scope.device_ip ? " of " + *scope.device_ip : std::string()) << ", with " << request.cause.substr(std::string_view("re-judged:").size())
        << " and home country " << rules->home_country() << ".\n"
        << raised.size() << (raised.size() == 1 ? " late alert" : " late alerts") << " raised and sealed.\n";
    for (const FlowRecord& r : raised)
        out << format_time(r.first_us) << ' ' << r.device_ip << " -> " << r.remote_ip
            << (r.remote_port ? ":" + std::to_string(*r.remote_port) : std::string()) << ' ' << r.transport << ' '
            << r.severity << ": " << text::joined(r.reasons) << '\n';
}

}  // namespace egresswatch::cli
