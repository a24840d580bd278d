#pragma once
// A fixed set of worker threads that live as long as the backend and park between jobs.
//
// Decoding one token runs a few hundred small ops; creating threads per op would cost more than
// the ops. Workers spin briefly after a job (the next op usually follows within microseconds),
// then sleep on a futex-backed std::atomic::wait so an idle model burns no CPU.
#include <hearth/config.hpp>
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

namespace detail {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}
// Set while a thread executes a job of some pool: a nested parallel_for then runs inline
// instead of deadlocking on workers that are busy with the outer job.
inline thread_local bool inside_pool_job = false;
}  // namespace detail

class thread_pool {
public:
    using job = std::function<void(unsigned, std::size_t, std::size_t)>;

    explicit thread_pool(unsigned n_threads = std::thread::hardware_concurrency())
        : size_(n_threads == 0 ? 1u : n_threads) {
        workers_.reserve(size_ - 1);
        for (unsigned i = 1; i < size_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        stop_.store(true, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        for (auto& w : workers_) w.join();
    }

    unsigned size() const noexcept { return size_; }

    // Runs fn(thread_index, begin, end) over [0, n) split into contiguous chunks whose bounds are
    // multiples of `grain` (except the end). Every thread, the caller included, claims chunks
    // until none are left; thread_index (< size()) names the thread that runs the chunk, so
    // per-thread scratch can be indexed by it (a thread may run several chunks, one at a time).
    // An exception thrown by fn on any thread is rethrown here after all chunks finished.
    //
    // Why claimed, not assigned: with one fixed chunk per thread, a thread the OS deschedules
    // (another program on the machine, a slower efficiency core) holds up every op of a forward
    // pass; decode ran 6x slower with a compiler busy on one of two cores. A few chunks per
    // thread let the running threads take over a late one's share.
    void parallel_for(std::size_t n, const job& fn, std::size_t grain = 1) {
        if (n == 0) return;
        if (grain == 0) grain = 1;
        const std::size_t units = (n + grain - 1) / grain;
        const std::size_t chunks = std::min({units, std::size_t{size_} * chunks_per_thread, std::size_t{0xffff}});
        if (size_ == 1 || chunks <= 1 || detail::inside_pool_job) {
            fn(0, 0, n);
            return;
        }
        std::lock_guard<std::mutex> caller_lock(caller_mutex_);  // one job at a time per pool
        job_ = &fn;
        n_ = n;
        grain_ = grain;
        units_ = units;
        error_ = nullptr;
        done_.store(0, std::memory_order_relaxed);
        const std::uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
        claim_.store(pack(gen, static_cast<std::uint32_t>(chunks), 0), std::memory_order_release);
        generation_.store(gen, std::memory_order_release);
        generation_.notify_all();

        run_chunks(0, gen);

        // Wait for chunks still running on workers; spin first because they finish together.
        for (int spin = 0;; ++spin) {
            const unsigned d = done_.load(std::memory_order_acquire);
            if (d == chunks) break;
            if (spin < spin_limit) detail::cpu_relax();
            else done_.wait(d, std::memory_order_acquire);
        }
        job_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

private:
    static constexpr int spin_limit = 1 << 14;
    static constexpr std::size_t chunks_per_thread = 4;

    // claim_ packs the job's generation (32 bits), its chunk count (16) and the next unclaimed
    // chunk (16): a thread that wakes late, after its job ended, fails the generation check
    // instead of taking a chunk of the next job with the old one's bounds.
    static std::uint64_t pack(std::uint64_t gen, std::uint32_t chunks, std::uint32_t next) noexcept {
        return (gen & 0xffffffffu) << 32 | std::uint64_t{chunks} << 16 | next;
    }

    // Claims and runs chunks of job `gen` until none is left.
    void run_chunks(unsigned thread, std::uint64_t gen) noexcept {
        std::uint64_t c = claim_.load(std::memory_order_acquire);
        for (;;) {
            const std::uint32_t chunks = (c >> 16) & 0xffffu, next = c & 0xffffu;
            if ((c >> 32) != (gen & 0xffffffffu) || next >= chunks) return;
            if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;
            run_chunk(thread, next, chunks);
            if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) done_.notify_one();
            c = claim_.load(std::memory_order_acquire);
        }
    }

    void run_chunk(unsigned thread, std::size_t index, std::size_t chunks) noexcept {
        const std::size_t begin = std::min(n_, units_ * index / chunks * grain_);
        const std::size_t end = std::min(n_, units_ * (index + 1) / chunks * grain_);
        if (begin >= end) return;
        detail::inside_pool_job = true;
        try {
            (*job_)(thread, begin, end);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
        }
        detail::inside_pool_job = false;
    }

    void worker_loop(unsigned index) {
        std::uint64_t seen = 0;
        for (;;) {
            // Park until the generation moves on: spin a little, then sleep in the kernel.
            std::uint64_t g = generation_.load(std::memory_order_acquire);
            for (int spin = 0; g == seen; ++spin) {
                if (spin < spin_limit) {
                    detail::cpu_relax();
                } else {
                    generation_.wait(seen, std::memory_order_acquire);
                }
                g = generation_.load(std::memory_order_acquire);
            }
            seen = g;
            if (stop_.load(std::memory_order_relaxed)) return;
            run_chunks(index, g);
        }
    }

    unsigned size_;
    std::vector<std::thread> workers_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<std::uint64_t> claim_{0};
    std::atomic<unsigned> done_{0};
    std::atomic<bool> stop_{false};
    std::mutex caller_mutex_;
    std::mutex error_mutex_;
    // The current job; written by the caller before claim_ is published (release), read only by
    // a thread that claimed one of its chunks (acquire), which the caller waits for.
    const job* job_ = nullptr;
    std::size_t n_ = 0, grain_ = 1, units_ = 0;
    std::exception_ptr error_;
};

}  // namespace cpu
HEARTH_NAMESPACE_END
