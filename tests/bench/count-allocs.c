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
 * Each call goes on to the allocator that comes next (dlsym RTLD_NEXT):
 * egresswatchd's jemalloc, or glibc's. free() is passed on too, so that every
 * block goes back to the allocator that made it. While dlsym itself
 * allocates, a small static buffer serves it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_ullong allocations, main_allocations;
static __thread __attribute__((tls_model("initial-exec"))) int on_main_thread = -1;

static void count(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    if (on_main_thread < 0) on_main_thread = gettid() == getpid();
    if (on_main_thread) atomic_fetch_add_explicit(&main_allocations, 1, memory_order_relaxed);
}

static void* (*next_malloc)(size_t);
static void* (*next_calloc)(size_t, size_t);
static void* (*next_realloc)(void*, size_t);
static void (*next_free)(void*);
static void* (*next_memalign)(size_t, size_t);
static int (*next_posix_memalign)(void**, size_t, size_t);

/* What dlsym allocates while the next allocator is looked up. */
static _Alignas(16) char bootstrap[16384];
static size_t bootstrap_used;
static int resolving;

static int from_bootstrap(const void* p) {
    return (const char*)p >= bootstrap && (const char*)p < bootstrap + sizeof bootstrap;
}

static void* bootstrap_alloc(size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (bootstrap_used + size > sizeof bootstrap) return NULL;
    void* p = bootstrap + bootstrap_used;
    bootstrap_used += size;
    return p;
}

static void resolve(void) {
    if (next_malloc || resolving) return;
    resolving = 1;
    next_calloc = dlsym(RTLD_NEXT, "calloc");
    next_realloc = dlsym(RTLD_NEXT, "realloc");
    next_free = dlsym(RTLD_NEXT, "free");
    next_memalign = dlsym(RTLD_NEXT, "memalign");
    next_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    next_malloc = dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
}

void* malloc(size_t size) {
    resolve();
    if (!next_malloc) return bootstrap_alloc(size);
    count();
    return next_malloc(size);
}

void* calloc(size_t n, size_t size) {
    resolve();
    if (!next_malloc) return bootstrap_alloc(n * size); /* static: already zero */
    count();
    return next_calloc(n, size);
}

void* realloc(void* ptr, size_t size) {
    resolve();
    if (from_bootstrap(ptr)) {
        void* p = malloc(size);
        size_t left = (size_t)(bootstrap + sizeof bootstrap - (char*)ptr);
        if (p) memcpy(p, ptr, size < left ? size : left);
        return p;
    }
    if (!next_malloc) return bootstrap_alloc(size);
    count();
    return next_realloc(ptr, size);
}

void free(void* ptr) {
    if (!ptr || from_bootstrap(ptr)) return;
    resolve();
    next_free(ptr);
}

void* memalign(size_t alignment, size_t size) {
    resolve();
    count();
    return next_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void** out, size_t alignment, size_t size) {
    resolve();
    count();
    return next_posix_memalign(out, alignment, size);
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
