# Wraps the pcre2 that the system's package manager installed (Debian: libpcre2-dev) as a Conan package,
# so `conan create` of hearth works with no remote at all. Nothing is built or copied: the
# package only describes where the files already are. Export it once into the local cache:
#   conan export packaging/conan/system-recipes/pcre2
# and keep its version equal to the installed one (`dpkg -s libpcre2-dev`).
import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration


class SystemPcre2Conan(ConanFile):
    name = "pcre2"
    version = "10.42"
    description = "pcre2 from the system (libpcre2-dev), wrapped for offline builds"
    package_type = "shared-library"
    settings = "os", "arch", "compiler", "build_type"
    # Where the system installed it; a site with its own mirror built into /opt/... sets this.
    options = {"prefix": ["ANY"]}
    default_options = {"prefix": "/usr"}

    def validate(self):
        header = os.path.join(str(self.options.prefix), "include", "pcre2.h")
        if not os.path.isfile(header):
            raise ConanInvalidConfiguration(f"{self.name}/system: {header} is missing; install libpcre2-dev")

    def package_info(self):
        prefix = str(self.options.prefix)
        # /usr/include and the multiarch lib dir are the compiler's defaults: naming them would only
        # add -isystem /usr/include, which breaks #include_next in libstdc++.
        self.cpp_info.includedirs = [] if prefix == "/usr" else [os.path.join(prefix, "include")]
        self.cpp_info.libdirs = [] if prefix == "/usr" else [os.path.join(prefix, "lib")]
        self.cpp_info.bindirs = []
        self.cpp_info.set_property("cmake_file_name", "PCRE2")
        self.cpp_info.set_property("cmake_target_name", "PCRE2::8BIT")
        self.cpp_info.set_property("pkg_config_name", "libpcre2-8")
        self.cpp_info.system_libs = ["pcre2-8"]
