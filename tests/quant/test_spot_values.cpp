// Dequantization of real GGUF tensors equals llama.cpp's Python dequantizer (gguf-py) bit for bit:
// tests/data/quant/spot_values.json holds (row, col, float bits) triples for a few tensors of every
// dtype in three real files (scripts/ref/quant_spot_values.py). Both sides do the same float
// operations in the same order (fp16 scales widened exactly, products rounded before the min is
// subtracted), so the comparison is exact. Models that were not fetched are skipped with a warning.
#include <catch2/catch.hpp>
#include <hearth/gguf.hpp>
#include <hearth/quant.hpp>
#include <nlohmann/json.hpp>
#include "test_paths.hpp"
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace hearth;
using json = nlohmann::json;

TEST_CASE("dequantize_row matches gguf-py on real model tensors", "[quant][spot]") {
    std::ifstream in(hearth_test::test_data() / "quant" / "spot_values.json");
    REQUIRE(in.good());
    const json ref = json::parse(in);
    REQUIRE(ref["models"].size() >= 1);

    int models_checked = 0;
    for (const auto& m : ref["models"]) {
        const auto file_name = m["file"].get<std::string>();
        const std::filesystem::path path = m["location"] == "shared"
                                               ? hearth_test::shared_dir() / "models" / file_name
                                               : hearth_test::cached_model(file_name);
        if (path.empty() || !std::filesystem::exists(path)) {
            WARN("skipping " << file_name << ": not found (run `python3 scripts/fetch-models build/models`)");
            continue;
        }
        const auto file = gguf::file::open(path);
        for (const auto& t : m["tensors"]) {
            const auto tensor_name = t["name"].get<std::string>();
            const gguf::tensor_view& view = file.tensor(tensor_name);
            const auto type = parse_dtype(t["type"].get<std::string>());
            REQUIRE(type.has_value());
            REQUIRE(view.type == *type);
            REQUIRE(view.ne[0] == t["ne"][0].get<std::uint64_t>());

            const std::size_t cols = static_cast<std::size_t>(view.ne[0]);
            const std::size_t row_len = view.row_bytes();
            std::vector<float> row(cols);
            for (const auto& v : t["values"]) {
                const auto r = v[0].get<std::size_t>(), c = v[1].get<std::size_t>();
                REQUIRE(r < view.rows());
                quant::dequantize_row(view.type, view.data.data() + r * row_len, row.data(), cols);
                const auto want = static_cast<std::uint32_t>(std::stoul(v[2].get<std::string>(), nullptr, 16));
                INFO(file_name << " " << tensor_name << " (" << hearth::name(view.type) << ") row " << r << " col " << c
                               << ": hearth " << row[c] << ", gguf-py " << std::bit_cast<float>(want));
                CHECK(std::bit_cast<std::uint32_t>(row[c]) == want);
            }
        }
        ++models_checked;
    }
    // The shared model is always there; the cached ones may be skipped.
    CHECK(models_checked >= 1);
}

TEST_CASE("every dtype in the spot values is one hearth dequantizes", "[quant][spot]") {
    std::ifstream in(hearth_test::test_data() / "quant" / "spot_values.json");
    const json ref = json::parse(in);
    std::vector<std::string> types;
    for (const auto& m : ref["models"])
        for (const auto& t : m["tensors"]) {
            const auto type = parse_dtype(t["type"].get<std::string>());
            REQUIRE(type.has_value());
            CHECK(quant::can_dequantize(*type));
        }
}
