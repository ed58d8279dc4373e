// Chapter 07 — training a VAE by minibatch Adam on −ELBO (or the IWAE bound),
// see vae.h.
#include <chrono>

#include "models/ch07/vae.h"
#include "nn/data.h"
#include "nn/optim.h"
#include "nn/progress.h"

namespace latent::models {

VaeEpoch train_vae(Vae& vae, const Tensor& x_, const Tensor& y, const VaeTrainOptions& opt) {
  const Tensor x = vae.check_input("train_vae", x_, y);
  if (opt.epochs < 0 || opt.batch_size < 1 || !(opt.lr > 0) || !(opt.beta >= 0) || opt.iwae_k < 0)
    fail("train_vae", "needs epochs >= 0, batch_size >= 1, lr > 0, beta >= 0, iwae_k >= 0; got " +
                          std::to_string(opt.epochs) + ", " + std::to_string(opt.batch_size) + ", " +
                          std::to_string(opt.lr) + ", " + std::to_string(opt.beta) + ", " + std::to_string(opt.iwae_k));
  TensorDataset data(x, y);
  DataLoader loader(data, opt.batch_size, {.shuffle = true, .seed = opt.seed});
  nn::Adam adam(vae.parameters(), opt.lr);
  // Two streams besides the shuffling: ε of the reparameterisation, and the
  // binarisation of each batch. Both are fixed by the seed.
  Generator g_eps(opt.seed ^ 0x9e3779b97f4a7c15ULL), g_bin(opt.seed ^ 0xbf58476d1ce4e5b9ULL);
  vae.train();
  VaeEpoch last;
  int64_t step = 0;
  for (int64_t e = 1; e <= opt.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    double loss = 0, recon = 0, kl = 0;
    int64_t seen = 0;
    for (auto& b : loader) {
      const Tensor xb = opt.binarize ? binarize_dynamic(b.x, g_bin) : b.x;
      adam.zero_grad();
      ElboTerms t = opt.iwae_k > 1 ? iwae_loss(vae, xb, b.y, opt.iwae_k, g_eps) : vae_loss(vae, xb, b.y, g_eps, opt.beta);
      // A NaN would silently spread into every weight through Adam; stop at the
      // first one instead, saying at which step.
      check_finite(t.loss, "VAE loss", step);
      t.loss.backward();
      adam.step();
      ++step;
      const double n = (double)xb.size(0);
      loss += t.loss.item() * n;
      recon += t.recon * n;
      kl += t.kl * n;
      seen += xb.size(0);
    }
    last = {e, loss / (double)seen, recon / (double)seen, kl / (double)seen,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
    if (opt.on_epoch) opt.on_epoch(last);
  }
  return last;
}

}  // namespace latent::models
