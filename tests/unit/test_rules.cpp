#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "egresswatch/rules.hpp"

using namespace egresswatch;
namespace fs = std::filesystem;

namespace {

// A rules directory in a temporary folder, with one file overridden.
struct RulesDir {
    fs::path dir;
    explicit RulesDir(const std::string& name) : dir(fs::temp_directory_path() / ("egresswatch-rules-" + name)) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        write("countries.txt", "CN China  # source: test\nHK Hong Kong\n");
        write("networks.txt", "AS37963 chinese-owned Alibaba\nAS16509 public-cloud Amazon AWS\n");
        write("domains.txt", "hik-connect.com camera-cloud Hikvision cloud\naliyuncs.com chinese-owned Alibaba Cloud\n"
                             "amazonaws.com public-cloud Amazon AWS\n");
        write("mac_vendors.txt", "~Hikvision camera Hikvision\n44:19:B6 camera Hikvision block\n");
    }
    ~RulesDir() { fs::remove_all(dir); }
    void write(const std::string& file, const std::string& text) { std::ofstream(dir / file) << text; }
    Rules load() { return Rules::load(dir.string(), "GB"); }
};

std::string load_error(RulesDir& d) {
    try {
        d.load();
    } catch (const RulesError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("The bundled rules load", "[rules]") {
    Rules rules = Rules::load(SOURCE_DIR "/rules", "GB");
    CHECK(rules.is_watched_country("CN"));
    CHECK(rules.match_network(37963) != nullptr);
    CHECK(rules.match_domain("litedev.hik-connect.com") != nullptr);
    CHECK(rules.entry_count() > 100);
}

TEST_CASE("The bundled rules classify the real smart-home names and prefer the narrower entry", "[rules]") {
    Rules rules = Rules::load(SOURCE_DIR "/rules", "GB");
    auto rule_of = [&](const char* name) {
        const DomainRule* rule = rules.match_domain(name);
        REQUIRE(rule != nullptr);
        return *rule;
    };
    // The names the real_home captures look up (../shared/corpus/real_home).
    DomainRule blink = rule_of("VS-cam.u011.immedia-semi.com");
    CHECK(blink.suffix == "immedia-semi.com");
    CHECK(blink.domain_class == DomainClass::camera_cloud);
    DomainRule schlage = rule_of("api.allegionengage.com");
    CHECK(schlage.suffix == "allegionengage.com");
    CHECK(schlage.domain_class == DomainClass::iot_cloud);
    DomainRule ultraloq = rule_of("a30xqtffg389ek-ats.iot.us-west-2.amazonaws.com");
    CHECK(ultraloq.domain_class == DomainClass::iot_cloud);
    CHECK(ultraloq.label == "U-tec Ultraloq cloud");
    CHECK(rule_of("a30hje92j76kem.iot.us-west-2.amazonaws.com").domain_class == DomainClass::public_cloud);
    // A camera host under a cloud that also serves plugs: the longest suffix wins.
    CHECK(rule_of("sg.business.smartcamera.api.io.mi.com").domain_class == DomainClass::camera_cloud);
    CHECK(rule_of("de.api.io.mi.com").domain_class == DomainClass::iot_cloud);
    CHECK(rule_of("security-app.eufylife.com").domain_class == DomainClass::camera_cloud);
    CHECK(rule_of("home-api.eufylife.com").domain_class == DomainClass::iot_cloud);
    CHECK(rule_of("euw1-relay-dcipc.i.tplinknbu.com").domain_class == DomainClass::camera_cloud);
    CHECK(rule_of("aps1-openapi.tplinknbu.com").domain_class == DomainClass::iot_cloud);
    CHECK(rule_of("nexusapi-us1.camera.home.nest.com").label == "Nest camera cloud");
    CHECK(rules.match_domain("home.nest.com") == nullptr);
}

TEST_CASE("A bad rules line is reported with file and line", "[rules]") {
    RulesDir d("bad");
    SECTION("network") {
        d.write("networks.txt", "# header\nAS37963 chinese-owned Alibaba\n\nAS12x chinese-owned Broken\n");
        CHECK(load_error(d) == (d.dir / "networks.txt").string() +
                                   ":4: expected \"AS<number> chinese-owned|public-cloud Label\", got \"AS12x chinese-owned Broken\"");
    }
    SECTION("network class") {
        d.write("networks.txt", "AS1 chinese Oops\n");
        CHECK(load_error(d) == (d.dir / "networks.txt").string() +
                                   ":1: unknown network class \"chinese\" (use chinese-owned or public-cloud)");
    }
    SECTION("country") {
        d.write("countries.txt", "CN China\nchina\n");
        CHECK(load_error(d).rfind((d.dir / "countries.txt").string() + ":2: ", 0) == 0);
    }
    SECTION("domain") {
        d.write("domains.txt", "hik..com camera-cloud X\n");
        CHECK(load_error(d).rfind((d.dir / "domains.txt").string() + ":1: ", 0) == 0);
    }
    SECTION("mac vendor kind") {
        d.write("mac_vendors.txt", "~Hikvision\tcamera\n44:19:B6 toaster\n");
        CHECK(load_error(d) == (d.dir / "mac_vendors.txt").string() +
                                   ":2: unknown device kind \"toaster\" (use camera, nvr or iot)");
    }
    SECTION("missing file") {
        fs::remove(d.dir / "domains.txt");
        CHECK(load_error(d).find("domains.txt: cannot read rules file (no such file)") != std::string::npos);
    }
}

TEST_CASE("Domains match as suffixes on label boundaries", "[rules]") {
    RulesDir d("domains");
    Rules rules = d.load();
    CHECK(rules.match_domain("hik-connect.com")->label == "Hikvision cloud");
    CHECK(rules.match_domain("LiteDev.Hik-Connect.com.")->label == "Hikvision cloud");
    CHECK(rules.match_domain("nothik-connect.com") == nullptr);
    CHECK(rules.match_domain("com") == nullptr);
}

TEST_CASE("Severity follows the device kind and what the remote end is", "[rules]") {
    RulesDir d("severity");
    Rules rules = d.load();
    FlowFacts camera;
    camera.device_kind = DeviceKind::camera;
    camera.sent_data = true;

    SECTION("camera to China on an Alibaba network with a vendor cloud name: high, every reason") {
        camera.country = "CN";
        camera.asn = 37963;
        camera.domain = "litedev.hik-connect.com";
        Verdict v = rules.evaluate(camera);
        CHECK(v.severity == Severity::high);
        CHECK(v.reasons == std::vector<std::string>{"country:CN", "network:AS37963 Alibaba (Chinese-owned cloud)",
                                                     "domain:hik-connect.com (Hikvision cloud)", "left-country:CN"});
    }
    SECTION("camera to a Chinese-owned network abroad: high") {
        camera.country = "DE";
        camera.asn = 37963;
        CHECK(rules.evaluate(camera).severity == Severity::high);
    }
    SECTION("a Chinese-owned domain in the home country says so, as networks do") {
        camera.country = "GB";
        camera.domain = "oss-eu-west-1.aliyuncs.com";
        Verdict v = rules.evaluate(camera);
        CHECK(v.severity == Severity::high);
        CHECK(v.reasons == std::vector<std::string>{"domain:aliyuncs.com (Alibaba Cloud, Chinese-owned cloud)"});
    }
    SECTION("camera to another country: medium") {
        camera.country = "FR";
        Verdict v = rules.evaluate(camera);
        CHECK(v.severity == Severity::medium);
        CHECK(v.reasons == std::vector<std::string>{"left-country:FR"});
    }
    SECTION("camera to a public cloud at home: low") {
        camera.country = "GB";
        camera.asn = 16509;
        Verdict v = rules.evaluate(camera);
        CHECK(v.severity == Severity::low);
        CHECK(v.reasons == std::vector<std::string>{"network:AS16509 Amazon AWS (public cloud)"});
    }
    SECTION("camera to a domestic non-cloud address: no alert") {
        camera.country = "GB";
        camera.asn = 20712;
        CHECK(rules.evaluate(camera).severity == Severity::none);
    }
    SECTION("internal flows and flows the device never sent on are not egress") {
        camera.country = "CN";
        camera.remote_is_local = true;
        CHECK(rules.evaluate(camera).severity == Severity::none);
        camera.remote_is_local = false;
        camera.sent_data = false;
        CHECK(rules.evaluate(camera).severity == Severity::none);
    }
    SECTION("other devices: low to China, nothing for ordinary abroad") {
        FlowFacts pc;
        pc.sent_data = true;
        pc.country = "CN";
        CHECK(rules.evaluate(pc).severity == Severity::low);
        pc.country = "FR";
        CHECK(rules.evaluate(pc).severity == Severity::none);
    }
}
