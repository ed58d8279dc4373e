// Timing probe for conv2d (not part of the build): the benchmark case from the
// conv work, 3x3, 64->64 channels, 14x14, batch 64, padding 1, float32;
// forward, input grad and weight grad, at 1 and 2 threads. Build by hand:
//   g++ -O3 -march=native -fopenmp -I. -I/usr/include/x86_64-linux-gnu/openblas-openmp \
//     bench/conv_probe.cpp build-conv/autodiff/liblatent_autodiff.a build-conv/tensor/liblatent_tensor.a \
//     -L/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas -o /tmp/conv_probe
// Compare with PyTorch: torch.nn.functional.conv2d + torch.autograd.grad on the same shapes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "autodiff/ops_conv.h"
#include "tensor/random.h"

using namespace latent;

// Median and minimum of `reps` timed calls (after warm-up), in ms.
static std::pair<double, double> time_ms(const std::function<void()>& f, int reps) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> ts;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ts.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
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
    auto [f, fmin] = time_ms([&] { conv2d(x, w, p); }, reps);
    auto [di, dimin] = time_ms([&] { conv2d_input_grad(g, w, x.shape(), p); }, reps);
    auto [dw, dwmin] = time_ms([&] { conv2d_weight_grad(x, g, w.shape(), p); }, reps);
    auto [all, allmin] = time_ms([&] {
      conv2d(x, w, p);
      conv2d_input_grad(g, w, x.shape(), p);
      conv2d_weight_grad(x, g, w.shape(), p);
    }, reps);
    Var xv(x, true), wv(w, true);
    auto [var, varmin] = time_ms([&] {
      Var yv = conv2d(xv, wv, Var(), p);
      grad({yv}, {xv, wv}, {Var(ones_like(yv.data()))});
    }, reps);
    std::printf("threads %d  median (min) ms: forward %.2f (%.2f)  input_grad %.2f (%.2f)  weight_grad %.2f (%.2f)"
                "  fwd+bwd %.2f (%.2f)  Var fwd+bwd %.2f (%.2f)\n",
                nt, f, fmin, di, dimin, dw, dwmin, all, allmin, var, varmin);
  }
}
