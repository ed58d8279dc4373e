// Chapter 08's tutorial, the DCGAN part's last score: the samples G draws between digits, found
// by the norm of its Jacobian (Tanielian et al. 2020; gan_latent.h's jacobian_norms), and what
// dropping them does to the scores.
#include <algorithm>
#include <chrono>
#include <vector>

#include "models/ch08/gan_latent.h"
#include "tutorials/ch08_gans_parts.h"

namespace latent::tutorial::ch08 {

void between_digits(Tutorial& T, const Setting& S, GeneratorNet& G, Scorer& sc, const std::string& setting,
                    uint64_t seed) {
  T.step("Samples between the digits: Jacobian-based rejection",
         "z ~ N(0, I) is one connected cloud and G is continuous, but the digits are ten separate groups of\n"
         "images: somewhere G must cross from one digit to the next, and what it draws there is no digit.\n"
         "It crosses the gaps fast, so there the Frobenius norm of its Jacobian, ||J_G(z)||, is large\n"
         "(Tanielian et al. 2020). The weight average's samples sorted by that norm, and LeNet's doubt\n"
         "(its top probability below 0.9) in each tenth; then the scores with the largest norms dropped.");
  const auto t0 = std::chrono::steady_clock::now();
  // One draw serves every set below: the first eval_images rows as they come, and for each
  // fraction r the eval_images smallest norms among the first ⌈eval_images / (1 − r)⌉ rows.
  const double fractions[] = {0.1, 0.2};
  Generator gj(seed ^ 0x6a09e667f3bcc908ULL);
  const RejectionSample pool =
      sample_images_jacobian_rejection(G, rejection_draws(S.eval_images, fractions[1]), 0.0, gj);
  const int64_t n = S.eval_images;
  const Tensor confidence = max(sc.net.run(pool.images.slice(0, 0, n)).probs.to(DType::f64), {1});
  const std::vector<int64_t> order = order_by_norm(pool.norms, n);
  std::string line = "  doubtful samples by tenth of ||J||, smallest first:";
  for (int64_t d = 0; d < 10; ++d) {
    const int64_t lo = d * n / 10, hi = (d + 1) * n / 10;
    int64_t doubt = 0;
    for (int64_t j = lo; j < hi; ++j) doubt += confidence.at({order[(size_t)j]}) < 0.9 ? 1 : 0;
    line += fmt(" %.0f %%", 100.0 * (double)doubt / (double)std::max<int64_t>(1, hi - lo));
  }
  T.say(line);
  for (const double reject : fractions) {
    const RejectionSample r = keep_smallest_norms(pool, rejection_draws(n, reject), n);
    const GanScores a = sc.score(r.images);
    const std::string tag = "DCGAN weight average, Jacobian rejection " + fmt("%.0f %%", 100 * reject) + ": ";
    T.say("  " + fmt("%.0f %%", 100 * reject) + " of " + std::to_string(r.drawn) + " dropped (||J|| > " +
          fmt("%.1f", r.threshold) + "): IS " + fmt("%.2f", a.inception_score) + ", Frechet " +
          fmt("%.1f", a.frechet_distance) + ", digit shares KL " + fmt("%.4f", a.classes.kl_from_uniform));
    T.figure({tag + "classifier IS (LeNet)", a.inception_score, "", ">= 9.0 (full-setting goal)", setting});
    T.figure({tag + "Frechet distance (LeNet)", a.frechet_distance, "",
              "real test vs train: " + fmt("%.1f", sc.ceiling.frechet_distance), setting});
    T.figure({tag + "digit shares, KL from uniform", a.classes.kl_from_uniform, "nats", "near-equal shares (0 = equal)", setting});
  }
  T.say("  (" + fmt("%.0f s", seconds_since(t0)) + ")");
}

}  // namespace latent::tutorial::ch08
