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
#include <memory>
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
        : size_(n_threads == 0 ? 1u : n_threads), shares_(new share[size_]) {
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
    // multiples of `grain` (except the end). thread_index (< size()) names the thread that runs
    // the chunk, so per-thread scratch can be indexed by it (a thread may run several chunks, one
    // at a time). An exception thrown by fn on any thread is rethrown here after all chunks
    // finished.
    //
    // How the work is split: each thread owns one contiguous share of [0, n) and runs it front
    // to back in shrinking pieces (a quarter of what it has left, at least one grain unit). A
    // thread that runs out steals half of what another has left, from the back. So:
    // - a GEMV streams one contiguous slice of the weights per thread, as a static split would;
    // - the end of an op is balanced to about one grain unit, not one fixed chunk (with two
    //   threads sharing memory bandwidth, the one still running at the end runs at half speed);
    // - claiming a piece of its own share touches only that thread's cache line, so taking
    //   many small pieces costs little; threads meet on a line only to steal;
    // - a thread the OS deschedules (another program on the machine, a slower efficiency core)
    //   holds up an op by at most the piece it is running: the others take over its share.
    //   (With one fixed chunk per thread, decode ran 6x slower with a compiler busy on one of
    //   two cores.)
    void parallel_for(std::size_t n, const job& fn, std::size_t grain = 1) {
        if (n == 0) return;
        if (grain == 0) grain = 1;
        std::size_t units = (n + grain - 1) / grain;
        if (size_ == 1 || units <= 1 || detail::inside_pool_job) {
            fn(0, 0, n);
            return;
        }
        if (units > max_units) {  // coarser units (still multiples of grain) so a range fits a word
            grain *= (units + max_units - 1) / max_units;
            units = (n + grain - 1) / grain;
        }
        std::lock_guard<std::mutex> caller_lock(caller_mutex_);  // one job at a time per pool
        job_ = &fn;
        n_ = n;
        grain_ = grain;
        units_ = units;
        error_ = nullptr;
        done_.store(0, std::memory_order_relaxed);
        const std::uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
        for (unsigned i = 0; i < size_; ++i)
            shares_[i].range.store(pack(gen, units * i / size_, units * (i + 1) / size_), std::memory_order_relaxed);
        generation_.store(gen, std::memory_order_release);  // publishes the shares and the job
        generation_.notify_all();

        run_job(0, gen);

        // Wait for pieces still running on workers; spin first because they finish together.
        for (int spin = 0;; ++spin) {
            const std::size_t d = done_.load(std::memory_order_acquire);
            if (d == units) break;
            if (spin < spin_limit) detail::cpu_relax();
            else done_.wait(d, std::memory_order_acquire);
        }
        job_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

private:
    static constexpr int spin_limit = 1 << 14;

    // A share is one 64-bit word: the job's tag (20 bits of its generation), and the first and
    // one-past-last unclaimed units (22 bits each). Owner and thieves claim with a compare-
    // exchange of the whole word, so a piece is taken once; a thread that looks late, after its
    // job ended, fails the tag check instead of taking units of the next job with the old
    // one's bounds.
    static constexpr unsigned range_bits = 22;
    static constexpr std::uint64_t range_mask = (std::uint64_t{1} << range_bits) - 1;
    static constexpr std::size_t max_units = range_mask;
    static constexpr std::uint64_t tag_mask = (std::uint64_t{1} << (64 - 2 * range_bits)) - 1;
    static std::uint64_t pack(std::uint64_t gen, std::uint64_t begin, std::uint64_t end) noexcept {
        return (gen & tag_mask) << (2 * range_bits) | begin << range_bits | end;
    }
    static bool same_job(std::uint64_t word, std::uint64_t gen) noexcept {
        return (word >> (2 * range_bits)) == (gen & tag_mask);
    }
    static std::uint64_t first(std::uint64_t word) noexcept { return (word >> range_bits) & range_mask; }
    static std::uint64_t last(std::uint64_t word) noexcept { return word & range_mask; }

    // Claims a piece of share `s` of job `gen`: from the front when the caller owns it (a
    // quarter of what is left), from the back when it steals (half). Returns false when the
    // share is empty or belongs to another job.
    bool claim(unsigned s, bool own, std::uint64_t gen, std::size_t& begin, std::size_t& end) noexcept {
        std::atomic<std::uint64_t>& range = shares_[s].range;
        std::uint64_t w = range.load(std::memory_order_acquire);
        for (;;) {
            if (!same_job(w, gen)) return false;
            const std::uint64_t b = first(w), e = last(w);
            if (b >= e) return false;
            const std::uint64_t take = std::max<std::uint64_t>(1, (e - b) / (own ? 4 : 2));
            const std::uint64_t next = own ? pack(gen, b + take, e) : pack(gen, b, e - take);
            if (range.compare_exchange_weak(w, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
                begin = own ? b : e - take;
                end = own ? b + take : e;
                return true;
            }
        }
    }

    // Runs pieces of job `gen` (its own share first, then stolen ones) until every share is
    // empty, then counts the units it ran into done_ once.
    void run_job(unsigned thread, std::uint64_t gen) noexcept {
        std::size_t ran = 0, begin = 0, end = 0;
        for (;;) {
            bool got = claim(thread, true, gen, begin, end);
            for (unsigned i = 1; !got && i < size_; ++i) got = claim((thread + i) % size_, false, gen, begin, end);
            if (!got) break;
            run_units(thread, begin, end);
            ran += end - begin;
        }
        if (ran == 0) return;
        // Read before counting: once the count is complete the caller may start the next job
        // and overwrite units_ (this thread ran units of this job, so it cannot have ended yet).
        const std::size_t total = units_;
        if (done_.fetch_add(ran, std::memory_order_acq_rel) + ran == total) done_.notify_one();
    }

    void run_units(unsigned thread, std::size_t unit_begin, std::size_t unit_end) noexcept {
        const std::size_t begin = std::min(n_, unit_begin * grain_);
        const std::size_t end = std::min(n_, unit_end * grain_);
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
            run_job(index, g);
        }
    }

    // One share per thread, each on its own cache line: claiming from one's own share does not
    // disturb the other threads.
    struct alignas(64) share {
        std::atomic<std::uint64_t> range{0};
    };

    unsigned size_;
    std::vector<std::thread> workers_;
    std::atomic<std::uint64_t> generation_{0};
    std::unique_ptr<share[]> shares_;
    std::atomic<std::size_t> done_{0};  // units run, counted by each thread once per job
    std::atomic<bool> stop_{false};
    std::mutex caller_mutex_;
    std::mutex error_mutex_;
    // The current job; written by the caller before the generation is published (release), read
    // only by a thread that claimed one of its pieces, which the caller waits for.
    const job* job_ = nullptr;
    std::size_t n_ = 0, grain_ = 1, units_ = 0;
    std::exception_ptr error_;
};

}  // namespace cpu
HEARTH_NAMESPACE_END
