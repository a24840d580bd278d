// Memory read bandwidth with a given thread count: the roofline that bench/compare holds token
// generation against (a decode step streams every weight byte once, so tokens/s can be at most
// bandwidth / bytes per token). Engine-neutral on purpose: plain std::threads, each summing its
// own contiguous slice of a buffer far larger than the caches, the way a GEMV streams its rows.
//
//   bench_read_bandwidth [--threads N] [--mb 1024] [--reps 7]
// Prints one JSON object: {"threads", "mb", "best_gbs", "median_gbs", "samples_gbs"}.
// best_gbs is the ceiling (least disturbed rep); on a shared machine the median shows the noise.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// Four independent 32-byte accumulators (GCC/Clang vector extension: AVX2 adds under
// -march=native, SSE2 pairs elsewhere), so the loop is bound by loads, not by one add chain.
// Measured here: a plain scalar loop reads ~15% slower than this, which would understate the
// ceiling the engines are held against.
using u64x4 = std::uint64_t __attribute__((vector_size(32)));

std::uint64_t sum_slice(const std::uint64_t* p, std::size_t n) {
    u64x4 a0{}, a1{}, a2{}, a3{};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        u64x4 v0, v1, v2, v3;
        std::memcpy(&v0, p + i, 32);  // memcpy: the slice start need not be 32-byte aligned
        std::memcpy(&v1, p + i + 4, 32);
        std::memcpy(&v2, p + i + 8, 32);
        std::memcpy(&v3, p + i + 12, 32);
        a0 += v0;
        a1 += v1;
        a2 += v2;
        a3 += v3;
    }
    const u64x4 a = a0 + a1 + a2 + a3;
    std::uint64_t s = a[0] + a[1] + a[2] + a[3];
    for (; i < n; ++i) s += p[i];
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::size_t mb = 1024;
    int reps = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const long v = std::atol(argv[i + 1]);
        if (a == "--threads" && v > 0) threads = static_cast<unsigned>(v);
        else if (a == "--mb" && v > 0) mb = static_cast<std::size_t>(v);
        else if (a == "--reps" && v > 0) reps = static_cast<int>(v);
        else {
            std::fprintf(stderr, "usage: %s [--threads N] [--mb MB] [--reps N]\n", argv[0]);
            return 2;
        }
    }
    const std::size_t n = mb * 1024 * 1024 / sizeof(std::uint64_t);
    std::vector<std::uint64_t> buf(n);
    for (std::size_t i = 0; i < n; ++i) buf[i] = i;  // touch every page before timing

    // Persistent workers released by a barrier per rep, so thread start-up is not timed.
    std::vector<std::uint64_t> sinks(threads, 0);
    std::barrier start(static_cast<std::ptrdiff_t>(threads)), done(static_cast<std::ptrdiff_t>(threads));
    auto slice = [&](unsigned t, const auto& fn) {
        const std::size_t b = n * t / threads, e = n * (t + 1) / threads;
        fn(b, e);
    };
    std::vector<std::thread> workers;
    for (unsigned t = 1; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (int r = 0; r <= reps; ++r) {
                start.arrive_and_wait();
                slice(t, [&](std::size_t b, std::size_t e) { sinks[t] += sum_slice(buf.data() + b, e - b); });
                done.arrive_and_wait();
            }
        });
    std::vector<double> gbs;
    for (int r = 0; r <= reps; ++r) {  // rep 0: warm-up
        start.arrive_and_wait();
        const auto t0 = std::chrono::steady_clock::now();
        slice(0, [&](std::size_t b, std::size_t e) { sinks[0] += sum_slice(buf.data() + b, e - b); });
        done.arrive_and_wait();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r > 0) gbs.push_back(static_cast<double>(n * sizeof(std::uint64_t)) / 1e9 / s);
    }
    for (auto& w : workers) w.join();
    std::uint64_t keep = 0;
    for (auto v : sinks) keep += v;

    auto sorted = gbs;
    std::sort(sorted.begin(), sorted.end());
    std::printf("{\"threads\": %u, \"mb\": %zu, \"best_gbs\": %.3f, \"median_gbs\": %.3f, \"samples_gbs\": [", threads, mb,
                sorted.back(), sorted[sorted.size() / 2]);
    for (std::size_t i = 0; i < gbs.size(); ++i) std::printf("%s%.3f", i ? ", " : "", gbs[i]);
    std::printf("], \"checksum\": %llu}\n", static_cast<unsigned long long>(keep & 0xffff));
    return 0;
}
