// Element ops of native_arch against their scalar twin and against double-precision formulas.
// Tolerance: float lanes with xsimd's exp/tanh (accurate to ~1e-7 relative) and a different
// summation order than the scalar loop: 2e-6 relative per element is several ulps of headroom.
#include "cpu_test_support.hpp"
#include <hearth/fp16.hpp>
#include <cstring>
#include <limits>
#include <numeric>

namespace hc = hearth::cpu;
using cpu_test::arch;
using cpu_test::ref;

namespace {
const std::size_t sizes[] = {1, 3, 8, 15, 16, 17, 31, 64, 100, 1000};

void check_rel(const std::vector<float>& got, const std::vector<double>& want, double rel, double abs_tol = 1e-7) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i << " got " << got[i] << " want " << want[i]);
        CHECK(std::fabs(got[i] - want[i]) <= rel * std::fabs(want[i]) + abs_tol);
    }
}
double silu_d(double x) { return x / (1.0 + std::exp(-x)); }
double gelu_d(double x) {
    return 0.5 * x * (1.0 + std::tanh(0.79788456080286535587989211986876 * x * (1.0 + 0.044715 * x * x)));
}
}  // namespace

TEST_CASE("ops: add, mul, scale, axpy are exact", "[cpu][ops]") {
    for (std::size_t n : sizes) {
        const auto a = cpu_test::random_floats(n, 1), b = cpu_test::random_floats(n, 2);
        std::vector<float> y(n), z(n), s(a), t(b);
        hc::add<arch>(a.data(), b.data(), y.data(), n);
        hc::mul<arch>(a.data(), b.data(), z.data(), n);
        hc::scale<arch>(s.data(), 0.37f, n);
        hc::axpy<arch>(-1.5f, a.data(), t.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
            CHECK(y[i] == a[i] + b[i]);
            CHECK(z[i] == a[i] * b[i]);
            CHECK(s[i] == a[i] * 0.37f);
            // a*s + b may be fused on SIMD lanes: within one rounding of the unfused value.
            CHECK(std::fabs(t[i] - (a[i] * -1.5f + b[i])) <= 2e-7f * (std::fabs(a[i] * 1.5f) + std::fabs(b[i])));
        }
        // In place is allowed.
        std::vector<float> in(a);
        hc::add<arch>(in.data(), b.data(), in.data(), n);
        CHECK(in == y);
    }
}

TEST_CASE("ops: activations match double-precision formulas", "[cpu][ops]") {
    for (std::size_t n : sizes) {
        const auto x = cpu_test::random_floats(n, 3, -12.0f, 12.0f), u = cpu_test::random_floats(n, 4);
        std::vector<float> s(n), g(n), sg(n), gg(n);
        hc::silu<arch>(x.data(), s.data(), n);
        hc::gelu<arch>(x.data(), g.data(), n);
        hc::swiglu<arch>(x.data(), u.data(), sg.data(), n);
        hc::geglu<arch>(x.data(), u.data(), gg.data(), n);
        std::vector<double> ws(n), wg(n), wsg(n), wgg(n);
        for (std::size_t i = 0; i < n; ++i) {
            ws[i] = silu_d(x[i]);
            wg[i] = gelu_d(x[i]);
            wsg[i] = silu_d(x[i]) * u[i];
            wgg[i] = gelu_d(x[i]) * u[i];
        }
        check_rel(s, ws, 2e-6, 1e-6);
        check_rel(sg, wsg, 2e-6, 1e-6);
        // GELU is llama.cpp's fp16 table: the input rounded to fp16 (moving GELU by at most
        // |gelu'| <= 1.13 times 2^-11 |x|) and the output rounded to fp16 (2^-11 |gelu|).
        for (std::size_t i = 0; i < n; ++i) {
            INFO("x = " << x[i] << " got " << g[i] << " want " << wg[i]);
            const double tol = std::ldexp(1.0, -11) * (1.13 * std::fabs(x[i]) + std::fabs(wg[i])) + 1e-7;
            CHECK(std::fabs(g[i] - wg[i]) <= tol);
            CHECK(std::fabs(gg[i] - wgg[i]) <= tol * std::fabs(u[i]) + 1e-7);
            CHECK(gg[i] == g[i] * u[i]);
        }
    }
}

TEST_CASE("ops: GELU is llama.cpp's fp16 table, clamped outside [-10, 10]", "[cpu][ops]") {
    const std::vector<float> x = {-12.0f, -10.0f, -9.99f, -3.0f, -0.5f, 0.0f, 1e-3f, 0.7f, 2.5f, 9.99f, 10.0f, 31.0f};
    std::vector<float> g(x.size()), gg(x.size());
    const std::vector<float> u(x.size(), 2.0f);
    hc::gelu<arch>(x.data(), g.data(), x.size());
    hc::geglu<arch>(x.data(), u.data(), gg.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("x = " << x[i]);
        if (x[i] <= -10.0f) CHECK(g[i] == 0.0f);
        else if (x[i] >= 10.0f) CHECK(g[i] == x[i]);
        else {
            // An fp16 value, equal to GELU of the fp16-rounded input, rounded to fp16.
            const float xr = hearth::fp16_to_fp32(hearth::fp32_to_fp16(x[i]));
            CHECK(hearth::fp16_to_fp32(hearth::fp32_to_fp16(g[i])) == g[i]);
            CHECK(g[i] == hearth::fp16_to_fp32(hearth::fp32_to_fp16(static_cast<float>(gelu_d(xr)))));
        }
        CHECK(gg[i] == g[i] * 2.0f);
    }
}

namespace {
// The SIMD lanes of Arch (the scalar body for the scalar tag), x.size() a multiple of the width.
template <class A> std::vector<float> exp_lanes(const std::vector<float>& x) {
    std::vector<float> out(x.size());
    if constexpr (hc::has_float_simd<A>) {
        using B = hc::fbatch<A>;
        for (std::size_t i = 0; i < x.size(); i += B::size)
            hc::detail::exp_optimized_routines(B::load_unaligned(x.data() + i)).store_unaligned(out.data() + i);
    } else {
        for (std::size_t i = 0; i < x.size(); ++i) out[i] = hc::detail::exp_optimized_routines(x[i]);
    }
    return out;
}
}  // namespace

TEST_CASE("ops: the SiLU exp lanes equal their scalar twin and stay within 2 ulp of exp", "[cpu][ops]") {
    // exp_optimized_routines is llama.cpp's vectorised expf: one body for a float and for a batch.
    std::vector<float> x;
    for (float v = -110.0f; v <= 95.0f; v += 0.37f) x.push_back(v);  // through both scaled ranges
    for (float v : {0.0f, -0.0f, 88.7f, -87.4f, -103.9f, -104.1f, 126.0f * 0.6931472f})
        x.push_back(v);
    const auto r = cpu_test::random_floats(4096, 9, -20.0f, 20.0f);
    x.insert(x.end(), r.begin(), r.end());
    while (x.size() % 64) x.push_back(1.0f);
    const std::vector<float> lanes = exp_lanes<arch>(x);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float twin = hc::detail::exp_optimized_routines(x[i]);
        INFO("x = " << x[i]);
        CHECK(std::memcmp(&twin, &lanes[i], sizeof twin) == 0);
        const double want = std::exp(static_cast<double>(x[i]));
        if (want > 1e-37 && want < 1e38) {
            const double ulp = std::nextafter(static_cast<float>(want), INFINITY) - static_cast<float>(want);
            CHECK(std::fabs(twin - want) <= 2.0 * ulp);
        }
    }
}

TEST_CASE("ops: softcap", "[cpu][ops]") {
    for (std::size_t n : sizes) {
        auto x = cpu_test::random_floats(n, 5, -100.0f, 100.0f);
        std::vector<double> want(n);
        for (std::size_t i = 0; i < n; ++i) want[i] = 30.0 * std::tanh(x[i] / 30.0);
        hc::softcap<arch>(x.data(), 30.0f, n);
        check_rel(x, want, 2e-6, 1e-6);
    }
}

TEST_CASE("ops: rms_norm and layer_norm", "[cpu][ops]") {
    for (std::size_t n : sizes) {
        const auto x = cpu_test::random_floats(n, 6, -3.0f, 5.0f), w = cpu_test::random_floats(n, 7);
        const auto bias = cpu_test::random_floats(n, 8);
        std::vector<float> y(n), yw(n), ref_y(n), ln(n);
        hc::rms_norm<arch>(x.data(), nullptr, y.data(), n, 1e-6f);
        hc::rms_norm<arch>(x.data(), w.data(), yw.data(), n, 1e-6f);
        hc::rms_norm<ref>(x.data(), w.data(), ref_y.data(), n, 1e-6f);
        hc::layer_norm<arch>(x.data(), w.data(), bias.data(), ln.data(), n, 1e-5f);
        double ss = 0, mean = 0;
        for (float v : x) ss += double(v) * v, mean += v;
        mean /= double(n);
        double var = 0;
        for (float v : x) var += (v - mean) * (v - mean);
        var /= double(n);
        const double s = 1.0 / std::sqrt(ss / double(n) + 1e-6), sl = 1.0 / std::sqrt(var + 1e-5);
        std::vector<double> want(n), want_w(n), want_ln(n);
        for (std::size_t i = 0; i < n; ++i) {
            want[i] = x[i] * s;
            want_w[i] = x[i] * s * w[i];
            want_ln[i] = (x[i] - mean) * sl * w[i] + bias[i];
        }
        check_rel(y, want, 2e-6);
        check_rel(yw, want_w, 2e-6);
        check_rel(ref_y, want_w, 2e-6);
        check_rel(ln, want_ln, 1e-5, 1e-5);
    }
}

TEST_CASE("ops: softmax with scale, mask and soft-capping", "[cpu][ops]") {
    const float inf = std::numeric_limits<float>::infinity();
    for (std::size_t n : sizes) {
        for (float cap : {0.0f, 20.0f}) {
            auto x = cpu_test::random_floats(n, 9, -30.0f, 30.0f);
            std::vector<float> mask(n, 0.0f);
            for (std::size_t i = 0; i < n; ++i)
                if (i % 3 == 1) mask[i] = -inf;
            std::vector<double> want(n);
            double mx = -1e300;
            for (std::size_t i = 0; i < n; ++i) {
                double v = cap > 0 ? cap * std::tanh(x[i] / cap) : x[i];
                v = v * 0.125 + mask[i];
                want[i] = v;
                mx = std::max(mx, v);
            }
            double sum = 0;
            for (auto& v : want) sum += (v = std::exp(v - mx));
            for (auto& v : want) v /= sum;
            auto ours = x;
            hc::softmax<arch>(ours.data(), n, mask.data(), 0.125f, cap);
            check_rel(ours, want, 5e-6, 1e-7);
            double total = std::accumulate(ours.begin(), ours.end(), 0.0);
            CHECK(std::fabs(total - 1.0) < 1e-5);
        }
    }
    // A fully masked row is all zeros, not NaN.
    std::vector<float> x(5, 1.0f), mask(5, -inf);
    hc::softmax<arch>(x.data(), 5, mask.data(), 1.0f, 0.0f);
    for (float v : x) CHECK(v == 0.0f);
}

namespace {
// ggml's rope written out independently in double (angles follow ggml's float recurrence).
std::vector<double> rope_reference(const std::vector<float>& head, int pos, const hc::rope_params& p) {
    std::vector<double> out(head.begin(), head.end());
    float corr[2];
    hc::detail::rope_yarn_corr_dims(p, corr);
    const float theta_scale = std::pow(p.freq_base, -2.0f / float(p.n_dims));
    float theta = float(pos);
    for (int i0 = 0; i0 < p.n_dims; i0 += 2) {
        const float ff = p.freq_factors ? p.freq_factors[i0 / 2] : 1.0f;
        // The angle in float, as ggml forms it (a large angle's rounding is part of the semantics).
        const float extrap = theta / ff, interp = p.freq_scale * extrap;
        float t = interp;
        double ms = p.attn_factor;
        if (p.ext_factor != 0.0f) {
            const float y = (float(i0 / 2) - corr[0]) / std::max(0.001f, corr[1] - corr[0]);
            const float mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * p.ext_factor;
            t = interp * (1 - mix) + extrap * mix;
            ms *= 1.0 + 0.1 * std::log(1.0 / p.freq_scale);
        }
        const double c = std::cos(t) * ms, s = std::sin(t) * ms;
        const std::size_t a = p.neox ? std::size_t(i0 / 2) : std::size_t(i0);
        const std::size_t b = p.neox ? std::size_t(i0 / 2 + p.n_dims / 2) : std::size_t(i0 + 1);
        out[a] = head[a] * c - head[b] * s;
        out[b] = head[a] * s + head[b] * c;
        theta *= theta_scale;
    }
    return out;
}
}  // namespace

TEST_CASE("ops: rope (normal, neox, partial, freq factors, YaRN) matches ggml's formulas", "[cpu][ops]") {
    const std::vector<float> factors = cpu_test::random_floats(32, 10, 1.0f, 8.0f);
    struct variant { bool neox; int n_dims; bool ff; float freq_scale, ext; };
    for (auto v : {variant{false, 64, false, 1.0f, 0.0f}, variant{true, 64, false, 1.0f, 0.0f},
                   variant{true, 32, false, 1.0f, 0.0f}, variant{false, 64, true, 1.0f, 0.0f},
                   variant{true, 64, false, 0.25f, 1.0f}, variant{false, 48, false, 0.5f, 1.0f}}) {
        const hc::rope_params p{v.n_dims, v.neox, 10000.0f, v.freq_scale, v.ff ? factors.data() : nullptr,
                                v.ext, 1.0f, 32.0f, 1.0f, 4096};
        for (int pos : {0, 1, 7, 300, 5000}) {
            const auto head = cpu_test::random_floats(64, 11 + std::uint32_t(pos));
            auto ours = head;
            hc::rope<arch>(ours.data(), 64, pos, p);
            const auto want = rope_reference(head, pos, p);
            for (std::size_t i = 0; i < 64; ++i) {
                INFO("neox " << v.neox << " n_dims " << v.n_dims << " pos " << pos << " i " << i);
                CHECK(std::fabs(ours[i] - want[i]) <= 2e-6 * (1.0 + std::fabs(want[i])));
            }
            // Many heads at once give the same bits as one at a time.
            std::vector<float> heads(3 * 70);
            for (int h = 0; h < 3; ++h) std::copy(head.begin(), head.end(), heads.begin() + h * 70);
            hc::rope_heads<arch>(heads.data(), 3, 70, 64, pos, p);
            for (int h = 0; h < 3; ++h)
                for (std::size_t i = 0; i < 64; ++i) CHECK(heads[std::size_t(h) * 70 + i] == ours[i]);
        }
    }
    float head[8] = {};
    const hc::rope_params bad{16, false, 10000.0f, 1.0f, nullptr, 0.0f, 1.0f, 32.0f, 1.0f, 4096};
    CHECK_THROWS_AS(hc::rope<arch>(head, 8, 0, bad), hearth::error);
}
