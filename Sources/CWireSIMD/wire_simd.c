#include "wire_simd.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define WIRE_SIMD __attribute__((target("avx2,bmi,bmi2")))

bool mm_compact_levels_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}

// Shuffle controls for a number loaded as the 16 bytes that end at its closing quote, one per fraction digit
// count f: bytes 0-7 pick its integer digits right-aligned, bytes 8-15 its fraction digits left-aligned
// (padded with zeros to eight). A control byte with its high bit set picks zero. The integer's first
// byte depends on its digit count n: `leading[n]` sets that bit on the bytes before it.
static const int8_t controls[9][16] = {
#define Z -128
    {Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z},
    {6, 7, 8, 9, 10, 11, 12, 13, 15, Z, Z, Z, Z, Z, Z, Z},
    {5, 6, 7, 8, 9, 10, 11, 12, 14, 15, Z, Z, Z, Z, Z, Z},
    {4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, Z, Z, Z, Z, Z},
    {3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, Z, Z, Z, Z},
    {2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, Z, Z, Z},
    {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, Z, Z},
    {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, Z},
    {Z, 0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15},
};
static const int8_t leading[8][16] = {
    {Z, Z, Z, Z, Z, Z, Z, Z},
    {Z, Z, Z, Z, Z, Z, Z, 0},
    {Z, Z, Z, Z, Z, Z, 0, 0},
    {Z, Z, Z, Z, Z, 0, 0, 0},
    {Z, Z, Z, Z, 0, 0, 0, 0},
    {Z, Z, Z, 0, 0, 0, 0, 0},
    {Z, Z, 0, 0, 0, 0, 0, 0},
    {Z, 0, 0, 0, 0, 0, 0, 0},
#undef Z
};

/// Bit i set when byte `p + i` is a quote, for 64 bytes.
static inline WIRE_SIMD uint64_t quote_mask(const uint8_t *p) {
    const __m256i quote = _mm256_set1_epi8('"');
    const __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32));
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, quote))
        | (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, quote)) << 32;
}

/// The values of the 16 digit bytes (0-9) in each half of `digits`, most significant first, into `out[0]`
/// (low half) and `out[1]` (high half): digit pairs, then groups of four, then eight, then the two eights.
static inline __attribute__((always_inline)) WIRE_SIMD void store_values(__m256i digits, int64_t *out) {
    __m256i x = _mm256_madd_epi16(_mm256_maddubs_epi16(digits, _mm256_set1_epi16(0x010A)), _mm256_set1_epi32(0x00010064));
    __m256i c = _mm256_madd_epi16(_mm256_packus_epi32(x, x), _mm256_set1_epi32(0x00012710));
    __m128i pair = _mm256_castsi256_si128(_mm256_permute4x64_epi64(c, 0x08));
    _mm_storeu_si128((__m128i *)out, _mm_add_epi64(_mm_mul_epu32(pair, _mm_set1_epi64x(100000000)), _mm_srli_epi64(pair, 32)));
}

/// `store_values` for one half: the value of the 16 digit bytes of `digits`.
static inline __attribute__((always_inline)) WIRE_SIMD int64_t value_of(__m128i digits) {
    __m128i x = _mm_madd_epi16(_mm_maddubs_epi16(digits, _mm_set1_epi16(0x010A)), _mm_set1_epi32(0x00010064));
    uint64_t eights = (uint64_t)_mm_cvtsi128_si64(_mm_madd_epi16(_mm_packus_epi32(x, x), _mm_set1_epi32(0x00012710)));
    return (int64_t)((eights & 0xFFFFFFFFu) * 100000000u + (eights >> 32));
}

/// One level at `q` with its separator, into `out`; its length, or 0 when it is not of the form. `quotes`
/// is the quote mask of the bytes from `q`, of which `available` bits (up to 64) are known. `fp` and `fq`
/// are the fraction digits, `control` the shuffle controls for them (price in the low half, quantity in
/// the high one).
///
/// The numbers' closing quotes come from the quote mask, so that where the next level starts depends on
/// two loads, a compare and a few bit operations, not on reading each number in turn. Each number is then
/// loaded as the 16 bytes ending at its closing quote (inside the frame even for its last level), the two
/// side by side in one 32-byte vector, their digits shuffled into place and checked all at once.
static inline __attribute__((always_inline)) WIRE_SIMD intptr_t level(
    const uint8_t *q, uint64_t quotes, intptr_t available, intptr_t fp, intptr_t fq, __m256i control, int64_t *out) {
    uint16_t open, middle, close;
    memcpy(&open, q, 2);
    // The price's closing quote (the first after `["`), then the quantity's (the first after `","`), each
    // number of 1-7 integer digits (unsigned: fewer wrap around), which keeps p3 below 40.
    uint64_t rest = _blsr_u64(quotes);
    uint64_t p1 = _tzcnt_u64(rest);
    uint64_t p3 = _tzcnt_u64(_blsr_u64(_blsr_u64(rest)));
    uint64_t np = p1 - 3 - (uint64_t)fp, nq = p3 - p1 - 4 - (uint64_t)fq;
    if (open != 0x225B || np - 1 >= 7 || nq - 1 >= 7 || (intptr_t)p3 + 3 > available) return 0;  // `["`
    memcpy(&middle, q + p1 + 1, 2);
    memcpy(&close, q + p3 + 1, 2);
    // `,"` between the numbers, their points, and `]` with `,` or `]` after it.
    if (middle != 0x222C || q[2 + np] != '.' || q[p1 + 3 + nq] != '.' || (close != 0x2C5D && close != 0x5D5D)) return 0;
    __m256i raw = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(q + p1 - 16))), _mm_loadu_si128((const __m128i *)(q + p3 - 16)), 1);
    __m256i lead = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)leading[np])), _mm_loadu_si128((const __m128i *)leading[nq]), 1);
    __m256i digits = _mm256_shuffle_epi8(_mm256_sub_epi8(raw, _mm256_set1_epi8('0')), _mm256_or_si256(control, lead));
    // Every byte shuffled in is a digit (what it did not pick is zero).
    if ((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(digits, _mm256_set1_epi8(9)), digits)) != 0xFFFFFFFFu) return 0;
    store_values(digits, out);
    return (intptr_t)p3 + 3;
}

// 16 zero bytes, then 16 of all ones: the 16 loaded from `tail_ones + n` keep the last `n` bytes of a vector.
static const uint8_t tail_ones[32] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/// The `n` (1 to 15) digits that end before `e` as digit values, right-aligned in 16 bytes (the bytes before
/// them, inside the frame, cleared). Reads the 16 bytes before `e`.
static inline __attribute__((always_inline)) WIRE_SIMD __m128i right_aligned(const uint8_t *e, uint64_t n) {
    return _mm_and_si128(_mm_sub_epi8(_mm_loadu_si128((const __m128i *)(e - 16)), _mm_set1_epi8('0')),
                         _mm_loadu_si128((const __m128i *)(tail_ones + n)));
}

/// The JSON integer of 1 to 15 digits at `p` into `value`; the byte after it, or NULL when `p` does not
/// start with such an integer. Reads the 16 bytes from `p` and the 16 that end at its last digit.
static inline __attribute__((always_inline)) WIRE_SIMD const uint8_t *header_integer(const uint8_t *p, const uint8_t *end, int64_t *value) {
    if (end - p < 16) return NULL;
    __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)p), _mm_set1_epi8('0'));
    uint32_t digits = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
    uint32_t n = _tzcnt_u32(~digits);
    if (n - 1 >= 15) return NULL;
    *value = value_of(right_aligned(p + n, n));
    return p + n;
}

/// Whether the `n` (1 to 8) bytes at `p` are those of `literal` (in its low bytes), reading 8.
static inline WIRE_SIMD bool header_literal(const uint8_t *p, const uint8_t *end, uint64_t literal, int n) {
    uint64_t word;
    if (end - p < 8) return false;
    memcpy(&word, p, 8);
    return ((word ^ literal) & (~(uint64_t)0 >> (64 - 8 * n))) == 0;
}

/// Whether the `n` (8 to 64) bytes at `a` equal those at `b`.
static inline WIRE_SIMD bool header_bytes(const uint8_t *a, const uint8_t *b, intptr_t n) {
    if (n >= 16) return mm_equal_16_to_64(a, b, n);
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8);
    memcpy(&b0, b, 8);
    memcpy(&a1, a + n - 8, 8);
    memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

// The header's literals as little-endian words: `,"T":`, `,"u":`, `,"pu":` and `,"b":[`.
static const uint64_t literal_t = 0x3A2254222CULL, literal_u = 0x3A2275222CULL, literal_pu = 0x3A227570222CULL,
                      literal_b = 0x5B3A2262222CULL;

/// Bit i set when byte `p + i` is not a decimal digit, for 64 bytes.
static inline __attribute__((always_inline)) WIRE_SIMD uint64_t non_digits(const uint8_t *p) {
    const __m256i zero = _mm256_set1_epi8('0'), nine = _mm256_set1_epi8(9);
    __m256i a = _mm256_sub_epi8(_mm256_loadu_si256((const __m256i *)p), zero);
    __m256i b = _mm256_sub_epi8(_mm256_loadu_si256((const __m256i *)(p + 32)), zero);
    uint64_t digits = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(a, nine), a))
        | (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(b, nine), b)) << 32;
    return ~digits;
}

/// The values of two integers of `n0` and `n1` (1 to 15) digits that end before `e0` and `e1`, into
/// `out[0]` and `out[1]`, converted side by side.
static inline __attribute__((always_inline)) WIRE_SIMD void two_integers(
    const uint8_t *e0, uint64_t n0, const uint8_t *e1, uint64_t n1, int64_t *out) {
    store_values(_mm256_inserti128_si256(_mm256_castsi128_si256(right_aligned(e0, n0)), right_aligned(e1, n1), 1), out);
}

/// Digits in the run that starts at bit `s` of the 128-bit non-digit mask `nd`; 0 when `s` is past it.
static inline __attribute__((always_inline)) uint64_t digit_run(unsigned __int128 nd, uint64_t s) {
    return s < 128 ? (uint64_t)_tzcnt_u64((uint64_t)(nd >> s)) : 0;
}

/// `mm_depth_header` one integer at a time, for headers that do not fit the 128 bytes it reads at once
/// (arguments checked by it).
static WIRE_SIMD const uint8_t *depth_header_short(
    const uint8_t *q, const uint8_t *end, const uint8_t *symbol_part, intptr_t symbol_count,
    int64_t *out) {
    if (!(q = header_integer(q, end, &out[0])) || !header_literal(q, end, literal_t, 5)) return NULL;
    if (!(q = header_integer(q + 5, end, &out[1]))) return NULL;
    if (end - q < symbol_count || !header_bytes(q, symbol_part, symbol_count)) return NULL;
    if (!(q = header_integer(q + symbol_count, end, &out[2])) || !header_literal(q, end, literal_u, 5)) return NULL;
    if (!(q = header_integer(q + 5, end, &out[3])) || !header_literal(q, end, literal_pu, 6)) return NULL;
    if (!(q = header_integer(q + 6, end, &out[4])) || !header_literal(q, end, literal_b, 6)) return NULL;
    return q + 6;
}

WIRE_SIMD const uint8_t *mm_depth_header(
    const uint8_t *frame, const uint8_t *q, const uint8_t *end, const uint8_t *symbol_part, intptr_t symbol_count,
    int64_t *out) {
    // Integers are read back from their last digit: 16 bytes before `q` cover the shortest one.
    if (q - frame < 16 || symbol_count < 8 || symbol_count > 64) return NULL;
    if (end - q < 128) return depth_header_short(q, end, symbol_part, symbol_count, out);
    // Where each integer ends comes from one mask of the 128 bytes from `q`, a shift and a count per
    // integer; reading them one after another would chain a load and a compare per integer.
    const unsigned __int128 nd = (unsigned __int128)non_digits(q + 64) << 64 | non_digits(q);
    uint64_t n0 = digit_run(nd, 0), s1 = n0 + 5, n1 = digit_run(nd, s1), s2 = s1 + n1 + (uint64_t)symbol_count;
    uint64_t n2 = digit_run(nd, s2), s3 = s2 + n2 + 5, n3 = digit_run(nd, s3), s4 = s3 + n3 + 6, n4 = digit_run(nd, s4);
    uint64_t last = s4 + n4;
    // Each of 1 to 15 digits, the last ending inside the mask (and so every other one).
    if (last >= 128) return depth_header_short(q, end, symbol_part, symbol_count, out);
    if (n0 - 1 >= 15 || n1 - 1 >= 15 || n2 - 1 >= 15 || n3 - 1 >= 15 || n4 - 1 >= 15) return NULL;
    if (!header_literal(q + n0, end, literal_t, 5) || !header_bytes(q + s1 + n1, symbol_part, symbol_count)
        || !header_literal(q + s2 + n2, end, literal_u, 5) || !header_literal(q + s3 + n3, end, literal_pu, 6)
        || !header_literal(q + last, end, literal_b, 6))
        return NULL;
    two_integers(q + n0, n0, q + s1 + n1, n1, out);
    two_integers(q + s2 + n2, n2, q + s3 + n3, n3, out + 2);
    out[4] = value_of(right_aligned(q + last, n4));
    return q + last + 6;
}

/// `mm_compact_levels` once its arguments are checked, with the shuffle controls of the fraction digits.
static inline __attribute__((always_inline)) WIRE_SIMD mm_level_run level_run(
    const uint8_t *start, const uint8_t *end, int64_t *out, intptr_t fp, intptr_t fq, __m256i control) {
    mm_level_run run = {start, 0, false};
    const uint8_t *q = start;
    int64_t *const first = out;
    // The quote mask of the 128 bytes from `q` (`low`, then `high`), of which `valid` bits hold: shifted
    // along as levels are read, so that most levels find their quotes with no load in the chain from one
    // level to the next, and reloaded when a level might not fit.
    uint64_t low = 0, high = 0;
    intptr_t valid = 0;
    for (;;) {
        // 40: the longest level the reader takes (7 integer and 8 fraction digits a number).
        if (valid < 40) {
            intptr_t available = end - q;
            if (available >= 128) {
                low = quote_mask(q);
                high = quote_mask(q + 64);
                valid = 128;
            } else if (available >= 64) {
                low = quote_mask(q);
                high = 0;
                valid = 64;
            } else if (available >= 10) {
                // The frame's last 64 bytes, shifted to start at `q`: bits past the end are clear.
                low = quote_mask(end - 64) >> (64 - available);
                high = 0;
                valid = available;
            } else {
                break;
            }
        }
        intptr_t length = level(q, low, valid < 64 ? valid : 64, fp, fq, control, out);
        if (length == 0) break;
        out += 2;
        q += length;
        // 10 ≤ length ≤ 40.
        low = (low >> length) | (high << (64 - length));
        high >>= length;
        valid -= length;
        if (q[-1] == ']') {
            run.closed = true;
            break;
        }
    }
    run.next = q;
    run.count = (out - first) / 2;
    return run;
}

/// The shuffle controls of `fp` and `fq` fraction digits, side by side.
static inline __attribute__((always_inline)) WIRE_SIMD __m256i level_controls(intptr_t fp, intptr_t fq) {
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)controls[fp])), _mm_loadu_si128((const __m128i *)controls[fq]), 1);
}

/// Whether levels of `fp` and `fq` fraction digits can be read from `start` in `[frame, end)`: numbers are
/// loaded from 16 bytes before their closing quote (at least 4 past a level's start), and masks near the
/// end from the frame's last 64 bytes.
static inline bool levels_readable(const uint8_t *frame, const uint8_t *start, const uint8_t *end, int fp, int fq) {
    return (unsigned)(fp - 1) < 8 && (unsigned)(fq - 1) < 8 && start - frame >= 12 && end - frame >= 64;
}

WIRE_SIMD mm_level_run mm_compact_levels(
    const uint8_t *frame, const uint8_t *start, const uint8_t *end, int64_t *out, int fp, int fq) {
    if (!levels_readable(frame, start, end, fp, fq)) {
        mm_level_run none = {start, 0, false};
        return none;
    }
    return level_run(start, end, out, fp, fq, level_controls(fp, fq));
}

WIRE_SIMD mm_depth_lists mm_compact_depth_lists(
    const uint8_t *frame, const uint8_t *start, const uint8_t *end, int64_t *bids, int64_t *asks, int fp, int fq) {
    mm_depth_lists lists = {start, 0, 0, 0};
    if (!levels_readable(frame, start, end, fp, fq) || start >= end) return lists;
    const __m256i control = level_controls(fp, fq);
    const uint8_t *q = start;
    if (*q == ']') {
        q += 1;
    } else {
        mm_level_run run = level_run(q, end, bids, fp, fq, control);
        lists.next = run.next;
        lists.bids = run.count;
        if (!run.closed) return lists;
        q = run.next;
    }
    // `,"a":[` and the ask list.
    const uint64_t a = 0x5B3A2261222CULL;
    uint64_t word;
    lists.next = q;
    lists.state = 1;
    if (end - q < 8) return lists;
    memcpy(&word, q, 8);
    if (((word ^ a) & 0xFFFFFFFFFFFFULL) != 0) return lists;
    q += 6;
    lists.next = q;
    lists.state = 2;
    if (q >= end) return lists;
    if (*q == ']') {
        lists.next = q + 1;
        lists.state = 3;
        return lists;
    }
    mm_level_run run = level_run(q, end, asks, fp, fq, control);
    lists.next = run.next;
    lists.asks = run.count;
    if (run.closed) lists.state = 3;
    return lists;
}

#else

bool mm_compact_levels_available(void) { return false; }

const uint8_t *mm_depth_header(
    const uint8_t *frame, const uint8_t *q, const uint8_t *end, const uint8_t *symbol_part, intptr_t symbol_count,
    int64_t *out) {
    (void)frame;
    (void)q;
    (void)end;
    (void)symbol_part;
    (void)symbol_count;
    (void)out;
    return NULL;
}

mm_depth_lists mm_compact_depth_lists(
    const uint8_t *frame, const uint8_t *start, const uint8_t *end, int64_t *bids, int64_t *asks, int fp, int fq) {
    (void)frame;
    (void)end;
    (void)bids;
    (void)asks;
    (void)fp;
    (void)fq;
    mm_depth_lists lists = {start, 0, 0, 0};
    return lists;
}

mm_level_run mm_compact_levels(const uint8_t *frame, const uint8_t *start, const uint8_t *end, int64_t *out, int fp, int fq) {
    (void)frame;
    (void)end;
    (void)out;
    (void)fp;
    (void)fq;
    mm_level_run run = {start, 0, false};
    return run;
}

#endif
