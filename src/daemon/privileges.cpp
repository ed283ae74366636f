#include "privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

void drop_capabilities() {
    // The ambient set first (it refills the permitted set across exec), then
    // the bounding set while CAP_SETPCAP, if we have it, is still effective.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        throw PrivilegeError("cannot clear the ambient capabilities: " + errno_text());
    for (unsigned long cap = 0; cap <= 63; ++cap) {
        int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_bounding < 0) break;  // past the kernel's last capability
        if (in_bounding == 1) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);  // EPERM without CAP_SETPCAP: as good as empty below
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw PrivilegeError("cannot set no_new_privs: " + errno_text());
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (syscall(SYS_capset, &header, data) != 0)
        throw PrivilegeError("cannot drop capabilities (capset): " + errno_text());
}

}  // namespace egresswatch::daemon
