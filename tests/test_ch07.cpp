// Chapter 07 tests: the VAE's objectives against finite differences (ELBO,
// β-VAE, CVAE, Gaussian decoder, IWAE bound), the Gaussian KL against Monte
// Carlo, the importance-weighted log-likelihood against numerical integration
// over a 1-d latent, training on the embedded MNIST subset, the CVAE's label
// conditioning, the sampling helpers, numerical safety and bad input.
#include <cmath>

#include "helpers.h"
#include "models/ch07/vae.h"
#include "nn/data.h"
#include "nn/loss.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;

namespace {

VaeConfig tiny(int64_t input, int64_t hidden, int64_t latent, uint64_t seed = 1) {
  VaeConfig c;
  c.input = input, c.hidden = hidden, c.latent = latent, c.dtype = DType::f64, c.seed = seed;
  return c;
}

// Every parameter tensor (a copy), in the order rebind() takes them.
std::vector<Tensor> params_of(const Vae& v) {
  std::vector<Tensor> p;
  for (auto& l : v.linears()) p.push_back(l->weight.data().clone()), p.push_back(l->bias.data().clone());
  if (v.raw_logvar.defined()) p.push_back(v.raw_logvar.data().clone());
  return p;
}
// Make the model compute with the given Vars (gradcheck's inputs) as its parameters.
void rebind(Vae& v, const std::vector<Var>& p) {
  size_t i = 0;
  for (auto& l : v.linears()) l->weight = p[i++], l->bias = p[i++];
  if (v.raw_logvar.defined()) v.raw_logvar = p[i++];
}

Tensor binary_data(int64_t n, int64_t d, uint64_t seed) {
  Generator g(seed);
  return bernoulli(uniform({n, d}, 0.1, 0.9, DType::f64, &g), &g);
}

Tensor embedded_images(int64_t n) {
  Mnist m = load_mnist_embedded();
  return m.train.images.slice(0, 0, n).reshape({n, 784});
}

// log p(x) = log ∫ p(x|z) N(z; 0, 1) dz for a 1-d latent, by the trapezoid rule on
// [−12, 12], and the exact ELBO ∫ q(z|x) log p(x|z) dz − KL by the same rule.
void integrate_1d(Vae& v, const Tensor& x, std::vector<double>& log_px, std::vector<double>& elbo) {
  NoGradGuard ng;
  const int64_t G = 6001, N = x.size(0);
  const Tensor z = linspace(-12, 12, G, DType::f64).reshape({G, 1});
  const double dz = 24.0 / (double)(G - 1);
  const Tensor ll = v.log_likelihood(unsqueeze(v.decode(Var(z)), 1), Var(x)).data();  // [G, N]
  auto q = v.encode(Var(x));
  for (int64_t n = 0; n < N; ++n) {
    const double mu = q.mu.data().at({n, 0}), lv = q.logvar.data().at({n, 0});
    double m = -1e300;
    for (int64_t i = 0; i < G; ++i) m = std::max(m, ll.at({i, n}) - 0.5 * z.at({i, 0}) * z.at({i, 0}));
    double s = 0, e = 0;
    for (int64_t i = 0; i < G; ++i) {
      const double zi = z.at({i, 0}), w = (i == 0 || i == G - 1) ? 0.5 : 1.0;
      s += w * std::exp(ll.at({i, n}) - 0.5 * zi * zi - m);
      e += w * std::exp(-0.5 * (zi - mu) * (zi - mu) / std::exp(lv)) / std::sqrt(2 * M_PI * std::exp(lv)) * ll.at({i, n});
    }
    log_px.push_back(m + std::log(s * dz) - 0.5 * std::log(2 * M_PI));
    elbo.push_back(e * dz + 0.5 * (1 + lv - mu * mu - std::exp(lv)));
  }
}

}  // namespace

TEST_CASE("ch07: the ELBO's gradient matches finite differences (Bernoulli, Gaussian, β-VAE, CVAE, two tanh layers)") {
  struct Case {
    const char* name;
    Likelihood lik;
    bool learn_var;
    int64_t classes;
    double beta;
    int64_t depth = 1;
    bool tanh = false;
  };
  for (const Case& c : {Case{"bernoulli", Likelihood::bernoulli, false, 0, 1.0},
                        Case{"gaussian, learned variance", Likelihood::gaussian, true, 0, 1.0},
                        Case{"gaussian, fixed variance", Likelihood::gaussian, false, 0, 1.0},
                        Case{"beta-VAE", Likelihood::bernoulli, false, 0, 4.0},
                        Case{"CVAE", Likelihood::bernoulli, false, 3, 1.0},
                        Case{"two tanh layers (Burda et al.)", Likelihood::bernoulli, false, 0, 1.0, 2, true}}) {
    CAPTURE(c.name);
    VaeConfig cfg = tiny(6, 4, 2, 3);
    cfg.likelihood = c.lik, cfg.learn_variance = c.learn_var, cfg.fixed_log_variance = -1.0, cfg.num_classes = c.classes;
    cfg.depth = c.depth, cfg.tanh = c.tanh;
    Vae v(cfg);
    const Tensor x = c.lik == Likelihood::bernoulli ? binary_data(3, 6, 4) : test::rand64({3, 6}, 4, 0, 1);
    const Tensor y = c.classes ? from_vector_i({0, 2, 1}, {3}) : Tensor();
    const Tensor eps = test::rand64({3, 2}, 5, -1.5, 1.5);
    if (v.raw_logvar.defined()) Tensor(v.raw_logvar.data()).copy_(test::rand64({6}, 6, -1, 0.5));
    CHECK_GRAD([&](const std::vector<Var>& p) { rebind(v, p); return vae_loss(v, x, y, eps, c.beta).loss; },
               params_of(v));
  }
}

TEST_CASE("ch07: the IWAE bound's gradient matches finite differences; k = 1 is the ELBO with a sampled KL") {
  Vae v(tiny(5, 4, 2, 7));
  const Tensor x = binary_data(2, 5, 8), eps = test::rand64({3, 2, 2}, 9, -1.5, 1.5);
  CHECK_GRAD([&](const std::vector<Var>& p) { rebind(v, p); return iwae_loss(v, x, Tensor(), eps).loss; }, params_of(v));
  // With one sample the bound is log p(x|z) + log p(z) − log q(z|x), whose mean over ε is the ELBO.
  const Tensor e1 = eps.slice(0, 0, 1);
  NoGradGuard ng;
  auto q = v.encode(Var(x));
  Var z = q.mu + exp(q.logvar * 0.5) * Var(e1.squeeze(0));
  Var lp = v.log_likelihood(v.decode(z), Var(x));
  Var log_pz = sum(square(z), {-1}) * -0.5, log_qz = sum(square(Var(e1.squeeze(0))) + q.logvar, {-1}) * -0.5;
  CHECK(iwae_loss(v, x, Tensor(), e1).loss.item() == doctest::Approx(-mean(lp + log_pz - log_qz).item()).epsilon(1e-12));
}

TEST_CASE("ch07: the closed-form Gaussian KL equals a Monte-Carlo estimate E_q[log q − log p]") {
  const Tensor mu = from_vector({0.7, -1.2, 0.1}, {1, 3}, DType::f64), lv = from_vector({-0.5, 0.8, -2.0}, {1, 3}, DType::f64);
  const double kl = nn::kl_normal(Var(mu), Var(lv), nn::Reduction::sum).item();
  Generator g(11);
  const int64_t S = 200000;
  const Tensor eps = normal({S, 3}, 0, 1, DType::f64, &g);
  const Tensor z = mu + exp(lv * 0.5) * eps;
  // log q − log p = −½ Σ (ε² + log σ²) + ½ Σ z²  (the log 2π terms cancel).
  const Tensor d = sum(square(z) - square(eps) - lv, {1}) * 0.5;
  const double m = mean(d).item(), se = std::sqrt(var(d).item() / (double)S);
  CHECK(std::abs(m - kl) < 4 * se);
  CHECK(kl == doctest::Approx(0.5 * (std::exp(-0.5) + 0.49 + 0.5 - 1 + std::exp(0.8) + 1.44 - 0.8 - 1 +
                                     std::exp(-2.0) + 0.01 + 2.0 - 1)));
}

TEST_CASE("ch07: the IW estimate of log p(x) converges to the integral over a 1-d z; k = 1 is the ELBO on average") {
  Vae v(tiny(5, 6, 1, 21));
  for (auto& l : v.linears()) Tensor(l->weight.data()).copy_(l->weight.data() * 3.0);  // a sharper p(x|z)
  const Tensor x = binary_data(4, 5, 22);
  std::vector<double> exact, elbo;
  integrate_1d(v, x, exact, elbo);
  Generator g(23);
  // The estimate's noise is about sd(w) / (mean(w) √k); this q is far from the posterior (the ELBO
  // is up to 2 nats below), so k = 200,000 (in 8 chunks) to get within 0.01.
  const Tensor iw = iw_log_likelihood(v, x, Tensor(), 200000, g, 100, 100000);
  for (int64_t n = 0; n < 4; ++n) {
    CAPTURE(n);
    CHECK(std::abs(iw.at({n}) - exact[(size_t)n]) < 0.01);
    CHECK(elbo[(size_t)n] < exact[(size_t)n]);
  }
  // Means over R repeats: k = 1 matches the exact ELBO, and the estimate rises with k (Burda et al. thm 1).
  const int64_t R = 4000;
  const Tensor xr = x.unsqueeze(0).expand({R, 4, 5}).contiguous().reshape({R * 4, 5});
  std::vector<double> means;
  for (int64_t k : {1, 10, 100}) {
    const Tensor est = iw_log_likelihood(v, xr, Tensor(), k, g, 4000, 40000).reshape({R, 4});
    means.push_back(mean(est).item());
    if (k == 1) {
      const Tensor m = mean(est, {0});
      const Tensor se = sqrt(var(est, {0}) / (double)R);
      for (int64_t n = 0; n < 4; ++n) CHECK(std::abs(m.at({n}) - elbo[(size_t)n]) < 4 * se.at({n}));
    }
  }
  double mean_exact = 0;
  for (double e : exact) mean_exact += e / 4;
  CHECK(means[0] < means[1]);
  CHECK(means[1] < means[2]);
  CHECK(means[2] < mean_exact + 0.01);
}

TEST_CASE("ch07: training on the embedded MNIST subset lowers the loss (ELBO and IWAE, dynamic binarisation)") {
  const Tensor X = embedded_images(1000);
  VaeConfig cfg;
  cfg.hidden = 128, cfg.latent = 8;
  Vae v(cfg);
  Generator g(1);
  const Tensor Xb = binarize_dynamic(X, g);
  const double before = evaluate_elbo(v, Xb, Tensor(), g).elbo();
  std::vector<VaeEpoch> epochs;
  VaeTrainOptions opt;
  opt.epochs = 3, opt.batch_size = 50, opt.binarize = true, opt.on_epoch = [&](const VaeEpoch& e) { epochs.push_back(e); };
  train_vae(v, X, Tensor(), opt);
  REQUIRE(epochs.size() == 3);
  CHECK(epochs[2].loss < epochs[0].loss);
  CHECK(epochs[2].loss == doctest::Approx(epochs[2].recon + epochs[2].kl));
  const ElboTerms after = evaluate_elbo(v, Xb, Tensor(), g);
  CHECK(after.elbo() > before + 200);  // from ≈ −545 (random weights) to ≈ −200
  CHECK(after.kl > 1);                 // the code is used
  // One epoch of IWAE (k = 5) continues to improve the k-sample bound.
  Generator g2(2);
  const double iw_before = mean(iw_log_likelihood(v, Xb.slice(0, 0, 200), Tensor(), 5, g2)).item();
  opt.epochs = 1, opt.iwae_k = 5, opt.on_epoch = {};
  const VaeEpoch e = train_vae(v, X, Tensor(), opt);
  CHECK(std::isfinite(e.loss));
  CHECK(mean(iw_log_likelihood(v, Xb.slice(0, 0, 200), Tensor(), 5, g2)).item() > iw_before);
}

TEST_CASE("ch07: the CVAE's label changes its samples (digit 1 needs less ink than digit 0)") {
  Mnist m = load_mnist_embedded();
  const Tensor X = m.train.images.reshape({m.train.size(), 784}), y = m.train.labels;
  VaeConfig cfg;
  cfg.hidden = 128, cfg.latent = 2, cfg.num_classes = 10;
  Vae v(cfg);
  VaeTrainOptions opt;
  opt.epochs = 8, opt.batch_size = 100, opt.lr = 3e-3;
  train_vae(v, X, y, opt);
  Generator g0(5), g1(5);  // the same z for both labels
  const Tensor s0 = sample_prior(v, 64, g0, from_vector_i({0}, {1})), s1 = sample_prior(v, 64, g1, from_vector_i({1}, {1}));
  CHECK(mean(abs(s0 - s1)).item() > 0.05);
  CHECK(sum(s1).item() < 0.8 * sum(s0).item());
  // The manifold grid of a CVAE takes one label for every cell.
  const Tensor grid = manifold_grid(v, 5, from_vector_i({3}, {1}));
  CHECK(grid.shape() == Shape{25, 784});
}

TEST_CASE("ch07: prior samples, reconstructions, interpolation and the manifold grid") {
  VaeConfig cfg = tiny(784, 16, 2, 3);
  Vae v(cfg);
  Generator g(3);
  const Tensor X = embedded_images(4).to(DType::f64);
  const Tensor s = sample_prior(v, 7, g);
  CHECK(s.shape() == Shape{7, 784});
  CHECK(min(s).item() >= 0);
  CHECK(max(s).item() <= 1);
  const Tensor r = reconstruct(v, X);
  CHECK(r.shape() == Shape{4, 784});
  const Tensor path = interpolate(v, X.slice(0, 0, 1), X.slice(0, 1, 2), 5);
  CHECK(path.shape() == Shape{5, 784});
  check_close(path.slice(0, 0, 1), r.slice(0, 0, 1), 1e-12);
  check_close(path.slice(0, 4, 5), r.slice(0, 1, 2), 1e-12);
  const Tensor grid = manifold_grid(v, 4);
  CHECK(grid.shape() == Shape{16, 784});
  // Cell (1, 2) decodes z = (Φ⁻¹(u_2), Φ⁻¹(u_1)), u = linspace(0.05, 0.95, 4).
  const Tensor z = from_vector({normal_quantile(0.65), normal_quantile(0.35)}, {1, 2}, DType::f64);
  NoGradGuard ng;
  check_close(grid.slice(0, 6, 7), sigmoid(v.decode(Var(z)).data()), 1e-12);
  CHECK(normal_quantile(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-13));
  CHECK(normal_quantile(0.5) == doctest::Approx(0.0).scale(1).epsilon(1e-15));
  CHECK(normal_quantile(1e-10) == doctest::Approx(-6.361340902404056).epsilon(1e-12));
  CHECK(normal_quantile(0.3) == doctest::Approx(-normal_quantile(0.7)).epsilon(1e-14));
}

TEST_CASE("ch07: the Gaussian decoder's log-likelihood, its variance floor, and no NaN when the KL collapses") {
  VaeConfig cfg = tiny(4, 3, 2, 9);
  cfg.likelihood = Likelihood::gaussian, cfg.learn_variance = false, cfg.fixed_log_variance = 0.0;
  Vae fixed(cfg);
  const Tensor x = test::rand64({2, 4}, 10, 0, 1), out = test::rand64({2, 4}, 11, 0, 1);
  const double ll = sum(fixed.log_likelihood(Var(out), Var(x))).item();
  CHECK(ll == doctest::Approx(-nn::gaussian_nll(Var(x), Var(out), Var(zeros({2, 4}, DType::f64)), nn::Reduction::sum).item()));
  cfg.learn_variance = true;
  Vae learned(cfg);
  Tensor(learned.raw_logvar.data()).fill_(-50);  // far below the floor
  CHECK(min(learned.decoder_logvar().data()).item() >= cfg.log_variance_floor);
  CHECK(min(learned.decoder_logvar().data()).item() == doctest::Approx(cfg.log_variance_floor));

  // A collapsed posterior: zero encoder weights give μ = 0, log σ² = 0, so q = p(z) and KL = 0 exactly.
  Vae v(tiny(5, 4, 3, 12));
  for (int i : {0, 1, 2}) {
    Tensor(v.linears()[(size_t)i]->weight.data()).fill_(0);
    Tensor(v.linears()[(size_t)i]->bias.data()).fill_(0);
  }
  Generator g(13);
  ElboTerms t = vae_loss(v, binary_data(3, 5, 14), Tensor(), g, 10.0);
  CHECK(t.kl == 0.0);
  t.loss.backward();
  for (auto& [name, p] : v.named_parameters()) {
    CAPTURE(name);
    REQUIRE(p.grad().defined());
    CHECK(std::isfinite(sum(abs(p.grad().data())).item()));
  }
  // A large β collapses the KL during training; the loss stays finite.
  VaeConfig c2;
  c2.hidden = 32, c2.latent = 4;
  Vae w(c2);
  VaeTrainOptions opt;
  opt.epochs = 2, opt.batch_size = 100, opt.beta = 50;
  const VaeEpoch e = train_vae(w, embedded_images(500), Tensor(), opt);
  CHECK(std::isfinite(e.loss));
  CHECK(e.kl < 0.5);
}

TEST_CASE("ch07: a NaN loss stops training, saying where") {
  Vae v(tiny(5, 4, 2, 15));
  Tensor(v.linears()[4]->bias.data()).set({2}, std::nan(""));
  VaeTrainOptions opt;
  opt.epochs = 1, opt.batch_size = 4;
  check_error([&] { train_vae(v, binary_data(8, 5, 16), Tensor(), opt); },
              {"training diverged", "VAE loss is NaN at step 0"});
}

TEST_CASE("ch07: the convolutional VAE — shapes, its gradient at sampled weights, learning, conditioning") {
  VaeConfig cfg = tiny(784, 16, 3, 21);
  cfg.arch = VaeArch::conv;
  Vae v(cfg);
  const Tensor X = binary_data(3, 784, 22);
  Generator g(23);
  const Tensor eps = normal({3, 3}, 0, 1, DType::f64, &g);
  auto q = v.encode(Var(X));
  CHECK(q.mu.shape() == Shape{3, 3});
  CHECK(v.decode(q.mu).shape() == Shape{3, 784});
  // Autodiff against central differences at 4 random elements of every parameter tensor
  // (all of them would take minutes; the conv ops themselves are checked element by element
  // in test_conv.cpp): this checks how the layers are wired into the loss.
  ElboTerms t = vae_loss(v, X, Tensor(), eps);
  v.zero_grad();
  t.loss.backward();
  // The loss is a sum over 784 pixels (~500 nats), so a difference carries ~1e-16·500/h ≈ 5e-8
  // of rounding error; h is kept small because ~28,000 ReLUs sit between weights and loss, and
  // a step that moves one across its kink makes the difference quotient wrong (1e-5 did).
  const double h = 1e-6;
  int checked = 0;
  for (Var p : v.parameters()) {
    double* w = p.data().data<double>();
    const Tensor grad_t = p.grad().data();
    const double* gr = grad_t.data<double>();
    for (int r = 0; r < 4; ++r) {
      const int64_t i = (int64_t)(uniform({1}, 0, 1, DType::f64, &g).item() * (double)p.numel()) % p.numel();
      const double w0 = w[i];
      w[i] = w0 + h;
      const double up = vae_loss(v, X, Tensor(), eps).loss.item();
      w[i] = w0 - h;
      const double down = vae_loss(v, X, Tensor(), eps).loss.item();
      w[i] = w0;
      const double fd = (up - down) / (2 * h);
      CHECK(std::abs(gr[i] - fd) <= 3e-7 + 1e-3 * std::abs(fd));
      ++checked;
    }
  }
  CHECK(checked == 4 * (int)v.parameters().size());
  // It learns: 3 epochs on 500 embedded digits lower the loss.
  VaeConfig fc;
  fc.arch = VaeArch::conv;
  fc.hidden = 64;
  fc.latent = 8;
  Vae f(fc);
  const Tensor E = embedded_images(500);
  Generator ge(24);
  const double before = evaluate_elbo(f, binarize(E), Tensor(), ge).elbo();
  train_vae(f, E, Tensor(), {.epochs = 3, .batch_size = 50, .binarize = true, .seed = 25});
  const double after = evaluate_elbo(f, binarize(E), Tensor(), ge).elbo();
  MESSAGE("conv VAE ELBO on 500 digits: " << before << " -> " << after);
  CHECK(after > before + 200);
  // The label reaches a conditional conv VAE's decoder.
  fc.num_classes = 10;
  Vae cv(fc);
  const Tensor z = zeros({2, 8});
  NoGradGuard ng;
  const Tensor a = cv.decode(Var(z), from_vector_i({0, 0}, {2})).data(), b = cv.decode(Var(z), from_vector_i({1, 7}, {2})).data();
  CHECK(max(abs(a - b)).item() > 0);
  check_error([&] { VaeConfig c; c.arch = VaeArch::conv; c.input = 100; Vae bad(c); }, {"28x28", "input 100"});
  check_error([&] { VaeConfig c; c.depth = 0; Vae bad(c); }, {"Vae", "depth must be >= 1"});
}

TEST_CASE("ch07: latent traversals sweep one coordinate of μ(x)") {
  Vae v(tiny(784, 16, 3, 26));
  const Tensor x = embedded_images(1).to(DType::f64);
  const Tensor tr = latent_traversal(v, x, {0, 2}, 5, 2.0);
  CHECK(tr.shape() == Shape{10, 784});
  NoGradGuard ng;
  Tensor z = v.encode(Var(x)).mu.data().clone();
  z.data<double>()[2] = 1.0;  // dimension 2, step 3 of 5 on [−2, 2]
  check_close(tr.slice(0, 8, 9), sigmoid(v.decode(Var(z)).data()), 1e-12);
  check_error([&] { latent_traversal(v, x, {3}, 5); }, {"latent_traversal", "dimension 3"});
}

TEST_CASE("ch07: bad input is an error naming the shapes") {
  Vae v(tiny(6, 4, 2, 17));
  Generator g(18);
  check_error([&] { vae_loss(v, zeros({3, 5}, DType::f64), Tensor(), g); }, {"vae_loss", "[3,5]", "[N,6]"});
  check_error([&] { vae_loss(v, zeros({3, 6}, DType::f64), Tensor(), zeros({3, 3}, DType::f64)); },
              {"eps [3,3]", "[3,2]"});
  check_error([&] { log_importance_weights(v, zeros({3, 6}, DType::f64), Tensor(), zeros({3, 2}, DType::f64)); },
              {"eps [3,2]", "[k,3,2]"});
  check_error([&] { iw_log_likelihood(v, zeros({2, 6}), Tensor(), 0, g); }, {"k, batch, max_rows >= 1"});
  check_error([&] { v.decode(Var(zeros({2, 3}, DType::f64))); }, {"z [2,3]", "[M,2]"});
  check_error([&] { vae_loss(v, zeros({2, 6}), from_vector_i({1, 2}, {2}), g); }, {"unconditional"});
  check_error([&] { manifold_grid(v, 0); }, {"n >= 1"});
  VaeConfig c = tiny(6, 4, 3, 19);
  c.num_classes = 4;
  Vae cv(c);
  check_error([&] { vae_loss(cv, zeros({3, 6}), Tensor(), g); }, {"needs labels y [3]", "[3,6]"});
  check_error([&] { vae_loss(cv, zeros({3, 6}), from_vector_i({1, 2}, {2}), g); }, {"labels y [2]", "x [3,6]"});
  check_error([&] { vae_loss(cv, zeros({2, 6}), from_vector_i({1, 4}, {2}), g); }, {"one_hot"});
  check_error([&] { manifold_grid(cv, 3, from_vector_i({1}, {1})); }, {"2-d latent", "3-d"});
  check_error([&] { sample_prior(cv, 3, g); }, {"int64 labels [3] or [1]"});
  check_error([&] { Vae bad(tiny(0, 4, 2)); }, {"sizes must be positive", "input 0"});
}
