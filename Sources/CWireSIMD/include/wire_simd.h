#ifndef WIRE_SIMD_H
#define WIRE_SIMD_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

/// Where a run of compact levels stopped: after the last level read and its separator (or at the level
/// the run could not read), how many levels it wrote, and whether the list's closing `]` was read.
typedef struct {
    const uint8_t *next;
    intptr_t count;
    bool closed;
} mm_level_run;

/// True when this CPU runs `mm_compact_levels` (x86-64 with AVX2, BMI1 and BMI2); false elsewhere.
bool mm_compact_levels_available(void);

/// Reads depth levels of the exact compact form Binance sends, `["63943.90","46.372"]` each followed by
/// `,` or the list's closing `]`, from `start` (a level's `[`) toward `end`, into `out` as pairs of
/// fixed-point values (8 fraction digits): price, quantity, price, quantity... Each number has 1 to 7
/// integer digits, a point and exactly `price_fraction_digits` or `quantity_fraction_digits` (1 to 8)
/// fraction digits. Stops without consuming at the first level it cannot read that way (another shape,
/// whitespace, a bad separator, the end of the bytes). Reads only bytes of `[frame, end)`, which must
/// hold at least 64 bytes, with at least 12 before `start` (it returns at once otherwise). `out` must
/// have room for every level the bytes can hold (each takes at least 10). Returns at once with no level
/// when `mm_compact_levels_available()` is false.
mm_level_run mm_compact_levels(
    const uint8_t *frame, const uint8_t *start, const uint8_t *end, int64_t *out, int price_fraction_digits,
    int quantity_fraction_digits);

/// Where `mm_compact_depth_lists` stopped: at `next`, having written `bids` and `asks` levels, in `state`
/// 0 (inside the bid list, at the level it could not read), 1 (after the bid list's `]`, where `,"a":[`
/// was expected), 2 (inside the ask list) or 3 (after the ask list's `]`).
typedef struct {
    const uint8_t *next;
    intptr_t bids;
    intptr_t asks;
    int state;
} mm_depth_lists;

/// Both level lists of a diff, `start` being the bid list's first byte (after `"b":[`): the bids as
/// `mm_compact_levels` reads them into `bids`, `,"a":[`, then the asks into `asks`, in one call. Stops
/// where `mm_compact_levels` would, or at anything other than `,"a":[` between the lists, and says
/// where (the caller reads on from there). The same conditions on the bytes and the outputs as
/// `mm_compact_levels`, for each list; returns at once in state 0 where that one would.
mm_depth_lists mm_compact_depth_lists(
    const uint8_t *frame, const uint8_t *start, const uint8_t *end, int64_t *bids, int64_t *asks, int price_fraction_digits,
    int quantity_fraction_digits);

/// Reads a USD-M diff's header from its event time to its bid list, as Binance sends it:
/// `<E>,"T":<T>` + the `symbol_count` bytes of `symbol_part` (`,"s":"<symbol>","U":`, 8 to 64 bytes) +
/// `<U>,"u":<u>,"pu":<pu>,"b":[`, from `q` (the event time's first digit). Each integer has 1 to 15
/// digits. Writes E, T, U, u and pu to `out[0...4]` and returns the byte after `"b":[`, or NULL when the
/// bytes are not exactly of that form (nothing else is then known about `out`). Reads only bytes of
/// `[frame, end)`, with at least 16 before `q`. Returns NULL where `mm_compact_levels_available()` is false.
const uint8_t *mm_depth_header(
    const uint8_t *frame, const uint8_t *q, const uint8_t *end, const uint8_t *symbol_part, intptr_t symbol_count,
    int64_t *out);

/// Whether the `n` bytes at `a` equal those at `b`, for `16 <= n <= 64`, sixteen at a time (the last block
/// overlapping the one before it). SSE2, which every x86-64 CPU has, so that it inlines where it is used.
static inline bool mm_equal_16_to_64(const uint8_t *a, const uint8_t *b, intptr_t n) {
#if defined(__x86_64__)
    __m128i diff = _mm_xor_si128(_mm_loadu_si128((const __m128i *)a), _mm_loadu_si128((const __m128i *)b));
    for (intptr_t i = 16; i + 16 <= n; i += 16) {
        diff = _mm_or_si128(diff, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + i)), _mm_loadu_si128((const __m128i *)(b + i))));
    }
    diff = _mm_or_si128(diff, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + n - 16)), _mm_loadu_si128((const __m128i *)(b + n - 16))));
    return _mm_movemask_epi8(_mm_cmpeq_epi8(diff, _mm_setzero_si128())) == 0xFFFF;
#else
    return memcmp(a, b, (size_t)n) == 0;
#endif
}

#endif
