// The CPU attention op against a double-precision reference computed from the same cache
// contents: the stored K/V rows are dequantized and the query rounded to the key dot format
// exactly as the op stores and converts them, so what remains is the op's own arithmetic (score
// tiles, online softmax, value accumulation), held to float accuracy. Covers grouped heads (the
// group served together or split between threads), several sequences in one cache, the causal
// and sliding-window masks, soft-capping, cells past a tile boundary, prefill and decode.
#include "cpu_test_support.hpp"
#include <hearth/cpu/attention.hpp>
#include <hearth/cpu/backend.hpp>
#include <hearth/quant.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace hc = hearth::cpu;
using hearth::dtype;

namespace {

struct attention_case {
    dtype k_type, v_type;
    std::uint32_t n_head, n_head_kv, head_dim;
    std::uint32_t n_past;    // cells already filled (sequence 0), before the batch
    std::uint32_t n_tokens;  // the batch (sequence 0 unless two_seqs)
    bool two_seqs = false;   // every other past cell belongs to sequence 1
    std::uint32_t window = 0;
    float softcap = 0.0f;
    unsigned threads = 2;
};

hc::host_tensor make_tensor(std::size_t rows, std::size_t cols, std::uint32_t seed) {
    hc::host_tensor t;
    t.storage = std::shared_ptr<float[]>(new float[rows * cols]);
    t.data = t.storage.get();
    t.n_rows = rows, t.n_cols = cols, t.stride = cols;
    const auto v = cpu_test::random_floats(rows * cols, seed, -1.5f, 1.5f);
    std::copy(v.begin(), v.end(), t.data);
    return t;
}

std::vector<float> dequantized(dtype t, const std::byte* row, std::size_t n) {
    std::vector<float> out(n);
    hearth::quant::dequantize_row(t, row, out.data(), n);
    return out;
}

void check_attention(const attention_case& tc) {
    INFO("k " << hearth::name(tc.k_type) << " v " << hearth::name(tc.v_type) << " heads " << tc.n_head << "/"
              << tc.n_head_kv << " dim " << tc.head_dim << " past " << tc.n_past << " tokens " << tc.n_tokens
              << " window " << tc.window << " softcap " << tc.softcap << " threads " << tc.threads);
    const std::uint32_t n_cells = tc.n_past + tc.n_tokens + 3;
    const std::uint32_t hd = tc.head_dim, kvw = tc.n_head_kv * hd;
    hc::kv_storage kv(tc.k_type, tc.v_type, n_cells, tc.n_head_kv, hd, hd);
    std::vector<std::int32_t> cell_pos(n_cells, -1), cell_seq(n_cells, -1);
    // Past cells: rows written straight into the cache, positions 0.. per sequence.
    const auto past_k = cpu_test::random_floats(std::size_t{tc.n_past} * kvw, 11, -1.5f, 1.5f);
    const auto past_v = cpu_test::random_floats(std::size_t{tc.n_past} * kvw, 12, -1.5f, 1.5f);
    std::int32_t next_pos[2] = {0, 0};
    for (std::uint32_t c = 0; c < tc.n_past; ++c) {
        const int s = tc.two_seqs ? static_cast<int>(c % 2) : 0;
        cell_seq[c] = s;
        cell_pos[c] = next_pos[s]++;
        hearth::quant::quantize_row(tc.k_type, past_k.data() + c * kvw, kv.k.data() + c * kv.k_row_bytes, kvw);
        hearth::quant::quantize_row(tc.v_type, past_v.data() + c * kvw, kv.v.data() + c * kv.v_row_bytes, kvw);
    }
    // The batch: sequence 0, stored by the op in the cells after the past (one free cell between).
    std::vector<std::int32_t> positions(tc.n_tokens), seq_ids(tc.n_tokens, 0);
    std::vector<std::uint32_t> slots(tc.n_tokens);
    for (std::uint32_t i = 0; i < tc.n_tokens; ++i) {
        slots[i] = tc.n_past + 1 + i;
        positions[i] = next_pos[0]++;
        cell_pos[slots[i]] = positions[i];
        cell_seq[slots[i]] = 0;
    }
    const auto q = make_tensor(tc.n_tokens, std::size_t{tc.n_head} * hd, 21);
    const auto k = make_tensor(tc.n_tokens, kvw, 22);
    const auto v = make_tensor(tc.n_tokens, kvw, 23);
    auto out = make_tensor(tc.n_tokens, std::size_t{tc.n_head} * hd, 24);
    const hearth::attention_batch batch{positions, seq_ids, slots, cell_pos, cell_seq, n_cells - 1};
    hearth::attention_params ap;
    ap.kq_scale = 1.0f / std::sqrt(static_cast<float>(hd));
    ap.softcap = tc.softcap;
    ap.window = tc.window;
    ap.n_head = tc.n_head, ap.n_head_kv = tc.n_head_kv, ap.head_dim_k = hd, ap.head_dim_v = hd;

    hc::thread_pool pool(tc.threads);
    std::vector<hc::attention_scratch> scratch;
    hc::attention<cpu_test::arch>(pool, scratch, kv, q, k, v, batch, ap, out);

    // Reference, in double over what the cache holds.
    const dtype qt = hearth::quant::activation_type(tc.k_type);
    std::vector<std::byte> qbuf(hearth::row_bytes(qt, hd));
    const std::uint32_t group = tc.n_head / tc.n_head_kv;
    double worst = 0.0;
    for (std::uint32_t i = 0; i < tc.n_tokens; ++i) {
        for (std::uint32_t h = 0; h < tc.n_head; ++h) {
            const std::uint32_t kvh = h / group;
            hc::scalar_detail::ref_quantize_activation(qt, q.row(i) + h * hd, qbuf.data(), hd,
                                                       hc::activation_rounding<cpu_test::arch>);
            const auto qv = dequantized(qt, qbuf.data(), hd);
            std::vector<double> scores;
            std::vector<std::vector<float>> values;
            for (std::uint32_t c = 0; c < batch.n_cells_used; ++c) {
                if (cell_seq[c] != 0 || cell_pos[c] > positions[i]) continue;
                if (tc.window && positions[i] - cell_pos[c] >= static_cast<std::int32_t>(tc.window)) continue;
                const auto kr = dequantized(tc.k_type, kv.k.data() + c * kv.k_row_bytes + kvh * kv.k_head_bytes, hd);
                double s = 0.0;
                for (std::uint32_t d = 0; d < hd; ++d) s += double(kr[d]) * double(qv[d]);
                s *= ap.kq_scale;
                if (tc.softcap > 0.0f) s = tc.softcap * std::tanh(s / tc.softcap);
                scores.push_back(s);
                values.push_back(dequantized(tc.v_type, kv.v.data() + c * kv.v_row_bytes + kvh * kv.v_head_bytes, hd));
            }
            REQUIRE(!scores.empty());
            const double mx = *std::max_element(scores.begin(), scores.end());
            double sum = 0.0;
            for (auto& s : scores) sum += (s = std::exp(s - mx));
            for (std::uint32_t d = 0; d < hd; ++d) {
                double o = 0.0;
                for (std::size_t c = 0; c < scores.size(); ++c) o += scores[c] * values[c][d];
                o /= sum;
                const double got = out.row(i)[h * hd + d];
                worst = std::max(worst, std::fabs(got - o));
                INFO("token " << i << " head " << h << " dim " << d << ": got " << got << " want " << o);
                // Values are within +-1.5; float accumulation over a few hundred cells.
                REQUIRE(std::fabs(got - o) <= 2e-5 * 1.5 + 1e-6);
            }
        }
    }
}

}  // namespace

TEST_CASE("attention: against a double-precision reference over the cache contents", "[cpu][attention]") {
    const bool small = cpu_test::small_sizes();
    const std::uint32_t past = small ? 70 : 150;  // past a 64-cell tile boundary either way
    for (auto [kt, vt] : {std::pair{dtype::f16, dtype::f16}, std::pair{dtype::q4_0, dtype::q8_0},
                          std::pair{dtype::q8_0, dtype::q8_0}, std::pair{dtype::f32, dtype::f32}}) {
        // Decode: one token; GQA groups of 3 (not halved), 4 (split when threads outnumber the
        // KV heads), 1 (plain multi-head).
        check_attention({kt, vt, 9, 3, 64, past, 1});
        check_attention({kt, vt, 8, 2, 64, past, 1});
        check_attention({kt, vt, 4, 1, 64, past, 1, false, 0, 0.0f, 3});
        check_attention({kt, vt, 4, 4, 32, past, 1});
        // Prefill after a past: causal mask inside the batch.
        check_attention({kt, vt, 8, 2, 64, past, small ? 5u : 17u});
        // Another sequence's cells interleaved, a sliding window, soft-capping.
        check_attention({kt, vt, 8, 2, 64, past, 3, true});
        check_attention({kt, vt, 4, 2, 64, past, 4, false, 40});
        check_attention({kt, vt, 4, 2, 64, past, 2, false, 0, 30.0f, 1});
    }
}

namespace {

// Outputs of the op for a prompt of n_tokens after 70 past cells (two sequences interleaved when
// two_seqs), run as one batch or one token per call, with `threads` threads.
std::vector<float> attention_outputs(dtype kt, dtype vt, std::uint32_t n_tokens, bool two_seqs, bool per_token,
                                     unsigned threads) {
    const std::uint32_t n_head = 8, n_head_kv = 2, hd = 64, kvw = n_head_kv * hd, n_past = 70;
    const std::uint32_t n_cells = n_past + n_tokens;
    hc::kv_storage kv(kt, vt, n_cells, n_head_kv, hd, hd);
    std::vector<std::int32_t> cell_pos(n_cells, -1), cell_seq(n_cells, -1);
    const auto past_k = cpu_test::random_floats(std::size_t{n_past} * kvw, 31, -1.5f, 1.5f);
    const auto past_v = cpu_test::random_floats(std::size_t{n_past} * kvw, 32, -1.5f, 1.5f);
    std::int32_t next_pos[2] = {0, 0};
    for (std::uint32_t c = 0; c < n_past; ++c) {
        const int s = two_seqs ? static_cast<int>(c % 2) : 0;
        cell_seq[c] = s, cell_pos[c] = next_pos[s]++;
        hearth::quant::quantize_row(kt, past_k.data() + c * kvw, kv.k.data() + c * kv.k_row_bytes, kvw);
        hearth::quant::quantize_row(vt, past_v.data() + c * kvw, kv.v.data() + c * kv.v_row_bytes, kvw);
    }
    // Prompt tokens alternate between the sequences when there are two.
    std::vector<std::int32_t> positions(n_tokens), seq_ids(n_tokens);
    std::vector<std::uint32_t> slots(n_tokens);
    for (std::uint32_t i = 0; i < n_tokens; ++i) {
        seq_ids[i] = two_seqs ? static_cast<std::int32_t>(i % 2) : 0;
        slots[i] = n_past + i, positions[i] = next_pos[seq_ids[i]]++;
        cell_pos[slots[i]] = positions[i], cell_seq[slots[i]] = seq_ids[i];
    }
    const auto q = make_tensor(n_tokens, std::size_t{n_head} * hd, 41);
    const auto k = make_tensor(n_tokens, kvw, 42);
    const auto v = make_tensor(n_tokens, kvw, 43);
    auto out = make_tensor(n_tokens, std::size_t{n_head} * hd, 44);
    hearth::attention_params ap;
    ap.kq_scale = 0.125f;
    ap.n_head = n_head, ap.n_head_kv = n_head_kv, ap.head_dim_k = hd, ap.head_dim_v = hd;
    hc::thread_pool pool(threads);
    std::vector<hc::attention_scratch> scratch;
    const std::size_t step = per_token ? 1 : n_tokens;
    for (std::size_t i0 = 0; i0 < n_tokens; i0 += step) {
        auto rows = [&](const hc::host_tensor& t) {
            hc::host_tensor r = t;
            r.data = t.data + i0 * t.stride, r.n_rows = step;
            return r;
        };
        const auto qs = rows(q), ks = rows(k), vs = rows(v);
        auto os = rows(out);
        const hearth::attention_batch batch{std::span(positions).subspan(i0, step), std::span(seq_ids).subspan(i0, step),
                                            std::span(slots).subspan(i0, step), cell_pos, cell_seq, n_cells};
        hc::attention<cpu_test::arch>(pool, scratch, kv, qs, ks, vs, batch, ap, os);
    }
    return {out.data, out.data + std::size_t{n_tokens} * n_head * hd};
}

}  // namespace

// The op serves several tokens and query heads per pass over the cells; each query must still
// see the exact operations of a pass of its own, so a prompt gives the same bits whether it
// comes in one batch or token by token, and with any thread count (which changes the blocking).
TEST_CASE("attention: a token's output does not depend on its batch or the thread count", "[cpu][attention]") {
    for (auto [kt, vt] : {std::pair{dtype::f16, dtype::f16}, std::pair{dtype::q4_0, dtype::q8_0},
                          std::pair{dtype::q8_0, dtype::q8_0}, std::pair{dtype::f32, dtype::f32}}) {
        for (bool two_seqs : {false, true}) {
            INFO("k " << hearth::name(kt) << " v " << hearth::name(vt) << " two sequences " << two_seqs);
            const auto batched = attention_outputs(kt, vt, 13, two_seqs, false, 2);
            CHECK(attention_outputs(kt, vt, 13, two_seqs, true, 2) == batched);
            CHECK(attention_outputs(kt, vt, 13, two_seqs, false, 1) == batched);
            CHECK(attention_outputs(kt, vt, 13, two_seqs, false, 3) == batched);
        }
    }
}

// llama.cpp's CPU build writes a q8_0 cache row with the SIMD quantize_row_q8_0 of its
// instruction set (x86: multiplier 127/amax, halves to even), not the reference one; a level
// that differs shifts its head's attention output, so the op stores rows with the arch's
// activation rounding. Rows of ties tell the conventions apart: amax 127 makes every multiplier
// exactly 1, and x.5 goes away from zero only under the reference.
TEST_CASE("attention: a q8_0 cache row is stored with the arch's rounding convention", "[cpu][attention]") {
    constexpr std::uint32_t hd = 64;
    hc::kv_storage kv(dtype::q8_0, dtype::q8_0, 2, 1, hd, hd);
    hc::host_tensor row = make_tensor(1, hd, 31);
    for (std::uint32_t j = 0; j < hd; ++j) row.data[j] = (j % 32 == 0) ? 127.0f : float(int(j % 7) - 3) + 0.5f;
    const auto q = make_tensor(1, hd, 32);
    auto out = make_tensor(1, hd, 33);
    std::vector<std::int32_t> positions{0}, seq_ids{0}, cell_pos{0, -1}, cell_seq{0, -1};
    std::vector<std::uint32_t> slots{0};
    const hearth::attention_batch batch{positions, seq_ids, slots, cell_pos, cell_seq, 1};
    hearth::attention_params ap;
    ap.kq_scale = 0.125f;
    ap.n_head = 1, ap.n_head_kv = 1, ap.head_dim_k = hd, ap.head_dim_v = hd;
    hc::thread_pool pool(1);
    std::vector<hc::attention_scratch> scratch;
    hc::attention<cpu_test::arch>(pool, scratch, kv, q, row, row, batch, ap, out);

    std::vector<std::byte> want(kv.k_row_bytes), reference(kv.k_row_bytes);
    hearth::quant::quantize_row(dtype::q8_0, row.data, want.data(), hd, hc::activation_rounding<cpu_test::arch>);
    hearth::quant::quantize_row(dtype::q8_0, row.data, reference.data(), hd);
    CHECK(std::equal(want.begin(), want.end(), kv.k.data()));
    CHECK(std::equal(want.begin(), want.end(), kv.v.data()));
    // The rows really do separate the conventions.
    CHECK((want == reference) == (hc::activation_rounding<cpu_test::arch> == hearth::quant::q8_rounding::reference));
}
