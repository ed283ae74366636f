#include "output.hpp"

#include <algorithm>
#include <string>

#include <egresswatch/common/json.hpp>
#include <egresswatch/common/utf8.hpp>

#include "text.hpp"
#include "time_format.hpp"

namespace egresswatch::cli {
namespace {

constexpr std::string_view kListSeparator = "; ";

// A non-null value as plain text (CSV and table cells); tables show times in
// the display zone (--tz), CSV in UTC.
std::string plain_text(const Value& value, ColumnKind kind, bool display_time = false) {
    if (const auto* n = std::get_if<std::int64_t>(&value))
        return kind == ColumnKind::Time ? (display_time ? format_display_time(*n) : format_time(*n))
                                        : std::to_string(*n);
    if (const auto* s = std::get_if<std::string>(&value)) return *s;
    std::string out;
    if (const auto* items = std::get_if<std::vector<std::string>>(&value)) {
        for (std::size_t i = 0; i < items->size(); ++i) {
            if (i) out += kListSeparator;
            out += (*items)[i];
        }
    }
    return out;
}

// An array with one object per line, or (JSON lines) just the objects.
class JsonFormatter : public Formatter {
public:
    JsonFormatter(const std::vector<Column>& columns, bool lines, std::string_view section, std::ostream& out)
        : columns_(columns), lines_(lines), section_(section), out_(out) {}

    void row(const Row& row) override {
        line_.clear();
        if (lines_)
            line_ += rows_ ? "\n{" : "{";
        else
            line_ += rows_ ? ",\n  {" : "[\n  {";
        if (!section_.empty()) {
            line_ += "\"section\":";
            json::append_string(line_, section_);
            line_ += ',';
        }
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            if (i) line_ += ',';
            json::append_string(line_, columns_[i].name);
            line_ += ':';
            append_value(row[i], columns_[i].kind);
        }
        line_ += '}';
        out_ << line_;
        ++rows_;
    }

    void finish() override {
        if (lines_)
            out_ << (rows_ ? "\n" : "");
        else
            out_ << (rows_ ? "\n]\n" : "[]\n");
    }

private:
    void append_value(const Value& value, ColumnKind kind) {
        if (std::holds_alternative<std::monostate>(value))
            json::append_null(line_);
        else if (const auto* n = std::get_if<std::int64_t>(&value))
            kind == ColumnKind::Time ? json::append_string(line_, format_time(*n))
                                     : json::append_integer(line_, *n);
        else if (const auto* s = std::get_if<std::string>(&value))
            json::append_string(line_, *s);
        else
            json::append_string_array(line_, std::get<std::vector<std::string>>(value));
    }

    const std::vector<Column>& columns_;
    bool lines_;
    std::string section_;
    std::ostream& out_;
    std::string line_;
    std::size_t rows_ = 0;
};

class CsvFormatter : public Formatter {
public:
    CsvFormatter(const std::vector<Column>& columns, std::ostream& out)
        : columns_(columns), out_(out) {}

    void row(const Row& row) override {
        write_header_once();
        line_.clear();
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            if (i) line_ += ',';
            if (!std::holds_alternative<std::monostate>(row[i]))
                append_field(plain_text(row[i], columns_[i].kind));
        }
        out_ << line_ << '\n';
    }

    void finish() override { write_header_once(); }

private:
    void write_header_once() {
        if (header_written_) return;
        header_written_ = true;
        line_.clear();
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            if (i) line_ += ',';
            append_field(columns_[i].name);
        }
        out_ << line_ << '\n';
    }

    void append_field(std::string_view field) { line_ += csv_field(field); }

    const std::vector<Column>& columns_;
    std::ostream& out_;
    std::string line_;
    bool header_written_ = false;
};

class TableFormatter : public Formatter {
public:
    // `width`: the terminal's columns, which the table then fits (0: as wide as it needs).
    TableFormatter(const std::vector<Column>& columns, std::string_view noun, std::ostream& out, std::size_t width)
        : noun_(noun), out_(out), width_(width) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (!columns[i].compact) continue;
            // Fitted to a terminal, lists (reasons) go whole on lines of their own.
            if (width_ && columns[i].kind == ColumnKind::List) {
                below_.push_back(i);
                below_names_.emplace_back(columns[i].name);
                continue;
            }
            shown_.push_back(i);
            kinds_.push_back(columns[i].kind);
            max_widths_.push_back(columns[i].max_width);
            drop_.push_back(columns[i].narrow_drop);
            header_.emplace_back(columns[i].name);
            // Times not in UTC name their zone in the header.
            if (columns[i].kind == ColumnKind::Time && !display_zone_is_utc()) header_.back() += " (" + display_zone() + ")";
            widths_.push_back(header_.back().size());
        }
    }

    void row(const Row& row) override {
        std::vector<std::string> cells;
        cells.reserve(shown_.size());
        for (std::size_t k = 0; k < shown_.size(); ++k) {
            const Value& value = row[shown_[k]];
            std::string cell = std::holds_alternative<std::monostate>(value)
                                   ? "-"
                                   : text::terminal_safe(plain_text(value, kinds_[k], true));
            if (max_widths_[k]) cell = text::shortened(cell, max_widths_[k]);
            widths_[k] = std::max(widths_[k], text::display_width(cell));
            cells.push_back(std::move(cell));
        }
        rows_.push_back(std::move(cells));
        std::vector<std::vector<std::string>> lists;
        for (std::size_t i : below_) {
            std::vector<std::string> items;
            if (const auto* list = std::get_if<std::vector<std::string>>(&row[i]))
                for (const auto& item : *list) items.push_back(text::terminal_safe(item));
            lists.push_back(std::move(items));
        }
        below_rows_.push_back(std::move(lists));
    }

    void finish() override {
        if (width_) fit();
        write_line(header_);
        std::vector<std::string> rule;
        for (std::size_t k = 0; k < widths_.size(); ++k)
            if (!hidden(k)) rule.emplace_back(widths_[k], '-');
        write_line(rule, true);
        for (std::size_t r = 0; r < rows_.size(); ++r) {
            write_line(rows_[r]);
            if (!below_.empty()) write_below(below_rows_[r]);
        }
        out_ << rows_.size() << ' ' << noun_ << '\n';
        if (!dropped_.empty()) {
            std::string note = "(left out to fit " + std::to_string(width_) + " columns:";
            for (std::size_t k : dropped_) note += " " + header_[k];
            for (const auto& line : wrapped(note + "; --format csv has them all)", width_)) out_ << line << '\n';
        }
    }

private:
    static constexpr std::size_t kNarrowest = 10;  // a text column is not cut below this

    bool hidden(std::size_t k) const { return std::find(dropped_.begin(), dropped_.end(), k) != dropped_.end(); }

    std::size_t total_width() const {
        std::size_t total = 0, shown = 0;
        for (std::size_t k = 0; k < widths_.size(); ++k)
            if (!hidden(k)) total += widths_[k], ++shown;
        return total + (shown ? 2 * (shown - 1) : 0);
    }

    // Leaves out the columns that matter least, then cuts the widest text
    // columns short, until the table fits the terminal (or cannot shrink more).
    void fit() {
        while (total_width() > width_) {
            std::size_t best = widths_.size();
            for (std::size_t k = 0; k < widths_.size(); ++k)
                if (!hidden(k) && drop_[k] > 0 && (best == widths_.size() || drop_[k] > drop_[best])) best = k;
            if (best == widths_.size()) break;
            dropped_.push_back(best);
        }
        // Times to the second (the exact ones are in --format csv and json).
        if (total_width() > width_)
            for (std::size_t k = 0; k < widths_.size(); ++k) {
                if (kinds_[k] != ColumnKind::Time) continue;
                widths_[k] = header_[k].size();
                for (auto& cells : rows_) {
                    auto dot = cells[k].find('.');
                    if (dot != std::string::npos) {
                        auto end = cells[k].find_first_not_of("0123456789", dot + 1);
                        cells[k].erase(dot, end == std::string::npos ? std::string::npos : end - dot);
                    }
                    widths_[k] = std::max(widths_[k], text::display_width(cells[k]));
                }
            }
        // Then free text (names, not addresses) is cut short.
        while (total_width() > width_) {
            std::size_t widest = widths_.size();
            for (std::size_t k = 0; k < widths_.size(); ++k)
                if (!hidden(k) && kinds_[k] == ColumnKind::Text && max_widths_[k] && widths_[k] > kNarrowest &&
                    (widest == widths_.size() || widths_[k] > widths_[widest]))
                    widest = k;
            if (widest == widths_.size()) break;
            std::size_t excess = total_width() - width_;
            widths_[widest] = std::max(kNarrowest, widths_[widest] - std::min(excess, widths_[widest]));
        }
        for (auto& cells : rows_)
            for (std::size_t k = 0; k < cells.size(); ++k)
                if (text::display_width(cells[k]) > widths_[k]) cells[k] = text::shortened(cells[k], widths_[k]);
    }

    // "  reasons  country:CN", one item a line, wrapped at spaces to the width.
    void write_below(const std::vector<std::vector<std::string>>& lists) {
        for (std::size_t l = 0; l < lists.size(); ++l) {
            std::string label = "  " + below_names_[l] + "  ";
            std::string indent(label.size(), ' ');
            bool first = true;
            for (const auto& item : lists[l]) {
                for (const auto& piece : wrapped(item, width_ > label.size() + 10 ? width_ - label.size() : 10)) {
                    out_ << (first ? label : indent) << piece << '\n';
                    first = false;
                }
            }
        }
    }

    static std::vector<std::string> wrapped(const std::string& item, std::size_t width) {
        std::vector<std::string> lines;
        std::string rest = item;
        while (text::display_width(rest) > width) {
            // The last space within the width; none: cut at the width.
            std::size_t cut = 0, columns = 0, i = 0;
            for (; i < rest.size() && columns < width; ++i) {
                if ((static_cast<unsigned char>(rest[i]) & 0xC0) != 0x80) ++columns;
                if (rest[i] == ' ') cut = i;
            }
            if (cut == 0) {
                while (i < rest.size() && (static_cast<unsigned char>(rest[i]) & 0xC0) == 0x80) ++i;
                cut = i;
            }
            lines.push_back(rest.substr(0, cut));
            rest = rest.substr(rest[cut] == ' ' ? cut + 1 : cut);
        }
        lines.push_back(rest);
        return lines;
    }

    void write_line(const std::vector<std::string>& all_cells, bool compacted = false) {
        std::vector<std::string> cells;
        std::vector<std::size_t> index;
        for (std::size_t k = 0; k < (compacted ? widths_.size() : all_cells.size()); ++k)
            if (!hidden(k)) index.push_back(k);
        if (compacted) cells = all_cells;
        else
            for (std::size_t k : index) cells.push_back(all_cells[k]);
        std::string line;
        for (std::size_t j = 0; j < cells.size(); ++j) {
            std::size_t k = index[j];
            if (j) line += "  ";
            std::size_t pad = widths_[k] - std::min(widths_[k], text::display_width(cells[j]));
            bool right = kinds_[k] == ColumnKind::Integer;
            if (right) line.append(pad, ' ');
            line += cells[j];
            if (!right && j + 1 < cells.size()) line.append(pad, ' ');
        }
        out_ << line << '\n';
    }

    std::string noun_;
    std::ostream& out_;
    std::size_t width_;
    std::vector<std::size_t> shown_;  // indexes of the compact columns in the grid
    std::vector<ColumnKind> kinds_;
    std::vector<std::size_t> max_widths_;
    std::vector<int> drop_;
    std::vector<std::string> header_;
    std::vector<std::size_t> widths_;
    std::vector<std::vector<std::string>> rows_;
    std::vector<std::size_t> dropped_;  // grid columns left out to fit
    std::vector<std::size_t> below_;    // list columns shown under each row
    std::vector<std::string> below_names_;
    std::vector<std::vector<std::vector<std::string>>> below_rows_;
};

}  // namespace

bool is_number(std::string_view s) {
    std::size_t i = 0;
    auto digits = [&] {
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return i - start;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t mantissa = digits();
    if (i < s.size() && s[i] == '.') {
        ++i;
        mantissa += digits();
    }
    if (mantissa == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (digits() == 0) return false;
    }
    return i == s.size();
}

std::string csv_field(std::string_view field) {
    // A spreadsheet runs a cell that starts with one of these as a formula
    // (OWASP, "CSV Injection"); a number that starts with a sign is still a number.
    bool formula = !field.empty() && std::string_view("=+-@\t\r").find(field.front()) != std::string_view::npos &&
                   !is_number(field);
    std::string text = utf8::replace_controls(field);
    if (!formula && text.find_first_of(",\"") == std::string::npos) return text;
    std::string out = formula ? "\"'" : "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::optional<Format> parse_format(std::string_view name) {
    if (name == "table") return Format::Table;
    if (name == "csv") return Format::Csv;
    if (name == "json") return Format::Json;
    if (name == "jsonl") return Format::Jsonl;
    return std::nullopt;
}

std::unique_ptr<Formatter> make_formatter(Format format, const std::vector<Column>& columns,
                                          std::string_view noun, std::ostream& out,
                                          std::string_view section, std::size_t width) {
    switch (format) {
        case Format::Json: return std::make_unique<JsonFormatter>(columns, false, "", out);
        case Format::Jsonl: return std::make_unique<JsonFormatter>(columns, true, section, out);
        case Format::Csv: return std::make_unique<CsvFormatter>(columns, out);
        case Format::Table: break;
    }
    return std::make_unique<TableFormatter>(columns, noun, out, width);
}

}  // namespace egresswatch::cli
