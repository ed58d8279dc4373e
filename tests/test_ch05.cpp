// Chapter 05 tests: the RBM's conditionals and free energy against brute-force
// sums over all states, exact log Z three ways, CD/PCD learning on a tiny
// data set, the Gibbs sampler's stationary distribution, AIS against the
// exact log Z on MNIST, and bad input.
#include <algorithm>
#include <cmath>
#include <map>

#include "helpers.h"
#include "models/ch05/deep_autoencoder.h"
#include "models/ch05/fvsbn.h"
#include "models/ch05/partition.h"
#include "models/ch05/rbm.h"
#include "models/ch05/rbm_train.h"
#include "nn/data.h"
#include "tensor/index.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;

namespace {

// A small float64 RBM with weights large enough to make the states unequal.
Rbm small_rbm(int64_t V, int64_t H, uint64_t seed, Units vis = Units::bernoulli, Units hid = Units::bernoulli) {
  Generator g(seed);
  Rbm m = rbm_init(V, H, g, vis, hid, Tensor(), DType::f64);
  m.W = normal({V, H}, 0.0, 0.8, DType::f64, &g);
  m.b = normal({V}, 0.0, 0.5, DType::f64, &g);
  m.c = normal({H}, 0.0, 0.5, DType::f64, &g);
  return m;
}

// All 2^n binary rows.
Tensor all_states(int64_t n) {
  std::vector<double> s;
  for (int64_t r = 0; r < (int64_t(1) << n); ++r)
    for (int64_t j = 0; j < n; ++j) s.push_back((double)((r >> j) & 1));
  return from_vector(s, {int64_t(1) << n, n}, DType::f64);
}

// E(v, h) for every pair of binary states: [2^V, 2^H].
std::vector<std::vector<double>> energy_table(const Rbm& m) {
  const Tensor Vs = all_states(m.num_visible()), Hs = all_states(m.num_hidden());
  std::vector<std::vector<double>> E;
  for (int64_t i = 0; i < Vs.size(0); ++i) {
    const Tensor v = Vs.slice(0, i, i + 1).expand({Hs.size(0), m.num_visible()}).contiguous();
    E.push_back(energy(m, v, Hs).to_vector());
  }
  return E;
}

// Pearson's χ² of the rows of v [n, 4] (binary) against the distribution p [16] over the 16
// states (bit j of the state index is column j). Below 37.7 passes at 15 degrees of freedom, p = 0.001.
double chi2_of_states(const Tensor& v, const Tensor& p) {
  const int64_t n = v.size(0);
  std::vector<double> count(16, 0.0);
  for (int64_t r = 0; r < n; ++r) {
    int s = 0;
    for (int j = 0; j < 4; ++j) s |= (v.at({r, j}) > 0.5) << j;
    count[s] += 1;
  }
  double chi2 = 0;
  for (int s = 0; s < 16; ++s) {
    const double e = (double)n * p.at({s});
    chi2 += (count[s] - e) * (count[s] - e) / e;
  }
  return chi2;
}

Tensor binarised_mnist(int64_t n) {
  Mnist mn = load_mnist_embedded();
  return binarize(mn.train.images.slice(0, 0, n).reshape({n, 784}));
}


// The annealing model's marginal p_ann = p_A T_1 ... T_K, by enumeration (tiny RBMs only):
// T_β(v'|v) = Σ_h p_β(h|v) p_β(v'|h).
std::vector<double> annealing_marginal(const Rbm& m, const Tensor& bA, const std::vector<double>& betas) {
  const Tensor Vs = all_states(m.num_visible()), Hs = all_states(m.num_hidden());
  const int64_t nv = Vs.size(0), nh = Hs.size(0);
  auto bern = [](const Tensor& p, const Tensor& x) {  // Π_i p_i^x_i (1 − p_i)^(1 − x_i), per row pair
    return exp(sum(x * log(p) + (1.0 - x) * log(1.0 - p), {-1})).to_vector();
  };
  std::vector<double> p = bern(sigmoid(bA).unsqueeze(0).expand({nv, m.num_visible()}).contiguous(), Vs);
  for (size_t k = 1; k < betas.size(); ++k) {
    const double be = betas[k];
    std::vector<double> next((size_t)nv, 0.0);
    for (int64_t i = 0; i < nv; ++i) {
      const Tensor v = Vs.slice(0, i, i + 1);
      const Tensor ph = sigmoid(be * hidden_input(m, v)).expand({nh, m.num_hidden()}).contiguous();
      const std::vector<double> p_h = bern(ph, Hs);  // p_β(h|v) for every h
      const Tensor pv = sigmoid((1 - be) * bA + be * visible_input(m, Hs));  // [nh, V]
      for (int64_t j = 0; j < nv; ++j) {
        const Tensor vj = Vs.slice(0, j, j + 1).expand({nh, m.num_visible()}).contiguous();
        const std::vector<double> p_v = bern(pv, vj);  // p_β(v_j|h) for every h
        for (int64_t q = 0; q < nh; ++q) next[(size_t)j] += p[(size_t)i] * p_h[(size_t)q] * p_v[(size_t)q];
      }
    }
    p = next;
  }
  return p;
}
}  // namespace

TEST_CASE("ch05: p(h|v), p(v|h) and F(v) equal brute-force sums over the joint") {
  const Rbm m = small_rbm(4, 3, 1);
  const auto E = energy_table(m);
  const Tensor Vs = all_states(4), Hs = all_states(3);
  const Tensor hm = hidden_mean(m, Vs), fe = free_energy(m, Vs);
  for (int64_t i = 0; i < 16; ++i) {
    double Zv = 0;
    std::vector<double> ph(3, 0.0);
    for (int64_t j = 0; j < 8; ++j) {
      const double w = std::exp(-E[i][j]);
      Zv += w;
      for (int64_t u = 0; u < 3; ++u) ph[u] += w * Hs.at({j, u});
    }
    CHECK(fe.at({i}) == doctest::Approx(-std::log(Zv)).epsilon(1e-12));
    for (int64_t u = 0; u < 3; ++u) CHECK(hm.at({i, u}) == doctest::Approx(ph[u] / Zv).epsilon(1e-12));
  }
  // p(v_i = 1 | h) by the same sums over v.
  const Tensor vm = visible_mean(m, Hs);
  for (int64_t j = 0; j < 8; ++j) {
    double Zh = 0, p0 = 0;
    for (int64_t i = 0; i < 16; ++i) {
      Zh += std::exp(-E[i][j]);
      p0 += std::exp(-E[i][j]) * Vs.at({i, 0});
    }
    CHECK(vm.at({j, 0}) == doctest::Approx(p0 / Zh).epsilon(1e-12));
  }
}

TEST_CASE("ch05: exact log Z by enumerating hidden, visible, and every joint state agree") {
  const Rbm m = small_rbm(5, 4, 2);
  double Z = 0;
  for (const auto& row : energy_table(m))
    for (double e : row) Z += std::exp(-e);
  CHECK(log_z_exact(m) == doctest::Approx(std::log(Z)).epsilon(1e-12));       // over h (H <= V)
  Rbm wide = small_rbm(3, 6, 3);                                                 // over v (V < H)
  double Zw = 0;
  for (const auto& row : energy_table(wide))
    for (double e : row) Zw += std::exp(-e);
  CHECK(log_z_exact(wide) == doctest::Approx(std::log(Zw)).epsilon(1e-12));
  // Probabilities sum to one: log Σ_v exp(−F(v)) = log Z.
  const Tensor lp = -free_energy(m, all_states(5)) - log_z_exact(m);
  CHECK(sum(exp(lp)).item() == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("ch05: gaussian units — log Z and F(v) against numerical integration") {
  // Riemann sums on a fine grid of the real-valued unit, one vectorised energy call per binary state.
  const double dv = 1e-3;
  const Tensor grid = arange(-40, 40, dv, DType::f64).unsqueeze(1);  // [n,1]
  const int64_t n = grid.size(0);
  auto integral = [&](const Rbm& m, const Tensor& v_of_grid, const Tensor& h_of_grid) {
    return sum(exp(-energy(m, v_of_grid, h_of_grid))).item() * dv;
  };
  // Gaussian visible, V = 1: Z = ∫ Σ_h exp(−E(v, h)) dv.
  const Rbm g1 = small_rbm(1, 3, 4, Units::gaussian, Units::bernoulli);
  const Tensor Hs = all_states(3);
  double Z = 0;
  for (int64_t j = 0; j < 8; ++j) Z += integral(g1, grid, Hs.slice(0, j, j + 1).expand({n, 3}).contiguous());
  CHECK(log_z_exact(g1) == doctest::Approx(std::log(Z)).epsilon(1e-6));
  // Gaussian hidden, H = 1: F(v) = −log ∫ exp(−E(v, h)) dh, and Z sums the 8 visible states.
  const Rbm g2 = small_rbm(3, 1, 5, Units::bernoulli, Units::gaussian);
  const Tensor Vs = all_states(3);
  double Z2 = 0;
  for (int64_t i = 0; i < 8; ++i) {
    const Tensor v = Vs.slice(0, i, i + 1);
    const double I = integral(g2, v.expand({n, 3}).contiguous(), grid);
    CHECK(free_energy(g2, v).item() == doctest::Approx(-std::log(I)).epsilon(1e-6));
    Z2 += I;
  }
  CHECK(log_z_exact(g2) == doctest::Approx(std::log(Z2)).epsilon(1e-6));
}

TEST_CASE("ch05: block Gibbs sampling has p(v) as its stationary distribution") {
  const Rbm m = small_rbm(4, 3, 6);
  const Tensor p = exp(-free_energy(m, all_states(4)) - log_z_exact(m));
  Generator g(7);
  // 4000 chains, 30 steps each from uniform noise, then count the visible states.
  Tensor v = bernoulli(full({4000, 4}, 0.5, DType::f64), &g);
  v = gibbs_chain(m, v, 30, g, false);
  CHECK(chi2_of_states(v, p) < 37.7);
}

TEST_CASE("ch05: the CD gradient with the exact model expectation is the log-likelihood gradient") {
  // Replace the negative phase by every visible state weighted by p(v): then
  // cd_gradient's dW is exactly ∂ mean log p(data) / ∂W (checked numerically).
  Rbm m = small_rbm(4, 3, 8);
  const Tensor data = from_vector({1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0}, {3, 4}, DType::f64);
  const Tensor Vs = all_states(4);
  const Tensor p = exp(-free_energy(m, Vs) - log_z_exact(m));
  const Tensor vk = Vs * (p * 16.0).unsqueeze(1);  // rows scaled so the row mean is Σ_v p(v) v hᵀ
  const RbmGradient g = cd_gradient(data, hidden_mean(m, data), vk, hidden_mean(m, Vs));
  auto ll = [&](const Rbm& r) { return mean_log_likelihood(r, data, log_z_exact(r)); };
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      Rbm a = m, b = m;
      a.W = m.W.clone();
      b.W = m.W.clone();
      a.W.set({i, j}, m.W.at({i, j}) + 1e-6);
      b.W.set({i, j}, m.W.at({i, j}) - 1e-6);
      CHECK(g.dW.at({i, j}) == doctest::Approx((ll(a) - ll(b)) / 2e-6).epsilon(1e-6));
    }
  // Centring with zero offsets changes nothing; with offsets, dW is the same
  // statistic computed on shifted units.
  const Tensor mu = zeros({4}, DType::f64), lam = zeros({3}, DType::f64);
  const RbmGradient g0 = cd_gradient(data, hidden_mean(m, data), Vs, hidden_mean(m, Vs));
  const RbmGradient gc = cd_gradient(data, hidden_mean(m, data), Vs, hidden_mean(m, Vs), mu, lam);
  check_close(gc.dW, g0.dW, 1e-12);
  check_close(gc.db, g0.db, 1e-12);
  check_close(gc.dc, g0.dc, 1e-12);
}

TEST_CASE("ch05: CD-1, PCD and centred PCD raise the exact log-likelihood of a tiny data set") {
  // Three 8-bit patterns with noise; a 6-hidden RBM. Untrained: log p ≈ −8 log 2.
  Generator g(9);
  const std::vector<std::vector<double>> pat = {{1, 1, 1, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 1, 1, 1}, {1, 0, 1, 0, 1, 0, 1, 0}};
  std::vector<double> x;
  for (int i = 0; i < 300; ++i)
    for (double b : pat[i % 3]) x.push_back(g.next_uniform() < 0.05 ? 1 - b : b);
  const Tensor X = from_vector(x, {300, 8}, DType::f64);
  for (int variant = 0; variant < 3; ++variant) {
    RbmTrainOptions opt{.epochs = 60, .batch_size = 20, .lr = 0.05, .lr_final = 0.005, .final_momentum = 0.5,
                        .weight_decay = 0, .seed = 1};
    opt.persistent = variant >= 1;
    opt.centred = variant == 2;
    Rbm m = rbm_fit(X, 6, opt);
    const double ll = mean_log_likelihood(m, X, log_z_exact(m));
    CAPTURE(variant);
    // The best possible is minus the data's entropy, about log 3 + 8 H(0.05) = 2.7
    // nats; untrained, 8 log 2 = 5.5. Measured: −3.39 (CD-1), −3.37 (PCD), −3.52 (centred).
    CHECK(ll > -4.0);
  }
}

TEST_CASE("ch05: a Gaussian-Bernoulli RBM learns two real-valued clusters; a sparsity target is met") {
  // Standardised 2-d data around (−1.2, 0.8) and (1.2, −0.8), sd 0.3.
  Generator g(11);
  std::vector<double> x;
  for (int i = 0; i < 400; ++i) {
    const double s = i % 2 ? 1.0 : -1.0;
    x.push_back(1.2 * s + 0.3 * g.next_normal());
    x.push_back(-0.8 * s + 0.3 * g.next_normal());
  }
  const Tensor X = from_vector(x, {400, 2}, DType::f64);
  Generator gi(1);
  Rbm start = rbm_init(2, 4, gi, Units::gaussian, Units::bernoulli, mean(X, {0}), DType::f64);
  const double ll0 = mean_log_likelihood(start, X, log_z_exact(start));
  Rbm m = rbm_fit(X, 4, {.epochs = 100, .batch_size = 20, .lr = 0.01, .weight_decay = 0, .seed = 1}, Units::gaussian);
  const double ll = mean_log_likelihood(m, X, log_z_exact(m));
  MESSAGE("GB-RBM log-likelihood per point: " << ll0 << " at the start, " << ll << " trained");
  // Unit-variance visible units: one Gaussian at the data mean scores −2.97 per point
  // here, the best equal mixture of two, centred on the clusters, −2.62.
  CHECK(ll > -2.70);
  // Sparsity: a target of 0.05 pulls the hidden units' mean activation down towards it.
  const Tensor B = binarised_mnist(500);
  Rbm sp = rbm_fit(B, 50, {.epochs = 30, .batch_size = 50, .lr = 0.05, .sparsity_target = 0.05,
                           .sparsity_cost = 3.0, .seed = 2});
  Rbm dense = rbm_fit(B, 50, {.epochs = 30, .batch_size = 50, .lr = 0.05, .seed = 2});
  const double act = mean(hidden_mean(sp, B)).item(), act_dense = mean(hidden_mean(dense, B)).item();
  MESSAGE("mean hidden activation: sparse " << act << ", without the target " << act_dense);
  CHECK(act < 0.5 * act_dense);
}

TEST_CASE("ch05: AIS agrees with the exact log Z within 0.1 nats on a 16-hidden RBM trained on MNIST") {
  const Tensor X = binarised_mnist(2000);
  Rbm m = rbm_fit(X, 16, {.epochs = 5, .batch_size = 100, .lr = 0.05, .persistent = true, .seed = 3});
  const double exact = log_z_exact(m);
  const AisResult r = ais_log_z(m, base_rate_bias(X), {.runs = 100, .n_betas = 4000, .seed = 1});
  MESSAGE("exact log Z " << exact << ", AIS " << r.log_z << " [" << r.log_z_low << ", " << r.log_z_high << "] in "
                         << r.seconds << " s");
  CHECK(std::abs(r.log_z - exact) < 0.1);
  CHECK(r.log_z_low <= r.log_z_high);
  // The log-likelihood is a proper (negative) number of nats per image.
  const double ll = mean_log_likelihood(m, X.slice(0, 0, 500), exact);
  CHECK(ll < 0);
  CHECK(ll > -250);
}

TEST_CASE("ch05: exact samples of a small RBM follow p(v)") {
  const Rbm m = small_rbm(4, 3, 12);
  const Tensor p = exp(-free_energy(m, all_states(4)) - log_z_exact(m));
  Generator g(13);
  const Tensor v = sample_exact(m, 4000, g);  // no chain, no burn-in: h from the enumerated p(h), then v | h
  CHECK(chi2_of_states(v, p) < 37.7);
}

TEST_CASE("ch05: AIS from a small RBM to another agrees with both exact log Z") {
  // Two unrelated 10-visible RBMs with exact partition functions; the path
  // (1−β) E_A + β E_B keeps both hidden layers, so the 2^{H_B} / 2^{H_A} factors must be right.
  const Rbm A = small_rbm(10, 3, 21), B = small_rbm(10, 5, 22);
  const AisResult r = ais_log_z_from_rbm(B, A, {.runs = 1000, .n_betas = 1000, .seed = 23});
  MESSAGE("exact log Z_B " << log_z_exact(B) << ", AIS from RBM A " << r.log_z << " [" << r.log_z_low << ", "
                           << r.log_z_high << "]");
  CHECK(std::abs(r.log_z - log_z_exact(B)) < 0.03);
  CHECK(r.log_z_base == doctest::Approx(log_z_exact(A) + 2 * std::log(2.0)).epsilon(1e-12));
}

TEST_CASE("ch05: the two-RBM path's transition leaves p_beta invariant") {
  // p*_β(v) = exp(((1−β) b_A + β b_B)ᵀv) Π(1 + e^{(1−β)(c_A + vW_A)}) Π(1 + e^{β(c_B + vW_B)}),
  // enumerated over the 16 states of 4 visible units; exact draws from it, one transition, χ².
  const Rbm A = small_rbm(4, 2, 41), B = small_rbm(4, 3, 42);
  const double beta = 0.6;
  const Tensor Vs = all_states(4);
  const Tensor log_p = matmul(Vs, (1 - beta) * A.b + beta * B.b) + sum(softplus((1 - beta) * hidden_input(A, Vs)), {1}) +
                       sum(softplus(beta * hidden_input(B, Vs)), {1});
  const Tensor p = exp(log_p - log(sum(exp(log_p))).item());
  Generator g(43);
  const int64_t n = 20000;
  const Tensor idx = categorical(p.unsqueeze(0).expand({n, 16}).contiguous(), &g);
  const Tensor v = ais_transition_from_rbm(B, A, index_select(Vs, 0, idx), beta, g);
  CHECK(chi2_of_states(v, p) < 37.7);
}

TEST_CASE("ch05: RAISE's weights are unbiased for the annealing model's p_ann(v)") {
  // The reverse chain's importance weight estimates p_ann(v) = (p_A T_1 ... T_K)(v) without bias;
  // on a 4-visible RBM the marginal can be enumerated and compared with the mean weight.
  const Rbm m = small_rbm(4, 3, 11);
  const Tensor bA = from_vector({0.3, -0.8, 0.0, 1.1}, {4}, DType::f64);
  const int64_t n_betas = 4;
  const std::vector<double> p_ann = annealing_marginal(m, bA, ais_schedule(n_betas));
  const Tensor Vs = all_states(4);
  for (int64_t i : {0, 6, 15}) {
    const RaiseResult r = raise_log_likelihood(m, bA, Vs.slice(0, i, i + 1), {.runs = 200000, .n_betas = n_betas, .seed = 5});
    MESSAGE("state " << i << ": mean weight " << std::exp(r.log_p[0]) << ", p_ann " << p_ann[(size_t)i]);
    CHECK(std::abs(std::exp(r.log_p[0]) / p_ann[(size_t)i] - 1) < 0.02);
  }
}

TEST_CASE("ch05: RAISE is conservative and close on a 16-hidden RBM trained on MNIST") {
  const Tensor X = binarised_mnist(2000), V = X.slice(0, 0, 100);
  Rbm m = rbm_fit(X, 16, {.epochs = 5, .batch_size = 100, .lr = 0.05, .persistent = true, .seed = 3});
  const std::vector<double> exact = (-free_energy(m, V).to(DType::f64) - log_z_exact(m)).to_vector();
  // Paired with the exact log p(v) image by image, so the spread between images cancels.
  auto gap = [&](const RaiseResult& r) {
    double s = 0, s2 = 0;
    for (size_t i = 0; i < exact.size(); ++i) {
      const double d = r.log_p[i] - exact[i];
      s += d;
      s2 += d * d;
    }
    const double n = (double)exact.size(), mean_d = s / n;
    return std::pair{mean_d, std::sqrt(std::max(0.0, s2 / n - mean_d * mean_d) / (n - 1))};
  };
  const RaiseResult r = raise_log_likelihood(m, base_rate_bias(X), V, {.n_betas = 1500, .seed = 2});
  const auto [d, se] = gap(r);
  MESSAGE("RAISE − exact log p(v): " << d << " ± " << se << " nats (" << r.seconds << " s)");
  CHECK(d < 3 * se);  // conservative, up to its own noise
  CHECK(d > -0.3);    // and close with enough temperatures
}

TEST_CASE("ch05: the FVSBN's p(v) sums to 1 and pixel j sees only the pixels before it") {
  Fvsbn m(4);
  Generator g(31);
  Tensor(m.W.data()).copy_(normal({4, 4}, 0.0, 1.5, DType::f32, &g));  // the masked entries must not matter
  Tensor(m.b.data()).copy_(normal({4}, 0.0, 1.0, DType::f32, &g));
  const Tensor all = all_states(4).to(DType::f32);
  CHECK(sum(exp(m.log_prob(all))).item() == doctest::Approx(1.0).epsilon(1e-6));
  // Flipping pixel 2 changes the logits of pixel 3 only.
  const Tensor v = from_vector({1, 0, 0, 1}, {1, 4}, DType::f32), w = from_vector({1, 0, 1, 1}, {1, 4}, DType::f32);
  const Tensor d = m.forward(Var(v)).data() - m.forward(Var(w)).data();
  for (int j = 0; j < 3; ++j) CHECK(d.at({0, j}) == 0.0);
  CHECK(d.at({0, 3}) != 0.0);
}

TEST_CASE("ch05: fitting the FVSBN raises the exact log-likelihood of binarised digits") {
  const Tensor X = binarised_mnist(2000).to(DType::f32);
  Fvsbn m(784);
  const double before = mean(m.log_prob(X.slice(0, 0, 500))).item();  // all logits 0: −784 log 2
  CHECK(before == doctest::Approx(-784 * std::log(2.0)).epsilon(1e-6));
  fvsbn_fit(m, X, {.epochs = 3, .seed = 1});
  const double after = mean(m.log_prob(X.slice(0, 0, 500))).item();
  MESSAGE("FVSBN train log-lik " << before << " -> " << after << " nats after 3 epochs on 2,000 images");
  CHECK(after > before + 150);  // 60 Adam steps from zero weights
  check_error([&] { m.log_prob(full({1, 784}, 0.5)); }, {"Fvsbn::log_prob", "0/1"});
  check_error([&] { fvsbn_fit(m, zeros({4, 10})); }, {"fvsbn_fit", "[N, 784]", "[4,10]"});
}

TEST_CASE("ch05: a DBN chains its layers; the MLP and the unrolled autoencoder compute its passes") {
  const Tensor X = binarised_mnist(300);
  const Dbn d = dbn_fit(X, {20, 10}, {.layers = {{.epochs = 2, .batch_size = 50, .lr = 0.05, .seed = 1}}});
  CHECK(d.describe() == "DBN(784-20-10)");
  CHECK(d.sizes() == std::vector<int64_t>{784, 20, 10});
  // The MLP without a class layer is the recognition pass.
  auto mlp = dbn_to_mlp(d, 0);
  check_close(mlp->forward(Var(X)).data(), dbn_up(d, X), 1e-5);
  CHECK(dbn_to_mlp(d, 10)->forward(Var(X)).shape() == Shape{300, 10});
  Generator g(2);
  const Tensor s = dbn_sample(d, 16, 5, g);
  CHECK(s.shape() == Shape{16, 784});
  CHECK(min(s).item() >= 0);
  CHECK(max(s).item() <= 1);
  // Unrolled autoencoder (gaussian code units): encoder = up pass, decoder = down pass.
  const Dbn st = pretrain_autoencoder_stack(X, {20, 4}, {.layers = {{.epochs = 2, .batch_size = 50, .lr = 0.01, .seed = 1}}});
  CHECK(st.layers.back().hidden == Units::gaussian);
  const DeepAutoencoder ae = unroll(st);
  CHECK(ae.describe() == "autoencoder 784-20-4-20-784");
  const Tensor code = ae.encode(X);
  check_close(code, dbn_up(st, X), 1e-5);
  check_close(ae.reconstruct(X), visible_mean(st.layers[0], visible_mean(st.layers[1], code)), 1e-5);
}

TEST_CASE("ch05: fine-tuning lowers the reconstruction error") {
  const Tensor X = load_mnist_embedded().train.images.slice(0, 0, 500).reshape({500, 784});
  DeepAutoencoder ae = random_autoencoder({784, 64, 16}, 1);
  const double before = squared_error_per_image(ae, X);
  fine_tune(ae, X, {.epochs = 5, .batch_size = 50, .lr = 3e-3});
  const double after = squared_error_per_image(ae, X);
  CHECK(after < 0.7 * before);
}

TEST_CASE("ch05: semantic hashing — median bits and Hamming precision") {
  const Tensor codes = from_vector({0.1, 5, 0.2, 6, 0.9, 7, 0.8, 8}, {4, 2}, DType::f64);
  const Tensor t = median_thresholds(codes);
  const std::vector<uint64_t> bits = binary_codes(codes, t);
  CHECK(bits == std::vector<uint64_t>{0, 0, 1, 2});  // bit j on when code_j > median_j (upper median: 0.8, 7)
  // Database: codes 0b00, 0b01, 0b11, 0b10 with labels 0, 0, 1, 1.
  const std::vector<uint64_t> db = {0, 1, 3, 2};
  const Tensor dbl = from_vector_i({0, 0, 1, 1}, {4});
  // Query 0b00 (label 0): nearest are 0b00 (d 0), then 0b01 and 0b10 (d 1, lower index first).
  CHECK(hamming_precision({0}, from_vector_i({0}, {1}), db, dbl, 1) == doctest::Approx(1.0));
  CHECK(hamming_precision({0}, from_vector_i({0}, {1}), db, dbl, 2) == doctest::Approx(1.0));
  CHECK(hamming_precision({0}, from_vector_i({0}, {1}), db, dbl, 3) == doctest::Approx(2.0 / 3));
  CHECK(hamming_precision({3}, from_vector_i({1}, {1}), db, dbl, 2) == doctest::Approx(0.5));
}

TEST_CASE("ch05: bad input gets a clear error") {
  Generator g(1);
  Rbm m = rbm_init(6, 3, g);
  check_error([&] { free_energy(m, full({2, 6}, 3.0)); }, {"free_energy", "[0, 1]", "gaussian visible"});
  check_error([&] { rbm_fit(full({2, 6}, -1.0), 3, {}); }, {"[0, 1]"});
  check_error([&] { hidden_mean(m, zeros({2, 5})); }, {"hidden_input", "[N, 6]", "[2,5]"});
  check_error([&] { free_energy(m, full({1, 6}, NAN)); }, {"NaN"});
  check_error([&] { visible_mean(m, zeros({2, 4})); }, {"visible_input", "[N, 3]"});
  check_error([&] { rbm_init(0, 3, g); }, {"rbm_init", "at least one"});
  check_error([&] { rbm_init(4, 3, g, Units::gaussian, Units::gaussian); }, {"no normalisable"});
  check_error([&] { log_z_exact(rbm_init(40, 30, g)); }, {"log_z_exact", "ais_log_z"});
  check_error([&] { ais_log_z(m, zeros({5})); }, {"ais_log_z", "[6]"});
  check_error([&] { ais_log_z_from_rbm(m, rbm_init(5, 3, g)); }, {"ais_log_z_from_rbm", "same visible"});
  check_error([&] { ais_log_z_from_rbm(m, rbm_init(6, 21, g)); }, {"ais_log_z_from_rbm", "at most 20 hidden"});
  check_error([&] { sample_exact(rbm_init(6, 21, g), 1, g); }, {"sample_exact", "at most 20"});
  check_error([&] { raise_log_likelihood(m, zeros({6}), full({2, 6}, 0.5)); }, {"raise_log_likelihood", "0/1"});
  check_error([&] { raise_log_likelihood(m, zeros({6}), zeros({2, 5})); }, {"raise_log_likelihood", "[N, 6]"});
  check_error([&] { RbmTrainer(m, zeros({4, 6}), {.cd_k = 0}); }, {"RbmTrainer", "cd_k"});
  Dbn broken{{rbm_init(6, 3, g), rbm_init(4, 2, g)}};
  check_error([&] { dbn_up(broken, zeros({1, 6})); }, {"dbn_up", "does not chain", "3 hidden", "4 visible"});
  check_error([&] { dbn_fit(zeros({4, 6}), {3, 2}, {.layers = {{}, {}, {}}}); }, {"dbn_fit", "every layer"});
  check_error([&] { binary_codes(zeros({2, 65}), zeros({65})); }, {"binary_codes", "64"});
}
