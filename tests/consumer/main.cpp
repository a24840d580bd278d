// Built against the installed hearth package by scripts/test: proves find_package(hearth) works.
#include <hearth/hearth.hpp>
#include <iostream>

int main(int argc, char** argv) {
    std::cout << "hearth " << hearth::version.string << " installed and usable";
    if (argc > 1) std::cout << " (model argument: " << argv[1] << ")";
    std::cout << "\n";
    return 0;
}
