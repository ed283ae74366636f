#include "mapped_pcap.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "capture.hpp"

namespace egresswatch::daemon {
namespace {

constexpr uint32_t kMicroseconds = 0xa1b2c3d4;
constexpr uint32_t kNanoseconds = 0xa1b23c4d;
constexpr uint32_t kMaxCaptured = 262144;  // libpcap's largest snapshot length
constexpr size_t kFileHeader = 24, kRecordHeader = 16;
// Pages read more than this far back are given back to the page cache, so
// that the file does not count in our resident memory (a frame still queued
// for a worker is then read again from the page cache: correct, and rare).
constexpr size_t kKeepBehind = size_t{4} << 20;
constexpr size_t kPositionStep = size_t{1} << 20;
// How far ahead of the reader the pager maps pages, in madvise
// (MADV_POPULATE_READ) calls of kPopulateStep: a page fault per 4 KiB page
// was 5% of capture time on a large file, and mapping ahead on the capture
// thread itself still cost 8%.
constexpr size_t kPopulateAhead = size_t{8} << 20;
constexpr size_t kPopulateStep = size_t{2} << 20;
constexpr size_t kCacheLine = 64;
constexpr size_t kStopPager = SIZE_MAX;
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older kernels say EINVAL and fault as before
#endif

uint32_t swap32(uint32_t v) { return __builtin_bswap32(v); }

size_t page_floor(size_t offset) {
    static const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    return offset / page * page;
}

// The file's link type as libpcap's DLT, for the types the decoders know and
// whose LINKTYPE_ number differs or is the same; 0xffffffff for the rest
// (libpcap then reads the file and maps them).
uint32_t dlt_of(uint32_t linktype) {
    switch (linktype) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP: return linktype;
    case 101: return DLT_RAW;  // LINKTYPE_RAW
    default: return 0xffffffff;
    }
}

// ---- the SIGBUS guard ----------------------------------------------------------
// A mapped file that shrinks while it is read (a tcpdump -W ring file being
// reused, a file cut by another program) makes every read of a page beyond
// its new end raise SIGBUS, which would kill the daemon and lose what it had
// read. The handler below, for an address inside a guarded mapping only,
// maps a page of zeros over the faulting page, marks the mapping, and
// returns: the read completes (with zeros), and the reader, which checks the
// mark after each record, stops there and says so. Any other SIGBUS is the
// default one: the handler restores it and the fault repeats.
constexpr int kGuards = 64;
struct Guard {
    std::atomic<uintptr_t> begin{0}, end{0};
    std::atomic<bool> faulted{false};
};
Guard guards[kGuards];

void on_sigbus(int, siginfo_t* info, void*) {
    auto address = reinterpret_cast<uintptr_t>(info->si_addr);
    for (Guard& guard : guards) {
        uintptr_t begin = guard.begin.load(std::memory_order_acquire);
        if (begin == 0 || address < begin || address >= guard.end.load(std::memory_order_acquire)) continue;
        static const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
        void* at = reinterpret_cast<void*>(address / page * page);
        if (mmap(at, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) break;
        guard.faulted.store(true, std::memory_order_release);
        return;
    }
    signal(SIGBUS, SIG_DFL);
}

int guard_mapping(const void* data, size_t size) {
    static std::once_flag installed;
    std::call_once(installed, [] {
        struct sigaction action {};
        action.sa_sigaction = on_sigbus;
        action.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&action.sa_mask);
        sigaction(SIGBUS, &action, nullptr);
    });
    static std::mutex slots;
    std::lock_guard lock(slots);
    for (int i = 0; i < kGuards; ++i) {
        if (guards[i].begin.load() != 0) continue;
        guards[i].faulted.store(false);
        guards[i].end.store(reinterpret_cast<uintptr_t>(data) + size, std::memory_order_release);
        guards[i].begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
        return i;
    }
    return -1;  // more files open than slots: such a file is read unguarded
}

void unguard_mapping(int slot) {
    if (slot < 0) return;
    guards[slot].begin.store(0, std::memory_order_release);
    guards[slot].end.store(0, std::memory_order_release);
}

}  // namespace

bool MappedPcap::shrank() const { return guard_ >= 0 && guards[guard_].faulted.load(std::memory_order_acquire); }

std::unique_ptr<MappedPcap> MappedPcap::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw CaptureError("cannot read capture " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<size_t>(st.st_size) < kFileHeader) {
        ::close(fd);
        return nullptr;
    }
    size_t size = static_cast<size_t>(st.st_size);
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        ::close(fd);
        return nullptr;
    }
    std::unique_ptr<MappedPcap> file(new MappedPcap);
    file->fd_ = fd;
    file->data_ = static_cast<const uint8_t*>(map);
    file->size_ = size;
    file->guard_ = guard_mapping(map, size);
    file->frames_ = {file->guard_ >= 0 ? &guards[file->guard_].faulted : nullptr, fd, file->data_};
    uint32_t magic = file->read32(0);
    file->swapped_ = magic == swap32(kMicroseconds) || magic == swap32(kNanoseconds);
    file->nanoseconds_ = magic == kNanoseconds || magic == swap32(kNanoseconds);
    uint16_t major = 0;
    std::memcpy(&major, file->data_ + 4, 2);
    if (file->swapped_) major = __builtin_bswap16(major);
    uint32_t linktype = file->read32(20);
    bool classic = magic == kMicroseconds || magic == kNanoseconds || file->swapped_;
    if (!classic || major != 2 || dlt_of(linktype) == 0xffffffff) return nullptr;  // unmapped by the destructor
    file->linktype_ = static_cast<int>(dlt_of(linktype));
    madvise(map, size, MADV_SEQUENTIAL);
    file->pager_ = std::thread([f = file.get()] { f->keep_pages(); });
    return file;
}

MappedPcap::~MappedPcap() {
    stop_pager();
    unguard_mapping(guard_);
    if (data_) munmap(const_cast<uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
}

void MappedPcap::stop_pager() {
    if (!pager_.joinable()) return;
    reached_.store(kStopPager);
    reached_.notify_one();
    pager_.join();
}

// The descriptor's position says how far the file was read (/proc/PID/fdinfo;
// the benchmark takes its end as the end of reading). It stays open: the
// evidence hold reads frames back from it (FramesInPlace).
void MappedPcap::read_to_end() {
    if (fd_ >= 0) lseek(fd_, static_cast<off_t>(offset_), SEEK_SET);
}

uint32_t MappedPcap::read32(size_t offset) const {
    uint32_t v;
    std::memcpy(&v, data_ + offset, 4);
    return swapped_ ? swap32(v) : v;
}

int MappedPcap::next(pcap_pkthdr& header, const uint8_t*& frame) {
    int status = read_next(header, frame);
    if (status != 1) {
        stop_pager();
        release(offset_);
        read_to_end();
    }
    return status;
}

// Gives back the pages before `offset`, from the start of the file each time:
// a flow worker that read a queued frame after its page was given back made
// it resident again. (Cheap: the kernel skips what is not mapped.)
void MappedPcap::release(size_t offset) {
    size_t end = page_floor(offset);
    if (end > 0) madvise(const_cast<uint8_t*>(data_), end, MADV_DONTNEED);
    released_ = std::max(released_, end);
}

// The pager thread: the capture thread then neither faults pages in nor
// unmaps them, and a flow worker's frames are mapped as before.
void MappedPcap::keep_pages() {
    pthread_setname_np(pthread_self(), "ew-pager");
    size_t populated = 0;
    bool can_populate = true;
    for (;;) {
        size_t reached = reached_.load();
        if (reached == kStopPager) return;
        while (can_populate && populated < size_ && populated < reached + kPopulateAhead) {
            size_t end = std::min(size_, populated + kPopulateStep);
            // Older kernels (before 5.14) say EINVAL: the reader then faults as before.
            can_populate = madvise(const_cast<uint8_t*>(data_) + populated, end - populated, MADV_POPULATE_READ) == 0;
            // Only pages just mapped: a page past the end of a file that
            // shrank would raise the guard before the reader got there.
            if (can_populate) warm(populated, end);
            populated = end;
        }
        if (reached > released_ + 2 * kKeepBehind) release(reached - kKeepBehind);
        reached_.wait(reached);
    }
}

// Reads a byte of each cache line, so that the reader finds the frames in the
// shared cache, not in main memory. The reader's first touch of each frame
// was a wait on memory: on a week of real traffic (1M packets, 122 MB) the
// capture thread took 0.54 s without this and 0.46 s with it, for 0.07 s of
// this thread's time. (Prefetch instructions here did not help: loads do.)
void MappedPcap::warm(size_t begin, size_t end) const {
    for (size_t at = begin; at < end; at += kCacheLine)
        static_cast<void>(static_cast<const volatile uint8_t*>(data_)[at]);
}

int MappedPcap::read_next(pcap_pkthdr& header, const uint8_t*& frame) {
    if (shrank()) {
        error_ = "the file shrank while it was read (rewritten or cut by another program, e.g. a tcpdump -W ring "
                 "file reused): reading stopped at byte " + std::to_string(offset_);
        return kChanged;
    }
    if (offset_ == size_) return 0;
    size_t left = size_ - offset_;
    if (left < kRecordHeader) {
        error_ = "truncated dump file; tried to read " + std::to_string(kRecordHeader) +
                 " header bytes, only got " + std::to_string(left);
        return -1;
    }
    uint32_t captured = read32(offset_ + 8);
    if (captured > kMaxCaptured) {
        error_ = "invalid packet capture length " + std::to_string(captured) + ", bigger than maximum of " +
                 std::to_string(kMaxCaptured);
        return -1;
    }
    if (left - kRecordHeader < captured) {
        error_ = "truncated dump file; tried to read " + std::to_string(captured) + " captured bytes, only got " +
                 std::to_string(left - kRecordHeader);
        return -1;
    }
    // The record's last byte: if the file was cut before it, the guard says
    // so now (a cut removes the end of a file), not after the frame was used.
    if (captured > 0) static_cast<void>(*static_cast<const volatile uint8_t*>(data_ + offset_ + kRecordHeader + captured - 1));
    if (shrank()) return read_next(header, frame);
    uint32_t fraction = read32(offset_ + 4);
    header.ts.tv_sec = static_cast<time_t>(read32(offset_));
    header.ts.tv_usec = static_cast<suseconds_t>(nanoseconds_ ? fraction / 1000 : fraction);
    header.caplen = captured;
    header.len = read32(offset_ + 12);
    frame = data_ + offset_ + kRecordHeader;
    offset_ += kRecordHeader + captured;
    // The next record's header and the frame's headers are read while this
    // packet is processed: without this, each was a wait on main memory.
    if (size_ - offset_ >= 128) {
        __builtin_prefetch(data_ + offset_);
        __builtin_prefetch(data_ + offset_ + 64);
    }
    // Each MiB, the pager and the descriptor's position learn how far the
    // reader is (/proc/PID/fdinfo then shows it, as with stdio: the benchmark
    // uses it).
    if (offset_ - position_ > kPositionStep) {
        position_ = offset_;
        lseek(fd_, static_cast<off_t>(position_), SEEK_SET);
        reached_.store(offset_);
        reached_.notify_one();
    }
    return 1;
}

}  // namespace egresswatch::daemon
