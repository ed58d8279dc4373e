// Chapter 08's tutorial, part `selfcond`: a self-conditioned DCGAN. k-means (chapter 03) splits
// the training images into clusters without looking at a label; a conditional GAN learns one
// generator per cluster, sharing all weights; samples draw the cluster first (self_condition.h).
#include <algorithm>
#include <chrono>

#include "models/ch03/cluster_metrics.h"
#include "models/ch08/gan_latent.h"
#include "models/ch08/self_condition.h"
#include "nn/image.h"
#include "nn/plot.h"
#include "tensor/index.h"
#include "tutorials/ch08_gans_parts.h"

namespace latent::tutorial::ch08 {

void self_conditioned(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& images01, const Tensor& digits,
                      Scorer& sc) {
  const uint64_t seed = T.options().seed;
  const int64_t K = S.selfcond_clusters;
  T.step("Self-conditioning: a conditional GAN on k-means clusters, no labels",
         "The DCGAN above maps one continuous z onto ten separate digit shapes, so some z fall between them\n"
         "and give in-between digits LeNet cannot name; given the digit, a cGAN draws clean ones. Liu et al.\n"
         "(2020) take labels from clusters instead: here k-means (chapter 03) on the pixels, " + std::to_string(K) +
             " clusters.\nA cGAN learns p(x | cluster y); a sample draws y with the cluster's share of the training\n"
             "images, p(y) = N_y / N, then x, so p(x) = sum_y p(y) p(x | y) still models all of MNIST.\n"
             "The same nets (without the mapping), rates, batch and weight average as the DCGAN above; D sees\ny by projection "
             "(Miyato & Koyama 2018), a learned vector per cluster dotted with D's features.");
  auto t0 = std::chrono::steady_clock::now();
  const PseudoLabels clusters = cluster_pseudo_labels(images01, K, seed + 40);
  // Each cluster's most frequent digit among its training images: what LeNet should read in its
  // samples (for the reader only: the GAN never sees a digit label).
  const std::vector<int64_t> top = majority_class(clusters.labels, digits, K);
  const double purity = cluster_purity(clusters.labels, digits);
  T.say("  k-means: " + std::to_string(clusters.iterations) + " Lloyd iterations, " + fmt("%.0f s", seconds_since(t0)) +
        "; purity against the digit labels (read here, never used): " + fmt("%.1f %%", 100 * purity));
  write_image_grid(T.path("selfcond_centres.png"), clusters.centres.reshape({K, 1, 28, 28}), std::min<int64_t>(K, 20));
  T.wrote(T.path("selfcond_centres.png"), "the " + std::to_string(K) + " cluster means: what each y stands for");

  MnistGan setup = mnist_setup(GanLoss::non_saturating, S.width, seed + 41);
  setup.net.fc_hidden = S.fc_hidden;
  setup.net.latent.classes = K;
  setup.net.conditioning = Conditioning::projection;  // concat would add K constant maps to D's input
  setup.train.lr_d = S.lr, setup.train.lr_g = S.lr_g;
  Gan gan(setup.net);
  GanGenerator average(setup.net);
  average.load_state_dict(gan.generator->state_dict());
  Generator gz(seed + 42), gbn(seed + 43);
  // The picture: 8 clusters (rows, the largest ones), the same 8 z across each row.
  std::vector<int64_t> order((size_t)K);
  for (int64_t j = 0; j < K; ++j) order[(size_t)j] = j;
  const std::vector<double> shares = clusters.shares.to_vector();
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return shares[(size_t)a] > shares[(size_t)b]; });
  const int64_t rows = std::min<int64_t>(8, K);
  std::vector<int64_t> grid_y;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < 8; ++c) grid_y.push_back(order[(size_t)r]);
  const Tensor z8 = sample_latent(gan.generator->latent(), 8, gz).z;
  std::vector<Tensor> zs;
  for (int64_t r = 0; r < rows; ++r) zs.push_back(z8);
  const Tensor grid_z = concat(zs, 0), grid_labels = from_vector_i(grid_y, {rows * 8});
  // Scored like the DCGAN: eval_images samples, clusters drawn from their shares.
  auto samples = [&](GeneratorNet& G, Generator& g) {
    return sample_images(G, S.eval_images, g, sample_pseudo_labels(clusters.shares, S.eval_images, g));
  };
  std::vector<double> g_is, a_is;
  t0 = std::chrono::steady_clock::now();
  fit(
      T, "self-conditioned DCGAN", *gan.generator, *gan.discriminator, setup.train, x, clusters.labels,
      S.selfcond_epochs, S.batch,
      [&](const GanEpochLog& e) {
        Generator same = gz;
        const auto [is, fid] = sc.is_fid(samples(*gan.generator, gz));
        // 50 batches, each with its own 64 clusters drawn (one set repeated would leave half of
        // the 100 clusters out of the statistics).
        refresh_batch_norm(average, gbn, 50, 64, sample_pseudo_labels(clusters.shares, 50 * 64, gbn));
        const auto [ais, afid] = sc.is_fid(samples(average, same));
        g_is.push_back(is), a_is.push_back(ais);
        T.say("    epoch " + std::to_string(e.epoch) + ": IS " + fmt("%.2f", is) + ", Frechet " + fmt("%.1f", fid) +
              "; the weight average: IS " + fmt("%.2f", ais) + ", Frechet " + fmt("%.1f", afid));
      },
      [&](int64_t, const GanStepStats& st) {
        if (st.g_step) update_average(average, *gan.generator, S.g_average);
      });
  const double secs = seconds_since(t0);
  T.say("  " + std::to_string(S.selfcond_epochs) + " epochs in " + fmt("%.0f s", secs) + " (with the scoring)");
  write_sample_grid(T.path("selfcond_samples.png"), average, grid_z, grid_labels, 8);
  std::string row_digits;
  for (int64_t r = 0; r < rows; ++r) row_digits += (r ? " " : "") + std::to_string(top[(size_t)order[(size_t)r]]);
  T.wrote(T.path("selfcond_samples.png"), "the average's samples; row: one cluster (the " + std::to_string(rows) +
                                              " largest; majority digits " + row_digits + "), column: one z");
  std::vector<double> ep;
  for (size_t e = 0; e < g_is.size(); ++e) ep.push_back((double)e + 1);
  write_png_plot(T.path("selfcond_scores.png"), "Self-conditioned DCGAN: classifier IS per epoch", "epoch", "IS (LeNet)",
                 {{"G", ep, g_is}, {"G's weight average", ep, a_is}});
  T.wrote(T.path("selfcond_scores.png"), "the classifier IS after each epoch, of G and of its weight average");

  // Every metric on the weight average, and how often LeNet reads a cluster's majority digit.
  Generator g(seed + 44);
  const Tensor y = sample_pseudo_labels(clusters.shares, S.eval_images, g);
  const Tensor imgs = sample_images(average, S.eval_images, g, y);
  const GanScores s = sc.score(imgs);
  const std::vector<int64_t> read = predicted_digits(sc.net.run(imgs).probs);
  const std::vector<double> asked = y.to_vector();
  double agree = 0;
  for (size_t i = 0; i < read.size(); ++i) agree += read[i] == top[(size_t)asked[i]] ? 1.0 / (double)read.size() : 0.0;
  T.say("  the weight average, " + std::to_string(S.eval_images) + " samples:\n" + s.str() +
        "\n  LeNet reads the cluster's majority digit in " + fmt("%.1f %%", 100 * agree) + " of them");
  const std::string setting = S.name + ", " + std::to_string(K) + " clusters, " + std::to_string(S.selfcond_epochs) +
                              " epochs, the DCGAN's nets (no mapping) and rates, weight average b = " + fmt("%g", S.g_average);
  T.figure({"self-conditioned DCGAN, weight average: classifier IS (LeNet)", s.inception_score, "",
            ">= 9.0 (full-setting goal; not an Inception-v3 figure)", setting});
  T.figure({"self-conditioned DCGAN, weight average: Frechet distance (LeNet)", s.frechet_distance, "",
            "real test vs train: " + fmt("%.1f", sc.ceiling.frechet_distance), setting});
  T.figure({"self-conditioned DCGAN, weight average: digit shares, KL from uniform", s.classes.kl_from_uniform, "nats",
            "all ten digits in near-equal shares (0 = equal; real test: " +
                fmt("%.3f", sc.ceiling.classes.kl_from_uniform) + ")",
            setting});
  T.figure({"self-conditioned DCGAN: G's classifier IS after the last epoch", g_is.empty() ? 0.0 : g_is.back(), "",
            ">= 9.0 (full-setting goal)", setting});
  T.figure({"self-conditioned DCGAN: k-means purity (digit labels)", 100 * purity, "%",
            "", setting});
}

}  // namespace latent::tutorial::ch08
