# Builds and runs a consumer of the hearth package `conan create` just made: the program opens a
# GGUF model with the CPU backend and generates tokens (tests/packaging/generate/generate.cpp).
# The model path comes from the environment (HEARTH_TEST_MODEL); without it the test only builds.
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class HearthTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def test(self):
        if not can_run(self):
            return
        exe = os.path.join(self.cpp.build.bindir, "hearth_generate")
        model = os.environ.get("HEARTH_TEST_MODEL")
        if model:
            self.run(f'"{exe}" "{model}"', env="conanrun")
        else:
            self.output.warning("HEARTH_TEST_MODEL is not set: built the consumer, did not run it")
