#include "egresswatch/devices.hpp"

#include "egresswatch/csv.hpp"

#include <algorithm>
#include <fstream>

namespace egresswatch {
namespace {

uint32_t oui_of(const MacAddress& mac) { return uint32_t{mac[0]} << 16 | uint32_t{mac[1]} << 8 | mac[2]; }

std::string_view signal_of(std::string_view evidence) { return evidence.substr(0, evidence.find(':')); }

// Evidence a device's DNS lookups give: not its own when it resolves for others.
constexpr std::string_view kDnsEvidence = "dns:";

}  // namespace

bool is_unicast_mac(const MacAddress& mac) {
    bool all_zero = std::all_of(mac.begin(), mac.end(), [](uint8_t b) { return b == 0; });
    return !all_zero && (mac[0] & 0x01) == 0;  // I/G bit: group (multicast, broadcast)
}

bool is_vendor_mac(const MacAddress& mac) {
    return is_unicast_mac(mac) && (mac[0] & 0x02) == 0;  // U/L bit: locally administered
}

Inventory Inventory::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw RulesError(path + ": cannot read inventory file");
    Inventory inventory;
    std::string line;
    int number = 0;
    auto fail = [&](const std::string& message) {
        throw RulesError(path + ":" + std::to_string(number) + ": " + message);
    };
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line[0] == '#') continue;
        auto f = split_csv_record(line);
        for (auto& field : f) field = trim_blanks(field);
        if (number == 1 || (f[0] == "address" || f[0] == "ip" || f[0] == "mac")) continue;  // header
        if (f.size() < 2 || f.size() > 4) fail("expected \"address,label,site,kind\"");
        InventoryEntry entry;
        entry.label = f[1];
        if (f.size() > 2) entry.site = f[2];
        if (f.size() > 3 && !f[3].empty()) {
            entry.kind = parse_device_kind(f[3]);
            if (!entry.kind) fail("unknown kind \"" + f[3] + "\" (use camera, nvr, iot or other)");
        }
        if (auto ip = IpAddress::parse(f[0])) inventory.by_ip_[*ip] = entry;
        else if (auto mac = parse_mac(f[0])) inventory.by_mac_[mac_to_string(*mac)] = entry;
        else fail("\"" + f[0] + "\" is neither an IP address nor a MAC address");
    }
    return inventory;
}

const InventoryEntry* Inventory::find(const IpAddress& ip, const MacAddress* mac) const {
    // The MAC names the box; the IP may be reassigned by DHCP.
    if (mac) {
        auto it = by_mac_.find(mac_to_string(*mac));
        if (it != by_mac_.end()) return &it->second;
    }
    auto it = by_ip_.find(ip);
    return it == by_ip_.end() ? nullptr : &it->second;
}

void DeviceState::push_evidence(const std::string& evidence, std::optional<DeviceKind> evidence_kind, int strength) {
    identified_by.push_back(evidence);
    weights.push_back({evidence_kind, strength});
    evidence_set.insert(evidence);
    ++per_signal[std::string(signal_of(evidence))];
    dirty = true;
}

void DeviceState::add_evidence(const std::string& evidence, std::optional<DeviceKind> evidence_kind, int strength) {
    if (is_resolver() && evidence.rfind(kDnsEvidence, 0) == 0) return;
    // O(1): a hash lookup for the item, one for its signal kind's count.
    if (!evidence_set.count(evidence)) {
        auto same_signal = per_signal.find(std::string(signal_of(evidence)));
        if (same_signal != per_signal.end() && same_signal->second >= kMaxEvidencePerSignal) return;  // enough of this kind
        push_evidence(evidence, evidence_kind, strength);
    }
    // Equal strength: the more specific kind wins (nvr > camera > iot), so a
    // generic "udhcp" never hides a host name that says camera.
    bool stronger = strength > kind_strength || (strength == kind_strength && evidence_kind && *evidence_kind > kind);
    if (evidence_kind && stronger) {
        if (kind != *evidence_kind) dirty = true;
        kind = *evidence_kind;
        kind_strength = strength;
        kind_evidence = evidence;
    }
}

void DeviceState::withdraw_evidence(std::string_view prefix) {
    bool removed = false;
    for (size_t i = identified_by.size(); i-- > 0;)
        if (identified_by[i].rfind(prefix, 0) == 0) {
            evidence_set.erase(identified_by[i]);
            auto count = per_signal.find(std::string(signal_of(identified_by[i])));
            if (count != per_signal.end() && --count->second == 0) per_signal.erase(count);
            identified_by.erase(identified_by.begin() + static_cast<std::ptrdiff_t>(i));
            weights.erase(weights.begin() + static_cast<std::ptrdiff_t>(i));
            removed = true;
        }
    if (!removed) return;
    dirty = true;
    kind = DeviceKind::other;
    kind_strength = -1;
    kind_evidence.clear();
    for (size_t i = 0; i < weights.size(); ++i) {
        const Weight& w = weights[i];
        bool stronger = w.strength > kind_strength || (w.strength == kind_strength && w.kind && *w.kind > kind);
        if (w.kind && stronger) kind = *w.kind, kind_strength = w.strength, kind_evidence = identified_by[i];
    }
}

void DeviceState::answered_dns_client(const IpAddress& client) {
    if (dns_clients.size() >= kMaxDnsClients ||
        std::find(dns_clients.begin(), dns_clients.end(), client) != dns_clients.end())
        return;
    bool first = dns_clients.empty();
    dns_clients.push_back(client);
    // One item that says how many, rewritten as the count grows.
    withdraw_evidence("dns-server:");
    if (first) {
        withdraw_evidence(kDnsEvidence);
        if (vendor_from_dns_name) vendor.clear(), vendor_from_dns_name = false;
    }
    std::string role = "dns-server:" + std::to_string(dns_clients.size()) +
                       (dns_clients.size() == 1 ? " client" : " clients");
    push_evidence(role, std::nullopt, signal_strength::note);
}

void DeviceState::infer_vendor(const std::string& name, bool from_dns_name) {
    if (!vendor.empty() || name.empty() || (from_dns_name && is_resolver())) return;
    vendor = name;
    vendor_from_dns_name = from_dns_name;
    dirty = true;
}

std::vector<std::pair<IpAddress, DeviceState>> DeviceRegistry::take_evicted() {
    std::vector<std::pair<IpAddress, DeviceState>> taken;
    taken.swap(evicted_waiting_);
    return taken;
}

DeviceState* DeviceRegistry::find(const IpAddress& ip) {
    auto it = devices_.find(ip);
    return it == devices_.end() ? nullptr : &it->second;
}

DeviceState& DeviceRegistry::observe(const IpAddress& ip, const MacAddress* mac, int64_t first_us,
                                     int64_t last_us, const Rules& rules) {
    auto [it, inserted] = devices_.try_emplace(ip);
    DeviceState& device = it->second;
    if (inserted) {
        device.first_us = first_us;
        device.last_us = last_us;
        device.recency = recency_.insert(recency_.end(), ip);
        if (devices_.size() > max_devices_) {
            // The least recently seen goes (never this one: it is at the back).
            auto oldest = devices_.find(recency_.front());
            recency_.pop_front();
            leave_box(oldest->first, oldest->second);
            evicted_waiting_.emplace_back(oldest->first, std::move(oldest->second));
            devices_.erase(oldest);
            ++evicted_;
        }
    } else {
        recency_.splice(recency_.end(), recency_, device.recency);
    }
    if (first_us < device.first_us) device.first_us = first_us, device.dirty = true;
    if (last_us > device.last_us) device.last_us = last_us, device.dirty = true;
    if (mac && !is_unicast_mac(*mac)) mac = nullptr;  // all-zero (cooked capture) or a group address
    bool new_mac = mac && (!device.has_mac || device.mac != *mac);
    if (new_mac) {
        join_box(ip, *mac, device.has_mac ? &device.mac : nullptr);
        device.mac = *mac;
        device.has_mac = true;
        device.dirty = true;
        if (!is_vendor_mac(*mac)) {
            // Randomised or set by software: it names no maker.
            device.add_evidence("mac:locally-administered", std::nullopt, signal_strength::note);
        } else if (auto vendor = oui_.lookup(*mac)) {
            device.vendor = vendor->organisation;
            device.vendor_country = vendor->country;
            std::string evidence = "oui:" + vendor->organisation +
                                   (vendor->country.empty() ? "" : " (" + vendor->country + ")");
            const MacVendorRule* rule = rules.match_mac_vendor(oui_of(*mac), vendor->organisation);
            device.add_evidence(evidence, rule ? std::optional(rule->kind) : std::nullopt,
                                rule ? signal_strength::mac_vendor : signal_strength::note);
        }
    }
    if (inventory_ && (new_mac || !device.inventory_checked)) {
        device.inventory_checked = true;
        if (const InventoryEntry* entry = inventory_->find(ip, device.has_mac ? &device.mac : nullptr)) {
            device.label = entry->label;
            device.site = entry->site;
            device.add_evidence("inventory:" + entry->label, entry->kind, signal_strength::inventory);
        }
    }
    return device;
}

namespace {

void mark_dirty(std::unordered_map<IpAddress, DeviceState, IpAddressHash>& devices, const std::vector<IpAddress>& ips) {
    for (const IpAddress& ip : ips)
        if (auto it = devices.find(ip); it != devices.end()) it->second.dirty = true;
}

}  // namespace

void DeviceRegistry::join_box(const IpAddress& ip, const MacAddress& mac, const MacAddress* old_mac) {
    if (old_mac) {
        // The address moved to another MAC (a DHCP lease given to another box).
        if (auto it = boxes_.find(*old_mac); it != boxes_.end() && !it->second.router) {
            auto& members = it->second.members;
            if (auto member = std::find(members.begin(), members.end(), ip); member != members.end()) {
                members.erase(member);
                if (ip.is_v4) --it->second.ipv4;
                mark_dirty(devices_, members);  // the box's identity may have left with it
            }
        }
    }
    Box& box = boxes_[mac];
    if (box.router) return;
    box.members.push_back(ip);
    if (ip.is_v4) ++box.ipv4;
    mark_dirty(devices_, box.members);  // a new member can change the box's identity
    if (box.ipv4 > kMaxBoxIpv4 || box.members.size() > kMaxBoxAddresses) make_router(box);
}

void DeviceRegistry::leave_box(const IpAddress& ip, const DeviceState& device) {
    if (!device.has_mac) return;
    auto it = boxes_.find(device.mac);
    if (it == boxes_.end() || it->second.router) return;
    auto& members = it->second.members;
    if (auto member = std::find(members.begin(), members.end(), ip); member != members.end()) {
        members.erase(member);
        if (ip.is_v4) --it->second.ipv4;
    }
    if (members.empty()) boxes_.erase(it);
    else mark_dirty(devices_, members);  // the box's identity may have left with it
}

void DeviceRegistry::make_router(Box& box) {
    // Addresses that were one box are devices of their own again.
    mark_dirty(devices_, box.members);
    box.router = true;
    box.members = {};
    box.ipv4 = 0;
}

void DeviceRegistry::note_router(const MacAddress& mac) {
    if (!is_unicast_mac(mac)) return;
    Box& box = boxes_[mac];
    if (!box.router) make_router(box);
}

bool DeviceRegistry::is_box(const MacAddress& mac) const {
    auto it = boxes_.find(mac);
    return it != boxes_.end() && !it->second.router;
}

std::optional<MacAddress> DeviceRegistry::box_of(const IpAddress& ip) const {
    auto it = devices_.find(ip);
    if (it == devices_.end() || !it->second.has_mac || !is_box(it->second.mac)) return std::nullopt;
    return it->second.mac;
}

std::vector<IpAddress> DeviceRegistry::box_members(const IpAddress& ip) const {
    if (auto mac = box_of(ip)) return boxes_.at(*mac).members;
    return {ip};
}

const DeviceState* DeviceRegistry::identity_of(const IpAddress& ip) const {
    auto own = devices_.find(ip);
    if (own == devices_.end()) return nullptr;
    auto mac = box_of(ip);
    if (!mac) return &own->second;
    const DeviceState* best = nullptr;
    for (const IpAddress& member : boxes_.at(*mac).members) {
        auto it = devices_.find(member);
        if (it == devices_.end()) continue;
        const DeviceState& d = it->second;
        bool stronger = !best || d.kind_strength > best->kind_strength ||
                        (d.kind_strength == best->kind_strength && d.kind > best->kind);
        if (stronger) best = &d;
    }
    return best ? best : &own->second;
}

DeviceState DeviceRegistry::box_state(const IpAddress& ip) const {
    const DeviceState& own = devices_.at(ip);
    auto mac = box_of(ip);
    if (!mac) return own;
    const DeviceState* identity = identity_of(ip);
    DeviceState box = own;
    box.kind = identity->kind;
    box.kind_strength = identity->kind_strength;
    box.kind_evidence = identity->kind_evidence;
    box.identified_by.clear();
    box.weights.clear();
    for (const IpAddress& member : boxes_.at(*mac).members) {
        auto it = devices_.find(member);
        if (it == devices_.end()) continue;
        const DeviceState& d = it->second;
        for (size_t i = 0; i < d.identified_by.size(); ++i)
            if (std::find(box.identified_by.begin(), box.identified_by.end(), d.identified_by[i]) ==
                box.identified_by.end()) {
                box.identified_by.push_back(d.identified_by[i]);
                box.weights.push_back(d.weights[i]);
            }
        // The address's own names stay (its own DHCP name is the one operators
        // know); a member fills in what it lacks, in pairs that belong together.
        if (box.vendor.empty() && !d.vendor.empty()) box.vendor = d.vendor, box.vendor_country = d.vendor_country;
        if (box.hostname.empty()) box.hostname = d.hostname;
        if (box.label.empty() && !d.label.empty()) box.label = d.label, box.site = d.site;
    }
    return box;
}

void DeviceRegistry::spread_changes() {
    std::vector<MacAddress> changed;
    for (const auto& [ip, device] : devices_)
        if (device.dirty && device.has_mac && is_box(device.mac)) changed.push_back(device.mac);
    for (const MacAddress& mac : changed) mark_dirty(devices_, boxes_.at(mac).members);
}

}  // namespace egresswatch
