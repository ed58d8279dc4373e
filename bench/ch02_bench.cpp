// latent/bench — chapter 02: PCA with 50 components on the 60,000 MNIST
// training images (pixels in [0, 1]), next to scikit-learn's
// PCA(50, svd_solver='full') and PCA(50, svd_solver='randomized', random_state=0)
// (bench/run_ch02.sh runs both sides and prints the ratios).
//
// Prints one line per workload:  name threads=N seconds s explained=<ratio sum>
//
//   pca50_full_mnist60k        PcaSolver::svd: LAPACK SVD (dgesdd) of the centred
//                              float64 data — the same algorithm as scikit-learn's
//                              'full' (scipy.linalg.svd, gesdd; float32 there)
//   pca50_randomized_mnist60k  PcaSolver::randomized: Halko et al. 2011, 10
//                              oversamples, 7 power iterations (scikit-learn's
//                              defaults for this shape), float32 GEMMs
//   pca50_covariance_eigh_mnist60k  PcaSolver::covariance_eigh: one float64 GEMM
//                              for the 784 x 784 scatter matrix, then eigh. No
//                              scikit-learn 1.2 peer (1.5 added 'covariance_eigh').
//
// Each time is the median of --reps runs (default 1) of the whole pca_fit on
// the [60000, 784] float32 matrix, the mean included; loading MNIST is not timed.
//
// Usage: ch02_bench [--threads N] [--reps R] [workload-prefix ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "models/ch02/data_matrix.h"
#include "models/ch02/pca.h"
#include "nn/data.h"

using namespace latent;
using namespace latent::models;

int main(int argc, char** argv) {
  int threads = get_num_threads(), reps = 1;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::stoi(argv[++i]));
    else if (a == "-h" || a == "--help") {
      std::printf("usage: ch02_bench [--threads N] [--reps R] [workload-prefix ...]\n");
      return 0;
    } else only.push_back(a);
  }
  set_num_threads(threads);
  Mnist mnist = load_mnist("", /*allow_embedded=*/false);
  Tensor X = data_matrix("ch02_bench", mnist.train.images);  // [60000, 784] float32

  struct Workload {
    const char* name;
    PcaSolver solver;
  };
  const Workload workloads[] = {{"pca50_full_mnist60k", PcaSolver::svd},
                                {"pca50_randomized_mnist60k", PcaSolver::randomized},
                                {"pca50_covariance_eigh_mnist60k", PcaSolver::covariance_eigh}};
  for (const Workload& w : workloads) {
    bool wanted = only.empty();
    for (const std::string& p : only) wanted = wanted || std::strncmp(w.name, p.c_str(), p.size()) == 0 ||
                                               std::strstr(w.name, p.c_str()) != nullptr;
    if (!wanted) continue;
    std::vector<double> secs;
    double explained = 0;
    for (int r = 0; r < reps; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      Pca p = pca_fit(X, 50, {.solver = w.solver});
      secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      explained = sum(p.explained_variance_ratio).item();
    }
    std::sort(secs.begin(), secs.end());
    std::printf("%s threads=%d %.3f s explained=%.4f\n", w.name, threads, secs[secs.size() / 2], explained);
    std::fflush(stdout);
  }
  return 0;
}
