// The common UTF-8 validator and cleaners (egresswatch/common/utf8.hpp), and
// the common time format.
#include <catch2/catch.hpp>

#include <string>

#include <egresswatch/common/time.hpp>
#include <egresswatch/common/utf8.hpp>

namespace utf8 = egresswatch::utf8;

#define FFFD "\xEF\xBF\xBD"

TEST_CASE("utf8::sequence_length: valid sequences", "[common][utf8]") {
    CHECK(utf8::sequence_length("a", 0) == 1);
    CHECK(utf8::sequence_length(std::string(1, '\0'), 0) == 1);
    CHECK(utf8::sequence_length("\xc2\x80", 0) == 2);          // U+0080, the first two-byte one
    CHECK(utf8::sequence_length("\xdf\xbf", 0) == 2);          // U+07FF
    CHECK(utf8::sequence_length("\xe0\xa0\x80", 0) == 3);      // U+0800
    CHECK(utf8::sequence_length("\xed\x9f\xbf", 0) == 3);      // U+D7FF, below the surrogates
    CHECK(utf8::sequence_length("\xee\x80\x80", 0) == 3);      // U+E000, above them
    CHECK(utf8::sequence_length("\xef\xbf\xbd", 0) == 3);      // U+FFFD
    CHECK(utf8::sequence_length("\xf0\x90\x80\x80", 0) == 4);  // U+10000
    CHECK(utf8::sequence_length("\xf4\x8f\xbf\xbf", 0) == 4);  // U+10FFFF
    CHECK(utf8::sequence_length("ab\xc3\xa9", 2) == 2);
}

TEST_CASE("utf8::sequence_length: invalid sequences are 0", "[common][utf8]") {
    CHECK(utf8::sequence_length("\x80", 0) == 0);              // continuation byte alone
    CHECK(utf8::sequence_length("\xbf", 0) == 0);
    CHECK(utf8::sequence_length("\xc3", 0) == 0);              // truncated
    CHECK(utf8::sequence_length("\xe2\x82", 0) == 0);
    CHECK(utf8::sequence_length("\xf0\x9f\x98", 0) == 0);
    CHECK(utf8::sequence_length("\xc3" "a", 0) == 0);          // not followed by a continuation
    CHECK(utf8::sequence_length("\xe2\x82" "a", 0) == 0);
    // Overlong forms: '/' (U+002F) in two, three and four bytes, NUL in two.
    CHECK(utf8::sequence_length("\xc0\xaf", 0) == 0);
    CHECK(utf8::sequence_length("\xc1\xbf", 0) == 0);
    CHECK(utf8::sequence_length("\xc0\x80", 0) == 0);
    CHECK(utf8::sequence_length("\xe0\x80\xaf", 0) == 0);
    CHECK(utf8::sequence_length("\xe0\x9f\xbf", 0) == 0);      // U+07FF in three bytes
    CHECK(utf8::sequence_length("\xf0\x80\x80\xaf", 0) == 0);
    CHECK(utf8::sequence_length("\xf0\x8f\xbf\xbf", 0) == 0);  // U+FFFF in four bytes
    // UTF-16 surrogates U+D800..U+DFFF.
    CHECK(utf8::sequence_length("\xed\xa0\x80", 0) == 0);
    CHECK(utf8::sequence_length("\xed\xbf\xbf", 0) == 0);
    // Above U+10FFFF, and lead bytes that never occur.
    CHECK(utf8::sequence_length("\xf4\x90\x80\x80", 0) == 0);
    CHECK(utf8::sequence_length("\xf5\x80\x80\x80", 0) == 0);
    CHECK(utf8::sequence_length("\xf8\x88\x80\x80\x80", 0) == 0);
    CHECK(utf8::sequence_length("\xfe", 0) == 0);
    CHECK(utf8::sequence_length("\xff", 0) == 0);
}

TEST_CASE("utf8::is_valid", "[common][utf8]") {
    CHECK(utf8::is_valid(""));
    CHECK(utf8::is_valid("cam.example.cn"));
    CHECK(utf8::is_valid("caf\xc3\xa9 \xf0\x9f\x98\x80"));
    CHECK(utf8::is_valid("\x1b[31m"));  // controls are valid UTF-8
    CHECK_FALSE(utf8::is_valid("caf\xe9"));  // Latin-1
    CHECK_FALSE(utf8::is_valid("a\xc3"));
    CHECK_FALSE(utf8::is_valid("\xed\xa0\x80"));
}

TEST_CASE("utf8::control_length: C0, DEL and C1", "[common][utf8]") {
    for (int c = 0; c < 0x20; ++c) CHECK(utf8::control_length(std::string(1, static_cast<char>(c)), 0) == 1);
    CHECK(utf8::control_length("\x7f", 0) == 1);
    CHECK(utf8::control_length("\xc2\x80", 0) == 2);
    CHECK(utf8::control_length("\xc2\x85", 0) == 2);  // NEL
    CHECK(utf8::control_length("\xc2\x9b", 0) == 2);  // CSI
    CHECK(utf8::control_length("\xc2\x9f", 0) == 2);
    CHECK(utf8::control_length("\xc2\xa0", 0) == 0);  // NO-BREAK SPACE is not a control
    CHECK(utf8::control_length("\xc2", 0) == 0);
    CHECK(utf8::control_length(" ", 0) == 0);
    CHECK(utf8::control_length("\x85", 0) == 0);  // a raw byte: invalid UTF-8, not C1
}

TEST_CASE("utf8::replace_controls", "[common][utf8]") {
    CHECK(utf8::replace_controls("cam.example.cn") == "cam.example.cn");
    CHECK(utf8::replace_controls("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(utf8::replace_controls("a\tb\r\nc") == "a" FFFD "b" FFFD FFFD "c");
    CHECK(utf8::replace_controls("\x1b[31mred\x7f") == FFFD "[31mred" FFFD);
    CHECK(utf8::replace_controls("x\xc2\x85y\xc2\x9b" "2J") == "x" FFFD "y" FFFD "2J");
    CHECK(utf8::replace_controls("bad\xff\xfe") == "bad" FFFD FFFD);
    CHECK(utf8::replace_controls("\xc0\xaf") == FFFD FFFD);      // overlong: one per byte
    CHECK(utf8::replace_controls("\xed\xa0\x80") == FFFD FFFD FFFD);  // surrogate
    CHECK(utf8::replace_controls("a\x01" "b", "?") == "a?b");
}

TEST_CASE("utf8::clean_name: names from packets", "[common][utf8]") {
    CHECK(utf8::clean_name("cam-01.local", 255) == "cam-01.local");
    CHECK(utf8::clean_name("  cam \t", 255) == "cam");
    CHECK(utf8::clean_name(std::string("cam\0junk", 8), 255) == "cam");
    CHECK(utf8::clean_name("a\tb", 255) == "a b");
    CHECK(utf8::clean_name("evil\x1b[31m\x07", 255) == "evil?[31m?");
    CHECK(utf8::clean_name("c1\xc2\x85" "x\xc2\x9b", 255) == "c1?x?");
    CHECK(utf8::clean_name("bad\xff\xfe" "x", 255) == "bad??x");
    CHECK(utf8::clean_name("caf\xc3\xa9", 255) == "caf\xc3\xa9");
    CHECK(utf8::clean_name("caf\xc3\xa9", 4) == "caf");  // never cuts a sequence
    CHECK(utf8::clean_name("abcdef", 3) == "abc");
    CHECK(utf8::clean_name("\x01\x02", 255) == "??");
    CHECK(utf8::clean_name("", 255).empty());
}

TEST_CASE("format_time: ISO 8601 UTC", "[common][time]") {
    using egresswatch::format_time;
    CHECK(format_time(0) == "1970-01-01T00:00:00Z");
    CHECK(format_time(1793610000000000) == "2026-11-02T09:00:00Z");
    CHECK(format_time(1793610000250000) == "2026-11-02T09:00:00.250000Z");
    CHECK(format_time(1793610000000001) == "2026-11-02T09:00:00.000001Z");
    CHECK(format_time(951782400000000) == "2000-02-29T00:00:00Z");
    CHECK(format_time(253402300799999999) == "9999-12-31T23:59:59.999999Z");
    CHECK(format_time(-1) == "1969-12-31T23:59:59.999999Z");
}
