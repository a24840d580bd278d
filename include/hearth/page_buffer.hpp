#pragma once
// page_buffer: large, long-lived CPU buffers whose pages matter. allocate_pages: a copy of model
// weights (the CPU backend's repacked matrices), in huge pages where the OS offers them.
// zeroed_buffer (below): a K/V cache, its pages faulted in only as they are written.
//
// Why: a decode step streams every weight byte once, so with 4 KiB pages it walks the page tables
// once per 4 KiB read. The file mapping often gets 2 MiB mappings for free (the page cache keeps
// large folios; here 350 of TinyLlama Q8_0's 1100 MB were mapped so), anonymous memory does not
// unless asked: repacked into 4 KiB pages, Q8_0 decoded slower than from the file
// (one thread, Zen 4: 16-19 against 17-20 tokens/s), in huge pages faster (20-22). On Linux the
// copy asks with MADV_HUGEPAGE, which the default THP setting ("madvise") honours; elsewhere, or
// when the OS refuses, the hint changes nothing but speed.
//
// The cost is at first touch: a huge page is zeroed whole (faster per byte than 4 KiB faults), but
// where the kernel must first compact memory, or a virtual machine's host must first back it, the
// first decode step waits for it (measured here: 0.1-0.5 s per GiB, up to 2.4 s per GiB on a fresh
// VM). Only buffers of at least one huge page ask.
#include <hearth/config.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>

#if !defined(_WIN32)
#include <sys/mman.h>
#include <unistd.h>
#endif

HEARTH_NAMESPACE_BEGIN

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

// `bytes` of uninitialised memory, aligned to a cache line at least; with huge_pages and at least
// huge_page_bytes of it, a 2 MiB-aligned anonymous mapping advised MADV_HUGEPAGE (Linux).
inline std::shared_ptr<std::byte[]> allocate_pages(std::size_t bytes, bool huge_pages) {
#if defined(MADV_HUGEPAGE)
    if (huge_pages && bytes >= huge_page_bytes) {
        // Over-reserve by one huge page, then give back the slack before and after the aligned run.
        const std::size_t reserve = bytes + huge_page_bytes;
        void* p = ::mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        const auto base = reinterpret_cast<std::uintptr_t>(p);
        const auto start = (base + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
        const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        const std::size_t head = start - base, length = (bytes + page - 1) / page * page;
        if (head) ::munmap(p, head);
        if (reserve - head > length) ::munmap(reinterpret_cast<void*>(start + length), reserve - head - length);
        ::madvise(reinterpret_cast<void*>(start), length, MADV_HUGEPAGE);  // advisory: a refusal costs speed only
        return {reinterpret_cast<std::byte*>(start), [length](std::byte* q) { ::munmap(q, length); }};
    }
#else
    (void)huge_pages;
#endif
    constexpr std::align_val_t line{64};
    return {static_cast<std::byte*>(::operator new[](bytes, line)), [](std::byte* q) { ::operator delete[](q, line); }};
}

// One allocate_pages reservation handed out as consecutive buffers, in the order they are asked
// for: a model's decode copies (the CPU backend's repacked matrices). Why: each mapping of its own
// ends in 4 KiB pages after its last whole huge page (TinyLlama Q4_K_M: 44 of 478 repacked MB),
// and a matrix under a huge page (a 256-row attention matrix: 295 KB) gets none at all; one
// reservation is huge pages but for its own end. The reservation costs address space, not
// memory: a page is backed when first written. It is given back when the arena and every buffer
// it handed out are gone (each buffer shares ownership of the arena).
class page_arena : public std::enable_shared_from_this<page_arena> {
public:
    page_arena(std::size_t capacity, bool huge_pages) : region_(allocate_pages(capacity, huge_pages)), capacity_(capacity) {}

    static constexpr std::size_t alignment = 64;  // a cache line
    // The most of an arena's capacity a buffer of `bytes` takes (its size and the alignment gap).
    static constexpr std::size_t footprint(std::size_t bytes) noexcept { return bytes + alignment; }

    // `bytes` at the next alignment boundary, or null when the arena has not that much left.
    std::shared_ptr<std::byte[]> take(std::size_t bytes) {
        const std::size_t at = (used_ + alignment - 1) / alignment * alignment;
        if (at > capacity_ || bytes > capacity_ - at) return nullptr;
        used_ = at + bytes;
        return std::shared_ptr<std::byte[]>(shared_from_this(), region_.get() + at);
    }
    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t used() const noexcept { return used_; }

private:
    std::shared_ptr<std::byte[]> region_;
    std::size_t capacity_ = 0, used_ = 0;
};

// A fixed-size byte buffer that reads as zeros, whose pages the OS provides on first touch (an
// anonymous mapping where there is mmap): a buffer sized for the worst case, such as a K/V cache
// for the whole context, costs resident memory and page faults only for what is written. A
// std::vector zeroes every page up front: TinyLlama's 36 MiB cache for 4096 tokens took 7% of a
// 7-token prompt's first token on one thread. Move-only, like the memory it owns.
class zeroed_buffer {
public:
    zeroed_buffer() = default;
    explicit zeroed_buffer(std::size_t bytes) : size_(bytes) {
        if (bytes == 0) return;
#if !defined(_WIN32)
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        mem_ = {static_cast<std::byte*>(p), unmapper{bytes}};
#else
        mem_ = {new std::byte[bytes](), unmapper{0}};
#endif
    }

    std::byte* data() noexcept { return mem_.get(); }
    const std::byte* data() const noexcept { return mem_.get(); }
    std::size_t size() const noexcept { return size_; }
    std::span<const std::byte> bytes() const noexcept { return {data(), size_}; }

private:
    struct unmapper {
        std::size_t bytes;  // 0: allocated with new[]
        void operator()(std::byte* p) const noexcept {
#if !defined(_WIN32)
            ::munmap(p, bytes);
#else
            delete[] p;
#endif
        }
    };
    std::unique_ptr<std::byte[], unmapper> mem_;
    std::size_t size_ = 0;
};

HEARTH_NAMESPACE_END
