// Chapter 08 metric tests: the Fréchet distance against closed forms, the Inception Score and
// class histogram on given probability tables, the 1-d Wasserstein distance and SWD, SSIM and
// MS-SSIM, the LeNet feature path and its checkpoint cache, and bad input.
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "helpers.h"
#include "models/ch01/classifiers.h"
#include "models/ch08/gan_metrics.h"
#include "nn/data.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;

namespace {

// A random symmetric positive semi-definite D x D matrix A Aᵀ (rank ≤ r) in float64.
Tensor random_psd(int64_t d, int64_t r, uint64_t seed) {
  Generator g(seed);
  Tensor a = normal({d, r}, 0, 1, DType::f64, &g);
  return matmul(a, a.t());
}

// A random orthogonal matrix: the eigenvectors of a random symmetric matrix.
Tensor random_rotation(int64_t d, uint64_t seed) {
  Tensor s = random_psd(d, d + 2, seed);
  Tensor m = latent::add(s, eye(d, DType::f64));
  Tensor q = zeros({d, d}, DType::f64);
  // Gram–Schmidt on the columns of m.
  for (int64_t j = 0; j < d; ++j) {
    Tensor v = m.select(1, j).clone();
    for (int64_t k = 0; k < j; ++k) {
      Tensor qk = q.select(1, k);
      v = sub(v, mul(qk, sum(mul(qk, v)).item()));
    }
    q.select(1, j).copy_(mul(v, 1.0 / norm(v).item()));
  }
  return q;
}

Tensor diag(const std::vector<double>& v) {
  const int64_t d = (int64_t)v.size();
  Tensor m = zeros({d, d}, DType::f64);
  for (int64_t i = 0; i < d; ++i) m.set({i, i}, v[i]);
  return m;
}

Tensor embedded_test_images(int64_t n) { return load_mnist_embedded().test.images.slice(0, 0, n); }

Tensor noisy(const Tensor& x, double std, uint64_t seed) {
  Generator g(seed);
  return gaussian_noise(x, std, g, /*clip01=*/true);
}

}  // namespace

TEST_CASE("frechet_distance: identical Gaussians are at distance 0, also when singular") {
  const Tensor mu = from_vector({0.5, -1, 2, 0, 3}, {5}, DType::f64);
  CHECK(frechet_distance(mu, random_psd(5, 8, 1), mu, random_psd(5, 8, 1)) < 1e-9);
  const Tensor rank2 = random_psd(5, 2, 2);  // singular: λ = 0 three times
  CHECK(frechet_distance(mu, rank2, mu, rank2) < 1e-9);
}

TEST_CASE("frechet_distance: commuting covariances give ||Δμ||² + Σ (√a_i − √b_i)²") {
  const std::vector<double> a = {4, 1, 0.25, 9}, b = {1, 1, 2.25, 0.01};
  const Tensor mu1 = from_vector({1, 2, 3, 4}, {4}, DType::f64), mu2 = from_vector({0, 2, 5, 4}, {4}, DType::f64);
  double expect = 1 + 4;  // ||Δμ||²
  for (size_t i = 0; i < a.size(); ++i) expect += std::pow(std::sqrt(a[i]) - std::sqrt(b[i]), 2);
  CHECK(frechet_distance(mu1, diag(a), mu2, diag(b)) == doctest::Approx(expect).epsilon(1e-10));
  // The same spectra in a common rotated basis Q: Σ = Q diag Qᵀ commute, the distance is the same.
  const Tensor q = random_rotation(4, 3);
  const Tensor s1 = matmul(matmul(q, diag(a)), q.t()), s2 = matmul(matmul(q, diag(b)), q.t());
  CHECK(frechet_distance(mu1, s1, mu2, s2) == doctest::Approx(expect).epsilon(1e-9));
}

TEST_CASE("frechet_distance: 1-d is (μ1 − μ2)² + (σ1 − σ2)²") {
  const auto one = [](double v) { return from_vector({v}, {1}, DType::f64); };
  const auto cov = [](double v) { return from_vector({v}, {1, 1}, DType::f64); };
  CHECK(frechet_distance(one(1.5), cov(4), one(-0.5), cov(0.25)) == doctest::Approx(4 + 1.5 * 1.5).epsilon(1e-12));
  CHECK(frechet_distance(one(0), cov(0), one(0), cov(9)) == doctest::Approx(9).epsilon(1e-12));
}

TEST_CASE("frechet_distance: symmetric, and matches the 2x2 closed form for non-commuting covariances") {
  const Tensor mu1 = from_vector({0.3, -0.2, 1, 0, 0, 2}, {6}, DType::f64), mu2 = zeros({6}, DType::f64);
  const Tensor s1 = random_psd(6, 9, 4), s2 = random_psd(6, 3, 5);
  const double d12 = frechet_distance(mu1, s1, mu2, s2), d21 = frechet_distance(mu2, s2, mu1, s1);
  CHECK(d12 > 1);
  CHECK(d12 == doctest::Approx(d21).epsilon(1e-9));
  // 2x2: the eigenvalues λ1, λ2 ≥ 0 of Σ1Σ2 give tr (Σ1Σ2)^{1/2} = √λ1 + √λ2 =
  // sqrt(tr(Σ1Σ2) + 2 sqrt(det Σ1Σ2)) — no eigendecomposition involved.
  const Tensor a = from_vector({2, 0.9, 0.9, 1}, {2, 2}, DType::f64), b = from_vector({0.5, -0.3, -0.3, 3}, {2, 2}, DType::f64);
  const Tensor ab = matmul(a, b);
  const double tr_ab = ab.at({0, 0}) + ab.at({1, 1});
  const double det_ab = ab.at({0, 0}) * ab.at({1, 1}) - ab.at({0, 1}) * ab.at({1, 0});
  const double expect = 3 + 3.5 - 2 * std::sqrt(tr_ab + 2 * std::sqrt(det_ab));
  const Tensor z = zeros({2}, DType::f64);
  CHECK(frechet_distance(z, a, z, b) == doctest::Approx(expect).epsilon(1e-10));
}

TEST_CASE("fit_gaussian: mean and unbiased covariance of the rows") {
  const Tensor x = from_vector({1, 2, 3, 6, 5, 1}, {3, 2}, DType::f32);
  GaussianFit g = fit_gaussian(x);
  check_close(g.mean, from_vector({3, 3}, {2}, DType::f64), 1e-12);
  // deviations (-2,-1), (0,3), (2,-2): Σ = [[8, -2], [-2, 14]] / 2
  check_close(g.cov, from_vector({4, -1, -1, 7}, {2, 2}, DType::f64), 1e-12);
  CHECK(frechet_distance(g, g) < 1e-12);
}

TEST_CASE("inception_score: 1 for a constant prediction, K for confident evenly spread ones") {
  Tensor constant = zeros({6, 4}, DType::f64);
  for (int64_t i = 0; i < 6; ++i) constant.set({i, 0}, 0.1), constant.set({i, 1}, 0.2), constant.set({i, 2}, 0.7);
  CHECK(inception_score(constant) == doctest::Approx(1).epsilon(1e-12));
  Tensor onehot = zeros({20, 10}, DType::f32);  // two confident images of each digit
  for (int64_t i = 0; i < 20; ++i) onehot.set({i, i % 10}, 1);
  CHECK(inception_score(onehot) == doctest::Approx(10).epsilon(1e-6));
  // Two images, p = (1, 0) and (0.5, 0.5): p̂ = (0.75, 0.25), KLs log(4/3) and ½log(2/3) + ½log 2.
  const Tensor two = from_vector({1, 0, 0.5, 0.5}, {2, 2}, DType::f64);
  const double kl = (std::log(4.0 / 3) + 0.5 * std::log(2.0 / 3) + 0.5 * std::log(2.0)) / 2;
  CHECK(inception_score(two) == doctest::Approx(std::exp(kl)).epsilon(1e-12));
}

TEST_CASE("class_histogram: shares, max/min and KL from uniform") {
  Tensor p = zeros({8, 4}, DType::f32);
  const int64_t cls[8] = {0, 0, 0, 1, 1, 2, 2, 3};
  for (int64_t i = 0; i < 8; ++i) p.set({i, cls[i]}, 1);
  ClassHistogram h = class_histogram(p);
  REQUIRE(h.shares.size() == 4);
  CHECK(h.shares[0] == doctest::Approx(0.375));
  CHECK(h.max_share == doctest::Approx(0.375));
  CHECK(h.min_share == doctest::Approx(0.125));
  CHECK(h.classes_present == 4);
  const double kl = 0.375 * std::log(1.5) + 2 * 0.25 * std::log(1.0) + 0.125 * std::log(0.5);
  CHECK(h.kl_from_uniform == doctest::Approx(kl));
  Tensor one = zeros({5, 10}, DType::f32);
  for (int64_t i = 0; i < 5; ++i) one.set({i, 7}, 1);
  ClassHistogram c = class_histogram(one);  // mode collapse: one digit only
  CHECK(c.kl_from_uniform == doctest::Approx(std::log(10.0)));
  CHECK(c.classes_present == 1);
  CHECK(c.min_share == 0);
}

TEST_CASE("wasserstein1_sorted: quantile matching, also for different sample sizes") {
  const float a[3] = {0, 1, 5}, b[3] = {1, 1, 2};
  CHECK(wasserstein1_sorted(a, 3, b, 3) == doctest::Approx((1 + 0 + 3) / 3.0));
  // F_a⁻¹ = 0 on (0,½], 1 on (½,1]; F_b⁻¹ = 0, ½, 1 on thirds: they differ by ½ on (⅓,⅔).
  const float c[2] = {0, 1}, d[3] = {0, 0.5f, 1};
  CHECK(wasserstein1_sorted(c, 2, d, 3) == doctest::Approx(1.0 / 6));
  CHECK(wasserstein1_sorted(d, 3, c, 2) == doctest::Approx(1.0 / 6));
  const float e[4] = {0, 0, 1, 1};  // the same distribution as c
  CHECK(wasserstein1_sorted(c, 2, e, 4) == doctest::Approx(0));
}

TEST_CASE("sliced_wasserstein_points: 0 for the same set, E|u·δ| for a shift by δ") {
  Generator g(11);
  const Tensor a = normal({300, 3}, 0, 1, DType::f32, &g);
  CHECK(sliced_wasserstein_points(a, a, 64, g) == 0);
  // Shifting every point by δ shifts each projection by u·δ, so W1 = |u·δ| exactly; for u
  // uniform on the sphere in 3-d, u·δ/|δ| is uniform on [-1, 1] and E|u·δ| = |δ|/2.
  const Tensor delta = from_vector({0, 1.2, 1.6}, {3}, DType::f32);  // |δ| = 2
  const double swd = sliced_wasserstein_points(a, latent::add(a, delta), 4000, g);
  CHECK(swd == doctest::Approx(1.0).epsilon(0.03));  // standard error ≈ 0.29/√4000 ≈ 0.5 %
}

TEST_CASE("sliced_wasserstein: ≈ 0 for a set with itself, and grows with added noise") {
  const Tensor real = embedded_test_images(200);
  const SwdOptions opt{.levels = 3, .patches_per_image = 16, .directions = 128};
  Generator g(5);
  const SwdResult self = sliced_wasserstein(real, real, g, opt);
  REQUIRE(self.distance.size() == 3);
  CHECK(self.resolution == std::vector<int64_t>{28, 14, 7});
  // Levels 28 and 14 draw different random patches for the two sets: a small sampling
  // distance. Level 7 has one 7x7 patch per 7x7 image: identical sets, exactly 0.
  CHECK(self.distance[2] == 0);
  const SwdResult mild = sliced_wasserstein(real, noisy(real, 0.1, 1), g, opt);
  const SwdResult strong = sliced_wasserstein(real, noisy(real, 0.4, 2), g, opt);
  MESSAGE("self: " << self.str() << "\nnoise 0.1: " << mild.str() << "\nnoise 0.4: " << strong.str());
  // White noise lives mostly in the finest band (28) and, being clipped at 0, brightens the
  // background (7); the blur before level 14 removes most of it, so level 14 is not compared.
  for (size_t l : {0, 2}) {
    CHECK(self.distance[l] < mild.distance[l]);
    CHECK(mild.distance[l] < strong.distance[l]);
  }
  CHECK(self.average < mild.average);
  CHECK(mild.average < strong.average);
}

TEST_CASE("ssim and ms_ssim: 1 for an image with itself, the closed form for constants, lower with noise") {
  const Tensor x = embedded_test_images(1);
  CHECK(ssim(x, x) == doctest::Approx(1).epsilon(1e-12));
  CHECK(ms_ssim(x, x) == doctest::Approx(1).epsilon(1e-12));
  // Constant images a, b: no variance, so cs = 1 and SSIM = l = (2ab + C1)/(a² + b² + C1);
  // MS-SSIM = l^β3 with β3 = 0.3001 / (0.0448 + 0.2856 + 0.3001).
  const double a = 0.2, b = 0.6, c1 = 1e-4, l = (2 * a * b + c1) / (a * a + b * b + c1);
  const Tensor ca = full({28, 28}, a), cb = full({28, 28}, b);
  CHECK(ssim(ca, cb) == doctest::Approx(l).epsilon(1e-6));
  CHECK(ms_ssim(ca, cb) == doctest::Approx(std::pow(l, 0.3001 / 0.6305)).epsilon(1e-6));
  CHECK(ssim(x, noisy(x, 0.1, 3)) == doctest::Approx(ssim(noisy(x, 0.1, 3), x)).epsilon(1e-12));
  double previous = 1;
  for (double s : {0.05, 0.1, 0.2, 0.4}) {
    const double v = ms_ssim(x, noisy(x, s, 7));
    MESSAGE("noise " << s << ": MS-SSIM " << v);
    CHECK(v < previous);
    previous = v;
  }
}

TEST_CASE("ms_ssim_diversity: 1 for copies of one image, lower for real digits, lower still for noise") {
  const Tensor real = embedded_test_images(60);
  Generator g(3);
  const Tensor copies = real.slice(0, 0, 1).expand({20, 1, 28, 28}).contiguous();
  Diversity same = ms_ssim_diversity(copies, 50, g);
  CHECK(same.mean == doctest::Approx(1).epsilon(1e-12));
  Diversity digits = ms_ssim_diversity(real, 300, g);
  Diversity noise = ms_ssim_diversity(uniform({60, 1, 28, 28}, 0, 1, DType::f32, &g), 300, g);
  MESSAGE("digits " << digits.mean << " ± " << digits.std_error << ", noise " << noise.mean);
  CHECK(digits.pairs == 300);
  CHECK(digits.mean < 0.9);
  CHECK(noise.mean < digits.mean);
  CHECK(digits.std_error > 0);
}

TEST_CASE("MetricNet: LeNet features and class probabilities; evaluate_images gives finite scores") {
  const Generator saved = default_generator();
  manual_seed(3);
  MetricNet net(make_lenet5(), "untrained");
  default_generator() = saved;
  const Tensor real = embedded_test_images(40);
  MetricNet::Outputs o = net.run(real, 16);  // 3 batches
  CHECK(o.features.shape() == Shape{40, 500});
  CHECK(o.probs.shape() == Shape{40, 10});
  CHECK(min(o.features).item() >= 0);  // after the ReLU
  check_close(sum(o.probs, {1}), ones({40}), 1e-5);
  Generator g(1);
  ScoreOptions opt;
  opt.ssim_pairs = 50, opt.swd.patches_per_image = 4, opt.swd.directions = 32;
  GanScores s = evaluate_images(noisy(real.slice(0, 0, 20), 0.2, 4), net, real, g, opt);
  MESSAGE(s.str());
  CHECK(std::isfinite(s.inception_score));
  CHECK(s.inception_score >= 1);
  CHECK(s.inception_score <= 10);
  CHECK(std::isfinite(s.frechet_distance));
  CHECK(s.frechet_distance > 0);
  CHECK(std::isfinite(s.swd.average));
  CHECK(s.n == 20);
  CHECK(s.n_reference == 40);
  CHECK(s.ms_ssim.mean < s.ms_ssim_reference.mean);  // noise makes pairs less alike
  // The reference prepared once gives the same network-based scores.
  const ReferenceSet ref = prepare_reference(real, net, g, opt);
  GanScores again = evaluate_images(noisy(real.slice(0, 0, 20), 0.2, 4), net, ref, g, opt);
  CHECK(again.inception_score == s.inception_score);
  CHECK(again.frechet_distance == doctest::Approx(s.frechet_distance).epsilon(1e-12));
  check_error([&] { evaluate_images(real, net, real.reshape({40, 784}), g, opt); }, {"prepare_reference", "[40,784]"});
}

TEST_CASE("load_or_train_metric_net: trains once, saves, and loads the same network") {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("latent_ch08_metric_test_" + std::to_string(::getpid()) + ".ckpt")).string();
  std::filesystem::remove(path);
  MetricNetOptions opt;
  opt.cache_path = path, opt.embedded_only = true, opt.epochs = 1, opt.max_train = 128, opt.seed = 2;
  std::vector<std::string> lines;
  opt.log = [&](const std::string& s) { lines.push_back(s); };
  MetricNet trained = load_or_train_metric_net(opt);
  REQUIRE(std::filesystem::exists(path));
  CHECK(trained.test_accuracy() >= 0);  // measured on the 500 embedded test images
  CHECK(trained.test_accuracy() <= 1);
  CHECK(lines.back().find("saved") != std::string::npos);
  MetricNet loaded = load_or_train_metric_net(opt);
  CHECK(loaded.test_accuracy() == trained.test_accuracy());
  CHECK(lines.back().find("loaded") != std::string::npos);
  const Tensor x = embedded_test_images(8);
  check_close(loaded.run(x).probs, trained.run(x).probs, 0, 0);
  std::filesystem::remove(path);
}

TEST_CASE("gan metrics: [-1,1] helper and bad input") {
  check_close(unit_range_from_pm1(from_vector({-1, 0, 1, 1.0000001}, {4})), from_vector({0, 0.5, 1, 1}, {4}), 1e-7);
  const Tensor good = embedded_test_images(4);
  check_error([&] { check_unit_images("op", good.reshape({4, 784})); }, {"op", "[N,1,28,28]", "[4,784]"});
  check_error([&] { check_unit_images("op", zeros({2, 3, 28, 28})); }, {"op", "[2,3,28,28]"});
  check_error([&] { check_unit_images("op", zeros({2, 1, 14, 14})); }, {"[N,1,28,28]"});
  check_error([&] { check_unit_images("op", to_pm1(good)); }, {"op", "[0,1]", "unit_range_from_pm1"});
  check_error([&] { check_unit_images("op", full({1, 1, 28, 28}, NAN)); }, {"op", "nan"});
  check_error([&] { check_unit_images("op", zeros({2, 1, 28, 28}, DType::i64)); }, {"int64"});
  check_error([&] { check_unit_images("op", zeros({1, 1, 28, 28}), 2); }, {"at least 2"});
  check_error([&] { fit_gaussian(zeros({1, 5})); }, {"fit_gaussian", "at least 2 rows"});
  const Tensor mu = zeros({3}, DType::f64), s = eye(3, DType::f64);
  check_error([&] { frechet_distance(mu, s, zeros({4}, DType::f64), eye(4, DType::f64)); }, {"frechet_distance", "D = 3"});
  check_error([&] { frechet_distance(mu, zeros({3, 2}, DType::f64), mu, s); }, {"frechet_distance", "[3,2]"});
  check_error([&] { inception_score(from_vector({0.5, 0.4}, {1, 2})); }, {"inception_score", "sums to 0.9"});
  check_error([&] { inception_score(from_vector({1.5, -0.5}, {1, 2})); }, {"inception_score", "not a probability"});
  check_error([&] { class_histogram(zeros({10})); }, {"class_histogram", "[N, K]"});
  check_error([&] { sliced_wasserstein(good, zeros({2, 1, 14, 14}), default_generator()); }, {"different image sizes"});
  check_error([&] { sliced_wasserstein(zeros({2, 1, 14, 14}), zeros({2, 1, 14, 14}), default_generator()); },
              {"sliced_wasserstein", "smaller than the 7x7 patches"});
  check_error([&] { ms_ssim(zeros({14, 14}), zeros({14, 14})); }, {"ms_ssim", "3 scales", "14x14"});
  check_error([&] { ms_ssim(zeros({2, 28, 28}), zeros({2, 28, 28})); }, {"ms_ssim", "one grey image"});
  check_error([&] { ms_ssim_diversity(good.slice(0, 0, 1), 5, default_generator()); }, {"at least 2"});
  check_error([&] { MetricNet(make_lenet5()).run(good.reshape({4, 1, 784})); }, {"MetricNet::run", "[4,1,784]"});
}
