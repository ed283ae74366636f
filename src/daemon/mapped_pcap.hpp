// A classic pcap file read in place through a memory map. libpcap reads a
// file with two freads per packet, copying every frame twice (kernel to
// stdio, stdio to its buffer); here frames are read where the page cache has
// them, and stay valid while the file is open, so the capture thread can hand
// them to flow workers without a copy. pcapng files and pipes go to libpcap.
//
// Format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-01.html): a
// 24-byte file header whose magic number gives the byte order and whether
// times are in micro- or nanoseconds, then per packet a 16-byte record
// header (seconds, fraction, captured length, original length) and the frame.
#pragma once

#include <pcap/pcap.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "egresswatch/frame_header.hpp"

namespace egresswatch::daemon {

class MappedPcap {
public:
    // The file mapped, or nullptr if it is not a classic pcap file (a pcapng
    // file, a pipe, an empty file): libpcap is then the reader. Throws
    // CaptureError if the file cannot be opened.
    static std::unique_ptr<MappedPcap> open(const std::string& path);
    ~MappedPcap();
    MappedPcap(const MappedPcap&) = delete;
    MappedPcap& operator=(const MappedPcap&) = delete;

    int linktype() const { return linktype_; }
    // The next packet: 1 with its header and frame (valid while this object
    // lives); 0 at the end; -1 if the file is damaged or cut short (error());
    // kChanged if the file shrank while it was read (error()).
    static constexpr int kChanged = -2;
    int next(pcap_pkthdr& header, const uint8_t*& frame);
    const std::string& error() const { return error_; }
    // The file, for frames kept beyond their packet (Sensor::watch_frames):
    // its `cut` goes up (for good) once a page of the file read as zeros
    // because the file shrank (nullptr if read unguarded); its descriptor
    // stays open until this object goes, for reading frames back.
    const FramesInPlace* frames() const { return &frames_; }

private:
    MappedPcap() = default;
    uint32_t read32(size_t offset) const;
    int read_next(pcap_pkthdr& header, const uint8_t*& frame);
    void release(size_t offset);
    void keep_pages();
    void warm(size_t begin, size_t end) const;
    void stop_pager();
    void read_to_end();

    bool shrank() const;

    int fd_ = -1;
    FramesInPlace frames_;
    int guard_ = -1;  // its slot in the SIGBUS guard (see mapped_pcap.cpp)

    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t offset_ = 24;
    size_t released_ = 0;  // pages before this were given back (madvise)
    size_t position_ = 0;  // the descriptor's position
    // The pager thread maps pages ahead of the reader and gives back those
    // behind it; the reader tells it how far it is (kStopPager: stop).
    std::atomic<size_t> reached_{0};
    std::thread pager_;
    bool swapped_ = false;
    bool nanoseconds_ = false;
    int linktype_ = 0;
    std::string error_;
};

}  // namespace egresswatch::daemon
