// Chapter 03 — clustering: k-means as the reconstruction objective with a
// one-hot code, Hamerly's exact speed-up, Gaussian mixtures by EM (hard vs
// soft), BIC, and discovering K with a Dirichlet-process mixture and DP-means.
// Read along: docs/03-clustering.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "models/ch02/pca.h"
#include "models/ch02/reconstruction.h"
#include "models/ch03/cluster_metrics.h"
#include "models/ch03/dpmm.h"
#include "models/ch03/gmm.h"
#include "models/ch03/kmeans.h"
#include "models/ch03/scatter_image.h"
#include "nn/data.h"
#include "nn/image.h"
#include "nn/npy.h"
#include "nn/plot.h"
#include "tensor/index.h"
#include "tensor/linalg.h"
#include "tutorials/runner.h"

namespace latent::tutorial {

namespace {

using namespace latent::models;



std::vector<double> iota_d(size_t n, double from = 1) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = from + (double)i;
  return x;
}

// Points from Gaussians N(μ_c, Σ_c), Σ_c = L_c L_cᵀ: x = μ + L ε.
struct Blobs {
  Tensor X, labels;
};
Blobs gaussian_blobs(const std::vector<std::vector<double>>& mu, const std::vector<std::vector<double>>& cov,
                     const std::vector<int64_t>& count, uint64_t seed) {
  Generator g(seed);
  std::vector<double> v;
  std::vector<int64_t> lab;
  for (size_t c = 0; c < mu.size(); ++c) {
    std::vector<double> L = cholesky(from_vector(cov[c], {2, 2}, DType::f64)).to_vector();
    for (int64_t i = 0; i < count[c]; ++i) {
      const double e0 = g.next_normal(), e1 = g.next_normal();
      v.push_back(mu[c][0] + L[0] * e0);
      v.push_back(mu[c][1] + L[2] * e0 + L[3] * e1);
      lab.push_back((int64_t)c);
    }
  }
  return {from_vector(v, {(int64_t)lab.size(), 2}, DType::f64), from_vector_i(lab, {(int64_t)lab.size()})};
}

void plot_both(Tutorial& T, const std::string& name, const std::string& title, const std::string& xl,
               const std::string& yl, const std::vector<Series>& s, const std::string& what) {
  write_svg_plot(T.path(name + ".svg"), title, xl, yl, s);
  write_png_plot(T.path(name + ".png"), title, xl, yl, s);
  T.wrote(T.path(name + ".svg"), what + " (and .png)");
}

// Step 1-3: k-means on MNIST pixels.
void kmeans_on_mnist(Tutorial& T, const Tensor& X, const std::string& setting) {
  const int64_t N = X.size(0);
  T.step("One objective, two constraints",
         "Chapters 02 and 03 minimise ||X - ZU||^2_F. PCA leaves Z free; k-means makes every row of Z\n"
         "one-hot, so each image is copied from one of K prototypes (the centres, rows of U). Lloyd's\n"
         "algorithm alternates the best Z for fixed U (nearest centre) and the best U for fixed Z (means).");
  Generator gen(T.options().seed);
  Tensor init = kmeans_plusplus(X, 10, gen);  // D² sampling, greedy (2 + ln k trials), as scikit-learn
  save_npy(T.path("kmeans_init.npy"), init);
  T.wrote(T.path("kmeans_init.npy"), "the k-means++ centres, to give scikit-learn the same start");
  auto t0 = std::chrono::steady_clock::now();
  KMeansResult lloyd = kmeans_single(X, init, {.k = 10});
  const double t_lloyd = seconds_since(t0);
  Tensor Z = one_hot_code(lloyd.labels, 10, DType::f64);
  const double objective = reconstruction_objective(X, Z, lloyd.centres);
  Pca pca = pca_fit(X, 10);
  const double pca_err = pca_reconstruction_error(pca, X, 10);
  T.say("k-means (k = 10): inertia " + fmt("%.1f", lloyd.inertia) + " = ||X - ZU||^2 with one-hot Z: " +
        fmt("%.1f", objective) + "  (" + std::to_string(lloyd.n_iter) + " Lloyd iterations)");
  T.say("per image: k-means " + fmt("%.2f", lloyd.inertia / N) + ", PCA with 10 free codes (+ mean) " +
        fmt("%.2f", pca_err) + ": the one-hot constraint costs reconstruction quality.");
  plot_both(T, "kmeans_inertia", "Lloyd on MNIST: J(Z_t, U_t-1)", "iteration", "inertia",
            {{"lloyd", iota_d(lloyd.inertia_history.size()), lloyd.inertia_history}}, "inertia never increases");
  write_image_grid(T.path("kmeans_centres.png"), lloyd.centres.reshape({10, 1, 28, 28}), 10);
  T.wrote(T.path("kmeans_centres.png"), "the 10 centres as images: mean digits");
  // Measured here with scikit-learn 1.2.1: KMeans(10, init=kmeans_init.npy, n_init=1).fit(X) on the
  // same float32 images (docs/03-clustering.md has the script); its inertia_ is summed in float32, so
  // the anchor is its solution's inertia recounted in float64, as ours is.
  T.figure({"k-means inertia, MNIST k=10", lloyd.inertia, "",
            T.quick() ? "sklearn same init: 76625.6" : "sklearn same init: 2353216.4", setting});

  T.step("Hamerly: Lloyd's answer, fewer distances",
         "Each point keeps an upper bound on the distance to its centre and a lower bound on the\n"
         "distance to every other; by the triangle inequality, if upper <= max(lower, half the gap to\n"
         "the nearest other centre) it cannot move, and its distances are not computed at all.");
  t0 = std::chrono::steady_clock::now();
  KMeansResult ham = kmeans_single(X, init, {.k = 10, .algorithm = KMeansAlgorithm::hamerly});
  const double t_ham = seconds_since(t0);
  const double agree = 100 * label_agreement(ham.labels, lloyd.labels);
  const double frac = 100.0 * (double)ham.distance_evaluations / (double)lloyd.distance_evaluations;
  T.say("labels agree on " + fmt("%.2f", agree) + " % of the images; inertia " + fmt("%.1f", ham.inertia) +
        "; Hamerly computed " + fmt("%.1f", frac) + " % of Lloyd's distances; " + fmt("%.2f", t_lloyd) + " s vs " +
        fmt("%.2f", t_ham) + " s");
  T.figure({"Hamerly = Lloyd assignments", agree, "%", "100 (exact algorithm)", setting});
  T.figure({"Hamerly distance evaluations", frac, "% of Lloyd", "< 100 (Hamerly 2010)", setting});

  T.step("Restarts", "k-means finds a local minimum; k-means++ restarts pick the lowest inertia.");
  KMeansResult best = kmeans(X, {.k = 10, .n_init = 4, .algorithm = KMeansAlgorithm::hamerly, .seed = 1});
  T.say("4 restarts: best inertia " + fmt("%.1f", best.inertia) + " (restart " + std::to_string(best.best_init) +
        ") vs " + fmt("%.1f", lloyd.inertia) + " for the single run above");
}

// Step 4-5: GMM on 2-d data, hard vs soft, covariance types, BIC.
void gmm_in_2d(Tutorial& T) {
  T.step("Gaussian mixtures in 2-d: soft assignments and ellipses",
         "Three elongated, overlapping clusters. k-means draws straight boundaries halfway between\n"
         "centres (spherical clusters); a full-covariance GMM learns each cluster's shape and gives\n"
         "points near a boundary split responsibilities r_nk.");
  Blobs b = gaussian_blobs({{0, 0}, {5, 3}, {6, -2}}, {{4, 1.8, 1.8, 1.2}, {0.4, 0, 0, 2.5}, {1.0, -0.6, -0.6, 1.0}},
                           {250, 150, 150}, 7 + T.options().seed);
  KMeansResult km = kmeans(b.X, {.k = 3, .n_init = 4, .seed = 1});
  GMMResult gm = fit_gmm(b.X, {.k = 3, .n_init = 3, .seed = 1});
  Tensor resp = gmm_predict_proba(b.X, gm.model);
  ScatterImage hard(b.X);
  hard.points(b.X, colours_of(km.labels));
  for (int64_t k = 0; k < 3; ++k) hard.marker(km.centres.at({k, 0}), km.centres.at({k, 1}), palette(k));
  hard.save(T.path("kmeans_2d.png"));
  T.wrote(T.path("kmeans_2d.png"), "k-means: hard labels, centres");
  ScatterImage soft(b.X);
  soft.points(b.X, blend(resp));
  for (int64_t k = 0; k < 3; ++k)
    for (double s : {1.0, 2.0})
      soft.ellipse(gm.model.means.select(0, k), gmm_covariance_matrix(gm.model, k), s, palette(k));
  soft.save(T.path("gmm_2d.png"));
  T.wrote(T.path("gmm_2d.png"), "GMM: colours blended by responsibility, 1 and 2 sigma ellipses");
  const double ari_km = adjusted_rand_index(km.labels, b.labels), ari_gm = adjusted_rand_index(gmm_predict(b.X, gm.model), b.labels);
  // The best a clustering can do when clusters overlap: the Bayes labels of a
  // GMM fitted to the true labels (an oracle), judged the same way.
  GaussianMixture oracle = gmm_m_step(b.X, one_hot(b.labels, 3, DType::f64), CovarianceType::full, 1e-6);
  const double ari_oracle = adjusted_rand_index(gmm_predict(b.X, oracle), b.labels);
  double unsure = 0;
  for (double m : max(resp, {1}).to_vector()) unsure += m < 0.9;
  T.say("agreement with the true clusters (adjusted Rand index): k-means " + fmt("%.3f", ari_km) + ", GMM " +
        fmt("%.3f", ari_gm) + ", oracle " + fmt("%.3f", ari_oracle) + " (the clusters overlap: no method reaches 1); " +
        fmt("%.0f", unsure) + " of 550 points have no component above r = 0.9");
  T.figure({"2-d elongated clusters: ARI k-means", ari_km, "", "below the GMM's", "550 points, 3 clusters"});
  T.figure({"2-d elongated clusters: ARI GMM full", ari_gm, "", "oracle's " + fmt("%.3f", ari_oracle), "550 points, 3 clusters"});

  T.step("Covariance types and BIC", "BIC = -2 log L + p log N trades fit against the number of parameters p.");
  for (auto t : {CovarianceType::full, CovarianceType::diag, CovarianceType::spherical}) {
    GMMResult r = fit_gmm(b.X, {.k = 3, .type = t, .n_init = 3, .seed = 1});
    T.say(std::string("  ") + covariance_type_name(t) + ": avg log-likelihood " + fmt("%.4f", r.avg_loglik) +
          ", parameters " + std::to_string(gmm_num_parameters(r.model)) + ", BIC " + fmt("%.1f", gmm_bic(b.X, r.model)));
  }
  std::vector<double> ks, bics;
  for (int64_t k = 1; k <= 7; ++k) {
    GMMResult r = fit_gmm(b.X, {.k = k, .n_init = 3, .seed = 1});
    ks.push_back((double)k);
    bics.push_back(gmm_bic(b.X, r.model));
  }
  const int64_t chosen = std::min_element(bics.begin(), bics.end()) - bics.begin() + 1;
  plot_both(T, "gmm_bic", "BIC of a full GMM vs K", "K", "BIC", {{"BIC", ks, bics}}, "lowest at the chosen K");
  T.figure({"K chosen by BIC (2-d)", (double)chosen, "", "3 (the true number)", "full covariance, K = 1..7"});
}

// Step 6: GMM on MNIST PCA features.
void gmm_on_mnist(Tutorial& T, const Tensor& X, const Tensor& digits, const std::string& setting) {
  T.step("A GMM on MNIST's 50 principal components",
         "Full covariances in 784 pixels would need 10 x 307,000 parameters; 50 PCA codes (chapter 02)\n"
         "keep most of the variance. Hard (k-means) and soft (GMM) clusterings of the same codes.");
  Pca pca = pca_fit(X, 50);
  Tensor Zf = pca_project(pca, X);
  GMMOptions opt{.k = 10, .seed = T.options().seed};
  GaussianMixture init = gmm_initial_model(Zf, opt, opt.seed);
  save_npz(T.path("gmm_pca50.npz"), {{"features", Zf}, {"weights", init.weights}, {"means", init.means},
                                     {"covariances", init.covariances}});
  T.wrote(T.path("gmm_pca50.npz"), "features and the initial mixture, for scikit-learn");
  opt.init_model = init;
  auto t0 = std::chrono::steady_clock::now();
  GMMResult r = fit_gmm(Zf, opt);
  T.say("EM: " + std::to_string(r.n_iter) + " iterations, " + fmt("%.1f", seconds_since(t0)) + " s, average log-likelihood " +
        fmt("%.3f", r.avg_loglik) + " nats per image (50-d density)");
  std::vector<double> ll = r.loglik_history;
  plot_both(T, "gmm_mnist_loglik", "EM on MNIST PCA-50", "iteration", "avg log-likelihood",
            {{"GMM-10 full", iota_d(ll.size()), ll}}, "never decreases");
  write_image_grid(T.path("gmm_means.png"), clamp(pca_reconstruct(pca, r.model.means), 0, 1).reshape({10, 1, 28, 28}), 10);
  T.wrote(T.path("gmm_means.png"), "the 10 component means mapped back to pixels");
  KMeansResult km = kmeans(Zf, {.k = 10, .seed = T.options().seed});
  Tensor hard = gmm_predict(Zf, r.model);
  T.say("ARI with the digit labels: k-means " + fmt("%.3f", adjusted_rand_index(km.labels, digits)) + ", GMM " +
        fmt("%.3f", adjusted_rand_index(hard, digits)) + "; k-means vs GMM " + fmt("%.3f", adjusted_rand_index(km.labels, hard)));
  // Measured here with scikit-learn 1.2.1: GaussianMixture(10, covariance_type='full', weights_init,
  // means_init, precisions_init=inv(covariances)) on gmm_pca50.npz (same iterations: 8 quick, 56 full).
  T.figure({"GMM-10 full avg log-lik, MNIST PCA-50", r.avg_loglik, "nats",
            T.quick() ? "sklearn same init: -31.478" : "sklearn same init: -31.638", setting});
}

// Step 7-8: discovering K.
void discover_k(Tutorial& T) {
  T.step("Discovering K: a Chinese-restaurant-process mixture",
         "Six clusters of different sizes. Collapsed Gibbs sampling of a Dirichlet-process mixture:\n"
         "each point re-sits at a table with probability ~ n_k p(x | table), or at a new one ~ alpha p(x | prior),\n"
         "plus split-merge moves. K is not given: it is sampled.");
  std::vector<std::vector<double>> mu, cov;
  for (int c = 0; c < 6; ++c) {
    mu.push_back({6 * std::cos(c * 1.047), 6 * std::sin(c * 1.047)});
    const double s = 0.35 + 0.1 * c;
    cov.push_back({s, 0, 0, s * (c % 2 ? 1.6 : 0.7)});
  }
  Blobs b = gaussian_blobs(mu, cov, {160, 120, 100, 80, 60, 40}, 11 + T.options().seed);
  const int64_t sweeps = T.quick() ? 60 : 200;
  DPMixtureResult dp = dp_mixture_gibbs(b.X, {.sweeps = sweeps, .seed = T.options().seed});
  DPMixtureResult dp_small = dp_mixture_gibbs(b.X, {.alpha = 0.1, .sweeps = sweeps, .seed = T.options().seed});
  std::vector<double> ks(dp.k_per_sweep.begin(), dp.k_per_sweep.end());
  std::vector<double> ks_small(dp_small.k_per_sweep.begin(), dp_small.k_per_sweep.end());
  plot_both(T, "dp_k_per_sweep", "CRP mixture: number of tables", "sweep", "K",
            {{"alpha 1", iota_d(ks.size()), ks}, {"alpha 0.1", iota_d(ks_small.size()), ks_small}},
            "K over Gibbs sweeps, starting from one table");
  ScatterImage img(b.X);
  img.points(b.X, colours_of(dp.labels));
  for (int64_t k = 0; k < dp.num_clusters; ++k) img.marker(dp.means.at({k, 0}), dp.means.at({k, 1}), palette(k));
  img.save(T.path("dp_clusters.png"));
  T.wrote(T.path("dp_clusters.png"), "the most probable partition visited");
  std::string sizes;
  for (int64_t s : dp.sizes) sizes += " " + std::to_string(s);
  T.say("alpha 1: most probable partition (sweep " + std::to_string(dp.map_sweep + 1) + "): K = " +
        std::to_string(dp.num_clusters) + ", sizes" + sizes + ", ARI with the truth " +
        fmt("%.3f", adjusted_rand_index(dp.labels, b.labels)) + ". The chain itself keeps opening small\n"
        "tables of a few points and closing them again (its mode over the last half: K = " +
        std::to_string(dp_mode_k(dp, sweeps / 2)) + "): a DP mixture's posterior on K over-counts (Miller &\n"
        "Harrison 2013). alpha 0.1 opens them less often: mode K = " + std::to_string(dp_mode_k(dp_small, sweeps / 2)) +
        ", most probable partition K = " + std::to_string(dp_small.num_clusters) + ".");
  const std::string dp_setting = std::to_string(sweeps) + " sweeps, 560 points";
  T.figure({"DP mixture: K found (MAP, alpha 1)", (double)dp.num_clusters, "", "6 (the true number)", dp_setting});
  T.figure({"DP mixture: chain's mode K (alpha 0.1)", (double)dp_mode_k(dp_small, sweeps / 2), "", "6 (the true number)",
            dp_setting + ", last half"});

  T.step("DP-means", "The small-variance limit: nearest centre unless all are farther than lambda, then a new\n"
                     "cluster; it minimises sum ||x - mu||^2 + lambda K. lambda plays the part of alpha. Like k-means\n"
                     "it is greedy and stops in a local optimum: watch K (and the cluster sizes) move with lambda.");
  for (double lambda : {0.5, 2.0, 8.0, 16.0, 32.0, 128.0}) {
    DPMeansResult r = dp_means(b.X, lambda);
    std::string sizes;
    for (double n : sum(one_hot(r.labels, r.num_clusters), {0}).to_vector()) sizes += " " + fmt("%.0f", n);
    T.say("  lambda " + fmt("%6.1f", lambda) + ": K = " + std::to_string(r.num_clusters) + ", objective " +
          fmt("%.1f", r.objective) + ", ARI " + fmt("%.3f", adjusted_rand_index(r.labels, b.labels)) +
          (r.num_clusters <= 8 ? ", sizes" + sizes : ""));
    if (lambda == 16.0) T.figure({"DP-means K at lambda 16", (double)r.num_clusters, "", "6 (true); a local optimum", "560 points"});
  }
}

// Step 9: bad input.
void bad_input(Tutorial& T) {
  T.step("Bad input is reported, not silently absorbed");
  auto show = [&](const std::string& what, auto f) {
    try {
      f();
      T.say("  " + what + ": handled");
    } catch (const Error& e) {
      T.say("  " + what + ": " + e.what());
    }
  };
  Tensor X = from_vector({0, 0, 1, 1, 5, 5, 5, 5}, {4, 2}, DType::f64);
  show("k = 6 for 4 points", [&] { kmeans(X, {.k = 6}); });
  Tensor nan_x = X.clone();
  nan_x.set({2, 1}, std::nan(""));
  show("NaN in the data", [&] { fit_gmm(nan_x, {.k = 2}); });
  show("two identical points, reg_covar = 0", [&] { fit_gmm(X, {.k = 2, .reg_covar = 0}); });
  show("the same with reg_covar = 1e-6 (default)", [&] { fit_gmm(X, {.k = 2}); });
  KMeansResult r = kmeans_single(X, from_vector({0, 0, 5, 5, 100, 100}, {3, 2}, DType::f64), {.k = 3});
  T.say("  a centre no point chooses: re-seeded at the farthest point (" + std::to_string(r.empty_relocations) +
        " relocation), inertia " + fmt("%.2f", r.inertia));
}

}  // namespace

void run_chapter03(Tutorial& T) {
  const bool quick = T.quick();
  T.step("The data", "MNIST images as rows of 784 pixels in [0, 1]; synthetic 2-d sets for the pictures.");
  Mnist data = quick ? load_mnist_embedded() : load_mnist("", /*allow_embedded=*/false);
  T.say(data.source);
  Tensor X = data.train.images.reshape({data.train.size(), 784}).contiguous();
  kmeans_on_mnist(T, X, quick ? "quick: 2000 train images, seed 0" : "full: 60000 train images, seed 0");
  gmm_in_2d(T);
  const int64_t n_gmm = quick ? data.train.size() : 20000;
  gmm_on_mnist(T, X.slice(0, 0, n_gmm).contiguous(), data.train.labels.slice(0, 0, n_gmm),
               quick ? "quick: 2000 images, PCA-50" : "full: 20000 images, PCA-50");
  discover_k(T);
  bad_input(T);
}

}  // namespace latent::tutorial
