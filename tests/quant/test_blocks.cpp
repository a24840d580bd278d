// Block layouts are a file format: sizes and field offsets must match ggml's structs.
#include <catch2/catch.hpp>
#include <hearth/quant.hpp>
#include <cstddef>

using namespace hearth;
using namespace hearth::quant;

TEST_CASE("block field offsets match ggml", "[quant][blocks]") {
    CHECK(offsetof(block_q4_1, m) == 2);
    CHECK(offsetof(block_q4_1, qs) == 4);
    CHECK(offsetof(block_q5_0, qh) == 2);
    CHECK(offsetof(block_q5_0, qs) == 6);
    CHECK(offsetof(block_q5_1, qh) == 4);
    CHECK(offsetof(block_q5_1, qs) == 8);
    CHECK(offsetof(block_q8_1, qs) == 4);
    CHECK(offsetof(block_q2_k, qs) == 16);
    CHECK(offsetof(block_q2_k, d) == 80);
    CHECK(offsetof(block_q3_k, qs) == 32);
    CHECK(offsetof(block_q3_k, scales) == 96);
    CHECK(offsetof(block_q3_k, d) == 108);
    CHECK(offsetof(block_q4_k, scales) == 4);
    CHECK(offsetof(block_q4_k, qs) == 16);
    CHECK(offsetof(block_q5_k, qh) == 16);
    CHECK(offsetof(block_q5_k, qs) == 48);
    CHECK(offsetof(block_q6_k, qh) == 128);
    CHECK(offsetof(block_q6_k, scales) == 192);
    CHECK(offsetof(block_q6_k, d) == 208);
    CHECK(offsetof(block_q8_k, qs) == 4);
    CHECK(offsetof(block_q8_k, bsums) == 260);
    CHECK(sizeof(block_t<dtype::q6_k>) == traits(dtype::q6_k).block_bytes);
}
