// Chapter 06 — training an autoencoder by minibatch Adam (autoencoder.h).
#include <chrono>

#include "models/ch06/autoencoder.h"
#include "nn/data.h"
#include "nn/optim.h"
#include "nn/progress.h"

namespace latent::models {

AeEpoch train_autoencoder(Autoencoder& ae, const Tensor& x_, const AeTrainOptions& opt) {
  const Tensor x = ae.check_input("train_autoencoder", x_);
  check_objective("train_autoencoder", ae, opt.objective);
  if (opt.epochs < 0 || opt.batch_size < 1 || !(opt.lr > 0) || !(opt.weight_decay >= 0))
    fail("train_autoencoder", "needs epochs >= 0, batch_size >= 1, lr > 0, weight_decay >= 0; got " +
                                  std::to_string(opt.epochs) + ", " + std::to_string(opt.batch_size) + ", " +
                                  std::to_string(opt.lr) + ", " + std::to_string(opt.weight_decay));
  TensorDataset data(x);
  DataLoader loader(data, opt.batch_size, {.shuffle = true, .seed = opt.seed});
  nn::Adam adam(ae.parameters(), opt.lr, 0.9, 0.999, 1e-8, opt.weight_decay);
  // The corruption's own stream: a denoising autoencoder sees a fresh x̃ of every image at every
  // epoch (Vincent et al. 2008: "a new corrupted version each time it is presented").
  Generator g_noise(opt.seed ^ 0x9e3779b97f4a7c15ULL);
  ae.train();
  AeEpoch last;
  int64_t step = 0;
  for (int64_t e = 1; e <= opt.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    double loss = 0, recon = 0, penalty = 0;
    int64_t seen = 0;
    for (auto& b : loader) {
      const Tensor xi = corrupt(b.x, opt.objective.corruption, g_noise);
      adam.zero_grad();
      AeTerms t = autoencoder_loss(ae, b.x, xi, opt.objective);
      // A NaN would spread into every weight through Adam: stop at the first one, saying where.
      check_finite(t.loss, "autoencoder loss", step);
      t.loss.backward();
      adam.step();
      ++step;
      const double n = (double)b.x.size(0);
      loss += t.loss.item() * n;
      recon += t.recon * n;
      penalty += t.penalty * n;
      seen += b.x.size(0);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    last = {e, loss / (double)seen, recon / (double)seen, penalty / (double)seen, secs};
    if (opt.on_epoch) opt.on_epoch(last);
  }
  return last;
}

}  // namespace latent::models
