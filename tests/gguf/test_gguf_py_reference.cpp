// A file written by llama.cpp's own Python writer (gguf-py, scripts/ref/gguf_make_reference.py):
// hearth reads every value and tensor back, and gguf::writer given the same content reproduces
// the file byte for byte (same order, alignment and padding as llama.cpp's tools).
#include "gguf_test_support.hpp"
#include <test_paths.hpp>
#include <hearth/fp16.hpp>
#include <hearth/gguf.hpp>
#include <limits>

using namespace hearth;
using namespace hearth::gguf;

namespace {
const auto reference_path = [] { return hearth_test::test_data() / "gguf" / "gguf_py_every_type.gguf"; };

std::vector<std::byte> iota_bytes(std::size_t n, unsigned step, unsigned mod) {
    std::vector<std::byte> b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(i * step % mod);
    return b;
}
template <class T>
std::vector<std::byte> as_bytes(const std::vector<T>& v) {
    std::vector<std::byte> b(v.size() * sizeof(T));
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}
}  // namespace

TEST_CASE("gguf-py's file: every value and tensor reads back", "[gguf][reference]") {
    const auto f = file::open(reference_path());
    CHECK(f.version() == 3);
    CHECK(f.alignment() == 64);
    CHECK(f.data_offset() % 64 == 0);
    CHECK(f.metadata()[0].key == "general.architecture");
    CHECK(f.get<std::string_view>("general.architecture") == "llama");
    CHECK(f.get<std::uint8_t>("t.u8") == 200);
    CHECK(f.get<std::int8_t>("t.i8") == -100);
    CHECK(f.get<std::uint16_t>("t.u16") == 60000);
    CHECK(f.get<std::int16_t>("t.i16") == -30000);
    CHECK(f.get<std::uint32_t>("t.u32") == 4000000000u);
    CHECK(f.get<std::int32_t>("t.i32") == -2000000000);
    CHECK(f.get<float>("t.f32") == 3.25f);
    CHECK(f.get<bool>("t.bool"));
    CHECK(f.get<std::string_view>("t.string") == "h\xc3\xa9llo, gguf");
    CHECK(f.get<std::uint64_t>("t.u64") == std::numeric_limits<std::uint64_t>::max());
    CHECK(f.get<std::int64_t>("t.i64") == std::numeric_limits<std::int64_t>::min());
    CHECK(f.get<double>("t.f64") == 2.718281828459045);
    CHECK(f.get_array<std::int32_t>("t.arr_i32") == std::vector<std::int32_t>{1, -2, 3});
    CHECK(f.get_array<float>("t.arr_f32") == std::vector<float>{0.5f, -1.5f});
    CHECK(f.find("t.arr_u8")->array_type() == value_type::u8);
    CHECK(f.get_array<int>("t.arr_u8") == std::vector<int>{1, 2, 255});
    CHECK(f.get_array<std::uint64_t>("t.arr_u64") == std::vector<std::uint64_t>{1ull << 40, 7});
    CHECK(f.get_array<bool>("t.arr_bool") == std::vector<bool>{true, false, true});
    CHECK(f.get_array<std::string>("t.arr_str") == std::vector<std::string>{"<unk>", "", "\xc3\xa9t\xc3\xa9"});
    const auto& nested = *f.find("t.nested");
    REQUIRE(nested.size() == 2);
    CHECK(nested.element(0).to_vector<int>() == std::vector<int>{1, 2});
    CHECK(nested.element(1).to_vector<int>() == std::vector<int>{3});
    const auto& nested_str = *f.find("t.nested_str");
    CHECK(nested_str.element(1).to_vector<std::string_view>() == std::vector<std::string_view>{"b", "c"});

    REQUIRE(f.tensors().size() == 5);
    const auto& t32 = f.tensor("t.f32");
    CHECK(t32.type == dtype::f32);
    CHECK(t32.ne == std::array<std::uint64_t, 4>{3, 2, 1, 1});
    float v[6];
    std::memcpy(v, t32.data.data(), sizeof v);
    for (int i = 0; i < 6; ++i) CHECK(v[i] == static_cast<float>(i) / 4);
    const auto& t16 = f.tensor("t.f16");
    CHECK(t16.n_dims == 1);
    CHECK(t16.ne[0] == 5);
    for (int i = 0; i < 5; ++i) {
        f16_bits h;
        std::memcpy(&h, t16.data.data() + 2 * i, 2);
        CHECK(fp16_to_fp32(h) == static_cast<float>(i - 2) / 8);
    }
    CHECK(f.tensor("t.i32").type == dtype::i32);
    const auto& q8 = f.tensor("t.q8_0");
    CHECK(q8.type == dtype::q8_0);
    CHECK(q8.ne == std::array<std::uint64_t, 4>{32, 2, 1, 1});
    CHECK(q8.row_bytes() == 34);
    CHECK(std::equal(q8.data.begin(), q8.data.end(), iota_bytes(68, 1, 251).begin()));
    const auto& q4k = f.tensor("t.q4_k");
    CHECK(q4k.type == dtype::q4_k);
    CHECK(q4k.n_dims == 2);
    CHECK(q4k.ne == std::array<std::uint64_t, 4>{256, 1, 1, 1});
    for (const auto& t : f.tensors()) CHECK(t.offset % 64 == 0);
}

TEST_CASE("gguf::writer reproduces gguf-py's file byte for byte", "[gguf][reference][writer]") {
    const auto f = file::open(reference_path());
    writer w;
    w.set("general.architecture", "llama");
    w.set_alignment(64);
    w.set("t.u8", std::uint8_t{200});
    w.set("t.i8", std::int8_t{-100});
    w.set("t.u16", std::uint16_t{60000});
    w.set("t.i16", std::int16_t{-30000});
    w.set("t.u32", std::uint32_t{4000000000u});
    w.set("t.i32", std::int32_t{-2000000000});
    w.set("t.f32", 3.25f);
    w.set("t.bool", true);
    w.set("t.string", "h\xc3\xa9llo, gguf");
    w.set("t.u64", std::numeric_limits<std::uint64_t>::max());
    w.set("t.i64", std::numeric_limits<std::int64_t>::min());
    w.set("t.f64", 2.718281828459045);
    w.set("t.arr_i32", std::vector<std::int32_t>{1, -2, 3});
    w.set("t.arr_f32", std::vector<float>{0.5f, -1.5f});
    w.set("t.arr_u8", std::vector<std::uint8_t>{1, 2, 255});
    w.set("t.arr_u64", std::vector<std::uint64_t>{1ull << 40, 7});
    w.set("t.arr_bool", std::vector<std::uint8_t>{1, 0, 1});  // replaced below by real bools
    w.set("t.arr_bool", std::array<bool, 3>{true, false, true});
    w.set("t.arr_str", {"<unk>", "", "\xc3\xa9t\xc3\xa9"});
    w.set("t.nested", encoded_value::array({encoded_value::of(std::vector<std::int32_t>{1, 2}),
                                            encoded_value::of(std::vector<std::int32_t>{3})}));
    w.set("t.nested_str", encoded_value::array({encoded_value::of(std::vector<std::string>{"a"}),
                                                encoded_value::of(std::vector<std::string>{"b", "c"})}));
    std::vector<float> f32(6);
    for (int i = 0; i < 6; ++i) f32[static_cast<std::size_t>(i)] = static_cast<float>(i) / 4;
    std::vector<f16_bits> f16(5);
    for (int i = 0; i < 5; ++i) f16[static_cast<std::size_t>(i)] = fp32_to_fp16(static_cast<float>(i - 2) / 8);
    const std::vector<std::int32_t> i32{0, -7, -14};
    const auto b32 = as_bytes(f32), b16 = as_bytes(f16), bi32 = as_bytes(i32);
    const auto q8 = iota_bytes(68, 1, 251), q4k = iota_bytes(144, 3, 256);
    w.add_tensor("t.f32", dtype::f32, {3, 2}, b32);
    w.add_tensor("t.f16", dtype::f16, {5}, b16);
    w.add_tensor("t.i32", dtype::i32, {3}, bi32);
    w.add_tensor("t.q8_0", dtype::q8_0, {32, 2}, q8);
    w.add_tensor("t.q4_k", dtype::q4_k, {256, 1}, q4k);
    std::vector<std::byte> mine;
    w.write_to(mine);
    REQUIRE(mine.size() == f.bytes().size());
    const auto diff = std::mismatch(mine.begin(), mine.end(), f.bytes().begin());
    INFO("first difference at byte " << (diff.first - mine.begin()));
    CHECK(diff.first == mine.end());
}
