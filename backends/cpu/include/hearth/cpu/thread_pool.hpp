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

    // Runs fn(thread_index, begin, end) over [0, n) split into at most size() contiguous chunks
    // whose bounds are multiples of `grain` (except the end). The calling thread runs chunk 0.
    // Thread index i always receives the i-th chunk, so per-thread scratch can be indexed by it.
    // An exception thrown by fn on any thread is rethrown here after all chunks finished.
    void parallel_for(std::size_t n, const job& fn, std::size_t grain = 1) {
        if (n == 0) return;
        if (grain == 0) grain = 1;
        const std::size_t units = (n + grain - 1) / grain;
        const unsigned chunks = static_cast<unsigned>(std::min<std::size_t>(size_, units));
        if (chunks <= 1 || detail::inside_pool_job) {
            fn(0, 0, n);
            return;
        }
        std::lock_guard<std::mutex> caller_lock(caller_mutex_);  // one job at a time per pool
        job_ = &fn;
        n_ = n;
        grain_ = grain;
        units_ = units;
        chunks_ = chunks;
        error_ = nullptr;
        pending_.store(size_ - 1, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();

        run_chunk(0);

        // Wait for the workers; spin first because chunks are balanced and finish together.
        for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
            if (spin < spin_limit) {
                detail::cpu_relax();
            } else {
                const unsigned p = pending_.load(std::memory_order_acquire);
                if (p != 0) pending_.wait(p, std::memory_order_acquire);
            }
        }
        job_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

private:
    static constexpr int spin_limit = 1 << 14;

    void chunk_bounds(unsigned index, std::size_t& begin, std::size_t& end) const noexcept {
        begin = std::min(n_, units_ * index / chunks_ * grain_);
        end = std::min(n_, units_ * (index + 1) / chunks_ * grain_);
    }

    void run_chunk(unsigned index) noexcept {
        if (index >= chunks_) return;
        std::size_t begin = 0, end = 0;
        chunk_bounds(index, begin, end);
        if (begin >= end) return;
        detail::inside_pool_job = true;
        try {
            (*job_)(index, begin, end);
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
            run_chunk(index);
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
        }
    }

    unsigned size_;
    std::vector<std::thread> workers_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<unsigned> pending_{0};
    std::atomic<bool> stop_{false};
    std::mutex caller_mutex_;
    std::mutex error_mutex_;
    // The current job; written by the caller before the generation bump (release), read by
    // workers after observing it (acquire).
    const job* job_ = nullptr;
    std::size_t n_ = 0, grain_ = 1, units_ = 0;
    unsigned chunks_ = 0;
    std::exception_ptr error_;
};

}  // namespace cpu
HEARTH_NAMESPACE_END
