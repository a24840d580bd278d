// Byte-exact against llama.cpp: tests/data/quant/reference.json holds the SHA-256 of what ggml's
// quantizers (ggml_quantize_chunk without imatrix; quantize_row_q8_1_ref / q8_K_ref) write for the
// inputs of quant_test_data.hpp, and of ggml's dequantization of those bytes. Made by
// scripts/ref/quant_reference.py from llama-cpp-python's bundled libggml-base.
#include <catch2/catch.hpp>
#include <hearth/quant.hpp>
#include <nlohmann/json.hpp>
#include "quant_test_data.hpp"
#include "sha256.hpp"
#include "test_paths.hpp"
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace hearth;
using json = nlohmann::json;

namespace {

json load_reference() {
    const auto path = hearth_test::test_data() / "quant" / "reference.json";
    std::ifstream in(path);
    REQUIRE(in.good());
    return json::parse(in);
}

std::string hex(const std::byte* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s.push_back(digits[std::to_integer<int>(p[i]) >> 4]);
        s.push_back(digits[std::to_integer<int>(p[i]) & 15]);
    }
    return s;
}

std::vector<float> dataset(const json& d) {
    const auto n = d["nrows"].get<std::size_t>() * d["n_per_row"].get<std::size_t>();
    const auto seed = d["seed"].get<std::uint64_t>();
    const auto gen = d["generator"].get<std::string>();
    REQUIRE((gen == "generate" || gen == "generate_plain"));
    return gen == "generate" ? quant_test::generate(seed, n) : quant_test::generate_plain(seed, n);
}

}  // namespace

TEST_CASE("the test inputs are bit-identical to the ones ggml quantized", "[quant][reference]") {
    const json ref = load_reference();
    for (const auto& [name, d] : ref["datasets"].items()) {
        const auto x = dataset(d);
        INFO("dataset " << name);
        CHECK(quant_test::sha256_hex(x.data(), x.size() * sizeof(float)) == d["input_sha256"].get<std::string>());
    }
}

TEST_CASE("quantize_row writes llama.cpp's bytes for every format", "[quant][reference]") {
    const json ref = load_reference();
    for (const auto& [fmt, per_dataset] : ref["formats"].items()) {
        const auto t = parse_dtype(fmt);
        REQUIRE(t.has_value());
        for (const auto& [ds, expect] : per_dataset.items()) {
            const json& d = ref["datasets"][ds];
            const auto x = dataset(d);
            const auto nrows = d["nrows"].get<std::size_t>(), n_per_row = d["n_per_row"].get<std::size_t>();
            const std::size_t row_len = row_bytes(*t, n_per_row);
            std::vector<std::byte> q(row_len * nrows);
            for (std::size_t r = 0; r < nrows; ++r)
                quant::quantize_row(*t, x.data() + r * n_per_row, q.data() + r * row_len, n_per_row);

            INFO(fmt << " on dataset " << ds);
            const std::size_t block = traits(*t).block_bytes;
            CHECK(hex(q.data(), block) == expect["first_block"].get<std::string>());
            std::string differing_rows;
            for (std::size_t r = 0; r < nrows; ++r) {
                const auto want = expect["row_sha256"][r].get<std::string>();
                if (quant_test::sha256_hex(q.data() + r * row_len, row_len) != want)
                    differing_rows += " " + std::to_string(r);
            }
            INFO("rows that differ from ggml:" << differing_rows);
            CHECK(quant_test::sha256_hex(q.data(), q.size()) == expect["sha256"].get<std::string>());

            if (!expect["dequantized_sha256"].is_null()) {
                std::vector<float> y(nrows * n_per_row);
                quant::dequantize_row(*t, q.data(), y.data(), y.size());
                INFO("dequantized floats");
                CHECK(quant_test::sha256_hex(y.data(), y.size() * sizeof(float)) ==
                      expect["dequantized_sha256"].get<std::string>());
            }
        }
    }
}
