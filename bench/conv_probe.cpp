// Timing probe for conv2d (not part of the build): the benchmark case from the
// conv work, 3x3, 64->64 channels, 14x14, batch 64, padding 1, float32;
// forward, input grad and weight grad, at 1 and 2 threads. Build by hand:
//   g++ -O3 -march=native -mno-avx512f -fopenmp -I. -I/usr/include/x86_64-linux-gnu/openblas-openmp \
//     bench/conv_probe.cpp build-conv/autodiff/liblatent_autodiff.a build-conv/tensor/liblatent_tensor.a \
//     -L/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas -o /tmp/conv_probe
// (use the same -m flags as the library build). The PyTorch side, timed the same way
// (time.thread_time at 1 thread, time.perf_counter at 2):
//   x = torch.randn(64,64,14,14, requires_grad=True); w = torch.randn(64,64,3,3, requires_grad=True)
//   y = F.conv2d(x, w, padding=1); torch.autograd.grad(y, (x, w), torch.ones_like(y))
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "autodiff/ops_conv.h"
#include "tensor/random.h"

using namespace latent;

// Median and minimum of `reps` timed calls (after warm-up), in ms: wall time,
// or with `cpu` the calling thread's CPU time (fair at 1 thread on a busy
// machine: time spent descheduled is not counted).
static double now_ms(bool cpu) {
  timespec ts;
  clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}
static std::pair<double, double> time_ms(const std::function<void()>& f, int reps, bool cpu = false) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> ts;
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_ms(cpu);
    f();
    ts.push_back(now_ms(cpu) - t0);
  }
  std::sort(ts.begin(), ts.end());
  return {ts[ts.size() / 2], ts[0]};
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 30;
  Tensor x = normal({64, 64, 14, 14}), w = normal({64, 64, 3, 3});
  const Conv2dParams p(1, 1);
  Tensor y = conv2d(x, w, p), g = ones_like(y);
  for (int nt : {1, 2}) {
    set_num_threads(nt);
    const bool cpu = nt == 1;  // 1 thread: CPU time; 2 threads: wall time
    auto [f, fmin] = time_ms([&] { conv2d(x, w, p); }, reps, cpu);
    auto [di, dimin] = time_ms([&] { conv2d_input_grad(g, w, x.shape(), p); }, reps, cpu);
    auto [dw, dwmin] = time_ms([&] { conv2d_weight_grad(x, g, w.shape(), p); }, reps, cpu);
    auto [all, allmin] = time_ms([&] {
      conv2d(x, w, p);
      conv2d_input_grad(g, w, x.shape(), p);
      conv2d_weight_grad(x, g, w.shape(), p);
    }, reps, cpu);
    Var xv(x, true), wv(w, true);
    auto [var, varmin] = time_ms([&] {
      Var yv = conv2d(xv, wv, Var(), p);
      grad({yv}, {xv, wv}, {Var(ones_like(yv.data()))});
    }, reps, cpu);
    // bench/core_bench.cpp's step: with bias, through sum().backward().
    Var b(zeros({64}), true);
    auto [step, stepmin] = time_ms([&] {
      xv.zero_grad(); wv.zero_grad(); b.zero_grad();
      sum(conv2d(xv, wv, b, p)).backward();
    }, reps, cpu);
    std::printf("latent threads %d (%s) median (min) ms: forward %.2f (%.2f)  input_grad %.2f (%.2f)  "
                "weight_grad %.2f (%.2f)  fwd+bwd %.2f (%.2f)  Var fwd+bwd %.2f (%.2f)  "
                "core_bench step %.2f (%.2f)\n",
                nt, cpu ? "cpu" : "wall", f, fmin, di, dimin, dw, dwmin, all, allmin, var, varmin, step, stepmin);
  }
}
