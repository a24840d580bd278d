#pragma once
// Every GGUF weight format hearth computes with: block layouts, scalar (reference) quantize,
// dequantize and dot products, and the row-level dispatch over dtype.
#include <hearth/quant/blocks.hpp>
