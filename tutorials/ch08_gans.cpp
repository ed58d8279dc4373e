// Chapter 08 — generative adversarial networks: the seven losses of Lucic et al. 2018 on a ring
// of 8 Gaussians (mode collapse in 2-d), a DCGAN on MNIST epoch by epoch, its samples scored
// (a LeNet "Inception" score and Fréchet distance, SWD, MS-SSIM, the digit histogram) against
// real images, walks and arithmetic in its latent space, a self-conditioned DCGAN (a cGAN on
// k-means clusters, ch08_gans_selfcond.cpp), a conditional GAN, InfoGAN's codes, and (full
// setting) every loss on MNIST. Helpers: ch08_gans_parts.{h,cpp}.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "models/ch08/gan_latent.h"
#include "nn/data.h"
#include "nn/image.h"
#include "nn/plot.h"
#include "tensor/index.h"
#include "tutorials/ch08_gans_parts.h"

namespace latent::tutorial {

namespace {

using namespace latent::tutorial::ch08;
using Clock = std::chrono::steady_clock;

std::string count(int64_t n) { return std::to_string(n); }

std::string loss_names(const std::vector<GanLoss>& losses) {
  std::string names;
  for (GanLoss l : losses) names += (names.empty() ? "" : ", ") + gan_loss_name(l);
  return names;
}

// The data, the metric network, and the ceiling: real test images scored like a generator.
Scorer real_ceiling(Tutorial& T, const Setting& S, const Mnist& data) {
  T.step("Scoring a generator, and the real ceiling",
         "A GAN has no likelihood to report, so its samples are scored. A classifier scores them: the\n"
         "'Inception' score exp(E KL(p(y|x) || p(y))) is high when each image is confidently one digit\n"
         "and all digits occur (at most 10); the Frechet distance compares Gaussians fitted to the\n"
         "classifier's features of real and generated images (0 = the same). Here the classifier is\n"
         "chapter 01's LeNet-5, NOT the Inception-v3 network of the papers: these figures are NOT\n"
         "comparable with published Inception Score or FID values, only with each other. Two scores\n"
         "need no classifier: the sliced Wasserstein distance between 7x7 patches of a Laplacian pyramid\n"
         "(Karras et al. 2018) and the mean MS-SSIM of random pairs, a diversity (lower = more varied).\n"
         "Real test images, scored against the training images exactly as a generator will be, set the ceiling.");
  MetricNetOptions mo;
  mo.log = [&](const std::string& s) { T.say("  " + s); };
  Scorer sc{load_or_train_metric_net(mo), {}, {}, Generator(T.options().seed + 80), {}};
  sc.options.ssim_pairs = S.ssim_pairs;
  const int64_t n_ref = std::min<int64_t>(data.train.size(), 10000);
  sc.reference = prepare_reference(data.train.images.slice(0, 0, n_ref), sc.net, sc.rng, sc.options);
  const Tensor test = data.test.images.slice(0, 0, std::min(S.eval_images, data.test.size()));
  sc.ceiling = sc.score(test);
  const GanScores& real = sc.ceiling;
  T.say("  " + count(real.n) + " real test images vs " + count(n_ref) + " training images:\n" + real.str());
  T.figure({"real test images: classifier IS (LeNet)", real.inception_score, "", "the ceiling (<= 10); not an Inception-v3 figure", S.name});
  T.figure({"real test vs train: Frechet distance (LeNet)", real.frechet_distance, "", "the floor for N = " + count(real.n) + " images", S.name});
  T.figure({"real test images: MS-SSIM diversity", real.ms_ssim.mean, "", "a GAN should match it, not go above", S.name});
  return sc;
}

// One loss's row of the ring table: modes per seed, mean high-quality fraction, seconds in all.
struct RingRow {
  std::vector<int64_t> modes;
  double hq = 0, secs = 0;
  void add(const ModeCoverage& c, double seconds, int64_t seeds) {
    modes.push_back(c.modes_covered);
    hq += c.high_quality / (double)seeds, secs += seconds;
  }
  double mean_modes() const {
    double m = 0;
    for (int64_t k : modes) m += (double)k / (double)modes.size();
    return m;
  }
  std::string line(const std::string& loss, const std::string& note = "") const {
    std::string per_seed;
    for (int64_t m : modes) per_seed += (per_seed.empty() ? "" : ",") + count(m);
    char buf[200];
    std::snprintf(buf, sizeof buf, "  %-8s  %-26s %-23.3f %.1f%s\n", loss.c_str(), per_seed.c_str(), hq, secs, note.c_str());
    return buf;
  }
};

// A row for a variant of one loss's setting (tweak changes it) over the seeds, trained by
// trace_ring as the plain rows are: the same data and evaluation streams, so a row and its
// variant differ only by the tweak.
RingRow ring_row(const Setting& S, GanLoss loss, const std::function<void(RingRun&)>& tweak) {
  RingRow row;
  for (int64_t seed = 0; seed < S.ring_seeds; ++seed) {
    RingRun run = ring_setting(loss, (uint64_t)seed);
    tweak(run);
    const RingTrace r = trace_ring(run, {});
    row.add(r.coverage, r.seconds, S.ring_seeds);
  }
  return row;
}

// The ring toy: NS GAN vs WGAN-GP over training, then every loss's modes.
void ring_toy(Tutorial& T, const Setting& S) {
  T.step("Mode collapse in 2-d: a ring of 8 Gaussians",
         "Eight modes at radius 2, std 0.02 (Metz et al. 2017). The same MLPs for every loss (ring_setting):\n"
         "G 16-128-128-2, D 2-128-128-1, " + count(S.ring_steps) + " D steps of batch 64. A sample is 'high quality'\n"
         "within 3 std of a centre; a mode is covered with >= 20 of 2,500 samples (Lin et al. 2018).\n"
         "Pictures, left to right: before training, then at 1/8, 1/4, 1/2 and all of the steps.\n"
             "Losses here: " + loss_names(S.ring_losses) + ", " + count(S.ring_seeds) + " seed(s) each.");
  const std::vector<int64_t> at = {0, S.ring_steps / 8, S.ring_steps / 4, S.ring_steps / 2, S.ring_steps};
  std::vector<Tensor> finals;
  std::string table = "  loss      modes covered (per seed)   high-quality fraction   seconds\n";
  for (GanLoss loss : S.ring_losses) {
    RingRow row;
    for (int64_t seed = 0; seed < S.ring_seeds; ++seed) {
      RingRun run = ring_setting(loss, (uint64_t)seed);
      run.steps = S.ring_steps;  // the pictures' last panel is the end of training
      const RingTrace tr = trace_ring(run, at);
      row.add(tr.coverage, tr.seconds, S.ring_seeds);
      if (seed > 0) continue;
      finals.push_back(ring_panel(tr.snapshots.back()));
      if (loss != GanLoss::non_saturating && loss != GanLoss::wgan_gp) continue;
      std::vector<Tensor> panels;
      for (const Tensor& s : tr.snapshots) panels.push_back(ring_panel(s));
      const std::string file = "ring_" + gan_loss_name(loss) + "_over_training.png";
      write_panels(T.path(file), panels);
      T.wrote(T.path(file), gan_loss_name(loss) + ": G's samples (blue) and the 8 centres (red) at steps 0 to " +
                                count(S.ring_steps));
      write_png_plot(T.path("ring_" + gan_loss_name(loss) + "_losses.png"), gan_loss_name(loss) + " on the ring",
                     "D step", "loss (mean of 50 steps)",
                     {{"D", steps_axis(tr.d_loss.size()), smoothed(tr.d_loss, 50)},
                      {"G", steps_axis(tr.g_loss.size()), smoothed(tr.g_loss, 50)}});
      T.wrote(T.path("ring_" + gan_loss_name(loss) + "_losses.png"), "its D and G losses over training");
    }
    table += row.line(gan_loss_name(loss));
    T.figure({"ring modes covered, " + gan_loss_name(loss), row.mean_modes(), "of 8", "8 (every loss covers all 8 modes)",
              S.name + ", " + count(S.ring_steps) + " D steps, mean of " + count(S.ring_seeds) + " seeds"});
    T.figure({"ring high-quality fraction, " + gan_loss_name(loss), row.hq, "", "higher is better (1: every sample on a mode)",
              S.name});
  }
  if (S.ring_wgan_long_steps > 0) {
    // The clipped WGAN's critic, with clip 0.01 as for images, stays nearly flat around the 0.02-wide
    // modes at this budget. With a looser clip (0.05), 5x the D steps and the rates decayed to 0,
    // it found all 8 on seeds 0-2 (with train_ring's streams, and again with trace_ring's in the
    // tour of 2026-12-06 17:46); clip 0.1 found 7, 8, 5 and clip 0.01 without decay 0 (docs/08).
    const RingRow row = ring_row(S, GanLoss::wasserstein, [&](RingRun& run) {
      run.train.clip = 0.05, run.steps = S.ring_wgan_long_steps, run.lr_decay = true;
    });
    table += row.line("wgan", "   (clip 0.05, " + count(S.ring_wgan_long_steps) + " D steps, lr decayed to 0)");
    T.figure({"ring modes covered, wgan, clip 0.05, " + count(S.ring_wgan_long_steps) + " D steps", row.mean_modes(), "of 8",
              "8 (every loss covers all 8 modes)", S.name + ", lr decayed to 0, mean of " + count(S.ring_seeds) + " seeds"});
  }
  if (!S.ring_mbstd_losses.empty())
    T.say("  One cure: the minibatch-stddev feature in D (Karras et al. 2018) for " +
          loss_names(S.ring_mbstd_losses) + ", the losses\n  whose G let a mode starve on some seed above.");
  for (GanLoss loss : S.ring_mbstd_losses) {
    // Minibatch stddev (Karras et al. 2018, §3): one more input to D's last layer, the batch's
    // mean standard deviation of D's hidden features. D can then tell a batch by its spread,
    // which a G that has lost modes changes; one number, so it may or may not be enough.
    const RingRow row = ring_row(
        S, loss, [&](RingRun& run) { run.net.minibatch_stddev = true, run.steps = S.ring_steps; });
    table += row.line(gan_loss_name(loss), "   (minibatch stddev in D)");
    T.figure({"ring modes covered, " + gan_loss_name(loss) + ", minibatch stddev", row.mean_modes(), "of 8",
              "8 (every loss covers all 8 modes)",
              S.name + ", " + count(S.ring_steps) + " D steps, mean of " + count(S.ring_seeds) + " seeds"});
  }
  if (!S.ring_mbstd_decay_losses.empty())
    T.say("  Both cures together: minibatch stddev, and both learning rates decayed linearly to 0 over the\n  same " +
          count(S.ring_steps) + " D steps (RingRun::lr_decay), for " + loss_names(S.ring_mbstd_decay_losses) + ".");
  for (GanLoss loss : S.ring_mbstd_decay_losses) {
    // At a constant rate G keeps moving mass from mode to mode (the D it chases moves too), so
    // the budget can end on a step where one mode is starved; shrinking steps let it settle.
    // Alone, the decay cures MM but not NS or LSGAN, and the stddev feature NS and LSGAN but
    // not MM (docs/08).
    const RingRow row = ring_row(S, loss, [&](RingRun& run) {
      run.net.minibatch_stddev = true, run.lr_decay = true, run.steps = S.ring_steps;
    });
    table += row.line(gan_loss_name(loss), "   (minibatch stddev, rates decayed to 0)");
    T.figure({"ring modes covered, " + gan_loss_name(loss) + ", minibatch stddev and rates decayed", row.mean_modes(),
              "of 8", "8 (every loss covers all 8 modes)",
              S.name + ", " + count(S.ring_steps) + " D steps, mean of " + count(S.ring_seeds) + " seeds"});
  }
  if (S.ring_began_bn_steps > 0) {
    // BEGAN's G chases low reconstruction error, and its controller keeps k_t at or near 0 when
    // γ <= 1, so nothing above pushes its fakes apart (docs/08). Batch norm in the autoencoder
    // does: a batch of fakes is normalised by its own statistics, so G feels the batch's spread;
    // γ = 4 lets k_t rise above 0 so that D's fake term can work against overfull modes.
    T.say("  A partial cure for BEGAN: batch norm in its autoencoder, a 2-d code, G at 5x D's rate, gamma = 4,\n"
          "  batches of 128 and the rates decayed to 0 over " + count(S.ring_began_bn_steps) + " D steps (use_began_batch_norm).");
    const RingRow row = ring_row(S, GanLoss::began, [&](RingRun& run) { use_began_batch_norm(run, S.ring_began_bn_steps); });
    table += row.line("began", "   (batch norm in the autoencoder, gamma 4, batch 128, rates decayed)");
    T.figure({"ring modes covered, began, batch norm in the autoencoder", row.mean_modes(), "of 8",
              "8 (every loss covers all 8 modes)",
              S.name + ", " + count(S.ring_began_bn_steps) + " D steps of batch 128, mean of " + count(S.ring_seeds) + " seeds"});
    T.figure({"ring high-quality fraction, began, batch norm in the autoencoder", row.hq, "",
              "higher is better (1: every sample on a mode)", S.name});
  }
  T.say(table);
  T.say("  G is continuous, so a G that covers several modes also puts a few samples on the paths between\n"
        "  them: the high-quality fraction counts those. A collapsed G shows as a low mode count.");
  write_panels(T.path("ring_all_losses.png"), finals);
  T.wrote(T.path("ring_all_losses.png"), "after training (seed 0), left to right: " + loss_names(S.ring_losses));
}

// A row of images for one grid: z [n, D] (and y) through G.
Tensor images_of(GeneratorNet& G, const Tensor& z, const Tensor& y = Tensor()) { return generate_images(G, z, y); }

void latent_walks(Tutorial& T, GanGenerator& G, Scorer& sc) {
  T.step("Walking the latent space, and vector arithmetic",
         "Interpolation along the great circle between two z (slerp, White 2016): the norm of a N(0, I)\n"
         "draw in 100-d is ~10, a straight line's midpoint has ~7, a z G never saw; slerp keeps the norm.\n"
         "Arithmetic (Radford et al. 2016 sec. 6.3): average the z of 3 samples of digit b, subtract the\n"
         "average for the digit a of a sample, add it to that sample's z: the digit should change to b.");
  Generator g(T.options().seed + 81);
  const Tensor ends = sample_latent(G.latent(), 16, g).z;
  std::vector<Tensor> rows;
  for (int64_t r = 0; r < 8; ++r)
    rows.push_back(interpolate_latent(ends.slice(0, 2 * r, 2 * r + 1), ends.slice(0, 2 * r + 1, 2 * r + 2), 10));
  write_sample_grid(T.path("interpolation_slerp.png"), G, concat(rows, 0), Tensor(), 10);
  T.wrote(T.path("interpolation_slerp.png"), "each row: slerp between two random z");
  // Classify 2,000 samples; per digit, the 3 most confident ones' z are that digit's average.
  const Tensor z = sample_latent(G.latent(), 2000, g).z;
  const Tensor probs = sc.net.run(clamp(images_of(G, z), 0, 1)).probs;
  std::vector<std::vector<std::pair<double, int64_t>>> by_digit(10);
  std::vector<int64_t> digit_of(2000);
  for (int64_t i = 0; i < 2000; ++i) {
    int64_t best = 0;
    for (int64_t k = 1; k < 10; ++k)
      if (probs.at({i, k}) > probs.at({i, best})) best = k;
    digit_of[(size_t)i] = best;
    by_digit[(size_t)best].push_back({-probs.at({i, best}), i});
  }
  std::vector<Tensor> mean_z(10);
  for (int64_t b = 0; b < 10; ++b) {
    auto& v = by_digit[(size_t)b];
    std::sort(v.begin(), v.end());
    if (v.empty()) continue;
    std::vector<Tensor> picks;
    for (size_t j = 0; j < std::min<size_t>(3, v.size()); ++j) picks.push_back(z.slice(0, v[j].second, v[j].second + 1));
    mean_z[(size_t)b] = mean(concat(picks, 0), {0}, true);
  }
  // Row 0: 8 source samples; row b + 1: each source's z − z̄(its digit) + z̄(b), with z̄(b) decoded first.
  std::vector<Tensor> tiles = {zeros({1, 1, 28, 28})};  // the top left corner stays black
  std::vector<int64_t> sources;
  for (int64_t i = 0; i < 2000 && sources.size() < 8; ++i)
    if (mean_z[(size_t)digit_of[(size_t)i]].defined()) sources.push_back(i);
  for (int64_t s : sources) tiles.push_back(images_of(G, z.slice(0, s, s + 1)));
  int64_t rows_drawn = 1;
  for (int64_t b = 0; b < 10; ++b) {
    if (!mean_z[(size_t)b].defined()) continue;
    std::vector<Tensor> zs = {mean_z[(size_t)b]};
    for (int64_t s : sources) zs.push_back(z.slice(0, s, s + 1) - mean_z[(size_t)digit_of[(size_t)s]] + mean_z[(size_t)b]);
    tiles.push_back(images_of(G, concat(zs, 0)));
    ++rows_drawn;
  }
  write_image_grid(T.path("vector_arithmetic.png"), concat(tiles, 0), (int64_t)sources.size() + 1);
  T.wrote(T.path("vector_arithmetic.png"), "top row: samples; row b: digit b's average z, then sample - its digit + b (" +
                                               count(rows_drawn - 1) + " digits found)");
}

// The main DCGAN: trained epoch by epoch, scored, then its latent space walked.
void dcgan(Tutorial& T, const Setting& S, const Tensor& X, Scorer& sc, uint64_t seed) {
  MnistGan setup = mnist_setup(GanLoss::non_saturating, S.width, seed + 1);
  setup.net.fc_hidden = S.fc_hidden;
  setup.net.mapping_layers = S.mapping_layers;
  setup.train.lr_d = S.lr, setup.train.lr_g = S.lr_g;
  const std::string fc = S.fc_hidden > 0 ? " -> fully connected " + count(S.fc_hidden) : "";
  const std::string mapping = S.mapping_layers > 0 ? "mapping " + count(S.mapping_layers) + " x " + count(setup.net.mapping_width) : "";
  const std::string map = S.mapping_layers > 0 ? " -> " + mapping : "";
  T.step("A DCGAN on MNIST, epoch by epoch",
         "G: z (100)" + map + fc + " -> 7x7 maps -> 14x14 -> 28x28 by transposed convolutions, batch norm and ReLU, tanh out;\n"
         "D: strided convolutions with LeakyReLU (Radford et al. 2016)" + fc + "; width " + count(S.width) + " feature maps.\n" +
             (S.fc_hidden > 0 ? "The fully connected layers make these InfoGAN's MNIST nets (Chen et al. 2016): one more hidden\n"
                                "layer in each net than the plain DCGAN.\n"
                              : "") +
             (S.mapping_layers > 0 ? "The mapping (Karras et al. 2019) is a small MLP, LeakyReLU, that lets G warp N(0, I) before\n"
                                     "drawing. Their argument: the regions of z that draw each digit can then be pulled apart,\n"
                                     "with little of N(0, I) left between them.\n"
                                   : "") +
             "NS loss, Adam with beta1 0.5 at " + fmt("%g", S.lr) + " for D and " + fmt("%g", S.lr_g) + " for G, batch " +
             count(S.batch) + ". The same 64 z are drawn after every epoch.\n"
             "Beside G, an average of its weights, a <- b a + (1 - b) w after every G step with b = " +
             fmt("%g", S.g_average) + " (Yazici\net al. 2019): the players circle an equilibrium rather than "
             "settle on it, and the average sits nearer\nthe centre. Training goes on with G; only sampling uses the average.");
  Gan gan(setup.net);
  GanGenerator average(setup.net);
  average.load_state_dict(gan.generator->state_dict());
  Generator gz(seed + 2), gbn(seed + 3);
  const Tensor fixed_z = sample_latent(gan.generator->latent(), 64, gz).z;
  auto t0 = Clock::now();
  std::vector<double> epoch_is, epoch_fid, avg_is, avg_fid;
  const GanHistory h = fit(
      T, "DCGAN", *gan.generator, *gan.discriminator, setup.train, X, Tensor(), S.epochs, S.batch,
      [&](const GanEpochLog& e) {
        const std::string file = "dcgan_epoch" + count(e.epoch) + ".png";
        write_sample_grid(T.path(file), *gan.generator, fixed_z, Tensor(), 8);
        Generator same_z = gz;  // the average is scored on the same z as G
        const auto [is, fid] = sc.is_fid(sample_images(*gan.generator, S.eval_images, gz));
        epoch_is.push_back(is), epoch_fid.push_back(fid);
        // The average's batch-norm statistics were never computed with its weights: refresh them.
        refresh_batch_norm(average, gbn);
        const auto [ais, afid] = sc.is_fid(sample_images(average, S.eval_images, same_z));
        avg_is.push_back(ais), avg_fid.push_back(afid);
        T.say("    " + T.path(file) + ": IS " + fmt("%.2f", is) + ", Frechet " + fmt("%.1f", fid) +
              "; the weight average: IS " + fmt("%.2f", ais) + ", Frechet " + fmt("%.1f", afid));
      },
      [&](int64_t, const GanStepStats& st) {
        if (st.g_step) update_average(average, *gan.generator, S.g_average);
      });
  const double dcgan_secs = seconds_since(t0);
  T.say("  " + count(S.epochs) + " epochs in " + fmt("%.0f s", dcgan_secs));
  const std::string net = "width " + count(S.width) + (S.fc_hidden > 0 ? ", fully connected " + count(S.fc_hidden) : "") +
                          (S.mapping_layers > 0 ? ", " + mapping : "");
  T.figure({"DCGAN seconds per epoch", dcgan_secs / (double)S.epochs, "s",
            "PyTorch, the plain DCGAN (no fully connected layers, width 64, full MNIST, training only): 124 at 2 threads "
            "(bench/run_dcgan_race.sh)",
            S.name + ", " + net + ", incl. the per-epoch scoring"});
  std::vector<double> d, g, x_epochs;
  for (const GanStepStats& st : h.steps) d.push_back(st.d_loss), g.push_back(st.g_loss);
  write_png_plot(T.path("dcgan_losses.png"), "DCGAN losses", "step", "loss (mean of 20 steps)",
                 {{"D", steps_axis(d.size()), smoothed(d, 20)}, {"G", steps_axis(g.size()), smoothed(g, 20)}});
  T.wrote(T.path("dcgan_losses.png"), "D's and G's losses per step: they do not fall together, a game has no single objective");
  for (size_t e = 0; e < epoch_is.size(); ++e) x_epochs.push_back((double)e + 1);
  write_png_plot(T.path("dcgan_scores.png"), "DCGAN: classifier IS per epoch", "epoch", "IS (LeNet)",
                 {{"G", x_epochs, epoch_is}, {"G's weight average", x_epochs, avg_is}});
  T.wrote(T.path("dcgan_scores.png"), "the classifier IS after each epoch, of G and of its weight average");
  write_png_plot(T.path("dcgan_frechet.png"), "DCGAN: Frechet distance (LeNet) per epoch", "epoch", "Frechet distance",
                 {{"G", x_epochs, epoch_fid},
                  {"G's weight average", x_epochs, avg_fid},
                  {"real test", x_epochs, std::vector<double>(x_epochs.size(), sc.ceiling.frechet_distance)}});
  T.wrote(T.path("dcgan_frechet.png"), "the Frechet distance after each epoch, of G and of its average, and the real test images' floor");
  write_sample_grid(T.path("dcgan_average.png"), average, fixed_z, Tensor(), 8);
  T.wrote(T.path("dcgan_average.png"), "the weight average's samples for the same 64 z as dcgan_epoch" + count(S.epochs) + ".png");

  T.step("The DCGAN's samples, scored",
         "The same metrics as for the real test images above, on as many samples. Each has a sampling\n"
         "floor: real test images are not at 0 from the training images either, so a generator's SWD or\n"
         "MS-SSIM within the real pair's is as good as real by that measure; LeNet's IS and Frechet\n"
         "distance separate the two far more clearly.");
  t0 = Clock::now();
  Generator same_z = gz;  // the average is scored on the same z as G
  const GanScores s = sc.score(sample_images(*gan.generator, S.eval_images, gz));
  T.say(s.str() + "\n  (" + fmt("%.0f s", seconds_since(t0)) + ")");
  T.figure({"DCGAN classifier IS (LeNet)", s.inception_score, "", ">= 9.0 (full-setting goal; not an Inception-v3 figure)",
            S.name + ", " + net + ", " + count(S.epochs) + " epochs"});
  T.figure({"DCGAN Frechet distance (LeNet)", s.frechet_distance, "", "real test vs train: " + fmt("%.1f", sc.ceiling.frechet_distance), S.name});
  T.figure({"DCGAN digits present (LeNet)", (double)s.classes.classes_present, "of 10", "10", S.name});
  T.figure({"DCGAN digit shares: KL from uniform", s.classes.kl_from_uniform, "nats",
            "all ten digits in near-equal shares (0 = equal; real test: " + fmt("%.3f", sc.ceiling.classes.kl_from_uniform) + ")",
            S.name});
  T.figure({"DCGAN SWD x1e3 (average)", s.swd.average, "", "real test vs train: " + fmt("%.1f", sc.ceiling.swd.average), S.name});
  T.figure({"DCGAN MS-SSIM diversity", s.ms_ssim.mean, "", "real test: " + fmt("%.3f", sc.ceiling.ms_ssim.mean), S.name});
  t0 = Clock::now();
  const GanScores a = sc.score(sample_images(average, S.eval_images, same_z));
  T.say("  G's weight average (b = " + fmt("%g", S.g_average) + "):\n" + a.str() + "\n  (" +
        fmt("%.0f s", seconds_since(t0)) + ")");
  const std::string avg_setting = S.name + ", " + net + ", " + count(S.epochs) + " epochs, b = " + fmt("%g", S.g_average);
  T.figure({"DCGAN weight average: classifier IS (LeNet)", a.inception_score, "",
            ">= 9.0 (full-setting goal; not an Inception-v3 figure)", avg_setting});
  T.figure({"DCGAN weight average: Frechet distance (LeNet)", a.frechet_distance, "",
            "real test vs train: " + fmt("%.1f", sc.ceiling.frechet_distance), avg_setting});
  T.figure({"DCGAN weight average: digit shares, KL from uniform", a.classes.kl_from_uniform, "nats",
            "all ten digits in near-equal shares (0 = equal)", avg_setting});
  between_digits(T, S, average, sc, avg_setting, seed);

  t0 = Clock::now();
  latent_walks(T, *gan.generator, sc);
  T.say("  (" + fmt("%.0f s", seconds_since(t0)) + ")");
}

}  // namespace

void run_chapter08(Tutorial& T) {
  const Setting S = setting_for(T.quick());
  const uint64_t seed = T.options().seed;
  T.step("The data", "MNIST scaled to [-1, 1], to match G's tanh output (Radford et al. 2016).");
  const Mnist data = S.full_mnist ? load_mnist("", /*allow_embedded=*/false) : load_mnist_embedded();
  T.say(data.source);
  const Tensor X = to_pm1(data.train.images);
  auto t0 = Clock::now();
  Scorer sc = real_ceiling(T, S, data);
  T.say("  (" + fmt("%.0f s", seconds_since(t0)) + ")");

  if (T.runs_part("ring")) {
    t0 = Clock::now();
    ring_toy(T, S);
    T.say("  the ring toy took " + fmt("%.0f s", seconds_since(t0)));
  }
  if (T.runs_part("dcgan")) dcgan(T, S, X, sc, seed);
  if (T.runs_part("selfcond") && S.selfcond_clusters > 0)
    self_conditioned(T, S, X, data.train.images, data.train.labels, sc);
  if (T.runs_part("side")) conditional_and_infogan(T, S, X, data.train.labels, sc);
  if (T.runs_part("table") && !S.table_losses.empty()) loss_table(T, S, X, sc);
  if (T.runs_part("cycle")) cycle_gan(T, S, X, data.test.images);
  if (T.runs_part("vaegan")) vae_gan(T, S, X, data.test.images, sc);
}

}  // namespace latent::tutorial
