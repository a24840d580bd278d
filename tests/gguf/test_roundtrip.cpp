// gguf::writer -> gguf::file round trip: every metadata type (nested arrays and arrays of
// strings included) and one tensor of every computable dtype come back exactly as written.
#include "gguf_test_support.hpp"
#include <test_paths.hpp>
#include <hearth/gguf.hpp>
#include <filesystem>
#include <limits>

using namespace hearth;
using namespace hearth::gguf;

namespace {

struct tensor_spec {
    std::string name;
    dtype type;
    std::vector<std::uint64_t> shape;
    std::vector<std::byte> data;
};

// One tensor per computable dtype, shapes of 1..4 dims, random contents.
std::vector<tensor_spec> every_computable_dtype() {
    std::vector<tensor_spec> out;
    std::uint32_t seed = 1;
    for (const auto& tr : dtype_table) {
        if (!tr.computable) continue;
        const int dims = 1 + static_cast<int>(out.size() % 4);
        std::vector<std::uint64_t> shape{tr.block_elems * 2};
        for (int d = 1; d < dims; ++d) shape.push_back(static_cast<std::uint64_t>(d + 1));
        std::uint64_t rows = 1;
        for (std::size_t d = 1; d < shape.size(); ++d) rows *= shape[d];
        const auto nbytes = row_bytes(tr.type, shape[0]) * rows;
        out.push_back({"t." + std::string(tr.name), tr.type, shape, gguf_test::random_bytes(nbytes, seed++)});
    }
    return out;
}

writer make_writer(const std::vector<tensor_spec>& tensors) {
    writer w;
    w.set("general.architecture", "llama");
    w.set("t.u8", std::uint8_t{200});
    w.set("t.i8", std::int8_t{-100});
    w.set("t.u16", std::uint16_t{60000});
    w.set("t.i16", std::int16_t{-30000});
    w.set("t.u32", std::uint32_t{4000000000u});
    w.set("t.i32", std::int32_t{-2000000000});
    w.set("t.f32", 3.25f);
    w.set("t.bool", true);
    w.set("t.bool_false", false);
    w.set("t.string", std::string("hello, gguf"));
    w.set("t.empty_string", std::string_view{});
    w.set("t.u64", std::numeric_limits<std::uint64_t>::max());
    w.set("t.i64", std::numeric_limits<std::int64_t>::min());
    w.set("t.f64", 2.718281828459045);
    w.set("t.arr_i32", std::vector<std::int32_t>{1, -2, 3});
    w.set("t.arr_f32", std::vector<float>{0.5f, -1.5f});
    w.set("t.arr_u8", std::vector<std::uint8_t>{1, 2, 255});
    w.set("t.arr_bool", std::array<bool, 3>{true, false, true});
    w.set("t.arr_str", std::vector<std::string>{"<unk>", "", "\xc3\xa9t\xc3\xa9"});
    w.set("t.arr_str_list", {"a", "bc"});
    w.set("t.arr_empty", std::vector<std::uint64_t>{});
    w.set("t.nested", encoded_value::array({encoded_value::of(std::vector<std::int32_t>{1, 2}),
                                            encoded_value::of(std::vector<std::string>{"x", "y", "z"}),
                                            encoded_value::of(std::vector<std::int32_t>{})}));
    w.set("t.nested2", encoded_value::array({encoded_value::array({encoded_value::of(std::vector<double>{1.0, 2.0})})}));
    w.set("t.replaced", std::uint32_t{1});
    w.set("t.replaced", std::string("second"));
    for (const auto& t : tensors) w.add_tensor(t.name, t.type, t.shape, t.data);
    return w;
}

void check_contents(const file& f, const std::vector<tensor_spec>& tensors) {
    CHECK(f.version() == 3);
    CHECK(f.alignment() == 32);
    CHECK(f.metadata_count() == 25);
    CHECK(f.get<std::string_view>("general.architecture") == "llama");
    CHECK(f.find("t.u8")->type() == value_type::u8);
    CHECK(f.get<std::uint8_t>("t.u8") == 200);
    CHECK(f.find("t.i8")->type() == value_type::i8);
    CHECK(f.get<int>("t.i8") == -100);
    CHECK(f.find("t.u16")->type() == value_type::u16);
    CHECK(f.get<std::uint16_t>("t.u16") == 60000);
    CHECK(f.find("t.i16")->type() == value_type::i16);
    CHECK(f.get<std::int16_t>("t.i16") == -30000);
    CHECK(f.find("t.u32")->type() == value_type::u32);
    CHECK(f.get<std::uint32_t>("t.u32") == 4000000000u);
    CHECK(f.find("t.i32")->type() == value_type::i32);
    CHECK(f.get<std::int32_t>("t.i32") == -2000000000);
    CHECK(f.find("t.f32")->type() == value_type::f32);
    CHECK(f.get<float>("t.f32") == 3.25f);
    CHECK(f.get<double>("t.f32") == 3.25);
    CHECK(f.find("t.bool")->type() == value_type::boolean);
    CHECK(f.get<bool>("t.bool"));
    CHECK_FALSE(f.get<bool>("t.bool_false"));
    CHECK(f.get<std::string>("t.string") == "hello, gguf");
    CHECK(f.get<std::string_view>("t.empty_string").empty());
    CHECK(f.find("t.u64")->type() == value_type::u64);
    CHECK(f.get<std::uint64_t>("t.u64") == std::numeric_limits<std::uint64_t>::max());
    CHECK(f.find("t.i64")->type() == value_type::i64);
    CHECK(f.get<std::int64_t>("t.i64") == std::numeric_limits<std::int64_t>::min());
    CHECK(f.find("t.f64")->type() == value_type::f64);
    CHECK(f.get<double>("t.f64") == 2.718281828459045);
    CHECK(f.get_array<std::int32_t>("t.arr_i32") == std::vector<std::int32_t>{1, -2, 3});
    CHECK(f.get_array<std::int64_t>("t.arr_i32") == std::vector<std::int64_t>{1, -2, 3});
    CHECK(f.get_array<float>("t.arr_f32") == std::vector<float>{0.5f, -1.5f});
    CHECK(f.get_array<std::uint8_t>("t.arr_u8") == std::vector<std::uint8_t>{1, 2, 255});
    CHECK(f.get_array<bool>("t.arr_bool") == std::vector<bool>{true, false, true});
    CHECK(f.get_array<std::string>("t.arr_str") == std::vector<std::string>{"<unk>", "", "\xc3\xa9t\xc3\xa9"});
    CHECK(f.get_array<std::string_view>("t.arr_str_list") == std::vector<std::string_view>{"a", "bc"});
    CHECK(f.find("t.arr_empty")->array_type() == value_type::u64);
    CHECK(f.get_array<std::uint64_t>("t.arr_empty").empty());
    CHECK(f.get<std::string>("t.replaced") == "second");

    const value& nested = *f.find("t.nested");
    REQUIRE(nested.array_type() == value_type::array);
    REQUIRE(nested.size() == 3);
    CHECK(nested.element(0).to_vector<std::int32_t>() == std::vector<std::int32_t>{1, 2});
    CHECK(nested.element(1).array_type() == value_type::string);
    CHECK(nested.element(1).to_vector<std::string_view>() == std::vector<std::string_view>{"x", "y", "z"});
    CHECK(nested.element(1).element(2).as<std::string_view>() == "z");
    CHECK(nested.element(2).size() == 0);
    std::size_t n = 0;
    for (auto sub : nested) n += sub.size();
    CHECK(n == 5);
    const value& nested2 = *f.find("t.nested2");
    CHECK(nested2.element(0).element(0).to_vector<double>() == std::vector<double>{1.0, 2.0});

    // File order is insertion order (the replaced key keeps its first position).
    CHECK(f.metadata()[0].key == "general.architecture");
    CHECK(f.metadata()[24].key == "t.replaced");

    REQUIRE(f.tensors().size() == tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto& want = tensors[i];
        const auto& got = f.tensors()[i];
        INFO(want.name);
        CHECK(got.name == want.name);
        CHECK(got.type == want.type);
        CHECK(got.n_dims == static_cast<int>(want.shape.size()));
        for (std::size_t d = 0; d < 4; ++d) CHECK(got.ne[d] == (d < want.shape.size() ? want.shape[d] : 1));
        CHECK(got.offset % 32 == 0);
        REQUIRE(got.data.size() == want.data.size());
        CHECK(std::equal(got.data.begin(), got.data.end(), want.data.begin()));
        CHECK(&f.tensor(want.name) == &got);
    }
}

}  // namespace

TEST_CASE("writer round trip through memory: every metadata type, every computable dtype", "[gguf][writer]") {
    const auto tensors = every_computable_dtype();
    REQUIRE(tensors.size() >= 15);
    const auto w = make_writer(tensors);
    std::vector<std::byte> bytes;
    w.write_to(bytes);
    CHECK(bytes.size() % 32 == 0);
    const auto f = file::parse(bytes);
    check_contents(f, tensors);
    CHECK(gguf_test::tensor_count_from_second_tu(bytes) == tensors.size());
}

TEST_CASE("writer round trip through a file on disk", "[gguf][writer]") {
    const auto tensors = every_computable_dtype();
    auto w = make_writer(tensors);
    // Kept in the build tree so scripts/ref/gguf_verify_with_llama_cpp.py can load it with
    // llama.cpp's readers.
    const auto path = hearth_test::binary_dir() / "gguf_roundtrip.gguf";
    w.write(path);
    std::vector<std::byte> in_memory;
    w.write_to(in_memory);
    CHECK(std::filesystem::file_size(path) == in_memory.size());
    {
        const auto f = file::open(path);
        CHECK(std::equal(f.bytes().begin(), f.bytes().end(), in_memory.begin(), in_memory.end()));
        check_contents(f, tensors);
        REQUIRE(f.mapping());
        f.mapping()->advise(mapped_file::access::sequential);
        const file copy = f;  // copies share the mapping
        CHECK(copy.tensors()[0].data.data() == f.tensors()[0].data.data());
        // Tensor views name the mapping their bytes lie in; releasing a range from the process
        // (what a backend does under a weight it copied) leaves the bytes readable and unchanged.
        for (const auto& t : f.tensors()) CHECK(t.mapping == f.mapping());
        for (const auto& t : f.tensors()) f.mapping()->release(t.data);
        f.mapping()->release(f.bytes());
        f.mapping()->release(in_memory);  // not in the mapping: ignored
        CHECK(std::equal(f.bytes().begin(), f.bytes().end(), in_memory.begin(), in_memory.end()));
        check_contents(f, tensors);
    }
    CHECK(file::parse(in_memory).tensors()[0].mapping == nullptr);
    // ggml's C loader refuses nested arrays (gguf-py accepts them): this one has none.
    w.remove("t.nested");
    w.remove("t.nested2");
    const auto flat = hearth_test::binary_dir() / "gguf_roundtrip_flat.gguf";
    w.write(flat);
    const auto g = file::open(flat);
    CHECK(g.metadata_count() == 23);
    CHECK(g.metadata()[22].key == "t.replaced");
    CHECK(g.tensors().size() == tensors.size());
}

TEST_CASE("writer honours general.alignment and checks its input", "[gguf][writer]") {
    writer w;
    w.set_alignment(64);
    const auto a = gguf_test::random_bytes(4 * 3, 7);
    const auto b = gguf_test::random_bytes(2 * 5, 8);
    w.add_tensor("a", dtype::f32, {3}, a);
    w.add_tensor("b", dtype::f16, {5}, b);
    std::vector<std::byte> bytes;
    w.write_to(bytes);
    const auto f = file::parse(bytes);
    CHECK(f.alignment() == 64);
    CHECK(f.data_offset() % 64 == 0);
    CHECK(f.tensor("b").offset == 64);
    CHECK(bytes.size() == f.data_offset() + 128);

    using gguf_test::require_throws;
    require_throws([&] { w.add_tensor("a", dtype::f32, {3}, a); }, errc::invalid_argument, {"'a'", "twice"});
    require_throws([&] { w.add_tensor("c", dtype::f32, {4}, a); }, errc::invalid_argument, {"need 16 bytes, got 12"});
    require_throws([&] { w.add_tensor("q", dtype::q4_0, {16}, a); }, errc::invalid_argument, {"multiple of 32"});
    require_throws([&] { w.add_tensor("d", dtype::f32, {1, 1, 1, 1, 3}, a); }, errc::invalid_argument, {"1..4"});
    w.set("general.alignment", std::uint32_t{48});
    require_throws([&] { w.write_to(bytes); }, errc::invalid_argument, {"power of two", "48"});
    w.set("general.alignment", std::uint64_t{64});
    require_throws([&] { w.write_to(bytes); }, errc::invalid_argument, {"u32", "u64"});
    w.remove("general.alignment");
    w.write_to(bytes);
    CHECK(file::parse(bytes).alignment() == 32);
    require_throws([] { (void)encoded_value::array({encoded_value::of(1), encoded_value::of(2.0f)}); },
                   errc::invalid_argument, {"one type", "i32", "f32"});
    require_throws([&] { w.write("/nonexistent-dir/x.gguf"); }, errc::io, {"/nonexistent-dir/x.gguf"});
}

TEST_CASE("a file without tensors ends after its metadata, like llama.cpp's vocab files", "[gguf][writer]") {
    writer w;
    w.set("k", std::uint8_t{1});
    std::vector<std::byte> bytes;
    w.write_to(bytes);
    CHECK(bytes.size() == 24 + 8 + 1 + 4 + 1);
    const auto f = file::parse(bytes);
    CHECK(f.tensors().empty());
    CHECK(f.data_offset() == 64);  // past the end: there is no data section
}
