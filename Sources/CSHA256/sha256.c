// SHA-256 as FIPS 180-4 defines it: a portable implementation, and one with the x86-64 SHA
// extensions (SHA-NI: Intel since Goldmont and Ice Lake, AMD since Zen), chosen at run time.
#include "csha256.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress_portable(uint32_t state[8], const uint8_t *blocks, size_t count) {
    for (; count > 0; count--, blocks += 64) {
        uint32_t w[64];
        for (int t = 0; t < 16; t++) {
            const uint8_t *p = blocks + 4 * t;
            w[t] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        }
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>

int csha256_cpu_is_accelerated(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return ssse3 && sse41 && ((ebx >> 29) & 1);
}

// Written as inline assembly rather than intrinsics so that it runs at full speed in debug
// builds too (SwiftPM compiles C at -O0 there, and no setting of a package that others depend
// on can change that): 7x faster than intrinsics at -O0.
//
// The SHA extensions keep the working variables as ABEF (xmm1) and CDGH (xmm2). Each group of
// four rounds adds four words of the message schedule to four constants (xmm0) and runs
// sha256rnds2 twice, two rounds each. The schedule's words live in xmm3-xmm6, W[t..t+3] in the
// register that held W[t-16..t-13]: sha256msg1 adds sigma0 of W[t-15..t-12], paddd W[t-7..t-4]
// (palignr of the two previous groups), sha256msg2 sigma1 of W[t-2..t-1].
#define W0 "%%xmm3"
#define W1 "%%xmm4"
#define W2 "%%xmm5"
#define W3 "%%xmm6"
#define LOAD(w, group) "movdqu " #group "*16(%[blocks]), " w "\n\t pshufb %%xmm10, " w "\n\t"
#define SCHEDULE(w16, w12, w8, w4)                                              \
    "sha256msg1 " w12 ", " w16 "\n\t movdqa " w4 ", %%xmm7\n\t palignr $4, " w8 \
    ", %%xmm7\n\t paddd %%xmm7, " w16 "\n\t sha256msg2 " w4 ", " w16 "\n\t"
#define ROUNDS(w, group)                                                        \
    "movdqa " w ", %%xmm0\n\t paddd " #group "*16(%[k]), %%xmm0\n\t"            \
    "sha256rnds2 %%xmm0, %%xmm1, %%xmm2\n\t pshufd $0x0e, %%xmm0, %%xmm0\n\t"   \
    "sha256rnds2 %%xmm0, %%xmm2, %%xmm1\n\t"

static void compress_sha_ni(uint32_t state[8], const uint8_t *blocks, size_t count) {
    static const uint8_t byte_swap[16] = {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12};
    if (count == 0) return;
    __asm__ volatile(
        "movdqu %[byte_swap], %%xmm10\n\t"
        // state[0..3], state[4..7] -> ABEF, CDGH
        "movdqu (%[state]), %%xmm1\n\t movdqu 16(%[state]), %%xmm2\n\t"
        "pshufd $0xb1, %%xmm1, %%xmm7\n\t pshufd $0x1b, %%xmm2, %%xmm2\n\t"
        "movdqa %%xmm7, %%xmm1\n\t palignr $8, %%xmm2, %%xmm1\n\t pblendw $0xf0, %%xmm7, %%xmm2\n\t"
        "1:\n\t"
        "movdqa %%xmm1, %%xmm8\n\t movdqa %%xmm2, %%xmm9\n\t"
        LOAD(W0, 0) ROUNDS(W0, 0)
        LOAD(W1, 1) ROUNDS(W1, 1)
        LOAD(W2, 2) ROUNDS(W2, 2)
        LOAD(W3, 3) ROUNDS(W3, 3)
        SCHEDULE(W0, W1, W2, W3) ROUNDS(W0, 4)
        SCHEDULE(W1, W2, W3, W0) ROUNDS(W1, 5)
        SCHEDULE(W2, W3, W0, W1) ROUNDS(W2, 6)
        SCHEDULE(W3, W0, W1, W2) ROUNDS(W3, 7)
        SCHEDULE(W0, W1, W2, W3) ROUNDS(W0, 8)
        SCHEDULE(W1, W2, W3, W0) ROUNDS(W1, 9)
        SCHEDULE(W2, W3, W0, W1) ROUNDS(W2, 10)
        SCHEDULE(W3, W0, W1, W2) ROUNDS(W3, 11)
        SCHEDULE(W0, W1, W2, W3) ROUNDS(W0, 12)
        SCHEDULE(W1, W2, W3, W0) ROUNDS(W1, 13)
        SCHEDULE(W2, W3, W0, W1) ROUNDS(W2, 14)
        SCHEDULE(W3, W0, W1, W2) ROUNDS(W3, 15)
        "paddd %%xmm8, %%xmm1\n\t paddd %%xmm9, %%xmm2\n\t"
        "add $64, %[blocks]\n\t dec %[count]\n\t jnz 1b\n\t"
        // ABEF, CDGH -> state[0..3], state[4..7]
        "pshufd $0x1b, %%xmm1, %%xmm7\n\t pshufd $0xb1, %%xmm2, %%xmm2\n\t"
        "movdqa %%xmm7, %%xmm1\n\t pblendw $0xf0, %%xmm2, %%xmm1\n\t palignr $8, %%xmm7, %%xmm2\n\t"
        "movdqu %%xmm1, (%[state])\n\t movdqu %%xmm2, 16(%[state])\n\t"
        : [blocks] "+r"(blocks), [count] "+r"(count)
        : [state] "r"(state), [k] "r"(K), [byte_swap] "m"(byte_swap)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "memory", "cc");
}
#else
int csha256_cpu_is_accelerated(void) { return 0; }
static void compress_sha_ni(uint32_t state[8], const uint8_t *blocks, size_t count) {
    compress_portable(state, blocks, count);
}
#endif

static void compress(csha256_context *context, const uint8_t *blocks, size_t count) {
    if (context->accelerated) {
        compress_sha_ni(context->state, blocks, count);
    } else {
        compress_portable(context->state, blocks, count);
    }
}

void csha256_init(csha256_context *context, int accelerated) {
    static const uint32_t initial[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    static int cpu = -1;  // a benign race: every thread computes the same answer
    if (cpu < 0) cpu = csha256_cpu_is_accelerated();
    memcpy(context->state, initial, sizeof initial);
    context->length = 0;
    context->buffered = 0;
    context->accelerated = accelerated && cpu;
}

void csha256_update(csha256_context *context, const void *bytes, size_t count) {
    const uint8_t *input = bytes;
    context->length += count;
    if (context->buffered > 0) {
        size_t take = 64 - context->buffered < count ? 64 - context->buffered : count;
        memcpy(context->buffer + context->buffered, input, take);
        context->buffered += (uint32_t)take;
        input += take;
        count -= take;
        if (context->buffered < 64) return;
        compress(context, context->buffer, 1);
        context->buffered = 0;
    }
    if (count >= 64) {
        compress(context, input, count / 64);
        input += count / 64 * 64;
        count %= 64;
    }
    memcpy(context->buffer, input, count);
    context->buffered = (uint32_t)count;
}

void csha256_final(csha256_context *context, uint8_t digest[32]) {
    uint64_t bits = context->length * 8;
    uint8_t padding[72] = {0x80};
    size_t pad = (context->buffered < 56 ? 56 : 120) - context->buffered;
    for (int i = 0; i < 8; i++) padding[pad + i] = (uint8_t)(bits >> (56 - 8 * i));
    uint64_t length = context->length;
    csha256_update(context, padding, pad + 8);
    context->length = length;
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(context->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(context->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(context->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)context->state[i];
    }
}
