// Every prompt compared byte for byte with llama.cpp's own template engine, from
// tests/data/chat/reference.json (written by scripts/ref/chat_reference.py).
#include <catch2/catch.hpp>
#include <hearth/chat.hpp>
#include <nlohmann/json.hpp>
#include <test_paths.hpp>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {
using hearth::chat::message;

const nlohmann::json& reference() {
    static const nlohmann::json doc = [] {
        const auto path = hearth_test::test_data() / "chat" / "reference.json";
        std::ifstream in(path);
        REQUIRE(in.good());
        return nlohmann::json::parse(in);
    }();
    return doc;
}

std::vector<message> conversation(const std::string& name) {
    std::vector<message> out;
    for (const auto& m : reference().at("conversations").at(name))
        out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    return out;
}
}  // namespace

TEST_CASE("every family, by name, renders as llama.cpp does", "[chat][reference]") {
    const auto& cases = reference().at("by_name");
    REQUIRE(cases.size() >= 700);
    std::map<std::string, int> per_family;
    for (const auto& c : cases) {
        const auto family_name = c.at("family").get<std::string>();
        const auto family = hearth::chat::from_name(family_name);
        INFO("family " << family_name << ", conversation " << c.at("conversation").get<std::string>()
                       << ", add_generation_prompt " << c.at("add_generation_prompt").get<bool>());
        REQUIRE(family.has_value());
        CHECK(hearth::chat::name(*family) == family_name);
        const auto messages = conversation(c.at("conversation").get<std::string>());
        CHECK(hearth::chat::render(*family, messages, c.at("add_generation_prompt").get<bool>()) ==
              c.at("expected").get<std::string>());
        ++per_family[family_name];
    }
    // Every family hearth names is covered by the reference.
    for (const auto& entry : hearth::chat::family_names) CHECK(per_family[std::string(entry.name)] > 0);
}

TEST_CASE("real templates from GGUF files are detected and rendered as llama.cpp does", "[chat][reference]") {
    int rendered = 0;
    for (const auto& src : reference().at("by_text")) {
        const auto source = src.at("source").get<std::string>();
        INFO("template from " << source);
        if (src.at("template").is_null()) {
            // Gemma 3 270M ships no template: resolve() falls back to ChatML and says so.
            const auto r = hearth::chat::resolve("", "");
            CHECK(r.fell_back);
            CHECK(r.family == hearth::chat::template_family::chatml);
            continue;
        }
        const auto text = src.at("template").get<std::string>();
        const auto family = hearth::chat::detect(text);
        REQUIRE(family.has_value());
        CHECK(hearth::chat::name(*family) == src.at("family").get<std::string>());
        const auto r = hearth::chat::resolve(text, "");
        CHECK_FALSE(r.fell_back);
        CHECK(r.family == *family);
        for (const auto& c : src.at("cases")) {
            INFO("conversation " << c.at("conversation").get<std::string>());
            CHECK(hearth::chat::render(*family, conversation(c.at("conversation").get<std::string>()),
                                       c.at("add_generation_prompt").get<bool>()) == c.at("expected").get<std::string>());
            ++rendered;
        }
    }
    CHECK(rendered >= 36);
}

TEST_CASE("detection lands on the family llama.cpp picks", "[chat][reference]") {
    const auto probe = conversation(reference().at("probe_conversation").get<std::string>());
    int supported = 0, unsupported = 0, unknown = 0;
    for (const auto& d : reference().at("detection")) {
        const auto text = d.at("template").get<std::string>();
        INFO("template: " << text);
        const auto got = hearth::chat::detect(text);
        if (d.at("family").is_null()) {  // llama.cpp recognizes nothing here
            CHECK_FALSE(got.has_value());
            ++unknown;
            continue;
        }
        const auto family_name = d.at("family").get<std::string>();
        INFO("llama.cpp's family: " << family_name);
        if (auto expected = hearth::chat::from_name(family_name)) {
            REQUIRE(got.has_value());
            CHECK(*got == *expected);
            CHECK(hearth::chat::render(*got, probe, true) == d.at("expected").get<std::string>());
            ++supported;
        } else {
            // A family hearth does not render: "unknown", never a wrong family.
            CHECK_FALSE(got.has_value());
            ++unsupported;
        }
    }
    CHECK(supported >= 35);
    CHECK(unsupported >= 5);
    CHECK(unknown >= 3);
}
