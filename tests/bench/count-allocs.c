/* count-allocs: an LD_PRELOAD library that counts heap allocations (malloc,
 * calloc, realloc, the aligned forms; operator new comes through malloc) and
 * writes "main=M all=A" to the file named by COUNT_ALLOCS_OUT at exit: M made
 * by the main thread (egresswatchd's capture thread, which with one worker
 * also tracks flows and runs nDPI), A by every thread. The benchmark runs
 * egresswatchd under it on two captures of the same flows that differ only
 * in packets after DPI is done: the difference in M, per extra packet, is
 * what the hot path allocates. (A also moves with how the store's writer
 * happens to batch, which follows the wall clock.)
 *
 * glibc's __libc_* entry points do the work, so no dlsym bootstrapping. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* ptr, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static atomic_ullong allocations, main_allocations;
static __thread __attribute__((tls_model("initial-exec"))) int on_main_thread = -1;

static void count(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    if (on_main_thread < 0) on_main_thread = gettid() == getpid();
    if (on_main_thread) atomic_fetch_add_explicit(&main_allocations, 1, memory_order_relaxed);
}

void* malloc(size_t size) {
    count();
    return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) {
    count();
    return __libc_calloc(n, size);
}

void* realloc(void* ptr, size_t size) {
    count();
    return __libc_realloc(ptr, size);
}

void* memalign(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
    count();
    void* p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void) {
    unsigned long long total = atomic_load(&allocations);  /* before fopen allocates */
    unsigned long long on_main = atomic_load(&main_allocations);
    const char* path = getenv("COUNT_ALLOCS_OUT");
    if (!path) return;
    FILE* f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "main=%llu all=%llu\n", on_main, total);
    fclose(f);
}
