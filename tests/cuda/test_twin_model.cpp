// Whole models through the CUDA backend's glue and kernel twins (reference_backend) against the
// CPU backend: greedy tokens and logits. See model_checks.hpp.
#include "model_checks.hpp"
#include <hearth/cuda/reference/exec.hpp>
#include <thread>

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
                  {"The capital of France is"}, 3, smollm2_logit_bound_f16);
    compare_model(twin(), "SmolLM2-135M-Instruct.Q4_1.gguf", {{hearth::dtype::q4_0, hearth::dtype::q8_0}},
                  {"The capital of France is"}, 3, smollm2_logit_bound_q4_0);
}

TEST_CASE("cuda twins: every op of SmolLM2 and Gemma-3 forwards agrees with the CPU backend's", "[cuda][twin][model]") {
    check_model_ops(twin(), "SmolLM2-135M-Instruct.Q4_1.gguf", {hearth::dtype::q4_0, hearth::dtype::q8_0});
    check_model_ops(twin(), "gemma-3-270m-q4_k_m.gguf", {hearth::dtype::q4_0, hearth::dtype::q8_0});
}

TEST_CASE("cuda twins: sessions on two threads share one backend", "[cuda][twin][model]") {
    // Every op enqueues under the backend's mutex (shared activation scratch and argument ring):
    // two sessions decoding at once must give what each gives alone.
    const auto path = find_model("llama-2-tiny-random.gguf");
    if (path.empty()) return;
    auto m = hearth::model<hearth::cuda::reference_backend>::open(twin(), path);
    const auto a = m->vocab().encode("The capital of France is", true, false);
    const auto b = m->vocab().encode("Once upon a time, there was", true, false);
    const hearth::cache_types cache{hearth::dtype::f16, hearth::dtype::f16};
    const auto alone_a = greedy(m, cache, a, 12), alone_b = greedy(m, cache, b, 12);
    std::vector<greedy_step> together_a, together_b;
    std::thread ta([&] { together_a = greedy(m, cache, a, 12); });
    std::thread tb([&] { together_b = greedy(m, cache, b, 12); });
    ta.join(), tb.join();
    for (std::size_t i = 0; i < alone_a.size(); ++i) {
        CHECK(together_a[i].token == alone_a[i].token);
        CHECK(bit_equal(together_a[i].logits, alone_a[i].logits));
        CHECK(together_b[i].token == alone_b[i].token);
        CHECK(bit_equal(together_b[i].logits, alone_b[i].logits));
    }
}
