#pragma once
// Every GGUF weight format hearth computes with: block layouts byte-exact with ggml, and the scalar
// reference quantize / dequantize / dot product of each, plus the row-level dispatch over dtype.
//
//   blocks.hpp       block structs (block_q4_0 ... block_q8_k, block_iq4_nl), kvalues_iq4nl
//   legacy.hpp       q4_0 q4_1 q5_0 q5_1 q8_0 q8_1: quantize(const float*, block*, nblocks), dequantize(...)
//   iq4_nl.hpp       iq4_nl quantize / dequantize
//   kquants.hpp      q2_K q3_K q4_K q5_K q6_K q8_K quantize / dequantize (fits in kquant_fit.hpp)
//   dot.hpp          vec_dot_q4_0_q8_0 ... vec_dot_iq4_nl_q8_0 (typed, nblocks)
//   dot_kquants.hpp  vec_dot_q2_k_q8_k ... vec_dot_q6_k_q8_k (typed, nblocks)
//   row.hpp          dequantize_row / quantize_row / activation_type / vec_dot (dtype, n elements)
//
// Typed functions count BLOCKS; row-level functions count ELEMENTS.
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/dot.hpp>
#include <hearth/quant/dot_kquants.hpp>
#include <hearth/quant/iq4_nl.hpp>
#include <hearth/quant/kquants.hpp>
#include <hearth/quant/legacy.hpp>
#include <hearth/quant/row.hpp>
