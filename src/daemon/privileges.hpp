// Root (or CAP_NET_RAW) is needed to open a live capture and for nothing
// after it. Started as root outside systemd, the daemon opens the capture,
// then becomes an unprivileged user before it reads a packet or opens any
// other file. Under systemd the unit's User= and AmbientCapabilities= do that.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace egresswatch::daemon {

class PrivilegeError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline constexpr const char* kDefaultUser = "egresswatch";

// The user to become: `requested` (--user) if given, else kDefaultUser for a
// live capture started as root outside systemd. nullopt: stay who we are
// (also for --user root, or --user naming who we already are).
std::optional<std::string> user_to_become(const std::string& requested, bool live_capture);

// Takes the user's groups, group and user id, for good. Throws PrivilegeError
// saying what to do when the user does not exist or we are not root.
void become_user(const std::string& name);

// Once the capture and the files are open, before the first packet: gives up every
// capability for good, whoever we are, root or a service user that systemd
// gave AmbientCapabilities: the ambient set is cleared, the bounding set
// emptied where we may (CAP_SETPCAP), the effective, permitted and
// inheritable sets emptied (capset), and no_new_privs set so that no exec
// can bring any back. Throws PrivilegeError if a set cannot be emptied.
void drop_capabilities();

}  // namespace egresswatch::daemon
