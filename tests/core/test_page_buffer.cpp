// allocate_pages: memory for repacked weights, in huge pages where asked and large enough. Whatever
// the OS does with the hint, the buffer holds what is written to it, is cache-line aligned, and a
// huge-page request of at least one huge page starts on a huge-page boundary. page_arena: one such
// reservation handed out in order, aligned, never past its end, alive while a buffer is.
#include <hearth/page_buffer.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>

namespace {

bool holds_pattern(std::byte* p, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 4093) p[i] = std::byte(i % 251);
    p[n - 1] = std::byte{7};
    for (std::size_t i = 0; i + 1 < n; i += 4093)
        if (p[i] != std::byte(i % 251)) return false;
    return p[n - 1] == std::byte{7};
}

}  // namespace

TEST_CASE("allocate_pages: usable, aligned buffers with and without huge pages", "[core][page_buffer]") {
    for (bool huge : {false, true}) {
        for (std::size_t n : {std::size_t{1}, std::size_t{4096 + 5}, hearth::huge_page_bytes,
                              hearth::huge_page_bytes * 3 / 2 + 64}) {
            INFO("huge " << huge << " bytes " << n);
            auto buf = hearth::allocate_pages(n, huge);
            REQUIRE(buf);
            const auto at = reinterpret_cast<std::uintptr_t>(buf.get());
            CHECK(at % 64 == 0);
#if defined(MADV_HUGEPAGE)
            if (huge && n >= hearth::huge_page_bytes) CHECK(at % hearth::huge_page_bytes == 0);
#endif
            CHECK(holds_pattern(buf.get(), n));
        }
    }
}

TEST_CASE("page_arena: consecutive aligned buffers within its capacity, alive while any is", "[core][page_buffer]") {
    const std::size_t capacity = hearth::huge_page_bytes + 1000;
    auto arena = std::make_shared<hearth::page_arena>(capacity, true);
    std::weak_ptr<hearth::page_arena> watch = arena;
    auto a = arena->take(1000), b = arena->take(hearth::huge_page_bytes - 2048), c = arena->take(5);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(c);
    CHECK(reinterpret_cast<std::uintptr_t>(a.get()) % 64 == 0);
    CHECK(b.get() == a.get() + 1024);  // the next 64-byte boundary
    CHECK(c.get() == b.get() + (hearth::huge_page_bytes - 2048));
    CHECK(arena->used() == 1024 + (hearth::huge_page_bytes - 2048) + 5);
    CHECK_FALSE(arena->take(capacity));          // more than is left
    const std::size_t next = (arena->used() + 63) / 64 * 64;
    CHECK(arena->take(capacity - next));  // all that is left, from the next boundary
    CHECK_FALSE(arena->take(1));
    CHECK(holds_pattern(a.get(), 1000));
    CHECK(holds_pattern(b.get(), hearth::huge_page_bytes - 2048));
    arena.reset();
    CHECK_FALSE(watch.expired());  // the buffers keep it
    CHECK(holds_pattern(c.get(), 5));  // the buffers still own its memory
    a.reset(), b.reset(), c.reset();
    CHECK(watch.expired());
}

TEST_CASE("zeroed_buffer: reads as zeros, keeps what is written, moves", "[core][page_buffer]") {
    hearth::zeroed_buffer empty;
    CHECK(empty.size() == 0);
    CHECK(empty.data() == nullptr);
    const std::size_t n = 3 * 4096 + 17;
    hearth::zeroed_buffer b(n);
    REQUIRE(b.size() == n);
    REQUIRE(b.data() != nullptr);
    for (std::size_t i = 0; i < n; i += 511) REQUIRE(b.data()[i] == std::byte{0});
    CHECK(holds_pattern(b.data(), n));
    const std::byte* at = b.data();
    hearth::zeroed_buffer moved(std::move(b));
    CHECK(moved.data() == at);
    CHECK(moved.size() == n);
    CHECK(moved.data()[n - 1] == std::byte{7});
}
