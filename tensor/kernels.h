// latent/tensor — internal helpers shared by the kernels (not part of the API).
//
// Templates live only here and in the kernel .cpp files: the public headers
// are plain classes and functions, so user code compiles fast.
#pragma once

#include <array>
#include <cstring>
#include <omp.h>

#include "tensor/tensor.h"

namespace latent::detail {

// Call f(T{}) with T the C++ type of dtype d (float, double, int64_t). Use as
//   dispatch_all(d, "op", [&](auto z_) { using T = decltype(z_); ... });
// (A function, not a macro: the body may hold #pragma omp lines.)
template <class F>
decltype(auto) dispatch_all(DType d, const std::string& op, F&& f) {
  switch (d) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i64: return f(int64_t{});
  }
  fail(op, "unknown dtype");
}

// Floating point only: int64 tensors get a clear error naming the op.
template <class F>
decltype(auto) dispatch_float(DType d, const std::string& op, F&& f) {
  if (d == DType::f32) return f(float{});
  if (d != DType::f64)
    fail(op, std::string("needs a float32 or float64 tensor, got ") + dtype_name(d) +
                 " (convert with .to(DType::f32))");
  return f(double{});
}

// Below this many elements a loop runs on one thread: waking the pool costs
// more than it saves.
constexpr int64_t kParallelGrain = 32768;

// Iterate over an N-operand strided index space. Axes that can be walked as
// one (all operands' strides chain) are merged first, so a contiguous tensor is
// a single run. `f(offsets, n, inner_strides)` handles one run of n elements:
// operand k's elements sit at offsets[k] + i*inner_strides[k], i < n.
template <size_t N, class F>
void nd_loop(const Shape& shape_in, const std::array<Shape, N>& strides_in, F&& f) {
  Shape shape;
  std::array<Shape, N> st;
  for (size_t d = 0; d < shape_in.size(); ++d) {
    if (shape_in[d] == 1) continue;  // size-1 axes do not move
    if (!shape.empty()) {
      bool merge = true;  // can axis d be folded into the previous one?
      for (size_t k = 0; k < N; ++k)
        if (st[k].back() != strides_in[k][d] * shape_in[d]) merge = false;
      if (merge) {
        shape.back() *= shape_in[d];
        for (size_t k = 0; k < N; ++k) st[k].back() = strides_in[k][d];
        continue;
      }
    }
    shape.push_back(shape_in[d]);
    for (size_t k = 0; k < N; ++k) st[k].push_back(strides_in[k][d]);
  }
  if (shape.empty()) {  // a single element
    std::array<int64_t, N> off{}, inner{};
    for (auto x : shape_in) if (x == 0) return;
    f(off, 1, inner);
    return;
  }
  const int64_t nd = (int64_t)shape.size();
  const int64_t inner_n = shape.back();
  int64_t outer = 1;
  for (int64_t d = 0; d + 1 < nd; ++d) outer *= shape[d];
  std::array<int64_t, N> inner_st;
  for (size_t k = 0; k < N; ++k) inner_st[k] = st[k].back();
  auto run_rows = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      std::array<int64_t, N> off{};
      int64_t rem = r;
      for (int64_t d = nd - 2; d >= 0; --d) {
        int64_t i = rem % shape[d];
        rem /= shape[d];
        for (size_t k = 0; k < N; ++k) off[k] += i * st[k][d];
      }
      f(off, inner_n, inner_st);
    }
  };
  const bool big = outer * inner_n >= kParallelGrain && omp_get_max_threads() > 1;
  if (big && outer == 1) {  // one long run: split it between threads
#pragma omp parallel
    {
      int nt = omp_get_num_threads(), t = omp_get_thread_num();
      int64_t i0 = inner_n * t / nt, i1 = inner_n * (t + 1) / nt;
      std::array<int64_t, N> off;
      for (size_t k = 0; k < N; ++k) off[k] = i0 * inner_st[k];
      if (i1 > i0) f(off, i1 - i0, inner_st);
    }
  } else if (big) {
#pragma omp parallel
    {
      int nt = omp_get_num_threads(), t = omp_get_thread_num();
      run_rows(outer * t / nt, outer * (t + 1) / nt);
    }
  } else {
    run_rows(0, outer);
  }
}

}  // namespace latent::detail
