// Read-only byte access to a buffer of raw GGUF blocks or cache rows. Blocks are 2-byte aligned
// at best (q4_0 is 18 bytes), so 16-bit values are read at even offsets and 32-bit values at
// any even offset. With STORAGE8 (the device has 8/16-bit storage) the binding is also seen as
// uint8_t[] / uint16_t[]; the portable variant extracts everything from 32-bit words. The data
// is `restrict readonly`, so compilers may merge repeated loads of a block's scale.
//
// With TEXEL the binding is a uniform texel buffer of 32-bit words (VK_FORMAT_R32_UINT), for the
// SIMD-lane kernels of CPU implementations: llvmpipe turns a texel fetch into one vector gather,
// but a storage-buffer read into a loop over the lanes with a branch and a bounds check each,
// about ten times slower per word (measured on lavapipe, Mesa 22.3).
//
// NAME_u32c(base, c) and NAME_u16c(base, c) read at base + c, c a compile-time constant (an offset
// inside a block). The texel build splits the word index into (base >> 2) + constant and picks
// among the neighbouring words by the alignment, so the reads of one block share their fetches
// (the compiler merges equal fetches): a q8_0 block costs 10 fetches instead of up to 17. On
// llvmpipe (2048 x 2048 mat-vec): q5_0 -30%, q8_0 -15..25%, q4_0 -10%; word-aligned q4_1 blocks
// and sparsely read K-quant blocks got slower that way and keep the plain readers.
#define RAW_OFFSET_READERS(NAME)                                                                     \
    uint NAME##_u32c(uint base, uint c) { return NAME##_u32(base + c); }                             \
    uint NAME##_u16c(uint base, uint c) { return NAME##_u16(base + c); }
#if defined(TEXEL) && TEXEL
#extension GL_EXT_samplerless_texture_functions : require
#define RAW_BUFFER(NAME, BINDING)                                                                    \
    layout(binding = BINDING) uniform utextureBuffer NAME##_texels;                                  \
    uint NAME##_word(uint i) { return texelFetch(NAME##_texels, int(i)).x; }                         \
    uint NAME##_u8(uint off) { return (NAME##_word(off >> 2) >> ((off & 3u) << 3)) & 0xffu; }        \
    uint NAME##_u16(uint off) { return (NAME##_word(off >> 2) >> ((off & 2u) << 3)) & 0xffffu; }     \
    uint NAME##_u32(uint off) {                                                                      \
        uint s = (off & 3u) << 3, lo = NAME##_word(off >> 2);                                        \
        return s == 0u ? lo : (lo >> s) | (NAME##_word((off >> 2) + 1u) << (32u - s));               \
    }                                                                                                \
    uint NAME##_u32c(uint base, uint c) {                                                            \
        const uint t = (base & 3u) + (c & 3u), i = (base >> 2) + (c >> 2);                           \
        const uint w0 = NAME##_word(i), w1 = NAME##_word(i + 1u), w2 = NAME##_word(i + 2u);          \
        const uint a = t >= 4u ? w1 : w0, b = t >= 4u ? w2 : w1, s = (t & 3u) << 3;                  \
        return s == 0u ? a : (a >> s) | (b << (32u - s));                                           \
    }                                                                                                \
    uint NAME##_u16c(uint base, uint c) {                                                            \
        const uint t = (base & 3u) + (c & 3u), i = (base >> 2) + (c >> 2);                           \
        const uint w = t >= 4u ? NAME##_word(i + 1u) : NAME##_word(i);                               \
        return (w >> ((t & 2u) << 3)) & 0xffffu;                                                     \
    }
#elif STORAGE8
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : require
#define RAW_BUFFER(NAME, BINDING)                                                                    \
    layout(std430, binding = BINDING) restrict readonly buffer NAME##_b8 { uint8_t NAME##_v8[]; };            \
    layout(std430, binding = BINDING) restrict readonly buffer NAME##_b16 { uint16_t NAME##_v16[]; };         \
    layout(std430, binding = BINDING) restrict readonly buffer NAME##_b32 { uint NAME##_v32[]; };             \
    uint NAME##_u8(uint off) { return uint(NAME##_v8[off]); }                                        \
    uint NAME##_u16(uint off) { return uint(NAME##_v16[off >> 1]); }                                 \
    uint NAME##_u32(uint off) {                                                                      \
        return (off & 3u) == 0u ? NAME##_v32[off >> 2] : NAME##_u16(off) | (NAME##_u16(off + 2u) << 16); \
    }                                                                                                \
    RAW_OFFSET_READERS(NAME)
#else
#define RAW_BUFFER(NAME, BINDING)                                                                    \
    layout(std430, binding = BINDING) restrict readonly buffer NAME##_b32 { uint NAME##_v32[]; };             \
    uint NAME##_u8(uint off) { return (NAME##_v32[off >> 2] >> ((off & 3u) << 3)) & 0xffu; }         \
    uint NAME##_u16(uint off) { return (NAME##_v32[off >> 2] >> ((off & 2u) << 3)) & 0xffffu; }      \
    uint NAME##_u32(uint off) {                                                                      \
        uint s = (off & 3u) << 3, lo = NAME##_v32[off >> 2];                                         \
        return s == 0u ? lo : (lo >> s) | (NAME##_v32[(off >> 2) + 1u] << (32u - s));                \
    }                                                                                                \
    RAW_OFFSET_READERS(NAME)
#endif
