// Chapter 08's tutorial, part `vaegan`: VAE-GAN (Larsen et al. 2016) beside a plain VAE of the same
// encoder and decoder, trained for the same steps; their samples and reconstructions scored.
#include <chrono>

#include "models/ch08/vae_gan.h"
#include "nn/data.h"
#include "nn/image.h"
#include "tensor/index.h"
#include "tutorials/ch08_gans_parts.h"

namespace latent::tutorial::ch08 {

void vae_gan(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& test01, Scorer& sc) {
  const uint64_t seed = T.options().seed;
  T.step("VAE-GAN: a VAE whose reconstruction error is measured by a discriminator",
         "A VAE's pixel likelihood (chapter 07) charges a stroke drawn one pixel off as much as a wrong\n"
         "stroke, so its decoder hedges with blurry means. Larsen et al. (2016) measure the reconstruction\n"
         "error in a GAN discriminator's last hidden layer instead, and let the decoder also fool that\n"
         "discriminator on reconstructions and on prior samples. Both models below have the same encoder and\n"
         "decoder and the same steps; the plain one uses chapter 07's Bernoulli likelihood on grey levels.");
  const Tensor test = to_pm1(test01).slice(0, 0, std::min<int64_t>(1000, test01.size(0)));
  const int64_t n = x.size(0), steps_per_epoch = n / S.vaegan_batch;
  const std::string setting = S.name + ", width " + std::to_string(S.vaegan_width) + ", latent " +
                              std::to_string(S.vaegan_latent) + ", " + std::to_string(S.vaegan_epochs) +
                              " epochs of batch " + std::to_string(S.vaegan_batch);
  std::vector<Tensor> rows = {test.slice(0, 0, 10)};
  for (const bool adversarial : {false, true}) {
    const std::string name = adversarial ? "VAE-GAN" : "VAE";
    VaeGan model({.width = S.vaegan_width, .latent = S.vaegan_latent, .adversarial = adversarial, .seed = seed + 70});
    Generator g(seed + 71);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t e = 0; e < S.vaegan_epochs; ++e) {
      VaeGanStats sum_st;
      const Tensor order = permutation(n, &g);
      for (int64_t s = 0; s < steps_per_epoch; ++s) {
        const VaeGanStats st =
            model.step(index_select(x, 0, order.slice(0, s * S.vaegan_batch, (s + 1) * S.vaegan_batch)));
        sum_st.prior += st.prior, sum_st.llike += st.llike, sum_st.d_loss += st.d_loss, sum_st.g_loss += st.g_loss;
      }
      const double k = (double)steps_per_epoch;
      T.say("    " + name + " epoch " + std::to_string(e + 1) + ": KL " + fmt("%.1f", sum_st.prior / k) +
            (adversarial ? ", feature error " : ", pixel -log p ") + fmt("%.1f", sum_st.llike / k) +
            (adversarial ? ", D " + fmt("%.3f", sum_st.d_loss / k) + ", decoder adversarial " +
                               fmt("%.3f", sum_st.g_loss / k)
                         : "") +
            ", " + fmt("%.0f s", seconds_since(t0)));
    }
    Generator gs(seed + 72);
    const auto [is, fid] = sc.is_fid(from_pm1(model.sample(S.eval_images, gs)));
    const Tensor rec = model.reconstruct(test);
    const double l1 = mean(abs(sub(rec, test))).item();
    T.say("  " + name + ": samples IS " + fmt("%.2f", is) + ", Frechet distance " + fmt("%.1f", fid) +
          "; test reconstructions, mean |x~ - x| " + fmt("%.3f", l1) + " (in [-1, 1])");
    T.figure({name + " samples: classifier IS (LeNet)", is, "", "sharper samples score higher; real test: " +
              fmt("%.2f", sc.ceiling.inception_score), setting});
    T.figure({name + " samples: Frechet distance (LeNet)", fid, "", "real test vs train: " +
              fmt("%.1f", sc.ceiling.frechet_distance), setting});
    T.figure({name + " test reconstruction, mean abs error", l1, "", "pixel-wise, [-1, 1] units", setting});
    rows.push_back(rec.slice(0, 0, 10));
    const std::string file = adversarial ? "vaegan_samples.png" : "vae_samples.png";
    write_image_grid(T.path(file), from_pm1(model.sample(64, gs)), 8);
    T.wrote(T.path(file), "64 samples of the " + name + " (decoder on z ~ N(0, I))");
  }
  write_image_grid(T.path("vaegan_reconstructions.png"), from_pm1(concat(rows, 0)), 10);
  T.wrote(T.path("vaegan_reconstructions.png"), "rows: test digits, the VAE's reconstructions, the VAE-GAN's");
}

}  // namespace latent::tutorial::ch08
