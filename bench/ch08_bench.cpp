// latent bench — chapter 08: GANs.
//
// Usage:
//   ch08_bench step [THREADS]            one DCGAN training step (D + G) of models/ch08's GanTrainer,
//                                        batch 64, the DCGAN of bench/train_bench.cpp (dcgan_mnist_b64,
//                                        its PyTorch peer's workload): median of 20 after 3 warm-up steps.
//                                        Prints "dcgan_trainer_b64 threads=N X ms/step".
//   ch08_bench ring [SEEDS] [STEPS]      every loss on the ring of 8 Gaussians in ring_setting (ring_toy.h):
//                                        modes covered, high-quality fraction, seconds, per seed.
//   ch08_bench mnist THREADS EPOCHS OUT  the default DCGAN (NS loss, Adam 2e-4, β1 0.5, batch 64) on the
//                                        full MNIST ($LATENT_DATA or data/mnist), scaled to [−1, 1]; writes
//                                        OUT/step_<k>.png (64 samples of one fixed z) every 200 steps and
//                                        prints a line per epoch (seconds, mean D and G losses).
//   ch08_bench race THREADS EPOCHS OUT [LR] [FC] [LR_G]
//                                        ours in the DCGAN race (bench/run_dcgan_race.sh): the DCGAN of `step`
//                                        on the full MNIST; after every epoch OUT/latent_epoch<k>.npy holds
//                                        10,000 samples in [0, 1] (fresh z, G in eval mode) and a line gives
//                                        the cumulative training seconds (sampling excluded). LR: both
//                                        players' rate (2e-4); FC > 0: InfoGAN's MNIST nets (fc_hidden);
//                                        LR_G: G's rate if given.
//   ch08_bench score FILE.npy ...        LeNet IS, Fréchet distance to 10,000 training images and the digit
//                                        shares of each file of [N, 1, 28, 28] images in [0, 1] (ours or the
//                                        PyTorch peer's, bench/torch_dcgan.py): one judge for both.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "models/ch08/gan_metrics.h"
#include "models/ch08/gan_train.h"
#include "models/ch08/ring_toy.h"
#include "nn/data.h"
#include "nn/npy.h"
#include "tensor/index.h"

using namespace latent;
using namespace latent::models;

namespace {

int step_bench(int threads) {
  set_num_threads(threads);
  manual_seed(0);
  Gan gan(GanNetConfig{});
  GanTrainer trainer(*gan.generator, *gan.discriminator, GanTrainConfig{});
  const Tensor real = uniform({64, 1, 28, 28}, -1, 1);
  std::vector<double> ms;
  for (int i = 0; i < 23; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    trainer.step(real);
    if (i >= 3) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("dcgan_trainer_b64 threads=%d %.2f ms/step\n", threads, ms[ms.size() / 2]);
  return 0;
}

int ring_bench(int seeds, int64_t steps) {
  set_num_threads(1);
  for (GanLoss loss : all_gan_losses())
    for (int s = 0; s < seeds; ++s) {
      RingRun run = ring_setting(loss, (uint64_t)s);
      if (steps > 0) run.steps = steps;
      const RingResult r = train_ring(run);
      std::printf("ring loss=%s seed=%d steps=%lld modes=%lld high_quality=%.3f seconds=%.1f counts=", gan_loss_name(loss).c_str(),
                  s, (long long)run.steps, (long long)r.coverage.modes_covered, r.coverage.high_quality, r.seconds);
      for (size_t k = 0; k < r.coverage.counts.size(); ++k)
        std::printf("%s%lld", k ? "," : "", (long long)r.coverage.counts[k]);
      std::printf("\n");
      std::fflush(stdout);
    }
  return 0;
}

int mnist_bench(int threads, int64_t epochs, const std::string& out) {
  set_num_threads(threads);
  Mnist mn = load_mnist("", /*allow_embedded=*/false);
  std::fprintf(stderr, "%s\n", mn.source.c_str());
  std::filesystem::create_directories(out);
  Gan gan(GanNetConfig{});
  GanTrainer trainer(*gan.generator, *gan.discriminator, GanTrainConfig{});
  Generator g(123);
  const Tensor fixed_z = sample_latent(gan.generator->latent(), 64, g).z;
  const auto t0 = std::chrono::steady_clock::now();
  GanFitOptions o;
  o.epochs = epochs, o.batch_size = 64, o.seed = 1;
  o.on_step = [&](int64_t step, const GanStepStats&) {
    if ((step + 1) % 200 == 0) {
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::string path = out + "/step_" + std::to_string(step + 1) + ".png";
      write_sample_grid(path, *gan.generator, fixed_z, Tensor(), 8);
      std::printf("grid step=%lld seconds=%.0f %s\n", (long long)(step + 1), sec, path.c_str());
      std::fflush(stdout);
    }
  };
  o.on_epoch = [&](const GanEpochLog& e) {
    std::printf("workload=dcgan_mnist_epoch threads=%d epoch=%lld seconds=%.1f d_loss=%.4f g_loss=%.4f\n", threads,
                (long long)e.epoch, e.seconds, e.d_loss, e.g_loss);
    std::fflush(stdout);
  };
  train_gan(trainer, to_pm1(mn.train.images), Tensor(), o);
  return 0;
}

int race_bench(int threads, int64_t epochs, const std::string& out, double lr, int64_t fc, double lr_g) {
  set_num_threads(threads);
  Mnist mn = load_mnist("", /*allow_embedded=*/false);
  std::filesystem::create_directories(out);
  GanNetConfig nc;  // the peer's DCGAN, or with fc > 0 InfoGAN's MNIST nets
  nc.fc_hidden = fc;
  Gan gan(nc);
  GanTrainConfig tc;  // NS, Adam 2e-4 (0.5, 0.999), as the peer; the rates may be changed
  tc.lr_d = lr, tc.lr_g = lr_g;
  GanTrainer trainer(*gan.generator, *gan.discriminator, tc);
  Generator gz(7);
  double train_seconds = 0;
  GanFitOptions o;
  o.epochs = epochs, o.batch_size = 64, o.seed = 1;
  o.on_epoch = [&](const GanEpochLog& e) {
    train_seconds += e.seconds;  // the epoch's steps only: the sampling below is not timed
    const std::string path = out + "/latent_epoch" + std::to_string(e.epoch) + ".npy";
    save_npy(path, sample_images(*gan.generator, 10000, gz));
    std::printf("latent_dcgan threads=%d lr=%g lr_g=%g fc=%lld epoch=%lld train_seconds=%.1f d_loss=%.4f g_loss=%.4f file=%s\n",
                threads, lr, lr_g, (long long)fc, (long long)e.epoch, train_seconds, e.d_loss, e.g_loss, path.c_str());
    std::fflush(stdout);
  };
  train_gan(trainer, to_pm1(mn.train.images), Tensor(), o);
  return 0;
}

int score_files(int argc, char** argv) {
  set_num_threads(2);
  const Mnist mn = load_mnist("", /*allow_embedded=*/false);
  const MetricNet net = load_or_train_metric_net();
  const GaussianFit reference = fit_gaussian(net.run(mn.train.images.slice(0, 0, 10000)).features);
  for (int i = 0; i < argc; ++i) {
    const Tensor images = load_npy(argv[i]);
    check_unit_images("ch08_bench score " + std::string(argv[i]), images);
    const MetricNet::Outputs o = net.run(images);
    const ClassHistogram h = class_histogram(o.probs);
    std::printf("score file=%s n=%lld IS=%.3f FID=%.2f digit_kl=%.4f max_over_min=%.2f min_share=%.4f\n  %s\n", argv[i],
                (long long)images.size(0), inception_score(o.probs), frechet_distance(fit_gaussian(o.features), reference),
                h.kl_from_uniform, h.min_share > 0 ? h.max_share / h.min_share : INFINITY, h.min_share, h.str().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc > 1 ? argv[1] : "step";
  if (mode == "step") return step_bench(argc > 2 ? std::atoi(argv[2]) : 1);
  if (mode == "ring") return ring_bench(argc > 2 ? std::atoi(argv[2]) : 1, argc > 3 ? std::atoll(argv[3]) : 0);
  if (mode == "mnist" && argc > 4) return mnist_bench(std::atoi(argv[2]), std::atoll(argv[3]), argv[4]);
  if (mode == "race" && argc > 4) {
    const double lr = argc > 5 ? std::atof(argv[5]) : 2e-4;
    return race_bench(std::atoi(argv[2]), std::atoll(argv[3]), argv[4], lr, argc > 6 ? std::atoll(argv[6]) : 0,
                      argc > 7 ? std::atof(argv[7]) : lr);
  }
  if (mode == "score" && argc > 2) return score_files(argc - 2, argv + 2);
  std::fprintf(stderr,
               "usage: ch08_bench step [THREADS] | ring [SEEDS] [STEPS] | mnist THREADS EPOCHS OUTDIR | race THREADS EPOCHS "
               "OUTDIR [LR] [FC] [LR_G] | score FILE.npy ...\n");
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ch08_bench: %s\n", e.what());
  return 1;
}
