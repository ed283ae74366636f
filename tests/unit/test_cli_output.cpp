// Terminal-safe text of the query CLI.
#include <catch2/catch.hpp>

#include <string>

#include "../../src/cli/text.hpp"

namespace text = egresswatch::cli::text;

TEST_CASE("text::terminal_safe escapes what could drive a terminal", "[cli][text]") {
    CHECK(text::terminal_safe("cam.example.cn") == "cam.example.cn");
    CHECK(text::terminal_safe("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(text::terminal_safe("\x1b[31mred") == "\\x1b[31mred");
    CHECK(text::terminal_safe("a\tb\x7f") == "a\\x09b\\x7f");
    CHECK(text::terminal_safe("\xc2\x9b" "2J") == "\\u009b2J");  // C1 CSI
    CHECK(text::terminal_safe("\xff") == "\\xff");
}

TEST_CASE("text::display_width counts code points", "[cli][text]") {
    CHECK(text::display_width("") == 0);
    CHECK(text::display_width("abc") == 3);
    CHECK(text::display_width("caf\xc3\xa9") == 4);
}
