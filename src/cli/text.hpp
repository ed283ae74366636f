// Small helpers for untrusted text (domains and vendors come from the network).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace egresswatch::cli::text {

// `s` made safe to print on a terminal: control characters (C0, DEL and C1)
// and bytes that are not UTF-8 are shown as \xNN or \u00NN escapes.
std::string terminal_safe(std::string_view s);

// Columns that `s` takes on a terminal, counting one per code point.
std::size_t display_width(std::string_view s);

// `s` cut to at most `width` code points, the last one "…" if it was cut.
std::string shortened(std::string_view s, std::size_t width);

// A list as the CLI prints it in one cell or line: items joined by "; ".
std::string joined(const std::vector<std::string>& items);

}  // namespace egresswatch::cli::text
