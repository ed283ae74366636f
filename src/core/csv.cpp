#include "egresswatch/csv.hpp"

namespace egresswatch {

void split_csv_record(std::string_view line, std::vector<std::string>& fields) {
    // Reuses the strings' buffers: the IEEE registry has 50k lines to load at start.
    size_t count = 1;
    auto field = [&]() -> std::string& {
        if (fields.size() < count) fields.resize(count);
        return fields[count - 1];
    };
    field().clear();
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') field() += '"', ++i;
            else if (c == '"') quoted = false;
            else field() += c;
        } else if (c == '"') quoted = true;
        else if (c == ',') ++count, field().clear();
        else if (c != '\r') {
            // The plain text up to the next special: a loop, since
            // find_first_of calls memchr on its set for every character.
            size_t run = i;
            while (run < line.size() && line[run] != ',' && line[run] != '"' && line[run] != '\r') ++run;
            field().append(line.substr(i, run - i));
            i = run - 1;
        }
    }
    fields.resize(count);
}

std::vector<std::string> split_csv_record(std::string_view line) {
    std::vector<std::string> fields;
    split_csv_record(line, fields);
    return fields;
}

std::string trim_blanks(std::string_view text) {
    auto first = text.find_first_not_of(" \t");
    auto last = text.find_last_not_of(" \t");
    return first == std::string_view::npos ? std::string() : std::string(text.substr(first, last - first + 1));
}

}  // namespace egresswatch
