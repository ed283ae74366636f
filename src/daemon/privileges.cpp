#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace egresswatch::daemon {
namespace {

// systemd gives every service it starts an invocation id.
bool started_by_systemd() { return std::getenv("INVOCATION_ID") != nullptr; }

std::string current_user_name() {
    const passwd* me = getpwuid(geteuid());
    return me ? me->pw_name : std::to_string(geteuid());
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::optional<std::string> user_to_become(const std::string& requested, bool live_capture) {
    if (requested.empty()) {
        if (geteuid() != 0 || !live_capture || started_by_systemd()) return std::nullopt;
        return std::string(kDefaultUser);
    }
    if (requested == current_user_name()) return std::nullopt;
    return requested;
}

void become_user(const std::string& name) {
    const passwd* user = getpwnam(name.c_str());
    if (!user)
        throw PrivilegeError("user " + name + " does not exist: create it (the egresswatch package does: "
                             "adduser --system --group egresswatch), or give --user NAME (--user root stays root)");
    if (geteuid() != 0)
        throw PrivilegeError("cannot become user " + name + ": only root can change user (running as " +
                             current_user_name() + ")");
    uid_t uid = user->pw_uid;
    gid_t gid = user->pw_gid;
    // Group memberships first: once the user id changes they cannot be set.
    if (initgroups(name.c_str(), gid) != 0) throw PrivilegeError("initgroups(" + name + "): " + errno_text());
    if (setgid(gid) != 0) throw PrivilegeError("setgid(" + std::to_string(gid) + "): " + errno_text());
    if (setuid(uid) != 0) throw PrivilegeError("setuid(" + std::to_string(uid) + "): " + errno_text());
    if (uid != 0 && setuid(0) == 0) throw PrivilegeError("still able to regain root after becoming " + name);
}

}  // namespace egresswatch::daemon
