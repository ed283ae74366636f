// --webhook URL: alerts as JSON POSTs (libcurl: HTTP and HTTPS, the system's
// CA certificates, the usual https_proxy variables), from a thread of its own
// with a bounded queue, so that capture never waits for a receiver.
//
// At most one POST a second per URL (Slack's limit for incoming webhooks):
// an alert that finds the line idle goes at once, alone; alerts that come
// while a POST is under way, or within its second, go together in the next.
//
//   one alert:  {"text":"egresswatch on HOST: high alert: camera ... -&gt; ...",
//                "sensor":"HOST","alert":{...the JSON log's alert record...}}
//   several:    {"text":"egresswatch on HOST: 37 alerts (2 high, 35 medium)\n
//                - high alert: ...\n...","sensor":"HOST","alerts":[{...},...]}
//
// "text" is what Slack and Teams incoming webhooks show (& < > as entities,
// so that a domain from the wire cannot become a link); other receivers
// read "alert" or "alerts". A POST that fails (no connection, a timeout,
// HTTP 408, 429 or 5xx) is tried again after 1, 2, 4, ... seconds, `retries`
// times; then its alerts are counted as failed and logged. Other HTTP errors
// (a wrong URL or token) are not retried.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "alert_out.hpp"
#include "alert_sink.hpp"

namespace egresswatch::daemon {

struct WebhookConfig {
    std::string url;
    std::string min_severity = "low";  // low | medium | high
    int retries = 3;
    size_t queue_capacity = 10000;
    size_t max_batch = 1000;  // alerts in one POST
};

// Throws std::invalid_argument unless `url` is http:// or https://.
void check_webhook_url(const std::string& url);

class WebhookSink : public AlertSink {
public:
    explicit WebhookSink(WebhookConfig config);
    ~WebhookSink() override;
    WebhookSink(const WebhookSink&) = delete;
    WebhookSink& operator=(const WebhookSink&) = delete;

    void alert(const FlowRecord& flow, const FlowDevice& device) override;

    // Stops taking alerts; delivers what is queued for at most
    // `drain_seconds` (retries included); the rest is counted as failed.
    void finish(double drain_seconds = 15);
    const DeliveryStats& stats() const { return stats_; }
    // scheme://host[:port]/... (the path holds the secret).
    const std::string& shown_url() const { return shown_url_; }

private:
    struct Item {
        std::string json;     // the alert record
        std::string summary;  // alert_summary()
        std::string severity;
    };
    void run();
    std::string body(const std::vector<Item>& items) const;

    WebhookConfig config_;
    std::string shown_url_;
    std::string sensor_;
    DeliveryQueue<Item> queue_;
    DeliveryStats stats_;
    std::atomic<int64_t> drain_deadline_ns_{0};
    std::thread thread_;
    bool finished_ = false;
};

}  // namespace egresswatch::daemon
