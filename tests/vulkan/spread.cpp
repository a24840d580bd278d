// vulkan_spread: the measurements behind test_model.cpp's bounds. Decodes greedily on the CPU
// backend (native kernels), then feeds the same tokens to the Vulkan backend and (with "scalar")
// to the CPU backend's scalar reference twins, and prints per prompt the CPU's top-two margins,
// the steps where the other side's argmax differs, and max |dlogit| (absolute and relative to
// max |logit|). Not built by default:
//   cmake --build BUILD --target vulkan_spread
//   BUILD/tests/vulkan/vulkan_spread MODEL.gguf f16|q4q8 STEPS "PROMPT" [scalar]
#include <hearth/cpu.hpp>
#include <hearth/session.hpp>
#include <hearth/vulkan.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

struct step {
    int token;     // argmax
    float margin;  // top-1 minus top-2 logit
    std::vector<float> logits;
};

step pick(std::span<const float> l) {
    std::vector<float> v(l.begin(), l.end());
    std::partial_sort(v.begin(), v.begin() + 2, v.end(), std::greater<float>());
    return {static_cast<int>(std::max_element(l.begin(), l.end()) - l.begin()), v[0] - v[1], {l.begin(), l.end()}};
}

// As test_model.cpp decodes: greedy, or (with `forced`) the given tokens, keeping every step.
template <class B>
std::vector<step> decode(std::shared_ptr<const hearth::model<B>> m, hearth::cache_types cache,
                         const std::vector<int>& prompt, int n, const std::vector<step>* forced) {
    hearth::session<B> s(m, {.context = 128, .cache = cache});
    std::vector<step> out;
    std::span<const float> l = s.decode(prompt);
    for (int i = 0; i < n; ++i) {
        out.push_back(pick(l));
        const int next[1] = {forced ? (*forced)[i].token : out.back().token};
        if (i + 1 < n) l = s.decode(next);
    }
    return out;
}

void compare(const char* what, const std::vector<step>& ref, const std::vector<step>& other) {
    double worst_rel = 0, worst_abs = 0;
    int flips = 0;
    std::string notes;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        double range = 0, diff = 0;
        for (float v : ref[i].logits) range = std::max(range, std::fabs(double(v)));
        for (std::size_t j = 0; j < ref[i].logits.size(); ++j)
            diff = std::max(diff, std::fabs(double(other[i].logits[j]) - double(ref[i].logits[j])));
        worst_rel = std::max(worst_rel, diff / range), worst_abs = std::max(worst_abs, diff);
        if (other[i].token != ref[i].token) {
            ++flips;
            notes += " step " + std::to_string(i) + " (margin " + std::to_string(ref[i].margin) + ")";
        }
    }
    std::printf("  %-16s flips %d:%s | max |dlogit| %.3f, relative %.3e\n", what, flips, notes.c_str(), worst_abs,
                worst_rel);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s MODEL.gguf f16|q4q8 STEPS \"PROMPT\" [scalar]\n", argv[0]);
        return 2;
    }
    using cpu_backend = hearth::cpu::backend<>;
    using scalar_backend = hearth::cpu::backend<hearth::cpu::scalar>;
    using gpu_backend = hearth::vulkan::backend;
    const std::string path = argv[1], cache_name = argv[2], prompt = argv[4];
    const int n = std::atoi(argv[3]);
    const bool with_scalar = argc > 5 && std::string(argv[5]) == "scalar";
    const hearth::cache_types cache = cache_name == "f16" ? hearth::cache_types{hearth::dtype::f16, hearth::dtype::f16}
                                                          : hearth::cache_types{hearth::dtype::q4_0, hearth::dtype::q8_0};
    cpu_backend cpu(hearth::cpu::options{2});
    gpu_backend gpu;
    auto cm = hearth::model<cpu_backend>::open(cpu, path);
    auto gm = hearth::model<gpu_backend>::open(gpu, path);
    const auto ids = cm->vocab().encode(prompt, true, false);

    auto t0 = std::chrono::steady_clock::now();
    const auto c = decode(cm, cache, ids, n, nullptr);
    const double cpu_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto g = decode(gm, cache, ids, n, &c);
    const double gpu_s = seconds_since(t0);
    std::vector<int> tokens;
    for (const auto& s : c) tokens.push_back(s.token);
    std::printf("%s %s \"%s\": cpu %.1f s, vulkan %.1f s\n  text: %s\n  cpu margins:", path.c_str(), cache_name.c_str(),
                prompt.c_str(), cpu_s, gpu_s, cm->vocab().decode(tokens).c_str());
    for (const auto& s : c) std::printf(" %.2f", s.margin);
    std::printf("\n");
    compare("vulkan vs cpu", c, g);
    if (with_scalar) {
        scalar_backend scalar(hearth::cpu::options{2});
        auto sm = hearth::model<scalar_backend>::open(scalar, path);
        compare("scalar vs cpu", c, decode(sm, cache, ids, n, &c));
    }
}
