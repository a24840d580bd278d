#version 450
// In-place orthonormal Walsh-Hadamard transform of every block of `n` values (64, 128 or 256) of
// each row: x <- H_n x with H in Sylvester order, H[i][j] = (-1)^popcount(i&j) / sqrt(n). One
// workgroup per (block, row): the block is loaded into shared memory, log2(n) butterfly stages
// (a + b, a - b) run with a barrier between them, then every value is scaled once by the host's
// float 1/sqrt(n). The stages and the single final rounding are the CPU backend's
// (cpu/ops/hadamard.hpp), and + - * are correctly rounded in Vulkan, so the results are the
// CPU's bit for bit.
layout(local_size_x = 128) in;

layout(std430, binding = 0) buffer X { float x[]; };

layout(push_constant) uniform Params {
    uint x_off, x_stride;  // floats
    uint n;                // block width, a power of two <= 256
    float scale;           // 1 / sqrt(n), as the CPU computes it
} p;

shared float v[256];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint base = p.x_off + gl_WorkGroupID.y * p.x_stride + gl_WorkGroupID.x * p.n;
    for (uint i = tid; i < p.n; i += 128u) v[i] = x[base + i];
    barrier();
    for (uint h = 1u; h < p.n; h *= 2u) {
        for (uint j = tid; j < p.n / 2u; j += 128u) {
            const uint lo = (j / h) * 2u * h + j % h, hi = lo + h;
            const float a = v[lo], b = v[hi];
            v[lo] = a + b;
            v[hi] = a - b;
        }
        barrier();
    }
    for (uint i = tid; i < p.n; i += 128u) x[base + i] = v[i] * p.scale;
}
