// latent/tensor — matrix products through BLAS, and the thread-count knob.
//
// BLAS (cblas_sgemm / cblas_dgemm) wants each matrix as a pointer, a flag
// saying "read me transposed" and a leading dimension (the row stride). A view
// whose last axis has stride 1 is a row-major matrix; a view whose
// second-to-last axis has stride 1 is the transpose of one. Both go to BLAS
// as they are; only other layouts are copied first.
#include <cblas.h>
#include <omp.h>

#include "tensor/kernels.h"

extern "C" void openblas_set_num_threads(int);

namespace latent {

void set_num_threads(int n) {
  if (n < 1) fail("set_num_threads", "need at least 1 thread, got " + std::to_string(n));
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}
int get_num_threads() { return omp_get_max_threads(); }

namespace {

struct BlasMat {
  Tensor t;  // possibly a contiguous copy of the input
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  int64_t ld = 0;       // leading dimension
  int64_t batch_stride = 0;
};

// Describe the last two axes of `t` for BLAS (batch axes keep their strides).
BlasMat as_blas(const Tensor& t0) {
  BlasMat m{t0};
  int64_t r = t0.shape()[t0.dim() - 2], c = t0.shape()[t0.dim() - 1];
  int64_t sr = t0.strides()[t0.dim() - 2], sc = t0.strides()[t0.dim() - 1];
  if ((sc == 1 || c == 1) && sr >= std::max<int64_t>(c, 1)) {
    m.ld = sr;
  } else if ((sr == 1 || r == 1) && sc >= std::max<int64_t>(r, 1)) {
    m.trans = CblasTrans;
    m.ld = sc;
  } else {
    m.t = t0.contiguous();
    m.ld = std::max<int64_t>(c, 1);
  }
  return m;
}

template <class T>
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t M, int64_t N, int64_t K, const T* A,
          int64_t lda, const T* B, int64_t ldb, T* C, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc);
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0) {
  if (!a0.defined() || !b0.defined()) fail("matmul", "undefined operand");
  if (a0.dim() == 0 || b0.dim() == 0)
    fail("matmul", "operands must have at least 1 dimension, got " + shape_str(a0.shape()) +
                       " x " + shape_str(b0.shape()));
  if (a0.dtype() != b0.dtype())
    fail("matmul", std::string("dtypes differ: ") + dtype_name(a0.dtype()) + " x " + dtype_name(b0.dtype()));
  // 1-d operands: a vector on the left is a row [1,K], on the right a column [K,1].
  Tensor a = a0.dim() == 1 ? a0.unsqueeze(0) : a0;
  Tensor b = b0.dim() == 1 ? b0.unsqueeze(1) : b0;
  const int64_t M = a.size(-2), K = a.size(-1), K2 = b.size(-2), N = b.size(-1);
  if (K != K2)
    fail("matmul", shape_str(a0.shape()) + " x " + shape_str(b0.shape()) + ": inner dimensions " +
                       std::to_string(K) + " and " + std::to_string(K2) + " differ");
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes("matmul", ba, bb);
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);

  // [B..., M, K] x [K, N] with a contiguous left side is one big GEMM [B*M, K] x [K, N].
  auto drop_vector_axes = [&](const Tensor& out) {
    Shape s = out.shape();
    if (b0.dim() == 1) s.pop_back();
    if (a0.dim() == 1) s.erase(s.end() - 1 - (b0.dim() == 1 ? 0 : 1));
    return out.reshape(s);
  };
  if (b.dim() == 2 && a.dim() > 2 && a.is_contiguous())
    return drop_vector_axes(matmul(a.reshape({-1, K}), b).reshape(out_shape));

  Tensor out(out_shape, a.dtype());
  if (K == 0) out.fill_(0);
  if (M == 0 || N == 0 || K == 0) return drop_vector_axes(out);
  Shape ea = batch, eb = batch;
  ea.push_back(M); ea.push_back(K);
  eb.push_back(K); eb.push_back(N);
  BlasMat A = as_blas(a.expand(ea)), B = as_blas(b.expand(eb));
  const int64_t nb = shape_numel(batch);
  detail::dispatch_float(a.dtype(), "matmul", [&](auto z_) { using T = decltype(z_);
    T* pc = out.data<T>();
    const T* pa = static_cast<const T*>(A.t.storage()->data) + A.t.offset();
    const T* pb = static_cast<const T*>(B.t.storage()->data) + B.t.offset();
    // Per-batch element offsets (broadcast batch axes have stride 0).
    auto batch_off = [&](const Tensor& t, int64_t i) {
      int64_t off = 0;
      for (int64_t d = (int64_t)batch.size() - 1; d >= 0; --d) {
        off += (i % batch[d]) * t.strides()[d];
        i /= batch[d];
      }
      return off;
    };
    if (nb == 1) {
      gemm<T>(A.trans, B.trans, M, N, K, pa, A.ld, pb, B.ld, pc, N);
      return;
    }
    // Many small products: one per thread (BLAS runs single-threaded inside
    // an OpenMP parallel region, so the cores are not oversubscribed).
    const bool par = nb >= omp_get_max_threads() && M * N * K < (1 << 20);
#pragma omp parallel for if (par) schedule(static)
    for (int64_t i = 0; i < nb; ++i)
      gemm<T>(A.trans, B.trans, M, N, K, pa + batch_off(A.t, i), A.ld, pb + batch_off(B.t, i), B.ld,
              pc + i * M * N, N);
  });
  return drop_vector_axes(out);
}

}  // namespace latent
