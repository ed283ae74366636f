// JSON writing and reading, and terminal-safe text, of the query CLI.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "../../src/cli/json.hpp"
#include "../../src/cli/text.hpp"

namespace json = egresswatch::cli::json;
namespace text = egresswatch::cli::text;
using Strings = std::vector<std::string>;

TEST_CASE("json::quote escapes quotes, backslashes and control characters", "[cli][json]") {
    CHECK(json::quote("") == R"("")");
    CHECK(json::quote("plain.example.com") == R"("plain.example.com")");
    CHECK(json::quote(R"(say "hi" \o/)") == R"("say \"hi\" \\o/")");
    CHECK(json::quote("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
    CHECK(json::quote(std::string("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
    CHECK(json::quote("\x7f") == "\"\x7f\"");  // DEL needs no escape in JSON
}

TEST_CASE("json::quote keeps UTF-8 and replaces invalid bytes with U+FFFD", "[cli][json]") {
    CHECK(json::quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(json::quote("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
    const std::string fffd = "\xef\xbf\xbd";
    CHECK(json::quote("a\xff" "b") == "\"a" + fffd + "b\"");
    CHECK(json::quote("\xc3") == "\"" + fffd + "\"");              // truncated
    CHECK(json::quote("\xc0\xaf") == "\"" + fffd + fffd + "\"");  // overlong
    CHECK(json::quote("\xed\xa0\x80") == "\"" + fffd + fffd + fffd + "\"");  // surrogate
}

TEST_CASE("json writers", "[cli][json]") {
    std::string out;
    json::append_null(out);
    out += ' ';
    json::append_integer(out, -42);
    out += ' ';
    json::append_integer(out, 9007199254740993);
    out += ' ';
    json::append_string_array(out, {});
    out += ' ';
    json::append_string_array(out, {"a", "b\"c"});
    CHECK(out == R"(null -42 9007199254740993 [] ["a","b\"c"])");
}

TEST_CASE("json::parse_string_array reads arrays of strings", "[cli][json]") {
    CHECK(json::parse_string_array("[]") == Strings{});
    CHECK(json::parse_string_array(" [ ] ") == Strings{});
    CHECK(json::parse_string_array(R"(["a"])") == Strings{"a"});
    CHECK(json::parse_string_array(" [ \"a\" ,\n\t\"b\" ] ") == Strings{"a", "b"});
    CHECK(json::parse_string_array(R"(["q\"b\\s\/n\nt\tr\rb\bf\f"])") ==
          Strings{"q\"b\\s/n\nt\tr\rb\bf\f"});
    CHECK(json::parse_string_array(R"(["caf\u00e9", "\u00E9"])") ==
          Strings{"caf\xc3\xa9", "\xc3\xa9"});
    CHECK(json::parse_string_array(R"(["\ud83d\ude00"])") == Strings{"\xf0\x9f\x98\x80"});
    CHECK(json::parse_string_array(R"(["\u20ac"])") == Strings{"\xe2\x82\xac"});
    // A lone surrogate has no UTF-8 form.
    CHECK(json::parse_string_array(R"(["\ud83dx"])") == Strings{"\xef\xbf\xbdx"});
    CHECK(json::parse_string_array("[\"caf\xc3\xa9\"]") == Strings{"caf\xc3\xa9"});
}

TEST_CASE("json::parse_string_array rejects everything else", "[cli][json]") {
    for (const char* bad : {
             "", " ", "[", "]", "\"a\"", "{}", "null", "[1]", "[\"a\", 1]", "[null]",
             "[\"a\",]", "[,\"a\"]", "[\"a\" \"b\"]", "[\"a\"] x", "[\"a\"][]", "[\"a",
             "[\"a\\\"]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12g4\"]", "[\"a\nb\"]",
             "[[\"a\"]]",
         }) {
        INFO("input: " << bad);
        CHECK_FALSE(json::parse_string_array(bad));
    }
}

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
