# Wraps the highway that the system's package manager installed (Debian: libhwy-dev) as a Conan package,
# so `conan create` of hearth works with no remote at all. Nothing is built or copied: the
# package only describes where the files already are. Export it once into the local cache:
#   conan export packaging/conan/system-recipes/highway
# and keep its version equal to the installed one (`dpkg -s libhwy-dev`).
import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration


class SystemHighwayConan(ConanFile):
    name = "highway"
    version = "1.0.3"
    description = "highway from the system (libhwy-dev), wrapped for offline builds"
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # Where the system installed it; a site with its own mirror built into /opt/... sets this.
    options = {"prefix": ["ANY"]}
    default_options = {"prefix": "/usr"}

    def validate(self):
        header = os.path.join(str(self.options.prefix), "include", "hwy/highway.h")
        if not os.path.isfile(header):
            raise ConanInvalidConfiguration(f"{self.name}/system: {header} is missing; install libhwy-dev")

    def package_info(self):
        prefix = str(self.options.prefix)
        # /usr/include and the multiarch lib dir are the compiler's defaults: naming them would only
        # add -isystem /usr/include, which breaks #include_next in libstdc++.
        self.cpp_info.includedirs = [] if prefix == "/usr" else [os.path.join(prefix, "include")]
        self.cpp_info.libdirs = [] if prefix == "/usr" else [os.path.join(prefix, "lib")]
        self.cpp_info.bindirs = []
        # hearth uses Highway header-only with static dispatch: no -lhwy.
        self.cpp_info.set_property("cmake_file_name", "hwy")
        self.cpp_info.set_property("cmake_target_name", "hwy::hwy")
