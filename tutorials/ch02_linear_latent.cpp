// Chapter 02 — linear latent models: PCA (by SVD, by eigh of the covariance,
// randomized), probabilistic PCA (closed form and EM) and factor analysis.
// Read along: docs/02-linear-latent-models.md.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "models/ch02/factor_analysis.h"
#include "models/ch02/pca.h"
#include "models/ch02/ppca.h"
#include "models/ch02/reconstruction.h"
#include "nn/data.h"
#include "nn/image.h"
#include "nn/plot.h"
#include "tensor/index.h"
#include "tutorials/runner.h"

namespace latent::tutorial {

namespace {

using namespace latent::models;



// matplotlib's tab10, one colour per digit.
constexpr float kPalette[10][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                   {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

// A scatter plot of 2-d codes coloured by label, drawn into an RGB image
// tensor [3, H, W]. The legend needs no font: on the right, each digit's mean
// image is drawn in its colour, 0 at the top.
Tensor scatter_image(const Tensor& codes, const Tensor& labels, const Tensor& class_means) {
  const int64_t plot = 560, margin = 20, legend = 40, H = plot + 2 * margin, W = plot + 2 * margin + legend;
  Tensor img = ones({3, H, W});
  float* px = img.data<float>();
  auto paint = [&](int64_t y, int64_t x, const float* rgb, float alpha) {
    if (y < 0 || y >= H || x < 0 || x >= W) return;
    for (int c = 0; c < 3; ++c) {
      float& v = px[(c * H + y) * W + x];
      v = (1 - alpha) * v + alpha * rgb[c] / 255.0f;
    }
  };
  std::vector<double> z = codes.to_vector(), y = labels.to_vector();
  const int64_t n = codes.size(0);
  double lo[2] = {1e300, 1e300}, hi[2] = {-1e300, -1e300};
  for (int64_t i = 0; i < n; ++i)
    for (int a = 0; a < 2; ++a) lo[a] = std::min(lo[a], z[2 * i + a]), hi[a] = std::max(hi[a], z[2 * i + a]);
  for (int64_t i = 0; i < n; ++i) {
    // first component along x, second along y (up)
    int64_t cx = margin + (int64_t)((z[2 * i] - lo[0]) / (hi[0] - lo[0] + 1e-12) * (plot - 1));
    int64_t cy = margin + plot - 1 - (int64_t)((z[2 * i + 1] - lo[1]) / (hi[1] - lo[1] + 1e-12) * (plot - 1));
    for (int64_t dy = -1; dy <= 1; ++dy)
      for (int64_t dx = -1; dx <= 1; ++dx) paint(cy + dy, cx + dx, kPalette[(int)y[i]], 0.6f);
  }
  std::vector<double> means = class_means.to_vector();  // [10, 784]
  for (int k = 0; k < 10; ++k)
    for (int64_t r = 0; r < 28; ++r)
      for (int64_t c = 0; c < 28; ++c)
        paint(margin + k * 56 + r, margin + plot + 8 + c, kPalette[k], (float)std::min(1.0, 1.5 * means[k * 784 + r * 28 + c]));
  return img;
}

// The mean image of each digit class, [10, 784]: one-hotᵀ X / counts (one GEMM).
Tensor class_means(const Tensor& X, const Tensor& labels) {
  Tensor onehot = one_hot(labels, 10, X.dtype());
  Tensor counts = sum(onehot, {0}).reshape({10, 1});
  return matmul(onehot.t(), X) / maximum(counts, ones_like(counts));
}

void plot_both(Tutorial& T, const std::string& name, const std::string& title, const std::string& xl,
               const std::string& yl, const std::vector<Series>& s, const std::string& what) {
  write_svg_plot(T.path(name + ".svg"), title, xl, yl, s);
  write_png_plot(T.path(name + ".png"), title, xl, yl, s);
  T.wrote(T.path(name + ".svg"), what + " (and .png)");
}

std::vector<double> iota_from_zero(size_t n) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = (double)i;
  return v;
}

}  // namespace

void run_chapter02(Tutorial& T) {
  const bool quick = T.quick();
  T.step("The data matrix", "Each 28x28 digit becomes one row of X [N, 784], pixels in [0, 1]. The quick setting\n"
                            "uses the embedded subset; the full setting the 60,000 / 10,000 MNIST split.");
  Mnist data = quick ? load_mnist_embedded() : load_mnist("", /*allow_embedded=*/false);
  T.say(data.source);
  Tensor X = data_matrix("ch02", data.train.images), Xtest = data_matrix("ch02", data.test.images);
  const std::string setting = quick ? "quick: embedded 2,000 train / 500 test" : "full: 60,000 train / 10,000 test";
  T.say("X " + shape_str(X.shape()) + ", test " + shape_str(Xtest.shape()));

  T.step("One objective, two chapters",
         "min over Z, U of ||X - Z U||^2_F: approximate each image by a combination of k prototypes.\n"
         "Unconstrained codes give the best rank-k approximation (PCA, this chapter); one-hot codes,\n"
         "one prototype per image, give k-means (chapter 03). With k = 10, per image:");
  {
    Tensor onehot = one_hot(data.train.labels, 10, DType::f64);
    Tensor means = class_means(X, data.train.labels);
    SVD best = randomized_svd(X, 10, {.power_iterations = 10});
    Tensor Z = best.U.to(DType::f64) * best.S.to(DType::f64).reshape({1, 10});
    const double n = (double)X.size(0);
    T.say("  one-hot codes, U = the 10 class means:      " + fmt("%.2f", reconstruction_objective(X, onehot, means) / n));
    T.say("  free codes, U = top 10 right singular vectors: " + fmt("%.2f", reconstruction_objective(X, Z, best.Vt.to(DType::f64)) / n));
    T.say("The unconstrained minimum can only be lower: every one-hot Z is also a real Z.");
  }

  T.step("PCA two ways", "Centre X, then either take the SVD of Xc (LAPACK dgesdd), or form the 784 x 784\n"
                         "covariance with one GEMM and take its eigendecomposition. Same axes, different cost.");
  // The full setting compares the two on 10,000 images: an SVD of all 60,000 x 784 takes minutes.
  const int64_t n_compare = quick ? X.size(0) : 10000;
  Tensor Xcmp = X.slice(0, 0, n_compare);
  auto t0 = std::chrono::steady_clock::now();
  Pca pca_eigh = pca_fit(Xcmp, 100, {.solver = PcaSolver::covariance_eigh});
  const double t_eigh = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  Pca pca_svd = pca_fit(Xcmp, 100, {.solver = PcaSolver::svd});
  const double t_svd = seconds_since(t0);
  T.say("on " + std::to_string(n_compare) + " images: covariance + eigh " + fmt("%.2f s", t_eigh) + ", SVD of Xc " +
        fmt("%.2f s", t_svd));
  T.say("largest |difference| of the 100 explained variances: " +
        fmt("%.1e", max(abs(pca_eigh.explained_variance - pca_svd.explained_variance)).item()) +
        "; of the components (signs fixed): " + fmt("%.1e", max(abs(pca_eigh.components - pca_svd.components)).item()));
  Pca pca = quick ? pca_eigh : pca_fit(X, 100, {.solver = PcaSolver::covariance_eigh});
  T.show("explained variance, first 5", pca.explained_variance.slice(0, 0, 5));
  std::vector<double> ratio = pca.explained_variance_ratio.to_vector(), cumulative(ratio.size());
  for (size_t i = 0; i < ratio.size(); ++i) cumulative[i] = ratio[i] + (i ? cumulative[i - 1] : 0);
  for (int k : {1, 5, 30, 50, 100}) T.say("  " + std::to_string(k) + " components keep " + fmt("%.1f %%", 100 * cumulative[k - 1]) + " of the variance");
  std::vector<double> ks = iota_from_zero(100);
  for (double& k : ks) k += 1;
  plot_both(T, "explained_variance", "PCA on MNIST", "components k", "fraction of variance kept", {{"cumulative", ks, cumulative}},
            "cumulative explained variance ratio");
  T.figure({"PCA-30 explained variance", 100 * cumulative[29], "%",
            quick ? "74.28 (numpy, this subset)" : "73.05 (numpy / scikit-learn)", setting});

  T.step("Eigen-digits", "The mean digit and the first 24 principal axes, each as a 28x28 picture\n"
                         "(each tile stretched to its own range: dark = most negative, bright = most positive).");
  Tensor tiles = concat({pca.mean.reshape({1, 784}), pca.components.slice(0, 0, 24)}, 0).reshape({25, 28, 28});
  write_image_grid(T.path("eigendigits.png"), tiles, 5, /*per_tile_normalise=*/true);
  T.wrote(T.path("eigendigits.png"), "top left: the mean; then components 1..24 in reading order");

  T.step("Digits in two dimensions", "Project the test digits on the first two axes and colour them by label.");
  Tensor codes2 = pca_project(pca, Xtest, 2);
  write_png(T.path("pca_scatter.png"), scatter_image(codes2, data.test.labels, class_means(X, data.train.labels)));
  T.wrote(T.path("pca_scatter.png"), "x: component 1, y: component 2; legend: each digit's mean image in its colour, 0 at the top");
  T.say("Ones (orange) sit far from zeros (blue) along the first axis: it measures how much ink,\n"
        "and where. Most classes overlap: two linear directions are not enough to separate ten digits.");

  T.step("Reconstructions", "x ~ mu + sum_{i<=k} z_i v_i: the test digits rebuilt from k = 1, 5, 30, 100 codes.\n"
                            "The anchor: PCA with 30 components, Hinton & Salakhutdinov (2006, Science, Fig. 2B),\n"
                            "mean squared error per test image (summed over 784 pixels) 13.87 on full MNIST.");
  {
    std::vector<int64_t> pick;  // the first test image of each class
    for (int digit = 0; digit < 10; ++digit)
      for (int64_t i = 0; i < data.test.size(); ++i)
        if (data.test.labels.at({i}) == digit) { pick.push_back(i); break; }
    Tensor examples = index_select(Xtest, 0, from_vector_i(pick, {(int64_t)pick.size()}));
    std::vector<Tensor> rows = {examples.to(DType::f64)};
    for (int k : {1, 5, 30, 100}) {
      rows.push_back(pca_reconstruct(pca, pca_project(pca, examples, k)));
      const double err = pca_reconstruction_error(pca, Xtest, k);
      T.say("  k = " + std::to_string(k) + ": squared error per test image " + fmt("%.2f", err) +
            "  (train " + fmt("%.2f", pca_reconstruction_error(pca, X, k)) + ")");
      if (k == 30)
        T.figure({"PCA-30 test squared error per image", err, "",
                  quick ? "13.87 full set (numpy on this subset: 14.70)" : "13.87 (Hinton & Salakhutdinov 2006)", setting});
    }
    write_image_grid(T.path("reconstructions.png"), concat(rows, 0).reshape({-1, 28, 28}), (int64_t)pick.size());
    T.wrote(T.path("reconstructions.png"), "rows: original, k = 1, 5, 30, 100");
  }

  T.step("Whitening", "Divide each code by its standard deviation: z_i / sqrt(lambda_i). The codes become\n"
                      "uncorrelated with unit variance; ZCA rotates them back to pixel space.");
  {
    Tensor white = pca_whiten(pca, X, 30);
    T.show("covariance of whitened training codes, top-left 3x3",
           (matmul(white.t(), white) / (double)(X.size(0) - 1)).slice(0, 0, 3).slice(1, 0, 3));
    Tensor zca = pca_whiten(pca, Xtest.slice(0, 0, 20), 100, /*zca=*/true);
    write_image_grid(T.path("zca_whitened.png"), zca.reshape({20, 28, 28}), 10, /*per_tile_normalise=*/true);
    T.wrote(T.path("zca_whitened.png"), "ZCA-whitened test digits (100 components): edges, not ink");
  }

  T.step("Randomized PCA", "Halko, Martinsson & Tropp (2011): multiply X by a random 784 x 60 matrix, sharpen with\n"
                           "power iterations, orthonormalise, and decompose the small result.");
  {
    t0 = std::chrono::steady_clock::now();
    Pca fast = pca_fit(X, 50, {.solver = PcaSolver::randomized});
    const double t_rand = seconds_since(t0);
    T.say("randomized, 50 components: " + fmt("%.2f s", t_rand) + "; PCA-30 test error " +
          fmt("%.4f", pca_reconstruction_error(fast, Xtest, 30)) + " (exact " + fmt("%.4f", pca_reconstruction_error(pca, Xtest, 30)) +
          "), explained variance " + fmt("%.4f", sum(fast.explained_variance_ratio).item()) + " (exact " +
          fmt("%.4f", cumulative[49]) + ")");
  }

  const int64_t q = 30;
  Moments train = data_moments("ch02", X), test = data_moments("ch02", Xtest);
  T.step("Probabilistic PCA", "x = W h + mu + noise, h ~ N(0, I_30), noise ~ N(0, sigma^2 I) (Tipping & Bishop 1999).\n"
                              "Closed form: sigma^2 = the mean variance of the 754 discarded directions, W = U (L - sigma^2)^1/2.");
  LinearGaussian ppca = ppca_closed_form(train, q);
  const double ppca_train = mean_log_likelihood(ppca, train), ppca_test = mean_log_likelihood(ppca, test);
  T.say("sigma^2 = " + fmt("%.5f", ppca.noise_variance.at({0})) + " (noise s.d. " +
        fmt("%.3f", std::sqrt(ppca.noise_variance.at({0}))) + " per pixel)");
  T.say("mean log-likelihood per image: train " + fmt("%.2f", ppca_train) + " nats, test " + fmt("%.2f", ppca_test) + " nats");
  T.figure({"PPCA-30 test log-likelihood", ppca_test, "nats", "no published figure; > 0: a density on [0,1]^784", setting});
  {
    Generator g(T.options().seed + 2);
    write_image_grid(T.path("ppca_samples.png"), sample(ppca, 40, g, /*with_noise=*/false).reshape({40, 28, 28}), 10);
    T.wrote(T.path("ppca_samples.png"), "new digits: W h + mu for h ~ N(0, I), the noise-free part");
    write_image_grid(T.path("ppca_samples_noisy.png"), sample(ppca, 20, g).reshape({20, 28, 28}), 10);
    T.wrote(T.path("ppca_samples_noisy.png"), "the same model's full samples, noise included");
  }
  T.say("Blurry strokes that are often not digits: one Gaussian is a poor model of ten classes.");

  T.step("PPCA by EM", "From a random W, alternate the posterior over h (E) and re-fitting W, sigma^2 (M).\n"
                       "The log-likelihood never goes down, and climbs towards the closed form.");
  {
    EmFit em = fit_ppca_em(train, q, {.max_iterations = 300, .tolerance = 1e-9, .seed = T.options().seed});
    bool monotone = true;
    for (size_t t = 1; t < em.log_likelihood.size(); ++t)
      monotone = monotone && em.log_likelihood[t] >= em.log_likelihood[t - 1] - 1e-9 * std::abs(em.log_likelihood[t - 1]);
    std::vector<double> its = iota_from_zero(em.log_likelihood.size());
    plot_both(T, "ppca_em", "PPCA by EM", "iteration", "train log-likelihood per image",
              {{"EM", its, em.log_likelihood}, {"closed form", {0, its.back()}, {ppca_train, ppca_train}}}, "EM's climb");
    T.say(std::to_string(em.iterations) + " iterations: " + fmt("%.3f", em.log_likelihood.back()) + " nats vs closed form " +
          fmt("%.3f", ppca_train) + "; never decreased: " + (monotone ? "yes" : "NO"));
    T.say("subspace distance to the closed form (max |P_em - P_closed|): " +
          fmt("%.1e", subspace_distance(em.model.loadings, ppca.loadings)) +
          ". W itself differs by a rotation, which the likelihood cannot see.\n"
          "EM is slow here: near the optimum each direction closes its gap by only ~2 sigma^2/lambda per step.");
    T.figure({"PPCA EM gap to closed form", ppca_train - em.log_likelihood.back(), "nats",
              "-> 0 (EM's fixed point is the ML solution)", std::to_string(em.iterations) + " EM iterations"});
  }

  T.step("Factor analysis", "Same model with a diagonal noise Psi: every pixel its own noise variance.\n"
                            "EM starts at the PPCA solution, so it can only end higher.");
  {
    EmFit fa = fit_factor_analysis(train, q, {.max_iterations = quick ? 100 : 150, .tolerance = 1e-6});
    const double fa_test = mean_log_likelihood(fa.model, test);
    T.say(std::to_string(fa.iterations) + " EM iterations: train " + fmt("%.2f", fa.log_likelihood.back()) + " nats (PPCA " +
          fmt("%.2f", ppca_train) + "), test " + fmt("%.2f", fa_test) + " nats (PPCA " + fmt("%.2f", ppca_test) + ")");
    T.say("psi is floored at 1e-3 of the mean pixel variance: the border pixels are 0 in every image,\n"
          "and without the floor their psi -> 0 and the training likelihood grows without bound.");
    std::vector<double> its = iota_from_zero(fa.log_likelihood.size());
    plot_both(T, "fa_em", "Factor analysis by EM", "iteration", "train log-likelihood per image",
              {{"FA (EM)", its, fa.log_likelihood}, {"PPCA (closed form)", {0, its.back()}, {ppca_train, ppca_train}}},
              "FA's climb from the PPCA start");
    Tensor sd = sqrt(fa.model.noise_variance) / max(sqrt(fa.model.noise_variance));
    // 4x larger: each pixel repeated over a 4x4 block
    write_png(T.path("fa_noise_variance.png"), sd.reshape({28, 1, 28, 1}).expand({28, 4, 28, 4}).contiguous().reshape({112, 112}));
    T.wrote(T.path("fa_noise_variance.png"), "per-pixel noise s.d. sqrt(psi_d) (white = largest): the ink region is noisy");
    Generator g(T.options().seed + 3);
    write_image_grid(T.path("fa_samples.png"), sample(fa.model, 40, g, /*with_noise=*/false).reshape({40, 28, 28}), 10);
    T.wrote(T.path("fa_samples.png"), "FA digits, W h + mu");
    T.figure({"FA-30 test log-likelihood", fa_test, "nats", "> PPCA-30 (its special case)", setting});
  }
}

}  // namespace latent::tutorial
