// Chapter 02 — PCA, randomized SVD, probabilistic PCA, factor analysis.
// Reference values marked "numpy" were computed independently with NumPy 1.24
// (np.linalg.svd / eigh / slogdet / solve on the dense matrices; the script is
// described next to each value), not with latent.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "helpers.h"
#include "models/ch02/factor_analysis.h"
#include "models/ch02/pca.h"
#include "models/ch02/ppca.h"
#include "models/ch02/reconstruction.h"
#include "nn/data.h"
#include "tensor/index.h"
#include "tensor/linalg.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;
using latent::test::check_values;

namespace {

// 8 examples, 5 features: two strong correlated directions plus small noise.
Tensor small_data() {
  return from_vector({2.5, 2.4, 0.5, 1.0, -1.0, 0.5, 0.7, 1.5, -0.3, 0.2, 2.2, 2.9, 0.1, 0.8, -0.6,
                      1.9, 2.2, 0.9, 0.4, 0.0,  3.1, 3.0, -0.4, 1.2, -1.1, 2.3, 2.7, 0.3, 0.5, -0.2,
                      2.0, 1.6, 1.1, 0.1, 0.4,  1.0, 1.1, 1.3, -0.5, 0.9},
                     {8, 5}, DType::f64);
}

// Rank-r signal plus isotropic noise: N x D, seeded.
Tensor low_rank_data(int64_t n, int64_t d, int64_t r, double noise, uint64_t seed) {
  Generator g(seed);
  Tensor Z = normal({n, r}, 0, 1, DType::f64, &g);
  Tensor A = normal({r, d}, 0, 1, DType::f64, &g);
  for (int64_t i = 0; i < r; ++i) A.select(0, i).copy_(A.select(0, i) * (double)(r - i + 1));
  return matmul(Z, A) + normal({n, d}, 0, noise, DType::f64, &g) + 0.5;
}

// The Gaussian log-density of every row, the slow dense way: C's Cholesky
// factor L, then -½ (D ln 2π + ln|C| + ‖L⁻¹(x − μ)‖²).
double dense_mean_log_likelihood(const Tensor& C, const Tensor& mu, const Tensor& X) {
  const int64_t n = X.size(0), d = X.size(1);
  Tensor L = cholesky(C);
  Tensor r = triangular_solve(L, (X - mu.reshape({1, d})).t().contiguous());
  double quad = sum(square(r)).item() / (double)n;
  return -0.5 * ((double)d * std::log(2 * std::numbers::pi) + logdet_spd(C).item() + quad);
}

}  // namespace

TEST_CASE("ch02 pca: every solver matches numpy on a small matrix") {
  Tensor X = small_data();
  // numpy: Xc = X - X.mean(0); U, s, Vt = np.linalg.svd(Xc); signs flipped so each row of Vt has its
  // largest |entry| positive; ev = s**2 / 7; ratio = ev / ev.sum().
  for (PcaSolver s : {PcaSolver::svd, PcaSolver::covariance_eigh, PcaSolver::gram_eigh, PcaSolver::randomized}) {
    CAPTURE(pca_solver_name(s));
    Pca p = pca_fit(X, 2, {.solver = s});
    check_values(p.explained_variance, {2.448262629418267, 0.14541290961300657}, 1e-9);
    check_values(p.explained_variance_ratio, {0.9102556582620047, 0.05406402163277373}, 1e-9);
    check_values(p.singular_values, {4.139787241625815, 1.008905529418412}, 1e-9);
    check_values(p.components,
                 {0.5080569248885146, 0.5287657231253315, -0.40003432511628245, 0.3784511882820009,
                  -0.3987884250292035, 0.3596144053786432, 0.3853781871920806, -0.09171737686436811,
                  -0.27721393071826705, 0.7980610826732237},
                 1e-8);
    check_values(pca_project(p, X).slice(0, 0, 1), {1.0787076217152116, -0.4822936640329969}, 1e-8);
    CHECK(pca_reconstruction_error(p, X) == doctest::Approx(0.08397140334763231).epsilon(1e-9));
    CHECK(p.solver == s);
  }
  CHECK(pca_fit(X, 2).solver == PcaSolver::covariance_eigh);                 // N >= D
  CHECK(pca_fit(X.slice(1, 0, 5).t(), 2).solver == PcaSolver::gram_eigh);     // N < D
}

TEST_CASE("ch02 pca: the reconstruction objective's minimum is the discarded Σ s_i² (Eckart–Young)") {
  Tensor X = low_rank_data(60, 12, 3, 0.3, 1);
  Pca full = pca_fit(X, 12, {.solver = PcaSolver::svd});
  std::vector<double> s = full.singular_values.to_vector();
  for (int64_t k : {1, 3, 7}) {
    Pca p = pca_fit(X, k);
    double tail = 0;
    for (size_t i = k; i < s.size(); ++i) tail += s[i] * s[i];
    double objective = reconstruction_objective(X, pca_project(p, X), p.components, p.mean);
    CHECK(objective == doctest::Approx(tail).epsilon(1e-9));
    // Any other k orthonormal directions (with their best codes) do worse.
    Generator g(k);
    Tensor Q = svd(normal({12, k}, 0, 1, DType::f64, &g)).U.t().contiguous();  // [k, D]
    Tensor Xc = X - p.mean.reshape({1, 12});
    CHECK(reconstruction_objective(Xc, matmul(Xc, Q.t()), Q) > objective);
  }
}

TEST_CASE("ch02 reconstruction objective: one-hot codes give k-means' sum of squared distances") {
  Tensor X = small_data();
  Tensor centroids = from_vector({2.5, 2.6, 0.2, 0.8, -0.6, 1.0, 1.0, 1.2, -0.2, 0.5}, {2, 5}, DType::f64);
  Tensor assign = from_vector_i({0, 1, 0, 0, 0, 0, 1, 1}, {8});
  double by_hand = 0;
  for (int64_t n = 0; n < 8; ++n)
    by_hand += sum(square(X.select(0, n) - centroids.select(0, assign.at({n}) > 0 ? 1 : 0))).item();
  CHECK(reconstruction_objective(X, one_hot(assign, 2, DType::f64), centroids) == doctest::Approx(by_hand));
}

TEST_CASE("ch02 pca: solvers agree on random data, N > D and N < D") {
  for (auto [n, d] : {std::pair<int64_t, int64_t>{200, 30}, {25, 60}}) {
    Tensor X = low_rank_data(n, d, 5, 0.1, 2);
    Pca ref = pca_fit(X, 5, {.solver = PcaSolver::svd});
    for (PcaSolver s : {PcaSolver::covariance_eigh, PcaSolver::gram_eigh, PcaSolver::randomized}) {
      CAPTURE(pca_solver_name(s));
      Pca p = pca_fit(X, 5, {.solver = s});
      check_close(p.explained_variance, ref.explained_variance, 1e-8, 1e-8);
      check_close(p.components, ref.components, 1e-6, 1e-6);
      CHECK(p.total_variance == doctest::Approx(ref.total_variance).epsilon(1e-10));
    }
  }
}

TEST_CASE("ch02 pca: all components reconstruct exactly; whitening gives unit covariance") {
  Tensor X = low_rank_data(40, 6, 6, 0.5, 3);
  Pca p = pca_fit(X, 6);
  check_close(pca_reconstruct(p, pca_project(p, X)), X, 1e-10, 1e-10);
  CHECK(sum(p.explained_variance_ratio).item() == doctest::Approx(1.0).epsilon(1e-12));
  check_close(matmul(p.components, p.components.t()), eye(6, DType::f64), 1e-12);
  for (bool zca : {false, true}) {
    Tensor Z = pca_whiten(p, X, 6, zca);
    Tensor cov = matmul(Z.t(), Z) / 39.0;
    check_close(cov, eye(6, DType::f64), 1e-9);
  }
  // With every component, ZCA is (X − 1μᵀ) C^(-1/2), C^(-1/2) the symmetric inverse square root of
  // the covariance, built here from an independent eigh.
  Tensor Xc = X - mean(X, {0}, true);
  Eigh e = eigh(matmul(Xc.t(), Xc) / 39.0);
  Tensor C_inv_sqrt = matmul(e.vectors / sqrt(e.values).reshape({1, 6}), e.vectors.t());
  check_close(pca_whiten(p, X, 6, true), matmul(Xc, C_inv_sqrt), 1e-9, 1e-9);
  CHECK(pca_whiten(p, X.slice(0, 0, 3), 2).shape() == Shape{3, 2});
}

TEST_CASE("ch02 pca: 30 components of the embedded MNIST subset match numpy") {
  Mnist m = load_mnist_embedded();
  Pca p = pca_fit(m.train.images, 30);
  // numpy on the same float32 pixels (uint8 * float32(1/255), as read_idx_images): eigh of the
  // centred covariance, in float64.
  CHECK(p.explained_variance.at({0}) == doctest::Approx(5.215973469709842).epsilon(1e-8));
  CHECK(sum(p.explained_variance_ratio).item() == doctest::Approx(0.7427646138475507).epsilon(1e-8));
  CHECK(pca_reconstruction_error(p, m.test.images) == doctest::Approx(14.695638477974835).epsilon(1e-8));
  CHECK(pca_reconstruction_error(p, m.train.images) == doctest::Approx(13.397842247374031).epsilon(1e-8));
  // Randomized PCA (7 power iterations) gets the same subspace to ~4 digits here.
  Pca r = pca_fit(m.train.images, 30, {.solver = PcaSolver::randomized});
  CHECK(pca_reconstruction_error(r, m.test.images) == doctest::Approx(14.695638477974835).epsilon(1e-3));
}

TEST_CASE("ch02 randomized_svd: exact on a low-rank matrix, orthonormal bases") {
  Generator g(4);
  Tensor A = matmul(normal({80, 4}, 0, 1, DType::f64, &g), normal({4, 30}, 0, 1, DType::f64, &g));
  SVD exact = svd(A);
  SVD r = randomized_svd(A, 4, {.oversamples = 3, .power_iterations = 1});
  check_close(r.S, exact.S.slice(0, 0, 4), 1e-9, 1e-9);
  check_close(matmul(r.U * r.S.reshape({1, 4}), r.Vt), A, 1e-9, 1e-9);
  Tensor Q = orthonormal_basis(normal({50, 7}, 0, 1, DType::f32, &g));
  check_close(matmul(Q.t(), Q), eye(7, DType::f64), 1e-12);
}

TEST_CASE("ch02 ppca: the closed form matches numpy, and the Woodbury likelihood the dense one") {
  Tensor X = small_data();
  Moments m = data_moments("test", X);
  // numpy: S = Xc.T @ Xc / N; w = eigh(S); σ² = w[:D-q].mean(); W = U_q sqrt(Λ_q − σ²);
  // ll = -½(D ln 2π + slogdet(C) + tr(C⁻¹ S)).
  LinearGaussian p1 = ppca_closed_form(m, 1), p2 = ppca_closed_form(m, 2);
  CHECK(p1.noise_variance.at({0}) == doctest::Approx(0.05280192481475314).epsilon(1e-10));
  CHECK(p2.noise_variance.at({3}) == doctest::Approx(0.027990467782543924).epsilon(1e-10));
  CHECK(mean_log_likelihood(p1, m) == doctest::Approx(-1.5932010225694517).epsilon(1e-10));
  CHECK(mean_log_likelihood(p2, X) == doctest::Approx(-1.080924734347069).epsilon(1e-10));
  // Any model and any data (mean offset included): Woodbury vs Cholesky of the dense C.
  Generator g(5);
  LinearGaussian r{normal({5}, 0, 1, DType::f64, &g), normal({5, 2}, 0, 1, DType::f64, &g),
                   uniform({5}, 0.2, 1.5, DType::f64, &g)};
  CHECK(mean_log_likelihood(r, X) ==
        doctest::Approx(dense_mean_log_likelihood(model_covariance(r), r.mean, X)).epsilon(1e-10));
}

TEST_CASE("ch02 ppca: the closed form is a maximum, unchanged by rotating W") {
  Tensor X = low_rank_data(100, 8, 2, 0.4, 6);
  Moments m = data_moments("test", X);
  LinearGaussian best = ppca_closed_form(m, 2);
  const double ll = mean_log_likelihood(best, m);
  const double c = std::cos(0.7), s = std::sin(0.7);
  LinearGaussian rotated = best;
  rotated.loadings = matmul(best.loadings, from_vector({c, -s, s, c}, {2, 2}, DType::f64));
  CHECK(mean_log_likelihood(rotated, m) == doctest::Approx(ll).epsilon(1e-12));
  Generator g(7);
  for (int i = 0; i < 5; ++i) {
    LinearGaussian nudged = best;
    nudged.loadings = best.loadings + normal({8, 2}, 0, 0.05, DType::f64, &g);
    nudged.noise_variance = best.noise_variance * (i % 2 ? 1.1 : 0.9);
    CHECK(mean_log_likelihood(nudged, m) < ll);
  }
}

TEST_CASE("ch02 ppca: EM never decreases the likelihood and reaches the closed form") {
  // noise comparable to the signal: EM converges at rate ~1 − 2σ²/λ_q (see ppca.h), so fast here
  Tensor X = low_rank_data(300, 10, 3, 2.0, 8);
  Moments m = data_moments("test", X);
  // The likelihood is flat at the optimum (parameter error ε costs only ~ε²), so stopping on a
  // small gain is not enough for a 1e-6 match of C: run a fixed, generous number of iterations.
  EmFit fit = fit_ppca_em(m, 3, {.max_iterations = 1500, .tolerance = -1, .seed = 1});
  REQUIRE(fit.log_likelihood.size() == 1501);
  for (size_t t = 1; t < fit.log_likelihood.size(); ++t)
    CHECK(fit.log_likelihood[t] >= fit.log_likelihood[t - 1] - 1e-10 * std::abs(fit.log_likelihood[t - 1]));
  EmFit stopped = fit_ppca_em(m, 3, {.max_iterations = 1000});  // default tolerance: 1e-6 nats per example
  CHECK(stopped.converged);
  CHECK(stopped.iterations < 1000);
  LinearGaussian closed = ppca_closed_form(m, 3);
  // W is identified only up to rotation: compare C = W Wᵀ + σ² I and the subspace.
  check_close(model_covariance(fit.model), model_covariance(closed), 1e-6, 1e-6);
  CHECK(subspace_distance(fit.model.loadings, closed.loadings) < 1e-6);
  CHECK(fit.log_likelihood.back() == doctest::Approx(mean_log_likelihood(closed, m)).epsilon(1e-10));
  // one step from the optimum stays there
  check_close(model_covariance(ppca_em_step(m, closed)), model_covariance(closed), 1e-10, 1e-10);
}

TEST_CASE("ch02 factor analysis: EM is monotone, starts at PPCA and ends at least as high") {
  Tensor X = low_rank_data(200, 8, 2, 0.05, 9);
  // give each feature its own noise level: FA's diagonal Ψ should find them
  Generator g(10);
  X = X + normal({200, 8}, 0, 1, DType::f64, &g) * from_vector({0.05, 0.1, 0.2, 0.4, 0.8, 0.15, 0.6, 0.3}, {1, 8}, DType::f64);
  Moments m = data_moments("test", X);
  LinearGaussian ppca = ppca_closed_form(m, 2);
  EmFit fa = fit_factor_analysis(m, 2, {.max_iterations = 500, .tolerance = 1e-12});
  CHECK(fa.log_likelihood.front() == doctest::Approx(mean_log_likelihood(ppca, m)).epsilon(1e-12));
  for (size_t t = 1; t < fa.log_likelihood.size(); ++t)
    CHECK(fa.log_likelihood[t] >= fa.log_likelihood[t - 1] - 1e-10 * std::abs(fa.log_likelihood[t - 1]));
  CHECK(fa.log_likelihood.back() > fa.log_likelihood.front() + 0.1);
  // the noisiest feature (4) gets the largest ψ, the cleanest (0) the smallest
  std::vector<double> psi = fa.model.noise_variance.to_vector();
  CHECK(std::max_element(psi.begin(), psi.end()) - psi.begin() == 4);
  CHECK(std::min_element(psi.begin(), psi.end()) - psi.begin() == 0);
  CHECK(mean_log_likelihood(fa.model, X) ==
        doctest::Approx(dense_mean_log_likelihood(model_covariance(fa.model), fa.model.mean, X)).epsilon(1e-10));
}

TEST_CASE("ch02 ppca and fa on the embedded MNIST subset match numpy") {
  Mnist mn = load_mnist_embedded();
  Moments train = data_moments("test", mn.train.images), test = data_moments("test", mn.test.images);
  LinearGaussian p = ppca_closed_form(train, 30);
  // numpy: as above, on the same float32 pixels in float64.
  CHECK(p.noise_variance.at({0}) == doctest::Approx(0.017769021548241427).epsilon(1e-8));
  CHECK(mean_log_likelihood(p, train) == doctest::Approx(407.95678497261997).epsilon(1e-9));
  CHECK(mean_log_likelihood(p, test) == doctest::Approx(371.8051578268296).epsilon(1e-9));
  // numpy: 20 iterations of the FA updates from the PPCA solution, ψ >= 1e-3 tr(S)/D.
  EmFit fa = fit_factor_analysis(train, 30, {.max_iterations = 20, .tolerance = -1});
  CHECK(fa.iterations == 20);
  CHECK(fa.log_likelihood.back() == doctest::Approx(1107.9207010736686).epsilon(1e-7));
  CHECK(mean_log_likelihood(fa.model, test) == doctest::Approx(988.2679701489608).epsilon(1e-7));
  CHECK(min(fa.model.noise_variance).item() >= 6.643364567685806e-05 * (1 - 1e-9));
}

TEST_CASE("ch02 sampling and the posterior agree with the Gaussian they define") {
  Generator g(11);
  LinearGaussian m{from_vector({1, -1, 0.5, 2}, {4}, DType::f64), normal({4, 2}, 0, 1, DType::f64, &g),
                   from_vector({0.1, 0.2, 0.3, 0.4}, {4}, DType::f64)};
  Tensor x = sample(m, 200000, g);
  Moments s = data_moments("test", x);
  check_close(s.mean, m.mean, 0.03);
  check_close(s.covariance, model_covariance(m), 0.05, 0.03);
  Tensor clean = sample(m, 3, g, false);  // noise-free draws lie in μ + span(W)
  Tensor off = clean - m.mean.reshape({1, 4});
  Tensor P = matmul(m.loadings, solve(matmul(m.loadings.t(), m.loadings), m.loadings.t()));
  check_close(matmul(off, P), off, 1e-10);
  // p(h | x) by conditioning the joint Gaussian of (h, x) densely:
  // E[h|x] = Wᵀ C⁻¹ (x − μ), Cov[h|x] = I − Wᵀ C⁻¹ W.
  Tensor C = model_covariance(m);
  LatentPosterior post = latent_posterior(m, x.slice(0, 0, 5));
  Tensor want_mean = matmul(solve(C, (x.slice(0, 0, 5) - m.mean.reshape({1, 4})).t().contiguous()).t(), m.loadings);
  check_close(post.mean, want_mean, 1e-10, 1e-10);
  check_close(post.covariance, eye(2, DType::f64) - matmul(m.loadings.t(), solve(C, m.loadings)), 1e-10, 1e-10);
}

TEST_CASE("ch02 bad input gives errors that say what is wrong") {
  Tensor X = small_data();  // N = 8, D = 5
  check_error([&] { pca_fit(X, 6); }, {"pca_fit", "6 components", "min(N, D) = 5"});
  check_error([&] { pca_fit(X, 0); }, {"pca_fit", "k must be in [1"});
  check_error([&] { pca_fit(X.slice(0, 0, 1), 1); }, {"pca_fit", "at least 2 examples", "got 1"});
  Tensor bad = X.clone();
  bad.set({3, 2}, NAN);
  check_error([&] { pca_fit(bad, 2); }, {"pca_fit", "NaN", "row 3, column 2"});
  check_error([&] { data_moments("ppca", bad); }, {"ppca", "NaN"});
  bad.set({3, 2}, INFINITY);
  check_error([&] { pca_fit(bad, 2, {.solver = PcaSolver::randomized}); }, {"pca_fit", "Inf"});
  check_error([&] { pca_fit(from_vector_i({1, 2, 3, 4}, {2, 2}), 1); }, {"pca_fit", "int64"});
  check_error([&] { pca_fit(from_vector({1, 2, 3}, {3}), 1); }, {"pca_fit", "[3]"});
  check_error([&] { pca_fit(X.slice(1, 0, 5).t(), 5, {.solver = PcaSolver::gram_eigh}); },
              {"pca_fit", "at most N − 1 = 4"});
  check_error([&] { randomized_svd(X, 9); }, {"randomized_svd", "min(N, D) = 5"});
  Pca p = pca_fit(X, 2);
  check_error([&] { pca_project(p, X.slice(1, 0, 4)); }, {"pca_project", "4 values per example", "fitted on 5"});
  check_error([&] { pca_project(p, X, 3); }, {"pca_project", "asked for 3", "has 2"});
  check_error([&] { pca_project(Pca{}, X); }, {"pca_project", "empty"});
  Tensor rank1 = matmul(from_vector({1, 2, 3, 4}, {4, 1}, DType::f64), from_vector({1, 1, 0}, {1, 3}, DType::f64));
  check_error([&] { pca_whiten(pca_fit(rank1, 2, {.solver = PcaSolver::svd}), rank1); }, {"pca_whiten", "zero variance"});
  Moments m = data_moments("test", X);
  check_error([&] { ppca_closed_form(m, 6); }, {"ppca_closed_form", "q = 6", "min(N, D) = 5"});
  check_error([&] { ppca_closed_form(m, 5); }, {"ppca_closed_form", "q < D"});
  check_error([&] { ppca_closed_form(data_moments("test", rank1), 1); }, {"ppca_closed_form", "σ² is 0"});
  check_error([&] { fit_factor_analysis(m, 9); }, {"ppca_closed_form", "q = 9"});
  check_error([&] { data_moments("ppca", X.slice(0, 0, 1)); }, {"ppca", "at least 2 examples"});
  LinearGaussian broken = ppca_closed_form(m, 2);
  broken.noise_variance = zeros({5}, DType::f64);
  check_error([&] { mean_log_likelihood(broken, m); }, {"mean_log_likelihood", "positive"});
}
