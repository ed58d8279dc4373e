// Chapter 05 grader. References: hand-computed values, brute-force sums over
// all 2^H hidden states, and the library (models/ch05), fed the same uniforms
// through a Generator with the same seed (bernoulli draws 1 iff u < p).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "exercises/grader_check.h"
#include "exercises/ch05/exercises.h"
#include "models/ch05/partition.h"
#include "models/ch05/rbm.h"
#include "models/ch05/rbm_train.h"

using namespace latent;
namespace ex = latent::exercises::ch05;
using models::Rbm;

namespace {

// A float64 RBM with weights large enough to make the states unequal.
Rbm rbm(int64_t V, int64_t H, uint64_t seed, double scale = 0.8, double bias_scale = 0.5) {
  Generator g(seed);
  Rbm m;
  m.W = normal({V, H}, 0.0, scale, DType::f64, &g);
  m.b = normal({V}, 0.0, bias_scale, DType::f64, &g);
  m.c = normal({H}, 0.0, bias_scale, DType::f64, &g);
  return m;
}
Tensor binary(int64_t N, int64_t V, uint64_t seed) {
  Generator g(seed);
  return bernoulli(full({N, V}, 0.5, DType::f64), &g);
}
Tensor unif(const Shape& s, Generator& g) { return uniform(s, 0, 1, DType::f64, &g); }
// Every binary row of n units.
Tensor all_states(int64_t n) {
  std::vector<double> s;
  for (int64_t r = 0; r < (int64_t(1) << n); ++r)
    for (int64_t j = 0; j < n; ++j) s.push_back((double)((r >> j) & 1));
  return from_vector(s, {int64_t(1) << n, n}, DType::f64);
}
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

using latent::exercises::check_close;  // exercises/grader_check.h

// F(v) by brute force: −log Σ_h exp(−E(v, h)) over all 2^H hidden states.
double free_energy_brute(const Rbm& m, const std::vector<double>& v) {
  const int64_t V = m.W.size(0), H = m.W.size(1);
  const std::vector<double> W = m.W.to_vector(), b = m.b.to_vector(), c = m.c.to_vector();
  std::vector<double> negE;
  for (int64_t s = 0; s < (int64_t(1) << H); ++s) {
    double e = 0;
    for (int64_t i = 0; i < V; ++i) e += b[i] * v[i];
    for (int64_t j = 0; j < H; ++j) {
      if (!((s >> j) & 1)) continue;
      e += c[j];
      for (int64_t i = 0; i < V; ++i) e += v[i] * W[i * H + j];
    }
    negE.push_back(e);
  }
  double mx = negE[0], acc = 0;
  for (double e : negE) mx = std::max(mx, e);
  for (double e : negE) acc += std::exp(e - mx);
  return -(mx + std::log(acc));
}

}  // namespace

TEST_CASE("ch05 exercise: free_energy" * doctest::test_suite("exercise ch05")) {
  // By hand, V = 2, H = 1: W = (1, −2)ᵀ, b = (.5, −1), c = .25.
  Tensor W = from_vector({1, -2}, {2, 1}, DType::f64), b = from_vector({0.5, -1}, {2}, DType::f64);
  Tensor c = from_vector({0.25}, {1}, DType::f64), v = from_vector({1, 0, 1, 1, 0, 0}, {3, 2}, DType::f64);
  //   (1,0): a = 1.25, F = −.5 − softplus(1.25);  (1,1): a = −.75, F = .5 − softplus(−.75);  (0,0): −softplus(.25)
  const Tensor want = from_vector({-0.5 - std::log1p(std::exp(1.25)), 0.5 - std::log1p(std::exp(-0.75)),
                                   -std::log1p(std::exp(0.25))},
                                  {3}, DType::f64);
  check_close(ex::free_energy(W, b, c, v), want, 1e-12, "F of the hand example");

  // Brute force over h for every v of a V = 4, H = 3 RBM (V != H catches W vs Wᵀ).
  const Rbm m = rbm(4, 3, 1);
  const Tensor S = all_states(4);
  std::vector<double> brute;
  for (int64_t r = 0; r < 16; ++r) brute.push_back(free_energy_brute(m, S.select(0, r).to_vector()));
  check_close(ex::free_energy(m.W, m.b, m.c, S), from_vector(brute, {16}, DType::f64), 1e-10,
              "F against −log Σ_h exp(−E(v, h))");

  // Against the library on real-valued v in [0, 1] (probabilities are valid input), float64 and float32.
  const Rbm big = rbm(20, 7, 2);
  Generator g(3);
  const Tensor P = uniform({50, 20}, 0, 1, DType::f64, &g);
  check_close(ex::free_energy(big.W, big.b, big.c, P), models::free_energy(big, P), 1e-10, "F against models::free_energy");
  const Rbm big32{big.W.to(DType::f32), big.b.to(DType::f32), big.c.to(DType::f32)};
  check_close(ex::free_energy(big32.W, big32.b, big32.c, P.to(DType::f32)), models::free_energy(big, P), 1e-4,
              "F in float32");

  // Hidden inputs beyond ±710 (float64) and ±89 (float32): e^x overflows, so a naive
  // log(1 + exp(x)) gives inf; softplus(x) ≈ x there, and F stays finite.
  const Rbm huge{m.W * 2000.0, m.b, m.c};
  std::vector<double> stable;
  const std::vector<double> a = (matmul(S, huge.W) + huge.c).to_vector(), bv = matmul(S, huge.b).to_vector();
  REQUIRE(max(abs(matmul(S, huge.W))).item() > 710);  // e^710 overflows float64
  for (int64_t r = 0; r < 16; ++r) {
    double f = -bv[r];
    for (int64_t j = 0; j < 3; ++j) f -= softplus(a[r * 3 + j]);
    stable.push_back(f);
  }
  const Tensor want_huge = from_vector(stable, {16}, DType::f64);
  check_close(ex::free_energy(huge.W, huge.b, huge.c, S), want_huge, 1e-12,
              "F with hidden inputs beyond ±710 (use a stable softplus: max(x,0) + log1p(exp(−|x|)))");
  const Tensor W32 = (m.W * 250.0).to(DType::f32);
  std::vector<double> a32 = (matmul(S, m.W * 250.0) + m.c).to_vector();
  REQUIRE(max(abs(matmul(S, m.W * 250.0))).item() > 89);  // e^89 overflows float32
  std::vector<double> stable32;
  for (int64_t r = 0; r < 16; ++r) {
    double f = -bv[r];
    for (int64_t j = 0; j < 3; ++j) f -= softplus(a32[r * 3 + j]);
    stable32.push_back(f);
  }
  check_close(ex::free_energy(W32, m.b.to(DType::f32), m.c.to(DType::f32), S.to(DType::f32)),
              from_vector(stable32, {16}, DType::f64), 1e-5,
              "F in float32 with hidden inputs beyond ±89 (e^x overflows float32 there)");
}

TEST_CASE("ch05 exercise: cd1_step" * doctest::test_suite("exercise ch05")) {
  // By hand, V = 2, H = 1, B = 1: W = (ln 3, −ln 3)ᵀ, b = c = 0, lr = .1, v0 = (1, 0).
  //   h0 = σ(ln 3) = .75; u_h = .5 < .75 → hs = 1; p(v | hs) = (.75, .25);
  //   u_v = (.8, .1) → v1 = (0, 1); h1 = σ(−ln 3) = .25.
  //   dW = .1 ((.75, 0) − (0, .25)) = (.075, −.025), db = (.1, −.1), dc = .1 (.75 − .25) = .05
  {
    const double l3 = std::log(3.0);
    Tensor W = from_vector({l3, -l3}, {2, 1}, DType::f64), b = zeros({2}, DType::f64), c = zeros({1}, DType::f64);
    ex::Cd1Step s = ex::cd1_step(W, b, c, from_vector({1, 0}, {1, 2}, DType::f64),
                                 from_vector({0.5}, {1, 1}, DType::f64), from_vector({0.8, 0.1}, {1, 2}, DType::f64), 0.1);
    check_close(s.h0, from_vector({0.75}, {1, 1}, DType::f64), 1e-12, "h0 (hand example)");
    check_close(s.hs, from_vector({1}, {1, 1}, DType::f64), 0, "hs (hand example: on when u < p)");
    check_close(s.v1, from_vector({0, 1}, {1, 2}, DType::f64), 0, "v1 (hand example: on when u < p)");
    check_close(s.h1, from_vector({0.25}, {1, 1}, DType::f64), 1e-12, "h1 (hand example)");
    check_close(s.dW, from_vector({0.075, -0.025}, {2, 1}, DType::f64), 1e-12, "dW (hand example)");
    check_close(s.db, from_vector({0.1, -0.1}, {2}, DType::f64), 1e-12, "db (hand example)");
    check_close(s.dc, from_vector({0.05}, {1}, DType::f64), 1e-12, "dc (hand example)");
  }

  // Against the library's pieces: the same uniforms (one Generator, h then v)
  // drive models::sample_units / sample_visible, and cd_gradient gives the statistics.
  const int64_t B = 5, V = 6, H = 4;
  const double lr = 0.05;
  const Rbm m = rbm(V, H, 4);
  const Tensor v0 = binary(B, V, 5);
  Generator g(6);
  const Tensor u_h = unif({B, H}, g), u_v = unif({B, V}, g);
  ex::Cd1Step s = ex::cd1_step(m.W, m.b, m.c, v0, u_h, u_v, lr);
  Generator gr(6);
  const Tensor h0 = models::hidden_mean(m, v0);
  const Tensor hs = models::sample_units(h0, models::Units::bernoulli, gr);
  const Tensor v1 = models::sample_visible(m, hs, gr);
  const Tensor h1 = models::hidden_mean(m, v1);
  const models::RbmGradient ref = models::cd_gradient(v0, h0, v1, h1);
  check_close(s.h0, h0, 1e-12, "h0 = σ(c + v0 W)");
  check_close(s.hs, hs, 0, "hs = 1[u_h < h0]");
  check_close(s.v1, v1, 0, "v1 = 1[u_v < σ(b + hs Wᵀ)]");
  check_close(s.h1, h1, 1e-12, "h1 = σ(c + v1 W)");
  REQUIRE(s.dW.defined());
  if (s.dW.shape() == ref.dW.shape() && max(abs(s.dW - B * lr * ref.dW)).item() < 1e-9)
    FAIL_CHECK("dW is B times too large: average the statistics over the minibatch (divide by B)");
  check_close(s.dW, lr * ref.dW, 1e-12, "dW against lr · models::cd_gradient");
  check_close(s.db, lr * ref.db, 1e-12, "db against lr · models::cd_gradient");
  check_close(s.dc, lr * ref.dc, 1e-12, "dc against lr · models::cd_gradient");

  // ... and against one update of the library's trainer (CD-1, no momentum or
  // weight decay): it draws hs, then v1, from a Generator seeded with opt.seed.
  Rbm trained{m.W.clone(), m.b.clone(), m.c.clone()};
  models::RbmTrainOptions opt;
  opt.lr = lr;
  opt.cd_k = 1;
  opt.momentum = opt.final_momentum = 0;
  opt.weight_decay = 0;
  opt.seed = 6;
  models::RbmTrainer(trained, v0, opt).update(v0);
  check_close(s.dW, trained.W - m.W, 1e-12, "dW against one models::RbmTrainer::update");
  check_close(s.db, trained.b - m.b, 1e-12, "db against one models::RbmTrainer::update");
  check_close(s.dc, trained.c - m.c, 1e-12, "dc against one models::RbmTrainer::update");

  // When the reconstruction equals the data (u_v = 0 where v0 = 1, 1 where v0 = 0),
  // the two phases cancel: no update. Fails if the statistics use hs instead of h0.
  ex::Cd1Step z = ex::cd1_step(m.W, m.b, m.c, v0, u_h, 1.0 - v0, lr);
  check_close(z.v1, v0, 0, "v1 with u_v = 1 − v0 (the reconstruction must equal the data)");
  check_close(z.dW, zeros({V, H}, DType::f64), 1e-15,
              "dW when v1 = v0 (use the probabilities h0 and h1 in the statistics, not samples)");
  check_close(z.db, zeros({V}, DType::f64), 1e-15, "db when v1 = v0");
  check_close(z.dc, zeros({H}, DType::f64), 1e-15, "dc when v1 = v0");
}

TEST_CASE("ch05 exercise: ais_transition" * doctest::test_suite("exercise ch05")) {
  // Large biases, so that β scaling only vW and not c + vW changes many samples.
  const int64_t N = 64, V = 6, H = 4;
  const Rbm m = rbm(V, H, 7, 0.8, 2.0);
  const Tensor bA = models::base_rate_bias(binary(30, V, 8));
  const Tensor v = binary(N, V, 9);
  // Against models::ais_transition with the same uniforms (it draws h, then v').
  for (double beta : {0.0, 0.3, 0.9, 1.0}) {
    Generator g(10), gr(10);
    const Tensor u_h = unif({N, H}, g), u_v = unif({N, V}, g);
    check_close(ex::ais_transition(m.W, m.b, m.c, bA, v, beta, u_h, u_v), models::ais_transition(m, bA, v, beta, gr),
                0, "v' at β = " + std::to_string(beta) + " against models::ais_transition");
  }
  // At β = 1, T is the RBM's own Gibbs step v → h → v'.
  {
    Generator g(11), gr(11);
    const Tensor u_h = unif({N, H}, g), u_v = unif({N, V}, g);
    const Tensor gibbs = models::sample_visible(m, models::sample_hidden(m, v, gr), gr);
    check_close(ex::ais_transition(m.W, m.b, m.c, bA, v, 1.0, u_h, u_v), gibbs, 0,
                "v' at β = 1 (a plain Gibbs step of the RBM)");
  }
  // At β = 0, v' is a draw from the base model: it ignores v and W ...
  {
    const int64_t M = 20000;
    Generator g(12);
    const Tensor u_h = unif({M, H}, g), u_v = unif({M, V}, g);
    const Tensor x = binary(M, V, 13);
    const Tensor out = ex::ais_transition(m.W, m.b, m.c, bA, x, 0.0, u_h, u_v);
    check_close(ex::ais_transition(m.W * 10.0, m.b, m.c, bA, 1.0 - x, 0.0, u_h, u_v), out, 0,
                "v' at β = 0 changed with W or v (the base model has no weights)");
    // ... and its units are on with probability σ(bA_i), within 4 standard errors.
    const std::vector<double> freq = mean(out, {0}).to_vector(), p = sigmoid(bA).to_vector();
    for (int64_t i = 0; i < V; ++i)
      CHECK_MESSAGE(std::abs(freq[i] - p[i]) < 4 * std::sqrt(p[i] * (1 - p[i]) / M),
                    "at β = 0 unit " << i << " is on in " << freq[i] << " of the rows; the base model says σ(bA) = "
                                     << p[i]);
  }
  // T_β leaves p_β invariant (brute force, V = 3, H = 2, β = .6): start 40000
  // rows in proportion to p_β(v) ∝ p*_β(v), take one step, compare the histogram.
  {
    const Rbm t = rbm(3, 2, 14, 1.5, 2.0);
    const Tensor tA = from_vector({0.4, -0.8, 1.1}, {3}, DType::f64);
    const double beta = 0.6;
    const Tensor S = all_states(3);
    const std::vector<double> lp = models::ais_log_p_star(t, tA, S, beta).to_vector();
    std::vector<double> p(8);
    double z = 0;
    for (int s = 0; s < 8; ++s) z += p[s] = std::exp(lp[s]);
    for (double& q : p) q /= z;
    const int64_t M = 40000;
    std::vector<double> rows;
    int64_t n = 0;
    for (int s = 0; s < 8; ++s) {
      const int64_t count = s == 7 ? M - n : (int64_t)std::llround(p[s] * M);  // the last takes the rounding
      for (int64_t k = 0; k < count; ++k, ++n)
        for (int j = 0; j < 3; ++j) rows.push_back((double)((s >> j) & 1));
    }
    Generator g(15);
    const Tensor u_h = unif({M, 2}, g), u_v = unif({M, 3}, g);
    const std::vector<double> out =
        ex::ais_transition(t.W, t.b, t.c, tA, from_vector(rows, {M, 3}, DType::f64), beta, u_h, u_v).to_vector();
    REQUIRE(out.size() == (size_t)(M * 3));
    std::vector<double> hist(8, 0);
    for (int64_t r = 0; r < M; ++r) hist[(int)(out[r * 3] + 2 * out[r * 3 + 1] + 4 * out[r * 3 + 2])] += 1.0 / M;
    for (int s = 0; s < 8; ++s)
      CHECK_MESSAGE(std::abs(hist[s] - p[s]) < 4 * std::sqrt(p[s] * (1 - p[s]) / M) + 1e-4,
                    "after one step from p_β, state " << s << " has frequency " << hist[s] << ", p_β = " << p[s]
                                                      << " (β must scale the whole input c + vW and b + hWᵀ)");
  }
}

TEST_CASE("ch05 exercise: ais_log_weight_increment" * doctest::test_suite("exercise ch05")) {
  // By hand, V = H = 1: W = 2, b = 1, c = −1, bA = .5, v = 1 (a = 1), β' = 0 → β = .5:
  //   .5 (1 − .5) + softplus(.5) − softplus(0)
  {
    Tensor W = from_vector({2}, {1, 1}, DType::f64), b = from_vector({1}, {1}, DType::f64);
    Tensor c = from_vector({-1}, {1}, DType::f64), bA = from_vector({0.5}, {1}, DType::f64);
    check_close(ex::ais_log_weight_increment(W, b, c, bA, from_vector({1}, {1, 1}, DType::f64), 0.0, 0.5),
                from_vector({0.25 + std::log1p(std::exp(0.5)) - std::log(2.0)}, {1}, DType::f64), 1e-12,
                "the hand example (softplus(β a), not β softplus(a))");
  }
  // Against the difference of two models::ais_log_p_star.
  const Rbm m = rbm(10, 6, 16);
  const Tensor bA = models::base_rate_bias(binary(40, 10, 17));
  const Tensor v = binary(12, 10, 18);
  for (auto [bp, bt] : std::vector<std::pair<double, double>>{{0, 0.1}, {0.5, 0.55}, {0.9, 1.0}, {0.3, 0.3}}) {
    const Tensor want = models::ais_log_p_star(m, bA, v, bt) - models::ais_log_p_star(m, bA, v, bp);
    check_close(ex::ais_log_weight_increment(m.W, m.b, m.c, bA, v, bp, bt), want, 1e-10,
                "increment from β' = " + std::to_string(bp) + " to β = " + std::to_string(bt) +
                    " against models::ais_log_p_star");
  }
  // Summed over a schedule from 0 to 1 it telescopes to −F(v) − bAᵀv − H log 2;
  // F by brute force over h for every v of a V = 4, H = 3 RBM.
  const Rbm s = rbm(4, 3, 19);
  const Tensor sA = from_vector({-0.3, 0.7, 0.1, -1.2}, {4}, DType::f64), S = all_states(4);
  const std::vector<double> schedule = {0, 0.05, 0.2, 0.5, 0.51, 0.9, 1};
  Tensor total = zeros({16}, DType::f64);
  for (size_t k = 1; k < schedule.size(); ++k)
    total = total + ex::ais_log_weight_increment(s.W, s.b, s.c, sA, S, schedule[k - 1], schedule[k]).to(DType::f64);
  const std::vector<double> bAv = matmul(S, sA).to_vector();
  std::vector<double> want;
  for (int64_t r = 0; r < 16; ++r)
    want.push_back(-free_energy_brute(s, S.select(0, r).to_vector()) - bAv[r] - 3 * std::log(2.0));
  check_close(total, from_vector(want, {16}, DType::f64), 1e-10,
              "Σ of increments over 0 → 1 against log p*_1(v) − log p*_0(v) = −F(v) − bAᵀv − H log 2");
  // Hidden inputs beyond ±710: e^x overflows, the increment must not.
  const Rbm huge{s.W * 2000.0, s.b, s.c};
  REQUIRE(max(abs(matmul(S, huge.W))).item() > 1420);  // e^x overflows at β = .5 too
  check_close(ex::ais_log_weight_increment(huge.W, huge.b, huge.c, sA, S, 0.5, 1.0),
              models::ais_log_p_star(huge, sA, S, 1.0) - models::ais_log_p_star(huge, sA, S, 0.5), 1e-12,
              "increment with hidden inputs beyond ±710 (use a stable softplus)");
}
