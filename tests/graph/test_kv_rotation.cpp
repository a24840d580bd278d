// Which rotations a quantized KV cache gets (llama.cpp's rule, so both engines store the same
// thing): K by the largest power of two >= 64 dividing its head size, V by 64, only for quantized
// types and head sizes that are multiples of 64, and none when the caller turns rotation off.
#include <catch2/catch.hpp>
#include <hearth/model/kv_cache.hpp>

using hearth::dtype;

namespace {
hearth::model_config heads(std::uint32_t k, std::uint32_t v) {
    hearth::model_config c;
    c.head_dim_k = k, c.head_dim_v = v;
    return c;
}
}  // namespace

TEST_CASE("kv rotation: block widths follow the head size and the cache types", "[model][kv]") {
    using hearth::kv_rotation_for;
    const hearth::cache_types q4q8{dtype::q4_0, dtype::q8_0};
    CHECK(kv_rotation_for(heads(64, 64), q4q8).k == 64);    // SmolLM2
    CHECK(kv_rotation_for(heads(64, 64), q4q8).v == 64);
    CHECK(kv_rotation_for(heads(128, 128), q4q8).k == 128);  // Llama 3
    CHECK(kv_rotation_for(heads(128, 128), q4q8).v == 64);
    CHECK(kv_rotation_for(heads(256, 256), q4q8).k == 256);  // Gemma 3
    CHECK(kv_rotation_for(heads(192, 192), q4q8).k == 64);   // 192 = 3 x 64
    CHECK(kv_rotation_for(heads(96, 96), q4q8).k == 0);      // Phi-3 mini: not a multiple of 64
    CHECK(kv_rotation_for(heads(96, 96), q4q8).v == 0);
    // Float caches are not rotated; each side is decided by its own type.
    CHECK(kv_rotation_for(heads(64, 64), {dtype::f16, dtype::f16}).k == 0);
    CHECK(kv_rotation_for(heads(64, 64), {dtype::f16, dtype::q8_0}).k == 0);
    CHECK(kv_rotation_for(heads(64, 64), {dtype::f16, dtype::q8_0}).v == 64);
    CHECK(kv_rotation_for(heads(64, 64), {dtype::q8_0, dtype::f32}).v == 0);
    // Off on request.
    const auto off = kv_rotation_for(heads(128, 128), {dtype::q4_0, dtype::q4_0, false});
    CHECK(off.k == 0);
    CHECK(off.v == 0);
}
