// jemalloc's settings for egresswatchd, read when the allocator starts
// (linked only with jemalloc: CMakeLists.txt). Flows, nDPI's state, held
// evidence packets and records are small objects made at a steady rate, in
// memory that grows for the first minutes of a capture: on huge pages
// (transparent, where the kernel allows them: "always" or "madvise") a page
// fault brings in 2 MiB instead of 4 KiB, for the heap and for jemalloc's own
// metadata. MALLOC_CONF in the environment still overrides these.
const char* malloc_conf = "thp:always,metadata_thp:always";
