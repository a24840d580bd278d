// Whole models through the CUDA backend's glue and kernel twins (reference_backend) against the
// CPU backend: greedy tokens and logits. See model_checks.hpp.
#include "model_checks.hpp"
#include <hearth/cuda/reference/exec.hpp>

using namespace cuda_test;

namespace {
hearth::cuda::reference_backend& twin() {
    static hearth::cuda::reference_backend b;
    return b;
}
}  // namespace

TEST_CASE("cuda twins: llama-2-tiny-random greedy tokens equal the CPU backend's", "[cuda][twin][model]") {
    compare_model(twin(), "llama-2-tiny-random.gguf", {{hearth::dtype::f16, hearth::dtype::f16}},
                  {"The capital of France is", "1, 2, 3, 4,"}, 8, 1e-4);
}

TEST_CASE("cuda twins: SmolLM2-135M Q4_1 greedy tokens equal the CPU backend's", "[cuda][twin][model]") {
    compare_model(twin(), "SmolLM2-135M-Instruct.Q4_1.gguf", {{hearth::dtype::f16, hearth::dtype::f16}},
                  {"The capital of France is"}, 4, smollm2_logit_bound_f16);
    compare_model(twin(), "SmolLM2-135M-Instruct.Q4_1.gguf", {{hearth::dtype::q4_0, hearth::dtype::q8_0}},
                  {"The capital of France is"}, 4, smollm2_logit_bound_q4_0);
}

TEST_CASE("cuda twins: every op of SmolLM2 and Gemma-3 forwards agrees with the CPU backend's", "[cuda][twin][model]") {
    check_model_ops(twin(), "SmolLM2-135M-Instruct.Q4_1.gguf", {hearth::dtype::q4_0, hearth::dtype::q8_0});
    check_model_ops(twin(), "gemma-3-270m-q4_k_m.gguf", {hearth::dtype::q4_0, hearth::dtype::q8_0});
    check_model_ops(twin(), "gemma-3-270m-q4_k_m.gguf", {hearth::dtype::f16, hearth::dtype::f16});
}
