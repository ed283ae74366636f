// Output that cannot attack its reader: CSV cells a spreadsheet will not run,
// no control characters in CSV, JSON or the table, whatever the store holds.
#include <catch2/catch.hpp>

#include <string>

#include "../../src/cli/output.hpp"
#include "../../src/cli/text.hpp"
#include "test_cli_support.hpp"

namespace cli = egresswatch::cli;
namespace text = egresswatch::cli::text;
using egresswatch::test::run;
using egresswatch::test::TempStore;

#define FFFD "\xEF\xBF\xBD"

TEST_CASE("csv_field: RFC 4180 quoting", "[cli][csv]") {
    CHECK(cli::csv_field("") == "");
    CHECK(cli::csv_field("cam.example.cn") == "cam.example.cn");
    CHECK(cli::csv_field("Zhejiang Dahua Technology Co., Ltd.") == "\"Zhejiang Dahua Technology Co., Ltd.\"");
    CHECK(cli::csv_field("Tuya \"Smart\"") == "\"Tuya \"\"Smart\"\"\"");
    CHECK(cli::csv_field("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("csv_field: formulas are neutralised as OWASP advises", "[cli][csv]") {
    CHECK(cli::csv_field("=1+2") == "\"'=1+2\"");
    CHECK(cli::csv_field("=HYPERLINK(\"http://evil\",\"x\")") == "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"");
    CHECK(cli::csv_field("+cmd|' /C calc'!A0") == "\"'+cmd|' /C calc'!A0\"");
    CHECK(cli::csv_field("-2+3") == "\"'-2+3\"");
    CHECK(cli::csv_field("@SUM(A1:A9)") == "\"'@SUM(A1:A9)\"");
    CHECK(cli::csv_field("-") == "\"'-\"");
    CHECK(cli::csv_field("+") == "\"'+\"");
    CHECK(cli::csv_field("\t=1") == "\"'" FFFD "=1\"");
    CHECK(cli::csv_field("\r=1") == "\"'" FFFD "=1\"");
    // Only the first character makes a formula.
    CHECK(cli::csv_field("a=1") == "a=1");
    CHECK(cli::csv_field("x@example.com") == "x@example.com");
}

TEST_CASE("csv_field: numbers stay numbers", "[cli][csv]") {
    for (const char* number : {"0", "42", "-5", "+5", "-0.25", "1.5e3", "-1E-9", "+.5", "5."}) {
        INFO(number);
        CHECK(cli::is_number(number));
        CHECK(cli::csv_field(number) == number);
    }
    for (const char* other : {"", "-", "+", ".", "-.", "1e", "1e+", "-2+3", "--5", "- 5", "5-", "0x10", "1,5", "-5 "}) {
        INFO(other);
        CHECK_FALSE(cli::is_number(other));
    }
}

TEST_CASE("csv_field: control characters and invalid UTF-8 become U+FFFD", "[cli][csv]") {
    CHECK(cli::csv_field("evil\x1b[31m.example") == "evil" FFFD "[31m.example");
    CHECK(cli::csv_field("a\nb") == "a" FFFD "b");  // no line break inside a cell
    CHECK(cli::csv_field("a\tb\x7f") == "a" FFFD "b" FFFD);
    CHECK(cli::csv_field("c1\xc2\x85.x\xc2\x9b") == "c1" FFFD ".x" FFFD);  // C1: NEL, CSI
    CHECK(cli::csv_field("bad\xff\xfe.example") == "bad" FFFD FFFD ".example");
    CHECK(cli::csv_field("\xc0\xaf") == FFFD FFFD);  // overlong
    CHECK(cli::csv_field(std::string("a\0b", 3)) == "a" FFFD "b");
}

TEST_CASE("text::terminal_safe escapes what could drive a terminal", "[cli][text]") {
    CHECK(text::terminal_safe("cam.example.cn") == "cam.example.cn");
    CHECK(text::terminal_safe("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(text::terminal_safe("\x1b[31mred") == "\\x1b[31mred");
    CHECK(text::terminal_safe("a\tb\x7f") == "a\\x09b\\x7f");
    CHECK(text::terminal_safe("\xc2\x9b" "2J") == "\\u009b2J");  // C1 CSI
    CHECK(text::terminal_safe("\xc2\x85") == "\\u0085");        // C1 NEL
    CHECK(text::terminal_safe("\xff") == "\\xff");
    CHECK(text::terminal_safe("\xc0\xaf") == "\\xc0\\xaf");
}

TEST_CASE("text::display_width counts code points", "[cli][text]") {
    CHECK(text::display_width("") == 0);
    CHECK(text::display_width("abc") == 3);
    CHECK(text::display_width("caf\xc3\xa9") == 4);
}

namespace {

// Passive DNS answers whose names an attacker chose: formulas, a number, and
// control characters (C0, C1) and bytes that are not UTF-8.
constexpr const char* kHostileDns = R"SQL(
INSERT INTO dns (time, client_ip, resolver_ip, transport, query, name, type, answer, ttl) VALUES
  (1793610000000000, '10.0.0.1', '10.0.0.53', 'udp', '=HYPERLINK("http://x","y")', 'n.example', 'A', '192.0.2.1', 300),
  (1793610001000000, '10.0.0.1', '10.0.0.53', 'udp', '+cmd|'' /C calc''!A0', 'n.example', 'A', '192.0.2.1', 300),
  (1793610002000000, '10.0.0.1', '10.0.0.53', 'udp', '@SUM(1+1)', 'n.example', 'A', '192.0.2.1', 300),
  (1793610003000000, '10.0.0.1', '10.0.0.53', 'udp', '-2+3', 'n.example', 'A', '192.0.2.1', 300),
  (1793610004000000, '10.0.0.1', '10.0.0.53', 'udp', '-5', 'n.example', 'A', '192.0.2.1', -5),
  (1793610005000000, '10.0.0.1', '10.0.0.53', 'udp', char(9) || 'x', 'n.example', 'A', '192.0.2.1', 300),
  (1793610006000000, '10.0.0.1', '10.0.0.53', 'udp', 'evil' || char(27) || '[31m.example', 'n.example', 'A', '192.0.2.1', 300),
  (1793610007000000, '10.0.0.1', '10.0.0.53', 'udp', 'c1' || char(133) || '.example', 'n.example', 'A', '192.0.2.1', 300),
  (1793610008000000, '10.0.0.1', '10.0.0.53', 'udp', CAST(X'626164fffe2e6578616d706c65' AS TEXT), 'n.example', 'A', '192.0.2.1', 300);
)SQL";

}  // namespace

TEST_CASE("cli: hostile names come out inert as CSV", "[cli][csv][hostile]") {
    TempStore store;
    store.exec(kHostileDns);
    auto r = run({"-d", store.path(), "dns", "--format", "csv"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out ==
          "time,client_ip,resolver_ip,transport,query,name,type,answer,ttl\n"
          "2026-11-02T09:00:00Z,10.0.0.1,10.0.0.53,udp,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",n.example,A,192.0.2.1,300\n"
          "2026-11-02T09:00:01Z,10.0.0.1,10.0.0.53,udp,\"'+cmd|' /C calc'!A0\",n.example,A,192.0.2.1,300\n"
          "2026-11-02T09:00:02Z,10.0.0.1,10.0.0.53,udp,\"'@SUM(1+1)\",n.example,A,192.0.2.1,300\n"
          "2026-11-02T09:00:03Z,10.0.0.1,10.0.0.53,udp,\"'-2+3\",n.example,A,192.0.2.1,300\n"
          "2026-11-02T09:00:04Z,10.0.0.1,10.0.0.53,udp,-5,n.example,A,192.0.2.1,-5\n"
          "2026-11-02T09:00:05Z,10.0.0.1,10.0.0.53,udp,\"'" FFFD "x\",n.example,A,192.0.2.1,300\n"
          "2026-11-02T09:00:06Z,10.0.0.1,10.0.0.53,udp,evil" FFFD "[31m.example,n.example,A,192.0.2.1,300\n"
          "2026-11-02T09:00:07Z,10.0.0.1,10.0.0.53,udp,c1" FFFD ".example,n.example,A,192.0.2.1,300\n"
          "2026-11-02T09:00:08Z,10.0.0.1,10.0.0.53,udp,bad" FFFD FFFD ".example,n.example,A,192.0.2.1,300\n");
}

TEST_CASE("cli: hostile names come out escaped as JSON", "[cli][json][hostile]") {
    TempStore store;
    store.exec(kHostileDns);
    auto r = run({"-d", store.path(), "dns", "--format", "json"});
    INFO(r.err);
    CHECK(r.code == 0);
    auto row = [](int second, const std::string& query_json, int ttl = 300) {
        return "{\"time\":\"2026-11-02T09:00:0" + std::to_string(second) +
               "Z\",\"client_ip\":\"10.0.0.1\",\"resolver_ip\":\"10.0.0.53\",\"transport\":\"udp\",\"query\":" +
               query_json + ",\"name\":\"n.example\",\"type\":\"A\",\"answer\":\"192.0.2.1\",\"ttl\":" +
               std::to_string(ttl) + "}";
    };
    CHECK(r.out == "[\n  " + row(0, R"j("=HYPERLINK(\"http://x\",\"y\")")j") +
                       ",\n  " + row(1, R"j("+cmd|' /C calc'!A0")j") +
                       ",\n  " + row(2, R"j("@SUM(1+1)")j") +
                       ",\n  " + row(3, R"j("-2+3")j") +
                       ",\n  " + row(4, R"("-5")", -5) +
                       ",\n  " + row(5, R"j("\tx")j") +
                       ",\n  " + row(6, R"j("evil\u001b[31m.example")j") +
                       // C1 needs no escape in JSON; it stays valid UTF-8.
                       ",\n  " + row(7, "\"c1\xc2\x85.example\"") +
                       ",\n  " + row(8, "\"bad" FFFD FFFD ".example\"") + "\n]\n");
}

TEST_CASE("cli: hostile names cannot drive the terminal", "[cli][table][hostile]") {
    TempStore store;
    store.exec(kHostileDns);
    auto r = run({"-d", store.path(), "dns"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == R"(time                  client_ip  query                       type  answer
--------------------  ---------  --------------------------  ----  ---------
2026-11-02T09:00:00Z  10.0.0.1   =HYPERLINK("http://x","y")  A     192.0.2.1
2026-11-02T09:00:01Z  10.0.0.1   +cmd|' /C calc'!A0          A     192.0.2.1
2026-11-02T09:00:02Z  10.0.0.1   @SUM(1+1)                   A     192.0.2.1
2026-11-02T09:00:03Z  10.0.0.1   -2+3                        A     192.0.2.1
2026-11-02T09:00:04Z  10.0.0.1   -5                          A     192.0.2.1
2026-11-02T09:00:05Z  10.0.0.1   \x09x                       A     192.0.2.1
2026-11-02T09:00:06Z  10.0.0.1   evil\x1b[31m.example        A     192.0.2.1
2026-11-02T09:00:07Z  10.0.0.1   c1\u0085.example            A     192.0.2.1
2026-11-02T09:00:08Z  10.0.0.1   bad\xff\xfe.example         A     192.0.2.1
9 dns
)");
}
