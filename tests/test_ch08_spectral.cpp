// Chapter 08 tests, spectral normalisation (Miyato et al. 2018): the power iteration finds σ(W),
// the layer divides by it, the gradient (and its gradient) matches finite differences, and a
// D built from such layers is 1-Lipschitz.
#include <algorithm>
#include <cmath>

#include "autodiff/ops_conv.h"
#include "helpers.h"
#include "models/ch08/gan_nets.h"
#include "models/ch08/spectral_norm.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;
using latent::test::rand64;

TEST_CASE("ch08: spectral norm's power iteration finds σ(W), and the layer divides W by it") {
  Generator g(1);
  auto lin = nn::make<nn::Linear>(2, 2);
  lin->weight = Var(from_vector({2, 1, 1, 2}, {2, 2}, DType::f64), true);  // singular values 3 and 1
  lin->bias = Var(from_vector({0.5, -0.5}, {2}, DType::f64), true);
  SpectralNorm sn(lin, &g);
  const Tensor x = rand64({4, 2}, 2);
  for (int i = 0; i < 30; ++i) sn(Var(x));  // training mode: one power step per pass
  CHECK(sn.sigma() == doctest::Approx(3.0).epsilon(1e-12));
  check_close(sn(Var(x)).data(), linear(Var(x), lin->weight / 3.0, lin->bias).data(), 1e-12);

  // A convolution's weight [out, in, k, k] as the matrix [out, in·k²]: rows of norm 2 and 1,
  // orthogonal, so σ = 2.
  auto conv = nn::make<nn::Conv2d>(1, 2, 2, 1, 0);
  conv->weight = Var(from_vector({1, 1, 1, 1, 0.5, -0.5, 0.5, -0.5}, {2, 1, 2, 2}, DType::f64), true);
  conv->bias = Var(zeros({2}, DType::f64), true);
  SpectralNorm sc(conv, &g);
  const Tensor img = rand64({1, 1, 3, 3}, 3);
  for (int i = 0; i < 30; ++i) sc(Var(img));
  CHECK(sc.sigma() == doctest::Approx(2.0).epsilon(1e-12));
  check_close(sc(Var(img)).data(), conv2d(Var(img), conv->weight / 2.0, conv->bias).data(), 1e-12);

  // Evaluation passes use u as it is; training passes move it.
  const Tensor u0 = sn.u.clone();
  sn.eval();
  sn(Var(x));
  check_close(sn.u, u0, 0);
  check_error([&] { SpectralNorm(nn::make<nn::Tanh>(), &g); }, {"SpectralNorm", "nn::Linear or an nn::Conv2d", "Tanh"});
  sn.train();
  const Tensor u1 = sn.u.clone();
  check_error([&] { sn(Var(rand64({4, 3}, 4))); }, {"SpectralNorm", "[N,2]", "[4,3]"});
  check_close(sn.u, u1, 0);  // a refused input moves nothing
}

TEST_CASE("ch08: spectral norm's gradient, and a gradient penalty's through it, match finite differences") {
  // In evaluation mode σ = uᵀ W v with v = Wᵀu/‖Wᵀu‖, i.e. σ = ‖Wᵀu‖, whose gradient u vᵀ is what
  // autodiff computes with u and v held constant: the check is exact, not an approximation.
  // (Its second derivative in W is not: holding v constant makes σ linear in W. A gradient
  // penalty needs only the first, as the second check shows.)
  Generator g(5);
  auto lin = nn::make<nn::Linear>(3, 2);
  lin->bias = Var(rand64({2}, 6), true);
  SpectralNorm sn(lin, &g);
  sn.eval();
  auto f = [&](const std::vector<Var>& v) {
    lin->weight = v[1];
    return sn(v[0]);
  };
  CHECK_GRAD(f, {rand64({4, 3}, 7), rand64({2, 3}, 8)});
  // WGAN-GP with spectral norm: ‖∂/∂x Σ tanh(SN(x))‖², differentiated in W through the graph.
  CHECK_GRAD(
      [&](const std::vector<Var>& v) {
        lin->weight = v[1];
        const Var gx = grad({sum(tanh(sn(v[0])))}, {v[0]}, {}, /*create_graph=*/true)[0];
        return sum(square(gx));
      },
      {rand64({4, 3}, 7), rand64({2, 3}, 8)});

  auto conv = nn::make<nn::Conv2d>(2, 3, 3, 2, 1);
  conv->bias = Var(rand64({3}, 9), true);
  SpectralNorm sc(conv, &g);
  sc.eval();
  CHECK_GRAD(
      [&](const std::vector<Var>& v) {
        conv->weight = v[1];
        return sc(v[0]);
      },
      {rand64({2, 2, 5, 5}, 10), rand64({3, 2, 3, 3}, 11)});
}

namespace {
// The largest |D(x) − D(y)| / ‖x − y‖ over the pairs, after D's weights are scaled by 5 (far
// from 1-Lipschitz without spectral norm, and the same function with it: W/σ(W) ignores scale).
double worst_slope(GanNetConfig c, const Tensor& x, const Tensor& y) {
  GanDiscriminator D(c);
  for (auto& [name, p] : D.named_parameters())
    if (name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0) p.node()->value = p.data() * 5.0;
  for (int i = 0; i < 300; ++i) D.run(Var(x));  // training passes: each layer's u converges
  D.eval();
  const Tensor dx = D.run(Var(x)).score.data(), dy = D.run(Var(y)).score.data();
  double worst = 0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const double dist = std::hypot(x.at({i, 0}) - y.at({i, 0}), x.at({i, 1}) - y.at({i, 1}));
    worst = std::max(worst, std::fabs(dx.at({i, 0}) - dy.at({i, 0})) / dist);
  }
  return worst;
}
}  // namespace

TEST_CASE("ch08: a discriminator with spectral norm in every layer is 1-Lipschitz") {
  GanNetConfig c;
  c.arch = GanArch::mlp, c.data_dim = 2, c.hidden = 6, c.hidden_layers = 2, c.latent.noise = 3;
  c.tanh_output = false, c.dtype = DType::f64, c.seed = 4, c.spectral_norm = true;
  CHECK(GanDiscriminator(c).describe().find("spectral norm") != std::string::npos);
  const Tensor x = rand64({200, 2}, 12, -3, 3), y = rand64({200, 2}, 13, -3, 3);
  const double with = worst_slope(c, x, y);
  CHECK(with <= 1.0 + 1e-6);  // each layer's σ is 1, LeakyReLU's slope at most 1
  CHECK(with > 0.01);         // and D is not a constant
  c.spectral_norm = false;
  CHECK(worst_slope(c, x, y) > 2.0);  // the same nets without it

  // Turning it on leaves D's starting weights as they were (u has its own random stream), and
  // InfoGAN's Q head, which is not on the score's path, is left alone.
  c.latent.categorical = 3;
  GanDiscriminator plain(c);
  c.spectral_norm = true;
  GanDiscriminator sn(c);
  const auto a = plain.named_parameters(), b = sn.named_parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(b[i].first);
    check_close(a[i].second.data(), b[i].second.data(), 0);
    CHECK((b[i].first.find(".layer.") != std::string::npos) == (b[i].first.rfind("q.", 0) != 0));
  }

  c.spectral_norm = true, c.equalized_lr = true;
  check_error([&] { GanDiscriminator bad(c); }, {"spectral_norm", "equalized_lr", "choose one"});
  c.equalized_lr = false, c.autoencoder = true;
  check_error([&] { GanDiscriminator bad(c); }, {"spectral_norm", "autoencoder"});
}
