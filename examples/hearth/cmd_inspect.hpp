#pragma once
// `hearth inspect MODEL.gguf`: what is inside a GGUF file, without loading a model. Prints the
// header facts, every metadata key with its type and value (long arrays and strings abbreviated),
// the tensor table, and totals per dtype. Errors propagate as hearth::error; main prints them.
#include <CLI/CLI.hpp>
#include <hearth/gguf.hpp>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace hearth_cli {
namespace inspect_detail {

struct inspect_options {
    std::size_t array_items = 3;   // array elements shown before "..."
    std::size_t string_chars = 80; // characters of a string shown before "..."
    bool metadata = true;
    bool tensors = true;
};

// A string as a quoted literal: escapes control characters and quotes, and cuts it after `max`
// bytes on a UTF-8 character boundary (never half a character).
inline std::string quoted(std::string_view s, std::size_t max) {
    bool cut = false;
    if (s.size() > max) {
        std::size_t n = max;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        s = s.substr(0, n);
        cut = true;
    }
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20 || u == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", u);
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += cut ? "\"..." : "\"";
    return out;
}

inline std::string format_scalar(const hearth::gguf::value& v, const inspect_options& opt) {
    using hearth::gguf::value_type;
    switch (v.type()) {
    case value_type::string: return quoted(v.as<std::string_view>(), opt.string_chars);
    case value_type::boolean: return v.as<bool>() ? "true" : "false";
    case value_type::f32:
    case value_type::f64: {
        // Shortest text that reads back to the same number: 1e-06, not 9.99999997e-07.
        char buf[64];
        const auto r = v.type() == value_type::f32 ? std::to_chars(buf, buf + sizeof buf, v.as<float>())
                                                   : std::to_chars(buf, buf + sizeof buf, v.as<double>());
        return std::string(buf, r.ptr);
    }
    case value_type::i8: case value_type::i16: case value_type::i32: case value_type::i64:
        return std::to_string(v.as<std::int64_t>());
    default: return std::to_string(v.as<std::uint64_t>());
    }
}

// "[32000 strings: "<unk>", "<s>", "</s>", ...]"; nested arrays recurse.
inline std::string format_value(const hearth::gguf::value& v, const inspect_options& opt) {
    using hearth::gguf::value_type;
    if (!v.is_array()) return format_scalar(v, opt);
    const auto n = v.size();
    const auto elem = v.array_type();
    std::string out = "[" + std::to_string(n) + " " +
                      (elem == value_type::string ? std::string("string")
                       : elem == value_type::array ? std::string("array")
                                                   : std::string(to_string(elem))) +
                      (n == 1 ? "" : "s") + (n ? ": " : "");
    std::size_t shown = 0;
    for (auto e : v) {
        if (shown == opt.array_items) {
            out += ", ...";
            break;
        }
        if (shown) out += ", ";
        out += format_value(e, opt);
        ++shown;
    }
    return out + "]";
}

inline std::string format_shape(const hearth::gguf::tensor_view& t) {
    std::string s;
    for (int d = 0; d < t.n_dims; ++d) {
        if (d) s += " x ";
        s += std::to_string(t.ne[static_cast<std::size_t>(d)]);
    }
    return s;
}

inline std::string human_bytes(std::uint64_t n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.2f %s" : "%.0f %s", v, units[u]);
    return buf;
}

inline void print_inspection(const hearth::gguf::file& f, std::ostream& os, const inspect_options& opt = {}) {
    os << "file:        " << f.source() << "\n"
       << "size:        " << f.bytes().size() << " bytes (" << human_bytes(f.bytes().size()) << ")\n"
       << "GGUF:        version " << f.version() << ", alignment " << f.alignment() << ", data section at byte "
       << f.data_offset() << "\n"
       << "metadata:    " << f.metadata_count() << " keys\n"
       << "tensors:     " << f.tensors().size() << "\n";

    if (opt.metadata && f.metadata_count()) {
        std::size_t key_w = 3;
        for (const auto& e : f.metadata()) key_w = std::max(key_w, e.key.size());
        os << "\nmetadata:\n";
        for (const auto& e : f.metadata()) {
            std::string type(to_string(e.val.type()));
            if (e.val.is_array()) type = "[" + std::string(to_string(e.val.array_type())) + "]";
            os << "  " << e.key << std::string(key_w - e.key.size() + 2, ' ') << type
               << std::string(type.size() < 9 ? 9 - type.size() : 1, ' ') << format_value(e.val, opt) << "\n";
        }
    }

    if (opt.tensors && !f.tensors().empty()) {
        std::size_t name_w = 4, shape_w = 5;
        for (const auto& t : f.tensors()) {
            name_w = std::max(name_w, t.name.size());
            shape_w = std::max(shape_w, format_shape(t).size());
        }
        auto pad = [](std::string s, std::size_t w) { return s.size() < w ? s + std::string(w - s.size(), ' ') : s; };
        auto lpad = [](std::string s, std::size_t w) { return s.size() < w ? std::string(w - s.size(), ' ') + s : s; };
        os << "\ntensors:\n  " << pad("name", name_w) << "  " << pad("dtype", 7) << "  " << pad("shape", shape_w)
           << "  " << lpad("bytes", 12) << "\n";
        struct total { std::size_t count = 0; std::uint64_t bytes = 0; std::uint64_t elements = 0; };
        std::map<std::string, total> per_dtype;
        total all;
        for (const auto& t : f.tensors()) {
            const std::string dt(hearth::name(t.type));
            os << "  " << pad(std::string(t.name), name_w) << "  " << pad(dt, 7) << "  " << pad(format_shape(t), shape_w)
               << "  " << lpad(std::to_string(t.data.size()), 12) << "\n";
            auto& d = per_dtype[dt];
            ++d.count;
            d.bytes += t.data.size();
            d.elements += t.elements();
            ++all.count;
            all.bytes += t.data.size();
            all.elements += t.elements();
        }
        os << "\ntotals per dtype:\n  " << pad("dtype", 7) << "  " << lpad("tensors", 7) << "  " << lpad("elements", 12)
           << "  " << lpad("bytes", 12) << "\n";
        auto row = [&](const std::string& name, const total& t) {
            os << "  " << pad(name, 7) << "  " << lpad(std::to_string(t.count), 7) << "  "
               << lpad(std::to_string(t.elements), 12) << "  " << lpad(std::to_string(t.bytes), 12) << "  ("
               << human_bytes(t.bytes) << ")\n";
        };
        for (const auto& [name, t] : per_dtype) row(name, t);
        row("all", all);
    }
}

}  // namespace inspect_detail

using inspect_detail::inspect_options;
using inspect_detail::print_inspection;

inline void add_inspect_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("inspect", "Show a GGUF file's header, metadata, tensors and per-dtype totals");
    auto path = std::make_shared<std::string>();
    auto opt = std::make_shared<inspect_options>();
    cmd->add_option("model", *path, "GGUF file")->required();
    cmd->add_option("--array-items", opt->array_items, "Array elements shown before '...'")->capture_default_str();
    cmd->add_option("--string-chars", opt->string_chars, "String bytes shown before '...'")->capture_default_str();
    cmd->add_flag("--no-metadata", [opt](std::int64_t) { opt->metadata = false; }, "Skip the metadata listing");
    cmd->add_flag("--no-tensors", [opt](std::int64_t) { opt->tensors = false; }, "Skip the tensor table");
    cmd->callback([path, opt] {
        const auto f = hearth::gguf::file::open(*path);
        print_inspection(f, std::cout, *opt);
    });
}

}  // namespace hearth_cli
