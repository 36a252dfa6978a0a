/* What a memory access costs on this machine after the CPU has slept a while: the cost every tick of a
 * quoting loop pays for the code and data it touches. A chain of 100 dependent loads is walked after
 * sleeping each gap, laid out two ways: 100 cache lines packed in two 4 KiB pages (the cost of a line
 * from wherever the caches lost it to), and 100 lines in 100 pages spread over 256 MiB (a line plus its
 * page's address translation). Prints the median per load, and the same walk warm.
 * Built and run by scripts/cache_floor.sh. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LOADS 100
#define ROUNDS 41

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void *walk(void **start) {
    void **p = start;
    for (int i = 0; i < LOADS; i++) p = (void **)*p;
    return p;
}

static void link_chain(void ***nodes) {
    for (int i = 0; i < LOADS; i++) *nodes[i] = nodes[(i + 1) % LOADS];
}

int main(void) {
    size_t size = (size_t)256 << 20;
    char *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return 1;
    madvise(memory, size, MADV_NOHUGEPAGE);
    memset(memory, 1, size);
    void **spread[LOADS], **packed[LOADS];
    char *packedBase = memory + size / 2 + 4096;
    for (int i = 0; i < LOADS; i++) {
        spread[i] = (void **)(memory + (size_t)i * (size / LOADS) + 64 * (size_t)(i % 60));
        packed[i] = (void **)(packedBase + 64 * (size_t)((i * 37) % LOADS)); /* not in address order */
    }
    link_chain(spread);
    link_chain(packed);
    const long gaps_us[] = {0, 100, 1000, 10000, 50000, 250000};
    volatile uintptr_t sink = 0; /* keeps the walks from being optimized away */
    printf("%-10s %22s %22s\n", "gap", "ns/load, 2 pages", "ns/load, 100 pages");
    for (size_t g = 0; g < sizeof gaps_us / sizeof gaps_us[0]; g++) {
        uint64_t inPacked[ROUNDS], inSpread[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            struct timespec gap = {gaps_us[g] / 1000000, (gaps_us[g] % 1000000) * 1000};
            if (gaps_us[g] > 0) nanosleep(&gap, NULL);
            uint64_t t0 = now_ns();
            sink += (uintptr_t)walk(packed[0]);
            uint64_t t1 = now_ns();
            if (gaps_us[g] > 0) nanosleep(&gap, NULL);
            uint64_t t2 = now_ns();
            sink += (uintptr_t)walk(spread[0]);
            uint64_t t3 = now_ns();
            inPacked[r] = t1 - t0;
            inSpread[r] = t3 - t2;
        }
        qsort(inPacked, ROUNDS, sizeof inPacked[0], by_value);
        qsort(inSpread, ROUNDS, sizeof inSpread[0], by_value);
        char label[32];
        if (gaps_us[g] == 0) snprintf(label, sizeof label, "warm");
        else snprintf(label, sizeof label, "%g ms", gaps_us[g] / 1000.0);
        printf("%-10s %22.1f %22.1f\n", label, inPacked[ROUNDS / 2] / (double)LOADS, inSpread[ROUNDS / 2] / (double)LOADS);
    }
    return 0;
}
