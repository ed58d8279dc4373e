// latent/autodiff — differentiable ops on Var.
//
// Each op is defined in one place with its forward (a tensor/ kernel) and its
// backward rule (written with these same Var ops, so it is differentiable
// again). Files: ops_elementwise.cpp, ops_reduce.cpp, ops_shape.cpp,
// ops_matmul.cpp, ops_conv.cpp, ops_index.cpp.
#pragma once

#include "autodiff/variable.h"

namespace latent {

// ---- elementwise, broadcasting (ops_elementwise.cpp) ----
Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var pow(const Var& a, const Var& b);  // a^b, a > 0 where b varies
Var maximum(const Var& a, const Var& b);
Var minimum(const Var& a, const Var& b);
Var where(const Tensor& cond, const Var& a, const Var& b);
Var add(const Var& a, double b);
Var mul(const Var& a, double b);
Var pow(const Var& a, double p);
Var neg(const Var& a);
Var exp(const Var& a);
Var log(const Var& a);
Var log1p(const Var& a);
Var sqrt(const Var& a);
Var abs(const Var& a);
Var square(const Var& a);
Var sign(const Var& a);  // constant: its derivative is 0 almost everywhere
Var clamp(const Var& a, double lo, double hi);
Var sigmoid(const Var& a);
Var log_sigmoid(const Var& a);
Var tanh(const Var& a);
Var relu(const Var& a);
Var leaky_relu(const Var& a, double slope = 0.01);
Var softplus(const Var& a);
Var elu(const Var& a, double alpha = 1.0);
Var bernoulli_log_prob(const Var& logits, const Var& x);  // x·l − softplus(l), broadcasting

Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& a);
Var operator+(const Var& a, double b);
Var operator-(const Var& a, double b);
Var operator*(const Var& a, double b);
Var operator/(const Var& a, double b);
Var operator+(double a, const Var& b);
Var operator-(double a, const Var& b);
Var operator*(double a, const Var& b);
Var operator/(double a, const Var& b);

// ---- reductions (ops_reduce.cpp) ----
Var sum(const Var& a, const Axes& axes = {}, bool keepdim = false);
Var mean(const Var& a, const Axes& axes = {}, bool keepdim = false);
Var max(const Var& a, const Axes& axes = {}, bool keepdim = false);
Var min(const Var& a, const Axes& axes = {}, bool keepdim = false);
Var var(const Var& a, const Axes& axes = {}, bool keepdim = false, bool unbiased = false);
Var logsumexp(const Var& a, const Axes& axes = {}, bool keepdim = false);
Var norm(const Var& a, const Axes& axes = {}, bool keepdim = false);
Var softmax(const Var& a, int64_t axis = -1);
Var log_softmax(const Var& a, int64_t axis = -1);

// ---- shapes and views (ops_shape.cpp) ----
Var reshape(const Var& a, const Shape& shape);
Var transpose(const Var& a, int64_t d0, int64_t d1);
Var permute(const Var& a, const std::vector<int64_t>& order);
Var expand(const Var& a, const Shape& shape);  // broadcast_to
Var sum_to(const Var& a, const Shape& shape);  // the inverse of expand
Var slice(const Var& a, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
Var select(const Var& a, int64_t axis, int64_t index);
Var squeeze(const Var& a, int64_t axis);
Var unsqueeze(const Var& a, int64_t axis);
Var flatten(const Var& a, int64_t start_axis = 1);  // [N, ...] -> [N, prod(...)]
Var contiguous(const Var& a);
Var concat(const std::vector<Var>& xs, int64_t axis);
Var stack(const std::vector<Var>& xs, int64_t axis);
std::vector<Var> split(const Var& a, const std::vector<int64_t>& sizes, int64_t axis);

// ---- matrix products (ops_matmul.cpp) ----
Var matmul(const Var& a, const Var& b);
// x @ w^T + b: the Linear layer's op (x [N,in], w [out,in], b [out] or undefined)
Var linear(const Var& x, const Var& w, const Var& b);

}  // namespace latent
