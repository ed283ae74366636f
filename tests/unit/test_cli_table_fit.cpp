// The table on a terminal: it fits the terminal's width, and no reason of an
// alert is ever cut (the one that makes a flow high may be the last).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "../../src/cli/output.hpp"
#include "../../src/cli/query.hpp"
#include "../../src/cli/text.hpp"

namespace cli = egresswatch::cli;

namespace {

std::string alerts_table(std::size_t width) {
    const auto& columns = cli::columns(cli::Command::Alerts);
    std::ostringstream out;
    auto table = cli::make_formatter(cli::Format::Table, columns, "alerts", out, {}, width);
    auto row = [&](std::vector<std::pair<std::string, cli::Value>> values) {
        cli::Row r(columns.size());
        for (auto& [name, value] : values)
            for (std::size_t i = 0; i < columns.size(); ++i)
                if (columns[i].name == name) r[i] = value;
        table->row(r);
    };
    row({{"first_seen", std::int64_t{1793610004000000}}, {"device_ip", std::string("10.20.1.30")},
         {"device_kind", std::string("camera")}, {"remote_ip", std::string("114.114.114.114")},
         {"remote_port", std::int64_t{53}}, {"transport", std::string("udp")},
         {"domain", std::string("pub-cfg.secu100.net")}, {"country", std::string("CN")},
         {"asn", std::int64_t{21859}}, {"bytes_out", std::int64_t{65}}, {"bytes_in", std::int64_t{81}},
         {"severity", std::string("high")},
         {"reasons", std::vector<std::string>{"country:CN", "domain:secu100.net (Xiongmai XMEye cloud)"}}});
    row({{"first_seen", std::int64_t{1793610002500000}}, {"device_ip", std::string("10.20.1.22")},
         {"device_kind", std::string("camera")}, {"remote_ip", std::string("47.254.10.20")},
         {"remote_port", std::int64_t{8800}}, {"transport", std::string("udp")},
         {"domain", std::string("www.easy4ipcloud.com")}, {"country", std::string("DE")},
         {"asn", std::int64_t{45102}}, {"bytes_out", std::int64_t{864}}, {"bytes_in", std::int64_t{864}},
         {"severity", std::string("high")},
         {"reasons", std::vector<std::string>{"network:AS45102 Alibaba (Chinese-owned cloud) and a long tail that "
                                              "must wrap at a space on a narrow terminal"}}});
    table->finish();
    return out.str();
}

}  // namespace

TEST_CASE("table: not on a terminal, one line per row, reasons cut at 40", "[cli][table][fit]") {
    CHECK(alerts_table(0) ==
          "first_seen                   device_ip   device_kind  remote_ip        remote_port  transport  domain                country    asn  bytes_out  bytes_in  severity  reasons\n"
          "---------------------------  ----------  -----------  ---------------  -----------  ---------  --------------------  -------  -----  ---------  --------  --------  ----------------------------------------\n"
          "2026-11-02T09:00:04Z         10.20.1.30  camera       114.114.114.114           53  udp        pub-cfg.secu100.net   CN       21859         65        81  high      country:CN; domain:secu100.net (Xiongma…\n"
          "2026-11-02T09:00:02.500000Z  10.20.1.22  camera       47.254.10.20            8800  udp        www.easy4ipcloud.com  DE       45102        864       864  high      network:AS45102 Alibaba (Chinese-owned …\n"
          "2 alerts\n");
}

TEST_CASE("table: on a 120-column terminal, reasons whole under each row", "[cli][table][fit]") {
    CHECK(alerts_table(120) ==
          "first_seen                   device_ip   remote_ip        domain                country    asn  bytes_out  severity\n"
          "---------------------------  ----------  ---------------  --------------------  -------  -----  ---------  --------\n"
          "2026-11-02T09:00:04Z         10.20.1.30  114.114.114.114  pub-cfg.secu100.net   CN       21859         65  high\n"
          "  reasons  country:CN\n"
          "           domain:secu100.net (Xiongmai XMEye cloud)\n"
          "2026-11-02T09:00:02.500000Z  10.20.1.22  47.254.10.20     www.easy4ipcloud.com  DE       45102        864  high\n"
          "  reasons  network:AS45102 Alibaba (Chinese-owned cloud) and a long tail that must wrap at a space on a narrow terminal\n"
          "2 alerts\n"
          "(left out to fit 120 columns: transport bytes_in device_kind remote_port; --format csv has them all)\n");
}

TEST_CASE("table: on an 80-column terminal, fewer columns, reasons wrapped, none cut", "[cli][table][fit]") {
    std::string table = alerts_table(80);
    CHECK(table ==
          "first_seen            device_ip   remote_ip        domain      country  severity\n"
          "--------------------  ----------  ---------------  ----------  -------  --------\n"
          "2026-11-02T09:00:04Z  10.20.1.30  114.114.114.114  pub-cfg.s…  CN       high\n"
          "  reasons  country:CN\n"
          "           domain:secu100.net (Xiongmai XMEye cloud)\n"
          "2026-11-02T09:00:02Z  10.20.1.22  47.254.10.20     www.easy4…  DE       high\n"
          "  reasons  network:AS45102 Alibaba (Chinese-owned cloud) and a long tail that\n"
          "           must wrap at a space on a narrow terminal\n"
          "2 alerts\n"
          "(left out to fit 80 columns: transport bytes_in device_kind remote_port asn\n"
          "bytes_out; --format csv has them all)\n");
    std::istringstream lines(table);
    for (std::string line; std::getline(lines, line);) CHECK(egresswatch::cli::text::display_width(line) <= 80);
}
