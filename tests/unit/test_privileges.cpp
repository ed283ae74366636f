// The daemon's capability drop (daemon/privileges.hpp), in a child process:
// after it, /proc/self/status shows no capability in any set and
// no_new_privs set. Meaningful as root (every set full before), true for anyone.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <string>

#include "daemon/privileges.hpp"

namespace {

std::map<std::string, std::string> status_fields() {
    std::map<std::string, std::string> fields;
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        fields[line.substr(0, colon)] = value;
    }
    return fields;
}

}  // namespace

TEST_CASE("privileges: no capability is left once the capture is open") {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int failed = 0;
        try {
            egresswatch::daemon::drop_capabilities();
        } catch (...) {
            _exit(10);
        }
        auto f = status_fields();
        const std::string none = "0000000000000000";
        if (f["CapEff"] != none) failed |= 1;
        if (f["CapPrm"] != none) failed |= 2;
        if (f["CapInh"] != none) failed |= 4;
        if (f["CapAmb"] != none) failed |= 8;
        if (f["NoNewPrivs"] != "1") failed |= 16;
        // The bounding set empties only where we had CAP_SETPCAP (root here).
        if (getuid() == 0 && f["CapBnd"] != none) failed |= 32;
        _exit(failed);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    // 10: drop_capabilities threw; else a bit per set left: 1 CapEff, 2 CapPrm,
    // 4 CapInh, 8 CapAmb, 16 NoNewPrivs, 32 CapBnd.
    CHECK(WEXITSTATUS(status) == 0);
}
