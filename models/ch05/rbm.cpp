// Chapter 05 — the RBM's conditionals, energies and monitors (rbm.h).
#include "models/ch05/rbm.h"

#include <cmath>

namespace latent::models {

const char* units_name(Units u) { return u == Units::bernoulli ? "bernoulli" : "gaussian"; }

std::string Rbm::describe() const {
  return "RBM(" + std::to_string(num_visible()) + " " + units_name(visible) + " -> " + std::to_string(num_hidden()) +
         " " + units_name(hidden) + ")";
}

namespace {

void check_model(const std::string& op, const Rbm& m) {
  if (!m.W.defined() || m.W.dim() != 2) fail(op, "the RBM has no weight matrix W [V,H] (make it with rbm_init)");
  if (!m.b.defined() || m.b.dim() != 1 || m.b.size(0) != m.W.size(0) || !m.c.defined() || m.c.dim() != 1 ||
      m.c.size(0) != m.W.size(1))
    fail(op, "biases do not match W " + shape_str(m.W.shape()) + ": b " +
                 (m.b.defined() ? shape_str(m.b.shape()) : "undefined") + ", c " +
                 (m.c.defined() ? shape_str(m.c.shape()) : "undefined"));
  if (m.visible == Units::gaussian && m.hidden == Units::gaussian)
    fail(op, "gaussian visible and gaussian hidden units together have no normalisable p(v, h)");
}

void check_hidden(const std::string& op, const Rbm& m, const Tensor& h) {
  check_model(op, m);
  if (h.dim() != 2 || h.size(1) != m.num_hidden())
    fail(op, "hidden states must be [N, " + std::to_string(m.num_hidden()) + "] for " + m.describe() + ", got " +
                 shape_str(h.shape()));
}

}  // namespace

namespace {
// Shapes and dtype only: cheap, so the conditionals run it on every call
// (they also see the model's own samples, which need no value scan).
void check_visible_shape(const std::string& op, const Rbm& m, const Tensor& v) {
  check_model(op, m);
  if (v.dim() != 2 || v.size(1) != m.num_visible())
    fail(op, "visible data must be [N, " + std::to_string(m.num_visible()) + "] for " + m.describe() + ", got " +
                 shape_str(v.shape()) + (v.dim() == 4 ? " (flatten images with x.reshape({N, -1}))" : ""));
  if (v.dtype() == DType::i64) fail(op, "visible data must be float32 or float64, got int64 (use .to(DType::f32))");
}
}  // namespace

void check_visible(const std::string& op, const Rbm& m, const Tensor& v) {
  check_visible_shape(op, m, v);
  if (v.numel() == 0) return;
  // NaN compares unequal to itself; the reductions skip NaN, so count them first.
  if (sum(ne(v, v)).item() > 0) fail(op, "visible data contains NaN");
  const double lo = min(v).item(), hi = max(v).item();
  if (!std::isfinite(lo) || !std::isfinite(hi)) fail(op, "visible data contains an infinite value");
  if (m.visible == Units::bernoulli && (lo < 0 || hi > 1))
    fail(op, "a binary RBM needs visible data in [0, 1] (0/1 values or probabilities), got values in [" +
                 std::to_string(lo) + ", " + std::to_string(hi) +
                 "]; for real-valued data standardise it and use gaussian visible units");
}

Rbm rbm_init(int64_t V, int64_t H, Generator& g, Units visible, Units hidden, const Tensor& visible_mean_,
             DType dtype) {
  if (V < 1 || H < 1)
    fail("rbm_init", "needs at least one visible and one hidden unit, got V = " + std::to_string(V) +
                         ", H = " + std::to_string(H));
  if (dtype == DType::i64) fail("rbm_init", "parameters must be float32 or float64");
  Rbm m;
  m.visible = visible;
  m.hidden = hidden;
  check_model("rbm_init", Rbm{zeros({V, H}), zeros({V}), zeros({H}), visible, hidden});
  m.W = normal({V, H}, 0.0, 0.01, dtype, &g);
  m.c = zeros({H}, dtype);
  m.b = zeros({V}, dtype);
  if (visible_mean_.defined()) {
    if (visible_mean_.dim() != 1 || visible_mean_.size(0) != V)
      fail("rbm_init", "visible_mean must be [" + std::to_string(V) + "], got " + shape_str(visible_mean_.shape()));
    if (visible == Units::bernoulli) {
      Tensor p = clamp(visible_mean_.to(dtype), 1e-3, 1 - 1e-3);
      m.b = log(p / (1.0 - p));  // σ(b_i) = p_i: the units start at the data's marginals
    } else {
      m.b = visible_mean_.to(dtype).clone();
    }
  }
  return m;
}

Tensor hidden_input(const Rbm& m, const Tensor& v) {
  check_visible_shape("hidden_input", m, v);
  return matmul(v.to(m.W.dtype()), m.W) + m.c;
}

Tensor visible_input(const Rbm& m, const Tensor& h) {
  check_hidden("visible_input", m, h);
  return matmul(h.to(m.W.dtype()), m.W.t()) + m.b;
}

Tensor hidden_mean(const Rbm& m, const Tensor& v) {
  Tensor a = hidden_input(m, v);
  return m.hidden == Units::bernoulli ? sigmoid(a) : a;
}

Tensor visible_mean(const Rbm& m, const Tensor& h) {
  Tensor a = visible_input(m, h);
  return m.visible == Units::bernoulli ? sigmoid(a) : a;
}

Tensor sample_units(const Tensor& mean, Units u, Generator& g) {
  if (u == Units::bernoulli) return bernoulli(mean, &g);
  return mean + normal(mean.shape(), 0.0, 1.0, mean.dtype(), &g);
}

Tensor sample_hidden(const Rbm& m, const Tensor& v, Generator& g) {
  return sample_units(hidden_mean(m, v), m.hidden, g);
}

Tensor sample_visible(const Rbm& m, const Tensor& h, Generator& g) {
  return sample_units(visible_mean(m, h), m.visible, g);
}

Tensor gibbs_chain(const Rbm& m, const Tensor& v0, int64_t k, Generator& g, bool mean_last) {
  if (k < 1) fail("gibbs_chain", "needs k >= 1 Gibbs steps, got " + std::to_string(k));
  Tensor v = v0;
  for (int64_t step = 0; step < k; ++step) {
    Tensor h = sample_hidden(m, v, g);
    v = (step + 1 == k && mean_last) ? visible_mean(m, h) : sample_visible(m, h, g);
  }
  return v;
}

Tensor energy(const Rbm& m, const Tensor& v_, const Tensor& h_) {
  check_visible("energy", m, v_);
  check_hidden("energy", m, h_);
  if (v_.size(0) != h_.size(0))
    fail("energy", "v " + shape_str(v_.shape()) + " and h " + shape_str(h_.shape()) + " have different row counts");
  Tensor v = v_.to(m.W.dtype()), h = h_.to(m.W.dtype());
  Tensor interaction = sum(matmul(v, m.W) * h, {1});  // vᵀ W h per row
  Tensor vis = m.visible == Units::bernoulli ? -matmul(v, m.b) : 0.5 * sum(square(v - m.b), {1});
  Tensor hid = m.hidden == Units::bernoulli ? -matmul(h, m.c) : 0.5 * sum(square(h - m.c), {1});
  return vis + hid - interaction;
}

Tensor free_energy(const Rbm& m, const Tensor& v_) {
  check_visible("free_energy", m, v_);
  Tensor a = hidden_input(m, v_);
  Tensor v = v_.to(m.W.dtype());
  Tensor vis = m.visible == Units::bernoulli ? -matmul(v, m.b) : 0.5 * sum(square(v - m.b), {1});
  if (m.hidden == Units::bernoulli) return vis - sum(softplus(a), {1});
  const double H = (double)m.num_hidden();
  const double c2 = 0.5 * sum(square(m.c)).item();
  return vis - 0.5 * sum(square(a), {1}) + (c2 - 0.5 * H * std::log(2 * M_PI));
}

double reconstruction_error(const Rbm& m, const Tensor& v, Generator& g) {
  check_visible("reconstruction_error", m, v);
  Tensor h = sample_hidden(m, v, g);
  Tensor r = visible_mean(m, h);
  return sum(square(v.to(r.dtype()) - r)).item() / (double)v.size(0);
}

double pseudo_log_likelihood(const Rbm& m, const Tensor& v, Generator& g) {
  check_visible("pseudo_log_likelihood", m, v);
  if (m.visible != Units::bernoulli)
    fail("pseudo_log_likelihood", "defined here for binary visible units; " + m.describe() + " has gaussian ones");
  const int64_t N = v.size(0), V = v.size(1);
  Tensor flipped = v.to(m.W.dtype()).clone();
  for (int64_t r = 0; r < N; ++r) {
    const int64_t i = g.next_int(V);
    flipped.set({r, i}, 1.0 - flipped.at({r, i}));
  }
  // log p(v_i | v_−i) = log σ(F(ṽ) − F(v)) for binary units (the normaliser cancels).
  Tensor pl = log_sigmoid(free_energy(m, flipped) - free_energy(m, v));
  return (double)V * mean(pl).item();
}

}  // namespace latent::models
