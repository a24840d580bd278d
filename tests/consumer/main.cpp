// Built by scripts/test against the installed hearth package (find_package only), the way an
// application uses it: opens a GGUF file and prints what it holds.
#include <hearth/gguf.hpp>
#include <hearth/hearth.hpp>
#include <iostream>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: hearth_consumer MODEL.gguf\n";
        return 2;
    }
    try {
        const auto f = hearth::gguf::file::open(argv[1]);
        std::cout << "hearth " << hearth::version.string << ": " << argv[1] << " is GGUF v" << f.version()
                  << ", architecture " << f.get<std::string>("general.architecture") << ", "
                  << f.tensors().size() << " tensors\n";
    } catch (const hearth::error& e) {
        std::cerr << "hearth_consumer: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
