#include "alert_out_webhook.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <iostream>
#include <stdexcept>

#include "egresswatch/common/json.hpp"
#include "json_log.hpp"

namespace egresswatch::daemon {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPostInterval = std::chrono::seconds(1);
constexpr size_t kLinesInBatchText = 20;

// libcurl is opened with the first webhook, not linked: linked, it and the
// thirty libraries it needs (TLS, LDAP, Kerberos, SSH, ...) were mapped,
// relocated and initialised at every start, 11 ms of 65, and sat in the
// address space of a process that parses hostile packets, webhook or not.
// The soname of Debian's libcurl4 (the headers are libcurl4-openssl-dev's).
constexpr const char* kCurlLibrary = "libcurl.so.4";

// libcurl's functions, from the library load_curl() opened.
struct CurlApi {
    decltype(&::curl_global_init) global_init;
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_perform) easy_perform;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
};

CurlApi load_curl() {
    void* library = dlopen(kCurlLibrary, RTLD_NOW | RTLD_LOCAL);  // never closed: its threads may outlive a sink
    if (!library)
        throw std::runtime_error(std::string("webhooks need libcurl (Debian: apt install libcurl4): ") + dlerror());
    auto symbol = [&](auto& function, const char* name) {
        function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(library, name));
        if (!function) throw std::runtime_error(std::string("webhooks: ") + kCurlLibrary + " has no " + name);
    };
    CurlApi api{};
    symbol(api.global_init, "curl_global_init");
    symbol(api.easy_init, "curl_easy_init");
    symbol(api.easy_setopt, "curl_easy_setopt");
    symbol(api.easy_perform, "curl_easy_perform");
    symbol(api.easy_getinfo, "curl_easy_getinfo");
    symbol(api.easy_strerror, "curl_easy_strerror");
    symbol(api.easy_cleanup, "curl_easy_cleanup");
    symbol(api.slist_append, "curl_slist_append");
    symbol(api.slist_free_all, "curl_slist_free_all");
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("webhooks: libcurl could not start");
    return api;
}

// Loaded by the first WebhookSink, on the main thread before any sender's;
// a failure throws, and the next sink tries again.
const CurlApi& libcurl() {
    static const CurlApi api = load_curl();
    return api;
}

size_t discard(char*, size_t size, size_t count, void*) { return size * count; }

// The outcome of one POST.
struct Attempt {
    bool ok = false;
    bool retry = false;  // worth trying again
    std::string error;
};

class Poster {
public:
    explicit Poster(const std::string& url) : curl_(libcurl().easy_init()) {
        if (!curl_) return;
        headers_ = libcurl().slist_append(headers_, "Content-Type: application/json");
        headers_ = libcurl().slist_append(headers_, "Expect:");  // no 100-continue round trip
        libcurl().easy_setopt(curl_, CURLOPT_URL, url.c_str());
        libcurl().easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
        libcurl().easy_setopt(curl_, CURLOPT_USERAGENT, "egresswatchd/" EGRESSWATCH_VERSION);
        libcurl().easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
        libcurl().easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        libcurl().easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
        libcurl().easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
        libcurl().easy_setopt(curl_, CURLOPT_WRITEFUNCTION, discard);
        libcurl().easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_);
    }
    ~Poster() {
        if (curl_) libcurl().easy_cleanup(curl_);
        libcurl().slist_free_all(headers_);
    }
    Attempt post(const std::string& body) {
        if (!curl_) return {false, false, "libcurl could not start"};
        error_[0] = 0;
        libcurl().easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
        libcurl().easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        CURLcode rc = libcurl().easy_perform(curl_);
        if (rc != CURLE_OK) return {false, true, error_[0] ? error_ : libcurl().easy_strerror(rc)};
        long status = 0;
        libcurl().easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) return {true, false, {}};
        bool retry = status == 408 || status == 429 || status >= 500;
        return {false, retry, "HTTP " + std::to_string(status)};
    }

private:
    CURL* curl_;
    curl_slist* headers_ = nullptr;
    char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

void check_webhook_url(const std::string& url) {
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
        throw std::invalid_argument("want an http:// or https:// URL");
    if (url.find_first_of(" \t\r\n") != std::string::npos) throw std::invalid_argument("a URL has no blanks");
}

WebhookSink::WebhookSink(WebhookConfig config)
    : config_(std::move(config)),
      shown_url_(redact_url(config_.url)),
      sensor_(sensor_hostname()),
      queue_(config_.queue_capacity) {
    libcurl();  // loads libcurl here: a missing library stops the start, not a sender
    thread_ = std::thread([this] { run(); });
}

WebhookSink::~WebhookSink() { finish(); }

void WebhookSink::alert(const FlowRecord& flow, const FlowDevice& device) {
    if (severity_rank(flow.severity) < severity_rank(config_.min_severity)) return;
    if (!queue_.push(Item{flow_json(flow, device, "alert"), alert_summary(flow, device), flow.severity}))
        ++stats_.dropped;
}

void WebhookSink::finish(double drain_seconds) {
    if (finished_) return;
    finished_ = true;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(drain_seconds));
    drain_deadline_ns_ = deadline.time_since_epoch().count();
    queue_.close();
    thread_.join();
}

std::string WebhookSink::body(const std::vector<Item>& items) const {
    std::string text = "egresswatch on " + sensor_ + ": ";
    if (items.size() == 1) {
        text += items[0].summary;
    } else {
        size_t counts[4] = {};
        for (const auto& item : items) ++counts[severity_rank(item.severity)];
        text += std::to_string(items.size()) + " alerts (";
        bool first = true;
        for (int rank : {3, 2, 1, 0}) {
            if (!counts[rank]) continue;
            text += (first ? "" : ", ") + std::to_string(counts[rank]) + " " +
                    (rank == 3 ? "high" : rank == 2 ? "medium" : rank == 1 ? "low" : "other");
            first = false;
        }
        text += ")";
        for (size_t i = 0; i < items.size() && i < kLinesInBatchText; ++i) text += "\n- " + items[i].summary;
        if (items.size() > kLinesInBatchText)
            text += "\n- ... and " + std::to_string(items.size() - kLinesInBatchText) + " more";
    }
    // Slack and Teams read & < > in "text" as markup: a domain from the wire
    // must not make a link (<https://...|click>), so they are entities.
    std::string shown;
    for (char c : text) {
        if (c == '&') shown += "&amp;";
        else if (c == '<') shown += "&lt;";
        else if (c == '>') shown += "&gt;";
        else shown += c;
    }
    std::string out;
    json::Writer w(out, json::Writer::Style::compact);
    w.begin_object().key("text").value(shown).key("sensor").value(sensor_);
    if (items.size() == 1) {
        w.key("alert").raw(items[0].json);
    } else {
        w.key("alerts").begin_array();
        for (const auto& item : items) w.raw(item.json);
        w.end_array();
    }
    w.end_object();
    return out;
}

void WebhookSink::run() {
    Poster poster(config_.url);
    auto deadline = [&] { return Clock::time_point(Clock::duration(drain_deadline_ns_.load())); };
    auto past_deadline = [&] { return queue_.closed() && Clock::now() >= deadline(); };
    auto complain = [&](const std::string& what) {
        std::cerr << ("egresswatchd: webhook " + shown_url_ + ": " + what + "\n");
    };
    Clock::time_point last_post = Clock::now() - kPostInterval;
    uint64_t failed_in_a_row = 0;
    for (;;) {
        std::vector<Item> items = queue_.take(config_.max_batch, Clock::now() + std::chrono::hours(1));
        if (items.empty()) {
            if (queue_.closed()) break;
            continue;
        }
        // At most one POST a second: what comes within it goes in this one.
        auto not_before = last_post + kPostInterval;
        while (Clock::now() < not_before && items.size() < config_.max_batch && !queue_.closed())
            for (auto& more : queue_.take(config_.max_batch - items.size(), not_before)) items.push_back(std::move(more));
        if (past_deadline()) {
            stats_.failed += items.size();
            continue;  // the rest of the queue too, without waiting
        }
        std::string payload = body(items);
        Attempt attempt;
        auto backoff = std::chrono::seconds(1);
        int tries = 0;
        for (;; ++tries) {
            last_post = Clock::now();
            attempt = poster.post(payload);
            if (attempt.ok || !attempt.retry || tries >= config_.retries || past_deadline()) break;
            ++stats_.retries;
            auto next = Clock::now() + backoff;
            backoff *= 2;
            if (!queue_.closed()) queue_.pause_until(next);
            if (queue_.closed()) std::this_thread::sleep_until(std::min(next, deadline()));
            if (past_deadline()) break;
        }
        if (attempt.ok) {
            stats_.sent += items.size();
            ++stats_.requests;
            if (failed_in_a_row) complain("delivering again, after " + std::to_string(failed_in_a_row) + " alerts failed");
            failed_in_a_row = 0;
        } else {
            stats_.failed += items.size();
            failed_in_a_row += items.size();
            complain(std::to_string(items.size()) + (items.size() == 1 ? " alert" : " alerts") + " not delivered (" +
                     attempt.error + (tries ? ", after " + std::to_string(tries) + (tries == 1 ? " retry" : " retries") : "") + ")");
        }
    }
}

}  // namespace egresswatch::daemon
