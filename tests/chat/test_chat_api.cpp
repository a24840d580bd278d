// Names, detection corner cases, BOS/EOS, trimming and the ChatML fallback.
#include <catch2/catch.hpp>
#include <hearth/chat.hpp>
#include <string>
#include <vector>

using hearth::chat::message;
using hearth::chat::template_family;

TEST_CASE("family names round-trip and match exactly", "[chat]") {
    for (const auto& entry : hearth::chat::family_names) {
        CHECK(hearth::chat::from_name(entry.name) == entry.family);
        CHECK(hearth::chat::name(entry.family) == entry.name);
    }
    CHECK_FALSE(hearth::chat::from_name("ChatML").has_value());  // case matters, as in llama.cpp
    CHECK_FALSE(hearth::chat::from_name("mistral").has_value());
    CHECK_FALSE(hearth::chat::from_name("").has_value());
    CHECK(hearth::chat::from_name("mistral-v7-tekken") == template_family::mistral_v7_tekken);
}

TEST_CASE("detection follows llama.cpp's order where markers overlap", "[chat]") {
    using hearth::chat::detect;
    // <|im_start|> is checked first: a template with both ChatML and Llama 3 markers is ChatML.
    CHECK(detect("<|im_start|><|start_header_id|><|end_header_id|>") == template_family::chatml);
    // Any [INST] makes it an [INST] format, before the phi3 check.
    CHECK(detect("[INST] <|assistant|><|end|>") == template_family::llama2);
    // The [INST] family is also chosen by a leading "mistral", but only at the very start.
    CHECK(detect("mistral-ish") == template_family::llama2);
    CHECK_FALSE(detect("not mistral").has_value());
    // Phi-3 needs both markers; <|assistant|> with <|user|> and </s> is Falcon 3.
    CHECK(detect("<|assistant|><|user|></s>") == template_family::falcon3);
    CHECK(detect("<|assistant|><|user|>") == template_family::glmedge);
    // SmolVLM's <|im_start|> is a BOS, not ChatML: unknown, not chatml.
    CHECK_FALSE(detect("<|im_start|>User:<end_of_utterance>").has_value());
    CHECK_FALSE(detect("").has_value());
}

TEST_CASE("BOS and EOS default to <s> and </s> and can be the model's own", "[chat]") {
    const std::vector<message> conv{{"system", "S"}, {"user", "U"}, {"assistant", "A"}, {"user", "V"}};
    using hearth::chat::render;
    CHECK(render(template_family::llama2_sys_bos, conv, true) ==
          "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]A</s><s>[INST] V [/INST]");
    CHECK(render(template_family::llama2_sys_bos, conv, true, "<BOS>", "<EOS>") ==
          "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]A<EOS><BOS>[INST] V [/INST]");
    CHECK(render(template_family::mistral_v7, conv, false, "", "[EOS]") ==
          "[SYSTEM_PROMPT] S[/SYSTEM_PROMPT][INST] U[/INST] A[EOS][INST] V[/INST]");
    // Formats without BOS/EOS inside the conversation ignore them.
    CHECK(render(template_family::chatml, conv, false, "<BOS>", "<EOS>") == render(template_family::chatml, conv, false));
}

TEST_CASE("trimming is ASCII whitespace only, like C's isspace", "[chat]") {
    using hearth::chat::trim;
    CHECK(trim(" \t\n\v\f\rx y\r\n ") == "x y");
    CHECK(trim("\xC2\xA0x\xC2\xA0") == "\xC2\xA0x\xC2\xA0");  // U+00A0 NO-BREAK SPACE stays
    CHECK(trim("   ").empty());
    CHECK(trim("").empty());
    const std::vector<message> conv{{"user", " \xE2\x80\x83hi\xE2\x80\x83 "}};  // U+2003 EM SPACE inside ASCII spaces
    CHECK(hearth::chat::render(template_family::llama3, conv, false) ==
          "<|start_header_id|>user<|end_header_id|>\n\n\xE2\x80\x83hi\xE2\x80\x83<|eot_id|>");
}

TEST_CASE("an empty conversation renders only what the format always writes", "[chat]") {
    using hearth::chat::render;
    const std::vector<message> none;
    CHECK(render(template_family::chatml, none, true) == "<|im_start|>assistant\n");
    CHECK(render(template_family::chatml, none, false).empty());
    CHECK(render(template_family::llama2, none, true) == "[INST] ");
    CHECK(render(template_family::chatglm4, none, false) == "[gMASK]<sop>");
    CHECK(render(template_family::gemma, none, true) == "<start_of_turn>model\n");
}

TEST_CASE("resolve: the override wins, then the file; otherwise chatml with a warning", "[chat]") {
    using hearth::chat::resolve;
    const std::string llama3_file = "{{ '<|start_header_id|>' + role + '<|end_header_id|>\\n\\n' }}";

    auto r = resolve(llama3_file, "");
    CHECK(r.family == template_family::llama3);
    CHECK_FALSE(r.fell_back);
    CHECK(r.warning.empty());

    r = resolve(llama3_file, "gemma");  // the user's choice beats the file's
    CHECK(r.family == template_family::gemma);
    CHECK_FALSE(r.fell_back);

    r = resolve("", "{{ '<|user|>' }}{{ '<|assistant|>' }}{{ '<|end|>' }}");  // an override may be template text
    CHECK(r.family == template_family::phi3);

    r = resolve(llama3_file, "no-such-template");
    CHECK(r.family == template_family::chatml);
    CHECK(r.fell_back);
    CHECK_THAT(r.warning, Catch::Matchers::Contains("no-such-template") && Catch::Matchers::Contains("llama3"));

    r = resolve("{% for m in messages %}{{ m.content }}{% endfor %}", "");
    CHECK(r.family == template_family::chatml);
    CHECK(r.fell_back);
    CHECK_THAT(r.warning, Catch::Matchers::Contains("--chat-template"));

    r = resolve("", "");
    CHECK(r.family == template_family::chatml);
    CHECK(r.fell_back);
    CHECK_THAT(r.warning, Catch::Matchers::Contains("no chat template"));
}
