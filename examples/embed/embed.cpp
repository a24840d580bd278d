#include <hearth/cpu.hpp>
#include <iostream>

int main(int argc, char** argv) {
    if (argc < 3) return std::cerr << "usage: embed MODEL.gguf PROMPT\n", 2;
    hearth::cpu::backend<> cpu;                               // this machine's SIMD, all cores
    auto model = hearth::model<decltype(cpu)>::open(cpu, argv[1]);  // mmap
    hearth::session session(model, {.context = 2048});       // K cache q4_0, V cache q8_0
    hearth::generate_params params{.max_tokens = 64};
    session.generate(argv[2], params, [](const hearth::piece& p) {
        std::cout << p.text << std::flush;
        return true;                                          // false stops generation
    });
    std::cout << "\n";
}
