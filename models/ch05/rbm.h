// Chapter 05 — restricted Boltzmann machines (Smolensky 1986; Hinton 2002).
//
// An RBM is an energy-based model over visible units v [V] and hidden units
// h [H], with no connections inside a layer:
//
//   E(v, h) = −bᵀv − cᵀh − vᵀW h                 (binary v and h)
//   p(v, h) = exp(−E(v, h)) / Z,   Z = Σ_{v,h} exp(−E(v, h))
//
// Because the energy is linear in each h_j given v (and in each v_i given h),
// the conditionals factorise into independent units:
//
//   p(h_j = 1 | v) = σ(c_j + vᵀW_{:j})            hidden_mean
//   p(v_i = 1 | h) = σ(b_i + W_{i:} h)            visible_mean
//
// and h can be summed out in closed form, leaving the free energy
//
//   F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW_{:j}),   p(v) = exp(−F(v)) / Z   free_energy
//
// Two variants of the units, as in Hinton's practical guide (2010):
//   visible gaussian  E = ½‖v − b‖² − cᵀh − vᵀW h  (unit variance: standardise
//                     the data first); p(v | h) = N(b + W h, I).
//   hidden gaussian   linear hidden units with unit-variance noise,
//                     E = −bᵀv + ½‖h − c‖² − vᵀW h; p(h | v) = N(c + Wᵀv, I)
//                     (the 30-d code layer of the deep autoencoder).
//
// Layout: rows are examples. v [N,V], h [N,H], W [V,H], so the two
// conditionals are one GEMM each: v W and h Wᵀ.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace latent::models {

enum class Units { bernoulli, gaussian };
const char* units_name(Units u);

struct Rbm {
  Tensor W;  // [V,H] weights
  Tensor b;  // [V]   visible biases
  Tensor c;  // [H]   hidden biases
  Units visible = Units::bernoulli, hidden = Units::bernoulli;

  int64_t num_visible() const { return W.defined() ? W.size(0) : 0; }
  int64_t num_hidden() const { return W.defined() ? W.size(1) : 0; }
  std::string describe() const;  // "RBM(784 bernoulli -> 500 bernoulli)"
};

// W ~ N(0, 0.01²), c = 0, and b = 0 — or, when visible_mean [V] is given,
// b starts at the data's marginals (Hinton's guide, section 8): for binary
// units b_i = log(p_i / (1 − p_i)) with p_i clipped to [1e-3, 1 − 1e-3], for
// gaussian units b = the mean itself.
Rbm rbm_init(int64_t V, int64_t H, Generator& g, Units visible = Units::bernoulli,
             Units hidden = Units::bernoulli, const Tensor& visible_mean = Tensor(), DType dtype = DType::f32);

// ---- conditionals and sampling ----
Tensor hidden_input(const Rbm& m, const Tensor& v);   // c + v W      [N,H]
Tensor visible_input(const Rbm& m, const Tensor& h);  // b + h Wᵀ     [N,V]
Tensor hidden_mean(const Rbm& m, const Tensor& v);    // E[h | v]: σ(·) or the linear input
Tensor visible_mean(const Rbm& m, const Tensor& h);   // E[v | h]
// A draw from p(· | ·) given its mean: Bernoulli(mean) or mean + N(0, 1).
Tensor sample_units(const Tensor& mean, Units u, Generator& g);
Tensor sample_hidden(const Rbm& m, const Tensor& v, Generator& g);
Tensor sample_visible(const Rbm& m, const Tensor& h, Generator& g);

// k steps of block Gibbs sampling v → h → v from v0 (the last visible step
// returns the mean when mean_last, the usual way to look at samples).
Tensor gibbs_chain(const Rbm& m, const Tensor& v0, int64_t k, Generator& g, bool mean_last = true);

// ---- energies ----
Tensor energy(const Rbm& m, const Tensor& v, const Tensor& h);  // [N]
// F(v) = −log Σ_h exp(−E(v, h)) [N]. Binary hidden units: as above. Gaussian
// hidden units (the integral over h is a Gaussian one):
//   F(v) = −bᵀv − ½‖c + Wᵀv‖² + ½‖c‖² − (H/2) log 2π.
// Gaussian visible units have ½‖v − b‖² in place of −bᵀv.
Tensor free_energy(const Rbm& m, const Tensor& v);

// ---- training monitors (Hinton's guide, section 5) ----
// Mean over rows of ‖v − E[v | h]‖², h ~ p(h | v): cheap, but not the objective.
double reconstruction_error(const Rbm& m, const Tensor& v, Generator& g);
// Stochastic pseudo-log-likelihood per example, as scikit-learn's
// BernoulliRBM.score_samples: for one random unit i per row,
//   V · log σ(F(ṽ) − F(v)),  ṽ = v with bit i flipped.
// Binary visible units only.
double pseudo_log_likelihood(const Rbm& m, const Tensor& v, Generator& g);

// Bad input gets a clear error: v must be [N, V] of this RBM's V, floating
// point, finite, and for binary visible units inside [0, 1] (0/1 values, or
// probabilities as Hinton's guide allows for pixels). Training, the energies
// and the monitors scan the values; the conditionals check shapes only (they
// are formulas defined for any real input, and run on the model's own samples).
void check_visible(const std::string& op, const Rbm& m, const Tensor& v);

}  // namespace latent::models
