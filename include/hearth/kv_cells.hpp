#pragma once
// Bookkeeping of a KV cache's cells, independent of where the K/V bytes live: which position and
// sequence each cell holds. Several sequences share one cache; a sequence can be truncated or
// cleared and its cells reused.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN

class kv_cells {
public:
    explicit kv_cells(std::uint32_t n_cells) : pos_(n_cells, -1), seq_(n_cells, -1) {}

    std::uint32_t size() const { return static_cast<std::uint32_t>(pos_.size()); }
    std::uint32_t used() const { return used_; }  // cells at or past this index are free
    std::uint32_t free_count() const {
        return static_cast<std::uint32_t>(std::count(seq_.begin(), seq_.end(), -1));
    }
    const std::vector<std::int32_t>& positions() const { return pos_; }
    const std::vector<std::int32_t>& sequences() const { return seq_; }

    // Claims one cell per position for `seq`, lowest free cells first. All or nothing.
    std::vector<std::uint32_t> allocate(std::int32_t seq, const std::vector<std::int32_t>& positions) {
        if (positions.size() > free_count())
            throw error(errc::out_of_range,
                        "the KV cache has " + std::to_string(free_count()) + " free cells of " +
                            std::to_string(size()) + " but the batch needs " +
                            std::to_string(positions.size()) + ": raise the context size");
        std::vector<std::uint32_t> slots;
        slots.reserve(positions.size());
        for (std::uint32_t c = 0; c < size() && slots.size() < positions.size(); ++c) {
            if (seq_[c] != -1) continue;
            seq_[c] = seq;
            pos_[c] = positions[slots.size()];
            slots.push_back(c);
            used_ = std::max(used_, c + 1);
        }
        return slots;
    }

    // Frees the cells of `seq` holding positions >= from_pos (from_pos = 0 clears it).
    void truncate(std::int32_t seq, std::int32_t from_pos) {
        for (std::uint32_t c = 0; c < size(); ++c)
            if (seq_[c] == seq && pos_[c] >= from_pos) seq_[c] = pos_[c] = -1;
        while (used_ > 0 && seq_[used_ - 1] == -1) --used_;
    }
    void clear(std::int32_t seq) { truncate(seq, 0); }
    void clear_all() {
        std::fill(pos_.begin(), pos_.end(), -1);
        std::fill(seq_.begin(), seq_.end(), -1);
        used_ = 0;
    }
    // Number of positions `seq` holds (its next position when it was filled from 0 in order).
    std::int32_t next_position(std::int32_t seq) const {
        std::int32_t next = 0;
        for (std::uint32_t c = 0; c < used_; ++c)
            if (seq_[c] == seq) next = std::max(next, pos_[c] + 1);
        return next;
    }

private:
    std::vector<std::int32_t> pos_;
    std::vector<std::int32_t> seq_;
    std::uint32_t used_ = 0;
};

HEARTH_NAMESPACE_END
