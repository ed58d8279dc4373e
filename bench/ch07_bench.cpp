// latent bench — chapter 07: pytorch/examples' VAE trained with latent, in the
// setting of bench/torch_vae.py (its peer): 784-400-20-400-784, ReLU, Bernoulli
// decoder on grey-level MNIST (summed BCE with logits + closed-form KL), Adam
// lr 1e-3, batch 128, shuffled, 60,000 training and 10,000 test images, one
// ε sample per image for the test loss. One difference: latent minimises the
// loss per image (the batch mean) where pytorch/examples minimises the batch
// sum; Adam's step is invariant to that scale but for its ε = 1e-8.
//
// Usage: ch07_bench THREADS [EPOCHS]   (default 10 epochs; $LATENT_DATA: the full MNIST)
// Prints one line per epoch and a total:
//   workload=vae_mlp_epoch threads=1 epoch=1 seconds=... eval_seconds=... train_loss=... test_loss=...
//   workload=vae_mlp_total threads=1 epochs=10 seconds=... test_loss=...
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "models/ch07/vae.h"
#include "nn/data.h"

using namespace latent;
using namespace latent::models;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int64_t epochs = argc > 2 ? std::atoll(argv[2]) : 10;
  set_num_threads(threads);
  Mnist mn = load_mnist("", /*allow_embedded=*/false);
  const Tensor Xtr = mn.train.images.reshape({mn.train.size(), 784});
  const Tensor Xte = mn.test.images.reshape({mn.test.size(), 784});
  std::fprintf(stderr, "%s\n", mn.source.c_str());

  Vae vae(VaeConfig{});  // 784-400-20, Bernoulli, f32
  std::fprintf(stderr, "%s, %lld parameters\n", vae.describe().c_str(), (long long)vae.num_parameters());
  Generator g_test(1);
  double total = 0, test_loss = 0;
  VaeTrainOptions opt;
  opt.epochs = epochs, opt.batch_size = 128, opt.lr = 1e-3;
  // All epochs in one call (one Adam state throughout); the test loss comes from the epoch callback.
  auto t_start = std::chrono::steady_clock::now();
  opt.on_epoch = [&](const VaeEpoch& e) {
    const auto t0 = std::chrono::steady_clock::now();
    const ElboTerms te = evaluate_elbo(vae, Xte, Tensor(), g_test, 128);
    const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    test_loss = te.recon + te.kl;
    total += e.seconds + eval_s;
    std::printf("workload=vae_mlp_epoch threads=%d epoch=%lld seconds=%.3f eval_seconds=%.3f train_loss=%.3f "
                "test_loss=%.3f test_recon=%.3f test_kl=%.3f\n",
                threads, (long long)e.epoch, e.seconds + eval_s, eval_s, e.loss, test_loss, te.recon, te.kl);
    std::fflush(stdout);
  };
  train_vae(vae, Xtr, Tensor(), opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  std::printf("workload=vae_mlp_total threads=%d epochs=%lld seconds=%.3f wall_seconds=%.3f test_loss=%.3f\n", threads,
              (long long)epochs, total, wall, test_loss);
  return 0;
}
