// Compute ceiling of the CPU kernels: GEMV and GEMM on matrices that fit in L2, one thread,
// best of many short runs. On a busy machine short runs still catch an unpreempted slice, so the
// minimum shows what the kernel itself costs; if this is far above the DRAM bandwidth measured
// by bench_kernels, the decode GEMV is memory-bound as it should be.
//   bench_kernels_incache [--kb 384] [--reps 400]
// Types the backend repacks for decode (kernels::packed_layout) get a second row, TYPE/x8.
#include "kernels_common.hpp"
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


int main(int argc, char** argv) {
    std::size_t kb = 384;
    int reps = 400;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--kb") kb = std::strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--reps") reps = std::atoi(argv[i + 1]);
    }
    if (!hc::host_supports<arch>()) return 77;
    std::printf("arch %s, ~%zu KB of weights, 1 thread, best of %d\n", hc::arch_name<arch>, kb, reps);
    std::printf("%-7s %12s %14s %14s\n", "dtype", "GEMV GB/s", "GEMV Gelem/s", "GEMM8 GFLOP/s");
    hc::thread_pool pool(1);
    hc::matmul_context ctx(pool);
    const std::size_t cols = 4096;
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q8_0, dtype::iq4_nl, dtype::q2_k,
                    dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::f16, dtype::bf16, dtype::f32}) {
        const std::size_t rb = hearth::row_bytes(t, cols);
        const std::size_t rows = std::max<std::size_t>(16, kb * 1024 / rb / 16 * 16);
        const auto m = bench::random_matrix(t, rows, cols, 11);
        const hc::matrix_view W{t, rows, cols, m.data(), rb};
        std::vector<std::byte> packed;
        const hc::matrix_view P = bench::repacked<arch>(W, packed);
        for (const hc::matrix_view& V : bench::layouts(W, P)) {
            std::vector<float> x(cols * 8), y(rows * 8);
            for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 17) - 8) * 0.1f;
            double best1 = 1e30, best8 = 1e30;
            for (int r = 0; r < reps; ++r) {
                const auto t0 = clock_type::now();
                hc::matmul<arch>(ctx, V, x.data(), cols, 1, y.data(), rows);
                best1 = std::min(best1, std::chrono::duration<double>(clock_type::now() - t0).count());
            }
            for (int r = 0; r < reps / 4 + 1; ++r) {
                const auto t0 = clock_type::now();
                hc::matmul<arch>(ctx, V, x.data(), cols, 8, y.data(), rows);
                best8 = std::min(best8, std::chrono::duration<double>(clock_type::now() - t0).count());
            }
            // GB/s counts the file's bytes either way, so the layouts compare as work done.
            std::printf("%-7s %12.2f %14.2f %14.2f\n", bench::label(V).c_str(), double(rows * rb) / best1 / 1e9,
                        double(rows * cols) / best1 / 1e9, 2.0 * double(rows * cols) * 8 / best8 / 1e9);
        }
    }
    return 0;
}
