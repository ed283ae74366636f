#include "egresswatch/discovery.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "egresswatch/common/utf8.hpp"

namespace egresswatch {

namespace {

constexpr size_t kMaxField = 128;     // hostname, vendor, model and message fields
constexpr size_t kMaxEvidenceLength = 160;
constexpr size_t kMaxHeaderValue = 256;

// ---- text ---------------------------------------------------------------------

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

size_t ifind(std::string_view s, std::string_view needle, size_t from = 0) {
    if (needle.empty()) return from <= s.size() ? from : std::string_view::npos;
    for (size_t i = from; i + needle.size() <= s.size(); ++i)
        if (iequals(s.substr(i, needle.size()), needle)) return i;
    return std::string_view::npos;
}

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

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// Untrusted bytes -> text that is safe to store and print: ends at the first
// NUL, blanks trimmed, control characters and invalid UTF-8 bytes become '?',
// at most max bytes (never cutting a UTF-8 sequence).
std::string clean_text(std::string_view in, size_t max) {
    size_t nul = in.find('\0');
    if (nul != std::string_view::npos) in = in.substr(0, nul);
    in = trim(in);
    std::string out;
    out.reserve(std::min(in.size(), max));
    size_t i = 0;
    while (i < in.size()) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c < 0x80) {
            if (out.size() + 1 > max) break;
            out += c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
            ++i;
            continue;
        }
        size_t n = utf8::sequence_length(in, i);
        if (n == 0) {
            if (out.size() + 1 > max) break;
            out += '?';
            ++i;
            continue;
        }
        if (out.size() + n > max) break;
        out.append(in.substr(i, n));
        i += n;
    }
    return std::string(trim(out));
}

std::optional<std::string> clean_field(std::string_view raw, size_t max = kMaxField) {
    std::string s = clean_text(raw, max);
    if (s.empty()) return std::nullopt;
    return s;
}

void add_evidence(DeviceHint& hint, std::string_view key, std::string_view value) {
    if (hint.evidence.size() >= kMaxEvidence) return;
    std::string v = clean_text(value, kMaxEvidenceLength - std::min(kMaxEvidenceLength, key.size() + 1));
    if (v.empty()) return;
    std::string e;
    e.reserve(key.size() + 1 + v.size());
    e.append(key);
    e += ':';
    e += v;
    if (std::find(hint.evidence.begin(), hint.evidence.end(), e) == hint.evidence.end())
        hint.evidence.push_back(std::move(e));
}

void set_once(std::optional<std::string>& field, std::string_view value) {
    if (field) return;
    field = clean_field(value);
}

std::string_view view(const uint8_t* data, size_t len) {
    return {reinterpret_cast<const char*>(data), len};
}

// ---- the vocabulary -------------------------------------------------------------

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

// ---- XML by string scanning --------------------------------------------------------

bool is_xml_name_char(char c) {
    return is_alnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

std::string_view local_part(std::string_view qname) {
    size_t colon = qname.rfind(':');
    return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

std::string_view prefix_part(std::string_view qname) {
    size_t colon = qname.rfind(':');
    return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

struct StartTag {
    size_t at = 0;          // the '<'
    size_t content = 0;     // just past the '>'
    bool self_closing = false;
    std::string_view qname;
};

// The next start tag at or after `from` whose local name (any namespace
// prefix) is `local`, compared ASCII case-insensitively.
std::optional<StartTag> find_start_tag(std::string_view xml, std::string_view local, size_t from) {
    size_t i = from;
    while ((i = xml.find('<', i)) != std::string_view::npos) {
        size_t n = i + 1;
        size_t end = n;
        while (end < xml.size() && is_xml_name_char(xml[end])) ++end;
        std::string_view qname = xml.substr(n, end - n);
        if (qname.empty() || !iequals(local_part(qname), local)) {
            i = end > n ? end : n;
            continue;
        }
        if (end < xml.size() && !is_blank(xml[end]) && xml[end] != '>' && xml[end] != '/') {
            i = end;
            continue;
        }
        size_t gt = xml.find('>', end);
        if (gt == std::string_view::npos) return std::nullopt;
        return StartTag{i, gt + 1, xml[gt - 1] == '/', qname};
    }
    return std::nullopt;
}

// The text of the next element named `local` at or after `from` (up to its
// end tag, any prefix); `from` moves past it. nullopt if there is none, or
// it has no end tag.
std::optional<std::string_view> next_element_text(std::string_view xml, std::string_view local,
                                                  size_t& from) {
    auto tag = find_start_tag(xml, local, from);
    if (!tag) return std::nullopt;
    if (tag->self_closing) {
        from = tag->content;
        return std::string_view{};
    }
    size_t j = tag->content;
    while ((j = xml.find("</", j)) != std::string_view::npos) {
        size_t k = j + 2;
        size_t end = k;
        while (end < xml.size() && is_xml_name_char(xml[end])) ++end;
        if (iequals(local_part(xml.substr(k, end - k)), local)) {
            size_t gt = xml.find('>', end);
            from = gt == std::string_view::npos ? xml.size() : gt + 1;
            return xml.substr(tag->content, j - tag->content);
        }
        j = end > k ? end : k;
    }
    return std::nullopt;
}

std::optional<std::string_view> element_text(std::string_view xml, std::string_view local,
                                             size_t from = 0) {
    return next_element_text(xml, local, from);
}

// The five predefined entities and ASCII character references; anything else
// is kept as written.
std::string xml_unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        if (s[i] != '&') {
            out += s[i++];
            continue;
        }
        size_t semi = s.find(';', i);
        if (semi == std::string_view::npos || semi - i > 8) {
            out += s[i++];
            continue;
        }
        std::string_view ent = s.substr(i + 1, semi - i - 1);
        char c = 0;
        if (ent == "amp") c = '&';
        else if (ent == "lt") c = '<';
        else if (ent == "gt") c = '>';
        else if (ent == "quot") c = '"';
        else if (ent == "apos") c = '\'';
        else if (ent.size() >= 2 && ent[0] == '#') {
            unsigned v = 0;
            bool hex = ent[1] == 'x' || ent[1] == 'X';
            bool ok = ent.size() > (hex ? 2u : 1u);
            for (size_t k = hex ? 2 : 1; ok && k < ent.size(); ++k) {
                char d = ent[k];
                unsigned digit = d >= '0' && d <= '9' ? unsigned(d - '0')
                                 : hex && lower(d) >= 'a' && lower(d) <= 'f' ? unsigned(lower(d) - 'a' + 10)
                                                                            : 99u;
                if (digit >= (hex ? 16u : 10u)) ok = false;
                else v = v * (hex ? 16 : 10) + digit;
                if (v > 0x7f) ok = false;
            }
            if (ok && v > 0) c = static_cast<char>(v);
        }
        if (c == 0) {
            out += s[i++];
            continue;
        }
        out += c;
        i = semi + 1;
    }
    return out;
}

std::vector<std::string_view> split_blank(std::string_view s, size_t max) {
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < s.size() && parts.size() < max) {
        while (i < s.size() && is_blank(s[i])) ++i;
        size_t j = i;
        while (j < s.size() && !is_blank(s[j])) ++j;
        if (j > i) parts.push_back(s.substr(i, j - i));
        i = j;
    }
    return parts;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The namespace URI bound to `prefix` by an xmlns:prefix="..." anywhere in
// the document (WS-Discovery messages declare them all on the Envelope).
std::string_view namespace_of(std::string_view xml, std::string_view prefix) {
    if (prefix.empty()) return {};
    std::string needle = "xmlns:";
    needle.append(prefix);
    for (size_t at = xml.find(needle); at != std::string_view::npos;
         at = xml.find(needle, at + 1)) {
        size_t p = at + needle.size();
        while (p < xml.size() && is_blank(xml[p])) ++p;
        if (p >= xml.size() || xml[p] != '=') continue;
        ++p;
        while (p < xml.size() && is_blank(xml[p])) ++p;
        if (p >= xml.size() || (xml[p] != '"' && xml[p] != '\'')) continue;
        char quote = xml[p];
        size_t close = xml.find(quote, p + 1);
        if (close == std::string_view::npos) return {};
        return xml.substr(p + 1, close - p - 1);
    }
    return {};
}

// ---- JSON by key -------------------------------------------------------------------

// The string value of the first "key": "..." at or after `from` (exact,
// case-sensitive key). Escapes \" \\ \/ \b \f \n \r \t are decoded; \uXXXX
// becomes '?' unless it is ASCII. Values that are not strings are skipped.
std::optional<std::string> json_string(std::string_view json, std::string_view key,
                                       size_t from = 0, size_t* found_at = nullptr) {
    std::string needle = "\"";
    needle.append(key);
    needle += '"';
    for (size_t at = json.find(needle, from); at != std::string_view::npos;
         at = json.find(needle, at + 1)) {
        size_t p = at + needle.size();
        while (p < json.size() && is_blank(json[p])) ++p;
        if (p >= json.size() || json[p] != ':') continue;
        ++p;
        while (p < json.size() && is_blank(json[p])) ++p;
        if (p >= json.size() || json[p] != '"') continue;
        ++p;
        std::string out;
        bool closed = false;
        while (p < json.size() && out.size() < 2 * kMaxField) {
            char c = json[p];
            if (c == '"') {
                closed = true;
                break;
            }
            if (c != '\\') {
                out += c;
                ++p;
                continue;
            }
            if (p + 1 >= json.size()) break;
            char e = json[p + 1];
            p += 2;
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                unsigned v = 0;
                bool ok = json.size() - p >= 4;
                for (size_t k = 0; ok && k < 4; ++k) {
                    int d = hex_value(json[p + k]);
                    if (d < 0) ok = false;
                    else v = v << 4 | static_cast<unsigned>(d);
                }
                if (ok) p += 4;
                out += ok && v >= 0x20 && v < 0x7f ? static_cast<char>(v) : '?';
                break;
            }
            default: out += e; break;  // \" \\ \/ and anything else as itself
            }
        }
        if (!closed && out.size() < 2 * kMaxField) return std::nullopt;  // cut short
        if (found_at) *found_at = at;
        return out;
    }
    return std::nullopt;
}

// ---- DHCP ----------------------------------------------------------------------------

uint32_t get32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
           static_cast<uint32_t>(p[2]) << 8 | p[3];
}

std::optional<IpAddress> nonzero_v4(const uint8_t* p) {
    if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) return std::nullopt;
    return IpAddress::v4(p);
}

struct DhcpOptions {
    static constexpr size_t kMaxOption = 1024;  // per option, after RFC 3396 concatenation
    std::string hostname, vendor_class, params, client_id, fqdn;
    bool has_hostname = false, has_vendor = false, has_params = false, has_client_id = false,
         has_fqdn = false;
    std::optional<uint8_t> message_type;
    std::optional<uint8_t> overload;
    std::optional<IpAddress> requested_ip;
    bool truncated = false;

    void concat(std::string& to, bool& has, const uint8_t* v, size_t n) {
        has = true;
        size_t room = kMaxOption - std::min(kMaxOption, to.size());
        to.append(reinterpret_cast<const char*>(v), std::min(n, room));
    }

    void parse_area(const uint8_t* d, size_t begin, size_t end, bool allow_overload) {
        size_t p = begin;
        while (p < end) {
            uint8_t code = d[p];
            if (code == 0) {  // pad
                ++p;
                continue;
            }
            if (code == 255) return;  // end
            if (end - p < 2) {
                truncated = true;
                return;
            }
            size_t n = d[p + 1];
            if (n > end - p - 2) {
                truncated = true;
                return;
            }
            const uint8_t* v = d + p + 2;
            switch (code) {
            case 12: concat(hostname, has_hostname, v, n); break;
            case 60: concat(vendor_class, has_vendor, v, n); break;
            case 55: concat(params, has_params, v, n); break;
            case 61: concat(client_id, has_client_id, v, n); break;
            case 81: concat(fqdn, has_fqdn, v, n); break;
            case 53:
                if (n >= 1 && !message_type) message_type = v[0];
                break;
            case 50:
                if (n == 4 && !requested_ip) requested_ip = IpAddress::v4(v);
                break;
            case 52:
                if (n >= 1 && allow_overload && !overload) overload = v[0];
                break;
            default: break;
            }
            p += 2 + n;
        }
    }
};

// RFC 4702 option 81: flags, two obsolete RCODE octets, then the name in
// wire form (E bit, 0x04) or, deprecated, ASCII.
std::optional<std::string> decode_fqdn(std::string_view raw) {
    if (raw.size() < 4) return std::nullopt;
    uint8_t flags = static_cast<uint8_t>(raw[0]);
    std::string_view name = raw.substr(3);
    std::string out;
    if (flags & 0x04) {
        size_t p = 0;
        while (p < name.size()) {
            size_t n = static_cast<uint8_t>(name[p]);
            if (n == 0 || (n & 0xc0) || n > name.size() - p - 1) break;
            if (!out.empty()) out += '.';
            out.append(name.substr(p + 1, n));
            p += 1 + n;
            if (out.size() > 255) break;
        }
    } else {
        out.assign(name);
    }
    for (char& c : out) c = lower(c);
    while (!out.empty() && out.back() == '.') out.pop_back();
    return clean_field(out, 255);
}

std::string params_text(std::string_view params) {
    std::string s;
    for (unsigned char code : params) {
        std::string item = std::to_string(code);
        if (s.size() + 1 + item.size() > kMaxEvidenceLength - 12) break;
        if (!s.empty()) s += ',';
        s += item;
    }
    return s;
}

// ---- mDNS ------------------------------------------------------------------------------

// Splits "instance._svc._tcp.local" at the first '.' that is not escaped.
size_t first_label_end(std::string_view name) {
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\') {
            ++i;
            continue;
        }
        if (name[i] == '.') return i;
    }
    return std::string_view::npos;
}

bool is_service_type(std::string_view name) {
    return !name.empty() && name[0] == '_' &&
           (name.find("._tcp") != std::string_view::npos || name.find("._udp") != std::string_view::npos);
}

std::string_view strip_local(std::string_view host) {
    if (iends_with(host, ".local")) host.remove_suffix(6);
    return host;
}

void mdns_record(DeviceHint& h, const DnsRecord& rr) {
    switch (rr.type) {
    case dns_type::ptr:
        if (rr.name == "_services._dns-sd._udp.local") {
            if (is_service_type(rr.target)) add_evidence(h, "mdns", rr.target);
        } else if (iends_with(rr.name, ".in-addr.arpa") || iends_with(rr.name, ".ip6.arpa")) {
            set_once(h.hostname, strip_local(rr.target));
        } else if (is_service_type(rr.name)) {
            add_evidence(h, "mdns", rr.name);
            std::string_view target = rr.target;
            if (target.size() > rr.name.size() + 1 && iends_with(target, rr.name) &&
                target[target.size() - rr.name.size() - 1] == '.')
                add_evidence(h, "mdns-instance", target.substr(0, target.size() - rr.name.size() - 1));
        }
        break;
    case dns_type::srv: {
        std::string_view owner = rr.name;
        size_t dot = first_label_end(owner);
        if (dot != std::string_view::npos && is_service_type(owner.substr(dot + 1))) {
            add_evidence(h, "mdns", owner.substr(dot + 1));
            add_evidence(h, "mdns-instance", owner.substr(0, dot));
        }
        if (!rr.target.empty()) {
            set_once(h.hostname, strip_local(rr.target));
            add_evidence(h, "mdns-host", rr.target);
        }
        break;
    }
    case dns_type::a:
    case dns_type::aaaa:
        if (iends_with(rr.name, ".local") && rr.name.size() > 6) {
            set_once(h.hostname, strip_local(rr.name));
            add_evidence(h, "mdns-host", rr.name);
        }
        break;
    case dns_type::txt: {
        bool hap = rr.name.find("._hap._tcp") != std::string::npos;
        for (const std::string& s : rr.txt) {
            std::string_view kv = s;
            size_t eq = kv.find('=');
            if (eq == std::string_view::npos) continue;
            std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
            if (iequals(key, "md") || iequals(key, "model")) {
                set_once(h.model, value);
                add_evidence(h, "mdns-model", value);
            } else if (iequals(key, "manufacturer") || iequals(key, "vendor")) {
                set_once(h.vendor, value);
            } else if (hap && iequals(key, "ci")) {
                add_evidence(h, "hap-ci", value);
            }
        }
        break;
    }
    default: break;
    }
}

// ---- Dahua binary (UDP 5050) -------------------------------------------------------------

// Layout from a public description of the reply (UniversalScanner's Dahua v1
// engine): byte 0 magic 0xb3 (0xa3 in the request), byte 2 the length of
// section 2, bytes 0x14-0x15 (little-endian) the length of section 3; a
// 0x78-byte section 1 with the device type as 16 NUL-padded bytes at 0x28;
// section 2 the MAC as text (17 bytes) then, optionally, the device type;
// section 3 "Key:Value" lines (SerialNo, IPv6Addr, ...).
std::optional<DahuaDiscoveryMessage> parse_dahua_binary(const uint8_t* d, size_t len) {
    constexpr size_t kSection1 = 0x78;
    DahuaDiscoveryMessage m;
    m.binary = true;
    if (d[0] == 0xa3) {
        if (len < 32) return std::nullopt;
        m.is_search = true;
        return m;
    }
    if (d[0] != 0xb3 || len < kSection1) return std::nullopt;
    size_t section2 = std::min<size_t>(d[2], len - kSection1);
    size_t section3 = std::min<size_t>(static_cast<size_t>(d[0x14]) | static_cast<size_t>(d[0x15]) << 8,
                                       len - kSection1 - section2);
    m.device_type = clean_field(view(d + 0x28, 16));
    std::string_view s2 = view(d + kSection1, section2);
    if (s2.size() >= 17) {
        m.mac = clean_field(s2.substr(0, 17));
        if (auto t = clean_field(s2.substr(17))) m.device_type = t;
    } else {
        m.mac = clean_field(s2);
    }
    std::string_view s3 = view(d + kSection1 + section2, section3);
    size_t lines = 0;
    while (!s3.empty() && lines++ < 64) {
        size_t nl = s3.find('\n');
        std::string_view line = s3.substr(0, nl);
        s3 = nl == std::string_view::npos ? std::string_view{} : s3.substr(nl + 1);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        if (trim(line.substr(0, colon)) == "SerialNo") m.serial = clean_field(line.substr(colon + 1));
    }
    if (!m.device_type && !m.serial && !m.mac) return std::nullopt;
    return m;
}

void dahua_hint(DahuaDiscoveryMessage& m) {
    if (m.is_search) return;
    DeviceHint& h = m.hint;
    if (m.device_type) {
        h.model = m.device_type;
        add_evidence(h, "dahua-discovery", *m.device_type);
    }
    if (m.device_class) add_evidence(h, "dahua-class", *m.device_class);
    if (m.vendor) {
        h.vendor = m.vendor;
        add_evidence(h, "dahua-vendor", *m.vendor);
    }
    if (m.version) add_evidence(h, "dahua-firmware", *m.version);
    if (m.machine_name) h.hostname = m.machine_name;
    // Without a model or class the message is still Dahua discovery.
    if (!m.device_type && !m.device_class) add_evidence(h, "dahua-discovery", "unknown");
    classify_hint(h);
}

}  // namespace

// ---- classification -------------------------------------------------------------------------

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

void merge_hint(DeviceHint& into, const DeviceHint& from) {
    if (!into.hostname) into.hostname = from.hostname;
    if (!into.vendor) into.vendor = from.vendor;
    if (!into.model) into.model = from.model;
    for (const std::string& e : from.evidence) {
        if (into.evidence.size() >= kMaxEvidence) break;
        if (std::find(into.evidence.begin(), into.evidence.end(), e) == into.evidence.end())
            into.evidence.push_back(e);
    }
    classify_hint(into);
}

// ---- DHCP -----------------------------------------------------------------------------------

std::optional<DhcpMessage> parse_dhcp(const uint8_t* d, size_t len) {
    constexpr size_t kSname = 44, kFile = 108, kCookie = 236, kOptions = 240;
    if (d == nullptr || len < kOptions) return std::nullopt;
    if ((d[0] != 1 && d[0] != 2) || d[2] > 16) return std::nullopt;
    if (get32(d + kCookie) != 0x63825363) return std::nullopt;

    DhcpMessage m;
    m.op = d[0];
    m.xid = get32(d + 4);
    if (d[1] == 1 && d[2] == 6) {
        MacAddress mac;
        std::memcpy(mac.data(), d + 28, 6);
        m.client_mac = mac;
    }
    m.client_ip = nonzero_v4(d + 12);
    m.your_ip = nonzero_v4(d + 16);

    DhcpOptions o;
    o.parse_area(d, kOptions, len, true);
    // Option 52 overload (RFC 2132 9.3): options continue in file, then sname.
    if (o.overload && (*o.overload & 1)) o.parse_area(d, kFile, kCookie, false);
    if (o.overload && (*o.overload & 2)) o.parse_area(d, kSname, kFile, false);

    m.message_type = o.message_type;
    m.requested_ip = o.requested_ip;
    if (o.has_hostname) m.hostname = clean_field(o.hostname);
    if (o.has_vendor) m.vendor_class = clean_field(o.vendor_class);
    m.parameter_list.assign(o.params.begin(), o.params.end());
    m.client_id.assign(o.client_id.begin(), o.client_id.end());
    if (o.has_fqdn) m.fqdn = decode_fqdn(o.fqdn);
    m.options_truncated = o.truncated;

    if (m.op == 1) {
        DeviceHint& h = m.hint;
        if (m.hostname) {
            h.hostname = m.hostname;
            add_evidence(h, "dhcp-hostname", *m.hostname);
        }
        if (m.fqdn) {
            if (!h.hostname) h.hostname = clean_field(std::string_view(*m.fqdn).substr(0, m.fqdn->find('.')));
            add_evidence(h, "dhcp-fqdn", *m.fqdn);
        }
        if (m.vendor_class) add_evidence(h, "dhcp-vendor-class", *m.vendor_class);
        if (!o.params.empty()) add_evidence(h, "dhcp-params", params_text(o.params));
        classify_hint(h);
    }
    return m;
}

// ---- mDNS -----------------------------------------------------------------------------------

DeviceHint parse_mdns_hints(const DnsMessage& message) {
    DeviceHint h;
    if (message.is_response) {
        for (const DnsRecord& rr : message.answers) mdns_record(h, rr);
        for (const DnsRecord& rr : message.additionals) mdns_record(h, rr);
    } else {
        // A probe: the records the sender proposes for itself.
        for (const DnsRecord& rr : message.authorities) mdns_record(h, rr);
        size_t asked = 0;
        for (const DnsQuestion& q : message.questions) {
            if ((q.type == dns_type::ptr || q.type == dns_type::any) && is_service_type(q.name) &&
                asked++ < 8)
                add_evidence(h, "mdns-query", q.name);
        }
    }
    classify_hint(h);
    return h;
}

// ---- SSDP -----------------------------------------------------------------------------------

std::optional<SsdpMessage> parse_ssdp(const uint8_t* payload, size_t len) {
    if (payload == nullptr) return std::nullopt;
    std::string_view text = view(payload, std::min<size_t>(len, 8192));
    size_t nul = text.find('\0');
    if (nul != std::string_view::npos) text = text.substr(0, nul);

    auto next_line = [&text]() {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return line;
    };

    SsdpMessage m;
    std::string_view first = next_line();
    if (istarts_with(first, "NOTIFY ")) {
        m.kind = SsdpKind::notify;
    } else if (istarts_with(first, "M-SEARCH ")) {
        m.kind = SsdpKind::search;
    } else if (istarts_with(first, "HTTP/1.") && first.size() >= 12 && first.substr(8, 4) == " 200") {
        m.kind = SsdpKind::response;
    } else {
        return std::nullopt;
    }

    for (int count = 0; count < 64 && !text.empty(); ++count) {
        std::string_view line = next_line();
        if (trim(line).empty()) break;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = trim(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        std::optional<std::string>* field = nullptr;
        if (iequals(name, "SERVER")) field = &m.server;
        else if (iequals(name, "USER-AGENT")) field = &m.user_agent;
        else if (iequals(name, "USN")) field = &m.usn;
        else if (iequals(name, "NT")) field = &m.nt;
        else if (iequals(name, "NTS")) field = &m.nts;
        else if (iequals(name, "ST")) field = &m.st;
        else if (iequals(name, "LOCATION")) field = &m.location;
        if (field && !*field) *field = clean_field(value, kMaxHeaderValue);
    }

    DeviceHint& h = m.hint;
    // uuid:... names one unit, not a kind of device. In announcements, a
    // device also announces each of its services (a WeMo plug a dozen): only
    // device and vendor types (and upnp:rootdevice) are kept, so services
    // cannot crowd out the rest. What a search asks for is kept.
    auto type_evidence = [&h](std::string_view key, const std::optional<std::string>& type,
                              bool announced) {
        if (!type || istarts_with(*type, "uuid:")) return;
        if (announced && ifind(*type, ":service:") != std::string_view::npos) return;
        add_evidence(h, key, *type);
    };
    if (m.kind == SsdpKind::search) {
        if (m.user_agent) add_evidence(h, "ssdp-user-agent", *m.user_agent);
        type_evidence("ssdp-search", m.st, false);
    } else {
        if (m.server) add_evidence(h, "ssdp-server", *m.server);
        if (m.user_agent) add_evidence(h, "ssdp-user-agent", *m.user_agent);
        type_evidence("ssdp-nt", m.kind == SsdpKind::notify ? m.nt : m.st, true);
    }
    classify_hint(h);
    return m;
}

// ---- WS-Discovery -----------------------------------------------------------------------------

std::optional<WsDiscoveryMessage> parse_ws_discovery(const uint8_t* payload, size_t len) {
    if (payload == nullptr) return std::nullopt;
    std::string_view xml = view(payload, std::min<size_t>(len, 65535));
    auto envelope = find_start_tag(xml, "Envelope", 0);
    if (!envelope) return std::nullopt;

    WsDiscoveryMessage m;
    bool known = false;
    if (auto action = element_text(xml, "Action", envelope->content)) {
        std::string_view a = trim(*action);
        std::string_view last = a.substr(a.rfind('/') == std::string_view::npos ? 0 : a.rfind('/') + 1);
        static constexpr std::pair<std::string_view, WsDiscoveryKind> kActions[] = {
            {"Probe", WsDiscoveryKind::probe},
            {"ProbeMatches", WsDiscoveryKind::probe_matches},
            {"Hello", WsDiscoveryKind::hello},
            {"Bye", WsDiscoveryKind::bye},
            {"Resolve", WsDiscoveryKind::resolve},
            {"ResolveMatches", WsDiscoveryKind::resolve_matches},
        };
        for (auto [name, kind] : kActions)
            if (last == name) {
                m.kind = kind;
                known = true;
            }
    }
    if (!known) {
        // No (or an unknown) Action: the body element says what it is.
        static constexpr std::pair<std::string_view, WsDiscoveryKind> kBodies[] = {
            {"ProbeMatches", WsDiscoveryKind::probe_matches},
            {"ResolveMatches", WsDiscoveryKind::resolve_matches},
            {"Hello", WsDiscoveryKind::hello},
            {"Bye", WsDiscoveryKind::bye},
            {"Probe", WsDiscoveryKind::probe},
            {"Resolve", WsDiscoveryKind::resolve},
        };
        for (auto [name, kind] : kBodies)
            if (find_start_tag(xml, name, envelope->content)) {
                m.kind = kind;
                known = true;
                break;
            }
    }
    if (!known) return std::nullopt;

    constexpr size_t kMaxItems = 16;
    std::vector<std::string> type_qnames;
    size_t from = envelope->content;
    for (size_t n = 0; n < kMaxItems; ++n) {
        auto text = next_element_text(xml, "Types", from);
        if (!text) break;
        for (std::string_view t : split_blank(*text, kMaxItems)) {
            if (m.types.size() >= kMaxItems) break;
            if (auto local = clean_field(local_part(t))) {
                m.types.push_back(*local);
                type_qnames.emplace_back(t);
            }
        }
    }
    from = envelope->content;
    for (size_t n = 0; n < kMaxItems; ++n) {
        auto text = next_element_text(xml, "Scopes", from);
        if (!text) break;
        const std::string unescaped = xml_unescape(*text);
        for (std::string_view s : split_blank(unescaped, kMaxItems)) {
            if (m.scopes.size() >= kMaxItems) break;
            if (auto c = clean_field(s, kMaxHeaderValue)) m.scopes.push_back(*c);
        }
    }
    from = envelope->content;
    for (size_t n = 0; n < kMaxItems; ++n) {
        auto text = next_element_text(xml, "XAddrs", from);
        if (!text) break;
        const std::string unescaped = xml_unescape(*text);
        for (std::string_view s : split_blank(unescaped, kMaxItems)) {
            if (m.xaddrs.size() >= kMaxItems) break;
            if (auto c = clean_field(s, kMaxHeaderValue)) m.xaddrs.push_back(*c);
        }
    }
    if (auto ref = find_start_tag(xml, "EndpointReference", envelope->content))
        if (auto address = element_text(xml, "Address", ref->content))
            m.endpoint = clean_field(xml_unescape(*address), kMaxHeaderValue);

    DeviceHint& h = m.hint;
    bool about_sender = m.kind == WsDiscoveryKind::probe_matches ||
                        m.kind == WsDiscoveryKind::hello ||
                        m.kind == WsDiscoveryKind::resolve_matches;
    for (size_t i = 0; i < m.types.size(); ++i) {
        const std::string& local = m.types[i];
        std::string_view ns = namespace_of(xml, prefix_part(type_qnames[i]));
        bool onvif = ns.find("onvif.org") != std::string_view::npos ||
                     istarts_with(local, "NetworkVideo");
        if (!about_sender)
            add_evidence(h, "wsd-probe", local);
        else
            add_evidence(h, onvif ? "onvif" : "wsd-type", local);
    }
    if (about_sender) {
        for (const std::string& scope : m.scopes) {
            constexpr std::string_view kOnvif = "onvif://www.onvif.org/";
            if (!istarts_with(scope, kOnvif)) continue;
            std::string_view rest = std::string_view(scope).substr(kOnvif.size());
            size_t slash = rest.find('/');
            if (slash == std::string_view::npos) continue;
            std::string_view category = rest.substr(0, slash);
            std::string value = percent_decode(rest.substr(slash + 1));
            if (iequals(category, "type")) {
                add_evidence(h, "onvif-scope-type", value);
            } else if (iequals(category, "hardware")) {
                set_once(h.model, value);
                add_evidence(h, "onvif-hardware", value);
            } else if (iequals(category, "name")) {
                add_evidence(h, "onvif-name", value);
            } else if (iequals(category, "location")) {
                add_evidence(h, "onvif-location", value);
            } else if (iequals(category, "Profile")) {
                add_evidence(h, "onvif-profile", value);
            }
        }
    }
    classify_hint(h);
    return m;
}

// ---- Hikvision SADP -----------------------------------------------------------------------------

std::optional<SadpMessage> parse_hikvision_sadp(const uint8_t* payload, size_t len) {
    if (payload == nullptr) return std::nullopt;
    std::string_view xml = view(payload, std::min<size_t>(len, 65535));
    if (find_start_tag(xml, "Envelope", 0)) return std::nullopt;  // SOAP: WS-Discovery

    SadpMessage m;
    auto root = find_start_tag(xml, "ProbeMatch", 0);
    if (!root) {
        root = find_start_tag(xml, "Probe", 0);
        if (!root) return std::nullopt;
        m.is_probe = true;
    }
    auto field = [&](std::string_view name) -> std::optional<std::string> {
        auto text = element_text(xml, name, root->content);
        if (!text) return std::nullopt;
        return clean_field(xml_unescape(*text));
    };
    m.types = field("Types");
    if (m.is_probe) return m;

    m.device_type = field("DeviceType");
    m.device_description = field("DeviceDescription");
    m.serial = field("DeviceSN");
    m.mac = field("MAC");
    m.ipv4 = field("IPv4Address");
    m.software_version = field("SoftwareVersion");
    m.analog_channels = field("AnalogChannelNum");
    m.digital_channels = field("DigitalChannelNum");
    if (!m.device_type && !m.device_description && !m.serial && !m.mac) return std::nullopt;

    DeviceHint& h = m.hint;
    h.vendor = "Hikvision";  // the protocol's maker; OEM rebrands speak it too
    h.model = m.device_description;
    add_evidence(h, "sadp", m.device_description ? *m.device_description : std::string("unknown"));
    if (m.device_type) add_evidence(h, "sadp-type", *m.device_type);
    if (m.software_version) add_evidence(h, "sadp-firmware", *m.software_version);
    classify_hint(h);
    return m;
}

// ---- Dahua discovery --------------------------------------------------------------------------

std::optional<DahuaDiscoveryMessage> parse_dahua_discovery(const uint8_t* payload, size_t len) {
    if (payload == nullptr || len == 0) return std::nullopt;
    len = std::min<size_t>(len, 65535);

    std::string_view body;
    if (len >= 32 && std::memcmp(payload + 4, "DHIP", 4) == 0) {
        body = view(payload + 32, len - 32);
    } else {
        std::string_view head = view(payload, std::min<size_t>(len, 64));
        size_t brace = head.find('{');
        if (brace == std::string_view::npos) {
            auto binary = parse_dahua_binary(payload, len);
            if (binary) dahua_hint(*binary);
            return binary;
        }
        body = view(payload + brace, len - brace);
    }
    if (body.find('{') == std::string_view::npos) return std::nullopt;

    DahuaDiscoveryMessage m;
    auto str = [&](std::string_view key) -> std::optional<std::string> {
        auto v = json_string(body, key);
        if (!v) return std::nullopt;
        return clean_field(*v);
    };
    m.method = str("method");
    m.device_type = str("DeviceType");
    m.device_class = str("DeviceClass");
    m.serial = str("SerialNo");
    m.vendor = str("Vendor");
    m.version = str("Version");
    m.machine_name = str("MachineName");
    m.mac = str("mac");
    if (!m.mac) m.mac = str("Mac");
    size_t v4 = body.find("\"IPv4Address\"");
    if (v4 != std::string_view::npos)
        if (auto ip = json_string(body, "IPAddress", v4)) m.ipv4 = clean_field(*ip);

    if (m.method && *m.method == "DHDiscover.search") {
        m.is_search = true;
        return m;
    }
    if (!m.method && !m.device_type && !m.serial && !m.device_class) return std::nullopt;
    dahua_hint(m);
    return m;
}

}  // namespace egresswatch
