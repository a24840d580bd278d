#pragma once
// Reads llama.cpp's tokenizer test files: NAME.inp holds inputs separated by lines
// "__ggml_vocab_test__" (the separator is "\n__ggml_vocab_test__\n", so every input's own final
// newline is kept, and text after the last separator is one more input); NAME.out holds one line
// of space-separated ids per input. This is test-tokenizer-0's reading, byte for byte.
#include <hearth/tokenizer/token.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hearth_test {

struct vocab_case {
    std::string input;
    std::vector<hearth::token_id> ids;
};

inline std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + p.string());
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline std::vector<std::string> split_inputs(const std::string& raw) {
    static const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t next = raw.find(sep, pos);
        if (next == std::string::npos) {
            out.push_back(raw.substr(pos));
            break;
        }
        out.push_back(raw.substr(pos, next - pos));
        pos = next + sep.size();
    }
    return out;
}

inline std::vector<std::vector<hearth::token_id>> read_id_lines(const std::string& raw) {
    std::vector<std::vector<hearth::token_id>> out;
    std::istringstream lines(raw);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::vector<hearth::token_id> ids;
        long long v;
        while (words >> v) ids.push_back(static_cast<hearth::token_id>(v));
        out.push_back(std::move(ids));
    }
    return out;
}

// The cases of NAME.inp / NAME.out beside each other; throws when the counts differ.
inline std::vector<vocab_case> read_vocab_cases(const std::filesystem::path& inp, const std::filesystem::path& out) {
    const auto inputs = split_inputs(read_bytes(inp));
    const auto ids = read_id_lines(read_bytes(out));
    if (inputs.size() != ids.size())
        throw std::runtime_error(inp.string() + ": " + std::to_string(inputs.size()) + " inputs but " +
                                 std::to_string(ids.size()) + " id lines in " + out.string());
    std::vector<vocab_case> cases;
    for (std::size_t i = 0; i < inputs.size(); ++i) cases.push_back({inputs[i], ids[i]});
    return cases;
}

// Printable form of a string for failure messages.
inline std::string escaped(const std::string& s) {
    std::string r;
    for (unsigned char c : s) {
        if (c == '\n') r += "\\n";
        else if (c == '\t') r += "\\t";
        else if (c == '\r') r += "\\r";
        else if (c < 0x20 || c == 0x7F) {
            static const char* h = "0123456789abcdef";
            r += "\\x";
            r += h[c >> 4];
            r += h[c & 15];
        } else r += static_cast<char>(c);
    }
    return r;
}

inline std::string ids_string(const std::vector<hearth::token_id>& ids) {
    std::string r;
    for (auto id : ids) r += (r.empty() ? "" : " ") + std::to_string(id);
    return r;
}

}  // namespace hearth_test
