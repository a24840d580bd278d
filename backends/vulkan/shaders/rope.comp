#version 450
// Rotary embedding in place, per (token, head, pair), with cos/sin from a table the host fills
// once per forward and rope configuration (ggml's angle recurrence, YaRN and frequency factors are
// evaluated in float on the host exactly as the CPU backend does; GPU sin/cos are only promised
// to ~1e-3 absolute, which would move logits more than every other op together).
// Normal layout rotates (2i, 2i+1); NeoX rotates (i, i + n_dims/2). Dimensions past n_dims pass.
layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer T { float table[]; };  // [token][pair] (cos, sin)

layout(push_constant) uniform Params {
    uint x_off, x_stride;
    uint n_tok, n_heads, head_dim, pairs;
    uint neox;
    uint table_off;  // floats
} p;

void main() {
    const uint i = gl_GlobalInvocationID.x;  // pair
    const uint h = gl_GlobalInvocationID.y, t = gl_GlobalInvocationID.z;
    if (i >= p.pairs || h >= p.n_heads || t >= p.n_tok) return;
    const uint base = p.x_off + t * p.x_stride + h * p.head_dim;
    const uint i0 = p.neox != 0u ? base + i : base + 2u * i;
    const uint i1 = p.neox != 0u ? base + i + p.pairs : i0 + 1u;
    const uint tb = p.table_off + 2u * (t * p.pairs + i);
    const float c = table[tb], s = table[tb + 1u];
    const float x0 = x[i0], x1 = x[i1];
    x[i0] = x0 * c - x1 * s;
    x[i1] = x0 * s + x1 * c;
}
