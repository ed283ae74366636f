// A captured frame's record header, as a capture file or libpcap gives it.
// The daemon's capture sources convert libpcap's pcap_pkthdr at the edge, so
// the pipeline's headers do not depend on libpcap.
#pragma once

#include <sys/time.h>

#include <atomic>
#include <cstdint>

namespace egresswatch {

struct FrameHeader {
    timeval ts{};          // when it was captured (checked by packet_time_us)
    uint32_t caplen = 0;   // bytes captured, the frame's length here
    uint32_t len = 0;      // bytes on the wire
};

// Whether frames read in place from a file may have become zeros: the
// reader's flag goes up (for good) once the file shrank under them. What
// was read from a frame while it is up is not the packet.
class FramesCutWatch {
public:
    // `cut`: the reader's flag, or nullptr for frames the reader owns.
    void watch(const std::atomic<bool>* cut) { cut_.store(cut, std::memory_order_release); }
    bool cut() const {
        const std::atomic<bool>* cut = cut_.load(std::memory_order_acquire);
        return cut && cut->load(std::memory_order_acquire);
    }

private:
    std::atomic<const std::atomic<bool>*> cut_{nullptr};
};

}  // namespace egresswatch
