// CPU kernel benchmark: memory read bandwidth, then quantized GEMV over a weight matrix far larger
// than the caches (the decode step is a stream over the weights: its ceiling is bandwidth), and
// GEMM throughput for a 512-token prompt.
//
//   bench_kernels [--mb 256] [--threads 2] [--tokens 512] [--reps 5]
// Prints GB/s of weight bytes read, the ratio to the measured bandwidth with the same thread
// count, the 2-vs-1-thread speedup, and GEMM GFLOP/s.
#include <hearth/cpu/all.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace hc = hearth::cpu;
using hearth::dtype;
using arch = hc::native_arch;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
    std::size_t mb = 256;
    unsigned max_threads = 2;
    std::size_t tokens = 512;
    int reps = 5;
};

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Best-of-reps read bandwidth over `bytes` with `threads` threads: each sums its own contiguous
// slice with wide integer adds (the compiler vectorises the loop), like a GEMV streams its rows.
double read_bandwidth(hc::thread_pool& pool, const std::vector<std::uint64_t>& buf, int reps) {
    double best = 0;
    std::vector<std::uint64_t> sinks(pool.size(), 0);
    for (int r = 0; r < reps; ++r) {
        const auto t0 = clock_type::now();
        pool.parallel_for(buf.size(), [&](unsigned ti, std::size_t b, std::size_t e) {
            std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            std::size_t i = b;
            for (; i + 4 <= e; i += 4) {
                s0 += buf[i];
                s1 += buf[i + 1];
                s2 += buf[i + 2];
                s3 += buf[i + 3];
            }
            for (; i < e; ++i) s0 += buf[i];
            sinks[ti] += s0 + s1 + s2 + s3;
        }, 4096);
        const double s = seconds_since(t0);
        best = std::max(best, double(buf.size() * sizeof(std::uint64_t)) / s / 1e9);
    }
    volatile std::uint64_t keep = 0;
    for (auto v : sinks) keep = keep + v;
    return best;
}

// Random block bytes with sane fp16 scales (no inf/NaN): speed does not depend on the values.
std::vector<std::byte> random_matrix(dtype t, std::size_t rows, std::size_t cols, std::uint32_t seed) {
    const std::size_t rb = hearth::row_bytes(t, cols);
    std::vector<std::byte> m(rows * rb);
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i + 8 <= m.size(); i += 8) {
        const std::uint64_t v = rng();
        std::memcpy(m.data() + i, &v, 8);
    }
    const auto& tr = hearth::traits(t);
    const std::uint16_t small = hearth::fp32_to_fp16(0.01f);
    // Overwrite the fp16 scale fields of every block (their offsets per format).
    std::vector<std::size_t> scale_offsets;
    switch (t) {
    case dtype::q4_0: case dtype::q8_0: case dtype::iq4_nl: scale_offsets = {0}; break;
    case dtype::q4_1: case dtype::q5_1: case dtype::q4_k: case dtype::q5_k: scale_offsets = {0, 2}; break;
    case dtype::q5_0: scale_offsets = {0}; break;
    case dtype::q2_k: scale_offsets = {80, 82}; break;
    case dtype::q3_k: scale_offsets = {108}; break;
    case dtype::q6_k: scale_offsets = {208}; break;
    default: break;
    }
    const std::size_t nblocks = m.size() / tr.block_bytes;
    for (std::size_t b = 0; b < nblocks; ++b)
        for (std::size_t off : scale_offsets) std::memcpy(m.data() + b * tr.block_bytes + off, &small, 2);
    if (t == dtype::f16 || t == dtype::bf16) {
        for (std::size_t i = 0; i + 2 <= m.size(); i += 2) {
            const std::uint16_t h = t == dtype::f16 ? hearth::fp32_to_fp16(0.01f * float(i % 97))
                                                    : hearth::fp32_to_bf16(0.01f * float(i % 97));
            std::memcpy(m.data() + i, &h, 2);
        }
    }
    return m;
}

struct gemv_result { double gbps; double seconds; };

gemv_result bench_gemv(hc::thread_pool& pool, const hc::matrix_view& W, int reps) {
    hc::matmul_context ctx(pool);
    std::vector<float> x(W.cols), y(W.rows);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1, 1);
    for (auto& v : x) v = dist(rng);
    hc::matmul<arch>(ctx, W, x.data(), W.cols, 1, y.data(), W.rows);  // warm-up (page faults, scratch)
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = clock_type::now();
        hc::matmul<arch>(ctx, W, x.data(), W.cols, 1, y.data(), W.rows);
        best = std::min(best, seconds_since(t0));
    }
    return {double(W.rows * W.row_stride_bytes) / best / 1e9, best};
}

double bench_gemm(hc::thread_pool& pool, const hc::matrix_view& W, std::size_t tokens, int reps) {
    hc::matmul_context ctx(pool);
    std::vector<float> x(W.cols * tokens), y(W.rows * tokens);
    std::mt19937 rng(4);
    std::uniform_real_distribution<float> dist(-1, 1);
    for (auto& v : x) v = dist(rng);
    hc::matmul<arch>(ctx, W, x.data(), W.cols, tokens, y.data(), W.rows);
    double best = 1e30;
    for (int r = 0; r < std::max(1, reps / 2); ++r) {
        const auto t0 = clock_type::now();
        hc::matmul<arch>(ctx, W, x.data(), W.cols, tokens, y.data(), W.rows);
        best = std::min(best, seconds_since(t0));
    }
    return 2.0 * double(W.rows) * double(W.cols) * double(tokens) / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const auto v = std::strtoull(argv[i + 1], nullptr, 10);
        if (a == "--mb") o.mb = v;
        else if (a == "--threads") o.max_threads = unsigned(v);
        else if (a == "--tokens") o.tokens = v;
        else if (a == "--reps") o.reps = int(v);
        else {
            std::fprintf(stderr, "usage: %s [--mb N] [--threads N] [--tokens N] [--reps N]\n", argv[0]);
            return 2;
        }
    }
    if (!hc::host_supports<arch>()) {
        std::fprintf(stderr, "this host cannot run %s code\n", hc::arch_name<arch>);
        return 77;
    }
    std::printf("hearth cpu kernels, arch %s, weights %zu MB per matrix\n\n", hc::arch_name<arch>, o.mb);

    std::vector<unsigned> thread_counts;
    for (unsigned t = 1; t <= o.max_threads; t *= 2) thread_counts.push_back(t);
    if (thread_counts.back() != o.max_threads) thread_counts.push_back(o.max_threads);

    std::vector<double> bandwidth(thread_counts.size());
    {
        std::vector<std::uint64_t> buf(o.mb * 1024 * 1024 / 8, 1);
        for (std::size_t i = 0; i < thread_counts.size(); ++i) {
            hc::thread_pool pool(thread_counts[i]);
            bandwidth[i] = read_bandwidth(pool, buf, o.reps);
            std::printf("memory read bandwidth, %u thread(s): %6.2f GB/s\n", thread_counts[i], bandwidth[i]);
        }
    }

    const std::size_t cols = 4096;
    std::printf("\nGEMV (1 token), %zu columns, rows sized to %zu MB of weights\n", cols, o.mb);
    std::printf("%-7s %8s", "dtype", "rows");
    for (unsigned t : thread_counts) std::printf("   %uT GB/s  %%bw", t);
    std::printf("  speedup\n");
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::q8_0}) {
        const std::size_t rb = hearth::row_bytes(t, cols);
        const std::size_t rows = o.mb * 1024 * 1024 / rb / 16 * 16;
        const auto m = random_matrix(t, rows, cols, 7);
        const hc::matrix_view W{t, rows, cols, m.data(), rb};
        std::printf("%-7s %8zu", std::string(hearth::name(t)).c_str(), rows);
        std::vector<double> gbps;
        for (std::size_t i = 0; i < thread_counts.size(); ++i) {
            hc::thread_pool pool(thread_counts[i]);
            const auto r = bench_gemv(pool, W, o.reps);
            gbps.push_back(r.gbps);
            std::printf("   %7.2f  %3.0f%%", r.gbps, 100.0 * r.gbps / bandwidth[i]);
        }
        std::printf("  %5.2fx\n", gbps.back() / gbps.front());
        std::fflush(stdout);
    }

    std::printf("\nGEMM, %zu tokens x 4096 x 4096\n", o.tokens);
    std::printf("%-7s", "dtype");
    for (unsigned t : thread_counts) std::printf("  %uT GFLOP/s", t);
    std::printf("\n");
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q4_k, dtype::q6_k, dtype::q8_0, dtype::f16}) {
        const std::size_t rb = hearth::row_bytes(t, cols);
        const auto m = random_matrix(t, 4096, cols, 9);
        const hc::matrix_view W{t, 4096, cols, m.data(), rb};
        std::printf("%-7s", std::string(hearth::name(t)).c_str());
        for (unsigned th : thread_counts) {
            hc::thread_pool pool(th);
            std::printf("  %11.1f", bench_gemm(pool, W, o.tokens, o.reps));
            std::fflush(stdout);
        }
        std::printf("\n");
    }
    return 0;
}
