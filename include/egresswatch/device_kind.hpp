// The one way of writing what kind of device an address is: the rules judge
// flows by it, the device registry decides it, discovery's vocabulary gives
// it, and the store and the CLI write it as to_string's text.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace egresswatch {

// Ordered by how specific the kind is: when discovery evidence gives several,
// the greater wins (nvr over camera, camera over iot).
enum class DeviceKind { other, iot, camera, nvr };
inline constexpr std::size_t kDeviceKindCount = 4;

const char* to_string(DeviceKind kind);  // "other", "iot", "camera", "nvr"
std::optional<DeviceKind> parse_device_kind(std::string_view text);

// Identified as a device the monitor watches (camera, nvr or iot): anything
// but other. The rules judge such a device's flows more severely.
bool is_identified(DeviceKind kind);
// A video device: a camera or a recorder (nvr). Reports count these as cameras.
bool is_camera_or_nvr(DeviceKind kind);

}  // namespace egresswatch
