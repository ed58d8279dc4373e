// Chapter 08's tutorial, the helpers: see ch08_gans_parts.h.
#include "tutorials/ch08_gans_parts.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "models/ch03/scatter_image.h"
#include "models/ch08/gan_latent.h"
#include "models/ch08/gan_tricks.h"
#include "nn/image.h"
#include "tensor/index.h"
#include "tensor/random.h"

namespace latent::tutorial::ch08 {

Setting setting_for(bool quick) {
  Setting s;
  if (quick) {
    s.name = "quick: embedded 2,000 train / 500 test";
    s.ring_losses = {GanLoss::non_saturating, GanLoss::wgan_gp};
    s.ring_steps = 5000, s.ring_seeds = 1;
    s.ring_mbstd_losses = {GanLoss::non_saturating};
    s.ring_mbstd_decay_losses = {GanLoss::non_saturating};
    s.width = 32, s.epochs = 10, s.batch = 32, s.lr = s.lr_g = 5e-4;
    s.g_average = 0.99;  // 620 G steps in all: average over about the last 100
    s.eval_images = 500, s.ssim_pairs = 1000;
    s.side_epochs = 8;
    s.selfcond_clusters = 20, s.selfcond_epochs = 10;
    return s;  // no MNIST loss table (hours); ~130 s of CPU on one thread in all (selfcond ~60 s)
  }
  // Full: InfoGAN's MNIST nets (the DCGAN of Radford et al., width 64, with a 1,024-unit fully
  // connected layer in each net) for 10 epochs, G at 1e-3. Ours with the PyTorch peer's plain net
  // reached IS 6.3 after 5 epochs at 2e-4, and 6.9 after 10 at 5e-4 (docs/08). The loss table on a half-width plain DCGAN,
  // 5 epochs (4,685 D steps) and 3 seeds per loss.
  s.name = "full: 60,000 train / 10,000 test";
  s.full_mnist = true;
  s.ring_losses = all_gan_losses();
  s.ring_steps = 20000, s.ring_seeds = 3;  // 10,000 left one mode out on some seeds (docs/08)
  s.ring_wgan_long_steps = 100000;
  s.ring_mbstd_losses = {GanLoss::minimax, GanLoss::non_saturating, GanLoss::least_squares};
  s.ring_mbstd_decay_losses = {GanLoss::minimax, GanLoss::non_saturating, GanLoss::least_squares};
  s.ring_began_bn_steps = 30000;
  s.width = 64, s.epochs = 10, s.batch = 64;
  s.fc_hidden = 1024, s.lr = 2e-4, s.lr_g = 1e-3;
  s.mapping_layers = 4;  // its weight average reached IS 9.36 after 3 epochs in a probe, against 8.72 without (docs/08)
  s.eval_images = 10000, s.ssim_pairs = 10000;
  s.side_epochs = 5;
  s.selfcond_clusters = 100, s.selfcond_epochs = 10;  // the main DCGAN's budget
  s.table_losses = all_gan_losses();
  s.table_width = 32, s.table_epochs = 5, s.table_seeds = 3;
  s.cycle_width = 32, s.cycle_steps = 3000, s.cycle_batch = 64;
  s.vaegan_width = 32, s.vaegan_latent = 32, s.vaegan_epochs = 5, s.vaegan_batch = 64;
  return s;
}

RingTrace trace_ring(const RingRun& run, const std::vector<int64_t>& at) {
  const auto t0 = std::chrono::steady_clock::now();
  GanGenerator G(run.net);
  GanDiscriminator D(run.net);
  GanTrainer trainer(G, D, run.train);
  Generator data_rng(run.train.seed + 11), eval_rng(run.train.seed + 12);
  RingTrace tr;
  auto samples = [&](int64_t n) {
    NoGradGuard ng;
    return G.generate(Var(sample_latent(G.latent(), n, eval_rng).z)).data();
  };
  for (int64_t s = 0; s <= run.steps; ++s) {
    for (int64_t a : at)
      if (a == s) tr.at.push_back(s), tr.snapshots.push_back(samples(1000));
    if (s == run.steps) break;
    set_ring_rates(trainer, run, s);
    const GanStepStats st = trainer.step(sample_ring(run.batch_size, data_rng, run.ring));
    tr.d_loss.push_back(st.d_loss);
    tr.g_loss.push_back(st.g_loss);
  }
  tr.coverage = mode_coverage(samples(run.eval_samples), run.ring);
  tr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return tr;
}

Tensor ring_panel(const Tensor& samples, int64_t size) {
  // The view is fixed by two corner points, so every panel has the same scale.
  ScatterImage img(from_vector({-3, -3, 3, 3}, {2, 2}), size, 0.0);
  const Tensor inside = samples.to(DType::f64);
  Tensor colours({samples.size(0), 3}, DType::f32);
  const Rgb blue = palette(0);
  for (int64_t i = 0; i < samples.size(0); ++i)
    for (int64_t c = 0; c < 3; ++c) colours.set({i, c}, blue[(size_t)c]);
  const Tensor centres = ring_centers();  // drawn first, so the samples on them stay visible
  for (int64_t k = 0; k < centres.size(0); ++k) img.marker(centres.at({k, 0}), centres.at({k, 1}), palette(3), 4);
  img.points(inside, colours, 1.2);
  return img.pixels();
}

void write_panels(const std::string& path, const std::vector<Tensor>& panels) {
  std::vector<Tensor> row;
  for (size_t i = 0; i < panels.size(); ++i) {
    if (i > 0) row.push_back(full({3, panels[i].size(1), 3}, 0.6));
    row.push_back(panels[i]);
  }
  write_png(path, concat(row, 2));
}

// Per loss, what its paper prescribes (BEGAN: plus batch norm in D and G at 5x D's rate, which its
// collapse needed); everything else (nets, batch 64, epochs) is shared.
MnistGan mnist_setup(GanLoss loss, int64_t width, uint64_t seed) {
  MnistGan m;
  m.net.g_width = m.net.d_width = width;
  m.net.seed = seed;
  GanTrainConfig& t = m.train;  // default: Adam 2e-4, β1 0.5 (Radford et al.) — MM, NS, LSGAN
  t.loss = loss;
  t.seed = seed;
  switch (loss) {
    case GanLoss::wasserstein:  // Arjovsky et al. 2017, algorithm 1: RMSProp 5e-5, 5 critic steps, clip 0.01
      t.optimizer = GanOptimizer::rmsprop, t.lr_d = t.lr_g = 5e-5, t.n_critic = 5;
      break;
    case GanLoss::wgan_gp:  // Gulrajani et al. 2017 (their MNIST code): Adam 1e-4 (0.5, 0.9), 5 critic steps,
      // λ = 10, and no batch norm in the critic (the penalty is per example, §4)
      t.lr_d = t.lr_g = 1e-4, t.beta2 = 0.9, t.n_critic = 5, t.gp_weight = 10;
      m.net.d_batch_norm = false;
      break;
    case GanLoss::dragan:  // Kodali et al. 2017: λ = 10, c = 0.5; a per-example penalty again, so no batch norm in D
      t.gp_weight = 10, m.net.d_batch_norm = false;
      break;
    case GanLoss::began:  // Berthelot et al. 2017: an autoencoder D, Adam 1e-4, γ = 0.5, λ_k = 0.001
      // Batch norm in the autoencoder (encoder and decoder; reals and fakes are normalised apart)
      // and G at 5x D's rate, as a widely used MNIST BEGAN (hwalsuklee's): a collapsing batch
      // of fakes is rescaled inside D, so D sees how they differ. With either alone, G collapsed
      // onto one or two digits within the first epoch (docs/08).
      m.net.autoencoder = true, m.net.d_batch_norm = true;
      t.lr_d = 1e-4, t.lr_g = 5e-4;
      break;
    default:
      break;
  }
  return m;
}

GanScores Scorer::score(const Tensor& images01) { return evaluate_images(images01, net, reference, rng, options); }

std::pair<double, double> Scorer::is_fid(const Tensor& images01) {
  const MetricNet::Outputs o = net.run(images01);
  return {inception_score(o.probs), frechet_distance(fit_gaussian(o.features), reference.features)};
}

GanHistory fit(Tutorial& T, const std::string& label, GeneratorNet& G, DiscriminatorNet& D, const GanTrainConfig& cfg,
               const Tensor& x, const Tensor& y, int64_t epochs, int64_t batch,
               const std::function<void(const GanEpochLog&)>& on_epoch,
               const std::function<void(int64_t, const GanStepStats&)>& on_step) {
  GanTrainer trainer(G, D, cfg);
  GanFitOptions o;
  o.epochs = epochs, o.batch_size = batch, o.seed = cfg.seed;
  o.on_step = on_step;
  o.on_epoch = [&](const GanEpochLog& e) {
    T.say("  " + label + " epoch " + std::to_string(e.epoch) + ": D loss " + fmt("%.3f", e.d_loss) + ", G loss " +
          fmt("%.3f", e.g_loss) + ", " + fmt("%.0f s", e.seconds));
    if (on_epoch) on_epoch(e);
  };
  return train_gan(trainer, x, y, o);
}

std::vector<int64_t> predicted_digits(const Tensor& probs) {
  std::vector<int64_t> out((size_t)probs.size(0));
  for (int64_t i = 0; i < probs.size(0); ++i)
    for (int64_t k = 1; k < probs.size(1); ++k)
      if (probs.at({i, k}) > probs.at({i, out[(size_t)i]})) out[(size_t)i] = k;
  return out;
}

namespace {

// n copies of each row of `rows` [r, D], row-major: [r·n, D].
Tensor repeat_rows(const Tensor& rows, int64_t n) {
  std::vector<Tensor> parts;
  for (int64_t r = 0; r < rows.size(0); ++r)
    for (int64_t j = 0; j < n; ++j) parts.push_back(rows.slice(0, r, r + 1));
  return concat(parts, 0);
}

}  // namespace

void conditional_and_infogan(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& labels, Scorer& sc) {
  const uint64_t seed = T.options().seed;
  T.step("A conditional GAN: asking for a digit",
         "The label enters both nets (Mirza & Osindero 2014): G gets one_hot(y) after z, D sees it as ten\n"
         "constant feature maps beside the image. LeNet then checks that G drew the digit it was asked for.");
  MnistGan cg = mnist_setup(GanLoss::non_saturating, S.width, seed + 20);
  cg.net.latent.classes = 10;
  cg.train.lr_d = cg.train.lr_g = S.lr;
  Gan cgan(cg.net);
  auto t0 = std::chrono::steady_clock::now();
  fit(T, "cGAN", *cgan.generator, *cgan.discriminator, cg.train, x, labels, S.side_epochs, S.batch);
  Generator g(seed + 21);
  std::vector<int64_t> digits(100), rows(100);  // a 10x10 grid's column and row of cell i
  for (int64_t i = 0; i < 100; ++i) digits[(size_t)i] = i % 10, rows[(size_t)i] = i / 10;
  const Tensor z10 = sample_latent(cgan.generator->latent(), 10, g).z;
  write_sample_grid(T.path("cgan_digits.png"), *cgan.generator, repeat_rows(z10, 10), from_vector_i(digits, {100}), 10);
  T.wrote(T.path("cgan_digits.png"), "row: one z; column: the digit 0..9 asked for");
  std::vector<int64_t> asked((size_t)S.eval_images);
  for (int64_t i = 0; i < S.eval_images; ++i) asked[(size_t)i] = i % 10;
  const Tensor imgs = sample_images(*cgan.generator, S.eval_images, g, from_vector_i(asked, {S.eval_images}));
  const std::vector<int64_t> got = predicted_digits(sc.net.run(imgs).probs);
  double agree = 0;
  for (size_t i = 0; i < got.size(); ++i) agree += got[i] == asked[i] ? 1.0 / (double)got.size() : 0.0;
  const auto [is, fid] = sc.is_fid(imgs);
  T.say("  LeNet reads the digit asked for in " + fmt("%.1f %%", 100 * agree) + " of " + std::to_string(S.eval_images) +
        " samples; IS " + fmt("%.2f", is) + ", Frechet " + fmt("%.1f", fid) + " (" +
        fmt("%.0f s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + ")");
  T.figure({"cGAN: LeNet agrees with the digit asked for", 100 * agree, "%", "near LeNet's own test accuracy",
            S.name + ", " + std::to_string(S.side_epochs) + " epochs"});

  T.step("InfoGAN: codes that G must make visible",
         "No labels. G's input is [z (62), c]: one 10-valued categorical code and 2 continuous codes in [-1, 1]\n"
         "(Chen et al. 2016). A head Q on D's features predicts c from G(z, c); its cross-entropy bounds the\n"
         "mutual information I(c; G(z, c)) from below, so G must draw c recognisably. Nothing says the\n"
         "natural 10-way split is the digit; LeNet measures how far the categorical code found it.\n"
         "Adam 2e-4 for D and 1e-3 for G, Chen et al.'s rates for MNIST.");
  MnistGan ig = mnist_setup(GanLoss::non_saturating, S.width, seed + 30);
  ig.net.latent.noise = 62, ig.net.latent.categorical = 10, ig.net.latent.continuous = 2;
  ig.net.fc_hidden = S.fc_hidden;               // their nets in the full run: Q on D's 1,024 features
  ig.train.lr_d = 2e-4, ig.train.lr_g = 1e-3;  // Chen et al.'s MNIST rates (appendix C.1): G learns faster
  Gan info(ig.net);
  GanGenerator average(ig.net);  // G's weight average, as for the DCGAN
  average.load_state_dict(info.generator->state_dict());
  Generator gbn(seed + 31);
  t0 = std::chrono::steady_clock::now();
  fit(
      T, "InfoGAN", *info.generator, *info.discriminator, ig.train, x, Tensor(), S.side_epochs, S.batch,
      [&](const GanEpochLog&) {
        Generator same_z = g;
        const auto [is, fid] = sc.is_fid(sample_images(*info.generator, S.eval_images, g));
        refresh_batch_norm(average, gbn);
        const auto [ais, afid] = sc.is_fid(sample_images(average, S.eval_images, same_z));
        T.say("    IS " + fmt("%.2f", is) + ", Frechet " + fmt("%.1f", fid) + "; the weight average: IS " +
              fmt("%.2f", ais) + ", Frechet " + fmt("%.1f", afid));
      },
      [&](int64_t, const GanStepStats& st) {
        if (st.g_step) update_average(average, *info.generator, S.g_average);
      });
  const LatentSpec spec = ig.net.latent;
  const Tensor noise10 = normal({10, spec.noise}, 0, 1, DType::f32, &g);
  write_sample_grid(T.path("infogan_categorical.png"), *info.generator,
                    make_latent(spec, repeat_rows(noise10, 10), from_vector_i(digits, {100}), zeros({100, 2})), Tensor(), 10);
  T.wrote(T.path("infogan_categorical.png"), "row: one z; column: the categorical code 0..9 (continuous codes 0)");
  for (int64_t j = 0; j < spec.continuous; ++j) {
    Tensor cont = zeros({100, spec.continuous});
    for (int64_t i = 0; i < 100; ++i) cont.set({i, j}, -2.0 + 4.0 * (double)(i % 10) / 9.0);
    const std::string file = "infogan_continuous" + std::to_string(j + 1) + ".png";
    write_sample_grid(T.path(file), *info.generator,
                      make_latent(spec, repeat_rows(noise10.slice(0, 0, 1), 100), from_vector_i(rows, {100}), cont),
                      Tensor(), 10);
    T.wrote(T.path(file), "row: categorical code 0..9, one z; column: continuous code " + std::to_string(j + 1) +
                              " from -2 to 2 (trained on [-1, 1])");
  }
  // Purity: each code value's samples, read by LeNet; the share of its most frequent digit.
  const int64_t per = std::max<int64_t>(S.eval_images / 10, 10);
  std::vector<int64_t> majority;
  double purity = 0;
  for (int64_t k = 0; k < 10; ++k) {
    const Tensor z = make_latent(spec, normal({per, spec.noise}, 0, 1, DType::f32, &g), full({per}, (double)k, DType::i64),
                                 uniform({per, spec.continuous}, -1, 1, DType::f32, &g));
    std::vector<int64_t> hist(10, 0);
    for (int64_t d : predicted_digits(sc.net.run(clamp(generate_images(*info.generator, z), 0, 1)).probs)) ++hist[(size_t)d];
    const auto top = std::max_element(hist.begin(), hist.end());
    majority.push_back(top - hist.begin());
    purity += (double)*top / (double)(10 * per);
  }
  std::string map;
  for (int64_t k = 0; k < 10; ++k) map += " " + std::to_string(k) + "->" + std::to_string(majority[(size_t)k]);
  std::sort(majority.begin(), majority.end());
  const int64_t distinct = std::unique(majority.begin(), majority.end()) - majority.begin();
  T.say("  code -> LeNet's majority digit:" + map + "; purity " + fmt("%.1f %%", 100 * purity) + ", " +
        std::to_string(distinct) + " distinct digits (" +
        fmt("%.0f s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + ")");
  T.figure({"InfoGAN: purity of the categorical code (LeNet's digits)", 100 * purity, "%",
            "95 (Chen et al. 2016: 5 % error classifying MNIST by c)", S.name + ", " + std::to_string(S.side_epochs) + " epochs"});
  T.figure({"InfoGAN: distinct digits among the 10 code values", (double)distinct, "", "10", S.name});

  // The same scores as the DCGAN's, codes drawn as in training. The plain DCGAN's G maps one
  // connected Gaussian onto ten separate digits, so some samples fall between them; here the
  // categorical code gives G ten separate pieces of input to map them from.
  Generator same_z = g;
  const GanScores s = sc.score(sample_images(*info.generator, S.eval_images, g));
  const GanScores a = sc.score(sample_images(average, S.eval_images, same_z));
  T.say("  InfoGAN's samples, codes drawn as in training:\n" + s.str() + "\n  G's weight average (b = " +
        fmt("%g", S.g_average) + "):\n" + a.str());
  const std::string set = S.name + ", " + std::to_string(S.side_epochs) + " epochs";
  for (const auto& [who, sco] : {std::pair<std::string, const GanScores&>{"InfoGAN", s}, {"InfoGAN weight average", a}}) {
    T.figure({who + ": classifier IS (LeNet)", sco.inception_score, "",
              ">= 9.0 (the DCGAN goal; real test: " + fmt("%.2f", sc.ceiling.inception_score) + ")", set});
    T.figure({who + ": Frechet distance (LeNet)", sco.frechet_distance, "",
              "real test vs train: " + fmt("%.1f", sc.ceiling.frechet_distance), set});
    T.figure({who + ": digit shares, KL from uniform", sco.classes.kl_from_uniform, "nats",
              "all ten digits in near-equal shares (0 = equal)", set});
  }
}

void loss_table(Tutorial& T, const Setting& S, const Tensor& x, Scorer& sc) {
  const uint64_t seed = T.options().seed;
  T.step("Seven losses on MNIST (Lucic et al. 2018)",
         "The same DCGAN (width " + std::to_string(S.table_width) + ") and the same number of D steps (" +
             std::to_string(S.table_epochs) + " epochs) for every loss, each with its own paper's optimiser\n"
             "(mnist_setup; BEGAN with batch norm in its autoencoder and G at 5x D's rate, docs/08), " +
             std::to_string(S.table_seeds) + " seeds.\nLucic et al. found that with enough "
             "hyperparameter search no loss wins consistently; their best FIDs are\nInception-feature values: "
             "compare the ranking and the spread, not the numbers.");
  const std::map<GanLoss, double> lucic = {{GanLoss::minimax, 9.8},       {GanLoss::non_saturating, 6.8},
                                           {GanLoss::least_squares, 7.8}, {GanLoss::wasserstein, 6.7},
                                           {GanLoss::wgan_gp, 20.3},      {GanLoss::dragan, 7.6},
                                           {GanLoss::began, 13.1}};
  std::string table = "  loss      Frechet best   mean     IS mean   diverged   seconds\n";
  for (GanLoss loss : S.table_losses) {
    const auto t0 = std::chrono::steady_clock::now();
    double best = INFINITY, sum_fid = 0, sum_is = 0;
    int64_t ok = 0, diverged = 0;
    for (int64_t s = 0; s < S.table_seeds; ++s) {
      const MnistGan m = mnist_setup(loss, S.table_width, seed + 100 + (uint64_t)s);
      Gan gan(m.net);
      try {
        fit(T, gan_loss_name(loss) + " seed " + std::to_string(s), *gan.generator, *gan.discriminator, m.train, x,
            Tensor(), S.table_epochs, S.batch);
      } catch (const Error& e) {  // a diverged run counts, as in Lucic et al.
        T.say("  " + gan_loss_name(loss) + " seed " + std::to_string(s) + ": " + e.what());
        ++diverged;
        continue;
      }
      Generator g(seed + 200 + (uint64_t)s);
      const auto [is, fid] = sc.is_fid(sample_images(*gan.generator, S.eval_images, g));
      best = std::min(best, fid), sum_fid += fid, sum_is += is, ++ok;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char line[160];
    std::snprintf(line, sizeof line, "  %-8s  %-14.2f %-8.2f %-9.2f %-10lld %.0f\n", gan_loss_name(loss).c_str(), best,
                  ok ? sum_fid / (double)ok : NAN, ok ? sum_is / (double)ok : NAN, (long long)diverged, secs);
    table += line;
    T.figure({"MNIST Frechet distance (LeNet), best of seeds, " + gan_loss_name(loss), best, "",
              fmt("%.1f", lucic.at(loss)) + " (Lucic et al. 2018 best FID, Inception features: rank only)",
              S.name + ", DCGAN width " + std::to_string(S.table_width) + ", " + std::to_string(S.table_epochs) +
                  " epochs, " + std::to_string(S.table_seeds) + " seeds"});
  }
  T.say(table);
}

std::vector<double> steps_axis(size_t n) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = (double)(i + 1);
  return x;
}

std::vector<double> smoothed(const std::vector<double>& v, size_t window) {
  std::vector<double> out(v.size(), std::nan(""));
  double sum = 0;
  size_t count = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isfinite(v[i])) sum += v[i], ++count;
    if (i >= window && std::isfinite(v[i - window])) sum -= v[i - window], --count;
    if (count > 0) out[i] = sum / (double)count;
  }
  return out;
}

}  // namespace latent::tutorial::ch08
