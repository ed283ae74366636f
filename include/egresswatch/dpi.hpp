// Application classification with nDPI (Debian's libndpi 4.2): app protocol,
// category, and the name a flow used (TLS/QUIC SNI, HTTP Host, DNS query).
// DPI runs on a flow until nDPI classifies it or gives up, then its per-flow
// state (about 700 bytes in 4.2) is freed.
#pragma once

#include <cstdint>
#include <string>

#include "egresswatch/decode.hpp"

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;
struct ndpi_proto;

namespace egresswatch {

struct Flow;
struct FlowData;

class DpiState {
public:
    DpiState();
    ~DpiState();
    DpiState(const DpiState&) = delete;
    DpiState& operator=(const DpiState&) = delete;
    ndpi_flow_struct* flow() { return flow_; }

private:
    ndpi_flow_struct* flow_;
};

class Dpi {
public:
    // custom_protocols_file: nDPI protocols file (rules/ndpi_protos.txt); empty for none.
    explicit Dpi(const std::string& custom_protocols_file);
    ~Dpi();
    Dpi(const Dpi&) = delete;
    Dpi& operator=(const Dpi&) = delete;

    // Feeds one packet of the flow to nDPI if it still needs DPI.
    void process(Flow& flow, const DecodedPacket& packet, int64_t ts_us);
    // Ends DPI on a flow that is leaving the table unclassified.
    void give_up(Flow& flow);

    uint64_t flows_classified() const { return classified_; }
    // Names of a classified flow's protocol ("TLS.HikConnect") and category.
    std::string protocol_name(const FlowData& flow) const;
    std::string category_name(const FlowData& flow) const;

private:
    void finish(Flow& flow, bool giving_up);
    void remember(Flow& flow, const ::ndpi_proto& result);

    ndpi_detection_module_struct* module_;
    uint64_t classified_ = 0;
};

}  // namespace egresswatch
