// Chapter 03 tests: k-means (distances, k-means++, Lloyd, Hamerly), GMM by EM,
// the DP mixture and DP-means, and bad input. Golden values from
// scikit-learn 1.2.1 / SciPy (the Python lines are quoted next to them).
#include <algorithm>
#include <cmath>
#include <limits>

#include "helpers.h"
#include "models/ch02/reconstruction.h"
#include "models/ch03/cluster_metrics.h"
#include "models/ch03/dpmm.h"
#include "models/ch03/gmm.h"
#include "models/ch03/kmeans.h"
#include "nn/data.h"
#include "tensor/index.h"
#include "tensor/linalg.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;

namespace {

// Well-separated Gaussian blobs: `per` points around each centre, spread sd.
Tensor blobs(const std::vector<std::vector<double>>& centres, int64_t per, double sd, uint64_t seed,
             Tensor* labels = nullptr) {
  Generator g(seed);
  const int64_t D = (int64_t)centres[0].size();
  std::vector<double> v;
  std::vector<int64_t> lab;
  for (size_t c = 0; c < centres.size(); ++c)
    for (int64_t i = 0; i < per; ++i) {
      for (int64_t d = 0; d < D; ++d) v.push_back(centres[c][d] + sd * g.next_normal());
      lab.push_back((int64_t)c);
    }
  if (labels) *labels = from_vector_i(lab, {(int64_t)lab.size()});
  return from_vector(v, {(int64_t)lab.size(), D}, DType::f64);
}

// The 30 points of the scikit-learn goldens:
//   i = np.arange(30); c = i % 3
//   X = np.stack([c*1.5 + np.sin(i*1.7)*0.8, (c==1)*2 + np.cos(i*2.3)*0.6 + 0.3*c*np.sin(i)], 1)
Tensor golden_points() {
  std::vector<double> v;
  for (int i = 0; i < 30; ++i) {
    const int c = i % 3;
    v.push_back(c * 1.5 + std::sin(i * 1.7) * 0.8);
    v.push_back((c == 1) * 2 + std::cos(i * 2.3) * 0.6 + 0.3 * c * std::sin(i));
  }
  return from_vector(v, {30, 2}, DType::f64);
}
Tensor golden_init() { return index_select(golden_points(), 0, from_vector_i({0, 3, 6}, {3})); }

const std::vector<std::vector<double>> kFive = {{-6, -4}, {0, -4}, {6, -4}, {-3, 4}, {3, 4}};

}  // namespace

TEST_CASE("ch03: pairwise distances through one GEMM match the direct sums") {
  Tensor X = latent::test::rand64({7, 5}, 1), C = latent::test::rand64({4, 5}, 2);
  Tensor d = pairwise_sq_distances(X, C);
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      double s = 0;
      for (int64_t t = 0; t < 5; ++t) s += std::pow(X.at({i, t}) - C.at({j, t}), 2);
      CHECK(d.at({i, j}) == doctest::Approx(s).epsilon(1e-12));
    }
  // A point equal to a centre: rounding could go below 0; it is clamped.
  Tensor same = pairwise_sq_distances(X.to(DType::f32), X.to(DType::f32));
  CHECK(min(same).item() >= 0);
  check_error([&] { pairwise_sq_distances(X, latent::test::rand64({4, 3}, 3)); }, {"pairwise_sq_distances", "[4,3]"});
}

TEST_CASE("ch03: assignment step = nearest centre, ties to the lower index") {
  Tensor X = from_vector({0, 0, 2, 0, 1, 0, 5, 5}, {4, 2}, DType::f64);
  Tensor C = from_vector({0, 0, 2, 0}, {2, 2}, DType::f64);
  Tensor d;
  Tensor lab = assign_nearest(X, C, &d);
  CHECK(lab.to_vector() == std::vector<double>{0, 1, 0, 1});  // (1,0) is a tie: centre 0
  latent::test::check_values(d, {0, 0, 1, 25 + 9});
}

TEST_CASE("ch03: k-means is ||X - ZU||^2 with one-hot Z") {
  Tensor truth;
  Tensor X = blobs(kFive, 40, 0.8, 3, &truth);
  KMeansResult r = kmeans(X, {.k = 5, .n_init = 2, .seed = 1});
  Tensor Z = one_hot_code(r.labels, 5, DType::f64);
  CHECK(sum(Z, {1}).to_vector() == std::vector<double>(200, 1.0));  // one 1 per row
  CHECK(reconstruction_objective(X, Z, r.centres) == doctest::Approx(r.inertia).epsilon(1e-10));
  CHECK(adjusted_rand_index(r.labels, truth) == doctest::Approx(1.0));
  CHECK(r.converged);
  // The update step is the least-squares U for this Z: U = (ZᵀZ)⁻¹ ZᵀX, the cluster means.
  Tensor U = matmul(matmul(reciprocal(sum(Z, {0})).unsqueeze(1) * eye(5, DType::f64), Z.t()), X);
  check_close(U, r.centres, 1e-9, 1e-9);
}

TEST_CASE("ch03: Lloyd's inertia never increases; restarts only help") {
  Tensor X = latent::test::rand64({300, 4}, 7);
  KMeansResult one = kmeans(X, {.k = 8, .tol = 0, .seed = 5});
  REQUIRE(one.inertia_history.size() >= 3);
  for (size_t t = 1; t < one.inertia_history.size(); ++t)
    CHECK(one.inertia_history[t] <= one.inertia_history[t - 1] * (1 + 1e-12));
  CHECK(one.inertia <= one.inertia_history.back() * (1 + 1e-12));
  // n_init = 5 starts with the same first seed as n_init = 1, then keeps the best.
  KMeansResult five = kmeans(X, {.k = 8, .tol = 0, .n_init = 5, .seed = 5});
  CHECK(five.inertia <= one.inertia);
}

TEST_CASE("ch03: same init, same answer as scikit-learn's KMeans") {
  // KMeans(3, init=X[[0, 3, 6]], n_init=1).fit(X): inertia_ 47.988328687765, n_iter_ 5
  KMeansResult r = kmeans_single(golden_points(), golden_init(), {.k = 3});
  CHECK(r.inertia == doctest::Approx(47.988328687765).epsilon(1e-10));
  CHECK(r.n_iter == 5);
  const std::vector<double> labels = {1, 0, 0, 1, 0, 0, 1, 0, 0, 2, 0, 0, 2, 0, 0,
                                      2, 0, 0, 1, 0, 0, 1, 0, 0, 2, 0, 0, 2, 0, 0};
  CHECK(r.labels.to_vector() == labels);
  latent::test::check_values(r.centres, {2.2622057631616768, 1.0178142882302514, -0.5221946895338232,
                                         0.10972708667033915, 0.43787424761477145, -0.13094911318709568},
                             1e-12);
}

TEST_CASE("ch03: k-means++ draws D^2-weighted seeds") {
  // Two far groups: the second seed lands in the other group with probability
  // ~ 1 (its D² weight dwarfs the near group's).
  Tensor X = blobs({{0, 0}, {100, 0}}, 50, 1.0, 4);
  for (uint64_t s = 0; s < 10; ++s) {
    Generator g(s);
    Tensor C = kmeans_plusplus(X, 2, g, 1);
    CHECK(std::abs(C.at({0, 0}) - C.at({1, 0})) > 50);
  }
  Generator g1(3), g2(3);
  check_close(kmeans_plusplus(X, 4, g1), kmeans_plusplus(X, 4, g2), 0, 0);  // seeded
}

TEST_CASE("ch03: Hamerly gives Lloyd's assignments with fewer distances") {
  for (uint64_t seed : {1, 2, 3}) {
    for (int64_t k : {3, 10, 25}) {
      Tensor X = latent::test::rand64({500, 6}, seed);
      KMeansOptions o{.k = k, .max_iter = 100, .tol = 0, .seed = seed};
      KMeansResult lloyd = kmeans(X, o);
      o.algorithm = KMeansAlgorithm::hamerly;
      KMeansResult ham = kmeans(X, o);
      CHECK(ham.changed == lloyd.changed);  // iteration by iteration
      CHECK(label_agreement(ham.labels, lloyd.labels) == 1.0);
      check_close(ham.centres, lloyd.centres, 1e-12, 1e-12);
      CHECK(ham.inertia == doctest::Approx(lloyd.inertia).epsilon(1e-12));
      CHECK(ham.distance_evaluations < lloyd.distance_evaluations);
    }
  }
}

TEST_CASE("ch03: Lloyd and Hamerly agree on MNIST (float32), any thread count") {
  Mnist m = load_mnist_embedded();
  Tensor X = m.train.images.reshape({m.train.size(), 784}).contiguous();
  Generator g(0);
  Tensor init = kmeans_plusplus(X, 10, g);
  KMeansOptions o{.k = 10, .max_iter = 50, .tol = 0};
  KMeansResult lloyd = kmeans_single(X, init, o);
  o.algorithm = KMeansAlgorithm::hamerly;
  KMeansResult ham = kmeans_single(X, init, o);
  CHECK(label_agreement(ham.labels, lloyd.labels) == 1.0);
  CHECK(ham.changed == lloyd.changed);
  CHECK(ham.inertia == doctest::Approx(lloyd.inertia).epsilon(1e-6));
  CHECK(ham.distance_evaluations < lloyd.distance_evaluations / 2);
  // Per-tile sums added in tile order: the same bits on one thread as on two.
  const int threads = get_num_threads();
  set_num_threads(1);
  KMeansResult lloyd1 = kmeans_single(X, init, {.k = 10, .max_iter = 50, .tol = 0});
  set_num_threads(threads);
  CHECK(lloyd1.inertia == lloyd.inertia);
  check_close(lloyd1.centres, lloyd.centres, 0, 0);
}

TEST_CASE("ch03: empty clusters are re-seeded at the farthest point") {
  Tensor X = blobs({{0, 0}, {10, 0}}, 30, 0.5, 6);
  // Centre 2 is far from everything: no point picks it in the first assignment.
  Tensor init = from_vector({0, 0, 10, 0, 1000, 1000}, {3, 2}, DType::f64);
  for (auto alg : {KMeansAlgorithm::lloyd, KMeansAlgorithm::hamerly}) {
    KMeansResult r = kmeans_single(X, init, {.k = 3, .algorithm = alg});
    CHECK(r.empty_relocations >= 1);
    std::vector<double> counts = sum(one_hot_code(r.labels, 3, DType::f64), {0}).to_vector();
    for (double c : counts) CHECK(c > 0);
    CHECK(max(abs(r.centres)).item() < 100);
  }
  // Fewer distinct points than clusters: no crash, zero inertia.
  Tensor dup = from_vector({1, 1, 1, 1, 2, 2, 2, 2, 1, 1}, {5, 2}, DType::f64);
  KMeansResult r = kmeans(dup, {.k = 3});
  CHECK(r.inertia == doctest::Approx(0.0));
}

TEST_CASE("ch03: bad input is reported clearly") {
  Tensor X = latent::test::rand64({5, 2}, 1);
  check_error([&] { kmeans(X, {.k = 6}); }, {"kmeans", "k = 6", "only 5 points"});
  check_error([&] { fit_gmm(X, {.k = 9}); }, {"fit_gmm", "k = 9", "5 points"});
  Tensor bad = X.clone();
  bad.set({3, 1}, std::nan(""));
  check_error([&] { kmeans(bad, {.k = 2}); }, {"kmeans", "non-finite", "row 3, column 1"});
  check_error([&] { fit_gmm(bad, {.k = 2}); }, {"fit_gmm", "row 3, column 1"});
  check_error([&] { dp_means(bad, 1.0); }, {"dp_means", "row 3"});
  bad.set({3, 1}, std::numeric_limits<double>::infinity());
  check_error([&] { dp_mixture_gibbs(bad); }, {"dp_mixture_gibbs", "row 3, column 1"});
  check_error([&] { kmeans(X.reshape({10}), {.k = 2}); }, {"kmeans", "2-d", "[10]"});
  check_error([&] { kmeans(X, {.k = 2, .init = zeros({3, 2}, DType::f64)}); }, {"kmeans", "init", "[3,2]"});
  check_error([&] { kmeans(X, {.k = 2, .n_init = 3, .init = zeros({2, 2}, DType::f64)}); }, {"n_init = 1"});
}

TEST_CASE("ch03: Gaussian log density and E-step") {
  // scipy.stats.multivariate_normal([0.5,-1], [[2,.6],[.6,.5]]).logpdf([[0,0],[3,-2]])
  GaussianMixture g;
  g.type = CovarianceType::full;
  g.weights = from_vector({1.0}, {1}, DType::f64);
  g.means = from_vector({0.5, -1}, {1, 2}, DType::f64);
  g.covariances = from_vector({2, 0.6, 0.6, 0.5}, {1, 2, 2}, DType::f64);
  // Σ = L Lᵀ with L = [[√2, 0], [0.6/√2, √(0.5 − 0.18)]] (by hand).
  Tensor L = from_vector({std::sqrt(2.0), 0, 0.6 / std::sqrt(2.0), std::sqrt(0.5 - 0.18)}, {2, 2}, DType::f64);
  g.precisions_chol = inverse(L).t().contiguous().unsqueeze(0);  // P = L⁻ᵀ
  Tensor lp = gaussian_log_prob(from_vector({0, 0, 3, -2}, {2, 2}, DType::f64), g);
  latent::test::check_values(lp, {-3.7436397650951365, -7.962389765095138}, 1e-12);
  // Two components and a point 1e4 standard deviations away: densities
  // underflow to 0, the log-sum-exp E-step still gives finite logs and rows summing to 1.
  GMMResult r = fit_gmm(golden_points(), {.k = 2, .seed = 1});
  Tensor far = from_vector({1e4, -1e4}, {1, 2}, DType::f64);
  EStep e = gmm_e_step(far, r.model);
  CHECK(std::isfinite(e.avg_loglik));
  CHECK(sum(exp(e.log_resp)).item() == doctest::Approx(1.0));
  Tensor p = gmm_predict_proba(golden_points(), r.model);
  check_close(sum(p, {1}), ones({30}, DType::f64), 1e-12, 0);
}

TEST_CASE("ch03: EM's log-likelihood never decreases (full, diag, spherical)") {
  Tensor X = blobs({{0, 0, 0}, {3, 1, 0}, {0, 3, 2}}, 60, 1.2, 8);
  for (auto t : {CovarianceType::full, CovarianceType::diag, CovarianceType::spherical}) {
    for (auto init : {GMMInit::kmeans, GMMInit::random}) {
      GMMResult r = fit_gmm(X, {.k = 4, .type = t, .max_iter = 200, .tol = 1e-10, .init = init, .seed = 2});
      CAPTURE(covariance_type_name(t));
      REQUIRE(r.loglik_history.size() >= 2);
      for (size_t i = 1; i < r.loglik_history.size(); ++i)
        CHECK(r.loglik_history[i] >= r.loglik_history[i - 1] - 1e-12);
      CHECK(r.avg_loglik >= r.loglik_history.back() - 1e-12);
    }
  }
}

TEST_CASE("ch03: GMM from the same init matches scikit-learn's GaussianMixture") {
  // GaussianMixture(3, covariance_type=t, weights_init=[1/3]*3, means_init=X[[0,3,6]],
  //                 precisions_init=identity, tol=1e-6, max_iter=200).fit(X): score, n_iter_, bic
  struct Gold {
    CovarianceType t;
    double score;
    int64_t iters;
    double bic;
  };
  for (Gold gd : {Gold{CovarianceType::full, -2.644016954659, 21, 216.4613727678},
                  Gold{CovarianceType::diag, -2.650877176101, 29, 206.6693939094},
                  Gold{CovarianceType::spherical, -2.677140402704, 27, 198.0415953605}}) {
    GaussianMixture init;
    init.type = gd.t;
    init.weights = full({3}, 1.0 / 3, DType::f64);
    init.means = golden_init();
    Shape s = gd.t == CovarianceType::full ? Shape{3, 2, 2} : gd.t == CovarianceType::diag ? Shape{3, 2} : Shape{3};
    init.covariances = gd.t == CovarianceType::full ? stack({eye(2, DType::f64), eye(2, DType::f64), eye(2, DType::f64)}, 0)
                                                    : ones(s, DType::f64);
    init.precisions_chol = init.covariances.clone();
    GMMResult r = fit_gmm(golden_points(), {.k = 3, .type = gd.t, .max_iter = 200, .tol = 1e-6, .init_model = init});
    CAPTURE(covariance_type_name(gd.t));
    CHECK(r.avg_loglik == doctest::Approx(gd.score).epsilon(1e-9));
    CHECK(r.n_iter == gd.iters);
    CHECK(gmm_bic(golden_points(), r.model) == doctest::Approx(gd.bic).epsilon(1e-9));
  }
}

TEST_CASE("ch03: BIC picks the number of blobs") {
  Tensor X = blobs({{0, 0}, {6, 0}, {3, 5}}, 80, 0.9, 9);
  int64_t best_k = 0;
  double best = std::numeric_limits<double>::infinity();
  for (int64_t k = 1; k <= 6; ++k) {
    GMMResult r = fit_gmm(X, {.k = k, .n_init = 2, .seed = 1});
    const double b = gmm_bic(X, r.model);
    if (b < best) best = b, best_k = k;
  }
  CHECK(best_k == 3);
  GaussianMixture g = fit_gmm(X, {.k = 3}).model;
  CHECK(gmm_num_parameters(g) == 2 + 3 * 2 + 3 * 3);
}

TEST_CASE("ch03: singular covariances: regularised, or a clear error") {
  // Ten copies of one point plus a blob: a component collapses onto the copies.
  std::vector<double> v(20, 5.0);
  Tensor blob = latent::test::rand64({20, 2}, 10);
  Tensor X = concat({from_vector(v, {10, 2}, DType::f64), blob}, 0);
  GMMResult r = fit_gmm(X, {.k = 2, .seed = 0});  // reg_covar = 1e-6 keeps Σ invertible
  CHECK(std::isfinite(r.avg_loglik));
  check_error([&] { fit_gmm(X, {.k = 2, .reg_covar = 0, .seed = 0}); },
              {"gmm_m_step", "component", "not positive definite", "reg_covar"});
  check_error([&] { fit_gmm(X, {.k = 2, .type = CovarianceType::diag, .reg_covar = 0, .seed = 0}); },
              {"gmm_m_step", "reg_covar"});
  check_error([&] { fit_gmm(X, {.k = 2, .reg_covar = -1}); }, {"fit_gmm", "reg_covar must be >= 0"});
}

TEST_CASE("ch03: hard vs soft: tiny equal spherical variances turn EM's E-step into k-means'") {
  Tensor X = latent::test::rand64({100, 3}, 11);
  Tensor C = latent::test::rand64({4, 3}, 12);
  GaussianMixture g;
  g.type = CovarianceType::spherical;
  g.weights = full({4}, 0.25, DType::f64);
  g.means = C;
  g.covariances = full({4}, 1e-6, DType::f64);
  g.precisions_chol = full({4}, 1e3, DType::f64);
  Tensor resp = gmm_predict_proba(X, g);
  CHECK(gmm_predict(X, g).to_vector() == assign_nearest(X, C).to_vector());
  CHECK(max(resp, {1}).to_vector() == std::vector<double>(100, 1.0));  // one-hot up to rounding
}

TEST_CASE("ch03: the DP mixture finds the number of clusters") {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    Tensor truth;
    Tensor X = blobs(kFive, 100, 0.7, seed, &truth);
    DPMixtureResult r = dp_mixture_gibbs(X, {.sweeps = 60, .seed = seed});  // α = 1, from one table
    CAPTURE(seed);
    CHECK(r.num_clusters == 5);  // the most probable partition visited
    CHECK(r.sizes == std::vector<int64_t>(5, 100));
    CHECK(adjusted_rand_index(r.labels, truth) == doctest::Approx(1.0));
    CHECK(r.k_per_sweep.size() == 60);
    CHECK(r.log_joint[r.map_sweep] == *std::max_element(r.log_joint.begin(), r.log_joint.end()));
    CHECK(r.means.shape() == Shape{5, 2});
    // A smaller α opens fewer spurious tables: the chain itself sits at K = 5.
    CHECK(dp_mode_k(dp_mixture_gibbs(X, {.alpha = 0.5, .sweeps = 60, .seed = seed}), 30) == 5);
  }
}

TEST_CASE("ch03: DP-means: objective never increases; lambda sets K") {
  Tensor truth;
  Tensor X = blobs(kFive, 60, 0.7, 4, &truth);
  DPMeansResult r = dp_means(X, 20.0);
  CHECK(r.converged);
  CHECK(r.num_clusters == 5);
  CHECK(adjusted_rand_index(r.labels, truth) == doctest::Approx(1.0));
  for (size_t t = 1; t < r.objective_history.size(); ++t)
    CHECK(r.objective_history[t] <= r.objective_history[t - 1] + 1e-9);
  CHECK(dp_means(X, 1e6).num_clusters == 1);
  CHECK(dp_means(X, 0.05).num_clusters > 20);
  check_error([&] { dp_means(X, 0); }, {"dp_means", "lambda"});
}

TEST_CASE("ch03: adjusted Rand index") {
  Tensor a = from_vector_i({0, 0, 1, 1, 2, 2}, {6});
  CHECK(adjusted_rand_index(a, from_vector_i({5, 5, 3, 3, 9, 9}, {6})) == doctest::Approx(1.0));
  // sklearn.metrics.adjusted_rand_score([0,0,1,1,2,2], [0,0,1,2,2,2]) = 0.4444444444444444
  CHECK(adjusted_rand_index(a, from_vector_i({0, 0, 1, 2, 2, 2}, {6})) == doctest::Approx(0.4444444444444444));
  // label names do not matter, negative ones included (-1 is a common "noise" label)
  CHECK(adjusted_rand_index(a, from_vector_i({-1, -1, 7, 8, 8, 8}, {6})) == doctest::Approx(0.4444444444444444));
  // both trivial (one cluster each): they agree, by the convention in adjusted_rand_index
  CHECK(adjusted_rand_index(full({6}, 0.0, DType::i64), full({6}, 3.0, DType::i64)) == doctest::Approx(1.0));
  Tensor bad = from_vector({0, 0, 1, 1, std::nan(""), 2}, {6}, DType::f64);
  check_error([&] { adjusted_rand_index(a, bad); }, {"adjusted_rand_index", "integers", "nan", "index 4"});
  check_error([&] { adjusted_rand_index(a, from_vector({0, 0, 1, 1, 2, 2.5}, {6}, DType::f64)); },
              {"adjusted_rand_index", "2.5", "index 5"});
  check_error([&] { adjusted_rand_index(a, from_vector_i({0, 1}, {2})); }, {"adjusted_rand_index", "[6]", "[2]"});
  // Floating labels past 2^53 would merge neighbours (2^53 and 2^53 + 1 are one double): refused.
  // As int64 they are read exactly and stay two clusters.
  const double big = 9007199254740992.0;  // 2^53
  check_error([&] { adjusted_rand_index(from_vector({0, big}, {2}, DType::f64), from_vector({0, 1}, {2}, DType::f64)); },
              {"adjusted_rand_index", "2^53", "cluster 9007199254740992", "index 1"});
  check_error([&] { adjusted_rand_index(from_vector({0, 1}, {2}, DType::f64), from_vector({-1e19, 1}, {2}, DType::f64)); },
              {"adjusted_rand_index", "class -1e+19", "index 0"});
  const Tensor huge = from_vector_i({(int64_t)1 << 53, ((int64_t)1 << 53) + 1, ((int64_t)1 << 53) + 1}, {3});
  CHECK(adjusted_rand_index(huge, from_vector_i({0, 1, 1}, {3})) == doctest::Approx(1.0));
  CHECK(adjusted_rand_index(huge, from_vector_i({0, 0, 0}, {3})) == doctest::Approx(0.0));
  // One point: no pairs to disagree on (sklearn returns 1 as well).
  CHECK(adjusted_rand_index(from_vector_i({4}, {1}), from_vector_i({-2}, {1})) == 1.0);
  // ... but its labels are still checked: a NaN is an error there too, not an ARI of 1.
  check_error([&] { adjusted_rand_index(from_vector({NAN}, {1}, DType::f64), from_vector_i({0}, {1})); },
              {"adjusted_rand_index", "nan", "index 0"});
}

TEST_CASE("ch03: cluster purity by hand") {
  // Clusters {0,0,0 | 1,1 | 2} over classes {1,1,2 | 3,3 | 3}: majorities 2 + 2 + 1 of 6.
  const Tensor clusters = from_vector_i({0, 0, 0, 1, 1, 2}, {6}), classes = from_vector_i({1, 1, 2, 3, 3, 3}, {6});
  CHECK(cluster_purity(clusters, classes) == doctest::Approx(5.0 / 6.0));
  CHECK(cluster_purity(classes, classes) == 1.0);
  CHECK(cluster_purity(from_vector_i({0, 0, 0, 0, 0, 0}, {6}), classes) == doctest::Approx(0.5));  // one cluster: the largest class
  check_error([&] { cluster_purity(clusters, from_vector_i({1, 2}, {2})); }, {"cluster_purity", "[6]", "[2]"});
  // The labelling behind it: cluster 1 has no point, a tie keeps the smallest class.
  const Tensor c5 = from_vector_i({0, 0, 0, 2, 2}, {5}), y5 = from_vector_i({3, 3, 1, 4, 2}, {5});
  CHECK(majority_class(c5, y5, 3) == std::vector<int64_t>{3, -1, 2});
  CHECK(majority_class(c5, y5, 4) == std::vector<int64_t>{3, -1, 2, -1});
  // Ids with a gap and a tie: purity counts each cluster's largest class once.
  CHECK(cluster_purity(from_vector_i({0, 0, 3, 3}, {4}), from_vector_i({1, 2, 1, 1}, {4})) == doctest::Approx(0.75));
  CHECK(cluster_purity(from_vector_i({0, 1000000000000}, {2}), from_vector_i({1, 2}, {2})) == 1.0);  // no array of ids
  check_error([&] { majority_class(c5, y5, 2); }, {"majority_class", "cluster 2", "k = 2"});
  check_error([&] { majority_class(from_vector_i({0, -1}, {2}), from_vector_i({0, 1}, {2}), 2); },
              {"majority_class", "cluster -1", "index 1"});
  check_error([&] { cluster_purity(from_vector_i({0, 1}, {2}), from_vector_i({0, -3}, {2})); },
              {"cluster_purity", "class -3", "index 1"});
  check_error([&] { cluster_purity(from_vector({0, NAN}, {2}), from_vector({0, 1}, {2})); },
              {"cluster_purity", "nan", "index 1"});
  check_error([&] { cluster_purity(from_vector_i({0, 0, 1, 1}, {2, 2}), from_vector_i({0, 0, 1, 1}, {4})); },
              {"cluster_purity", "[2,2]", "[4]"});
}
