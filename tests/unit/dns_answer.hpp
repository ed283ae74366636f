// A passive DNS observation as the sensor hands it to the store: an A answer
// from resolver 10.0.0.1 over UDP, with what the tests vary.
#pragma once

#include <cstdint>
#include <string>

#include "egresswatch/store.hpp"

namespace egresswatch::test {

inline DnsObservation dns_answer(std::int64_t time_us, std::string client, std::string query, std::string answer,
                                 std::uint32_t ttl = 60) {
    DnsObservation o;
    o.time_us = time_us;
    o.client_ip = std::move(client);
    o.resolver_ip = "10.0.0.1";
    o.transport = "udp";
    o.query = o.name = std::move(query);
    o.type = "A";
    o.answer = std::move(answer);
    o.ttl = ttl;
    return o;
}

}  // namespace egresswatch::test
