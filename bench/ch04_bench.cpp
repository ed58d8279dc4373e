// Chapter 04 benchmarks (issue #5) on the fortunes corpus, run beside
// scikit-learn by bench/run_ch04.sh:
//
//   gibbs_<plain|sparse>_k<K>  tokens per second of one thread, K = 20, 100, 1000:
//                    token updates / seconds over `sweeps` sweeps from the random
//                    start (100 sweeps at K = 20, 50 at K = 100, 20 at K = 1000;
//                    the same sweeps for both samplers), α = 50/K, β = 0.01
//   fit_<plain|sparse>_k20  the fit the peers are scored on: K = 20, β = 0.01, α starting
//                    at 2.5 and re-estimated (asymmetric, Wallach et al. 2009) every 5th
//                    sweep, 50, 100, 150 and 200 sweeps (separate runs, φ averaged over
//                    every 5th sweep of the second half), held-out θ by Gibbs folding in
//                    with the learned α (50 sweeps, 10 burn-in), document-completion
//                    perplexity; the time is the whole fit + fold-in; _to_target: the
//                    first run at <= 4240
//   seeds_sparse_k20 the 100- and 200-sweep SparseLDA fits with seeds 0..4: the spread between chains
//   vem_k20          variational EM, K = 20, α = 1/K, topic smoothing η = 1/K
//                    (scikit-learn's default priors), 20 iterations: seconds per
//                    iteration and document-completion perplexity
//
// The corpus is read with latent's own reader from /usr/share/games/fortunes
// (its counts are checked against the peer's bag: 14,762 / 10,487 / 181,897) and
// split with the rows /work/shared/bench/fortunes_corpus.py wrote to BOW_DIR
// (train.docs, test.docs), so both sides train and score on the same documents.
// Each line: workload=<name> threads=1 key=value ...
//
// Usage: ch04_bench BOW_DIR [workload-prefix...]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/ch04/corpus.h"
#include "models/ch04/lda_gibbs.h"
#include "models/ch04/lda_vem.h"
#include "models/ch04/topic_eval.h"

using namespace latent;
using namespace latent::models;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool wanted(const std::vector<std::string>& only, const std::string& name) {
  if (only.empty()) return true;
  for (auto& p : only)
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

// CPU time of this thread: on a machine shared with other jobs the wall clock
// also counts the time the scheduler gave to them.
double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct Rate {
  double wall, cpu;  // tokens per wall second, per CPU second
};
template <class Sampler>
Rate tokens_per_second(const Corpus& train, int64_t K, int64_t sweeps) {
  GibbsState s = gibbs_init(train, K, 50.0 / (double)K, 0.01, 0);
  Sampler sampler(s, 1);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = thread_cpu_seconds();
  for (int64_t i = 0; i < sweeps; ++i) sampler.sweep();
  const double n = (double)sweeps * (double)train.num_tokens();
  return {n / seconds_since(t0), n / (thread_cpu_seconds() - c0)};
}

// The K = 20 fit's settings, one place for the fit and the seeds workloads.
LdaGibbsOptions fit_options(int64_t sweeps, GibbsSamplerKind kind, uint64_t seed) {
  LdaGibbsOptions o{.K = 20, .alpha = 2.5, .beta = 0.01, .sweeps = sweeps, .sampler = kind, .seed = seed,
                    .average_from = sweeps / 2, .average_every = 5};
  o.optimize_alpha_every = 5;  // asymmetric α by Minka's fixed point (Wallach et al. 2009), every 5th sweep
  o.optimize_alpha_from = 5;
  return o;
}

// One fit of `sweeps` sweeps (φ averaged over every 5th sweep of the second half), then
// held-out θ by folding in, then the perplexity; the time is all of it, wall clock.
void fit(GibbsSamplerKind kind, const CorpusSplit& split, const CompletionHalves& halves,
         const std::vector<bool>& seen, double target) {
  const std::string name = std::string("fit_") + gibbs_sampler_name(kind) + "_k20";
  double reached_at = -1, reached_cpu = -1;
  int64_t reached_sweeps = -1;
  for (int64_t sweeps : {50, 100, 150, 200}) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    LdaGibbsResult r = lda_gibbs(split.train, fit_options(sweeps, kind, 0));
    Tensor theta = gibbs_infer_theta(r.phi, halves.observed, r.state.alpha, 50, 10, 0);
    const double secs = seconds_since(t0), cpu = thread_cpu_seconds() - c0;
    const Perplexity pp = completion_perplexity(theta, r.phi, halves.scored, seen);
    const double ppl = pp.perplexity;
    if (reached_cpu < 0 && ppl <= target) reached_cpu = cpu;
    if (reached_at < 0 && ppl <= target) reached_at = secs, reached_sweeps = sweeps;
    std::printf("workload=%s threads=1 sweeps=%ld seconds=%.4f cpu_seconds=%.4f sample_seconds=%.4f "
                "tokens_per_second=%.4g perplexity=%.1f scored_tokens=%ld alpha_sum=%.3f alpha_min=%.3f alpha_max=%.3f\n",
                name.c_str(), (long)sweeps, secs, cpu, r.sample_seconds, r.tokens_per_second, ppl, (long)pp.tokens,
                r.state.alpha_sum(), *std::min_element(r.state.alpha.begin(), r.state.alpha.end()),
                *std::max_element(r.state.alpha.begin(), r.state.alpha.end()));
    std::fflush(stdout);
  }
  std::printf("workload=%s_to_target threads=1 target=%.0f sweeps=%ld seconds=%.4f cpu_seconds=%.4f\n", name.c_str(),
              target, (long)reached_sweeps, reached_at, reached_cpu);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ch04_bench BOW_DIR [workload-prefix...]\n");
    return 2;
  }
  const std::string bow_dir = argv[1];
  std::vector<std::string> only(argv + 2, argv + argc);
  set_num_threads(1);
  auto t0 = std::chrono::steady_clock::now();
  Corpus all = build_corpus(read_fortune_files(), {.stop_words = english_stop_words()}, {.min_df = 3});
  std::printf("corpus docs=%ld vocab=%ld tokens=%ld read_seconds=%.3f (peer bag: 14762 10487 181897)\n",
              (long)all.num_docs(), (long)all.vocab_size(), (long)all.num_tokens(), seconds_since(t0));
  CorpusSplit split = read_split(all, bow_dir);
  CompletionHalves halves = completion_halves(split.test);
  const std::vector<bool> seen = words_seen(split.train);
  std::printf("split %s: train docs=%ld tokens=%ld, test docs=%ld tokens=%ld\n", split.how.c_str(),
              (long)split.train.num_docs(), (long)split.train.num_tokens(), (long)split.test.num_docs(),
              (long)split.test.num_tokens());
  std::fflush(stdout);

  for (int64_t K : {20, 100, 1000}) {
    const int64_t sweeps = K == 20 ? 100 : K == 100 ? 50 : 20;
    for (auto kind : {GibbsSamplerKind::plain, GibbsSamplerKind::sparse}) {
      const std::string name = std::string("gibbs_") + gibbs_sampler_name(kind) + "_k" + std::to_string(K);
      if (!wanted(only, name)) continue;
      const Rate r = kind == GibbsSamplerKind::plain ? tokens_per_second<PlainGibbsSampler>(split.train, K, sweeps)
                                                     : tokens_per_second<SparseGibbsSampler>(split.train, K, sweeps);
      std::printf("workload=%s threads=1 sweeps=%ld tokens_per_second=%.4g tokens_per_cpu_second=%.4g\n", name.c_str(),
                  (long)sweeps, r.wall, r.cpu);
      std::fflush(stdout);
    }
  }
  if (wanted(only, "fit_sparse")) fit(GibbsSamplerKind::sparse, split, halves, seen, 4240);
  if (wanted(only, "fit_plain")) fit(GibbsSamplerKind::plain, split, halves, seen, 4240);
  if (wanted(only, "seeds_sparse")) {  // chain-to-chain spread of the 100- and 200-sweep fits
    for (int64_t sweeps : {100, 200}) {
      double mean = 0;
      for (uint64_t seed = 0; seed < 5; ++seed) {
        const double c0 = thread_cpu_seconds();
        LdaGibbsResult r = lda_gibbs(split.train, fit_options(sweeps, GibbsSamplerKind::sparse, seed));
        Tensor theta = gibbs_infer_theta(r.phi, halves.observed, r.state.alpha, 50, 10, seed);
        const double cpu = thread_cpu_seconds() - c0;
        const double ppl = completion_perplexity(theta, r.phi, halves.scored, seen).perplexity;
        mean += ppl / 5;
        std::printf("workload=seeds_sparse_k20 threads=1 seed=%lu sweeps=%ld cpu_seconds=%.4f perplexity=%.1f\n",
                    (unsigned long)seed, (long)sweeps, cpu, ppl);
        std::fflush(stdout);
      }
      std::printf("workload=seeds_sparse_k20_mean threads=1 seeds=5 sweeps=%ld perplexity=%.1f\n", (long)sweeps, mean);
    }
  }
  if (wanted(only, "vem")) {
    BagOfWords train = bag_of_words(split.train);
    t0 = std::chrono::steady_clock::now();
    LdaVemResult r = lda_vem(train, {.K = 20, .eta = 1.0 / 20, .max_iter = 20, .tol = 0, .seed = 0});
    const double secs = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    Tensor theta = lda_vem_infer_theta(r.beta, bag_of_words(halves.observed), 1.0 / 20);
    const double infer = seconds_since(t0);
    const double ppl = completion_perplexity(theta, r.beta, halves.scored, seen).perplexity;
    std::printf("workload=vem_k20 threads=1 iters=%ld seconds=%.4f seconds_per_iter=%.4f infer_seconds=%.4f "
                "perplexity=%.1f\n",
                (long)r.n_iter, secs, secs / (double)r.n_iter, infer, ppl);
  }
  return 0;
}
