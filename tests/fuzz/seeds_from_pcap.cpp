// Writes the frames of capture files as seed inputs for fuzz_packets: one
// file per frame, its link type's index first (see link_types.hpp). Frames of
// other link types are skipped; at most kMaxPerCapture per file.
//
//   seeds_from_pcap OUTDIR CAPTURE...
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "link_types.hpp"

int main(int argc, char** argv) {
    constexpr int kMaxPerCapture = 300;
    if (argc < 3) {
        std::cerr << "usage: seeds_from_pcap OUTDIR CAPTURE...\n";
        return 2;
    }
    std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);
    const auto& types = egresswatch::fuzz::kLinkTypes;
    size_t written = 0;
    for (int i = 2; i < argc; ++i) {
        char error[PCAP_ERRBUF_SIZE] = "";
        pcap_t* p = pcap_open_offline(argv[i], error);
        if (!p) {
            std::cerr << "seeds_from_pcap: " << argv[i] << ": " << error << "\n";
            continue;
        }
        auto type = std::find(types.begin(), types.end(), pcap_datalink(p));
        pcap_pkthdr* header;
        const u_char* data;
        for (int n = 0; type != types.end() && n < kMaxPerCapture && pcap_next_ex(p, &header, &data) == 1; ++n) {
            std::ofstream seed(out / (std::filesystem::path(argv[i]).stem().string() + "-" + std::to_string(n)),
                               std::ios::binary);
            seed.put(static_cast<char>(type - types.begin()));
            seed.write(reinterpret_cast<const char*>(data), header->caplen);
            ++written;
        }
        pcap_close(p);
    }
    std::cout << written << " seeds in " << out.string() << "\n";
    return 0;
}
