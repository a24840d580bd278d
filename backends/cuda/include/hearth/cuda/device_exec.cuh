#pragma once
// device_exec: the CUDA backend's executor on the GPU. One device, one stream: every op is a
// kernel launch enqueued on it, so ops run in the order the graph calls them and the host waits
// only where it reads results (read_rows/read_bytes synchronise the stream).
//
// Memory:
//   - device buffers from cudaMalloc, zero-filled on the stream; their deleter waits for the device
//     before cudaFree, so a buffer a queued kernel still reads is never freed under it;
//   - weights are copied from the file mapping through two pinned staging buffers in turns
//     (memcpy into one while the DMA of the other runs): no second full host copy of the model;
//   - small per-op arrays (token ids, positions, cell arrays) go through a pinned ring and its
//     device twin; a slice is reused only after a stream synchronisation, which is done when the
//     ring wraps (rarely: a forward needs a few KB).
// A machine without a usable device or driver gets hearth::error(errc::device) from the
// constructor, saying what to do.
#include <hearth/cuda/check.cuh>
#include <hearth/cuda/device_options.hpp>
#include <hearth/cuda/kernels/attention.cuh>
#include <hearth/cuda/kernels/matmul.cuh>
#include <hearth/cuda/kernels/quantize.cuh>
#include <hearth/cuda/kernels/row_ops.cuh>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/tensors.hpp>
#include <hearth/error.hpp>
#include <cuda_runtime.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

// Launches a kernel on the stream: the `Launch` the kernels' run_* functions are written against
// (the SIMT test harness supplies another one that runs the same kernels on the host).
struct stream_launch {
    cudaStream_t stream = nullptr;
    template <class... Params, class... Args>
    void operator()(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes, const Args&... args) const {
        kernel<<<grid, block, shared_bytes, stream>>>(args...);
    }
};

namespace detail {
struct pinned_deleter {
    void operator()(std::uint8_t* p) const noexcept { cudaFreeHost(p); }
};
using pinned_ptr = std::unique_ptr<std::uint8_t[], pinned_deleter>;

inline pinned_ptr make_pinned(std::size_t bytes, const char* what) {
    void* p = nullptr;
    check_cuda(cudaMallocHost(&p, bytes), what);
    return pinned_ptr(static_cast<std::uint8_t*>(p));
}

inline memory make_device(std::size_t bytes, cudaStream_t s, const char* what) {
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes == 0 ? 1 : bytes);
    if (e == cudaErrorMemoryAllocation)
        throw error(errc::out_of_memory, std::string("cuda: out of device memory allocating ") + std::to_string(bytes) +
                                             " bytes for " + what);
    check_cuda(e, what);
    memory m(static_cast<std::uint8_t*>(p), [](std::uint8_t* q) {
        cudaDeviceSynchronize();  // kernels still queued may read it
        cudaFree(q);
    });
    check_cuda(cudaMemsetAsync(p, 0, bytes, s), what);
    return m;
}

// Which device to use, or an error that says why none can be.
inline int pick_device(int wanted) {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear the sticky error so later runtime calls are not blamed
        throw error(errc::device, std::string("cuda: no usable CUDA device (cudaGetDeviceCount: ") + cudaGetErrorName(e) +
                                      ", " + cudaGetErrorString(e) +
                                      "): install or update the NVIDIA driver for this CUDA runtime, check "
                                      "CUDA_VISIBLE_DEVICES, or use the CPU backend");
    }
    if (count == 0)
        throw error(errc::device, "cuda: no CUDA device is visible: check the driver and CUDA_VISIBLE_DEVICES, or use "
                                  "the CPU backend");
    if (wanted < 0 || wanted >= count)
        throw error(errc::device, "cuda: device " + std::to_string(wanted) + " was asked for, but " +
                                      std::to_string(count) + " device(s) are visible (0.." + std::to_string(count - 1) + ")");
    return wanted;
}
}  // namespace detail

class device_exec {
public:
    explicit device_exec(const device_options& o = {}) : device_(detail::pick_device(o.device)) {
        check_cuda(cudaSetDevice(device_), "cudaSetDevice");
        cudaDeviceProp prop{};
        check_cuda(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
        if (prop.major * 10 + prop.minor < 75)
            throw error(errc::device, std::string("cuda: ") + prop.name + " has compute capability " +
                                          std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                                          "; hearth's CUDA kernels need 7.5 (Turing) or newer");
        sm_count_ = prop.multiProcessorCount;
        name_ = std::string("cuda (") + prop.name + ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
        check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
        launch_.stream = stream_;
        const char* env = std::getenv("HEARTH_CUDA_GRAPHS");
        graphs_ = env && *env ? std::string(env) != "0" : o.graphs;
        try {
            staging_bytes_ = o.staging_bytes ? o.staging_bytes : 1;
            for (int i = 0; i < 2; ++i) {
                staging_[i] = detail::make_pinned(staging_bytes_, "pinned staging buffer");
                check_cuda(cudaEventCreateWithFlags(&staged_[i], cudaEventDisableTiming), "cudaEventCreate");
            }
            grow_ring(o.ring_bytes ? o.ring_bytes : 4096);
        } catch (...) {
            release();
            throw;
        }
    }
    device_exec(const device_exec&) = delete;
    device_exec& operator=(const device_exec&) = delete;
    ~device_exec() { release(); }

    const char* name() const { return name_.c_str(); }
    // For a program's own kernels: what was enqueued before runs first (a graph being captured is
    // launched now, so work on the stream keeps its order).
    cudaStream_t stream() {
        flush();
        return stream_;
    }
    int device() const { return device_; }
    bool graphs() const { return graphs_; }

    // ---- memory ----------------------------------------------------------------------------
    memory alloc(std::size_t bytes) {
        flush();  // allocating (and freeing what it replaces) is no part of a graph
        return detail::make_device(bytes, stream_, "a tensor");
    }

    // From (mapped) host memory to the device, through the pinned buffers in turns.
    void upload(void* dst, const void* src, std::size_t bytes) {
        flush();
        auto* d = static_cast<std::uint8_t*>(dst);
        const auto* s = static_cast<const std::uint8_t*>(src);
        for (std::size_t off = 0; off < bytes; off += staging_bytes_) {
            const std::size_t n = std::min(staging_bytes_, bytes - off);
            check_cuda(cudaEventSynchronize(staged_[next_]), "waiting for a staging buffer");
            std::memcpy(staging_[next_].get(), s + off, n);
            check_cuda(cudaMemcpyAsync(d + off, staging_[next_].get(), n, cudaMemcpyHostToDevice, stream_), "weight upload");
            check_cuda(cudaEventRecord(staged_[next_], stream_), "cudaEventRecord");
            next_ ^= 1;
        }
    }

    // A device copy of a small host array, readable by the ops enqueued after this call. Every
    // layer of a forward stages the same arrays (positions, cells, slots): one already in the
    // ring with the same bytes is reused rather than copied again.
    template <class T>
    const T* stage(std::span<const T> host) {
        const std::size_t bytes = host.size_bytes();
        if (bytes == 0) return nullptr;
        begin_capture();
        for (const staged_array& s : staged_list_)
            if (s.bytes == bytes && std::memcmp(ring_host_.get() + s.at, host.data(), bytes) == 0)
                return reinterpret_cast<const T*>(ring_dev_.get() + s.at);
        if (bytes > ring_bytes_) flush(), grow_ring(2 * bytes);
        if (ring_at_ + bytes > ring_bytes_) {
            flush();
            check_cuda(cudaStreamSynchronize(stream_), "waiting for the ring of op arguments");
            ring_at_ = 0, staged_list_.clear();
        }
        if (staged_list_.size() == max_staged_list) staged_list_.erase(staged_list_.begin());
        staged_list_.push_back({ring_at_, bytes});
        begin_capture();
        std::memcpy(ring_host_.get() + ring_at_, host.data(), bytes);
        check_cuda(cudaMemcpyAsync(ring_dev_.get() + ring_at_, ring_host_.get() + ring_at_, bytes, cudaMemcpyHostToDevice,
                                   stream_),
                   "op argument upload");
        const T* p = reinterpret_cast<const T*>(ring_dev_.get() + ring_at_);
        ring_at_ += (bytes + 255) / 256 * 256;
        return p;
    }

    void read_rows(float* out, const float* src, std::size_t rows, std::size_t cols, std::size_t stride) {
        flush();
        if (rows * cols)
            check_cuda(cudaMemcpy2DAsync(out, cols * sizeof(float), src, stride * sizeof(float), cols * sizeof(float), rows,
                                         cudaMemcpyDeviceToHost, stream_),
                       "reading a tensor");
        synchronize();
    }
    void write_rows(float* dst, std::size_t stride, const float* in, std::size_t rows, std::size_t cols) {
        flush();  // from pageable memory: not capturable
        if (rows * cols)
            check_cuda(cudaMemcpy2DAsync(dst, stride * sizeof(float), in, cols * sizeof(float), cols * sizeof(float), rows,
                                         cudaMemcpyHostToDevice, stream_),
                       "writing a tensor");
    }
    void read_bytes(void* out, const void* src, std::size_t bytes) {
        flush();
        if (bytes) check_cuda(cudaMemcpyAsync(out, src, bytes, cudaMemcpyDeviceToHost, stream_), "reading device memory");
        synchronize();
    }
    // Waits for every op enqueued so far; errors raised inside kernels are reported here.
    void synchronize() {
        flush();
        check_cuda(cudaStreamSynchronize(stream_), "running the enqueued kernels");
    }

    // ---- ops -------------------------------------------------------------------------------
    void quantize(const quantize_args& a) { enqueue("quantize kernel", [&] { kernels::run_quantize(launch_, a); }); }
    void matmul(const matmul_args& a) { enqueue("matmul kernel", [&] { kernels::run_matmul(launch_, a); }); }
    void get_rows(const get_rows_args& a) { enqueue("get_rows kernel", [&] { kernels::run_get_rows(launch_, a); }); }
    void eltwise(const eltwise_args& a) { enqueue("element-wise kernel", [&] { kernels::run_eltwise(launch_, a); }); }
    void rms_norm(const rms_norm_args& a) { enqueue("rms_norm kernel", [&] { kernels::run_rms_norm(launch_, a); }); }
    void rope(const rope_args& a) { enqueue("rope kernel", [&] { kernels::run_rope(launch_, a); }); }
    void hadamard(const hadamard_args& a) { enqueue("hadamard kernel", [&] { kernels::run_hadamard(launch_, a); }); }
    void kv_store(const kv_store_args& k, const kv_store_args& v) {
        enqueue("KV store kernel", [&] { kernels::run_kv_store(launch_, k, v); });
    }
    void attention(const attention_args& a) {
        if (a.n_tokens == 0) return;
        const std::size_t splits = kernels::attention_splits(a, sm_count_);
        const std::size_t floats = kernels::attention_partial_floats(a, splits);
        if (floats > partial_floats_) {
            flush();  // the old buffer is freed after the work that reads it
            partials_ = detail::make_device(floats * sizeof(float), stream_, "attention partials"), partial_floats_ = floats;
        }
        enqueue("attention kernel",
                [&] { kernels::run_attention(launch_, a, splits, reinterpret_cast<float*>(partials_.get())); });
    }

private:
    // ---- graphs ----------------------------------------------------------------------------
    // A decode step is some 25 small kernels per layer; launched one by one, each costs the GPU a
    // few microseconds between kernels. With graphs on, the ops between two synchronising calls
    // (reads, writes, allocations: a forward pass) are captured in segments of graph_segment_ops
    // ops, each launched as soon as it is captured, so the GPU runs one segment while the host
    // captures the next. Segment i of the next forward updates segment i's instantiated graph in
    // place when its shape is the same (cudaGraphExecUpdate: new positions, cell counts and grid
    // sizes), and is instantiated afresh when it is not (prefill after decode).
    static constexpr std::size_t graph_segment_ops = 32;
    template <class F>
    void enqueue(const char* what, F&& f) {
        begin_capture();
        try {
            f();
            check_launch(what);
        } catch (...) {
            abort_capture();
            throw;
        }
        if (capturing_ && ++captured_ops_ == graph_segment_ops) launch_segment(false);
    }
    void begin_capture() {
        if (!graphs_ || capturing_) return;
        if (segment_ == 0) {
            // A new forward: the last one's graphs have read the ring once the stream is idle.
            check_cuda(cudaStreamSynchronize(stream_), "waiting for the last forward");
            ring_at_ = 0, staged_list_.clear();
        }
        check_cuda(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed), "cudaStreamBeginCapture");
        capturing_ = true, captured_ops_ = 0;
    }
    // Ends the forward's capture and launches what it holds (nothing when no capture is open).
    void flush() {
        launch_segment(true);
        segment_ = 0;
    }
    void launch_segment(bool last) {
        if (!capturing_) return;
        capturing_ = false;
        cudaGraph_t g = nullptr;
        check_cuda(cudaStreamEndCapture(stream_, &g), "capturing a forward pass into a CUDA graph");
        try {
            if (segment_ == graph_execs_.size()) graph_execs_.push_back(nullptr);
            cudaGraphExec_t& exec = graph_execs_[segment_];
            if (exec) {
                cudaGraphExecUpdateResultInfo info{};
                if (cudaGraphExecUpdate(exec, g, &info) != cudaSuccess) {
                    cudaGetLastError();  // a different shape: not an error, instantiate it below
                    cudaGraphExecDestroy(exec), exec = nullptr;
                }
            }
            if (!exec) check_cuda(cudaGraphInstantiate(&exec, g, 0), "cudaGraphInstantiate");
            check_cuda(cudaGraphLaunch(exec, stream_), "cudaGraphLaunch");
        } catch (...) {
            cudaGraphDestroy(g);
            segment_ = 0;
            throw;
        }
        cudaGraphDestroy(g);
        segment_ = last ? 0 : segment_ + 1;
    }
    void abort_capture() noexcept {
        if (!capturing_) return;
        capturing_ = false, segment_ = 0;
        cudaGraph_t g = nullptr;
        cudaStreamEndCapture(stream_, &g);
        if (g) cudaGraphDestroy(g);
        cudaGetLastError();
    }

    struct staged_array {
        std::size_t at, bytes;  // where in the ring, how long
    };
    static constexpr std::size_t max_staged_list = 16;

    void grow_ring(std::size_t bytes) {
        if (stream_) check_cuda(cudaStreamSynchronize(stream_), "waiting for the ring of op arguments");
        staged_list_.clear();
        ring_host_ = detail::make_pinned(bytes, "pinned ring of op arguments");
        ring_dev_ = detail::make_device(bytes, stream_, "the ring of op arguments");
        ring_bytes_ = bytes, ring_at_ = 0;
    }
    void release() noexcept {
        abort_capture();
        for (cudaGraphExec_t& e : graph_execs_)
            if (e) cudaGraphExecDestroy(e), e = nullptr;
        if (stream_) cudaStreamSynchronize(stream_);
        for (auto& e : staged_)
            if (e) cudaEventDestroy(e), e = nullptr;
        partials_.reset(), ring_dev_.reset(), ring_host_.reset();
        for (auto& s : staging_) s.reset();
        if (stream_) cudaStreamDestroy(stream_), stream_ = nullptr;
    }

    int device_ = 0;
    int sm_count_ = 1;
    std::string name_;
    cudaStream_t stream_ = nullptr;
    stream_launch launch_;
    detail::pinned_ptr staging_[2];
    cudaEvent_t staged_[2] = {nullptr, nullptr};
    std::size_t staging_bytes_ = 0;
    int next_ = 0;
    detail::pinned_ptr ring_host_;
    memory ring_dev_;
    std::size_t ring_bytes_ = 0, ring_at_ = 0;
    memory partials_;
    std::size_t partial_floats_ = 0;
    std::vector<staged_array> staged_list_;
    bool graphs_ = true, capturing_ = false;
    std::vector<cudaGraphExec_t> graph_execs_;  // one per segment of a forward
    std::size_t segment_ = 0, captured_ops_ = 0;
};

}  // namespace cuda
HEARTH_NAMESPACE_END
