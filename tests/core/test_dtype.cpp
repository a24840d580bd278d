#include <catch2/catch.hpp>
#include <hearth/dtype.hpp>
#include <hearth/fp16.hpp>
#include <cmath>

using namespace hearth;

TEST_CASE("dtype table matches ggml's block sizes", "[dtype]") {
    CHECK(traits(dtype::q4_0).block_bytes == 18);
    CHECK(traits(dtype::q8_0).block_bytes == 34);
    CHECK(traits(dtype::q4_k).block_bytes == 144);
    CHECK(traits(dtype::q6_k).block_bytes == 210);
    CHECK(traits(dtype::q8_k).block_bytes == 292);
    CHECK(row_bytes(dtype::q4_0, 64) == 36);
    CHECK_THROWS_AS(row_bytes(dtype::q4_k, 100), hearth::error);
    CHECK(parse_dtype("Q4_K") == dtype::q4_k);
    CHECK(parse_dtype("q8_0") == dtype::q8_0);
    CHECK_FALSE(parse_dtype("q9_9").has_value());
    CHECK_FALSE(find_dtype(4).has_value());  // ids 4 and 5 were removed from ggml
}

TEST_CASE("fp16 conversion is exact and rounds to nearest even", "[fp16]") {
    // Every half value survives a round trip through float.
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        float f = fp16_to_fp32(static_cast<f16_bits>(h));
        if (std::isnan(f)) continue;
        REQUIRE(fp32_to_fp16(f) == h);
    }
    CHECK(fp16_to_fp32(0x3c00) == 1.0f);
    CHECK(fp32_to_fp16(65504.0f) == 0x7bff);
    CHECK(fp32_to_fp16(1e6f) == 0x7c00);               // overflow -> inf
    CHECK(fp32_to_fp16(1.0f + 1.0f / 2048) == 0x3c00); // tie rounds to even
    CHECK(bf16_to_fp32(fp32_to_bf16(3.0f)) == 3.0f);
}
