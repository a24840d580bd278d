#pragma once
// gguf::file: a GGUF (v2/v3) file parsed in place. Opening validates every count, length and
// offset against the file's size before it is used, then keeps views into the bytes: metadata
// values (decoded on access) and tensor views (name, dtype, shape, data span). Nothing is copied;
// lookups by key or tensor name go through hash indexes built once at open.
//
// Layout (little-endian): "GGUF" u32 version, u64 n_tensors, u64 n_kv, n_kv x (string key,
// u32 type, value), n_tensors x (string name, u32 n_dims, n_dims x u64 ne, u32 dtype, u64 offset),
// padding to general.alignment (default 32), then the data section; tensor offsets are relative
// to it and multiples of the alignment.
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf/byte_reader.hpp>
#include <hearth/gguf/value.hpp>
#include <hearth/mapped_file.hpp>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace gguf {

inline constexpr std::size_t default_alignment = 32;
inline constexpr int max_dims = 4;
inline constexpr std::string_view alignment_key = "general.alignment";

struct tensor_view {
    std::string_view name;
    hearth::dtype type;
    int n_dims;                       // 1..4
    std::array<std::uint64_t, 4> ne;  // ggml order: ne[0] = row length (contiguous), unused dims = 1
    std::uint64_t offset;             // from the start of the data section
    std::span<const std::byte> data;  // points into the mapping; size = exact byte size
    // The file mapping data lies in, or null for a file parsed from memory; valid while the
    // gguf::file that made this view lives (a backend that copies the bytes may release its pages).
    const mapped_file* mapping = nullptr;

    std::uint64_t elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    std::uint64_t rows() const { return ne[1] * ne[2] * ne[3]; }
    std::size_t row_bytes() const { return hearth::row_bytes(type, static_cast<std::size_t>(ne[0])); }
};

struct metadata_entry {
    std::string_view key;
    gguf::value val;
};

class file {
public:
    // Maps the file and parses it. The mapping lives as long as any copy of the returned file.
    static file open(const std::filesystem::path& path);
    // Parses bytes the caller owns and keeps alive for the file's lifetime (no copy).
    static file parse(std::span<const std::byte> bytes, std::string source = "<memory>");
    // A temporary buffer would die before the views into it: refuse it at compile time.
    static file parse(std::vector<std::byte>&&, std::string = {}) = delete;

    std::uint32_t version() const noexcept { return version_; }
    std::size_t alignment() const noexcept { return alignment_; }
    std::uint64_t data_offset() const noexcept { return data_offset_; }
    std::span<const std::byte> bytes() const noexcept { return bytes_; }
    // The path, or the name given to parse(); used in error messages.
    const std::string& source() const noexcept { return source_; }
    // The mapping behind open() (nullptr for parse()): lets a loader advise the OS on paging.
    const mapped_file* mapping() const noexcept { return map_.get(); }

    // ---- metadata
    bool contains(std::string_view key) const { return kv_index_.count(key) != 0; }
    const value* find(std::string_view key) const {
        auto it = kv_index_.find(key);
        return it == kv_index_.end() ? nullptr : &kvs_[it->second].val;
    }
    const value& at(std::string_view key) const {
        if (const value* v = find(key)) return *v;
        throw error(errc::not_found, source_ + ": metadata key '" + std::string(key) + "' not found");
    }
    template <class T>
    T get(std::string_view key) const { return at(key).as<T>(); }
    template <class T>
    std::optional<T> get_optional(std::string_view key) const {
        if (const value* v = find(key)) return v->as<T>();
        return std::nullopt;
    }
    // T may be std::string_view (views into the mapping), std::string, or any arithmetic type.
    template <class T>
    std::vector<T> get_array(std::string_view key) const { return at(key).to_vector<T>(); }

    std::size_t metadata_count() const noexcept { return kvs_.size(); }
    // (key, value) pairs in file order.
    std::span<const metadata_entry> metadata() const noexcept { return kvs_; }

    // ---- tensors, in file order
    std::span<const tensor_view> tensors() const noexcept { return tensors_; }
    const tensor_view* find_tensor(std::string_view name) const {
        auto it = tensor_index_.find(name);
        return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
    }
    const tensor_view& tensor(std::string_view name) const {
        if (const tensor_view* t = find_tensor(name)) return *t;
        throw error(errc::not_found, source_ + ": tensor '" + std::string(name) + "' not found");
    }

private:
    void parse_header(detail::byte_reader& r, std::uint64_t& n_tensors, std::uint64_t& n_kv);
    void parse_metadata(detail::byte_reader& r, std::uint64_t n_kv);
    void read_alignment();
    void parse_tensor_infos(detail::byte_reader& r, std::uint64_t n_tensors);
    struct pending_tensor {
        std::size_t info_at;  // byte offset of the tensor's info record, for messages
        std::uint64_t nbytes;
    };
    void place_tensor_data(detail::byte_reader& r, const std::vector<pending_tensor>& pending);

    std::shared_ptr<const mapped_file> map_;
    std::span<const std::byte> bytes_;
    std::string source_;
    std::uint32_t version_ = 0;
    std::size_t alignment_ = default_alignment;
    std::uint64_t data_offset_ = 0;
    std::vector<metadata_entry> kvs_;
    std::unordered_map<std::string_view, std::size_t> kv_index_;
    std::vector<tensor_view> tensors_;
    std::unordered_map<std::string_view, std::size_t> tensor_index_;
};

namespace detail {
// The smallest possible encodings, used to reject counts the remaining bytes cannot hold
// before anything proportional to them is allocated or looped over.
inline constexpr std::uint64_t min_kv_bytes = 8 + 4 + 1;                // empty key, type, 1-byte value
inline constexpr std::uint64_t min_tensor_info_bytes = 8 + 4 + 8 + 4 + 8;  // empty name, 1 dim
// Reserving for a checked count is still bounded by the file size, but a tiny hostile file
// should not make us allocate for a count it only claims; growth past this follows real data.
inline constexpr std::uint64_t max_reserve = 1u << 16;

inline std::string hex_bytes(std::span<const std::byte> b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i) s += ' ';
        const auto v = static_cast<unsigned>(b[i]);
        s += digits[v >> 4];
        s += digits[v & 15];
    }
    return s;
}
}  // namespace detail

inline file file::open(const std::filesystem::path& path) {
    auto map = std::make_shared<const mapped_file>(mapped_file::open(path));
    file f = parse(map->bytes(), path.string());
    for (auto& t : f.tensors_) t.mapping = map.get();
    f.map_ = std::move(map);
    return f;
}

inline file file::parse(std::span<const std::byte> bytes, std::string source) {
    file f;
    f.bytes_ = bytes;
    f.source_ = std::move(source);
    detail::byte_reader r(bytes, f.source_);
    std::uint64_t n_tensors = 0, n_kv = 0;
    f.parse_header(r, n_tensors, n_kv);
    f.parse_metadata(r, n_kv);
    f.read_alignment();
    f.parse_tensor_infos(r, n_tensors);
    return f;
}

inline void file::parse_header(detail::byte_reader& r, std::uint64_t& n_tensors, std::uint64_t& n_kv) {
    if (bytes_.size() < 4)
        r.fail(errc::truncated, 0, "file is " + std::to_string(bytes_.size()) +
                                       " bytes, too short for the 4-byte GGUF magic");
    static constexpr unsigned char magic[4] = {'G', 'G', 'U', 'F'};
    auto head = r.take(4, "magic");
    for (std::size_t i = 0; i < 4; ++i)
        if (static_cast<unsigned char>(head[i]) != magic[i])
            r.fail(errc::bad_format, 0, "not a GGUF file: expected magic 'GGUF' (47 47 55 46), found " +
                                            detail::hex_bytes(head));
    const std::size_t at = r.pos();
    version_ = r.read<std::uint32_t>("version");
    if (version_ != 2 && version_ != 3) {
        const std::uint32_t swapped = ((version_ & 0xffu) << 24) | ((version_ & 0xff00u) << 8) |
                                      ((version_ >> 8) & 0xff00u) | (version_ >> 24);
        if (swapped == 2 || swapped == 3)
            r.fail(errc::unsupported, at, "big-endian GGUF (version " + std::to_string(swapped) +
                                              " byte-swapped) is not supported");
        r.fail(errc::unsupported, at, "GGUF version " + std::to_string(version_) +
                                          " is not supported (expected 2 or 3)");
    }
    n_tensors = r.read<std::uint64_t>("tensor count");
    n_kv = r.read<std::uint64_t>("metadata count");
    // Division instead of multiplication: no overflow whatever the counts claim.
    if (n_kv > r.remaining() / detail::min_kv_bytes)
        r.fail(errc::truncated, 16, "header claims " + std::to_string(n_kv) +
                                        " metadata entries, but the " + std::to_string(r.remaining()) +
                                        " bytes after the header can hold at most " +
                                        std::to_string(r.remaining() / detail::min_kv_bytes));
    const std::uint64_t left = r.remaining() - n_kv * detail::min_kv_bytes;
    if (n_tensors > left / detail::min_tensor_info_bytes)
        r.fail(errc::truncated, 8, "header claims " + std::to_string(n_tensors) + " tensors, but the " +
                                       std::to_string(left) + " bytes left after " + std::to_string(n_kv) +
                                       " metadata entries can hold at most " +
                                       std::to_string(left / detail::min_tensor_info_bytes) + " tensor infos");
}

inline void file::parse_metadata(detail::byte_reader& r, std::uint64_t n_kv) {
    kvs_.reserve(static_cast<std::size_t>(std::min(n_kv, detail::max_reserve)));
    kv_index_.reserve(static_cast<std::size_t>(std::min(n_kv, detail::max_reserve)));
    for (std::uint64_t i = 0; i < n_kv; ++i) {
        const std::size_t at = r.pos();
        r.set_context({});
        const auto key = r.read_string("metadata key");
        const std::string ctx = "key '" + std::string(key) + "'";
        r.set_context(ctx);
        const auto type = detail::read_value_type(r, "value type");
        auto v = detail::parse_value(r, type, key, value::no_index, 0);
        r.set_context({});
        if (!kv_index_.emplace(key, kvs_.size()).second)
            r.fail(errc::bad_format, at, "duplicate metadata key '" + std::string(key) + "' (entry " +
                                             std::to_string(i) + ")");
        kvs_.push_back({key, v});
    }
}

inline void file::read_alignment() {
    const value* v = find(alignment_key);
    if (!v) return;
    const std::size_t at = static_cast<std::size_t>(v->raw().data() - bytes_.data());
    const std::string where = source_ + ", byte offset " + std::to_string(at) + " (key '" +
                              std::string(alignment_key) + "')";
    if (v->type() != value_type::u32)
        throw error(errc::bad_format, where + ": expected type u32, found " + std::string(to_string(v->type())));
    const auto a = v->as<std::uint32_t>();
    if (a == 0 || (a & (a - 1)) != 0)
        throw error(errc::bad_format, where + ": alignment must be a nonzero power of two, found " +
                                          std::to_string(a));
    alignment_ = a;
}

inline void file::parse_tensor_infos(detail::byte_reader& r, std::uint64_t n_tensors) {
    std::vector<pending_tensor> pending;
    pending.reserve(static_cast<std::size_t>(std::min(n_tensors, detail::max_reserve)));
    tensors_.reserve(static_cast<std::size_t>(std::min(n_tensors, detail::max_reserve)));
    tensor_index_.reserve(static_cast<std::size_t>(std::min(n_tensors, detail::max_reserve)));
    constexpr auto max_i64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    for (std::uint64_t i = 0; i < n_tensors; ++i) {
        const std::size_t at = r.pos();
        r.set_context({});
        const auto name = r.read_string("tensor name");
        const std::string ctx = "tensor '" + std::string(name) + "'";
        r.set_context(ctx);
        tensor_view t{};
        t.name = name;
        const std::size_t dims_at = r.pos();
        const auto n_dims = r.read<std::uint32_t>("n_dims");
        if (n_dims < 1 || n_dims > max_dims)
            r.fail(errc::bad_format, dims_at, "n_dims must be 1..4, found " + std::to_string(n_dims));
        t.n_dims = static_cast<int>(n_dims);
        t.ne = {1, 1, 1, 1};
        std::uint64_t elements = 1;
        for (std::uint32_t d = 0; d < n_dims; ++d) {
            const std::size_t ne_at = r.pos();
            t.ne[d] = r.read<std::uint64_t>("dimension");
            if (t.ne[d] > max_i64)
                r.fail(errc::bad_format, ne_at, "dimension " + std::to_string(d) + " is " +
                                                    std::to_string(t.ne[d]) + ", larger than INT64_MAX");
            if (t.ne[d] != 0 && elements > max_i64 / t.ne[d])
                r.fail(errc::bad_format, ne_at, "the element count overflows 64 bits (shape " +
                                                    std::to_string(t.ne[0]) + " x ... x " +
                                                    std::to_string(t.ne[d]) + ")");
            elements *= t.ne[d];
        }
        const std::size_t type_at = r.pos();
        const auto type_id = r.read<std::uint32_t>("dtype");
        const auto tr = find_dtype(type_id);
        if (!tr) r.fail(errc::unsupported, type_at, "unknown dtype id " + std::to_string(type_id));
        t.type = tr->type;
        if (t.ne[0] % tr->block_elems != 0)
            r.fail(errc::bad_format, dims_at, std::string(tr->name) + " rows must hold a multiple of " +
                                                  std::to_string(tr->block_elems) + " elements, found ne[0] = " +
                                                  std::to_string(t.ne[0]));
        const std::size_t off_at = r.pos();
        t.offset = r.read<std::uint64_t>("data offset");
        if (t.offset % alignment_ != 0)
            r.fail(errc::bad_format, off_at, "data offset " + std::to_string(t.offset) +
                                                 " is not a multiple of the alignment " + std::to_string(alignment_));
        // Byte size: blocks * block_bytes. blocks <= elements <= INT64_MAX; check the multiply.
        const std::uint64_t blocks = elements / tr->block_elems;
        if (blocks > std::numeric_limits<std::uint64_t>::max() / tr->block_bytes)
            r.fail(errc::bad_format, dims_at, "the byte size overflows 64 bits");
        const std::uint64_t nbytes = blocks * tr->block_bytes;
        if (nbytes > bytes_.size())
            r.fail(errc::truncated, dims_at, "needs " + std::to_string(nbytes) + " bytes of data, which runs past the end of the file (" +
                                                 std::to_string(bytes_.size()) + " bytes in all)");
        if (!tensor_index_.emplace(name, tensors_.size()).second)
            r.fail(errc::bad_format, at, "duplicate tensor name '" + std::string(name) + "' (tensor " +
                                             std::to_string(i) + ")");
        pending.push_back({at, nbytes});
        tensors_.push_back(t);
    }
    r.set_context({});
    place_tensor_data(r, pending);
}

// The data section starts at the first alignment boundary after the tensor infos. Every tensor
// must lie wholly inside the file; only then does its span point into the bytes.
inline void file::place_tensor_data(detail::byte_reader& r, const std::vector<pending_tensor>& pending) {
    const std::uint64_t end_of_infos = r.pos();
    const std::uint64_t pad = (alignment_ - end_of_infos % alignment_) % alignment_;
    data_offset_ = end_of_infos + pad;  // end_of_infos <= file size, alignment < 2^32: no overflow
    const std::uint64_t size = bytes_.size();
    const std::uint64_t data_bytes = data_offset_ <= size ? size - data_offset_ : 0;
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
        auto& t = tensors_[i];
        const auto n = pending[i].nbytes;
        if (n == 0) {
            t.data = {};
            continue;
        }
        if (data_offset_ > size || t.offset > data_bytes || n > data_bytes - t.offset) {
            const std::string ctx = "tensor '" + std::string(t.name) + "'";
            r.set_context(ctx);
            const std::string msg = "data [" + std::to_string(t.offset) + ", " + std::to_string(t.offset) + " + " +
                                    std::to_string(n) + ") of the data section at byte " +
                                    std::to_string(data_offset_) + " runs past the end of the file (" +
                                    std::to_string(data_bytes) + " data bytes present)";
            r.fail(errc::truncated, pending[i].info_at, msg);
        }
        t.data = bytes_.subspan(static_cast<std::size_t>(data_offset_ + t.offset), static_cast<std::size_t>(n));
    }
}

}  // namespace gguf
HEARTH_NAMESPACE_END
