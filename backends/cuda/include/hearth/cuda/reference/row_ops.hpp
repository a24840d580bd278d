#pragma once
// Host twins of the element-wise, normalisation, rotary and Hadamard kernels. Same formulas as
// the kernels (row_math.hpp); the kernels reduce a row's sum of squares in another order, so
// rms_norm agrees to float rounding, the others exactly up to the platform's exp/tanh/cos/sin.
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/row_math.hpp>
#include <cmath>
#include <cstddef>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cuda {
namespace reference {

inline void eltwise(const eltwise_args& a) {
    for (std::size_t i = 0; i < a.rows; ++i)
        for (std::size_t j = 0; j < a.cols; ++j) {
            const float x = a.a[i * a.a_stride + j];
            const float y = a.b ? a.b[i * a.b_stride + j] : 0.0f;
            a.y[i * a.y_stride + j] = eltwise_value(a.op, x, y, a.s);
        }
}

inline void rms_norm(const rms_norm_args& a) {
    if (a.addend)
        for (std::size_t i = 0; i < a.rows; ++i)
            for (std::size_t j = 0; j < a.width; ++j)
                const_cast<float*>(a.x)[i * a.x_stride + j] = a.x[i * a.x_stride + j] + a.addend[i * a.addend_stride + j];
    for (std::size_t i = 0; i < a.rows; ++i)
        for (std::size_t h = 0; h < a.segments; ++h) {
            const float* x = a.x + i * a.x_stride + h * a.width;
            float* y = a.y + i * a.y_stride + h * a.width;
            float sum = 0.0f;
            for (std::size_t j = 0; j < a.width; ++j) sum += x[j] * x[j];
            const float s = 1.0f / std::sqrt(sum / static_cast<float>(a.width) + a.eps);
            for (std::size_t j = 0; j < a.width; ++j) y[j] = a.w ? x[j] * s * a.w[j] : x[j] * s;
        }
}

inline void rope_one(const rope_args& a) {
    const int pairs = a.n_dims / 2;
    std::vector<float> c(static_cast<std::size_t>(pairs)), s(static_cast<std::size_t>(pairs));
    for (std::size_t i = 0; i < a.rows; ++i) {
        float theta = static_cast<float>(a.positions[i]);
        for (int p = 0; p < pairs; ++p) {
            rope_pair(a, theta, 2 * p, c[static_cast<std::size_t>(p)], s[static_cast<std::size_t>(p)]);
            theta *= a.theta_scale;
        }
        for (std::size_t h = 0; h < a.heads; ++h)
            for (int p = 0; p < pairs; ++p)
                rope_rotate(a.x + i * a.stride + h * a.head_dim, p, a.n_dims, a.neox, c[static_cast<std::size_t>(p)],
                            s[static_cast<std::size_t>(p)]);
    }
}

inline void rope(const rope_args& a) {
    rope_one(a);
    if (a.x2) {
        rope_args b = a;
        b.x = a.x2, b.stride = a.stride2, b.heads = a.heads2, b.x2 = nullptr;
        rope_one(b);
    }
}

inline void hadamard(const hadamard_args& a) {
    for (int m = 0; m < a.n_more; ++m) {
        hadamard_args one = a;
        one.x = a.more[m].x, one.stride = a.more[m].stride, one.rows = a.more[m].rows, one.cols = a.more[m].cols;
        one.n_more = 0;
        hadamard(one);
    }
    for (std::size_t i = 0; i < a.rows; ++i)
        for (std::size_t b0 = 0; b0 < a.cols; b0 += a.block) {
            float* x = a.x + i * a.stride + b0;
            for (std::size_t h = 1; h < a.block; h *= 2)
                for (std::size_t j = 0; j < a.block; j += 2 * h)
                    for (std::size_t k = j; k < j + h; ++k) {
                        const float u = x[k], v = x[k + h];
                        x[k] = u + v;
                        x[k + h] = u - v;
                    }
            for (std::size_t k = 0; k < a.block; ++k) x[k] *= a.scale;
        }
}

}  // namespace reference
}  // namespace cuda
HEARTH_NAMESPACE_END
