// Chapter 05 exercises — the three computations an RBM's training and
// evaluation rest on: the free energy, one CD-1 update, one AIS step.
// Grader: exercises/ch05/grader.cpp (ctest -L ch05). Stubs: stubs.cpp.
// Read docs/05-boltzmann-machines.md first; models/ch05/ has the library
// versions (rbm.cpp, rbm_train.cpp, partition.cpp: try not to peek).
//
// Every RBM here is binary-binary, with W [V,H], visible biases b [V], hidden
// biases c [H], and rows of v [N,V] as examples:
//   E(v, h) = −bᵀv − cᵀh − vᵀW h
// The randomness is passed in: u_h [N,H] and u_v [N,V] hold uniforms in
// [0, 1), and a unit with probability p of being on is sampled as
//   s = 1 if u < p, else 0                      (lt(u, p) in tensor.h)
// so the same uniforms always give the same samples, and the grader can
// compare yours with the library's (tensor/random.h's bernoulli() draws the same way).
#pragma once

#include "tensor/tensor.h"

namespace latent::exercises::ch05 {

// The free energy of each row of v [N,V], [N]:
//   F(v) = −log Σ_h exp(−E(v, h)) = −bᵀv − Σ_j softplus(c_j + vᵀW_{:j})
// (each h_j is 0 or 1 independently given v, so the sum over 2^H states
// factorises into Π_j (1 + exp(c_j + vᵀW_{:j}))). All H hidden inputs are one
// GEMM: a = c + v W [N,H].
// softplus(x) = log(1 + eˣ) overflows as written once x > 709 (float64) or
// x > 88 (float32), and the answer is then simply ≈ x: compute it as
//   max(x, 0) + log1p(exp(−|x|))
// (or use tensor.h's softplus, which does exactly that).
Tensor free_energy(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& v);

// One CD-1 step (Hinton 2002) on the minibatch v0 [B,V], with learning rate lr:
//   h0  = σ(c + v0 W)                  [B,H]  hidden probabilities given the data
//   hs  = 1[u_h < h0]                  [B,H]  a binary sample of them
//   v1  = 1[u_v < σ(b + hs Wᵀ)]        [B,V]  the reconstruction: a binary sample
//   h1  = σ(c + v1 W)                  [B,H]  hidden probabilities given it
//   dW  = lr (v0ᵀ h0 − v1ᵀ h1) / B     [V,H]  = lr (<v hᵀ>_data − <v hᵀ>_recon)
//   db  = lr mean over rows of (v0 − v1)   [V]
//   dc  = lr mean over rows of (h0 − h1)   [H]
// Drive the visible layer with the *sampled* hs (a real-valued h would pass
// more information than a binary unit can), but use the probabilities h0 and
// h1, not samples, in the statistics: same expectation, less noise (Hinton's
// guide, section 3). Divide by B so lr does not depend on the batch size.
// Fill in every field (the grader checks the intermediate ones too).
struct Cd1Step {
  Tensor h0, hs, v1, h1;  // as above
  Tensor dW, db, dc;      // the update: W += dW, b += db, c += dc
};
Cd1Step cd1_step(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& v0, const Tensor& u_h,
                 const Tensor& u_v, double lr);

// Annealed importance sampling (partition.h) walks from a base model with
// visible biases bA [V] and no weights (β = 0) to the RBM (β = 1) through
//   p*_β(v) = exp((1−β) bAᵀv + β bᵀv) Π_j (1 + exp(β (c_j + vᵀW_{:j})))
//
// One transition T_β, a Gibbs step that leaves p_β invariant, from v [N,V]:
//   h  = 1[u_h < σ(β (c + v W))]                     [N,H]
//   v' = 1[u_v < σ((1−β) bA + β (b + h Wᵀ))]          [N,V]  (returned)
// Note β multiplies the whole input c + vW (bias included), and at β = 0
// v' does not depend on v or W at all: it is a draw from the base model.
Tensor ais_transition(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& bA, const Tensor& v,
                      double beta, const Tensor& u_h, const Tensor& u_v);

// The log importance-weight increment of each row of v [N,V] when β' = beta_prev
// moves to β = beta, [N]:
//   log p*_β(v) − log p*_β'(v) = (β − β') (b − bA)ᵀv
//                              + Σ_j [softplus(β a_j) − softplus(β' a_j)],  a = c + v W
// softplus(β a), not β softplus(a): β scales the energy, inside the sum over h.
// Summed over a schedule 0 = β_0 < ... < β_K = 1 it telescopes to
//   log p*_1(v) − log p*_0(v) = −F(v) − bAᵀv − H log 2.
Tensor ais_log_weight_increment(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& bA,
                                const Tensor& v, double beta_prev, double beta);

}  // namespace latent::exercises::ch05
