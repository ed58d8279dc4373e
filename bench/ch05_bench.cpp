// latent/bench — chapter 05: an RBM on MNIST beside scikit-learn's BernoulliRBM
// (bench/run_ch05.sh runs both and prints the ratio).
//
//   rbm500_cd1_epoch     one epoch over the first 10,000 training images binarised at
//                        0.5, 784 -> 500 binary units, float32, batch 100, ε = 0.05,
//                        no momentum, no weight decay, W ~ N(0, 0.01²), b = c = 0:
//                        scikit-learn's BernoulliRBM(500, learning_rate=0.05,
//                        batch_size=100, n_iter=1) of /work/shared/bench/sk_ref.py. Its
//                        fit is PCD-1 (persistent chains h_samples_), so persistent = true
//                        here. Timed: RbmTrainer::epoch (the model's init and the trainer's
//                        construction, well under 1% of it, are not). Quality: the
//                        stochastic pseudo-log-likelihood on the first 1,000 images, as
//                        score_samples; averaged over 10 draws of the flipped bits, with
//                        the spread of single draws (pll_sd) to judge the gap to the peer.
//   ais_runs_per_second  AIS (ais_log_z) on that trained RBM, 100 runs, 1,000 intermediate
//                        distributions. Every β costs the same (two GEMMs and the samples),
//                        so the time is linear in runs × betas: full_estimate_seconds
//                        scales it to Salakhutdinov & Murray's 14,500 betas. log Z from so
//                        few betas is rough (biased low); printed for orientation only.
//
// Remaining differences from scikit-learn, none of which changes the work per update
// much: latent shuffles the minibatches (scikit-learn takes them in order), starts the
// chains at the first minibatch (scikit-learn at hidden zeros), and samples the chains'
// hidden units from the updated model (scikit-learn keeps the previous update's).
//
// Needs the full MNIST in data/mnist (or $LATENT_DATA): the 2,000-image embedded subset
// is too small for the 10,000-image workload, so it is refused.
// Each line: workload=<name> threads=<n> key=value ...
//
// Usage: ch05_bench THREADS [workload-prefix...]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>
#include <vector>

#include "models/ch05/partition.h"
#include "models/ch05/rbm.h"
#include "models/ch05/rbm_train.h"
#include "nn/data.h"

using namespace latent;
using namespace latent::models;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of the whole process (all threads). On a shared machine the wall clock
// also counts time the scheduler gave to other jobs; at one thread this does not.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Is `name` asked for? A prefix selects it ("rbm", "ais").
bool wanted(const std::vector<std::string>& only, const std::string& name) {
  if (only.empty()) return true;
  for (auto& p : only)
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::atoi(argv[1]) < 1) {
    std::fprintf(stderr, "usage: ch05_bench THREADS [workload-prefix...]   (rbm500_cd1_epoch, ais_runs_per_second)\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  std::vector<std::string> only(argv + 2, argv + argc);
  set_num_threads(threads);
  Mnist mnist;
  try {
    mnist = load_mnist("", /*allow_embedded=*/false);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ch05_bench needs the full MNIST (10,000 training images): %s\n", e.what());
    return 1;
  }
  // Pixels > 0.5, as scikit-learn's (X / 255 > 0.5): no byte value lies at the threshold.
  const Tensor X = gt(mnist.train.images.slice(0, 0, 10000).reshape({10000, 784}), scalar(0.5)).contiguous();
  const Tensor X1k = X.slice(0, 0, 1000).contiguous();

  // Both workloads need the trained model: train even when only AIS is asked for.
  Generator g(0);
  Rbm m = rbm_init(784, 500, g);  // b = 0, as scikit-learn (not the base-rate biases)
  RbmTrainer trainer(m, X, {.epochs = 1, .batch_size = 100, .lr = 0.05, .momentum = 0, .final_momentum = 0,
                            .weight_decay = 0, .cd_k = 1, .persistent = true, .seed = 0});
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  const RbmEpochStats st = trainer.epoch(X);
  const double epoch_s = seconds_since(t0), epoch_cpu = cpu_seconds() - c0;

  if (wanted(only, "rbm500_cd1_epoch")) {
    const int draws = 10;
    double s = 0, s2 = 0;
    for (int d = 0; d < draws; ++d) {
      Generator pg(d);
      const double p = pseudo_log_likelihood(m, X1k, pg);
      s += p;
      s2 += p * p;
    }
    const double mean = s / draws, sd = std::sqrt(std::max(0.0, (s2 - draws * mean * mean) / (draws - 1)));
    std::printf("workload=rbm500_cd1_epoch threads=%d seconds=%.4f cpu_seconds=%.4f pseudo_loglik=%.4f pll_sd=%.4f "
                "recon_error=%.4f\n",
                threads, epoch_s, epoch_cpu, mean, sd, st.recon_error);
    std::fflush(stdout);
  }
  if (wanted(only, "ais_runs_per_second")) {
    const AisOptions opt{.runs = 100, .n_betas = 1000, .seed = 0};
    const Tensor bA = base_rate_bias(X);
    const double c1 = cpu_seconds();
    const AisResult r = ais_log_z(m, bA, opt);
    const double cpu = cpu_seconds() - c1;
    const double rate = (double)(opt.runs * opt.n_betas) / r.seconds;
    const double full = r.seconds * 14500.0 / (double)opt.n_betas;  // linear in betas
    std::printf("workload=ais_runs_per_second threads=%d seconds=%.4f cpu_seconds=%.4f runs=%ld betas=%ld "
                "runs_betas_per_second=%.1f full_estimate_seconds=%.2f log_z=%.3f log_z_low=%.3f log_z_high=%.3f "
                "loglik_1k=%.3f\n",
                threads, r.seconds, cpu, (long)opt.runs, (long)opt.n_betas, rate, full, r.log_z, r.log_z_low,
                r.log_z_high, mean_log_likelihood(m, X1k, r.log_z));
    std::fflush(stdout);
  }
  return 0;
}
