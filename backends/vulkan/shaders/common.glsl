// Helpers shared by hearth's compute shaders: exact fp16/bf16 conversions, correctly rounded
// division and ggml's rounding rules. The KV-cache quantizer and the activation rounding must give
// the bytes the CPU backend gives, on any GPU, so nothing here relies on what Vulkan leaves
// loose: '/' may be off by 2.5 ulp, half conversions may flush subnormals or pick their own
// rounding, and a*b+c may be fused unless the result is `precise`.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable

// ggml's type ids (hearth::dtype).
const uint T_F32 = 0u, T_F16 = 1u, T_Q4_0 = 2u, T_Q4_1 = 3u, T_Q5_0 = 6u, T_Q5_1 = 7u, T_Q8_0 = 8u,
           T_Q8_1 = 9u, T_Q2_K = 10u, T_Q3_K = 11u, T_Q4_K = 12u, T_Q5_K = 13u, T_Q6_K = 14u, T_Q8_K = 15u,
           T_IQ4_NL = 20u, T_BF16 = 30u;

// IEEE half bits -> float, exact for subnormals too (no reliance on the driver's denormal mode).
float f16_to_f32(uint h) {
    uint s = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0u) {
        float v = float(m) * 5.9604644775390625e-8;  // m * 2^-24, exact
        return s != 0u ? -v : v;
    }
    if (e == 31u) return uintBitsToFloat(s | 0x7f800000u | (m << 13));
    return uintBitsToFloat(s | ((e + 112u) << 23) | (m << 13));
}

// float -> IEEE half bits, round to nearest even; NaN becomes 0x7e00 as in hearth::fp32_to_fp16.
uint f32_to_f16(float f) {
    uint x = floatBitsToUint(f), s = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return s | 0x7e00u;
    if (ax >= 0x477ff000u) return s | 0x7c00u;  // >= 65520 rounds to infinity
    if (ax < 0x38800000u)                        // below 2^-14: a multiple of 2^-24, counted exactly
        return s | uint(roundEven(uintBitsToFloat(ax) * 16777216.0));
    uint r = ax - 0x38000000u;  // re-bias the exponent 127 -> 15
    return s | ((r + 0x0fffu + ((r >> 13) & 1u)) >> 13);
}

float bf16_to_f32(uint h) { return uintBitsToFloat(h << 16); }

// Next float towards +inf (up) or -inf; q is finite and nonzero here.
float float_step(float q, bool up) {
    uint u = floatBitsToUint(q);
    return uintBitsToFloat((q > 0.0) == up ? u + 1u : u - 1u);
}

// a - q*b exactly enough to compare candidates: Dekker's product (no FMA needed, only the correctly
// rounded + - * Vulkan guarantees), then one rounding of a small difference.
float div_residual(float a, float b, float q) {
    precise float p = q * b;
    precise float cq = 4097.0 * q;
    precise float qh = cq - (cq - q);
    precise float ql = q - qh;
    precise float cb = 4097.0 * b;
    precise float bh = cb - (cb - b);
    precise float bl = b - bh;
    precise float e = ((qh * bh - p) + qh * bl + ql * bh) + ql * bl;
    precise float r = (a - p) - e;
    return r;
}

// a / b rounded to nearest, as C computes it. Start from the hardware quotient (within a few ulp)
// and step while a neighbour leaves a smaller residual. Exact ties cannot occur for the quotients
// taken here (amax/127, 1/d, -127/max): their operands have too few significant bits.
float div_rn(float a, float b) {
    precise float q = a / b;
    if (a == 0.0 || isinf(q) || isnan(q)) return q;
    float r = div_residual(a, b, q);
    for (int i = 0; i < 4; ++i) {
        float qn = float_step(q, (r > 0.0) == (b > 0.0));
        float rn = div_residual(a, b, qn);
        if (abs(rn) >= abs(r)) break;
        q = qn;
        r = rn;
    }
    return q;
}

// C's roundf: halves away from zero (ggml's q8_0/q8_1 quantizers).
float round_away(float v) {
    float t = trunc(v);
    precise float frac = abs(v - t);
    return frac >= 0.5 ? t + sign(v) : t;
}
