#pragma once
// simt_exec: the CUDA backend's executor with host memory (as reference_exec) whose ops launch the
// real CUDA kernels through the SIMT harness (simt.hpp) instead of the host twins. With
// basic_backend<simt_exec>, every check written for the GPU runs the kernels on machines without one.
#include "simt.hpp"
#include <hearth/cuda/kernels/attention.cuh>
#include <hearth/cuda/kernels/matmul.cuh>
#include <hearth/cuda/kernels/quantize.cuh>
#include <hearth/cuda/kernels/row_ops.cuh>
#include <hearth/cuda/reference/exec.hpp>

namespace simt {

class exec : public hearth::cuda::reference_exec {
public:
    // The attention kernel splits cells over blocks by the number of multiprocessors and a least
    // number of cells per split; a small GPU (8 SMs) and 16 cells make the split-and-merge path
    // run at the small sizes the harness affords.
    static constexpr int sm_count = 8;
    std::size_t min_cells_per_split = 16;  // tests raise it to keep many cells in one block

    const char* name() const { return "cuda kernels on the host SIMT harness"; }

    void quantize(const hearth::cuda::quantize_args& a) {
        if (a.has_glu) ++rounding_glus;
        hearth::cuda::kernels::run_quantize(launch_, a);
    }
    void matmul(const hearth::cuda::matmul_args& a) {
        if (a.n_parts > 1) ++grouped_matmuls;
        hearth::cuda::kernels::run_matmul(launch_, a);
    }
    void get_rows(const hearth::cuda::get_rows_args& a) { hearth::cuda::kernels::run_get_rows(launch_, a); }
    void eltwise(const hearth::cuda::eltwise_args& a) { hearth::cuda::kernels::run_eltwise(launch_, a); }
    void rms_norm(const hearth::cuda::rms_norm_args& a) {
        if (a.addend) ++fused_norms;
        if (a.quant_out) ++rounding_norms;
        hearth::cuda::kernels::run_rms_norm(launch_, a);
    }
    void rope(const hearth::cuda::rope_args& a) {
        if (a.x2) ++paired_ropes;
        hearth::cuda::kernels::run_rope(launch_, a);
    }
    void hadamard(const hearth::cuda::hadamard_args& a) {
        if (a.n_more) ++grouped_hadamards;
        hearth::cuda::kernels::run_hadamard(launch_, a);
    }
    void kv_store(const hearth::cuda::kv_store_args& k, const hearth::cuda::kv_store_args& v) {
        hearth::cuda::kernels::run_kv_store(launch_, k, v);
    }
    void attention(const hearth::cuda::attention_args& a) {
        if (a.n_tokens == 0) return;
        const std::size_t splits = hearth::cuda::kernels::attention_splits(a, sm_count, min_cells_per_split);
        const std::size_t floats = hearth::cuda::kernels::attention_partial_floats(a, splits);
        if (floats > partial_floats_) partials_ = alloc(floats * sizeof(float)), partial_floats_ = floats;
        hearth::cuda::kernels::run_attention(launch_, a, splits, reinterpret_cast<float*>(partials_.get()));
        if (splits > 1) ++split_attentions;
    }

    std::size_t split_attentions = 0;  // attention calls that took the split-and-merge path
    std::size_t grouped_matmuls = 0;   // matmul launches of several weights
    std::size_t paired_ropes = 0;      // rope launches of two tensors
    std::size_t fused_norms = 0;       // rms_norm launches that did a residual add first
    std::size_t rounding_norms = 0;    // rms_norm launches that rounded their output for a matmul
    std::size_t rounding_glus = 0;     // quantize launches that computed a gated unit
    std::size_t grouped_hadamards = 0; // hadamard launches of several tensors
    simt::launch& launcher() { return launch_; }

private:
    simt::launch launch_;
    hearth::cuda::memory partials_;
    std::size_t partial_floats_ = 0;
};

using backend = hearth::cuda::basic_backend<exec>;

}  // namespace simt
