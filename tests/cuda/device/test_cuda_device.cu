// The CUDA backend on the GPU, in ONE translation unit (nvcc compiles it once per architecture):
//   - the kernels' primitives and quantizers against their host twins, bit for bit;
//   - the matmul/get_rows/hadamard kernels against the host twins (reference_backend), bit for
//     bit, for every weight type, decode and prefill shapes;
//   - every op against the CPU backend (op_checks.hpp, the checks test_cuda_twins runs on the twins);
//   - whole models: every op of a forward (lockstep) and greedy tokens against the CPU backend.
// Without a device or driver the program prints "SKIP: no CUDA device (...)" and exits 77.
#include "model_checks.hpp"
#include "op_checks.hpp"
#include "twin_checks.hpp"
#include <hearth/cuda.cuh>
#include <cstdlib>

using namespace cuda_test;
using hearth::dtype;
namespace hc = hearth::cuda;

namespace {

std::unique_ptr<hc::backend> make_gpu() {
    try {
        return std::make_unique<hc::backend>();
    } catch (const hearth::error& e) {
        if (e.kind() != hearth::errc::device) throw;
        std::fprintf(stderr, "SKIP: no CUDA device (%s)\n", e.what());
        std::exit(77);
    }
}

hc::backend& gpu() {
    static std::unique_ptr<hc::backend> b = make_gpu();
    return *b;
}

hc::reference_backend& twin() {
    static hc::reference_backend b;
    return b;
}

// Decides SKIP before Catch2 runs anything, and names the device the tests run on.
struct device_guard {
    device_guard() { std::fprintf(stderr, "testing on %s\n", gpu().name()); }
} guard;

// ---- raw device memory for the kernel-level checks -------------------------------------------
template <class T>
struct device_array {
    hc::memory mem;
    std::size_t n;
    explicit device_array(std::size_t count) : mem(gpu().exec().alloc(count * sizeof(T))), n(count) {}
    device_array(const std::vector<T>& host) : device_array(host.size()) {
        check(cudaMemcpy(mem.get(), host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    }
    T* get() const { return reinterpret_cast<T*>(mem.get()); }
    std::vector<T> host() const {
        std::vector<T> out(n);
        gpu().exec().read_bytes(out.data(), mem.get(), n * sizeof(T));
        return out;
    }
    static void check(cudaError_t e) { REQUIRE(e == cudaSuccess); }
};

__global__ void half_conversions(const float* in, std::uint16_t* to_half, float* from_half, std::size_t n) {
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) to_half[i] = hc::float_to_half(in[i]);
    if (i < 65536) from_half[i] = hc::half_to_float(static_cast<std::uint16_t>(i));
}

__global__ void dp4a_kernel(const int* a, const int* b, int* out, std::size_t n) {
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = hc::dp4a(a[i], b[i], static_cast<int>(i));
}

}  // namespace

TEST_CASE("cuda device: fp16 conversions and dp4a equal their host twins", "[cuda][device]") {
    std::vector<float> in = random_floats(1 << 16, 1, -70000.0f, 70000.0f);
    for (int e = -30; e < 17; ++e) in.push_back(std::ldexp(1.0f + 1.0f / 2048.0f, e)), in.push_back(-std::ldexp(1.5f, e));
    device_array<float> din(in);
    device_array<std::uint16_t> to_half(in.size());
    device_array<float> from_half(65536);
    half_conversions<<<static_cast<unsigned>((in.size() + 255) / 256), 256>>>(din.get(), to_half.get(), from_half.get(), in.size());
    const auto th = to_half.host();
    const auto fh = from_half.host();
    std::size_t bad = 0;
    for (std::size_t i = 0; i < in.size(); ++i) bad += th[i] != hearth::fp32_to_fp16(in[i]);
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const float want = hearth::fp16_to_fp32(static_cast<std::uint16_t>(h));
        if (want == want) bad += std::memcmp(&fh[h], &want, 4) != 0;  // NaN payloads may differ
    }
    CHECK(bad == 0);

    std::mt19937 rng(3);
    std::vector<int> a(4096), b(4096);
    for (auto& v : a) v = static_cast<int>(rng());
    for (auto& v : b) v = static_cast<int>(rng());
    device_array<int> da(a), db(b), dout(a.size());
    dp4a_kernel<<<16, 256>>>(da.get(), db.get(), dout.get(), a.size());
    const auto out = dout.host();
    for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(out[i] == hc::dp4a(a[i], b[i], static_cast<int>(i)));
}

TEST_CASE("cuda device: activation rows are byte-identical to the host twin's", "[cuda][device]") {
    const std::size_t k = 1024;
    for (hc::act_kind act : {hc::act_kind::q8_0, hc::act_kind::q8_1, hc::act_kind::q8_k, hc::act_kind::f16,
                             hc::act_kind::bf16, hc::act_kind::f32}) {
        const auto rows = tricky_rows(k);
        std::vector<float> x;
        for (const auto& r : rows) x.insert(x.end(), r.begin(), r.end());
        const auto l = hc::layout_of(act, k);
        std::vector<std::uint8_t> want(l.row_bytes * rows.size(), 0);
        hc::reference::quantize({act, x.data(), k, rows.size(), k, want.data()});
        device_array<float> dx(x);
        device_array<std::uint8_t> dout(want.size());
        gpu().exec().quantize({act, dx.get(), k, rows.size(), k, dout.get()});
        INFO(hc::name_of(act));
        CHECK(dout.host() == want);
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
    check_elementwise(gpu());
    check_rms_norm(gpu());
    check_rope(gpu());
    check_hadamard(gpu());
}

TEST_CASE("cuda device: attention over every K/V cache type pair against the CPU backend", "[cuda][device]") {
    check_attention_pairs(gpu());
    check_attention_shapes(gpu());
}

TEST_CASE("cuda device: attention over a long context splits the cells and merges them", "[cuda][device]") {
    check_attention_long(gpu());
}

TEST_CASE("cuda device: every op of SmolLM2 and Gemma-3 forwards agrees with the CPU backend's", "[cuda][device][model]") {
    check_model_ops(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {dtype::q4_0, dtype::q8_0});
    check_model_ops(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {dtype::f16, dtype::f16});
    check_model_ops(gpu(), "gemma-3-270m-q4_k_m.gguf", {dtype::q4_0, dtype::q8_0});
}

TEST_CASE("cuda device: greedy tokens equal the CPU backend's", "[cuda][device][model]") {
    compare_model(gpu(), "llama-2-tiny-random.gguf", {{dtype::f16, dtype::f16}},
                  {"The capital of France is", "Once upon a time, there was", "1, 2, 3, 4,"}, 16, 1e-4);
    for (const auto prompt : {"The capital of France is", "def fibonacci(n):"}) {
        compare_model(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {{dtype::f16, dtype::f16}}, {prompt}, 16,
                      smollm2_logit_bound_f16);
        compare_model(gpu(), "SmolLM2-135M-Instruct.Q4_1.gguf", {{dtype::q4_0, dtype::q8_0}}, {prompt}, 16,
                      smollm2_logit_bound_q4_0);
    }
}
