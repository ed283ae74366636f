// The report as one self-contained HTML page: no scripts, fonts or images
// from anywhere else; the charts are inline SVG, and the page prints to A4.
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "report.hpp"
#include "text.hpp"

namespace egresswatch::cli::report {
namespace {

constexpr const char* kStyle = R"CSS(
:root { --camera: #1f5f99; --iot: #d9822b; --ink: #1b1b1b; --muted: #5c5c5c; --rule: #d0d0d0; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; font-size: 14px; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
p.sub { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .2rem .45rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { font-weight: 600; border-bottom: 1.5px solid var(--ink); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time { font-size: .85em; }
.headline { display: grid; grid-template-columns: repeat(4, 1fr); gap: .6rem; margin: 1rem 0; }
.figure-box { border: 1px solid var(--rule); border-radius: 4px; padding: .5rem .7rem; }
.figure-box .value { font-size: 1.5rem; font-weight: 700; }
.figure-box .what { color: var(--muted); font-size: .85rem; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
figure { margin: 0 0 1rem; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font-family: inherit; font-size: 10px; fill: var(--ink); }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .grid { stroke: var(--rule); stroke-width: 1; }
.camera { fill: var(--camera); } .iot { fill: var(--iot); } .bar { fill: var(--camera); }
.legend span { display: inline-block; width: .8em; height: .8em; margin: 0 .3em 0 1em; vertical-align: -1px; }
.abroad { font-weight: 600; }
.sev-high { color: #a30000; font-weight: 700; } .sev-medium { color: #a35a00; font-weight: 600; }
ul.facts { padding-left: 1.2rem; margin: .3rem 0; }
code { font-size: .85em; word-break: break-all; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  h3, figure, .figure-box, tr, .device-facts { break-inside: avoid; }
  .device { break-inside: auto; }
  .charts { grid-template-columns: 1fr 1fr; }
}
)CSS";

std::string html(std::string_view s) {
    std::string out;
    for (char c : text::terminal_safe(s)) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}


std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// Horizontal bars, one per share of `whole`, labelled with the share.
std::string share_chart(const std::vector<Share>& shares, std::int64_t whole, std::string_view caption) {
    constexpr int kLabelWidth = 190, kBarWidth = 150, kRow = 22, kWidth = kLabelWidth + kBarWidth + 50;
    std::size_t rows = std::min(shares.size(), kTopRows);
    std::int64_t shown = 0;
    for (std::size_t i = 0; i < rows; ++i) shown += shares[i].totals.bytes_out;
    bool has_rest = whole > shown;
    std::size_t lines = rows + (has_rest ? 1 : 0);
    int height = static_cast<int>(std::max<std::size_t>(lines, 1)) * kRow + 6;
    std::string svg = "<figure><figcaption>" + html(caption) + "</figcaption><svg role=\"img\" width=\"100%\"" +
                      " viewBox=\"0 0 " +
                      std::to_string(kWidth) + " " + std::to_string(height) + "\">";
    if (lines == 0) svg += "<text x=\"0\" y=\"15\">Nothing was sent abroad.</text>";
    auto bar = [&](std::size_t i, const std::string& label, std::int64_t bytes) {
        int y = static_cast<int>(i) * kRow + 3;
        double width = whole > 0 ? kBarWidth * static_cast<double>(bytes) / static_cast<double>(whole) : 0;
        svg += "<text x=\"" + std::to_string(kLabelWidth - 6) + "\" y=\"" + std::to_string(y + 14) +
               "\" text-anchor=\"end\">" + html(std::string_view(text::shortened(label, 30))) + "</text>";
        svg += "<rect class=\"bar\" x=\"" + std::to_string(kLabelWidth) + "\" y=\"" + std::to_string(y + 3) +
               "\" width=\"" + number(std::max(width, 1.0)) + "\" height=\"" + std::to_string(kRow - 8) + "\"/>";
        svg += "<text x=\"" + number(kLabelWidth + width + 5) + "\" y=\"" + std::to_string(y + 14) + "\">" +
               percent(bytes, whole) + "</text>";
    };
    for (std::size_t i = 0; i < rows; ++i) bar(i, shares[i].label, shares[i].totals.bytes_out);
    if (has_rest) bar(rows, "all others", whole - shown);
    return svg + "</svg></figure>\n";
}

// Stacked bars of bytes sent abroad per day: cameras below, IoT devices above.
std::string daily_chart(const std::vector<DayBytes>& days) {
    constexpr int kLeft = 60, kTop = 10, kPlotHeight = 160, kBottom = 36, kPlotWidth = 640;
    const int width = kLeft + kPlotWidth + 10, height = kTop + kPlotHeight + kBottom;
    std::int64_t peak = 0;
    for (const DayBytes& d : days) peak = std::max(peak, d.camera_bytes_out + d.iot_bytes_out);
    std::string svg = "<figure><figcaption>Bytes sent abroad per day (UTC)</figcaption>"
                      "<div class=\"legend\"><span class=\"camera\" style=\"background:var(--camera)\"></span>cameras"
                      "<span class=\"iot\" style=\"background:var(--iot)\"></span>IoT devices</div>"
                      "<svg role=\"img\" width=\"100%\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) + "\">";
    int base = kTop + kPlotHeight;
    for (int step = 0; step <= 2; ++step) {
        int y = base - step * kPlotHeight / 2;
        svg += "<line class=\"grid\" x1=\"" + std::to_string(kLeft) + "\" x2=\"" + std::to_string(kLeft + kPlotWidth) +
               "\" y1=\"" + std::to_string(y) + "\" y2=\"" + std::to_string(y) + "\"/>";
        svg += "<text x=\"" + std::to_string(kLeft - 5) + "\" y=\"" + std::to_string(y + 4) + "\" text-anchor=\"end\">" +
               human_bytes(peak * step / 2) + "</text>";
    }
    svg += "<line class=\"axis\" x1=\"" + std::to_string(kLeft) + "\" x2=\"" + std::to_string(kLeft) + "\" y1=\"" +
           std::to_string(kTop) + "\" y2=\"" + std::to_string(base) + "\"/>";
    double slot = days.empty() ? kPlotWidth : static_cast<double>(kPlotWidth) / static_cast<double>(days.size());
    double bar = std::max(slot * 0.7, 1.0);
    std::size_t label_every = std::max<std::size_t>(1, (days.size() + 9) / 10);
    for (std::size_t i = 0; i < days.size(); ++i) {
        double x = kLeft + slot * static_cast<double>(i) + (slot - bar) / 2;
        auto height_of = [&](std::int64_t bytes) {
            return peak > 0 ? kPlotHeight * static_cast<double>(bytes) / static_cast<double>(peak) : 0.0;
        };
        double camera = height_of(days[i].camera_bytes_out), iot = height_of(days[i].iot_bytes_out);
        std::string title = "<title>" + day_text(days[i].day_us) + ": cameras " + grouped(days[i].camera_bytes_out) +
                            " bytes, IoT " + grouped(days[i].iot_bytes_out) + " bytes</title>";
        if (camera > 0)
            svg += "<rect class=\"camera\" x=\"" + number(x) + "\" y=\"" + number(base - camera) + "\" width=\"" +
                   number(bar) + "\" height=\"" + number(camera) + "\">" + title + "</rect>";
        if (iot > 0)
            svg += "<rect class=\"iot\" x=\"" + number(x) + "\" y=\"" + number(base - camera - iot) + "\" width=\"" +
                   number(bar) + "\" height=\"" + number(iot) + "\">" + title + "</rect>";
        if (i % label_every == 0)
            svg += "<text x=\"" + number(x + bar / 2) + "\" y=\"" + std::to_string(base + 14) +
                   "\" text-anchor=\"middle\">" + day_text(days[i].day_us).substr(5) + "</text>";
    }
    if (peak == 0)
        svg += "<text x=\"" + std::to_string(kLeft + 10) + "\" y=\"" + std::to_string(base - 10) +
               "\">Nothing was sent abroad in the period.</text>";
    return svg + "</svg></figure>\n";
}

// A cell's class, from its column and text: numbers align right, severities stand out.
std::string cell_class(const Block& table, std::size_t column, const std::string& cell) {
    if (table.numeric[column]) return " class=\"num\"";
    if (table.headings[column] == "severity" && (cell == "high" || cell == "medium")) return " class=\"sev-" + cell + "\"";
    if (cell.ends_with("(abroad)")) return " class=\"abroad\"";
    if (cell.size() >= 20 && cell[4] == '-' && cell[10] == 'T') return " class=\"time\"";
    return "";
}

void write_table(std::ostream& out, const Block& t) {
    out << "<table><tr>";
    for (std::size_t i = 0; i < t.headings.size(); ++i)
        out << "<th" << (t.numeric[i] ? " class=\"num\"" : "") << ">" << html(t.headings[i]) << "</th>";
    out << "</tr>\n";
    for (const auto& row : t.rows) {
        out << "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i) out << "<td" << cell_class(t, i, row[i]) << ">" << html(row[i]) << "</td>";
        out << "</tr>\n";
    }
    out << "</table>\n";
}

}  // namespace

void write_html(const Report& r, std::ostream& out) {
    const Headline& h = r.headline;
    std::int64_t abroad_out = h.camera_abroad.bytes_out + h.iot_abroad_totals.bytes_out;
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" << html(title(r))
        << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n<h1>" << html(title(r)) << "</h1>\n"
        << "<p class=\"sub\">" << html(subtitle(r)) << "</p>\n";
    bool in_device = false;  // a device's heading opens a section, the next heading closes it
    for (const Block& b : layout(r)) {
        switch (b.kind) {
            case Block::Kind::Heading:
                if (in_device) out << "</section>\n";
                in_device = b.device;
                if (in_device) out << "<section class=\"device\">";
                out << "<h" << b.level << ">" << html(b.text) << "</h" << b.level << ">\n";
                break;
            case Block::Kind::Paragraph: out << "<p>" << html(b.text) << "</p>\n"; break;
            case Block::Kind::Facts:
                out << "<ul class=\"facts\">";
                for (const auto& item : b.items) out << "<li>" << html(item) << "</li>";
                out << "</ul>\n";
                break;
            case Block::Kind::Table: write_table(out, b); break;
            case Block::Kind::Headline:
                out << "<div class=\"headline\">\n";
                for (const auto& row : b.rows)
                    out << "<div class=\"figure-box\"><div class=\"value\" id=\"" << row[0] << "\">" << html(row[1])
                        << "</div><div class=\"what\">" << html(row[2]) << "</div></div>\n";
                out << "</div>\n";
                break;
            case Block::Kind::DailyChart: out << daily_chart(r.days); break;
            case Block::Kind::ShareCharts: {
                std::int64_t device_total = 0;
                for (const Share& s : r.top_devices) device_total += s.totals.bytes_out;
                out << "<div class=\"charts\">\n"
                    << share_chart(r.countries, abroad_out, "Share of bytes sent abroad by destination country")
                    << share_chart(r.networks, abroad_out, "Share of bytes sent abroad by destination network")
                    << share_chart(r.top_devices, device_total, "Top devices by bytes sent abroad") << "</div>\n";
                break;
            }
        }
    }
    if (in_device) out << "</section>\n";
    out << "</body>\n</html>\n";
}

}  // namespace egresswatch::cli::report
