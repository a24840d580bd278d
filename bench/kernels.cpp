// CPU kernel benchmark: memory read bandwidth, then quantized GEMV over a weight matrix far larger
// than the caches (the decode step is a stream over the weights: its ceiling is bandwidth), and
// GEMM throughput for a 512-token prompt.
//
//   bench_kernels [--mb 256] [--threads 2] [--tokens 512] [--reps 5] [--only bw|gemv|gemm]
// Prints GB/s of weight bytes read, the ratio to the measured bandwidth with the same thread
// count, the 2-vs-1-thread speedup, and GEMM GFLOP/s.
#include "kernels_common.hpp"
#include <hearth/cpu/all.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
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
    std::string only;  // "", "bw", "gemv" or "gemm"
};

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// CPU seconds used by the whole process (all threads).
double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Best wall time of `reps` runs, and the best "CPU-normalized" time: process CPU seconds divided
// by the thread count. On an idle machine the two agree (waiting threads spin); on a shared one
// the wall time includes slices where our threads were descheduled, the CPU time does not, so
// it estimates what the same run takes with the cores to itself.
struct timing { double wall = 1e30, cpu = 1e30; };
template <class F> timing best_of(int reps, unsigned threads, F&& f) {
    timing t;
    for (int r = 0; r < reps; ++r) {
        const double c0 = process_cpu_seconds();
        const auto t0 = clock_type::now();
        f();
        t.wall = std::min(t.wall, seconds_since(t0));
        t.cpu = std::min(t.cpu, (process_cpu_seconds() - c0) / threads);
    }
    return t;
}

// Best-of-reps read bandwidth over `bytes` with `threads` threads: each sums its own contiguous
// slice with wide integer adds (the compiler vectorises the loop), like a GEMV streams its rows.
timing read_bandwidth(hc::thread_pool& pool, const std::vector<std::uint64_t>& buf, int reps) {
    std::vector<std::uint64_t> sinks(pool.size(), 0);
    const timing t = best_of(reps, pool.size(), [&] {
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
    });
    volatile std::uint64_t keep = 0;
    for (auto v : sinks) keep = keep + v;
    const double gb = double(buf.size() * sizeof(std::uint64_t)) / 1e9;
    return {gb / t.wall, gb / t.cpu};  // GB/s, wall and CPU-normalized
}

// GB/s of weights (wall, CPU-normalized).
timing bench_gemv(hc::thread_pool& pool, const hc::matrix_view& W, int reps) {
    hc::matmul_context ctx(pool);
    std::vector<float> x(W.cols), y(W.rows);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1, 1);
    for (auto& v : x) v = dist(rng);
    hc::matmul<arch>(ctx, W, x.data(), W.cols, 1, y.data(), W.rows);  // warm-up (page faults, scratch)
    const timing t = best_of(reps, pool.size(), [&] { hc::matmul<arch>(ctx, W, x.data(), W.cols, 1, y.data(), W.rows); });
    const double gb = double(W.rows * W.row_stride_bytes) / 1e9;
    return {gb / t.wall, gb / t.cpu};
}

// GFLOP/s (wall, CPU-normalized).
timing bench_gemm(hc::thread_pool& pool, const hc::matrix_view& W, std::size_t tokens, int reps) {
    hc::matmul_context ctx(pool);
    std::vector<float> x(W.cols * tokens), y(W.rows * tokens);
    std::mt19937 rng(4);
    std::uniform_real_distribution<float> dist(-1, 1);
    for (auto& v : x) v = dist(rng);
    hc::matmul<arch>(ctx, W, x.data(), W.cols, tokens, y.data(), W.rows);
    const timing t = best_of(std::max(1, reps / 2), pool.size(),
                             [&] { hc::matmul<arch>(ctx, W, x.data(), W.cols, tokens, y.data(), W.rows); });
    const double gflop = 2.0 * double(W.rows) * double(W.cols) * double(tokens) / 1e9;
    return {gflop / t.wall, gflop / t.cpu};
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
        else if (a == "--only") o.only = argv[i + 1];
        else {
            std::fprintf(stderr, "usage: %s [--mb N] [--threads N] [--tokens N] [--reps N] [--only bw|gemv|gemm]\n", argv[0]);
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

    std::vector<timing> bandwidth(thread_counts.size(), timing{1.0, 1.0});
    if (o.only.empty() || o.only == "bw" || o.only == "gemv") {
        std::vector<std::uint64_t> buf(o.mb * 1024 * 1024 / 8, 1);
        for (std::size_t i = 0; i < thread_counts.size(); ++i) {
            hc::thread_pool pool(thread_counts[i]);
            bandwidth[i] = read_bandwidth(pool, buf, o.reps);
            std::printf("memory read bandwidth, %u thread(s): %6.2f GB/s   (CPU-normalized %6.2f)\n", thread_counts[i],
                        bandwidth[i].wall, bandwidth[i].cpu);
        }
    }

    const std::size_t cols = 4096;
    if (o.only.empty() || o.only == "gemv") {
    std::printf("\nGEMV (1 token), %zu columns, rows sized to %zu MB of weights\n", cols, o.mb);
    std::printf("%-7s %8s", "dtype", "rows");
    for (unsigned t : thread_counts) std::printf("  %uT GB/s  %%bw (CPU-norm  %%bw)", t);
    std::printf("  speedup (CPU-norm)\n");
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::q8_0}) {
        const std::size_t rb = hearth::row_bytes(t, cols);
        const std::size_t rows = o.mb * 1024 * 1024 / rb / 16 * 16;
        const auto m = bench::random_matrix(t, rows, cols, 7);
        const hc::matrix_view W{t, rows, cols, m.data(), rb};
        std::printf("%-7s %8zu", std::string(hearth::name(t)).c_str(), rows);
        std::vector<timing> r;
        for (std::size_t i = 0; i < thread_counts.size(); ++i) {
            hc::thread_pool pool(thread_counts[i]);
            r.push_back(bench_gemv(pool, W, o.reps));
            std::printf("  %7.2f %4.0f%% (%7.2f %4.0f%%)", r.back().wall, 100.0 * r.back().wall / bandwidth[i].wall,
                        r.back().cpu, 100.0 * r.back().cpu / bandwidth[i].cpu);
        }
        std::printf("  %5.2fx (%5.2fx)\n", r.back().wall / r.front().wall, r.back().cpu / r.front().cpu);
        std::fflush(stdout);
    }
    }

    if (!o.only.empty() && o.only != "gemm") return 0;
    std::printf("\nGEMM, %zu tokens x 4096 x 4096\n", o.tokens);
    std::printf("%-7s", "dtype");
    for (unsigned t : thread_counts) std::printf("  %uT GFLOP/s (CPU-norm)", t);
    std::printf("\n");
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q4_k, dtype::q6_k, dtype::q8_0, dtype::f16}) {
        const std::size_t rb = hearth::row_bytes(t, cols);
        const auto m = bench::random_matrix(t, 4096, cols, 9);
        const hc::matrix_view W{t, 4096, cols, m.data(), rb};
        std::printf("%-7s", std::string(hearth::name(t)).c_str());
        for (unsigned th : thread_counts) {
            hc::thread_pool pool(th);
            const timing g = bench_gemm(pool, W, o.tokens, o.reps);
            std::printf("  %10.1f (%8.1f)", g.wall, g.cpu);
            std::fflush(stdout);
        }
        std::printf("\n");
    }
    return 0;
}
