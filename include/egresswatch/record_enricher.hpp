// Record enrichment: a flow as the flow workers hand it over (FlowOutput)
// becomes the FlowRecord the store keeps, with the remote address's country
// and network, the name its device resolved it to (passive DNS), the rules'
// verdict (severity and reasons) and the flow's Community ID.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "egresswatch/devices.hpp"
#include "egresswatch/dns_cache.hpp"
#include "egresswatch/flow_workers.hpp"
#include "egresswatch/geo.hpp"
#include "egresswatch/record_sink.hpp"
#include "egresswatch/rules.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch {

// What the other stages know of a flow when its record is made.
struct FlowContext {
    const DeviceState* device = nullptr;     // the device end (null: no local device)
    const DeviceState* identity = nullptr;   // its box's identity (DeviceIdentity::identity_of)
    const ResolvedName* resolved = nullptr;  // what the device resolved the remote address from
};

// The kind a flow is judged with: its box's identity, else other.
inline DeviceKind judging_kind(const FlowContext& context) {
    return context.identity ? context.identity->kind : DeviceKind::other;
}

// The device a record sink is told of: the box's kind, and the address's own
// vendor where it has one, else the box's.
FlowDevice flow_device(const FlowContext& context);

// "tcp", "udp", "icmpv6", ... "ip-N" for the rest.
std::string transport_name(uint8_t ip_protocol, uint8_t ip_version);

class RecordEnricher {
public:
    // `run_id` starts every record's uid ("<run_id>-<sequence>").
    RecordEnricher(std::shared_ptr<const Rules> rules, std::unique_ptr<GeoLocator> geo, std::string home_country,
                   std::string run_id);

    FlowRecord enrich(const FlowOutput& output, const FlowContext& context);

    // Rules and geolocation after a reload.
    void use(std::shared_ptr<const Rules> rules, std::unique_ptr<GeoLocator> geo);
    const GeoLocator& geo() const { return *geo_; }
    const std::string& run_id() const { return run_id_; }

private:
    std::shared_ptr<const Rules> rules_;
    std::unique_ptr<GeoLocator> geo_;
    std::string home_country_;
    std::string run_id_;
};

}  // namespace egresswatch
