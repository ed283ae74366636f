// Man pages and bash completion written from a program's Boost.Program_options
// tables, the same ones --help prints, so that they cannot drift from it. The
// build runs `egresswatchd --generate man` and friends (deploy/generate-doc.cmake).
// Header-only: only the daemon and the CLI, which link Boost, include it.
#pragma once

#include <boost/program_options.hpp>

#include <map>
#include <algorithm>
#include <cctype>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace egresswatch::option_docs {

struct Page {
    std::string program;      // egresswatchd
    int section = 1;          // 1 or 8
    std::string summary;      // the NAME line's words after "\-"
    std::vector<std::string> synopsis;  // one line each, after the program's name
    std::string description;  // plain text; blank lines are paragraphs
    std::vector<const boost::program_options::options_description*> groups;  // in --help's order
    std::vector<std::pair<std::string, std::string>> sections;  // more sections: title, plain text
    std::string see_also;     // "egresswatch(1)"
};

// Text made safe for roff: backslashes, hyphens as minus signs (options are
// typed), and a line that would start with . or ' protected.
inline std::string roff(const std::string& text) {
    std::string out;
    bool line_start = true;
    for (char c : text) {
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        if (c == '\\') out += "\\e";
        else if (c == '-') out += "\\-";
        else out += c;
        line_start = c == '\n';
    }
    return out;
}

// "-d, --db" from Boost's "-d [ --db ]", or "--snaplen".
inline std::string option_names(const boost::program_options::option_description& o) {
    std::string name = o.format_name();
    auto bracket = name.find(" [ ");
    if (bracket == std::string::npos) return name;
    return name.substr(0, bracket) + ", " + name.substr(bracket + 3, name.size() - bracket - 5);
}

// A group's caption ("Input"): Boost prints it, with a colon, before the options.
inline std::string caption(const boost::program_options::options_description& group) {
    std::ostringstream printed;
    printed << group;
    std::string first = printed.str().substr(0, printed.str().find('\n'));
    return !first.empty() && first.back() == ':' && first[0] != ' ' ? first.substr(0, first.size() - 1) : "";
}

// Plain text as roff paragraphs; lines that start with a space keep their layout.
inline void write_text(std::ostream& out, const std::string& text) {
    std::string paragraph;
    bool literal = false;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        bool indented = !line.empty() && line[0] == ' ';
        if (line.empty()) {
            if (literal) out << ".fi\n";
            literal = false;
            out << ".PP\n";
            continue;
        }
        if (indented && !literal) out << ".nf\n";
        if (!indented && literal) out << ".fi\n";
        literal = indented;
        out << roff(line) << "\n";
    }
    if (literal) out << ".fi\n";
}

inline void write_man_page(std::ostream& out, const Page& page, const std::string& version) {
    std::string upper;
    for (char c : page.program) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out << ".\\\" Generated from " << page.program << "'s option tables (" << page.program
        << " --generate man); do not edit.\n"
        << ".TH " << upper << " " << page.section << " \"\" \"egresswatch " << version << "\" \""
        << (page.section == 8 ? "System Administration" : "User Commands") << "\"\n"
        << ".SH NAME\n" << roff(page.program) << " \\- " << roff(page.summary) << "\n.SH SYNOPSIS\n";
    for (size_t i = 0; i < page.synopsis.size(); ++i)
        out << (i ? ".br\n" : "") << ".B " << roff(page.program) << "\n" << roff(page.synopsis[i]) << "\n";
    out << ".SH DESCRIPTION\n";
    write_text(out, page.description);
    out << ".SH OPTIONS\n";
    for (const auto* group : page.groups) {
        if (auto title = caption(*group); !title.empty()) out << ".SS " << roff(title) << "\n";
        for (const auto& option : group->options()) {
            std::string parameter = option->format_parameter();
            if (parameter.empty())
                out << ".TP\n.B " << roff(option_names(*option)) << "\n";
            else
                out << ".TP\n.BI \"" << roff(option_names(*option)) << " \" \"" << roff(parameter) << "\"\n";
            out << roff(option->description()) << "\n";
        }
    }
    for (const auto& [title, text] : page.sections) {
        out << ".SH " << roff(title) << "\n";
        write_text(out, text);
    }
    if (!page.see_also.empty()) out << ".SH SEE ALSO\n" << roff(page.see_also) << "\n";
}

struct Completion {
    std::string program;
    std::vector<std::string> commands;  // first words, if the program has commands
    std::vector<const boost::program_options::options_description*> groups;
    std::map<std::string, std::vector<std::string>> values;  // option (--format) -> words
    std::vector<std::string> file_options;                   // options whose value is a file
    std::map<std::string, std::string> value_commands;       // option -> a shell command listing its words
};

inline void write_bash_completion(std::ostream& out, const Completion& c) {
    auto words = [](const std::vector<std::string>& list) {
        std::string s;
        for (const auto& w : list) s += (s.empty() ? "" : " ") + w;
        return s;
    };
    std::vector<std::string> all_options, valued;
    for (const auto* group : c.groups)
        for (const auto& option : group->options()) {
            std::string names = option_names(*option);
            std::vector<std::string> these;
            for (size_t start = 0; start < names.size();) {
                size_t end = names.find(", ", start);
                if (end == std::string::npos) end = names.size();
                these.push_back(names.substr(start, end - start));
                start = end + 2;
            }
            all_options.insert(all_options.end(), these.begin(), these.end());
            if (option->semantic()->max_tokens() > 0) valued.insert(valued.end(), these.begin(), these.end());
        }
    std::string fn = "_";
    for (char ch : c.program) fn += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    out << "# bash completion for " << c.program << ", generated from its option tables (" << c.program
        << " --generate bash-completion); do not edit.\n"
        << fn << "() {\n"
        << "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
        << "    case $prev in\n";
    for (const auto& [option, list] : c.values)
        out << "        " << option << ") COMPREPLY=($(compgen -W \"" << words(list) << "\" -- \"$cur\")); return ;;\n";
    for (const auto& [option, command] : c.value_commands)
        out << "        " << option << ") COMPREPLY=($(compgen -W \"$(" << command << ")\" -- \"$cur\")); return ;;\n";
    if (!c.file_options.empty()) {
        std::string pattern;
        for (const auto& o : c.file_options) pattern += (pattern.empty() ? "" : "|") + o;
        out << "        " << pattern << ") COMPREPLY=($(compgen -f -- \"$cur\")); compopt -o filenames 2>/dev/null; return ;;\n";
    }
    std::vector<std::string> other_valued;
    for (const auto& o : valued)
        if (!c.values.count(o) && !c.value_commands.count(o) &&
            std::find(c.file_options.begin(), c.file_options.end(), o) == c.file_options.end())
            other_valued.push_back(o);
    if (!other_valued.empty()) {
        std::string pattern;
        for (const auto& o : other_valued) pattern += (pattern.empty() ? "" : "|") + o;
        out << "        " << pattern << ") return ;;\n";
    }
    out << "    esac\n"
        << "    if [[ $cur == -* ]]; then\n"
        << "        COMPREPLY=($(compgen -W \"" << words(all_options) << "\" -- \"$cur\"))\n"
        << "        return\n"
        << "    fi\n";
    if (!c.commands.empty()) {
        std::string pattern;
        for (const auto& w : c.commands) pattern += (pattern.empty() ? "" : "|") + w;
        out << "    local i\n"
            << "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
            << "        case ${COMP_WORDS[i]} in " << pattern << ") return ;; esac\n"
            << "    done\n"
            << "    COMPREPLY=($(compgen -W \"" << words(c.commands) << "\" -- \"$cur\"))\n";
    }
    out << "}\ncomplete -F " << fn << " " << c.program << "\n";
}

}  // namespace egresswatch::option_docs
