// Every op of the CUDA backend's glue run through the host twins of its kernels
// (hearth::cuda::reference_backend) against the CPU backend. The same checks run on the GPU in
// test_cuda_device; see op_checks.hpp for the tolerances and why.
#include "op_checks.hpp"
#include <hearth/cuda/reference/exec.hpp>

using namespace cuda_test;
using hearth::dtype;

namespace {
hearth::cuda::reference_backend& twin() {
    static hearth::cuda::reference_backend b;
    return b;
}
}  // namespace

TEST_CASE("cuda twins: matmul of every weight type, one token and a batch", "[cuda][twin]") {
    std::uint32_t seed = 1000;
    for (dtype t : weight_types()) {
        check_matmul(twin(), t, 48, 512, 1, seed += 10);
        check_matmul(twin(), t, 40, 768, 19, seed += 10);
    }
}

TEST_CASE("cuda twins: get_rows of every weight type", "[cuda][twin]") {
    for (dtype t : weight_types()) check_get_rows(twin(), t);
    check_grouped_matmul(twin(), dtype::q4_k, dtype::q6_k, 1, 2000);
    check_rounding_fused_into_producer(twin(), 2, 2020);
}

TEST_CASE("cuda twins: element-wise ops, rms_norm, rope, hadamard", "[cuda][twin]") {
    check_elementwise(twin());
    check_rms_norm(twin());
    check_residual_norm(twin());
    check_rope(twin());
    check_hadamard(twin());
}

TEST_CASE("cuda twins: attention over every K/V cache type pair", "[cuda][twin]") {
    check_attention_pairs(twin());
    check_attention_shapes(twin());
}
