// The hearth CLI runs models offline: the built program must not be able to talk to a network.
// Checked two ways on the binary itself:
//   1. its ELF NEEDED entries (and, where ldd exists, every library they pull in) name no
//      networking or TLS library (curl, ssl, crypto, gnutls, nghttp2, ...);
//   2. it imports none of the C library's socket and name-resolution functions, so nothing in it
//      (ours or a header-only dependency) can open a connection even through libc.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#ifndef HEARTH_CLI_PATH
#error "HEARTH_CLI_PATH must name the built hearth CLI"
#endif

namespace {

// Minimal ELF64 little-endian reader: section headers, .dynamic's DT_NEEDED and .dynsym's
// undefined symbols. Field offsets are those of the System V gABI (Elf64_Ehdr/Shdr/Dyn/Sym).
struct elf_imports {
    std::vector<std::string> needed;
    std::set<std::string> undefined_symbols;
};

template <class T>
T get(const std::string& b, std::size_t off) {
    REQUIRE(off + sizeof(T) <= b.size());
    T v;
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
}

std::string cstr_at(const std::string& b, std::size_t off) {
    REQUIRE(off < b.size());
    return std::string(b.c_str() + off);
}

elf_imports read_elf_imports(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    const std::string b{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(b.size() > 64);
    REQUIRE(b.compare(0, 4, "\x7f" "ELF") == 0);
    REQUIRE(b[4] == 2);  // ELFCLASS64
    REQUIRE(b[5] == 1);  // little-endian

    const auto shoff = get<std::uint64_t>(b, 0x28);
    const auto shentsize = get<std::uint16_t>(b, 0x3A);
    const auto shnum = get<std::uint16_t>(b, 0x3C);
    struct section { std::uint32_t type, link; std::uint64_t offset, size, entsize; };
    std::vector<section> sections;
    for (std::size_t i = 0; i < shnum; ++i) {
        const std::size_t s = shoff + i * shentsize;
        sections.push_back({get<std::uint32_t>(b, s + 4), get<std::uint32_t>(b, s + 40), get<std::uint64_t>(b, s + 24),
                            get<std::uint64_t>(b, s + 32), get<std::uint64_t>(b, s + 56)});
    }
    constexpr std::uint32_t sht_dynamic = 6, sht_dynsym = 11;
    elf_imports r;
    bool saw_dynamic = false;
    for (const auto& s : sections) {
        if (s.type == sht_dynamic) {
            saw_dynamic = true;
            const auto& strtab = sections.at(s.link);
            for (std::uint64_t off = s.offset; off + 16 <= s.offset + s.size; off += 16) {
                const auto tag = get<std::int64_t>(b, off);
                if (tag == 0) break;  // DT_NULL
                if (tag == 1)         // DT_NEEDED
                    r.needed.push_back(cstr_at(b, strtab.offset + get<std::uint64_t>(b, off + 8)));
            }
        } else if (s.type == sht_dynsym) {
            const auto& strtab = sections.at(s.link);
            for (std::uint64_t off = s.offset; off + 24 <= s.offset + s.size; off += 24) {
                const auto name = get<std::uint32_t>(b, off);
                const auto shndx = get<std::uint16_t>(b, off + 6);
                if (name != 0 && shndx == 0)  // SHN_UNDEF: imported from a shared library
                    r.undefined_symbols.insert(cstr_at(b, strtab.offset + name));
            }
        }
    }
    REQUIRE(saw_dynamic);  // a static binary would hide its networking from this test
    return r;
}

// Library name fragments that mean network or TLS capability.
const char* const network_libraries[] = {"libcurl", "libssl", "libcrypto", "libgnutls", "libnghttp", "libssh",
                                         "libzmq", "libuv", "libevent", "libmicrohttpd", "libwebsockets",
                                         "libgrpc", "libprotobuf", "libresolv", "libnss_", "libmbedtls",
                                         "libwolfssl", "libsoup", "libldap"};

bool is_network_library(const std::string& name) {
    for (const char* n : network_libraries)
        if (name.find(n) != std::string::npos) return true;
    return false;
}

// libc's ways to open a connection or look a host up.
const char* const socket_functions[] = {"socket", "connect", "bind", "listen", "accept", "accept4",
                                        "getaddrinfo", "gethostbyname", "gethostbyname2", "gethostbyname_r",
                                        "getnameinfo", "sendto", "recvfrom", "sendmsg", "recvmsg", "socketpair"};

std::string strip_version(const std::string& sym) { return sym.substr(0, sym.find('@')); }

}  // namespace

TEST_CASE("the hearth CLI links no networking library (ELF NEEDED)", "[integrity][offline]") {
    const auto elf = read_elf_imports(HEARTH_CLI_PATH);
    REQUIRE_FALSE(elf.needed.empty());
    for (const auto& lib : elf.needed) {
        INFO("NEEDED " << lib);
        CHECK_FALSE(is_network_library(lib));
    }
}

TEST_CASE("the hearth CLI imports no socket or resolver function", "[integrity][offline]") {
    const auto elf = read_elf_imports(HEARTH_CLI_PATH);
    REQUIRE_FALSE(elf.undefined_symbols.empty());
    for (const auto& sym : elf.undefined_symbols) {
        const std::string name = strip_version(sym);
        for (const char* f : socket_functions) {
            INFO("imports " << sym);
            CHECK(name != f);
        }
    }
}

TEST_CASE("the hearth CLI's whole library closure (ldd) has no networking library", "[integrity][offline]") {
    const std::string cmd = std::string("ldd '") + HEARTH_CLI_PATH + "' 2>/dev/null";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int status = ::pclose(p);
    if (status != 0 || out.empty()) {
        WARN("ldd is not available here; only the direct NEEDED entries were checked");
        return;
    }
    std::size_t libs = 0;
    for (std::size_t pos = 0; pos < out.size();) {
        const std::size_t nl = out.find('\n', pos);
        const std::string line = out.substr(pos, nl - pos);
        pos = nl == std::string::npos ? out.size() : nl + 1;
        if (line.find("=>") == std::string::npos) continue;
        ++libs;
        INFO("ldd: " << line);
        CHECK_FALSE(is_network_library(line));
        CHECK(line.find("not found") == std::string::npos);
    }
    CHECK(libs > 0);
}
