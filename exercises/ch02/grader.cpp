// Chapter 02 grader. Reference numbers marked "numpy" were computed with
// NumPy 1.24 (np.linalg.svd / eigh / solve), independently of latent.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "exercises/ch02/exercises.h"
#include "tensor/random.h"

using namespace latent;
namespace ex = latent::exercises::ch02;

namespace {

// 8 examples, 5 features.
Tensor data() {
  return from_vector({2.5, 2.4, 0.5, 1.0, -1.0, 0.5, 0.7, 1.5, -0.3, 0.2, 2.2, 2.9, 0.1, 0.8, -0.6,
                      1.9, 2.2, 0.9, 0.4, 0.0,  3.1, 3.0, -0.4, 1.2, -1.1, 2.3, 2.7, 0.3, 0.5, -0.2,
                      2.0, 1.6, 1.1, 0.1, 0.4,  1.0, 1.1, 1.3, -0.5, 0.9},
                     {8, 5}, DType::f64);
}
// numpy: rows of Vt from np.linalg.svd(X - X.mean(0)), each flipped so its largest |entry| is positive.
Tensor reference_components() {
  return from_vector({0.5080569248885146, 0.5287657231253315, -0.40003432511628245, 0.3784511882820009,
                      -0.3987884250292035, 0.3596144053786432, 0.3853781871920806, -0.09171737686436811,
                      -0.27721393071826705, 0.7980610826732237},
                     {2, 5}, DType::f64);
}
Tensor reference_mean() { return from_vector({1.9375, 2.075, 0.6625, 0.4, -0.175}, {5}, DType::f64); }

void check_close(const Tensor& a, const Tensor& b, double tol, const char* what) {
  REQUIRE_MESSAGE(a.shape() == b.shape(), what << ": shape " << shape_str(a.shape()) << ", expected " << shape_str(b.shape()));
  std::vector<double> x = a.to_vector(), y = b.to_vector();
  for (size_t i = 0; i < x.size(); ++i)
    if (!(std::abs(x[i] - y[i]) <= tol * (1 + std::abs(y[i])))) {
      FAIL_CHECK(what << ": element " << i << " is " << x[i] << ", expected " << y[i]);
      return;
    }
}

Tensor covariance_ml(const Tensor& X) {  // S with 1/N
  Tensor Xc = X - mean(X, {0}, true);
  return matmul(Xc.t(), Xc) / (double)X.size(0);
}

// PPCA's mean log-likelihood per example, densely: -½ (D ln 2π + ln|C| + tr(C⁻¹ S)).
double ppca_log_likelihood(const Tensor& S, const ex::PpcaParams& p) {
  const int64_t d = S.size(0);
  Tensor C = matmul(p.W, p.W.t()) + eye(d, DType::f64) * p.sigma2;
  Tensor CinvS = cholesky_solve(cholesky(C), S);
  double trace = sum(CinvS.reshape({-1}).slice(0, 0, d * d, d + 1)).item();
  return -0.5 * ((double)d * std::log(2 * std::numbers::pi) + logdet_spd(C).item() + trace);
}

}  // namespace

TEST_CASE("ch02 exercise: pca_by_covariance" * doctest::test_suite("exercise ch02")) {
  ex::PcaByHand p = ex::pca_by_covariance(data(), 2);
  check_close(p.mean, reference_mean(), 1e-12, "mean");
  // numpy: s**2 / (N - 1) for the singular values s of the centred data
  check_close(p.explained_variance, from_vector({2.448262629418267, 0.14541290961300657}, {2}, DType::f64), 1e-9,
              "explained_variance (largest first, divided by N - 1)");
  REQUIRE(p.components.shape() == Shape{2, 5});
  Tensor V = reference_components();
  for (int64_t i = 0; i < 2; ++i) {  // each row equals the reference up to sign
    double dot = sum(p.components.select(0, i) * V.select(0, i)).item();
    CHECK_MESSAGE(std::abs(std::abs(dot) - 1) < 1e-8, "component " << i << " is not the expected axis (|dot| = " << std::abs(dot) << ")");
  }
  // all 5: the variances add up to the total variance (the trace of C)
  ex::PcaByHand all = ex::pca_by_covariance(data(), 5);
  CHECK(sum(all.explained_variance).item() == doctest::Approx(2.6896428571428572).epsilon(1e-9));
  check_close(matmul(all.components, all.components.t()), eye(5, DType::f64), 1e-9, "components are orthonormal rows");
}

TEST_CASE("ch02 exercise: pca_project and pca_reconstruct" * doctest::test_suite("exercise ch02")) {
  Tensor X = data(), V = reference_components(), mu = reference_mean();
  Tensor Z = ex::pca_project(X, mu, V);
  REQUIRE(Z.shape() == Shape{8, 2});
  check_close(Z.select(0, 0), from_vector({1.0787076217152116, -0.4822936640329969}, {2}, DType::f64), 1e-9,
              "codes of the first example");
  Tensor Xhat = ex::pca_reconstruct(Z, mu, V);
  REQUIRE(Xhat.shape() == Shape{8, 5});
  // numpy: mean over examples of the summed squared error, 2 components
  CHECK(sum(square(X - Xhat)).item() / 8 == doctest::Approx(0.08397140334763231).epsilon(1e-9));
  // with every direction kept, the reconstruction is exact
  Tensor full = svd(X - mu.reshape({1, 5})).Vt;
  check_close(ex::pca_reconstruct(ex::pca_project(X, mu, full), mu, full), X, 1e-10, "reconstruction with all components");
}

TEST_CASE("ch02 exercise: ppca_em_step" * doctest::test_suite("exercise ch02")) {
  Tensor S = covariance_ml(data());
  ex::PpcaParams start{from_vector({1.0, 0.0, 0.5, 0.5, 0.0, 1.0, -0.5, 0.2, 0.3, -0.4}, {5, 2}, DType::f64), 0.5};
  ex::PpcaParams next = ex::ppca_em_step(S, start);
  // numpy: the same two equations with np.linalg.solve / inv
  check_close(next.W,
              from_vector({0.7212836456773595, 0.14416809987685758, 0.7117563791932493, 0.15769254963189286,
                           -0.5082514980708537, -0.07174299703515363, 0.43902335326389164, 0.15788464879370487,
                           -0.3799357637606683, -0.18888794204378287},
                          {5, 2}, DType::f64),
              1e-9, "W after one step");
  CHECK(next.sigma2 == doctest::Approx(0.34212343959611335).epsilon(1e-9));

  SUBCASE("EM never lowers the likelihood") {
    Generator g(3);
    ex::PpcaParams p{normal({5, 2}, 0, 1, DType::f64, &g), 1.0};
    double ll = ppca_log_likelihood(S, p);
    for (int it = 0; it < 30; ++it) {
      p = ex::ppca_em_step(S, p);
      double now = ppca_log_likelihood(S, p);
      CHECK_MESSAGE(now >= ll - 1e-10, "iteration " << it << ": log-likelihood fell from " << ll << " to " << now);
      ll = now;
    }
  }
  SUBCASE("the closed-form maximum is a fixed point") {
    Eigh e = eigh(S);  // ascending
    std::vector<double> lam = e.values.to_vector();
    const double s2 = (lam[0] + lam[1] + lam[2]) / 3;  // mean of the 3 discarded eigenvalues
    Tensor W = zeros({5, 2}, DType::f64);
    for (int64_t i = 0; i < 2; ++i) W.select(1, i).copy_(e.vectors.select(1, 4 - i) * std::sqrt(lam[4 - i] - s2));
    ex::PpcaParams opt = ex::ppca_em_step(S, {W, s2});
    CHECK(opt.sigma2 == doctest::Approx(s2).epsilon(1e-10));
    check_close(matmul(opt.W, opt.W.t()), matmul(W, W.t()), 1e-9, "W Wᵀ at the optimum");
  }
}
