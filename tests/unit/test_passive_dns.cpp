// Passive DNS on its own: what a response teaches (the CNAME chain from the
// question, the observations for the store), what is looked up later, and
// the bounds per response.
#include <catch2/catch.hpp>

#include <string>
#include <variant>

#include "egresswatch/passive_dns.hpp"
#include "test_sensor_support.hpp"

using namespace egresswatch;
using sensor_test::ip;

namespace {

sensor_test::Decoded response(const capgen::Bytes& message) {
    return sensor_test::decode(sensor_test::udp_frame(sensor_test::kRouterMac, sensor_test::kCameraMac,
                                                      "192.168.1.1", "192.168.1.20", 53, 40000, message));
}

DnsMessage parsed(const sensor_test::Decoded& d) {
    auto message = parse_dns_message(d.packet.payload, d.packet.payload_captured);
    REQUIRE(message);
    return *message;
}

std::string text(const DnsObservation& o) {
    return std::to_string(o.time_us) + " " + o.client_ip + " " + o.resolver_ip + " " + o.transport + " " + o.query +
           " " + o.name + " " + o.type + " " + o.answer + " " + std::to_string(o.ttl);
}

}  // namespace

TEST_CASE("passive DNS: an answer through a CNAME is learnt for its client and stored", "[passive_dns]") {
    PassiveDns dns;
    auto d = response(capgen::dns_response(7, "litedev.hik-connect.com", capgen::DnsType::kA,
                                           {{"litedev.hik-connect.com", capgen::DnsType::kCname, 300, "edge.example.net"},
                                            {"edge.example.net", capgen::DnsType::kA, 60, "47.96.1.10"},
                                            {"other.example.net", capgen::DnsType::kA, 60, "47.96.1.11"}}));
    DnsLearnt learnt = dns.learn(parsed(d), d.packet, 1'000'000);
    REQUIRE(learnt.resolved);
    CHECK(learnt.resolved->query == "litedev.hik-connect.com");
    CHECK(learnt.resolved->aliases == std::vector<std::string>{"edge.example.net"});
    CHECK_FALSE(learnt.beyond_bounds);
    // Only the address in the question's chain is the client's name for it;
    // every answer is stored.
    CHECK(learnt.named == std::vector<IpAddress>{ip("47.96.1.10")});
    REQUIRE(learnt.observations.size() == 3);
    CHECK(text(learnt.observations[0]) ==
          "1000000 192.168.1.20 192.168.1.1 udp litedev.hik-connect.com litedev.hik-connect.com CNAME "
          "edge.example.net 300");
    CHECK(text(learnt.observations[1]) ==
          "1000000 192.168.1.20 192.168.1.1 udp litedev.hik-connect.com edge.example.net A 47.96.1.10 60");
    CHECK(dns.answers() == 3);
    CHECK(dns.dropped() == 0);

    const ResolvedName* name = dns.lookup(ip("192.168.1.20"), ip("47.96.1.10"), 2'000'000);
    REQUIRE(name);
    CHECK(name->query == "litedev.hik-connect.com");
    CHECK_FALSE(dns.lookup(ip("192.168.1.21"), ip("47.96.1.10"), 2'000'000));  // another client
    CHECK_FALSE(dns.lookup(ip("192.168.1.20"), ip("47.96.1.11"), 2'000'000));  // not in the chain
}

TEST_CASE("passive DNS: a query teaches nothing", "[passive_dns]") {
    PassiveDns dns;
    auto d = response(capgen::dns_query(7, "litedev.hik-connect.com", capgen::DnsType::kA));
    DnsLearnt learnt = dns.learn(parsed(d), d.packet, 1'000'000);
    CHECK_FALSE(learnt.resolved);
    CHECK(learnt.observations.empty());
    CHECK(dns.answers() == 0);
}

TEST_CASE("passive DNS: what is beyond the bounds per response is counted", "[passive_dns][hostile]") {
    PassiveDns dns;
    SECTION("a question name too long: nothing kept") {
        // Control characters are written \DDD: 4 labels of 60 make 960 characters.
        std::string label(60, '\x01');
        std::string name = label + "." + label + "." + label + "." + label;
        auto d = response(capgen::dns_response(1, name, capgen::DnsType::kA,
                                               {{name, capgen::DnsType::kA, 60, "47.96.1.10"}}));
        DnsMessage message = parsed(d);
        REQUIRE(message.qname.size() > kDnsMaxNameChars);
        DnsLearnt learnt = dns.learn(message, d.packet, 1);
        CHECK_FALSE(learnt.resolved);
        CHECK(learnt.beyond_bounds);
        CHECK(learnt.observations.empty());
        CHECK(dns.dropped() == 2);  // the answer and the question
    }
    SECTION("more answers than kept") {
        std::vector<capgen::DnsRecord> answers;
        for (size_t i = 0; i < kDnsMaxAnswersKept + 3; ++i)
            answers.push_back({"many.example.net", capgen::DnsType::kA, 60, "47.96.2." + std::to_string(i + 1)});
        auto d = response(capgen::dns_response(1, "many.example.net", capgen::DnsType::kA, answers));
        DnsLearnt learnt = dns.learn(parsed(d), d.packet, 1);
        REQUIRE(learnt.resolved);
        CHECK(learnt.beyond_bounds);
        CHECK(learnt.observations.size() == kDnsMaxAnswersKept);
        CHECK(dns.answers() == kDnsMaxAnswersKept);
        CHECK(dns.dropped() == 3);
    }
}
