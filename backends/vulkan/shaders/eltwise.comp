#version 450
// Element-wise ops over f32 row-major tensors (rows may be strided views):
//   OP_ADD    y = a + b          OP_BIAS   y = a + b[col]   OP_SCALE  y = a * s
//   OP_SWIGLU y = silu(a) * b    OP_GEGLU  y = gelu(a) * b  (GELU: ggml's tanh approximation)
// y may be a (in place): each invocation reads its element before writing it.
layout(local_size_x = 64, local_size_y = 4) in;
layout(constant_id = 0) const uint OP = 0u;
const uint OP_ADD = 0u, OP_BIAS = 1u, OP_SCALE = 2u, OP_SWIGLU = 3u, OP_GEGLU = 4u;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint a_off, a_stride, b_off, b_stride, y_off, y_stride;
    uint rows, cols;
    float s;
} p;

// tanh through exp of a clamped argument: some drivers compute tanh as a ratio of exponentials
// that overflows to inf/inf for large inputs; |x| > 10 is +-1 in float anyway.
float safe_tanh(float v) {
    v = clamp(v, -10.0, 10.0);
    float e = exp(2.0 * v);
    return (e - 1.0) / (e + 1.0);
}

void main() {
    const uint c = gl_GlobalInvocationID.x, r = gl_GlobalInvocationID.y;
    if (c >= p.cols || r >= p.rows) return;
    const float av = a[p.a_off + r * p.a_stride + c];
    float v;
    if (OP == OP_ADD) v = av + b[p.b_off + r * p.b_stride + c];
    else if (OP == OP_BIAS) v = av + b[p.b_off + c];
    else if (OP == OP_SCALE) v = av * p.s;
    else if (OP == OP_SWIGLU) v = av / (1.0 + exp(-av)) * b[p.b_off + r * p.b_stride + c];
    else {
        const float inner = 0.79788456080286535588 * av * (1.0 + 0.044715 * av * av);
        v = 0.5 * av * (1.0 + safe_tanh(inner)) * b[p.b_off + r * p.b_stride + c];
    }
    y[p.y_off + r * p.y_stride + c] = v;
}
