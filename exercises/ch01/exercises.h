// Chapter 01 exercises — the pieces of a classifier.
// Grader: exercises/ch01/grader.cpp (ctest -L ch01). Stubs: stubs.cpp.
#pragma once

#include "autodiff/ops.h"

namespace latent::exercises::ch01 {

// A Linear layer's forward: y = x Wᵀ + b, x [N,in], W [out,in], b [out].
// Use Var ops (matmul, transpose, +): broadcasting adds b to every row.
Var linear_forward(const Var& x, const Var& W, const Var& b);

// Mean softmax cross-entropy of logits [N,C] against int64 labels [N]:
//   L = (1/N) Σ_n [ log Σ_c exp(z_nc) − z_n,y_n ]
// Use logsumexp (stable) and a one-hot mask (tensor/index.h: one_hot).
Var softmax_cross_entropy(const Var& logits, const Tensor& labels);

// Its gradient, by hand, as a plain Tensor: dL/dz = (softmax(z) − onehot(y)) / N.
Tensor softmax_cross_entropy_grad(const Tensor& logits, const Tensor& labels);

}  // namespace latent::exercises::ch01
