// latent bench — training steps of the peer workloads (../shared/bench/torch_ref.py),
// built with latent: same architectures, batch sizes and optimizers.
// Prints "name threads=N ms/step" (median of 20 steps after 3 warm-up steps)
// at 1 and 2 threads, the format torch_ref.py prints; bench/run_train.sh joins them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "models/ch01/classifiers.h"
#include "models/ch07/vae.h"
#include "nn/layers.h"
#include "nn/loss.h"
#include "nn/optim.h"
#include "tensor/random.h"

using namespace latent;
namespace L = latent::nn;
using Step = std::function<void()>;

static double time_ms(const Step& step, int warm = 3, int reps = 20) {
  for (int i = 0; i < warm; ++i) step();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    step();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// pytorch/examples' VAE: 784-400-20(μ, log σ²)-400-784, summed BCE-with-logits + KL, Adam 1e-3.
static Step vae_mlp(int64_t bs = 128) {
  struct VAE {
    L::Linear fc1{784, 400}, fc21{400, 20}, fc22{400, 20}, fc3{20, 400}, fc4{400, 784};
    std::vector<Var> params() {
      std::vector<Var> p;
      for (L::Linear* l : {&fc1, &fc21, &fc22, &fc3, &fc4})
        for (auto& v : l->parameters()) p.push_back(v);
      return p;
    }
  };
  auto m = std::make_shared<VAE>();
  auto opt = std::make_shared<L::Adam>(m->params(), 1e-3);
  Tensor x = bernoulli(uniform({bs, 784}));
  return [=] {
    opt->zero_grad();
    Var h = relu(m->fc1(Var(x)));
    Var mu = m->fc21(h), lv = m->fc22(h);
    Var z = mu + Var(normal(mu.shape())) * exp(lv * 0.5);  // reparameterisation
    Var logits = m->fc4(relu(m->fc3(z)));
    Var loss = L::bce_with_logits(logits, Var(x), L::Reduction::sum) + L::kl_normal(mu, lv, L::Reduction::sum);
    loss.backward();
    opt->step();
  };
}

// DCGAN for 28x28 (torch_ref.py): one D step and one G step, Adam 2e-4, β1 0.5.
static Step dcgan(int64_t bs = 64, int64_t nz = 100) {
  using namespace L;
  auto G = make<Sequential>(std::vector<ModulePtr>{
      make<ConvTranspose2d>(nz, 128, 7, 1, 0, false), BatchNorm2d(128), make<ReLU>(),
      make<ConvTranspose2d>(128, 64, 4, 2, 1, false), BatchNorm2d(64), make<ReLU>(),
      make<ConvTranspose2d>(64, 1, 4, 2, 1, false), make<Tanh>()});
  auto D = make<Sequential>(std::vector<ModulePtr>{
      make<Conv2d>(1, 64, 4, 2, 1, false), make<LeakyReLU>(0.2),
      make<Conv2d>(64, 128, 4, 2, 1, false), BatchNorm2d(128), make<LeakyReLU>(0.2),
      make<Conv2d>(128, 1, 7, 1, 0, false), make<Flatten>()});
  auto oG = std::make_shared<Adam>(G->parameters(), 2e-4, 0.5, 0.999);
  auto oD = std::make_shared<Adam>(D->parameters(), 2e-4, 0.5, 0.999);
  Tensor real = uniform({bs, 1, 28, 28}, -1, 1);
  Var ones_(ones({bs, 1})), zeros_(zeros({bs, 1}));
  return [=] {
    Var fake = (*G)(Var(normal({bs, nz, 1, 1})));
    oD->zero_grad();
    Var lD = bce_with_logits((*D)(Var(real)), ones_) + bce_with_logits((*D)(fake.detach()), zeros_);
    lD.backward();
    oD->step();
    oG->zero_grad();
    Var lG = bce_with_logits((*D)(fake), ones_);
    lG.backward();
    oG->step();
  };
}

// WGAN-GP critic step (Gulrajani et al. 2017): the gradient penalty needs a
// gradient of a gradient (create_graph).
static Step wgan_gp(int64_t bs = 64, int64_t nz = 64) {
  using namespace L;
  auto G = make<Sequential>(std::vector<ModulePtr>{make<Linear>(nz, 256), make<ReLU>(), make<Linear>(256, 256),
                                                   make<ReLU>(), make<Linear>(256, 784), make<Tanh>()});
  auto D = make<Sequential>(std::vector<ModulePtr>{make<Linear>(784, 256), make<LeakyReLU>(0.2), make<Linear>(256, 256),
                                                   make<LeakyReLU>(0.2), make<Linear>(256, 1)});
  auto oD = std::make_shared<Adam>(D->parameters(), 1e-4, 0.5, 0.9);
  Tensor real = uniform({bs, 784}, -1, 1);
  return [=] {
    Var fake;
    {
      NoGradGuard ng;
      fake = (*G)(Var(normal({bs, nz})));
    }
    Tensor a = uniform({bs, 1});
    Var xh(add(mul(a, real), mul(1.0 - a, fake.data())), true);
    Var g = grad({sum((*D)(xh))}, {xh}, {}, /*create_graph=*/true)[0];
    Var gp = mean(square(norm(g, {1}) - 1.0));
    oD->zero_grad();
    Var loss = mean((*D)(fake)) - mean((*D)(Var(real))) + gp * 10.0;
    loss.backward();
    oD->step();
  };
}

// Chapter 07's convolutional VAE (VaeArch::conv, hidden 256, latent 20): −ELBO with a Bernoulli
// decoder, Adam 1e-3. Peer: bench/torch_steps.py conv_vae_b128, the same network.
static Step conv_vae(int64_t bs = 128) {
  auto m = std::make_shared<models::Vae>(models::VaeConfig{.hidden = 256, .latent = 20, .arch = models::VaeArch::conv});
  auto opt = std::make_shared<L::Adam>(m->parameters(), 1e-3);
  Tensor x = bernoulli(uniform({bs, 784}));
  auto g = std::make_shared<Generator>(1);
  return [=] {
    opt->zero_grad();
    models::vae_loss(*m, x, Tensor(), *g).loss.backward();
    opt->step();
  };
}

static Step lenet(int64_t bs = 64) {
  auto m = models::make_lenet5();
  auto opt = std::make_shared<L::SGD>(m->parameters(), 0.01, 0.9);
  Tensor x = uniform({bs, 1, 28, 28});
  Tensor y = randint(0, 10, {bs});
  return [=] {
    opt->zero_grad();
    L::cross_entropy((*m)(Var(x)), y).backward();
    opt->step();
  };
}

int main(int argc, char** argv) {
  std::map<std::string, std::function<Step()>> workloads = {
      {"vae_mlp_b128", [] { return vae_mlp(); }},
      {"dcgan_mnist_b64", [] { return dcgan(); }},
      {"wgan_gp_critic_b64", [] { return wgan_gp(); }},
      {"lenet_b64", [] { return lenet(); }},
      {"conv_vae_b128", [] { return conv_vae(); }},
  };
  std::vector<std::string> names = {"vae_mlp_b128", "dcgan_mnist_b64", "wgan_gp_critic_b64", "lenet_b64",
                                    "conv_vae_b128"};
  if (argc > 1) names.assign(argv + 1, argv + argc);
  manual_seed(0);
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (auto& n : names) {
      if (!workloads.count(n)) {
        std::fprintf(stderr, "unknown workload %s\n", n.c_str());
        return 2;
      }
      std::printf("%s threads=%d %.2f ms/step\n", n.c_str(), threads, time_ms(workloads[n]()));
      std::fflush(stdout);
    }
  }
}
