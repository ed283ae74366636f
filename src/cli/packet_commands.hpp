// The packets of flagged flows (egresswatchd --evidence-packets): `pcap`
// writes those of the alerts selected as pcapng, which Wireshark and tshark
// open; `hold` puts a device's evidence on legal hold, which retention honours.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "filters.hpp"
#include "store.hpp"

namespace egresswatch::cli {

struct PcapSummary {
    std::size_t packets = 0, alerts = 0;
};

// Writes a pcapng file: one section; an interface description per link type;
// one enhanced packet block per stored packet, with a comment naming its
// alert (store flow id and uid), the flow, the severity and reasons, and the
// packet's direction. Alerts in the order `egresswatch alerts` lists them
// (filters as there), each alert's packets in their stored order. Throws StoreError.
PcapSummary write_alert_pcapng(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters,
                               std::ostream& out);

// The pcapng of the packets of the alerts of `device` in `filters`' window
// (the case bundle's), as bytes; empty when there are none.
std::string alert_pcapng(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters,
                         PcapSummary* summary = nullptr);

// `egresswatch hold`: with a device, puts it on legal hold in every store (or
// releases it); without, lists the holds. Writes one line per store and device.
// Throws StoreError (and NoSuchDevice when a name matches no device).
struct HoldRequest {
    std::optional<DeviceFilter> device;
    bool release = false;
};
void run_hold(const std::vector<std::string>& store_paths, const HoldRequest& request, std::ostream& out);

}  // namespace egresswatch::cli
