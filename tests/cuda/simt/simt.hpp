#pragma once
// A host SIMT harness for hearth's CUDA kernels, for machines without a GPU (CI): the kernel
// templates of backends/cuda/include/hearth/cuda/kernels are compiled by the host compiler and
// executed thread by thread, with CUDA's execution model for the parts they use:
//   - every thread of a block is a host thread (from a reused pool); blocks run one after another;
//   - __syncthreads is a barrier over the block's threads;
//   - __syncwarp is a barrier over the warp's 32 lanes;
//   - __shfl_xor_sync / __shfl_sync exchange values between the 32 lanes of a warp (lane =
//     linear thread index % 32) through per-warp slots and a warp barrier;
//   - __shared__ variables become function statics: one instance shared by the block's threads
//     (blocks never overlap, so one instance is enough);
//   - threads that return early drop out of the barriers, as exited CUDA threads do.
// It checks the kernels' indexing, shared-memory use, warp reductions and block/split merging;
// the device intrinsics behind portable.hpp take their host paths here (their device paths are
// checked against the host ones by test_cuda_device on a GPU).
//
// Include this BEFORE any hearth CUDA kernel header, in a translation unit of its own: the
// macros below stand in for CUDA's keywords in that unit only.
#if defined(__CUDACC__)
#error "simt.hpp emulates CUDA on the host; do not compile it with nvcc"
#endif
#include <barrier>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) alignas(n)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace simt {

// Two slot arrays used in turns: a lane that has read exchange k and written exchange k+1 cannot
// overwrite k's slots before every lane has passed k+1's barrier, i.e. has read k. One barrier
// per exchange.
struct warp_state {
    std::barrier<> sync{32};
    std::uint64_t slots[2][32] = {};
};

struct block_state {
    explicit block_state(unsigned threads) : sync(threads) {
        for (unsigned w = 0; w < threads / 32; ++w) warps.push_back(std::make_unique<warp_state>());
    }
    std::barrier<> sync;
    std::vector<std::unique_ptr<warp_state>> warps;
};

struct thread_state {
    block_state* block = nullptr;
    unsigned warp = 0, lane = 0;
    unsigned exchanges = 0;  // parity picks the slot array
};
inline thread_local thread_state self;

template <class T>
T exchange(T v, unsigned src_lane) {
    static_assert(sizeof(T) <= 8);
    warp_state& w = *self.block->warps[self.warp];
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    const unsigned turn = self.exchanges++ % 2;
    w.slots[turn][self.lane] = bits;
    w.sync.arrive_and_wait();
    const std::uint64_t got = w.slots[turn][src_lane % 32];
    T out;
    std::memcpy(&out, &got, sizeof(T));
    return out;
}

}  // namespace simt

inline thread_local dim3 threadIdx{0, 0, 0}, blockIdx{0, 0, 0}, blockDim, gridDim;

inline void __syncthreads() { simt::self.block->sync.arrive_and_wait(); }
// A barrier over the warp's lanes (the one the shuffles use: every lane passes the same sequence).
inline void __syncwarp(unsigned = 0xffffffffu) { simt::self.block->warps[simt::self.warp]->sync.arrive_and_wait(); }
template <class T>
T __shfl_xor_sync(unsigned, T v, int lane_mask) {
    return simt::exchange(v, simt::self.lane ^ static_cast<unsigned>(lane_mask));
}
template <class T>
T __shfl_sync(unsigned, T v, int src_lane) {
    return simt::exchange(v, static_cast<unsigned>(src_lane));
}

namespace simt {

// Host threads that play the CUDA threads of one block at a time (created once, reused: creating
// 128 threads per block would cost more than running most blocks).
class thread_pool {
public:
    ~thread_pool() {
        {
            const std::lock_guard<std::mutex> lock(m_);
            stop_ = true;
        }
        start_.notify_all();
        for (auto& w : workers_) w.join();
    }
    // Runs f(0) .. f(n - 1) on n threads, returns when all are done.
    void run(unsigned n, const std::function<void(unsigned)>& f) {
        std::unique_lock<std::mutex> lock(m_);
        while (workers_.size() < n) workers_.emplace_back([this, i = static_cast<unsigned>(workers_.size())] { work(i); });
        job_ = &f, active_ = n, remaining_ = n, ++generation_;
        start_.notify_all();
        done_.wait(lock, [&] { return remaining_ == 0; });
        job_ = nullptr;
    }

private:
    void work(unsigned i) {
        std::uint64_t seen = 0;
        std::unique_lock<std::mutex> lock(m_);
        for (;;) {
            start_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            if (i >= active_) continue;
            const auto* f = job_;
            lock.unlock();
            (*f)(i);
            lock.lock();
            if (--remaining_ == 0) done_.notify_one();
        }
    }
    std::mutex m_;
    std::condition_variable start_, done_;
    std::vector<std::thread> workers_;
    const std::function<void(unsigned)>* job_ = nullptr;
    unsigned active_ = 0, remaining_ = 0;
    std::uint64_t generation_ = 0;
    bool stop_ = false;
};

inline thread_pool& pool() {
    static thread_pool p;
    return p;
}

// The `Launch` of the kernels' run_* functions: runs every block of the grid, each with all its
// threads, before returning.
struct launch {
    std::size_t launches = 0, blocks = 0;  // counted, so tests can see that a path was taken

    template <class... Params, class... Args>
    void operator()(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t, const Args&... args) {
        const unsigned n = block.x * block.y * block.z;
        if (n == 0 || n % 32 != 0 || n > 1024) throw std::invalid_argument("simt: blocks must be whole warps, at most 1024 threads");
        ++launches;
        for (unsigned bz = 0; bz < grid.z; ++bz)
            for (unsigned by = 0; by < grid.y; ++by)
                for (unsigned bx = 0; bx < grid.x; ++bx) {
                    ++blocks;
                    block_state state(n);
                    pool().run(n, [&](unsigned t) {
                        threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
                        blockIdx = dim3(bx, by, bz);
                        blockDim = block, gridDim = grid;
                        self = thread_state{&state, t / 32, t % 32, 0};
                        kernel(args...);
                        state.sync.arrive_and_drop();
                        state.warps[t / 32]->sync.arrive_and_drop();
                    });
                }
    }
};

}  // namespace simt
