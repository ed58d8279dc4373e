// latent/nn — weight initialisers (in place, on a parameter's value).
//
// Why they matter: with fan_in inputs of variance 1, a unit's pre-activation
// has variance fan_in·Var(w). Choosing Var(w) ∝ 1/fan_in keeps signals from
// exploding or vanishing through depth.
#pragma once

#include "autodiff/variable.h"
#include "tensor/random.h"

namespace latent::nn::init {

// fan_in / fan_out of a weight: Linear [out,in]; Conv [out,in,kh,kw] (× kernel area).
std::pair<int64_t, int64_t> fans(const Shape& weight_shape);

// Glorot & Bengio 2010: Var(w) = 2/(fan_in + fan_out), for tanh/sigmoid nets.
void xavier_uniform(Var& w, double gain = 1.0, Generator* g = nullptr);
void xavier_normal(Var& w, double gain = 1.0, Generator* g = nullptr);
// He et al. 2015: Var(w) = 2/fan_in for ReLU nets (a = leaky slope).
void kaiming_uniform(Var& w, double a = 0.0, Generator* g = nullptr);
void kaiming_normal(Var& w, double a = 0.0, Generator* g = nullptr);
// The same N(0, 2/fan_in) with fan_in given: the number of inputs each output really sums,
// which the weight's shape does not tell for a transposed convolution. ConvTranspose2d's
// weight is [in, out, k, k] and, at stride s, each output sums in·k²/s² inputs (in on a 1x1
// input); fans() would read out·k².
void he_normal(Var& w, double fan_in, Generator* g = nullptr);
// N(mean, std²): DCGAN uses N(0, 0.02²) for every weight (Radford et al. 2016).
void normal(Var& w, double mean = 0.0, double std = 0.02, Generator* g = nullptr);
void uniform(Var& w, double lo, double hi, Generator* g = nullptr);
void constant(Var& w, double value);

}  // namespace latent::nn::init
