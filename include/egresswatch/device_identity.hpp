// Device identity: the registry of local devices and what tells who they are:
// DHCP and discovery announcements (mDNS, SSDP, WS-Discovery, SADP, Dahua),
// the DNS role and vendor-cloud lookups, and their flows (a video service
// port answered, a vendor's cloud by name). It writes the device records
// (and the re-judging of flows that a new identity asks for).
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "egresswatch/decode.hpp"
#include "egresswatch/device_kind.hpp"
#include "egresswatch/devices.hpp"
#include "egresswatch/discovery.hpp"
#include "egresswatch/dns_cache.hpp"
#include "egresswatch/flow_workers.hpp"
#include "egresswatch/net.hpp"
#include "egresswatch/oui.hpp"
#include "egresswatch/rules.hpp"
#include "egresswatch/store.hpp"

namespace egresswatch {

// Says once, on standard error, that a bound turned something away (each is
// counted in capture_stats).
void report_bound(bool& reported, const std::string& message);

// The announcements a device makes of itself, by protocol.
enum class Announcement { mdns, ssdp, ws_discovery, sadp, dahua };

// A flow's two ends as devices (null: not a device on a local network).
struct FlowEnds {
    DeviceState* device = nullptr;
    DeviceState* remote = nullptr;
};

class DeviceIdentity {
public:
    // Where device records go as they are written (with the re-judging of
    // flows they ask for, after them): the store, and the record sink.
    using RecordsOut = std::function<void(std::vector<StoreRecord> records)>;

    DeviceIdentity(OuiRegistry oui, std::unique_ptr<Inventory> inventory, std::shared_ptr<const Rules> rules,
                   std::vector<Cidr> local_networks, size_t max_devices, RecordsOut out);
    DeviceIdentity(const DeviceIdentity&) = delete;  // the registry refers to oui_
    DeviceIdentity& operator=(const DeviceIdentity&) = delete;

    // Rules after a reload (vendor clouds, MAC vendors, and re-judging).
    void use_rules(std::shared_ptr<const Rules> rules) { rules_ = std::move(rules); }
    // On a configured local network. Reads the configuration only: thread-safe.
    bool is_local(const IpAddress& address) const;
    // The time of the latest packet seen (re-judged flows are judged as of it).
    void note_time(int64_t ts_us) { last_packet_us_ = std::max(last_packet_us_, ts_us); }

    // Notes a local device's activity; null for an address that is no device
    // (not local, group or unspecified).
    DeviceState* observe(const IpAddress& ip, const MacAddress* mac, int64_t first_us, int64_t last_us);
    // A DHCP message (UDP 67/68).
    void learn_from_dhcp(const DecodedPacket& packet, int64_t ts_us);
    // An announcement of the given protocol: the sender's hint.
    void learn_from_announcement(Announcement protocol, const DecodedPacket& packet, int64_t ts_us);
    // A DNS response: a local device that answers another's query resolves
    // for the LAN (a router, a site resolver).
    void note_dns_answer(const DecodedPacket& packet, int64_t ts_us);
    // `client` resolved `name`: a vendor cloud's name tells its kind and vendor.
    void note_dns_lookup(const IpAddress& client, const MacAddress* mac, const ResolvedName& name, int64_t ts_us);
    // A flow's ends as devices, and what the flow tells of them.
    FlowEnds observe_flow(const FlowOutput& output);

    // The identity of the address's box (see DeviceRegistry::identity_of).
    const DeviceState* identity_of(const IpAddress& ip) const { return registry_.identity_of(ip); }
    // Writes every device that changed, and those evicted (at each flush and at the end).
    void write_changed();

    const std::unordered_map<IpAddress, DeviceState, IpAddressHash>& devices() const { return registry_.all(); }
    uint64_t devices_evicted() const { return registry_.evicted(); }
    uint64_t dhcp_hints_evicted() const { return dhcp_hints_evicted_; }

private:
    // A hint with the kind of each evidence worked out once (classify_evidence).
    struct ClassifiedHint {
        DeviceHint hint;
        std::vector<std::optional<DeviceKind>> kinds;  // classify_evidence of each evidence, in order
        bool from_dhcp = false;                        // a "dhcp-hostname:" among them
    };
    ClassifiedHint classified(DeviceHint hint);
    // The hint of an announcement, parsed and classified once per distinct
    // payload: devices repeat theirs byte for byte all day. Null when `parse` finds none.
    template <class Parse>
    const ClassifiedHint* announced_hint(Announcement protocol, const uint8_t* data, size_t length, Parse parse);
    void apply_hint(const IpAddress& ip, const MacAddress* mac, const ClassifiedHint& hint, int strength,
                    int64_t ts_us);
    void remember_dhcp_hint(const MacAddress& mac, const DeviceHint& hint, int strength);
    void identify_from_flow(const FlowOutput& output, DeviceState* device, DeviceState* remote_device);
    void write_evicted();
    void device_record(const IpAddress& ip, DeviceState& device, const DeviceState& box,
                       std::optional<MacAddress> box_mac, std::vector<StoreRecord>& records,
                       std::vector<RejudgeRequest>& rejudge);

    OuiRegistry oui_;
    std::unique_ptr<Inventory> inventory_;
    std::shared_ptr<const Rules> rules_;  // shared with re-judging in the store's writer
    std::vector<Cidr> local_networks_;
    size_t max_devices_;
    RecordsOut out_;
    DeviceRegistry registry_;
    int64_t last_packet_us_ = 0;
    // Hints from DHCP messages sent before the client had an address, by MAC,
    // until the MAC shows up with an IP. At most max_devices of them, least
    // recently heard evicted.
    struct PendingHint {
        DeviceHint hint;
        int strength;
        std::list<std::string>::iterator recency;
    };
    std::unordered_map<std::string, PendingHint> hints_by_mac_;
    std::list<std::string> hint_recency_;
    uint64_t dhcp_hints_evicted_ = 0;
    // announced_hint's memory, by a hash of the payload (the payload itself
    // is kept to tell a collision from a repeat); cleared when full.
    struct KnownAnnouncement {
        Announcement protocol = Announcement::mdns;
        std::string payload;
        std::optional<ClassifiedHint> hint;
    };
    std::unordered_map<uint64_t, KnownAnnouncement> announcements_;
    bool reported_devices_ = false, reported_hints_ = false;
};

}  // namespace egresswatch
