#pragma once
// gguf::writer: builds a GGUF v3 file (metadata of every type, tensors of any dtype) the way
// llama.cpp's own writers lay it out: metadata in insertion order, tensor infos in insertion
// order, each tensor's data at the next multiple of general.alignment (default 32) and padded
// to it. Used for test corpora, converted models and anything else that must load in llama.cpp.
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf/file.hpp>
#include <hearth/gguf/value.hpp>
#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace gguf {

namespace detail {
// resize + memcpy rather than vector::insert of a range: GCC 12 reports false
// -Wstringop-overflow warnings for the latter when it is inlined into callers' code.
inline void append_bytes(std::vector<std::byte>& out, const void* p, std::size_t n) {
    if (n == 0) return;
    const std::size_t at = out.size();
    if (n > out.max_size() - at) throw std::length_error("gguf::writer: output too large");
    out.resize(at + n);
    std::memcpy(out.data() + at, p, n);
}
inline void append_bytes(std::vector<std::byte>& out, std::span<const std::byte> b) {
    append_bytes(out, b.data(), b.size());
}
template <class T>
inline void append_le(std::vector<std::byte>& out, T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::byte b[sizeof(T)];
    std::memcpy(b, &v, sizeof v);
    if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) std::reverse(b, b + sizeof(T));
    append_bytes(out, b, sizeof b);
}
inline void append_string(std::vector<std::byte>& out, std::string_view s) {
    append_le<std::uint64_t>(out, s.size());
    append_bytes(out, s.data(), s.size());
}
template <class T>
inline constexpr bool is_scalar_value = value_type_of<T>().has_value();
}  // namespace detail

// A metadata value owned by the writer, already in its GGUF encoding (without the type tag).
// Build one with encoded_value::of(x) for scalars, strings and vectors/spans of them (or a
// gguf::value read from another file, copied as is), or encoded_value::array(elements) for
// arrays of arrays.
class encoded_value {
public:
    value_type type() const noexcept { return type_; }
    value_type array_type() const noexcept { return elem_type_; }
    std::span<const std::byte> payload() const noexcept { return payload_; }

    template <class T>
    static encoded_value of(const T& x) {
        encoded_value v;
        if constexpr (std::is_same_v<T, encoded_value>) {
            return x;
        } else if constexpr (std::is_same_v<T, value>) {
            // A value read from another file: its payload bytes are already in GGUF encoding.
            v.type_ = x.type();
            if (x.is_array()) {
                v.elem_type_ = x.array_type();
                detail::append_le<std::uint32_t>(v.payload_, static_cast<std::uint32_t>(v.elem_type_));
                detail::append_le<std::uint64_t>(v.payload_, x.size());
            } else if (x.type() == value_type::string) {
                detail::append_le<std::uint64_t>(v.payload_, x.raw().size());
            }
            detail::append_bytes(v.payload_, x.raw());
        } else if constexpr (detail::is_scalar_value<T>) {
            v.type_ = *value_type_of<T>();
            if constexpr (std::is_arithmetic_v<T>) {
                if constexpr (std::is_same_v<T, bool>) detail::append_le<std::uint8_t>(v.payload_, x ? 1 : 0);
                else detail::append_le<T>(v.payload_, x);
            } else {
                detail::append_string(v.payload_, std::string_view(x));
            }
        } else if constexpr (requires { std::span(x); }) {
            using E = std::remove_cv_t<typename decltype(std::span(x))::element_type>;
            if constexpr (std::is_same_v<E, encoded_value>) {
                return array(std::span<const encoded_value>(x));
            } else {
                static_assert(detail::is_scalar_value<E>, "gguf array elements must be numbers, bools or strings");
                v.type_ = value_type::array;
                v.elem_type_ = *value_type_of<E>();
                detail::append_le<std::uint32_t>(v.payload_, static_cast<std::uint32_t>(v.elem_type_));
                detail::append_le<std::uint64_t>(v.payload_, std::span(x).size());
                for (const auto& e : x) {
                    auto ev = of(e);
                    detail::append_bytes(v.payload_, ev.payload_);
                }
            }
        } else {
            static_assert(detail::is_scalar_value<T>, "unsupported gguf metadata type");
        }
        return v;
    }

    // An array whose elements are themselves encoded values (all of one type; may be arrays).
    static encoded_value array(std::span<const encoded_value> elements) {
        encoded_value v;
        v.type_ = value_type::array;
        v.elem_type_ = elements.empty() ? value_type::u8 : elements.front().type();
        for (const auto& e : elements)
            if (e.type() != v.elem_type_)
                throw error(errc::invalid_argument, "gguf array elements must share one type: found " +
                                                        std::string(to_string(v.elem_type_)) + " and " +
                                                        std::string(to_string(e.type())));
        detail::append_le<std::uint32_t>(v.payload_, static_cast<std::uint32_t>(v.elem_type_));
        detail::append_le<std::uint64_t>(v.payload_, elements.size());
        for (const auto& e : elements) detail::append_bytes(v.payload_, e.payload_);
        return v;
    }
    static encoded_value array(std::initializer_list<encoded_value> elements) {
        return array(std::span<const encoded_value>(elements.begin(), elements.size()));
    }

private:
    value_type type_ = value_type::u8;
    value_type elem_type_ = value_type::u8;
    std::vector<std::byte> payload_;
};

class writer {
public:
    // Sets (or replaces, keeping its position) a metadata value. Note: arrays of arrays are valid
    // GGUF (gguf-py reads and writes them) but ggml's C loader refuses them ("invalid GGUF type
    // 9"), so a file meant for llama.cpp should not use them. The GGUF type follows the C++
    // type exactly: std::uint32_t -> u32, float -> f32, bool -> bool, std::string -> string,
    // std::vector<std::int32_t> -> array of i32, std::vector<std::string> -> array of strings,
    // encoded_value::array({...}) -> array of arrays.
    template <class T>
    void set(std::string_view key, const T& v) { set_encoded(key, encoded_value::of(v)); }
    void set(std::string_view key, const char* s) { set_encoded(key, encoded_value::of(std::string_view(s))); }
    void set(std::string_view key, std::initializer_list<std::string_view> strings) {
        set_encoded(key, encoded_value::of(std::span<const std::string_view>(strings.begin(), strings.size())));
    }
    void set_alignment(std::uint32_t a) { set(alignment_key, a); }

    void remove(std::string_view key) {
        auto it = index_.find(std::string(key));
        if (it == index_.end()) return;
        kvs_.erase(kvs_.begin() + static_cast<std::ptrdiff_t>(it->second));
        index_.clear();
        for (std::size_t i = 0; i < kvs_.size(); ++i) index_[kvs_[i].key] = i;
    }

    // Adds a tensor. shape is in ggml order (shape[0] = row length). The bytes are NOT copied:
    // they must stay alive until write()/write_to() returns.
    void add_tensor(std::string_view name, dtype type, std::span<const std::uint64_t> shape,
                    std::span<const std::byte> data) {
        const auto& tr = traits(type);
        const std::string n(name);
        if (shape.empty() || shape.size() > static_cast<std::size_t>(max_dims))
            throw error(errc::invalid_argument, "tensor '" + n + "': shape must have 1..4 dimensions, got " +
                                                    std::to_string(shape.size()));
        if (tensor_names_.count(n))
            throw error(errc::invalid_argument, "tensor '" + n + "' added twice");
        pending_tensor t{n, type, static_cast<int>(shape.size()), {1, 1, 1, 1}, data};
        std::uint64_t elements = 1;
        for (std::size_t d = 0; d < shape.size(); ++d) {
            t.ne[d] = shape[d];
            if (shape[d] != 0 && elements > (std::uint64_t{1} << 62) / shape[d])
                throw error(errc::invalid_argument, "tensor '" + n + "': element count overflows");
            elements *= shape[d];
        }
        if (t.ne[0] % tr.block_elems != 0)
            throw error(errc::invalid_argument, "tensor '" + n + "': " + std::string(tr.name) +
                                                    " rows must hold a multiple of " + std::to_string(tr.block_elems) +
                                                    " elements, got " + std::to_string(t.ne[0]));
        const std::uint64_t nbytes = elements / tr.block_elems * tr.block_bytes;
        if (nbytes != data.size())
            throw error(errc::invalid_argument, "tensor '" + n + "': shape and dtype need " + std::to_string(nbytes) +
                                                    " bytes, got " + std::to_string(data.size()));
        tensor_names_.emplace(n, tensors_.size());
        tensors_.push_back(std::move(t));
    }
    void add_tensor(std::string_view name, dtype type, std::initializer_list<std::uint64_t> shape,
                    std::span<const std::byte> data) {
        add_tensor(name, type, std::span<const std::uint64_t>(shape.begin(), shape.size()), data);
    }

    std::size_t alignment() const {
        auto it = index_.find(std::string(alignment_key));
        if (it == index_.end()) return default_alignment;
        const auto& v = kvs_[it->second].val;
        if (v.type() != value_type::u32)
            throw error(errc::invalid_argument, "general.alignment must be a u32, got " +
                                                    std::string(to_string(v.type())));
        const auto a = detail::load_le<std::uint32_t>(v.payload().data());
        if (a == 0 || (a & (a - 1)) != 0)
            throw error(errc::invalid_argument, "general.alignment must be a nonzero power of two, got " +
                                                    std::to_string(a));
        return a;
    }

    // The whole file into `out` (replacing its contents).
    void write_to(std::vector<std::byte>& out) const {
        out.clear();
        const std::size_t align = alignment();
        write_head(out, align);
        for (const auto& t : tensors_) {
            detail::append_bytes(out, t.data);
            out.resize(round_up(out.size(), align), std::byte{0});
        }
    }

    // Streams the file to `path`: metadata is built in memory, tensor data is written straight
    // from the caller's spans (a model-sized file is never held twice).
    void write(const std::filesystem::path& path) const {
        const std::size_t align = alignment();
        std::vector<std::byte> head;
        write_head(head, align);
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.string().c_str(), "wb"), &std::fclose);
        if (!f) throw error(errc::io, "cannot create '" + path.string() + "': " + std::strerror(errno));
        auto put = [&](const void* p, std::size_t n) {
            if (n && std::fwrite(p, 1, n, f.get()) != n)
                throw error(errc::io, "cannot write '" + path.string() + "': " + std::strerror(errno));
        };
        put(head.data(), head.size());
        std::uint64_t pos = head.size();
        static constexpr std::byte zeros[256]{};
        for (const auto& t : tensors_) {
            put(t.data.data(), t.data.size());
            pos += t.data.size();
            for (std::uint64_t pad = round_up(pos, align) - pos; pad;) {
                const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(pad, sizeof zeros));
                put(zeros, n);
                pad -= n;
                pos += n;
            }
        }
        if (std::fclose(f.release()) != 0)
            throw error(errc::io, "cannot write '" + path.string() + "': " + std::strerror(errno));
    }

private:
    struct kv {
        std::string key;
        encoded_value val;
    };
    struct pending_tensor {
        std::string name;
        dtype type;
        int n_dims;
        std::array<std::uint64_t, 4> ne;
        std::span<const std::byte> data;
    };

    static std::uint64_t round_up(std::uint64_t n, std::uint64_t a) { return (n + a - 1) / a * a; }

    void set_encoded(std::string_view key, encoded_value v) {
        auto it = index_.find(std::string(key));
        if (it != index_.end()) {
            kvs_[it->second].val = std::move(v);
            return;
        }
        index_.emplace(std::string(key), kvs_.size());
        kvs_.push_back({std::string(key), std::move(v)});
    }

    // Header, metadata, tensor infos and the padding up to the data section.
    void write_head(std::vector<std::byte>& out, std::size_t align) const {
        static constexpr unsigned char magic[4] = {'G', 'G', 'U', 'F'};
        for (auto c : magic) out.push_back(static_cast<std::byte>(c));
        detail::append_le<std::uint32_t>(out, 3);
        detail::append_le<std::uint64_t>(out, tensors_.size());
        detail::append_le<std::uint64_t>(out, kvs_.size());
        for (const auto& e : kvs_) {
            detail::append_string(out, e.key);
            detail::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(e.val.type()));
            detail::append_bytes(out, e.val.payload());
        }
        std::uint64_t offset = 0;
        for (const auto& t : tensors_) {
            detail::append_string(out, t.name);
            detail::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(t.n_dims));
            for (int d = 0; d < t.n_dims; ++d) detail::append_le<std::uint64_t>(out, t.ne[static_cast<std::size_t>(d)]);
            detail::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(t.type));
            detail::append_le<std::uint64_t>(out, offset);
            offset = round_up(offset + t.data.size(), align);
        }
        // Like llama.cpp's writers: a file without tensors ends right after its metadata.
        if (!tensors_.empty()) out.resize(round_up(out.size(), align), std::byte{0});
    }

    std::vector<kv> kvs_;
    std::unordered_map<std::string, std::size_t> index_;
    std::vector<pending_tensor> tensors_;
    std::unordered_map<std::string, std::size_t> tensor_names_;
};

}  // namespace gguf
HEARTH_NAMESPACE_END
