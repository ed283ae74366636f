#include "egresswatch/dpi.hpp"

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "egresswatch/common/utf8.hpp"
#include "egresswatch/flow_table.hpp"

namespace egresswatch {
namespace {

// ndpiReader's limits: after this many packets nDPI will not learn more.
constexpr uint32_t kMaxTcpPackets = 80;
constexpr uint32_t kMaxUdpPackets = 24;
// Packets allowed after classification to pick up the name (e.g. a TLS
// ClientHello that follows a STUN or HTTP CONNECT preamble).
constexpr uint32_t kMaxExtraPackets = 8;
// The longest name kept: a DNS name has at most 253 characters, a DHCP host name 255.
constexpr size_t kMaxDomain = 255;

bool known(const ndpi_protocol& p) {
    return p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
}

}  // namespace

DpiState::DpiState() {
    flow_ = static_cast<ndpi_flow_struct*>(ndpi_flow_malloc(SIZEOF_FLOW_STRUCT));
    if (!flow_) throw std::bad_alloc();
    std::memset(flow_, 0, SIZEOF_FLOW_STRUCT);
}

DpiState::~DpiState() { ndpi_free_flow(flow_); }

Dpi::Dpi(const std::string& custom_protocols_file) {
    module_ = ndpi_init_detection_module(ndpi_no_prefs);
    if (!module_) throw std::runtime_error("nDPI initialisation failed");
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(module_, &all);
    if (!custom_protocols_file.empty() &&
        ndpi_load_protocols_file(module_, custom_protocols_file.c_str()) != 0) {
        ndpi_exit_detection_module(module_);
        throw std::runtime_error("cannot load nDPI protocols file " + custom_protocols_file +
                                 " (missing or unreadable); restore rules/ndpi_protos.txt or pass --rules DIR");
    }
    ndpi_finalize_initialization(module_);
}

Dpi::~Dpi() { ndpi_exit_detection_module(module_); }

void Dpi::process(Flow& flow, const DecodedPacket& packet, int64_t ts_us) {
    if (flow.dpi_done || !packet.ip_header) return;
    if (!flow.dpi) flow.dpi = std::make_unique<DpiState>();
    auto length = static_cast<unsigned short>(std::min<uint32_t>(packet.ip_captured, 0xffff));
    ndpi_protocol result = ndpi_detection_process_packet(module_, flow.dpi->flow(), packet.ip_header,
                                                         length, static_cast<uint64_t>(ts_us / 1000));
    ++flow.dpi_packets;
    ndpi_flow_struct* state = flow.dpi->flow();
    if (known(result)) {
        bool has_name = state->host_server_name[0] != '\0';
        bool more = ndpi_extra_dissection_possible(module_, state);
        if (has_name || !more || flow.dpi_packets > kMaxExtraPackets + 1) finish(flow, false);
        else remember(flow, result);  // known already; waiting for the name
        return;
    }
    uint32_t limit = packet.ip_protocol == 6 ? kMaxTcpPackets : kMaxUdpPackets;
    if (flow.dpi_packets >= limit) finish(flow, true);
}

void Dpi::remember(Flow& flow, const ndpi_protocol& result) {
    flow.app_master = result.master_protocol;
    flow.app_id = result.app_protocol;
    flow.app_category = static_cast<uint16_t>(result.category);
    flow.classified = true;
}

std::string Dpi::protocol_name(const FlowData& flow) const {
    ndpi_protocol p{};
    p.master_protocol = flow.app_master;
    p.app_protocol = flow.app_id;
    char name[64];
    return ndpi_protocol2name(module_, p, name, sizeof name);
}

std::string Dpi::category_name(const FlowData& flow) const {
    return ndpi_category_get_name(module_, static_cast<ndpi_protocol_category_t>(flow.app_category));
}

void Dpi::give_up(Flow& flow) {
    if (!flow.dpi_done && flow.dpi) finish(flow, true);
}

void Dpi::finish(Flow& flow, bool giving_up) {
    ndpi_flow_struct* state = flow.dpi->flow();
    ndpi_protocol result;
    if (giving_up) {
        uint8_t guessed = 0;
        result = ndpi_detection_giveup(module_, state, 1, &guessed);
    } else {
        result.master_protocol = state->detected_protocol_stack[1];
        result.app_protocol = state->detected_protocol_stack[0];
        result.category = state->category;
    }
    if (known(result)) {
        remember(flow, result);
        ++classified_;
    }
    if (state->host_server_name[0] != '\0' && flow.domain.empty()) {
        // Whatever the packet said (a DHCP host name is any bytes): no control
        // characters or invalid UTF-8 reach the store, its readers or the JSON log.
        flow.domain = utf8::clean_name(state->host_server_name, kMaxDomain);
        std::transform(flow.domain.begin(), flow.domain.end(), flow.domain.begin(),
                       [](unsigned char c) { return std::tolower(c); });
    }
    flow.dpi.reset();  // the state is large: free it as soon as DPI is over
    flow.dpi_done = true;
    flow.dirty = true;
}

}  // namespace egresswatch
