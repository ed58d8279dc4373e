// Chapter 02 — the reconstruction objective (see reconstruction.h).
#include "models/ch02/reconstruction.h"

namespace latent::models {

namespace {

Tensor as_rows(const std::string& op, const Tensor& X) {
  if (!X.defined() || X.dim() < 2) fail(op, "expects [N, D] data, got " + (X.defined() ? shape_str(X.shape()) : std::string("undefined")));
  return X.reshape({X.size(0), -1}).to(DType::f64);
}

}  // namespace

double reconstruction_objective(const Tensor& X0, const Tensor& Z0, const Tensor& U0, const Tensor& offset) {
  const std::string op = "reconstruction_objective";
  Tensor X = as_rows(op, X0), Z = as_rows(op, Z0), U = as_rows(op, U0);
  if (Z.size(0) != X.size(0) || Z.size(1) != U.size(0) || U.size(1) != X.size(1))
    fail(op, "X " + shape_str(X0.shape()) + ", Z " + shape_str(Z0.shape()) + ", U " + shape_str(U0.shape()) +
                 " do not fit X ≈ Z U (need X [N,D], Z [N,k], U [k,D])");
  Tensor residual = X - matmul(Z, U);
  if (offset.defined()) {
    if (offset.numel() != X.size(1))
      fail(op, "offset " + shape_str(offset.shape()) + " does not match X " + shape_str(X0.shape()));
    residual = residual - offset.to(DType::f64).reshape({1, X.size(1)});
  }
  return sum(square(residual)).item();
}

double squared_error_per_example(const Tensor& X0, const Tensor& Xhat0) {
  const std::string op = "squared_error_per_example";
  if (!X0.defined() || !Xhat0.defined() || X0.dim() < 1 || X0.numel() != Xhat0.numel() ||
      X0.size(0) != Xhat0.size(0) || X0.size(0) == 0)
    fail(op, "needs two non-empty tensors of N examples with the same number of values, got " +
                 (X0.defined() ? shape_str(X0.shape()) : "undefined") + " and " +
                 (Xhat0.defined() ? shape_str(Xhat0.shape()) : "undefined"));
  Tensor diff = X0.reshape({X0.size(0), -1}).to(DType::f64) - Xhat0.reshape({X0.size(0), -1}).to(DType::f64);
  return sum(square(diff)).item() / (double)X0.size(0);
}

}  // namespace latent::models
