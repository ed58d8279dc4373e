// Chapter 00 exercises — write the backward rules yourself.
//
// Each function below is a backward rule: given the op's inputs and g = dL/dy,
// return dL/d(input). Write them with Var ops (+, *, matmul, transpose, ...), not
// raw loops, so that they are differentiable too. The grader
// (exercises/ch00/grader.cpp) wraps your rule into an op with make_op and
// checks it with gradcheck. Run it with:
//   cmake --preset learner && cmake --build --preset learner --target grader_ch00
//   ctest --preset learner -L ch00
// Start from exercises/ch00/stubs.cpp; exercises/ch00/solutions.cpp has answers.
#pragma once

#include "autodiff/ops.h"

namespace latent::exercises::ch00 {

// y = a * b (same shapes). Return {dL/da, dL/db}.
Grads mul_backward(const Var& a, const Var& b, const Var& g);

// Y = A B with A [M,K], B [K,N]. Return {dL/dA, dL/dB}.
Grads matmul_backward(const Var& A, const Var& B, const Var& g);

// y = σ(x). You are given the output y (not x): return dL/dx.
Var sigmoid_backward(const Var& y, const Var& g);

// A custom op of your own: swish(x) = x·σ(x) (Ramachandran et al. 2017).
// Compute the value with tensor/ functions and build the op with make_op,
// giving it a backward rule: d swish/dx = σ(x) + x·σ(x)(1 − σ(x)).
Var swish(const Var& x);

}  // namespace latent::exercises::ch00
