// The vocabulary: every evidence string that makes a kind of device, where it
// is observed, and how a hint's kind is decided from its evidence.

#include <algorithm>

#include "internal.hpp"

namespace egresswatch {

using namespace discovery_detail;

namespace {

// The needle at the start of a token: at the start of s, or after a character
// that is not a letter or digit ("IPC-HDW2431T", "DHI-NVR5416", "UPnP/1.0 IPCamera/1.1").
bool contains_token(std::string_view s, std::string_view needle) {
    for (size_t at = ifind(s, needle); at != std::string_view::npos; at = ifind(s, needle, at + 1))
        if (at == 0 || !is_alnum(s[at - 1])) return true;
    return false;
}

// The needle is a whole word of s: words are runs of letters, split by
// anything else and where a small letter meets a capital ("front_cam01",
// "RingDoorbell", "IPC-HDW1235C"), so that "camille-laptop" holds no "cam".
bool contains_word(std::string_view s, std::string_view needle) {
    auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    size_t i = 0;
    while (i < s.size()) {
        if (!is_letter(s[i])) {
            ++i;
            continue;
        }
        size_t end = i + 1;
        while (end < s.size() && is_letter(s[end]) && !(is_upper(s[end]) && !is_upper(s[end - 1]))) ++end;
        if (iequals(s.substr(i, end - i), needle)) return true;
        i = end;
    }
    return false;
}

enum class Kind : uint8_t { none = 0, iot = 1, camera = 2, nvr = 3 };

enum class Match : uint8_t {
    any,     // the key alone is enough
    equals,  // the whole value, ASCII case-insensitive
    prefix,  // the value starts with the needle, case-insensitive
    token,   // the needle starts a token anywhere in the value (see contains_token)
    word,    // the needle is a whole word of the value (see contains_word)
};

struct KindRule {
    std::string_view keys;  // evidence keys, '|' separated
    Match match;
    std::string_view needle;
    Kind kind;
};

// Evidence keys that carry a name the device gives itself.
#define NAME_KEYS "dhcp-hostname|dhcp-fqdn|mdns-host|mdns-instance"
// Evidence keys that carry a model name or a model-like host name.
#define MODEL_KEYS "dhcp-hostname|mdns-host|sadp|onvif-hardware|dahua-discovery|mdns-model"

// Every string that makes a kind, and where it is observed. "Corpus" means
// the public captures in ../shared/corpus (IoT Sentinel, nDPI); "capgen" the
// project's own generator (tests/gen), which follows the public formats.
constexpr KindRule kRules[] = {
    // ---- ONVIF WS-Discovery <Types> (local names), ONVIF Core specification ----
    // Cameras and encoders: "dn:NetworkVideoTransmitter" in every ONVIF
    // ProbeMatch/Hello (capgen Dahua sample; public ProbeMatch examples).
    {"onvif", Match::equals, "NetworkVideoTransmitter", Kind::camera},
    // Recorders: ONVIF device type of network video storage (NVS/NVR).
    {"onvif", Match::equals, "NetworkVideoStorage", Kind::nvr},
    // Decoders/display walls: ONVIF device type "NetworkVideoDisplay"; sold as
    // part of recorder systems, treated as nvr.
    {"onvif", Match::equals, "NetworkVideoDisplay", Kind::nvr},

    // ---- ONVIF scopes onvif://www.onvif.org/type/<x> ----
    // "type/video_encoder": Hikvision and Dahua camera scopes (capgen sample).
    {"onvif-scope-type", Match::equals, "video_encoder", Kind::camera},
    // "type/Network_Video_Transmitter" / "NetworkVideoTransmitter": ONVIF
    // Core spec scope values, sent by cameras of many brands.
    {"onvif-scope-type", Match::equals, "Network_Video_Transmitter", Kind::camera},
    {"onvif-scope-type", Match::equals, "NetworkVideoTransmitter", Kind::camera},
    // "type/ptz": PTZ cameras add it next to video_encoder.
    {"onvif-scope-type", Match::equals, "ptz", Kind::camera},
    // "type/Network_Video_Storage": ONVIF Core spec scope value of recorders.
    {"onvif-scope-type", Match::equals, "Network_Video_Storage", Kind::nvr},
    {"onvif-scope-type", Match::equals, "NetworkVideoStorage", Kind::nvr},

    // ---- Hikvision SADP (UDP 37020) ----
    // Only Hikvision video devices (and OEM rebrands) answer SADP; cameras
    // unless the model below says recorder.
    {"sadp", Match::any, "", Kind::camera},
    // ---- Dahua DHIP discovery (UDP 37810/5050) ----
    // Only Dahua video devices (and OEM rebrands, e.g. Lorex) answer it;
    // cameras unless DeviceClass/DeviceType says recorder.
    {"dahua-discovery", Match::any, "", Kind::camera},
    {"dahua-class", Match::any, "", Kind::camera},

    // ---- recorder words in model names and device classes ----
    // Dahua DeviceClass "NVR", "DVR", "XVR", "HCVR" and models "NVR4104HS-P",
    // "DHI-NVR5416-4KS2", "XVR5108HS" (public DHIP replies and product lists);
    // Hikvision DeviceType strings that name the recorder type.
    {MODEL_KEYS "|dahua-class|sadp-type|onvif-name", Match::token, "NVR", Kind::nvr},
    {MODEL_KEYS "|dahua-class|sadp-type|onvif-name", Match::token, "DVR", Kind::nvr},
    {MODEL_KEYS "|dahua-class|sadp-type|onvif-name", Match::token, "XVR", Kind::nvr},
    {MODEL_KEYS "|dahua-class|sadp-type|onvif-name", Match::token, "HCVR", Kind::nvr},

    // ---- Hikvision model numbers ----
    // DS-2CD network cameras (DS-2CD2143G2-I: capgen DHCP/SADP sample),
    // DS-2DE/DS-2DF PTZ domes, DS-2CV consumer Wi-Fi cameras (SSDP USN
    // "uuid:upnp-ds-2cv2q21fd-iw-..." in a public SSDP fingerprint list),
    // iDS-2 "DeepinView" cameras.
    {MODEL_KEYS, Match::prefix, "DS-2CD", Kind::camera},
    {MODEL_KEYS, Match::prefix, "DS-2DE", Kind::camera},
    {MODEL_KEYS, Match::prefix, "DS-2DF", Kind::camera},
    {MODEL_KEYS, Match::prefix, "DS-2CV", Kind::camera},
    {MODEL_KEYS, Match::prefix, "iDS-2", Kind::camera},
    // DS-7xxx/DS-8xxx/DS-9xxx recorders: DS-76xxNI/DS-77xxNI/DS-96xxNI NVRs,
    // DS-72xx/DS-73xx/DS-81xx/DS-90xx DVRs; "DS-7804HQH-K1" in a public SADP
    // reply. iDS-7/iDS-9 "AcuSense" recorders.
    {MODEL_KEYS, Match::prefix, "DS-7", Kind::nvr},
    {MODEL_KEYS, Match::prefix, "DS-8", Kind::nvr},
    {MODEL_KEYS, Match::prefix, "DS-9", Kind::nvr},
    {MODEL_KEYS, Match::prefix, "iDS-7", Kind::nvr},
    {MODEL_KEYS, Match::prefix, "iDS-9", Kind::nvr},

    // ---- host names that say "camera" ----
    // White-label cameras name themselves generically: mDNS host
    // "localcam.local" (corpus: IoT Sentinel EdimaxCam1/2), "iotcam.local"
    // (D-LinkCam); "ipcam", "netcam" and "webcam" are the same habit in
    // common no-name firmware.
    {"dhcp-hostname|mdns-host", Match::prefix, "localcam", Kind::camera},
    {"dhcp-hostname|mdns-host", Match::prefix, "iotcam", Kind::camera},
    {"dhcp-hostname|mdns-host", Match::prefix, "ipcam", Kind::camera},
    {"dhcp-hostname|mdns-host", Match::prefix, "netcam", Kind::camera},
    {"dhcp-hostname|mdns-host", Match::prefix, "webcam", Kind::camera},

    // ---- words in the names a device gives itself ----
    // A whole word only (contains_word), so "camille-laptop" is not a camera.
    // What the words mean: "camera"/"cam" and the trade's "IPC" (IP camera,
    // as in Dahua's "IPC-" and Xiongmai's "IPC" models), "ipcam", "webcam",
    // "netcam", "doorbell" (video doorbells: Ring, Nest Hello, Eufy);
    // "NVR"/"DVR"/"XVR" are network/digital/hybrid video recorders (Dahua
    // DeviceClass values above). "blink": Blink cameras take host names
    // "blink*" (home-assistant/core homeassistant/generated/dhcp.py, domain blink).
    {NAME_KEYS, Match::word, "camera", Kind::camera},
    {NAME_KEYS, Match::word, "cam", Kind::camera},
    {NAME_KEYS, Match::word, "ipc", Kind::camera},
    {NAME_KEYS, Match::word, "ipcam", Kind::camera},
    {NAME_KEYS, Match::word, "ipcamera", Kind::camera},
    {NAME_KEYS, Match::word, "webcam", Kind::camera},
    {NAME_KEYS, Match::word, "netcam", Kind::camera},
    {NAME_KEYS, Match::word, "cctv", Kind::camera},
    {NAME_KEYS, Match::word, "doorbell", Kind::camera},
    {NAME_KEYS, Match::word, "blink", Kind::camera},
    {NAME_KEYS, Match::word, "nvr", Kind::nvr},
    {NAME_KEYS, Match::word, "dvr", Kind::nvr},
    {NAME_KEYS, Match::word, "xvr", Kind::nvr},

    // ---- Dahua model numbers ----
    // IPC-HDW/IPC-HFW/... cameras ("IPC-HDW5421S", "IPC-HDW2431T" in public
    // DHIP replies and the capgen ONVIF sample; "DH-IPC-HDW1235C" with the
    // DH- brand prefix).
    {MODEL_KEYS, Match::token, "IPC-", Kind::camera},

    // ---- D-Link ----
    // DCS-xxx cameras send their model as the DHCP host name and start their
    // mDNS host name with it (corpus: IoT Sentinel D-LinkCam "DCS-935L",
    // "dcs-935l-b0c554255b0e.local"; D-LinkDayCam "DCS-930LB",
    // "dcs-930lb1_1c7185.local"), and put it in SSDP SERVER and NT (D-LinkCam
    // "Linux, UPnP/1.0 DCS-935L/1.0", "urn:schemas-upnp-org:device:DCS-935L:1").
    {MODEL_KEYS, Match::prefix, "DCS-", Kind::camera},
    {"ssdp-server|ssdp-nt", Match::token, "DCS-", Kind::camera},
    // DCH-xxx home hub/sensors/siren and DSP-W smart plugs, same habit
    // (corpus: IoT Sentinel "DCH-G020", "DCH-S150", "DCH-S160", "DCH-S220", "DSP-W215").
    {MODEL_KEYS, Match::prefix, "DCH-", Kind::iot},
    {MODEL_KEYS, Match::prefix, "DSP-W", Kind::iot},

    // ---- other IoT host names in DHCP (corpus: IoT Sentinel) ----
    // Espressif SDK default "ESP_XXXXXX" (SmarterCoffee, iKettle2).
    {"dhcp-hostname", Match::prefix, "ESP_", Kind::iot},
    // Philips Hue bridge "Philips-hue" (HueBridge).
    {"dhcp-hostname", Match::prefix, "Philips-hue", Kind::iot},
    // TP-Link Kasa plugs "HS100(EU)", "HS110(EU)".
    {"dhcp-hostname", Match::prefix, "HS100", Kind::iot},
    {"dhcp-hostname", Match::prefix, "HS110", Kind::iot},
    // Osram Lightify gateway "Lightify-7B5F6B".
    {"dhcp-hostname", Match::prefix, "Lightify-", Kind::iot},
    // Hi-Flying HF-LPB100 Wi-Fi module (Ednet gateway).
    {"dhcp-hostname", Match::prefix, "HF-LPB", Kind::iot},
    // GainSpan Wi-Fi module "GainSpanca9152" (Fitbit Aria scale).
    {"dhcp-hostname", Match::prefix, "GainSpan", Kind::iot},
    // DHCP vendor class "Withings00" (Withings scale).
    {"dhcp-vendor-class", Match::prefix, "Withings", Kind::iot},
    // BusyBox udhcpc ("udhcp 0.9.8" ... "udhcp 1.22.1"): embedded Linux. Every
    // D-Link, Edimax, Ednet, TP-Link, WeMo and Hue device in IoT Sentinel sends
    // it, and so do the cameras in capgen; routers and NAS boxes do too, so it
    // is only "iot", and any camera/nvr rule wins over it.
    {"dhcp-vendor-class", Match::prefix, "udhcp", Kind::iot},

    // ---- mDNS service types (DNS-SD) ----
    // RTSP servers: cameras announce "_rtsp._tcp" (camera discovery apps browse it).
    {"mdns", Match::prefix, "_rtsp._tcp", Kind::camera},
    // "_onvif._tcp": browsed by camera discovery apps for ONVIF cameras.
    {"mdns", Match::prefix, "_onvif._tcp", Kind::camera},
    // Axis cameras announce "_axis-video._tcp" (Axis Bonjour; Home Assistant's
    // and avahi-based Axis discovery browse it), Axis recorders "_axis-nvr._tcp".
    {"mdns", Match::prefix, "_axis-video._tcp", Kind::camera},
    {"mdns", Match::prefix, "_axis-nvr._tcp", Kind::nvr},
    // HomeKit accessories "_hap._tcp" (HAP specification): iot unless the
    // category below says camera.
    {"mdns", Match::prefix, "_hap._tcp", Kind::iot},
    // HAP accessory category ci=17 "IP Camera", ci=18 "Video Doorbell" (HAP
    // specification, accessory categories).
    {"hap-ci", Match::equals, "17", Kind::camera},
    {"hap-ci", Match::equals, "18", Kind::camera},
    // Google Cast devices "_googlecast._tcp" (Chromecast, Google/Nest speakers
    // and displays).
    {"mdns", Match::prefix, "_googlecast._tcp", Kind::iot},
    // Philips Hue bridges "_hue._tcp" (Hue bridge API discovery).
    {"mdns", Match::prefix, "_hue._tcp", Kind::iot},

    // ---- SSDP ----
    // SERVER strings of IP cameras in a public SSDP fingerprint list:
    // "Embedded/1.0 UPnP/1.0 IPCamera/1.1", "Embedded/1.0 UPnP/1.0
    // IPCamera-UPnP/1.0", "Linux/2.6 UPnP/1.0 IpCamera/1.0", "Embedded/1.0
    // UPnP/1.0 Network Camera/1.0"; capgen "Linux/3.0 UPnP/1.0 IPCamera/1.0".
    {"ssdp-server", Match::token, "IPCamera", Kind::camera},
    {"ssdp-server", Match::token, "IP Camera", Kind::camera},
    {"ssdp-server", Match::token, "Network Camera", Kind::camera},
    {"ssdp-server", Match::token, "webcam", Kind::camera},
    // Cellvision, an IP camera maker that builds cameras for other brands:
    // SERVER "Cellvision UPnP/1.0" (corpus: IoT Sentinel D-LinkDayCam DCS-930LB;
    // also in the public SSDP fingerprint list).
    {"ssdp-server", Match::token, "Cellvision", Kind::camera},
    // Recorders that name themselves in SERVER.
    {"ssdp-server", Match::token, "NVR", Kind::nvr},
    // UPnP Forum device type "DigitalSecurityCamera:1", and
    // "WirelessNetworkCamera" (public SSDP fingerprint list).
    {"ssdp-nt", Match::token, "DigitalSecurityCamera", Kind::camera},
    {"ssdp-nt", Match::token, "WirelessNetworkCamera", Kind::camera},
    // D-Link HNAP device type "hnap:NetworkCamera" (corpus: IoT Sentinel D-LinkCam).
    {"ssdp-nt", Match::token, "NetworkCamera", Kind::camera},
    // Belkin WeMo "urn:Belkin:device:controllee:1", ":insight:1", ":bridge:1",
    // ":sensor:1", ":lightswitch:1" (corpus: IoT Sentinel WeMo captures).
    {"ssdp-nt", Match::token, "urn:Belkin:device:", Kind::iot},
    // Philips Hue bridge SERVER "... IpBridge/1.x" (corpus: IoT Sentinel HueBridge).
    {"ssdp-server", Match::token, "IpBridge", Kind::iot},
};

#undef MODEL_KEYS

bool key_listed(std::string_view keys, std::string_view key) {
    while (!keys.empty()) {
        size_t bar = keys.find('|');
        if (keys.substr(0, bar) == key) return true;
        if (bar == std::string_view::npos) break;
        keys.remove_prefix(bar + 1);
    }
    return false;
}

Kind classify_one(std::string_view evidence) {
    size_t colon = evidence.find(':');
    if (colon == std::string_view::npos) return Kind::none;
    std::string_view key = evidence.substr(0, colon);
    std::string_view value = evidence.substr(colon + 1);
    Kind best = Kind::none;
    for (const KindRule& rule : kRules) {
        if (rule.kind <= best || !key_listed(rule.keys, key)) continue;
        bool hit = false;
        switch (rule.match) {
        case Match::any: hit = true; break;
        case Match::equals: hit = iequals(value, rule.needle); break;
        case Match::prefix: hit = istarts_with(value, rule.needle); break;
        case Match::token: hit = contains_token(value, rule.needle); break;
        case Match::word: hit = contains_word(value, rule.needle); break;
        }
        if (hit) best = rule.kind;
    }
    return best;
}

std::string_view kind_name(Kind kind) {
    switch (kind) {
    case Kind::iot: return "iot";
    case Kind::camera: return "camera";
    case Kind::nvr: return "nvr";
    case Kind::none: break;
    }
    return "";
}

}  // namespace

std::string_view classify_evidence(std::string_view evidence) {
    return kind_name(classify_one(evidence));
}

void classify_hint(DeviceHint& hint) {
    Kind best = Kind::none;
    for (const std::string& e : hint.evidence) best = std::max(best, classify_one(e));
    if (best == Kind::none)
        hint.kind_hint.reset();
    else
        hint.kind_hint = std::string(kind_name(best));
}

}  // namespace egresswatch
