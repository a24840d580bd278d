// Reading K/V cache rows in the cache types (f32, f16, q8_0, q4_0) from a RAW_BUFFER binding.
// CACHE_READERS(NAME, TYPE) defines NAME_quad(head, e): elements e..e+3 of the head row starting
// at byte `head` (e a multiple of 4), and NAME_elem(head, e): one element. Needs common.glsl.
#define CACHE_READERS(NAME, TYPE)                                                                   \
    vec4 NAME##_quad(uint head, uint e) {                                                           \
        if (TYPE == T_F32)                                                                          \
            return vec4(uintBitsToFloat(NAME##_u32(head + 4u * e)), uintBitsToFloat(NAME##_u32(head + 4u * e + 4u)), \
                        uintBitsToFloat(NAME##_u32(head + 4u * e + 8u)), uintBitsToFloat(NAME##_u32(head + 4u * e + 12u))); \
        if (TYPE == T_F16) {                                                                        \
            uint a = NAME##_u32(head + 2u * e), b = NAME##_u32(head + 2u * e + 4u);                 \
            return vec4(f16_to_f32(a & 0xffffu), f16_to_f32(a >> 16), f16_to_f32(b & 0xffffu), f16_to_f32(b >> 16)); \
        }                                                                                           \
        if (TYPE == T_Q8_0) {                                                                       \
            uint blk = head + (e / 32u) * 34u;                                                      \
            uint w = NAME##_u32(blk + 2u + e % 32u);                                                \
            return vec4(float(int(w << 24) >> 24), float(int(w << 16) >> 24), float(int(w << 8) >> 24), \
                        float(int(w) >> 24)) * f16_to_f32(NAME##_u16(blk));                        \
        }                                                                                           \
        uint blk = head + (e / 32u) * 18u;                                                          \
        uint w = NAME##_u32(blk + 2u + (e % 16u)) >> ((e % 32u) >= 16u ? 4u : 0u);                  \
        return (vec4(float(w & 15u), float((w >> 8) & 15u), float((w >> 16) & 15u), float((w >> 24) & 15u)) - 8.0) * \
               f16_to_f32(NAME##_u16(blk));                                                         \
    }                                                                                               \
    float NAME##_elem(uint head, uint e) {                                                          \
        if (TYPE == T_F32) return uintBitsToFloat(NAME##_u32(head + 4u * e));                       \
        if (TYPE == T_F16) return f16_to_f32(NAME##_u16(head + 2u * e));                            \
        if (TYPE == T_Q8_0) {                                                                       \
            uint blk = head + (e / 32u) * 34u;                                                      \
            return float(int(NAME##_u8(blk + 2u + e % 32u) << 24) >> 24) * f16_to_f32(NAME##_u16(blk)); \
        }                                                                                           \
        uint blk = head + (e / 32u) * 18u;                                                          \
        uint b = NAME##_u8(blk + 2u + (e % 16u)) >> ((e % 32u) >= 16u ? 4u : 0u);                   \
        return float(int(b & 15u) - 8) * f16_to_f32(NAME##_u16(blk));                               \
    }
