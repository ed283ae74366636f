#include "output.hpp"

#include <string>

#include <egresswatch/common/json.hpp>
#include <egresswatch/common/utf8.hpp>

#include "text.hpp"
#include "time_format.hpp"

namespace egresswatch::cli {
namespace {

constexpr std::string_view kListSeparator = "; ";

// A non-null value as plain text (CSV and table cells).
std::string plain_text(const Value& value, ColumnKind kind) {
    if (const auto* n = std::get_if<std::int64_t>(&value))
        return kind == ColumnKind::Time ? format_time(*n) : std::to_string(*n);
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
    TableFormatter(const std::vector<Column>& columns, std::string_view noun, std::ostream& out)
        : noun_(noun), out_(out) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (!columns[i].compact) continue;
            shown_.push_back(i);
            kinds_.push_back(columns[i].kind);
            max_widths_.push_back(columns[i].max_width);
            header_.emplace_back(columns[i].name);
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
                                   : text::terminal_safe(plain_text(value, kinds_[k]));
            if (max_widths_[k]) cell = text::shortened(cell, max_widths_[k]);
            widths_[k] = std::max(widths_[k], text::display_width(cell));
            cells.push_back(std::move(cell));
        }
        rows_.push_back(std::move(cells));
    }

    void finish() override {
        write_line(header_);
        std::vector<std::string> rule;
        for (std::size_t width : widths_) rule.emplace_back(width, '-');
        write_line(rule);
        for (const auto& cells : rows_) write_line(cells);
        out_ << rows_.size() << ' ' << noun_ << '\n';
    }

private:
    void write_line(const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t k = 0; k < cells.size(); ++k) {
            if (k) line += "  ";
            std::size_t pad = widths_[k] - text::display_width(cells[k]);
            bool right = kinds_[k] == ColumnKind::Integer;
            if (right) line.append(pad, ' ');
            line += cells[k];
            if (!right && k + 1 < cells.size()) line.append(pad, ' ');
        }
        out_ << line << '\n';
    }

    std::string noun_;
    std::ostream& out_;
    std::vector<std::size_t> shown_;  // indexes of the compact columns
    std::vector<ColumnKind> kinds_;
    std::vector<std::size_t> max_widths_;
    std::vector<std::string> header_;
    std::vector<std::size_t> widths_;
    std::vector<std::vector<std::string>> rows_;
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
                                          std::string_view section) {
    switch (format) {
        case Format::Json: return std::make_unique<JsonFormatter>(columns, false, "", out);
        case Format::Jsonl: return std::make_unique<JsonFormatter>(columns, true, section, out);
        case Format::Csv: return std::make_unique<CsvFormatter>(columns, out);
        case Format::Table: break;
    }
    return std::make_unique<TableFormatter>(columns, noun, out);
}

}  // namespace egresswatch::cli
