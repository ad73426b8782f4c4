// SHA-256 (FIPS 180-4), streaming, with the x86-64 SHA extensions when the CPU has them.
#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t length;       // bytes hashed so far
    uint8_t buffer[64];    // a partial block
    uint32_t buffered;     // bytes in buffer
    uint32_t accelerated;  // 1: the SHA extensions compress the blocks
} csha256_context;

/// Starts a hash; `accelerated` 0 asks for the portable code even on a CPU with SHA extensions
/// (for tests), 1 for the fastest this CPU runs.
void csha256_init(csha256_context *context, int accelerated);
void csha256_update(csha256_context *context, const void *bytes, size_t count);
/// Writes the 32 bytes of the hash; the context is spent.
void csha256_final(csha256_context *context, uint8_t digest[32]);
/// 1 when this CPU has the SHA extensions csha256_init uses.
int csha256_cpu_is_accelerated(void);

#endif
