// latent/bench — chapter 03 (issue #4): k-means and a Gaussian mixture on
// MNIST, beside scikit-learn (bench/run_ch03.sh runs both and prints ratios).
//
//   kmeans_lloyd_mnist60k    k = 10 on the 60,000 training images (784 float32 pixels),
//                            at most 100 Lloyd iterations (tol = 0: until no label
//                            changes), n_init = 1, from the k-means++ centres of seed 0
//   kmeans_hamerly_mnist60k  the same with Hamerly's bounds (the same assignments)
//   gmm10_full_pca50_mnist20k GMM, K = 10, full covariances, on the 50 principal
//                            components of the first 20,000 images; at most 100 EM
//                            iterations, tol 1e-3, started from the k-means-initialised
//                            mixture of seed 0
//
// The initial centres, the PCA features and the initial mixture are written to
// OUT_DIR (argv[2]) so scikit-learn starts from exactly the same place. Only the
// fits are timed (data loading, k-means++ and PCA are not). Each line:
//   workload=<name> threads=<n> seconds=<s> iters=<n> quality=<inertia | avg log-lik>
//
// Usage: ch03_bench THREADS OUT_DIR [workload-prefix...]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "models/ch02/pca.h"
#include "models/ch03/gmm.h"
#include "models/ch03/kmeans.h"
#include "nn/data.h"
#include "nn/npy.h"

using namespace latent;
using namespace latent::models;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void report(const std::string& name, int threads, double secs, int64_t iters, double quality) {
  std::printf("workload=%s threads=%d seconds=%.4f iters=%ld quality=%.6f\n", name.c_str(), threads, secs,
              (long)iters, quality);
  std::fflush(stdout);
}

// Is `name` asked for? A prefix selects a workload ("kmeans_l") or a group ("kmeans").
bool wanted(const std::vector<std::string>& only, const std::string& name) {
  if (only.empty()) return true;
  for (auto& p : only)
    if (name.rfind(p, 0) == 0 || p.rfind(name, 0) == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: ch03_bench THREADS OUT_DIR [workload-prefix...]\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const std::filesystem::path out = argv[2];
  std::filesystem::create_directories(out);
  std::vector<std::string> only(argv + 3, argv + argc);
  set_num_threads(threads);
  Mnist m = load_mnist("", /*allow_embedded=*/false);
  Tensor X = m.train.images.reshape({m.train.size(), 784}).contiguous();

  if (wanted(only, "kmeans")) {
    Generator gen(0);
    Tensor init = kmeans_plusplus(X, 10, gen);
    save_npy((out / "kmeans_init.npy").string(), init);
    for (auto alg : {KMeansAlgorithm::lloyd, KMeansAlgorithm::hamerly}) {
      const std::string name = std::string("kmeans_") + kmeans_algorithm_name(alg) + "_mnist60k";
      if (!wanted(only, name)) continue;
      auto t0 = std::chrono::steady_clock::now();
      KMeansResult r = kmeans_single(X, init, {.k = 10, .max_iter = 100, .tol = 0, .algorithm = alg});
      report(name, threads, seconds_since(t0), r.n_iter, r.inertia);
    }
  }
  if (wanted(only, "gmm")) {
    Tensor X20 = X.slice(0, 0, 20000).contiguous();
    Pca pca = pca_fit(X20, 50);
    Tensor Z = pca_project(pca, X20);
    GMMOptions opt{.k = 10, .max_iter = 100, .tol = 1e-3, .seed = 0};
    GaussianMixture init = gmm_initial_model(Z, opt, 0);
    save_npz((out / "gmm_pca50.npz").string(), {{"features", Z}, {"weights", init.weights}, {"means", init.means},
                                                {"covariances", init.covariances}});
    opt.init_model = init;
    auto t0 = std::chrono::steady_clock::now();
    GMMResult r = fit_gmm(Z, opt);
    report("gmm10_full_pca50_mnist20k", threads, seconds_since(t0), r.n_iter, r.avg_loglik);
  }
  return 0;
}
