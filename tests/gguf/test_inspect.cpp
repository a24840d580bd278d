// `hearth inspect`: the report printed for a real model (header facts, abbreviated arrays,
// tensor table, per-dtype totals) and the escaping of awkward strings.
#include "gguf_test_support.hpp"
#include <test_paths.hpp>
#include "../../examples/hearth/cmd_inspect.hpp"
#include <sstream>

using namespace hearth;

TEST_CASE("inspect prints header, metadata, tensor table and totals", "[gguf][inspect]") {
    const auto f = gguf::file::open(hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf");
    std::ostringstream os;
    hearth_cli::print_inspection(f, os);
    const std::string out = os.str();
    INFO(out);
    CHECK_THAT(out, Catch::Contains("GGUF:        version 3, alignment 32, data section at byte 724416"));
    CHECK_THAT(out, Catch::Contains("metadata:    18 keys"));
    CHECK_THAT(out, Catch::Contains("general.architecture"));
    CHECK_THAT(out, Catch::Contains("\"llama\""));
    CHECK_THAT(out, Catch::Contains("[32000 strings: \"<unk>\", \"<s>\", \"</s>\", ...]"));
    CHECK_THAT(out, Catch::Contains("[32000 f32s: 0, 0, 0, ...]"));
    CHECK_THAT(out, Catch::Contains("llama.context_length"));
    CHECK_THAT(out, Catch::Contains("4096"));
    CHECK_THAT(out, Catch::Contains("token_embd.weight"));
    CHECK_THAT(out, Catch::Contains("8 x 32000"));
    CHECK_THAT(out, Catch::Contains("512000"));
    // 9 f16 tensors: 2 x 512000 + 4 x 128 + 3 x 512 bytes; 3 f32 norms of 32 bytes.
    CHECK_THAT(out, Catch::Contains("  f16            9        513024       1026048"));
    CHECK_THAT(out, Catch::Contains("  f32            3            24            96"));
    CHECK_THAT(out, Catch::Contains("  all           12        513048       1026144"));
}

TEST_CASE("inspect escapes and cuts strings on character boundaries", "[gguf][inspect]") {
    using hearth_cli::inspect_detail::quoted;
    CHECK(quoted("a\"b\\c\nd\te\x01", 80) == "\"a\\\"b\\\\c\\nd\\te\\x01\"");
    CHECK(quoted("abcdef", 3) == "\"abc\"...");
    // "é" is two bytes: a cut after one byte would split it, so it backs off to before it.
    CHECK(quoted("a\xc3\xa9z", 2) == "\"a\"...");
    hearth_cli::inspect_options opt;
    opt.array_items = 1;
    gguf::writer w;
    w.set("nested", gguf::encoded_value::array({gguf::encoded_value::of(std::vector<std::int32_t>{1, 2}),
                                                gguf::encoded_value::of(std::vector<std::int32_t>{3})}));
    w.set("one", std::vector<std::string>{"x"});
    w.set("none", std::vector<float>{});
    w.set("flag", true);
    w.set("neg", std::int16_t{-5});
    std::vector<std::byte> b;
    w.write_to(b);
    const auto f = gguf::file::parse(b, "mem.gguf");
    std::ostringstream os;
    hearth_cli::print_inspection(f, os, opt);
    const std::string out = os.str();
    INFO(out);
    CHECK_THAT(out, Catch::Contains("[2 arrays: [2 i32s: 1, ...], ...]"));
    CHECK_THAT(out, Catch::Contains("[1 string: \"x\"]"));
    CHECK_THAT(out, Catch::Contains("[0 f32s]"));
    CHECK_THAT(out, Catch::Contains("true"));
    CHECK_THAT(out, Catch::Contains("-5"));
    CHECK_THAT(out, Catch::Contains("tensors:     0"));
}
