// Whole models on the GPU against the CPU backend: every op of real forwards (lockstep), and
// greedy tokens with the caches the issue names (see model_checks.hpp for the bounds and why).
#include "device_support.hpp"
#include "model_checks.hpp"

using namespace cuda_test;
using hearth::dtype;

TEST_CASE("cuda device: every op of SmolLM2 and Gemma-3 forwards agrees with the CPU backend's", "[cuda][device][model]") {
    check_model_ops(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {dtype::q4_0, dtype::q8_0});
    check_model_ops(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {dtype::f16, dtype::f16});
    check_model_ops(gpu(), "gemma-3-270m-q4_k_m.gguf", {dtype::q4_0, dtype::q8_0});
}

TEST_CASE("cuda device: greedy tokens equal the CPU backend's", "[cuda][device][model]") {
    compare_model(gpu(), "llama-2-tiny-random.gguf", {{dtype::f16, dtype::f16}},
                  {"The capital of France is", "Once upon a time, there was", "1, 2, 3, 4,"}, 16, 1e-4);
    for (const auto prompt : {"The capital of France is", "def fibonacci(n):"}) {
        compare_model(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {{dtype::f16, dtype::f16}}, {prompt}, 16,
                      smollm2_logit_bound_f16);
        compare_model(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {{dtype::q4_0, dtype::q8_0}}, {prompt}, 16,
                      smollm2_logit_bound_q4_0);
    }
}
