// Chapter 05 — exact log Z, AIS, and log-likelihoods (partition.h).
#include "models/ch05/partition.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace latent::models {

namespace {

// Running log Σ exp(x) over chunks, without overflow.
struct LogSumExp {
  double max = -std::numeric_limits<double>::infinity(), sum = 0;
  void add(const std::vector<double>& xs) {
    for (double x : xs) {
      if (x > max) {
        sum = sum * std::exp(max - x) + 1;
        max = x;
      } else {
        sum += std::exp(x - max);
      }
    }
  }
  double value() const { return max + std::log(sum); }
};

// Rows start .. start+n of the 2^units binary states, bit j of the row index in column j.
Tensor binary_states(int64_t start, int64_t n, int64_t units) {
  std::vector<double> s((size_t)(n * units));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < units; ++j) s[(size_t)(r * units + j)] = (double)(((start + r) >> j) & 1);
  return from_vector(s, {n, units}, DType::f64);
}

// log Σ_v exp(−E(v, h)) for each row h of S (float64 model): the unnormalised
// log p(h), v summed out analytically (binary or gaussian visible units).
Tensor hidden_log_p_star(const Rbm& m, const Tensor& S) {
  const Tensor a = matmul(S, m.W.t()) + m.b;  // b + W h, [rows, V]
  return matmul(S, m.c) + (m.visible == Units::bernoulli
                               ? sum(softplus(a), {1})
                               : 0.5 * sum(square(a), {1}) - 0.5 * sum(square(m.b)).item() +
                                     0.5 * (double)m.num_visible() * std::log(2 * M_PI));
}

}  // namespace

double log_z_exact(const Rbm& m_, int64_t max_units) {
  const int64_t V = m_.num_visible(), H = m_.num_hidden();
  if (V == 0) fail("log_z_exact", "the RBM has no weights (make it with rbm_init)");
  Rbm m{m_.W.to(DType::f64), m_.b.to(DType::f64), m_.c.to(DType::f64), m_.visible, m_.hidden};
  // Enumerate the binary layer that is smaller (the other one is summed out analytically).
  const bool hidden_ok = m.hidden == Units::bernoulli && H <= max_units;
  const bool visible_ok = m.visible == Units::bernoulli && V <= max_units;
  const bool over_hidden = hidden_ok && (!visible_ok || H <= V);
  if (!hidden_ok && !visible_ok)
    fail("log_z_exact", m.describe() + ": enumeration needs a binary layer of at most " + std::to_string(max_units) +
                            " units (2^n states); use ais_log_z for large layers");
  const int64_t n = over_hidden ? H : V;
  const int64_t total = int64_t(1) << n, chunk = std::min<int64_t>(total, 4096);
  LogSumExp acc;
  for (int64_t start = 0; start < total; start += chunk) {
    const Tensor S = binary_states(start, std::min(chunk, total - start), n);
    Tensor terms;
    if (over_hidden) {
      terms = hidden_log_p_star(m, S);
    } else {
      terms = -free_energy(m, S);  // Σ_h exp(−E(v, h)) = exp(−F(v))
    }
    acc.add(terms.to_vector());
  }
  return acc.value();
}

double mean_log_likelihood(const Rbm& m, const Tensor& v, double log_z) {
  return -mean(free_energy(m, v).to(DType::f64)).item() - log_z;
}

Tensor base_rate_bias(const Tensor& X) {
  if (X.dim() != 2 || X.size(0) == 0) fail("base_rate_bias", "needs data [N, V], got " + shape_str(X.shape()));
  const double N = (double)X.size(0);
  Tensor p = (sum(X.to(DType::f64), {0}) + 0.05) / (N + 0.1);
  return log(p / (1.0 - p));
}

double log_z_base(const Tensor& bA, int64_t H) {
  return sum(softplus(bA.to(DType::f64))).item() + (double)H * std::log(2.0);
}

namespace {
void check_ais(const std::string& op, const Rbm& m, const Tensor& bA) {
  if (m.visible != Units::bernoulli || m.hidden != Units::bernoulli)
    fail(op, "AIS is implemented for binary units; " + m.describe() + " has gaussian ones (use log_z_exact)");
  if (!bA.defined() || bA.dim() != 1 || bA.size(0) != m.num_visible())
    fail(op, "the base-rate biases must be [" + std::to_string(m.num_visible()) + "], got " +
                 (bA.defined() ? shape_str(bA.shape()) : "undefined"));
}

// log Ẑ_B = log Z_A + log mean w, and the ±3σ̂ bounds of the mean weight.
AisResult ais_result(std::vector<double> log_weights, double log_z_a,
                     std::chrono::steady_clock::time_point t0) {
  AisResult r;
  r.log_weights = std::move(log_weights);
  r.log_z_base = log_z_a;
  const double M = (double)r.log_weights.size();
  double mx = -std::numeric_limits<double>::infinity();
  for (double w : r.log_weights) mx = std::max(mx, w);
  double s = 0, s2 = 0;
  for (double w : r.log_weights) {
    const double e = std::exp(w - mx);
    s += e;
    s2 += e * e;
  }
  const double mean_w = s / M;
  const double var_w = std::max(0.0, s2 / M - mean_w * mean_w);
  const double se = std::sqrt(var_w / M);
  r.log_z = r.log_z_base + mx + std::log(mean_w);
  r.log_z_high = r.log_z_base + mx + std::log(mean_w + 3 * se);
  r.log_z_low = mean_w > 3 * se ? r.log_z_base + mx + std::log(mean_w - 3 * se)
                                : -std::numeric_limits<double>::infinity();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}
}  // namespace

Tensor ais_log_p_star(const Rbm& m, const Tensor& bA, const Tensor& v, double beta) {
  check_ais("ais_log_p_star", m, bA);
  const Tensor a = hidden_input(m, v).to(DType::f64);  // c + vW
  const Tensor v64 = v.to(DType::f64);
  return matmul(v64, (1 - beta) * bA.to(DType::f64) + beta * m.b.to(DType::f64)) + sum(softplus(beta * a), {1});
}

Tensor ais_transition(const Rbm& m, const Tensor& bA, const Tensor& v, double beta, Generator& g) {
  check_ais("ais_transition", m, bA);
  const Tensor h = bernoulli(sigmoid(beta * hidden_input(m, v)), &g);
  const Tensor a = (1 - beta) * bA.to(m.W.dtype()) + beta * visible_input(m, h);
  return bernoulli(sigmoid(a), &g);
}

std::vector<double> ais_schedule(int64_t n_betas) {
  if (n_betas < 3) fail("ais_schedule", "needs at least 3 intermediate distributions, got " + std::to_string(n_betas));
  // Proportions of Salakhutdinov & Murray (2008): 500, 4000, 10000 steps.
  const int64_t n1 = std::max<int64_t>(1, n_betas * 500 / 14500);
  const int64_t n2 = std::max<int64_t>(1, n_betas * 4000 / 14500);
  const int64_t n3 = n_betas - n1 - n2;
  std::vector<double> b;
  for (int64_t i = 0; i < n1; ++i) b.push_back(0.5 * (double)i / (double)n1);
  for (int64_t i = 0; i < n2; ++i) b.push_back(0.5 + 0.4 * (double)i / (double)n2);
  for (int64_t i = 0; i < n3; ++i) b.push_back(0.9 + 0.1 * (double)(i + 1) / (double)n3);  // ends at 1
  return b;
}

AisResult ais_log_z(const Rbm& m, const Tensor& bA_, const AisOptions& opt) {
  check_ais("ais_log_z", m, bA_);
  if (opt.runs < 1) fail("ais_log_z", "needs at least one run");
  const auto t0 = std::chrono::steady_clock::now();
  const DType dt = m.W.dtype();
  const Tensor bA = bA_.to(dt), bA64 = bA_.to(DType::f64), b64 = m.b.to(DType::f64);
  const std::vector<double> betas = ais_schedule(opt.n_betas);
  Generator g(opt.seed);
  const int64_t M = opt.runs;
  // v_1 ~ p_A: independent Bernoulli(σ(b_A)).
  Tensor v = bernoulli(sigmoid(bA).unsqueeze(0).expand({M, m.num_visible()}).contiguous(), &g);
  Tensor logw = zeros({M}, DType::f64);
  double beta_prev = 0;
  for (double beta : betas) {
    // log p*_β(v) − log p*_β'(v): one GEMM for a = c + vW, shared with the transition.
    const Tensor a = hidden_input(m, v);
    const Tensor a64 = a.to(DType::f64), v64 = v.to(DType::f64);
    logw = logw + (beta - beta_prev) * matmul(v64, b64 - bA64) +
           sum(softplus(beta * a64) - softplus(beta_prev * a64), {1});
    beta_prev = beta;
    if (beta < 1) {  // the transition T_β (none needed after the last weight)
      const Tensor h = bernoulli(sigmoid(beta * a), &g);
      v = bernoulli(sigmoid((1 - beta) * bA + beta * visible_input(m, h)), &g);
    }
  }
  return ais_result(logw.to_vector(), log_z_base(bA_, m.num_hidden()), t0);
}

namespace {
// p(h) of a small binary hidden layer, enumerated once: its unnormalised CDF over the 2^H
// states (scaled by e^−max) and log Z = max + log(total mass), which is log_z_exact's value.
struct HiddenTable {
  std::vector<double> cdf;
  double log_z = 0;
};
HiddenTable hidden_table(const std::string& op, const Rbm& m_, int64_t max_units) {
  const int64_t H = m_.num_hidden();
  if (H == 0) fail(op, "the RBM has no weights (make it with rbm_init)");
  if (m_.hidden != Units::bernoulli || H > max_units)
    fail(op, m_.describe() + ": exact sampling enumerates the hidden layer, which must be binary with at most " +
                 std::to_string(max_units) + " units");
  const Rbm m{m_.W.to(DType::f64), m_.b.to(DType::f64), m_.c.to(DType::f64), m_.visible, m_.hidden};
  const int64_t total = int64_t(1) << H, chunk = std::min<int64_t>(total, 4096);
  std::vector<double> lp;
  lp.reserve((size_t)total);
  for (int64_t start = 0; start < total; start += chunk) {
    const std::vector<double> t = hidden_log_p_star(m, binary_states(start, std::min(chunk, total - start), H)).to_vector();
    lp.insert(lp.end(), t.begin(), t.end());
  }
  const double mx = *std::max_element(lp.begin(), lp.end());
  HiddenTable tab;
  tab.cdf.resize(lp.size());
  double acc = 0;
  for (size_t i = 0; i < lp.size(); ++i) tab.cdf[i] = (acc += std::exp(lp[i] - mx));
  tab.log_z = mx + std::log(acc);
  return tab;
}
// n draws h ~ p(h) by inverse CDF, then v ~ p(v | h).
Tensor draw_from_table(const Rbm& m, const HiddenTable& tab, int64_t n, Generator& g) {
  const int64_t H = m.num_hidden(), total = (int64_t)tab.cdf.size();
  std::vector<double> hs((size_t)(n * H));
  for (int64_t r = 0; r < n; ++r) {
    const double u = g.next_uniform() * tab.cdf.back();
    const int64_t state = std::min<int64_t>(total - 1, std::upper_bound(tab.cdf.begin(), tab.cdf.end(), u) - tab.cdf.begin());
    for (int64_t j = 0; j < H; ++j) hs[(size_t)(r * H + j)] = (double)((state >> j) & 1);
  }
  const Tensor h = from_vector(hs, {n, H}, DType::f64).to(m.W.dtype());
  return sample_units(visible_mean(m, h), m.visible, g);
}
}  // namespace

Tensor sample_exact(const Rbm& m, int64_t n, Generator& g, int64_t max_units) {
  if (n < 1) fail("sample_exact", "needs n >= 1 samples, got " + std::to_string(n));
  return draw_from_table(m, hidden_table("sample_exact", m, max_units), n, g);
}

namespace {
// The transition of the two-RBM path, given the hidden inputs xa = c_A + vW_A and xb = c_B + vW_B.
Tensor two_rbm_step(const Rbm& A, const Rbm& B, const Tensor& xa, const Tensor& xb, double beta, Generator& g) {
  const Tensor ha = bernoulli(sigmoid((1 - beta) * xa), &g), hb = bernoulli(sigmoid(beta * xb), &g);
  return bernoulli(sigmoid((1 - beta) * visible_input(A, ha) + beta * visible_input(B, hb)), &g);
}
void check_two_rbm(const std::string& op, const Rbm& B, const Rbm& A) {
  if (B.visible != Units::bernoulli || B.hidden != Units::bernoulli || A.visible != Units::bernoulli ||
      A.hidden != Units::bernoulli)
    fail(op, "AIS is implemented for binary units; got target " + B.describe() + " and base " + A.describe());
  if (A.num_visible() != B.num_visible())
    fail(op, "the base " + A.describe() + " and the target " + B.describe() + " must have the same visible units");
}
}  // namespace

Tensor ais_transition_from_rbm(const Rbm& B, const Rbm& A_, const Tensor& v, double beta, Generator& g) {
  check_two_rbm("ais_transition_from_rbm", B, A_);
  const DType dt = B.W.dtype();
  const Rbm A{A_.W.to(dt), A_.b.to(dt), A_.c.to(dt), A_.visible, A_.hidden};
  const Tensor x = v.to(dt);
  return two_rbm_step(A, B, hidden_input(A, x), hidden_input(B, x), beta, g);
}

AisResult ais_log_z_from_rbm(const Rbm& B, const Rbm& A, const AisOptions& opt) {
  check_two_rbm("ais_log_z_from_rbm", B, A);
  if (A.num_hidden() > 20)
    fail("ais_log_z_from_rbm", "the base " + A.describe() + " needs an exact log Z and exact samples: at most 20 hidden units");
  if (opt.runs < 1) fail("ais_log_z_from_rbm", "needs at least one run");
  const auto t0 = std::chrono::steady_clock::now();
  const DType dt = B.W.dtype();
  const Rbm a{A.W.to(dt), A.b.to(dt), A.c.to(dt), A.visible, A.hidden};
  const Tensor db64 = B.b.to(DType::f64) - A.b.to(DType::f64);
  const std::vector<double> betas = ais_schedule(opt.n_betas);
  Generator g(opt.seed);
  const HiddenTable tab = hidden_table("ais_log_z_from_rbm", A, 20);  // one enumeration: A's samples and log Z_A
  Tensor v = draw_from_table(a, tab, opt.runs, g);                     // v_1 ~ p_A exactly
  Tensor logw = zeros({opt.runs}, DType::f64);
  double beta_prev = 0;
  for (double beta : betas) {
    // log p*_β(v) − log p*_β'(v): A's hidden units fade as (1−β), B's grow as β.
    const Tensor xa = hidden_input(a, v), xb = hidden_input(B, v);
    const Tensor xa64 = xa.to(DType::f64), xb64 = xb.to(DType::f64);
    logw = logw + (beta - beta_prev) * matmul(v.to(DType::f64), db64) +
           sum(softplus((1 - beta) * xa64) - softplus((1 - beta_prev) * xa64), {1}) +
           sum(softplus(beta * xb64) - softplus(beta_prev * xb64), {1});
    beta_prev = beta;
    if (beta < 1) v = two_rbm_step(a, B, xa, xb, beta, g);  // T_β: both hidden layers given v, then v
  }
  const double log_z_a = tab.log_z + (double)(B.num_hidden() - A.num_hidden()) * std::log(2.0);
  return ais_result(logw.to_vector(), log_z_a, t0);
}

RaiseResult raise_log_likelihood(const Rbm& m, const Tensor& bA_, const Tensor& v_, const RaiseOptions& opt) {
  check_ais("raise_log_likelihood", m, bA_);
  if (opt.runs < 1) fail("raise_log_likelihood", "needs at least one run");
  if (v_.dim() != 2 || v_.size(1) != m.num_visible() || v_.size(0) == 0)
    fail("raise_log_likelihood", "test images must be [N, " + std::to_string(m.num_visible()) + "], got " +
                                     shape_str(v_.shape()));
  check_visible("raise_log_likelihood", m, v_);
  if (sum(mul(v_, 1.0 - v_)).item() != 0)
    fail("raise_log_likelihood", "the reverse chain starts at the image itself, so it must be 0/1 (binarise it first)");
  const auto t0 = std::chrono::steady_clock::now();
  const DType dt = m.W.dtype();
  const Tensor bA = bA_.to(dt), db64 = m.b.to(DType::f64) - bA_.to(DType::f64);
  const std::vector<double> betas = ais_schedule(opt.n_betas);
  const int64_t N = v_.size(0), R = opt.runs, K = (int64_t)betas.size() - 1;
  Generator g(opt.seed);
  // Run r of image i is row r·N + i: all chains advance together, one GEMM per step.
  Tensor v = v_.to(dt).unsqueeze(0).expand({R, N, m.num_visible()}).contiguous().reshape({R * N, m.num_visible()});
  // log p*_1(v) − log Z_A: the first factor, at the test image itself.
  Tensor logw = ais_log_p_star(m, bA_, v, 1.0) - log_z_base(bA_, m.num_hidden());
  for (int64_t k = K; k >= 1; --k) {
    // v_{k−1} ~ T_k(v_k): a Gibbs step at β_k ...
    const double beta = betas[(size_t)k], beta_below = betas[(size_t)(k - 1)];
    const Tensor h = bernoulli(sigmoid(beta * hidden_input(m, v)), &g);
    v = bernoulli(sigmoid((1 - beta) * bA + beta * visible_input(m, h)), &g);
    // ... then the factor p*_{β_{k−1}}(v_{k−1}) / p*_{β_k}(v_{k−1}).
    const Tensor a64 = hidden_input(m, v).to(DType::f64);
    logw = logw - (beta - beta_below) * matmul(v.to(DType::f64), db64) -
           sum(softplus(beta * a64) - softplus(beta_below * a64), {1});
  }
  RaiseResult r;
  const std::vector<double> lw = logw.to_vector();
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < N; ++i) {
    std::vector<double> runs;
    for (int64_t q = 0; q < R; ++q) runs.push_back(lw[(size_t)(q * N + i)]);
    LogSumExp acc;
    acc.add(runs);
    const double lp = acc.value() - std::log((double)R);
    r.log_p.push_back(lp);
    s += lp;
    s2 += lp * lp;
  }
  r.mean = s / (double)N;
  r.std_error = N > 1 ? std::sqrt(std::max(0.0, (s2 / (double)N - r.mean * r.mean) / (double)(N - 1))) : 0.0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace latent::models
