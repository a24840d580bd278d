// The CUDA backend on the GPU, op by op:
//   - the device primitives (fp16/bf16 conversions, dp4a) and activation rounding against their
//     host twins, bit for bit;
//   - matmul and get_rows against the host twins (reference_backend), bit for bit, every weight
//     type, decode and prefill shapes (twin_checks.hpp);
//   - every op against the CPU backend (op_checks.hpp: the checks test_cuda_twins runs on the host).
// Without a device or driver the program prints "SKIP: no CUDA device (...)" and exits 77.
#include "device_support.hpp"
#include "op_checks.hpp"
#include "twin_checks.hpp"
#include <random>

using namespace cuda_test;
using hearth::dtype;
namespace hc = hearth::cuda;

namespace {
// Decides SKIP before Catch2 runs anything, and names the device the tests run on.
struct device_guard {
    device_guard() { std::fprintf(stderr, "testing on %s\n", gpu().name()); }
} guard;
}  // namespace

TEST_CASE("cuda device: fp16 conversions and dp4a equal their host twins", "[cuda][device]") {
    std::vector<float> in = random_floats(1 << 16, 1, -70000.0f, 70000.0f);
    for (int e = -30; e < 17; ++e) in.push_back(std::ldexp(1.0f + 1.0f / 2048.0f, e)), in.push_back(-std::ldexp(1.5f, e));
    std::mt19937 rng(3);
    std::vector<int> a(4096), b(4096);
    for (auto& v : a) v = static_cast<int>(rng());
    for (auto& v : b) v = static_cast<int>(rng());
    const auto r = check_primitives_on_device(gpu().exec(), in, a, b);
    CHECK(r.to_half == 0);
    CHECK(r.from_half == 0);
    CHECK(r.dp4a == 0);
}

TEST_CASE("cuda device: activation rows are byte-identical to the host twin's", "[cuda][device]") {
    const std::size_t k = 1024;
    for (hc::act_kind act : {hc::act_kind::q8_0, hc::act_kind::q8_1, hc::act_kind::q8_k, hc::act_kind::f16,
                             hc::act_kind::bf16, hc::act_kind::f32}) {
        const auto rows = tricky_rows(k);
        std::vector<float> x;
        for (const auto& r : rows) x.insert(x.end(), r.begin(), r.end());
        const auto l = hc::layout_of(act, k);
        std::vector<std::uint8_t> want(l.row_bytes * rows.size(), 0), got(want.size());
        hc::reference::quantize({act, x.data(), k, rows.size(), k, want.data()});
        auto& e = gpu().exec();
        hc::memory dx = e.alloc(x.size() * 4), dout = e.alloc(want.size());
        e.upload(dx.get(), x.data(), x.size() * 4);
        e.quantize({act, reinterpret_cast<const float*>(dx.get()), k, rows.size(), k, dout.get()});
        e.read_bytes(got.data(), dout.get(), got.size());
        INFO(hc::name_of(act));
        CHECK(got == want);
    }
}

TEST_CASE("cuda device: matmul and get_rows equal the host twins bit for bit", "[cuda][device]") {
    check_matches_twin(gpu(), twin(), 72, 1024, {1, 3, 8, 19});
    check_matches_twin(gpu(), twin(), 300, 4096, {1, 13});
}

TEST_CASE("cuda device: matmul of every weight type against the CPU backend", "[cuda][device]") {
    std::uint32_t seed = 1000;
    for (dtype t : weight_types()) {
        check_matmul(gpu(), t, 48, 512, 1, seed += 10);
        check_matmul(gpu(), t, 40, 768, 19, seed += 10);
        check_matmul(gpu(), t, 4096 + 32, 4096, 1, seed += 10);  // many row blocks
    }
}

TEST_CASE("cuda device: get_rows, element-wise ops, rms_norm, rope, hadamard against the CPU backend", "[cuda][device]") {
    for (dtype t : weight_types()) check_get_rows(gpu(), t);
    check_grouped_matmul(gpu(), dtype::q4_k, dtype::q6_k, 1, 2000);
    check_grouped_matmul(gpu(), dtype::q8_0, dtype::f16, 9, 2010);
    check_rounding_fused_into_producer(gpu(), 1, 2020);
    check_rounding_fused_into_producer(gpu(), 5, 2030);
    check_elementwise(gpu());
    check_rms_norm(gpu());
    check_residual_norm(gpu());
    check_rope(gpu());
    check_hadamard(gpu());
}

TEST_CASE("cuda device: attention over every K/V cache type pair against the CPU backend", "[cuda][device]") {
    check_attention_pairs(gpu());
    check_attention_shapes(gpu());
    check_attention_long(gpu());
}
