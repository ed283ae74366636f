#include "egresswatch/passive_dns.hpp"

#include <algorithm>
#include <string>

namespace egresswatch {

DnsLearnt PassiveDns::learn(const DnsMessage& message, const DecodedPacket& p, int64_t ts_us) {
    DnsLearnt learnt = read(message, p, ts_us);
    remember(learnt, p, ts_us);
    return learnt;
}

void PassiveDns::remember(const DnsLearnt& learnt, const DecodedPacket& p, int64_t ts_us) {
    dropped_ += learnt.dropped;
    answers_ += learnt.observations.size();
    for (size_t i = 0; i < learnt.named.size(); ++i)
        cache_.remember(p.dst_ip, learnt.named[i], learnt.resolved, learnt.named_ttls[i], ts_us);
}

DnsLearnt PassiveDns::read(const DnsMessage& message, const DecodedPacket& p, int64_t ts_us) {
    DnsLearnt learnt;
    if (!message.is_response || message.rcode != 0 || message.qname.empty()) return learnt;
    const IpAddress& client = p.dst_ip;
    // Bounds per response (a forged one may carry 512 records with 255-octet
    // names, each four times longer in presentation form): at most
    // kDnsMaxAliases hops, kDnsMaxAnswersKept answers, names of at most
    // kDnsMaxNameChars characters. What is left out is counted.
    uint64_t dropped = 0;
    auto too_long = [](const std::string& name) { return name.size() > kDnsMaxNameChars; };
    if (too_long(message.qname)) {
        learnt.dropped = message.answers.size() + 1;
        learnt.beyond_bounds = true;
        return learnt;
    }
    // Follow the CNAME chain from the question so that only answers for it count.
    auto resolved = std::make_shared<ResolvedName>(ResolvedName{message.qname, {}});
    std::string current = message.qname;
    for (size_t hops = 0; hops <= kDnsMaxAliases; ++hops) {
        auto next = std::find_if(message.answers.begin(), message.answers.end(), [&](const DnsRecord& r) {
            return r.type == dns_type::cname && r.name == current;
        });
        if (next == message.answers.end()) break;
        if (hops == kDnsMaxAliases || too_long(next->target)) {
            ++dropped;
            break;
        }
        current = next->target;
        resolved->aliases.push_back(current);
    }
    auto in_chain = [&](const std::string& name) {
        return name == message.qname ||
               std::find(resolved->aliases.begin(), resolved->aliases.end(), name) != resolved->aliases.end();
    };
    std::string transport = p.ip_protocol == 6 ? "tcp" : "udp";
    learnt.observations.reserve(std::min(message.answers.size(), kDnsMaxAnswersKept));
    size_t kept = 0;
    std::string client_ip, resolver_ip;  // as text once, for the first answer
    for (const auto& answer : message.answers) {
        bool address = answer.type == dns_type::a || answer.type == dns_type::aaaa;
        if (!address && answer.type != dns_type::cname) continue;
        if (kept == kDnsMaxAnswersKept || too_long(answer.name) || (!address && too_long(answer.target))) {
            ++dropped;
            continue;
        }
        ++kept;
        if (address && in_chain(answer.name) && !client.is_group_or_unspecified()) {
            learnt.named.push_back(answer.address);
            learnt.named_ttls.push_back(answer.ttl);
        }
        DnsObservation o;
        o.time_us = ts_us;
        if (client_ip.empty()) client_ip = client.to_string(), resolver_ip = p.src_ip.to_string();
        o.client_ip = client_ip;
        o.resolver_ip = resolver_ip;
        o.transport = transport;
        o.query = message.qname;
        o.name = answer.name;
        o.type = dns_type_name(answer.type);
        o.answer = address ? answer.address.to_string() : answer.target;
        o.ttl = answer.ttl;
        learnt.observations.emplace_back(std::move(o));
    }
    learnt.dropped = dropped;
    learnt.beyond_bounds = dropped > 0;
    learnt.resolved = std::move(resolved);
    return learnt;
}

}  // namespace egresswatch
