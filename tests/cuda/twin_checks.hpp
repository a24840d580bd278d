#pragma once
// The CUDA kernels against their host twins, bit for bit, through the backend API: B is the backend
// running the kernels (the GPU, or the SIMT harness on the host). The twins define the order of
// every float sum of the matmul (reference/matmul.hpp) and use the same decoders, so any
// difference is a kernel bug, not rounding.
#include "cuda_test_support.hpp"
#include <hearth/cuda/reference/exec.hpp>
#include <initializer_list>

namespace cuda_test {

template <class B>
void check_matches_twin(B& b, hearth::cuda::reference_backend& twin, std::size_t rows, std::size_t k,
                        std::initializer_list<std::size_t> token_counts) {
    std::uint32_t seed = 7000;
    for (hearth::dtype t : weight_types()) {
        auto w = make_weight(t, rows, k, random_floats(rows * k, seed++, -1.0f, 1.0f));
        const auto bw = b.load(w->view);
        const auto tw = twin.load(w->view);
        std::vector<float> last_of_batch;
        for (std::size_t n : token_counts) {
            const auto x = random_floats(n * k, 555, -3.0f, 3.0f);  // same seed: token rows are prefixes
            auto bx = b.alloc(n, k), by = b.alloc(n, rows);
            auto tx = twin.alloc(n, k), ty = twin.alloc(n, rows);
            b.write(bx, x), twin.write(tx, x);
            b.matmul(bw, bx, by), twin.matmul(tw, tx, ty);
            const auto got = read(b, by);
            INFO(type_name(t) << " x " << n << " tokens");
            CHECK(bit_equal(got, read(twin, ty)));
            // Token 0's row is the same input in every batch: its result must not depend on the batch.
            const std::vector<float> first(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(rows));
            if (!last_of_batch.empty()) CHECK(bit_equal(first, last_of_batch));
            last_of_batch = first;
        }
        const std::vector<std::int32_t> ids{3, 0, static_cast<std::int32_t>(rows - 1), 7};
        auto bo = b.alloc(ids.size(), k), to = twin.alloc(ids.size(), k);
        b.get_rows(bw, ids, bo), twin.get_rows(tw, ids, to);
        INFO(type_name(t) << " get_rows");
        CHECK(bit_equal(read(b, bo), read(twin, to)));
    }
}

}  // namespace cuda_test
