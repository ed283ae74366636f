// Device identity: every internal address seen, its MAC and vendor, and what
// kind of device it is (camera, nvr, iot, other) with the evidence for that
// conclusion. Signals differ in weight: a site's inventory beats a device
// announcing itself (ONVIF, SADP), which beats serving RTSP, which beats the
// vendor cloud it talks to, which beats a DHCP hostname, which beats the MAC
// prefix (OEM kit carries other vendors' prefixes).
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <algorithm>

#include "egresswatch/net.hpp"
#include "egresswatch/oui.hpp"
#include "egresswatch/rules.hpp"

namespace egresswatch {

// How much a kind of evidence counts when signals disagree.
namespace signal_strength {
inline constexpr int inventory = 100;
inline constexpr int self_announced = 60;  // ONVIF ProbeMatch, SADP, Dahua discovery
inline constexpr int serves_video = 50;    // RTSP or a vendor's native port to an internal client
inline constexpr int vendor_cloud = 40;    // resolves or connects to a camera vendor's cloud
inline constexpr int names_itself = 30;    // DHCP hostname/vendor class, mDNS, SSDP server
inline constexpr int pulls_video = 25;     // an RTSP client of LAN cameras: a recorder (or a viewer)
inline constexpr int mac_vendor = 20;      // IEEE registry prefix
inline constexpr int note = 0;             // identity evidence that implies no kind
}  // namespace signal_strength

struct InventoryEntry {
    std::string label, site;
    std::optional<DeviceKind> kind;
};

// The site's own list of devices: CSV with a header row
// `address,label,site,kind` (address is an IP or a MAC; kind may be empty).
class Inventory {
public:
    static Inventory load(const std::string& path);  // throws RulesError with file:line
    const InventoryEntry* find(const IpAddress& ip, const MacAddress* mac) const;
    size_t size() const { return by_ip_.size() + by_mac_.size(); }

private:
    std::unordered_map<IpAddress, InventoryEntry, IpAddressHash> by_ip_;
    std::unordered_map<std::string, InventoryEntry> by_mac_;  // lower-case colon form
};

// A MAC that names a box made by someone: not all-zero (cooked and raw
// captures), not a group address, not locally administered (randomised by
// phones, set by hypervisors). Only such a MAC is looked up in the registry.
bool is_vendor_mac(const MacAddress& mac);
// The MAC is an address at all: not all-zero and not a group address.
bool is_unicast_mac(const MacAddress& mac);

struct DeviceState {
    // At most this many items of evidence per signal kind (the text before
    // the first ':'): a device that sends new names in every packet cannot
    // grow its row, nor make each new item cost more than a short scan.
    static constexpr size_t kMaxEvidencePerSignal = 8;
    // Clients counted for the resolver role (beyond this the count stops).
    static constexpr size_t kMaxDnsClients = 1024;

    MacAddress mac{};
    bool has_mac = false;
    int64_t first_us = 0, last_us = 0;
    DeviceKind kind = DeviceKind::other;
    int kind_strength = -1;
    std::string kind_evidence;                  // the item that decided the kind
    // The kinds its stored flows were judged with, so that a new kind has
    // only those it can change judged again: judged_kind for the flows of
    // earlier runs (as far as this run knows); for the final records this
    // run judged since the last re-judging, the latest first_seen judged
    // with each kind (none: never).
    DeviceKind judged_kind = DeviceKind::other;
    std::array<std::optional<int64_t>, kDeviceKindCount> judged_first_us{};
    std::string vendor, vendor_country, hostname, label, site;
    // What the device was identified by, in the order seen, and what each item
    // says (kind, strength), so that a conclusion can be withdrawn.
    std::vector<std::string> identified_by;
    struct Weight {
        std::optional<DeviceKind> kind;
        int strength;
    };
    std::vector<Weight> weights;  // one per identified_by item
    // The items of identified_by, and how many there are of each signal kind:
    // a new item is checked in O(1), however many packets bring new names.
    std::unordered_set<std::string> evidence_set;
    std::unordered_map<std::string, size_t> per_signal;
    // It answers DNS queries of other internal devices (a router, a site
    // resolver): the names it resolves are its clients', not its own.
    std::vector<IpAddress> dns_clients;
    bool inventory_checked = false;
    bool dirty = true;

    // A final record of one of its flows, which began at `first_us`, was judged with `kind`.
    void note_judged(DeviceKind kind, int64_t first_us) {
        auto& latest = judged_first_us[static_cast<std::size_t>(kind)];
        if (!latest || first_us > *latest) latest = first_us;
    }

    // Records evidence (once); a stronger signal with a kind decides the kind.
    void add_evidence(const std::string& evidence, std::optional<DeviceKind> kind, int strength);
    // Removes every item whose text starts with `prefix`; the kind is then
    // decided again by what remains.
    void withdraw_evidence(std::string_view prefix);
    bool is_resolver() const { return !dns_clients.empty(); }
    // Notes that it answered `client`'s query; on the first client it becomes
    // a resolver and what it was identified by through DNS names is withdrawn.
    void answered_dns_client(const IpAddress& client);
    // A vendor learned from behaviour, used when the MAC registry names none
    // (white-label kit ships chip makers' or random MACs). `from_dns_name`:
    // learned from a name it resolved, withdrawn if it turns out a resolver.
    void infer_vendor(const std::string& name, bool from_dns_name = false);
    bool vendor_from_dns_name = false;
    // Its place in the registry's least-recently-seen order.
    std::list<IpAddress>::iterator recency;

private:
    void push_evidence(const std::string& evidence, std::optional<DeviceKind> kind, int strength);
};

struct MacAddressHash {
    size_t operator()(const MacAddress& mac) const noexcept {
        uint64_t v = 0;
        for (uint8_t b : mac) v = v << 8 | b;
        return std::hash<uint64_t>{}(v);
    }
};

// The devices in memory, at most `max_devices`: a new device beyond that
// evicts the least recently seen one (observe() order), which waits in
// take_evicted() to be written to the store. The pointer observe() returns
// stays valid until the next observe() of a *new* device evicts it, which a
// device just observed never is (it is the most recently seen).
//
// Every address is a device record; a box is what a device really is. The
// addresses seen with one MAC on the local network (an NVR's IPv4 and IPv6,
// a camera's old and new DHCP lease) are one box with one identity, decided by
// the strongest evidence any of them gave. Not so for a router's MAC (it
// fronts others' addresses): one that carries traffic to or from the Internet
// or answers DHCP (note_router), or that fronts more than kMaxBoxIpv4 IPv4 (or
// kMaxBoxAddresses) addresses (a routed subnet). Once a router, always one:
// each of its addresses stays a device of its own, as does an address whose
// MAC is never seen (raw IP captures).
class DeviceRegistry {
public:
    static constexpr size_t kDefaultMaxDevices = 65536;
    static constexpr size_t kMaxBoxIpv4 = 4;
    static constexpr size_t kMaxBoxAddresses = 16;

    DeviceRegistry(const OuiRegistry& oui, const Inventory* inventory, size_t max_devices = kDefaultMaxDevices)
        : oui_(oui), inventory_(inventory), max_devices_(std::max<size_t>(max_devices, 2)) {}

    // Notes the device's activity (and MAC); identifies its vendor on first sight of a MAC.
    DeviceState& observe(const IpAddress& ip, const MacAddress* mac, int64_t first_us, int64_t last_us,
                         const Rules& rules);
    DeviceState* find(const IpAddress& ip);
    const std::unordered_map<IpAddress, DeviceState, IpAddressHash>& all() const { return devices_; }
    std::unordered_map<IpAddress, DeviceState, IpAddressHash>& all() { return devices_; }

    // Devices evicted since the last call, oldest first.
    std::vector<std::pair<IpAddress, DeviceState>> take_evicted();
    size_t evicted_waiting() const { return evicted_waiting_.size(); }
    uint64_t evicted() const { return evicted_; }
    size_t max_devices() const { return max_devices_; }
    // The MAC of the box the address belongs to, if it is in one.
    std::optional<MacAddress> box_of(const IpAddress& ip) const;
    // The addresses of the box (just `ip` when it is in none).
    std::vector<IpAddress> box_members(const IpAddress& ip) const;
    // The record whose identity the box has: the member with the strongest
    // kind evidence (on a tie, the greater kind, as within one device; then
    // the first seen); `ip`'s own outside a box.
    const DeviceState* identity_of(const IpAddress& ip) const;
    // The box's identity as one state: kind from identity_of, the evidence of
    // every member (deduplicated, in order of the members' first sight). The
    // vendor, host name and label (with site) are `ip`'s own where it has
    // them, else the first member's that has them. Activity times and MAC
    // stay `ip`'s own.
    DeviceState box_state(const IpAddress& ip) const;
    // Marks every member of a box with a changed member dirty, so that each
    // address's record is written with the box's identity.
    void spread_changes();
    // `mac` is a router's, never a box: it carried a packet to or from an
    // address outside the local networks (the gateway), or it answered DHCP
    // (the LAN's DHCP server or relay: a home router, even where no traffic to
    // the Internet is seen).
    void note_router(const MacAddress& mac);

private:
    bool is_box(const MacAddress& mac) const;
    void join_box(const IpAddress& ip, const MacAddress& mac, const MacAddress* old_mac);

    const OuiRegistry& oui_;
    const Inventory* inventory_;
    size_t max_devices_;
    std::unordered_map<IpAddress, DeviceState, IpAddressHash> devices_;
    std::list<IpAddress> recency_;  // least recently seen first
    std::vector<std::pair<IpAddress, DeviceState>> evicted_waiting_;
    uint64_t evicted_ = 0;
    struct Box {
        std::vector<IpAddress> members;  // in order of first sight; at most kMaxBoxAddresses + 1
        size_t ipv4 = 0;                 // of the members
        bool router = false;             // sticky: a gateway, or once too many addresses
    };
    // Makes the MAC a router's; its members become devices of their own.
    void make_router(Box& box);
    std::unordered_map<MacAddress, Box, MacAddressHash> boxes_;
    // An evicted address leaves its box; a box left empty is forgotten.
    void leave_box(const IpAddress& ip, const DeviceState& device);
};

}  // namespace egresswatch
