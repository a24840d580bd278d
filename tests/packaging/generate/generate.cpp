// The program every packaging route builds and runs (install tree, Conan, add_subdirectory,
// vcpkg layout): it proves the route gives a working library, not only headers that parse.
// Opens a GGUF model with the CPU backend, keeps an f16/f16 KV cache and generates a few tokens.
#include <hearth/cpu.hpp>
#include <iostream>

int main(int argc, char** argv) {
    if (argc < 2) return std::cerr << "usage: hearth_generate MODEL.gguf\n", 2;
    constexpr int want = 8;
    try {
        hearth::cpu::backend<> b;
        auto m = hearth::model<hearth::cpu::backend<>>::open(b, argv[1]);
        hearth::session s(m, {.context = 64, .cache = {hearth::dtype::f16, hearth::dtype::f16}});
        // Greedy and not stopping at end-of-generation: a random-weight model may pick EOS at
        // any step, and this program checks that exactly `want` tokens come out.
        hearth::generate_params gp{.max_tokens = want, .stop_at_eog = false};
        gp.sampling.temperature = 0.0f;
        const auto st = s.generate("Hello", gp, [](const hearth::piece& p) {
            std::cout << '[' << p.token << ']' << std::flush;
            return true;
        });
        std::cout << "\nhearth " << hearth::version.string << ": " << st.prompt_tokens << " prompt tokens, "
                  << st.generated_tokens << " generated with an f16/f16 cache\n";
        return st.generated_tokens == want ? 0 : 1;
    } catch (const hearth::error& e) {
        std::cerr << "hearth_generate: " << e.what() << "\n";
        return 1;
    }
}
