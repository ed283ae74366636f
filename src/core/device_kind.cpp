#include "egresswatch/device_kind.hpp"

namespace egresswatch {

const char* to_string(DeviceKind kind) {
    switch (kind) {
    case DeviceKind::other: return "other";
    case DeviceKind::iot: return "iot";
    case DeviceKind::camera: return "camera";
    case DeviceKind::nvr: return "nvr";
    }
    return "other";
}

std::optional<DeviceKind> parse_device_kind(std::string_view text) {
    if (text == "camera") return DeviceKind::camera;
    if (text == "nvr") return DeviceKind::nvr;
    if (text == "iot") return DeviceKind::iot;
    if (text == "other") return DeviceKind::other;
    return std::nullopt;
}

bool is_identified(DeviceKind kind) { return kind != DeviceKind::other; }

bool is_camera_or_nvr(DeviceKind kind) { return kind == DeviceKind::camera || kind == DeviceKind::nvr; }

}  // namespace egresswatch
