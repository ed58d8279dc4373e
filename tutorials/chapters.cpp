// The chapter list: the tour runs them in this order.
#include "tutorials/runner.h"

namespace latent::tutorial {

void run_chapter00(Tutorial& T);
void run_chapter01(Tutorial& T);
void run_chapter02(Tutorial& T);
void run_chapter03(Tutorial& T);
void run_chapter04(Tutorial& T);
void run_chapter05(Tutorial& T);
void run_chapter06(Tutorial& T);
void run_chapter07(Tutorial& T);
void run_chapter08(Tutorial& T);

const std::vector<Chapter>& chapters() {
  static const std::vector<Chapter> list = {
      {"00", "tensors and autodiff", run_chapter00},
      {"01", "supervised warm-up on MNIST", run_chapter01},
      {"02", "linear latent models: PCA, PPCA, factor analysis", run_chapter02},
      {"03", "clustering: k-means, GMM, discovering K", run_chapter03},
      {"04", "topic models: pLSA, LDA by Gibbs sampling and variational EM", run_chapter04},
      {"05", "Boltzmann machines: RBM, AIS, DBN, deep autoencoder", run_chapter05, {"rbm", "deep"}},
      {"06", "autoencoders: undercomplete, sparse, denoising, contractive, stacked, convolutional", run_chapter06},
      {"07", "variational autoencoders: ELBO, IWAE, conv VAE, beta-VAE, CVAE", run_chapter07, {"vae", "iwae", "conv", "conv-iwae", "side"}},
      {"08", "GANs: losses, DCGAN, conditional and InfoGAN, metrics", run_chapter08,
       {"ring", "dcgan", "selfcond", "side", "table", "cycle", "vaegan"}},
  };
  return list;
}

}  // namespace latent::tutorial
