// The common JSON writer and reader (egresswatch/common/json.hpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <egresswatch/common/json.hpp>

namespace json = egresswatch::json;
using Strings = std::vector<std::string>;

TEST_CASE("json::quote escapes quotes, backslashes and control characters", "[common][json]") {
    CHECK(json::quote("") == R"("")");
    CHECK(json::quote("plain.example.com") == R"("plain.example.com")");
    CHECK(json::quote(R"(say "hi" \o/)") == R"("say \"hi\" \\o/")");
    CHECK(json::quote("a\nb\rc\td") == R"("a\nb\rc\td")");
    CHECK(json::quote("\x7f") == "\"\x7f\"");  // DEL needs no escape in JSON
    CHECK(json::quote("\xc2\x85") == "\"\xc2\x85\"");  // nor C1 (U+0085)
}

TEST_CASE("json::quote escapes every C0 control character", "[common][json]") {
    // \n, \r and \t by name, every other one as \u00XX in lower-case hex: the
    // form the store has always sealed alerts.reasons in.
    const char* hex = "0123456789abcdef";
    for (int c = 0; c < 0x20; ++c) {
        std::string expected;
        if (c == '\n') expected = R"("\n")";
        else if (c == '\r') expected = R"("\r")";
        else if (c == '\t') expected = R"("\t")";
        else expected = std::string("\"\\u00") + hex[c >> 4] + hex[c & 0xF] + "\"";
        INFO("character " << c);
        CHECK(json::quote(std::string(1, static_cast<char>(c))) == expected);
    }
    CHECK(json::quote("\x1b[31mred") == R"("\u001b[31mred")");
    CHECK(json::quote("\b\f") == R"("\u0008\u000c")");
}

TEST_CASE("json::quote keeps UTF-8 and replaces invalid bytes with U+FFFD", "[common][json]") {
    CHECK(json::quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(json::quote("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
    const std::string fffd = "\xef\xbf\xbd";
    CHECK(json::quote("a\xff" "b") == "\"a" + fffd + "b\"");
    CHECK(json::quote("\xc3") == "\"" + fffd + "\"");              // truncated
    CHECK(json::quote("\xc0\xaf") == "\"" + fffd + fffd + "\"");  // overlong
    CHECK(json::quote("\xed\xa0\x80") == "\"" + fffd + fffd + fffd + "\"");  // surrogate
    CHECK(json::quote("\xe0\x80\xaf") == "\"" + fffd + fffd + fffd + "\"");  // overlong '/'
    CHECK(json::quote("\xf4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");  // above U+10FFFF
    CHECK(json::quote("\x80") == "\"" + fffd + "\"");  // a lone continuation byte
}

TEST_CASE("json::string_array: the store's lists", "[common][json]") {
    CHECK(json::string_array({}) == "[]");
    CHECK(json::string_array({"country:CN", "domain:a\"b"}) == R"(["country:CN","domain:a\"b"])");
    // Invalid UTF-8 never reaches the stored (and sealed) text.
    CHECK(json::string_array({"x\xff"}) == "[\"x\xef\xbf\xbd\"]");
}

TEST_CASE("json::Writer: one member or element a line", "[common][json]") {
    std::string out;
    json::Writer w(out);
    w.begin_object().key("a").value(std::int64_t{1}).key("b").begin_array().value("x").value(true).end_array()
        .key("c").value(std::optional<std::string>()).key("d").begin_object().end_object().end_object();
    CHECK(out == "{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    true\n  ],\n  \"c\": null,\n  \"d\": {}\n}\n");
}

TEST_CASE("json::Writer: compact, on one line", "[common][json]") {
    std::string out;
    json::Writer w(out, json::Writer::Style::compact);
    w.begin_object().key("a").value(std::int64_t{1}).key("b").begin_array().value("x").value(true).end_array()
        .key("c").value(std::optional<std::int64_t>()).key("d").begin_object().end_object()
        .key("e").value(std::vector<std::string>{"p", "q"}).end_object();
    CHECK(out == R"({"a":1,"b":["x",true],"c":null,"d":{},"e":["p","q"]})");
}

TEST_CASE("json writers", "[common][json]") {
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

TEST_CASE("json::parse_string_array reads arrays of strings", "[common][json]") {
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

TEST_CASE("json::parse_string_array rejects everything else", "[common][json]") {
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

