# Wraps the xsimd that the system's package manager installed (Debian: libxsimd-dev) as a Conan package,
# so `conan create` of hearth works with no remote at all. Nothing is built or copied: the
# package only describes where the files already are. Export it once into the local cache:
#   conan export packaging/conan/system-recipes/xsimd
# and keep its version equal to the installed one (`dpkg -s libxsimd-dev`).
import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration


class SystemXsimdConan(ConanFile):
    name = "xsimd"
    version = "8.1.0"
    description = "xsimd from the system (libxsimd-dev), wrapped for offline builds"
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # Where the system installed it; a site with its own mirror built into /opt/... sets this.
    options = {"prefix": ["ANY"]}
    default_options = {"prefix": "/usr"}

    def validate(self):
        header = os.path.join(str(self.options.prefix), "include", "xsimd/xsimd.hpp")
        if not os.path.isfile(header):
            raise ConanInvalidConfiguration(f"{self.name}/system: {header} is missing; install libxsimd-dev")

    def package_info(self):
        prefix = str(self.options.prefix)
        # /usr/include and the multiarch lib dir are the compiler's defaults: naming them would only
        # add -isystem /usr/include, which breaks #include_next in libstdc++.
        self.cpp_info.includedirs = [] if prefix == "/usr" else [os.path.join(prefix, "include")]
        self.cpp_info.libdirs = [] if prefix == "/usr" else [os.path.join(prefix, "lib")]
        self.cpp_info.bindirs = []
        self.cpp_info.set_property("cmake_target_name", "xsimd")
        self.cpp_info.set_property("pkg_config_name", "xsimd")
