// A generated corpus of malformed GGUF files: each class of damage gives a hearth::error with
// the right errc and a message that says what, where and expected vs found. The files are built
// here (raw field by field, or by byte surgery on a writer-made file), so the corpus is the code.
#include "gguf_test_support.hpp"
#include <hearth/gguf.hpp>
#include <filesystem>
#include <limits>

using namespace hearth;
using namespace hearth::gguf;
using gguf_test::bytes;
using gguf_test::raw_builder;
using gguf_test::require_error;

namespace {

constexpr std::uint32_t f32_id = 0, f16_id = 1, q4_0_id = 2, u32_type = 4, string_type = 8, array_type_id = 9;
constexpr std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();

// A valid two-key, one-tensor file to start from.
raw_builder valid_prefix(std::uint64_t n_tensors = 1, std::uint64_t n_kv = 2) {
    raw_builder b;
    b.header(n_tensors, n_kv).kv_str("general.architecture", "llama").kv_u32("x.n", 7);
    return b;
}

bytes valid_small() {
    auto b = valid_prefix();
    b.tensor_info("w", {32, 2}, f32_id, 0).pad_to(32).zeros(256);
    return b.out;
}

// A writer-made file with two tensors, for surgery on tensor infos.
bytes writer_file() {
    static const auto a = gguf_test::random_bytes(64 * 4, 1);
    static const auto q = gguf_test::random_bytes(18 * 4, 2);
    writer w;
    w.set("general.architecture", "llama");
    w.set("x.vocab", std::vector<std::string>{"a", "b", "c"});
    w.add_tensor("first", dtype::f32, {64}, a);
    w.add_tensor("second", dtype::q4_0, {64, 2}, q);
    bytes out;
    w.write_to(out);
    return out;
}

// Offsets inside a tensor info record that starts at `at` (name, n_dims, dims, type, offset).
struct info_fields {
    std::size_t n_dims, ne0, type, offset;
};
info_fields locate_info(const bytes& b, std::string_view name) {
    const std::size_t at = gguf_test::find_gguf_string(b, name);
    const std::size_t n_dims_at = at + 8 + name.size();
    const auto n_dims = gguf_test::peek<std::uint32_t>(b, n_dims_at);
    const std::size_t type_at = n_dims_at + 4 + 8 * n_dims;
    return {n_dims_at, n_dims_at + 4, type_at, type_at + 4};
}

}  // namespace

TEST_CASE("the valid corpus base files parse", "[gguf][hostile]") {
    const auto small = valid_small();
    const auto f = gguf_test::parse(small);
    CHECK(f.tensor("w").data.size() == 256);
    const auto made = writer_file();
    const auto g = gguf_test::parse(made);
    CHECK(g.tensors().size() == 2);
}

TEST_CASE("wrong magic, unsupported versions, short files", "[gguf][hostile]") {
    auto b = valid_small();
    b[0] = std::byte{'G'}; b[1] = std::byte{'G'}; b[2] = std::byte{'M'}; b[3] = std::byte{'L'};
    require_error(b, errc::bad_format, {"not a GGUF file", "expected magic 'GGUF'", "47 47 4d 4c", "byte offset 0", "corpus.gguf"});

    require_error({}, errc::truncated, {"file is 0 bytes", "magic"});
    require_error(raw_builder{}.magic("GGU").out, errc::truncated, {"file is 3 bytes"});
    require_error(raw_builder{}.magic().out, errc::truncated, {"version", "byte offset 4"});

    raw_builder v1;
    v1.magic().u32(1).u32(0).u32(0);
    require_error(v1.out, errc::unsupported, {"version 1", "expected 2 or 3", "byte offset 4"});
    raw_builder v4;
    v4.header(0, 0, 4);
    require_error(v4.out, errc::unsupported, {"version 4"});
    raw_builder be;
    be.header(0, 0, 0x03000000);
    require_error(be.out, errc::unsupported, {"big-endian"});

    // v2 has the same layout as v3 and is accepted.
    raw_builder v2;
    v2.header(0, 1, 2).kv_u32("a", 1);
    CHECK(gguf_test::parse(v2.out).version() == 2);
}

TEST_CASE("truncation in each section names the section and offset", "[gguf][hostile]") {
    SECTION("header") {
        raw_builder b;
        b.magic().u32(3).u64(0).u32(0);
        require_error(b.out, errc::truncated, {"metadata count", "byte offset 16", "needs 8 bytes"});
    }
    SECTION("key") {
        auto b = valid_prefix(0, 1);
        b.out.resize(24 + 8 + 5);  // inside "general.architecture"
        require_error(b.out, errc::truncated, {"metadata key length 20", "byte offset 24"});
    }
    SECTION("value") {
        raw_builder b;
        b.header(0, 1).str("x.n").u32(u32_type).u8(7);
        require_error(b.out, errc::truncated, {"value", "key 'x.n'", "needs 4 bytes"});
    }
    SECTION("string value length past the end") {
        raw_builder b;
        b.header(0, 1).str("name").u32(string_type).u64(1000).u32(0);
        require_error(b.out, errc::truncated, {"string length 1000", "key 'name'", "past the end"});
    }
    SECTION("key length past the end") {
        raw_builder b;
        b.header(0, 1).u64(huge - 3).u32(0).u32(0).u8(0);
        require_error(b.out, errc::truncated, {"metadata key length 18446744073709551612", "byte offset 24"});
    }
    SECTION("array") {
        raw_builder b;
        b.header(0, 1).str("arr").u32(array_type_id).u32(u32_type).u64(10).u32(1).u32(2);
        require_error(b.out, errc::truncated, {"array of 10 u32", "key 'arr'", "4 bytes each", "8 bytes remain"});
    }
    SECTION("array count huge") {
        raw_builder b;
        b.header(0, 1).str("arr").u32(array_type_id).u32(string_type).u64(huge).zeros(16);
        require_error(b.out, errc::truncated, {"array of 18446744073709551615 string", "key 'arr'"});
    }
    SECTION("string inside an array") {
        raw_builder b;
        b.header(0, 1).str("toks").u32(array_type_id).u32(string_type).u64(2).str("ok").u64(50).zeros(2);
        require_error(b.out, errc::truncated, {"string length 50", "key 'toks'"});
    }
    SECTION("tensor info") {
        auto b = valid_prefix();
        b.str("w").u32(2).u64(32);  // second dimension missing
        require_error(b.out, errc::truncated, {"dimension", "tensor 'w'"});
    }
    SECTION("tensor name") {
        auto b = valid_prefix();
        b.u64(99).zeros(40);
        require_error(b.out, errc::truncated, {"tensor name length 99"});
    }
    SECTION("tensor data") {
        auto b = valid_small();
        b.resize(b.size() - 1);
        require_error(b, errc::truncated, {"tensor 'w'", "runs past the end", "255 data bytes present"});
    }
    SECTION("no data section at all") {
        auto b = valid_prefix();
        b.tensor_info("w", {32, 2}, f32_id, 0);
        require_error(b.out, errc::truncated, {"tensor 'w'", "needs 256 bytes of data", "runs past the end"});
    }
}

TEST_CASE("counts that cannot fit the remaining bytes are refused before any allocation", "[gguf][hostile]") {
    raw_builder kv;
    kv.header(0, huge).zeros(64);
    require_error(kv.out, errc::truncated, {"18446744073709551615 metadata entries", "can hold at most 4"});
    raw_builder t;
    t.header(huge / 2, 0).zeros(64);
    require_error(t.out, errc::truncated, {"9223372036854775807 tensors", "at most 2 tensor infos"});
    raw_builder both;
    both.header(2, 4).zeros(64);  // 4 kvs (>= 52 bytes) leave room for no tensor info
    require_error(both.out, errc::truncated, {"2 tensors"});
}

TEST_CASE("tensor infos: data past the end, misaligned, dims, overflow, dtype, block size", "[gguf][hostile]") {
    SECTION("offset past the end") {
        auto b = writer_file();
        const auto fi = locate_info(b, "second");
        gguf_test::poke<std::uint64_t>(b, fi.offset, 1u << 20);
        require_error(b, errc::truncated, {"tensor 'second'", "1048576", "runs past the end"});
    }
    SECTION("offset that overflows when added") {
        auto b = writer_file();
        const auto fi = locate_info(b, "second");
        gguf_test::poke<std::uint64_t>(b, fi.offset, huge - 31);
        require_error(b, errc::truncated, {"tensor 'second'", "runs past the end"});
    }
    SECTION("misaligned offset") {
        auto b = writer_file();
        const auto fi = locate_info(b, "second");
        gguf_test::poke<std::uint64_t>(b, fi.offset, 260);
        require_error(b, errc::bad_format, {"tensor 'second'", "data offset 260", "multiple of the alignment 32"});
    }
    SECTION("n_dims 0 and 5") {
        auto b = writer_file();
        const auto fi = locate_info(b, "first");
        gguf_test::poke<std::uint32_t>(b, fi.n_dims, 0);
        require_error(b, errc::bad_format, {"tensor 'first'", "n_dims must be 1..4, found 0"});
        gguf_test::poke<std::uint32_t>(b, fi.n_dims, 5);
        require_error(b, errc::bad_format, {"n_dims must be 1..4, found 5"});
    }
    SECTION("dimension product overflows") {
        auto b = valid_prefix();
        b.tensor_info("big", {1u << 31, 1u << 31, 1u << 31, 1}, f32_id, 0).pad_to(32);
        require_error(b.out, errc::bad_format, {"tensor 'big'", "overflows 64 bits"});
    }
    SECTION("byte size overflows while the element count does not") {
        auto b = valid_prefix();
        b.tensor_info("big", {std::uint64_t{1} << 62}, f32_id, 0).pad_to(32);
        require_error(b.out, errc::bad_format, {"tensor 'big'", "byte size overflows"});
    }
    SECTION("dimension above INT64_MAX") {
        auto b = valid_prefix();
        b.tensor_info("neg", {huge}, f32_id, 0).pad_to(32);
        require_error(b.out, errc::bad_format, {"tensor 'neg'", "larger than INT64_MAX"});
    }
    SECTION("huge but representable tensor") {
        auto b = valid_prefix();
        b.tensor_info("wide", {std::uint64_t{1} << 40}, f32_id, 0).pad_to(32);
        require_error(b.out, errc::truncated, {"tensor 'wide'", "4398046511104 bytes"});
    }
    SECTION("unknown dtype id") {
        auto b = writer_file();
        const auto fi = locate_info(b, "first");
        gguf_test::poke<std::uint32_t>(b, fi.type, 4);  // ids 4/5 were removed from ggml
        require_error(b, errc::unsupported, {"tensor 'first'", "unknown dtype id 4"});
        gguf_test::poke<std::uint32_t>(b, fi.type, 0xdeadbeef);
        require_error(b, errc::unsupported, {"unknown dtype id 3735928559"});
    }
    SECTION("row length not a multiple of the block size") {
        auto b = valid_prefix();
        b.tensor_info("q", {48, 2}, q4_0_id, 0).pad_to(32).zeros(64);
        require_error(b.out, errc::bad_format, {"tensor 'q'", "q4_0 rows must hold a multiple of 32", "ne[0] = 48"});
    }
    SECTION("zero-sized tensors are fine and point nowhere") {
        auto b = valid_prefix();
        b.tensor_info("empty", {0, 4}, f16_id, 0);
        const auto f = gguf_test::parse(b.out);
        CHECK(f.tensor("empty").data.empty());
        CHECK(f.tensor("empty").elements() == 0);
    }
}

TEST_CASE("duplicate keys and duplicate tensor names", "[gguf][hostile]") {
    raw_builder k;
    k.header(0, 3).kv_u32("a", 1).kv_u32("b", 2).kv_u32("a", 3);
    require_error(k.out, errc::bad_format, {"duplicate metadata key 'a'", "entry 2", "byte offset 58"});
    auto t = valid_prefix(2);
    t.tensor_info("w", {32}, f32_id, 0).tensor_info("w", {32}, f32_id, 128).pad_to(32).zeros(256);
    require_error(t.out, errc::bad_format, {"duplicate tensor name 'w'", "tensor 1"});
}

TEST_CASE("general.alignment: zero, not a power of two, wrong type", "[gguf][hostile]") {
    auto with_alignment = [](auto&& add) {
        raw_builder b;
        b.header(1, 1);
        add(b);
        b.tensor_info("w", {8}, f32_id, 0).pad_to(64).zeros(64);
        return b.out;
    };
    require_error(with_alignment([](raw_builder& b) { b.kv_u32("general.alignment", 0); }), errc::bad_format,
                  {"general.alignment", "nonzero power of two, found 0"});
    require_error(with_alignment([](raw_builder& b) { b.kv_u32("general.alignment", 48); }), errc::bad_format,
                  {"general.alignment", "found 48"});
    require_error(with_alignment([](raw_builder& b) { b.str("general.alignment").u32(10).u64(32); }),
                  errc::bad_format, {"general.alignment", "expected type u32, found u64"});
    require_error(with_alignment([](raw_builder& b) { b.str("general.alignment").u32(string_type).str("32"); }),
                  errc::bad_format, {"general.alignment", "found string"});
    const auto ok_bytes = with_alignment([](raw_builder& b) { b.kv_u32("general.alignment", 64); });
    const auto ok = gguf_test::parse(ok_bytes);
    CHECK(ok.alignment() == 64);
    CHECK(ok.data_offset() == 128);
}

TEST_CASE("unknown value types and nested array depth bombs", "[gguf][hostile]") {
    raw_builder t;
    t.header(0, 1).str("k").u32(13).u32(0);
    require_error(t.out, errc::bad_format, {"unknown value type id 13", "key 'k'", "expected 0..12"});
    raw_builder e;
    e.header(0, 1).str("k").u32(array_type_id).u32(77).u64(0);
    require_error(e.out, errc::bad_format, {"unknown array element type id 77", "key 'k'"});

    // 10000 levels of arrays, each holding one array: would exhaust a naive recursive reader.
    raw_builder bomb;
    bomb.header(0, 1).str("bomb").u32(array_type_id);
    for (int i = 0; i < 10000; ++i) bomb.u32(array_type_id).u64(1);
    bomb.u32(u32_type).u64(0);
    require_error(bomb.out, errc::bad_format, {"key 'bomb'", "nested deeper than 8 levels"});

    // Depth within the limit is accepted and readable.
    raw_builder ok;
    ok.header(0, 1).str("deep").u32(array_type_id);
    for (int i = 0; i < 6; ++i) ok.u32(array_type_id).u64(1);
    ok.u32(u32_type).u64(1).u32(42);
    const auto f = gguf_test::parse(ok.out);
    value v = *f.find("deep");
    while (v.array_type() == value_type::array) v = v.element(0);
    CHECK(v.element(0).as<std::uint32_t>() == 42);
}

TEST_CASE("checked conversions name the key and both types", "[gguf][hostile]") {
    writer w;
    w.set("n", std::uint32_t{300});
    w.set("neg", std::int32_t{-1});
    w.set("s", "text");
    w.set("arr", std::vector<std::int64_t>{1, 1ll << 40});
    w.set("f", 1.5f);
    bytes b;
    w.write_to(b);
    const auto f = gguf_test::parse(b);
    using gguf_test::require_throws;
    CHECK(f.get<std::uint16_t>("n") == 300);
    require_throws([&] { (void)f.get<std::uint8_t>("n"); }, errc::bad_format, {"key 'n'", "u32 value 300", "[0, 255]"});
    require_throws([&] { (void)f.get<std::uint64_t>("neg"); }, errc::bad_format, {"key 'neg'", "i32 value -1"});
    require_throws([&] { (void)f.get<int>("s"); }, errc::bad_format, {"key 's'", "expected an integer, found string"});
    require_throws([&] { (void)f.get<std::string>("n"); }, errc::bad_format, {"key 'n'", "expected string, found u32"});
    require_throws([&] { (void)f.get<bool>("n"); }, errc::bad_format, {"expected bool"});
    require_throws([&] { (void)f.get<int>("f"); }, errc::bad_format, {"key 'f'", "found f32"});
    require_throws([&] { (void)f.get_array<std::int32_t>("arr"); }, errc::bad_format,
                   {"element 1 of key 'arr'", "1099511627776"});
    require_throws([&] { (void)f.get_array<int>("n"); }, errc::bad_format, {"key 'n'", "needs an array, found u32"});
    require_throws([&] { (void)f.find("arr")->element(2); }, errc::out_of_range, {"element 2 of an array of 2"});
    require_throws([&] { (void)f.get<int>("missing"); }, errc::not_found, {"'missing'", "corpus.gguf"});
    CHECK_FALSE(f.get_optional<int>("missing").has_value());
    require_throws([&] { (void)f.get_optional<int>("s"); }, errc::bad_format, {"key 's'"});
}

TEST_CASE("mapped_file: missing file, directory, empty file", "[gguf][hostile]") {
    using gguf_test::require_throws;
    require_throws([] { (void)mapped_file::open("/nonexistent/model.gguf"); }, errc::io,
                   {"/nonexistent/model.gguf", "No such file"});
    require_throws([] { (void)file::open("/nonexistent/model.gguf"); }, errc::io, {"/nonexistent/model.gguf"});
    require_throws([] { (void)mapped_file::open("/tmp"); }, errc::io, {"not a regular file"});
    const auto empty = std::filesystem::temp_directory_path() / "hearth_gguf_empty.gguf";
    { std::FILE* f = std::fopen(empty.c_str(), "wb"); REQUIRE(f); std::fclose(f); }
    {
        auto m = mapped_file::open(empty);
        CHECK(m.size() == 0);
        CHECK(m.bytes().empty());
        m.advise(mapped_file::access::willneed);
        auto moved = std::move(m);
        CHECK(moved.path() == empty);
    }
    require_throws([&] { (void)file::open(empty); }, errc::truncated, {"hearth_gguf_empty.gguf", "file is 0 bytes"});
    std::filesystem::remove(empty);
}
