// The CUDA backend's format code on the host: the HEARTH_CUDA_HD unit decoders, activation and KV
// quantizers that its kernels run, against hearth::quant's references (themselves byte-exact with
// ggml). Decoding and quantizing must be EXACT; dot products exact where the inputs make every
// float sum exact, within float rounding otherwise.
#include "cuda_test_support.hpp"
#include <hearth/cuda/reference/attention.hpp>
#include <hearth/cuda/reference/matmul.hpp>

namespace hc = hearth::cuda;
namespace hq = hearth::quant;
using hearth::dtype;
using namespace cuda_test;

namespace {

dtype gguf_type(hc::act_kind a) {
    switch (a) {
    case hc::act_kind::f32: return dtype::f32;
    case hc::act_kind::f16: return dtype::f16;
    case hc::act_kind::bf16: return dtype::bf16;
    case hc::act_kind::q8_0: return dtype::q8_0;
    case hc::act_kind::q8_1: return dtype::q8_1;
    case hc::act_kind::q8_k: return dtype::q8_k;
    }
    return dtype::f32;
}

// Byte offsets of the fp16 scale fields (d, dmin, m) in a block of t.
std::vector<std::size_t> scale_fields(dtype t) {
    switch (t) {
    case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: case dtype::iq4_nl: return {0};
    case dtype::q4_1: case dtype::q5_1: case dtype::q4_k: case dtype::q5_k: return {0, 2};
    case dtype::q2_k: return {80, 82};
    case dtype::q3_k: return {108};
    case dtype::q6_k: return {208};
    default: return {};
    }
}

std::vector<std::uint8_t> quantize_act(hc::act_kind act, const std::vector<float>& x) {
    const auto l = hc::layout_of(act, x.size());
    std::vector<std::uint8_t> row(l.row_bytes, 0xA5);
    hc::reference::quantize({act, x.data(), x.size(), 1, x.size(), row.data()});
    return row;
}

}  // namespace

TEST_CASE("cuda twins: dp4a emulation sums four signed byte products", "[cuda][twin]") {
    std::mt19937 rng(5);
    for (int it = 0; it < 1000; ++it) {
        const auto a = static_cast<int>(rng()), b = static_cast<int>(rng()), c = static_cast<int>(rng() % 100000);
        int want = c;
        for (int i = 0; i < 4; ++i)
            want += static_cast<std::int8_t>(static_cast<std::uint32_t>(a) >> (8 * i)) *
                    static_cast<std::int8_t>(static_cast<std::uint32_t>(b) >> (8 * i));
        REQUIRE(hc::dp4a(a, b, c) == want);
    }
}

TEST_CASE("cuda twins: activation rows hold exactly the reference quantizers' values", "[cuda][twin]") {
    const std::size_t k = 512;
    for (hc::act_kind act : {hc::act_kind::q8_0, hc::act_kind::q8_1, hc::act_kind::q8_k, hc::act_kind::f16,
                             hc::act_kind::bf16, hc::act_kind::f32}) {
        int index = 0;
        for (const auto& x : tricky_rows(k)) {
            INFO(hc::name_of(act) << " row " << index++);
            const auto ours = quantize_act(act, x);
            const dtype t = gguf_type(act);
            std::vector<std::byte> ref(hearth::row_bytes(t, k));
            hq::quantize_row(t, x.data(), ref.data(), k);
            const auto l = hc::layout_of(act, k);
            if (!hc::is_quantized(act)) {
                CHECK(std::memcmp(ours.data(), ref.data(), ref.size()) == 0);
                continue;
            }
            for (std::size_t g = 0; g < k / 32; ++g) {
                const std::int8_t* ref_q = nullptr;
                float ref_d = 0;
                std::uint32_t ref_aux = 0;
                if (act == hc::act_kind::q8_k) {
                    const auto* b = reinterpret_cast<const hq::block_q8_k*>(ref.data()) + g / 8;
                    ref_q = b->qs + 32 * (g % 8);
                    ref_d = b->d;
                    ref_aux = static_cast<std::uint32_t>(b->bsums[2 * (g % 8)] + b->bsums[2 * (g % 8) + 1]);
                } else if (act == hc::act_kind::q8_1) {
                    const auto* b = reinterpret_cast<const hq::block_q8_1*>(ref.data()) + g;
                    ref_q = b->qs, ref_d = hearth::fp16_to_fp32(b->d);
                    const float s = hearth::fp16_to_fp32(b->s);
                    std::memcpy(&ref_aux, &s, 4);
                } else {
                    const auto* b = reinterpret_cast<const hq::block_q8_0*>(ref.data()) + g;
                    ref_q = b->qs, ref_d = hearth::fp16_to_fp32(b->d);
                }
                float d;
                std::uint32_t aux;
                std::memcpy(&d, ours.data() + l.d_offset + 4 * g, 4);
                std::memcpy(&aux, ours.data() + l.aux_offset + 4 * g, 4);
                INFO("group " << g);
                REQUIRE(std::memcmp(ours.data() + 32 * g, ref_q, 32) == 0);
                REQUIRE(std::memcmp(&d, &ref_d, 4) == 0);
                REQUIRE(aux == ref_aux);
            }
        }
    }
}

TEST_CASE("cuda twins: weight units dequantize exactly like hearth::quant", "[cuda][twin]") {
    const std::size_t rows = 5, cols = 512;
    std::mt19937 rng(7);
    for (dtype t : weight_types()) {
        INFO(type_name(t));
        // Rows from the reference quantizer, and rows of random bytes with finite fp16 scales.
        auto w = make_weight(t, rows, cols, random_floats(rows * cols, 11, -2.0f, 2.0f));
        std::vector<std::vector<std::byte>> inputs{w->bytes};
        if (hearth::traits(t).block_elems > 1) {
            std::vector<std::byte> raw(w->bytes.size());
            for (auto& b : raw) b = static_cast<std::byte>(rng());
            // Replace every fp16 scale field by a random finite half.
            const std::size_t bb = hearth::traits(t).block_bytes;
            for (std::size_t off = 0; off < raw.size(); off += bb)
                for (std::size_t at : scale_fields(t)) {
                    const auto h = hearth::fp32_to_fp16(std::uniform_real_distribution<float>(-4, 4)(rng));
                    std::memcpy(&raw[off + at], &h, 2);
                }
            inputs.push_back(raw);
        }
        for (const auto& bytes : inputs) {
            std::vector<std::int32_t> ids{4, 0, 2};
            std::vector<float> ours(ids.size() * cols), want(ids.size() * cols);
            const std::size_t rb = hearth::row_bytes(t, cols);
            hc::reference::get_rows({t, reinterpret_cast<const std::uint8_t*>(bytes.data()), rb, cols, ids.data(),
                                     ids.size(), ours.data(), cols});
            for (std::size_t i = 0; i < ids.size(); ++i)
                hq::dequantize_row(t, bytes.data() + static_cast<std::size_t>(ids[i]) * rb, want.data() + i * cols, cols);
            CHECK(bit_equal(ours, want));
        }
    }
}

namespace {

// Activations whose every rounding is exact: multiples of 1/128 with |x| <= 127/128 and the
// extreme +-127/128 in every block, so d = 1/128 (a power of two) for q8_0/q8_1/q8_K alike and
// each quant is the integer itself. With weight scales of 1, every product and partial sum of a
// dot product is a small multiple of 2^-7 and the result is exact in any summation order.
std::vector<float> exact_activations(std::size_t k, std::mt19937& rng) {
    std::uniform_int_distribution<int> q(-127, 127);
    std::vector<float> x(k);
    for (std::size_t i = 0; i < k; ++i) x[i] = static_cast<float>(q(rng)) / 128.0f;
    for (std::size_t b = 0; b < k; b += 32) x[b] = (b / 32) % 2 ? 127.0f / 128.0f : -127.0f / 128.0f;
    return x;
}

std::vector<std::byte> unit_scale_weight(dtype t, std::size_t rows, std::size_t cols, std::mt19937& rng) {
    std::vector<std::byte> raw(hearth::row_bytes(t, cols) * rows);
    for (auto& b : raw) b = static_cast<std::byte>(rng());
    const std::size_t bb = hearth::traits(t).block_bytes;
    for (std::size_t off = 0; off < raw.size(); off += bb)
        for (std::size_t at : scale_fields(t)) raw[off + at] = std::byte{0x00}, raw[off + at + 1] = std::byte{0x3C};  // 1.0
    return raw;
}

template <class F>
void for_quant_types(F&& f) {
    for (dtype t : weight_types())
        if (hearth::traits(t).block_elems > 1) f(t);
}

float twin_dot(dtype t, const std::vector<std::byte>& w, std::size_t row, const std::vector<float>& x) {
    const std::size_t k = x.size();
    const auto act = quantize_act(hc::act_kind_of(t), x);
    float y = 0;
    hc::reference::matmul({t, hearth::row_bytes(t, k), k, act.data(), 1,
                           {{reinterpret_cast<const std::uint8_t*>(w.data()) + row * hearth::row_bytes(t, k), 1, &y, 1}}, 1});
    return y;
}

float reference_dot(dtype t, const std::vector<std::byte>& w, std::size_t row, const std::vector<float>& x) {
    const std::size_t k = x.size();
    const dtype at = hq::activation_type(t);
    std::vector<std::byte> act(hearth::row_bytes(at, k));
    hq::quantize_row(at, x.data(), act.data(), k);
    return hq::vec_dot(t, w.data() + row * hearth::row_bytes(t, k), act.data(), k);
}

}  // namespace

TEST_CASE("cuda twins: unit dot products are the reference's integer sums (exact inputs)", "[cuda][twin]") {
    const std::size_t k = 1024, rows = 8;
    std::mt19937 rng(9);
    for_quant_types([&](dtype t) {
        INFO(type_name(t));
        const auto w = unit_scale_weight(t, rows, k, rng);
        for (std::size_t r = 0; r < rows; ++r) {
            const auto x = exact_activations(k, rng);
            const float ours = twin_dot(t, w, r, x), want = reference_dot(t, w, r, x);
            INFO("row " << r << ": " << ours << " vs " << want);
            CHECK(ours == want);
        }
    });
}

TEST_CASE("cuda twins: dot products agree with hearth::quant's within float rounding", "[cuda][twin]") {
    // Same integer sums, different order of the float sum over units: |diff| stays below a few
    // ulp of the sum of the absolute unit shares; 1e-5 of the row's magnitude bounds it here.
    const std::size_t k = 2048, rows = 16;
    for (dtype t : weight_types()) {
        INFO(type_name(t));
        auto w = make_weight(t, rows, k, random_floats(rows * k, 31));
        const auto x = random_floats(k, 32);
        double worst = 0;
        for (std::size_t r = 0; r < rows; ++r) {
            const double ours = twin_dot(t, w->bytes, r, x), want = reference_dot(t, w->bytes, r, x);
            worst = std::max(worst, std::fabs(ours - want) / (1.0 + std::fabs(want)));
        }
        CHECK(worst < 2e-5);
    }
}

TEST_CASE("cuda twins: KV blocks are byte-identical to the reference quantizers", "[cuda][twin]") {
    const std::size_t k = 256;
    for (dtype t : cache_types()) {
        int index = 0;
        for (const auto& x : tricky_rows(k)) {
            INFO(type_name(t) << " row " << index++);
            std::vector<std::byte> want(hearth::row_bytes(t, k));
            hq::quantize_row(t, x.data(), want.data(), k);
            std::vector<std::uint8_t> ours(want.size(), 0x5A);
            const std::uint32_t slot = 0;
            hc::reference::kv_store({t, x.data(), k, k, &slot, 1, ours.data(), ours.size()});
            REQUIRE(std::memcmp(ours.data(), want.data(), want.size()) == 0);
            // And reading it back element by element gives the dequantizer's values.
            std::vector<float> back(k), ref(k);
            hq::dequantize_row(t, want.data(), ref.data(), k);
            for (std::size_t i = 0; i < k; ++i) back[i] = hc::kv_element(t, ours.data(), i);
            CHECK(bit_equal(back, ref));
        }
    }
}
