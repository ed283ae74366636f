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

// A file whose frames the reader leaves in place (a mapped pcap file), as
// long as the capture runs. A frame kept for later is read back from `fd`
// at its offset (pread), not through the mapping: copying a few alerts'
// frames through it made their pages resident again all over the file.
struct FramesInPlace {
    // The reader's flag, up (for good) once the file shrank under it: what
    // was read from a frame while it is up may be zeros, not the packet.
    // nullptr: the file is read unguarded.
    const std::atomic<bool>* cut = nullptr;
    int fd = -1;                     // the file, open until the capture ends
    const uint8_t* base = nullptr;   // where its byte 0 is mapped
    bool was_cut() const { return cut && cut->load(std::memory_order_acquire); }
};

// The file the frames being read now are in, for the threads that use them.
class FramesCutWatch {
public:
    // `file`: the reader's, or nullptr for frames the reader owns.
    void watch(const FramesInPlace* file) { file_.store(file, std::memory_order_release); }
    bool cut() const {
        const FramesInPlace* file = file_.load(std::memory_order_acquire);
        return file && file->was_cut();
    }
    // The file watched now: a frame kept by reference is read back from it.
    const FramesInPlace* file() const { return file_.load(std::memory_order_acquire); }

private:
    std::atomic<const FramesInPlace*> file_{nullptr};
};

}  // namespace egresswatch
