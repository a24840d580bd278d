#pragma once
// mapped_file: a whole file mapped read-only into memory, owned RAII-style.
// Model weights are read in place from the mapping (zero copy): the OS pages them in on first
// touch and may drop them under pressure, so opening a multi-GB model costs no RAM up front.
// An empty file maps to an empty span (mmap refuses length 0, so nothing is mapped at all).
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

// A platform edge of the core (with page_buffer.hpp): the OS calls that map a file.
#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

HEARTH_NAMESPACE_BEGIN

class mapped_file {
public:
    enum class access { normal, sequential, random, willneed };

    static mapped_file open(const std::filesystem::path& path);

    mapped_file() = default;
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    mapped_file(mapped_file&& o) noexcept
        : path_(std::move(o.path_)), data_(std::exchange(o.data_, nullptr)),
          size_(std::exchange(o.size_, 0)) {}
    mapped_file& operator=(mapped_file&& o) noexcept {
        if (this != &o) {
            unmap();
            path_ = std::move(o.path_);
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    ~mapped_file() { unmap(); }

    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    std::size_t size() const noexcept { return size_; }
    const std::filesystem::path& path() const noexcept { return path_; }

    // A paging hint to the OS (read-ahead for a sequential scan, none for random lookups).
    // Purely advisory: failure changes nothing observable, so it is swallowed.
    void advise(access how) const noexcept;

    // Takes the whole pages inside `range` (a part of bytes()) out of this process's resident
    // memory, for data a backend has copied and will not read here again. The mapping stays
    // valid: a later read pages the same bytes back in from the file (the page cache keeps them).
    // Advisory like advise(): a failure changes nothing observable and is swallowed.
    void release(std::span<const std::byte> range) const noexcept;

private:
    void unmap() noexcept;

    std::filesystem::path path_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

namespace detail {
inline std::string io_message(const std::filesystem::path& path, const char* what, int err) {
    return "cannot " + std::string(what) + " '" + path.string() + "': " + std::strerror(err);
}
}  // namespace detail

#if defined(_WIN32)

inline mapped_file mapped_file::open(const std::filesystem::path& path) {
    mapped_file f;
    f.path_ = path;
    HANDLE file = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                                FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE)
        throw error(errc::io, "cannot open '" + path.string() + "': Windows error " +
                                  std::to_string(::GetLastError()));
    LARGE_INTEGER size{};
    if (!::GetFileSizeEx(file, &size)) {
        auto e = ::GetLastError();
        ::CloseHandle(file);
        throw error(errc::io, "cannot stat '" + path.string() + "': Windows error " + std::to_string(e));
    }
    if (size.QuadPart == 0) {
        ::CloseHandle(file);
        return f;
    }
    HANDLE mapping = ::CreateFileMappingW(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
    ::CloseHandle(file);  // the mapping object keeps the file open
    if (!mapping)
        throw error(errc::io, "cannot map '" + path.string() + "': Windows error " +
                                  std::to_string(::GetLastError()));
    void* view = ::MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
    ::CloseHandle(mapping);  // the view keeps the mapping alive
    if (!view)
        throw error(errc::io, "cannot map '" + path.string() + "': Windows error " +
                                  std::to_string(::GetLastError()));
    f.data_ = static_cast<const std::byte*>(view);
    f.size_ = static_cast<std::size_t>(size.QuadPart);
    return f;
}

inline void mapped_file::advise(access how) const noexcept {
    if (!data_ || how != access::willneed) return;
    WIN32_MEMORY_RANGE_ENTRY range{const_cast<std::byte*>(data_), size_};
    ::PrefetchVirtualMemory(::GetCurrentProcess(), 1, &range, 0);
}

inline void mapped_file::release(std::span<const std::byte>) const noexcept {
    // Windows trims a process's working set by itself; nothing to ask for here.
}

inline void mapped_file::unmap() noexcept {
    if (data_) ::UnmapViewOfFile(data_);
    data_ = nullptr;
    size_ = 0;
}

#else

inline mapped_file mapped_file::open(const std::filesystem::path& path) {
    mapped_file f;
    f.path_ = path;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error(errc::io, detail::io_message(path, "open", errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw error(errc::io, detail::io_message(path, "stat", e));
    }
    // A directory opens fine with O_RDONLY but cannot be mapped; say so plainly.
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw error(errc::io, "cannot map '" + path.string() + "': not a regular file");
    }
    if (st.st_size == 0) {
        ::close(fd);
        return f;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    ::close(fd);  // the mapping keeps its own reference to the file
    if (p == MAP_FAILED) throw error(errc::io, detail::io_message(path, "map", e));
    f.data_ = static_cast<const std::byte*>(p);
    f.size_ = size;
    return f;
}

inline void mapped_file::advise(access how) const noexcept {
    if (!data_) return;
    int advice = MADV_NORMAL;
    switch (how) {
    case access::normal: advice = MADV_NORMAL; break;
    case access::sequential: advice = MADV_SEQUENTIAL; break;
    case access::random: advice = MADV_RANDOM; break;
    case access::willneed: advice = MADV_WILLNEED; break;
    }
    ::madvise(const_cast<std::byte*>(data_), size_, advice);
}

inline void mapped_file::release(std::span<const std::byte> range) const noexcept {
    if (!data_ || range.data() < data_ || range.data() + range.size() > data_ + size_) return;
    // MADV_DONTNEED on a read-only private file mapping drops the page table entries only: the
    // pages were never written, so a later touch maps the file's bytes again.
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto first = (reinterpret_cast<std::uintptr_t>(range.data()) + page - 1) / page * page;
    const auto last = (reinterpret_cast<std::uintptr_t>(range.data()) + range.size()) / page * page;
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

inline void mapped_file::unmap() noexcept {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
}

#endif

HEARTH_NAMESPACE_END
