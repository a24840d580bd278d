// CPU kernel benchmark: memory read bandwidth, then quantized GEMV over a weight matrix far larger
// than the caches (the decode step is a stream over the weights: its ceiling is bandwidth), and
// GEMM throughput for a 512-token prompt.
//
//   bench_kernels [--mb 256] [--threads 2] [--tokens 512] [--reps 5] [--only bw|gemv|gemm]
// Types the backend repacks for decode (kernels::packed_layout) get a second GEMV row, TYPE/x8.
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
#include <deque>
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
    std::size_t gemv_cols = 4096;  // a model's shapes: TinyLlama's attention and FFN-up rows have 2048
    std::string only;  // "", "bw", "gemv" or "gemm"
    std::string types;  // comma-separated dtype names to run; "" runs each table's default list
};

// Whether `t` is in the --types list (every type when the list is empty).
bool wanted(const options& o, dtype t) {
    if (o.types.empty()) return true;
    const std::string n(hearth::name(t));
    std::size_t at = 0;
    while (at <= o.types.size()) {
        const std::size_t comma = std::min(o.types.find(',', at), o.types.size());
        if (o.types.compare(at, comma - at, n) == 0 && comma - at == n.size()) return true;
        at = comma + 1;
    }
    return false;
}

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

// One pass of the read-bandwidth kernel over `buf` with every thread of the pool: each sums its
// own contiguous slice with wide integer adds (the compiler vectorises the loop), like a GEMV
// streams its rows. Returns the wall seconds.
double read_pass(hc::thread_pool& pool, const std::vector<std::uint64_t>& buf) {
    std::vector<std::uint64_t> sinks(pool.size(), 0);
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
    volatile std::uint64_t keep = 0;
    for (auto v : sinks) keep = keep + v;
    return s;
}

// Best-of-reps read bandwidth (wall and CPU-normalized GB/s).
timing read_bandwidth(hc::thread_pool& pool, const std::vector<std::uint64_t>& buf, int reps) {
    const timing t = best_of(reps, pool.size(), [&] { read_pass(pool, buf); });
    const double gb = double(buf.size() * sizeof(std::uint64_t)) / 1e9;
    return {gb / t.wall, gb / t.cpu};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// GEMV measured in pairs with the bandwidth it is compared to. This machine's bandwidth is not
// a constant (a virtual machine shares its memory controller with its neighbours: 26-31 GB/s
// from one run to the next, minutes apart), so a bandwidth taken once at the start and a GEMV
// timed later compare two different machines. Here every repetition times, back to back, a
// read pass and a GEMV for each thread count; the fraction of bandwidth is taken within each
// repetition, and the 2-vs-1 speedup from GEMVs of the same repetition. Medians over the
// repetitions, with their range.
struct gemv_pairs {
    std::vector<std::vector<double>> gbs, fraction;  // [thread count][rep]
    std::vector<double> speedup;                      // last thread count over the first, per rep
};

gemv_pairs bench_gemv_paired(std::deque<hc::thread_pool>& pools, const std::vector<std::uint64_t>& buf,
                             const hc::matrix_view& W, int reps) {
    std::vector<float> x(W.cols), y(W.rows);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1, 1);
    for (auto& v : x) v = dist(rng);
    std::deque<hc::matmul_context> ctx;
    for (auto& p : pools) {
        ctx.emplace_back(p);
        hc::matmul<arch>(ctx.back(), W, x.data(), W.cols, 1, y.data(), W.rows);  // warm-up (page faults, scratch)
    }
    const double weight_gb = double(W.rows * W.row_stride_bytes) / 1e9;
    const double buf_gb = double(buf.size() * sizeof(std::uint64_t)) / 1e9;
    gemv_pairs r;
    r.gbs.resize(pools.size());
    r.fraction.resize(pools.size());
    for (int rep = 0; rep < reps; ++rep) {
        for (std::size_t i = 0; i < pools.size(); ++i) {
            const double bw = buf_gb / read_pass(pools[i], buf);
            const auto t0 = clock_type::now();
            hc::matmul<arch>(ctx[i], W, x.data(), W.cols, 1, y.data(), W.rows);
            const double gbs = weight_gb / seconds_since(t0);
            r.gbs[i].push_back(gbs);
            r.fraction[i].push_back(gbs / bw);
        }
        r.speedup.push_back(r.gbs.back().back() / r.gbs.front().back());
    }
    return r;
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
        else if (a == "--cols") o.gemv_cols = v;
        else if (a == "--only") o.only = argv[i + 1];
        else if (a == "--types") o.types = argv[i + 1];
        else {
            std::fprintf(stderr, "usage: %s [--mb N] [--threads N] [--tokens N] [--reps N] [--cols N (GEMV row length, a multiple of 256)] [--only bw|gemv|gemm] [--types q4_0,q8_0,...]\n", argv[0]);
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

    const std::size_t cols = o.gemv_cols;
    if (cols == 0 || cols % 256 != 0) {
        std::fprintf(stderr, "--cols %zu: the GEMV row length must be a positive multiple of 256 (a K-quant super-block)\n", cols);
        return 2;
    }
    if (o.only.empty() || o.only == "gemv") {
        std::printf("\nGEMV (1 token), %zu columns, rows sized to %zu MB of weights. %d repetitions, each times a read\n"
                    "pass and a GEMV back to back per thread count: GB/s best; %%bw and speedup median (min-max)\n",
                    cols, o.mb, o.reps);
        std::printf("%-7s %8s", "dtype", "rows");
        for (unsigned t : thread_counts) std::printf("  %uT GB/s  %%bw (range)   ", t);
        std::printf("  %uT/%uT (range)\n", thread_counts.back(), thread_counts.front());
        std::vector<std::uint64_t> buf(o.mb * 1024 * 1024 / 8, 1);
        std::deque<hc::thread_pool> pools;
        for (unsigned t : thread_counts) pools.emplace_back(t);
        for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::q8_0}) {
            if (!wanted(o, t)) continue;
            const std::size_t rb = hearth::row_bytes(t, cols);
            const std::size_t rows = o.mb * 1024 * 1024 / rb / 16 * 16;
            const auto m = bench::random_matrix(t, rows, cols, 7);
            const hc::matrix_view file{t, rows, cols, m.data(), rb};
            std::vector<std::byte> packed;
            const hc::matrix_view P = bench::repacked<arch>(file, packed);
            for (const hc::matrix_view& W : bench::layouts(file, P)) {
                const gemv_pairs r = bench_gemv_paired(pools, buf, W, o.reps);
                std::printf("%-7s %8zu", bench::label(W).c_str(), rows);
                for (std::size_t i = 0; i < pools.size(); ++i) {
                    const auto [lo, hi] = std::minmax_element(r.fraction[i].begin(), r.fraction[i].end());
                    std::printf("  %7.2f  %3.0f%% (%3.0f-%3.0f%%)", *std::max_element(r.gbs[i].begin(), r.gbs[i].end()),
                                100.0 * median(r.fraction[i]), 100.0 * *lo, 100.0 * *hi);
                }
                const auto [lo, hi] = std::minmax_element(r.speedup.begin(), r.speedup.end());
                std::printf("  %5.2fx (%4.2f-%4.2fx)\n", median(r.speedup), *lo, *hi);
                std::fflush(stdout);
            }
        }
    }

    if (!o.only.empty() && o.only != "gemm") return 0;
    std::printf("\nGEMM, %zu tokens x 4096 x 4096\n", o.tokens);
    std::printf("%-7s", "dtype");
    for (unsigned t : thread_counts) std::printf("  %uT GFLOP/s (CPU-norm)", t);
    std::printf("\n");
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q4_k, dtype::q6_k, dtype::q8_0, dtype::f16}) {
        if (!wanted(o, t)) continue;
        const std::size_t rb = hearth::row_bytes(t, 4096);
        const auto m = bench::random_matrix(t, 4096, 4096, 9);
        const hc::matrix_view W{t, 4096, 4096, m.data(), rb};
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
