// latent/bench — benchmarks of the core (issue #2).
//
// Prints one line per workload, `name threads=N value unit`, at 1 and 2
// threads; bench/torch_core.py prints the same names for PyTorch and
// bench/run_core.sh joins the two into a table. Every figure is the median of
// repetitions after a warm-up, and workloads that are compared with each other
// (latent vs direct BLAS, an op vs the copy loop) are timed interleaved, rep by
// rep, so a burst of load on the machine hits both sides alike.
//
//   matmul_1024           latent::matmul on 1024^3 float32         GFLOP/s
//   matmul_1024_cblas     cblas_sgemm on the same buffers           GFLOP/s
//   matmul_1024_vs_cblas  latent / direct                           fraction  (goal >= 0.95)
//   conv3x3_64c_14px_b64  conv2d 64->64 3x3 pad 1, 14x14, batch 64,
//                         forward + backward (dx, dw, db)           ms/step   (goal: <= PyTorch)
//   copy_<n>              OpenMP copy loop into a preallocated buffer  GB/s
//   <op>_<n>              op on n floats, bytes read + written      GB/s
//   <op>_<n>_vs_copy      GB/s of the op / GB/s of the copy         fraction  (goal >= 0.70)
//   mlp_784_400_20_b128        x[128,784] -> linear 400 -> relu -> linear 20 -> mean(y^2),
//                              forward + backward through Vars      ms/step
//   mlp_784_400_20_b128_gemms  its five GEMMs alone (cblas, preallocated)  ms/step
//   mlp_784_400_20_b128_vs_gemms  autodiff / GEMMs                  ratio     (goal <= 1.2)
//
// Usage: core_bench [workload-prefix...]   (e.g. `core_bench matmul conv`)
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "autodiff/ops_conv.h"
#include "tensor/random.h"

using namespace latent;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(const std::function<void()>& f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Time several functions interleaved: `warm` untimed rounds, then `reps`
// rounds each running every function once. Returns the median seconds of each.
std::vector<double> interleaved(const std::vector<std::function<void()>>& fs, int warm, int reps) {
  for (int r = 0; r < warm; ++r)
    for (auto& f : fs) f();
  std::vector<std::vector<double>> t(fs.size());
  for (int r = 0; r < reps; ++r)
    for (size_t i = 0; i < fs.size(); ++i) t[i].push_back(seconds(fs[i]));
  std::vector<double> med;
  for (auto& v : t) med.push_back(median(v));
  return med;
}

int g_threads = 1;
void report(const std::string& name, double value, const char* unit) {
  std::printf("%s threads=%d %.4g %s\n", name.c_str(), g_threads, value, unit);
  std::fflush(stdout);
}

// ---- 1. matmul 1024^3 -------------------------------------------------------
void bench_matmul() {
  const int64_t n = 1024;
  Tensor a = uniform({n, n}, -1, 1), b = uniform({n, n}, -1, 1), c = zeros({n, n});
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = c.data<float>();
  auto t = interleaved(
      {[&] { Tensor y = matmul(a, b); },
       [&] {
         cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, pa, n, pb, n, 0.0f, pc, n);
       }},
      3, 21);
  const double flop = 2.0 * n * n * n;
  report("matmul_1024", flop / t[0] * 1e-9, "GFLOP/s");
  report("matmul_1024_cblas", flop / t[1] * 1e-9, "GFLOP/s");
  report("matmul_1024_vs_cblas", t[1] / t[0], "fraction");
}

// ---- 2. conv2d 3x3 64->64, 14x14, batch 64, forward + backward --------------
void bench_conv() {
  Var x(uniform({64, 64, 14, 14}), true);
  // PyTorch's default init range for this layer: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  const double bound = 1.0 / std::sqrt(64.0 * 9);
  Var w(uniform({64, 64, 3, 3}, -bound, bound), true);
  Var b(uniform({64}, -bound, bound), true);
  auto step = [&] {
    x.zero_grad(); w.zero_grad(); b.zero_grad();
    sum(conv2d(x, w, b, Conv2dParams(1, 1))).backward();
  };
  auto t = interleaved({step}, 3, 21);
  report("conv3x3_64c_14px_b64", t[0] * 1e3, "ms/step");
}

// ---- 3. elementwise and reductions vs a copy loop ---------------------------
void copy_loop(const float* src, float* dst, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

void bench_elementwise(int64_t n, const std::string& tag) {
  const int64_t cols = 1000, rows = n / cols;
  Tensor a = uniform({n}, -1, 1), b = uniform({n}, -1, 1);
  Tensor m = a.view({rows, cols});
  Tensor dst = zeros({n});  // preallocated (and already faulted in) for the copy loop
  const float* pa = a.data<float>();
  float* pd = dst.data<float>();
  const double f = sizeof(float);
  struct W {
    std::string name;
    double bytes;
    std::function<void()> run;
  };
  // Results go out of scope inside the timed call: allocating and freeing the
  // output is part of what an op costs.
  std::vector<W> ws = {
      {"copy", 2 * f * n, [&] { copy_loop(pa, pd, n); }},
      {"add", 3 * f * n, [&] { Tensor y = add(a, b); }},
      {"mul_scalar", 2 * f * n, [&] { Tensor y = mul(a, 2.0); }},
      {"exp", 2 * f * n, [&] { Tensor y = exp(a); }},
      {"relu", 2 * f * n, [&] { Tensor y = relu(a); }},
      {"sigmoid", 2 * f * n, [&] { Tensor y = sigmoid(a); }},
      {"sum", f * n, [&] { Tensor y = sum(a); }},
      {"max", f * n, [&] { Tensor y = max(a); }},
      {"sum_axis0", f * (n + cols), [&] { Tensor y = sum(m, {0}); }},
      {"sum_axis1", f * (n + rows), [&] { Tensor y = sum(m, {1}); }},
  };
  std::vector<std::function<void()>> fs;
  for (auto& w : ws) fs.push_back(w.run);
  const int reps = n >= 10'000'000 ? 21 : 51;
  auto t = interleaved(fs, 3, reps);
  const double copy_gbs = ws[0].bytes / t[0] * 1e-9;
  report("copy_" + tag, copy_gbs, "GB/s");
  for (size_t i = 1; i < ws.size(); ++i) {
    double gbs = ws[i].bytes / t[i] * 1e-9;
    report(ws[i].name + "_" + tag, gbs, "GB/s");
    report(ws[i].name + "_" + tag + "_vs_copy", gbs / copy_gbs, "fraction");
  }
}

// ---- 4. autodiff overhead: MLP 784-400-20 -----------------------------------
void bench_mlp() {
  const int64_t B = 128, D = 784, H = 400, O = 20;
  Tensor xt = uniform({B, D});
  const double b1 = 1 / std::sqrt((double)D), b2 = 1 / std::sqrt((double)H);
  Var x(xt);
  Var w1(uniform({H, D}, -b1, b1), true), c1(uniform({H}, -b1, b1), true);
  Var w2(uniform({O, H}, -b2, b2), true), c2(uniform({O}, -b2, b2), true);
  auto step = [&] {
    for (Var* p : {&w1, &c1, &w2, &c2}) p->zero_grad();
    Var y = linear(relu(linear(x, w1, c1)), w2, c2);
    mean(square(y)).backward();
  };
  // The same GEMMs on preallocated buffers: Y1 = X W1ᵀ, Y2 = H W2ᵀ, then
  // dW2 = Gᵀ H, dH = G W2, dW1 = G1ᵀ X (no dX: the input needs no gradient).
  Tensor y1 = zeros({B, H}), y2 = zeros({B, O}), g2 = uniform({B, O}), dw2 = zeros({O, H});
  Tensor dh = zeros({B, H}), dw1 = zeros({H, D});
  const float *X = xt.data<float>(), *W1 = w1.data().data<float>(), *W2 = w2.data().data<float>();
  float *Y1 = y1.data<float>(), *Y2 = y2.data<float>(), *G2 = g2.data<float>();
  float *DW2 = dw2.data<float>(), *DH = dh.data<float>(), *DW1 = dw1.data<float>();
  auto gemms = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, D, 1, X, D, W1, D, 0, Y1, H);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, O, H, 1, Y1, H, W2, H, 0, Y2, O);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, H, B, 1, G2, O, Y1, H, 0, DW2, H);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, O, 1, G2, O, W2, H, 0, DH, H);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, D, B, 1, DH, H, X, D, 0, DW1, D);
  };
  auto t = interleaved({step, gemms}, 5, 51);
  report("mlp_784_400_20_b128", t[0] * 1e3, "ms/step");
  report("mlp_784_400_20_b128_gemms", t[1] * 1e3, "ms/step");
  report("mlp_784_400_20_b128_vs_gemms", t[0] / t[1], "ratio");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> only(argv + 1, argv + argc);
  auto want = [&](const char* name) {
    if (only.empty()) return true;
    for (auto& o : only)
      if (std::strncmp(name, o.c_str(), o.size()) == 0) return true;
    return false;
  };
  manual_seed(0);
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    g_threads = threads;
    if (want("matmul")) bench_matmul();
    if (want("conv")) bench_conv();
    if (want("elementwise")) {
      bench_elementwise(1'000'000, "1M");
      bench_elementwise(10'000'000, "10M");
    }
    if (want("mlp")) bench_mlp();
  }
  return 0;
}
