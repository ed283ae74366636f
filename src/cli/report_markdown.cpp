// The report as Markdown: readable as plain text, and as a rendered page.
#include <ostream>

#include "report.hpp"
#include "text.hpp"

namespace egresswatch::cli::report {
namespace {

// Text (much of it from the network) made safe for a Markdown line or table
// cell. '_' stays: inside a word (file names, hostnames) it is not emphasis.
std::string md(std::string_view s) {
    std::string out;
    for (char c : text::terminal_safe(s)) {
        if (c == '|' || c == '*' || c == '`' || c == '[' || c == ']' || c == '<' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

void write_table(std::ostream& out, const std::vector<std::string>& headings, const std::vector<bool>& numeric,
                 const std::vector<std::vector<std::string>>& rows) {
    out << '|';
    for (const auto& h : headings) out << ' ' << md(h) << " |";
    out << "\n|";
    for (bool n : numeric) out << (n ? " ---: |" : " --- |");
    out << '\n';
    for (const auto& row : rows) {
        out << '|';
        for (const auto& cell : row) out << ' ' << md(cell) << " |";
        out << '\n';
    }
    out << '\n';
}

}  // namespace

void write_markdown(const Report& r, std::ostream& out) {
    out << "# " << md(title(r)) << "\n\n" << md(subtitle(r)) << "\n\n";
    for (const Block& b : layout(r)) {
        switch (b.kind) {
            case Block::Kind::Heading: out << std::string(b.level, '#') << ' ' << md(b.text) << "\n\n"; break;
            case Block::Kind::Paragraph: out << md(b.text) << "\n\n"; break;
            case Block::Kind::Facts:
                for (const auto& item : b.items) out << "- " << md(item) << '\n';
                out << '\n';
                break;
            case Block::Kind::Table: write_table(out, b.headings, b.numeric, b.rows); break;
            case Block::Kind::Headline: {
                std::vector<std::vector<std::string>> rows;
                for (const auto& row : b.rows) rows.push_back({row[2], row[1]});
                write_table(out, {"", ""}, {false, true}, rows);
                break;
            }
            case Block::Kind::DailyChart: {
                out << "Bytes sent abroad per day (days not listed: none):\n\n";
                std::vector<std::vector<std::string>> rows;
                for (const DayBytes& day : r.days)
                    if (day.camera_bytes_out || day.iot_bytes_out)
                        rows.push_back({day_text(day.day_us), grouped(day.camera_bytes_out), grouped(day.iot_bytes_out)});
                write_table(out, {"day (UTC)", "cameras", "IoT devices"}, {false, true, true}, rows);
                break;
            }
            case Block::Kind::ShareCharts: break;  // the tables that follow carry the same numbers
        }
    }
}

}  // namespace egresswatch::cli::report
