// Chapter 08 — MLP and DCGAN generators and discriminators (gan_nets.h).
#include "models/ch08/gan_nets.h"

#include <algorithm>
#include <cmath>

#include "models/ch08/gan_losses.h"
#include "models/ch08/spectral_norm.h"
#include "nn/init.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

using nn::ModulePtr;
std::string str(int64_t v) { return std::to_string(v); }

// Builds layers with seeded initial weights. DCGAN: every weight N(0, 0.02²),
// batch-norm scales N(1, 0.02²), biases 0 (Radford et al. §4, as the PyTorch
// example's weights_init); with he_init, weights N(0, 2/fan_in) (He et al. 2015).
// MLP: PyTorch's default U(−1/√fan_in, 1/√fan_in).
// Equalised layers: N(0, 1), scaled at run time (gan_tricks.h).
struct LayerMaker {
  const GanNetConfig& c;
  Generator g;
  bool spectral = false;  // D's maker with c.spectral_norm: wrap each Linear and Conv2d
  // Spectral norm's u from its own stream, so that turning it on leaves every weight as it was.
  Generator u_rng = Generator(c.seed ^ 0x9e3779b97f4a7c15ULL);
  void init(Var& w, Var& b, double fan_in) {
    if (c.arch == GanArch::dcgan) {
      if (c.he_init)
        nn::init::he_normal(w, fan_in, &g);
      else
        nn::init::normal(w, 0, 0.02, &g);
      if (b.defined()) nn::init::constant(b, 0);
    } else {
      const double a = 1 / std::sqrt((double)fan_in);
      nn::init::uniform(w, -a, a, &g);
      if (b.defined()) nn::init::uniform(b, -a, a, &g);
    }
  }
  ModulePtr linear(int64_t in, int64_t out, bool bias) {
    if (c.equalized_lr) return nn::make<EqualizedLinear>(in, out, bias, std::sqrt(2.0), DType::f32, &g);
    auto l = nn::make<nn::Linear>(in, out, bias);
    init(l->weight, l->bias, in);
    return spectral ? nn::make<SpectralNorm>(l, &u_rng) : ModulePtr(l);
  }
  ModulePtr conv(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, bool bias) {
    if (c.equalized_lr) return nn::make<EqualizedConv2d>(in, out, k, s, p, bias, std::sqrt(2.0), DType::f32, &g);
    auto l = nn::make<nn::Conv2d>(in, out, k, s, p, bias);
    init(l->weight, l->bias, in * k * k);
    return spectral ? nn::make<SpectralNorm>(l, &u_rng) : ModulePtr(l);
  }
  // fan_in: how many inputs each output sums. A transposed convolution of stride s spreads
  // each input over k x k outputs, s² apart, so each output sums in·k²/s² of them (the default,
  // fan_in = 0). On a 1x1 input each output sees one tap per channel: pass fan_in = in.
  // (EqualizedConvTranspose2d scales by in·k²: the same count without the stride.)
  ModulePtr conv_t(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, bool bias, int64_t fan_in = 0) {
    if (c.equalized_lr)
      return nn::make<EqualizedConvTranspose2d>(in, out, k, s, p, bias, std::sqrt(2.0), DType::f32, &g);
    auto l = nn::make<nn::ConvTranspose2d>(in, out, k, s, p, bias);
    init(l->weight, l->bias, fan_in > 0 ? (double)fan_in : std::max(1.0, (double)(in * k * k) / (double)(s * s)));
    return l;
  }
  ModulePtr batch_norm(int64_t ch, bool spatial) {
    auto bn = std::make_shared<nn::BatchNorm>(ch, spatial);
    nn::init::normal(bn->weight, 1.0, 0.02, &g);
    return bn;
  }
};

// one_hot(y) checked against the batch: [N, classes].
Tensor label_one_hot(const std::string& op, const Tensor& y, int64_t n, int64_t classes, DType dtype) {
  if (classes == 0) {
    if (y.defined()) fail(op, "labels y " + shape_str(y.shape()) + " given to an unconditional net (latent.classes = 0)");
    return Tensor();
  }
  if (!y.defined()) fail(op, "a conditional net needs labels y [" + str(n) + "] (int64)");
  if (y.dim() != 1 || y.size(0) != n || y.dtype() != DType::i64)
    fail(op, "labels y " + shape_str(y.shape()) + " (" + dtype_name(y.dtype()) + ") do not match the batch: want int64 [" +
                 str(n) + "]");
  return one_hot(y, classes, dtype);
}

}  // namespace

void validate(const GanNetConfig& c) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) fail("GanNetConfig", what);
  };
  const LatentSpec& l = c.latent;
  need(l.noise >= 1, "latent.noise must be >= 1, got " + str(l.noise));
  need(l.categorical == 0 || l.categorical >= 2, "latent.categorical must be 0 or >= 2, got " + str(l.categorical));
  need(l.continuous >= 0, "latent.continuous must be >= 0, got " + str(l.continuous));
  need(l.classes == 0 || l.classes >= 2, "latent.classes must be 0 or >= 2, got " + str(l.classes));
  need(c.data_dim >= 1 && c.hidden >= 1, "data_dim and hidden must be >= 1, got " + str(c.data_dim) + ", " + str(c.hidden));
  need(c.hidden_layers >= 1, "hidden_layers must be >= 1, got " + str(c.hidden_layers));
  need(c.channels >= 1 && c.g_width >= 1 && c.d_width >= 1, "channels, g_width and d_width must be >= 1");
  need(c.fc_hidden >= 0, "fc_hidden must be >= 0, got " + str(c.fc_hidden));
  need(c.fc_hidden == 0 || c.arch == GanArch::dcgan,
       "fc_hidden is for the dcgan nets (an mlp sets its layers with hidden and hidden_layers), got " + str(c.fc_hidden));
  need(c.mapping_layers >= 0 && c.mapping_width >= 1, "mapping_layers must be >= 0 and mapping_width >= 1, got mapping_layers " +
                                                       str(c.mapping_layers) + ", mapping_width " + str(c.mapping_width));
  need(c.mapping_lr_scale > 0 && c.mapping_lr_scale <= 1, "mapping_lr_scale must be in (0, 1], got " + num_str(c.mapping_lr_scale));
  need(c.mbd_kernels >= 0 && c.mbd_dims >= 1, "mbd_kernels must be >= 0 and mbd_dims >= 1");
  need(!(c.spectral_norm && c.equalized_lr),
       "spectral_norm and equalized_lr both rescale D's weights at run time; choose one");
  need(!(c.spectral_norm && c.autoencoder),
       "spectral_norm bounds a score's slope; BEGAN's autoencoder D (its decoder a generator) has no such score");
  need(c.began_code >= 1 && c.q_hidden >= 1, "began_code and q_hidden must be >= 1");
  need(c.leaky_slope >= 0 && c.leaky_slope < 1, "leaky_slope must be in [0, 1), got " + std::to_string(c.leaky_slope));
  need(c.dtype == DType::f32 || c.dtype == DType::f64, "dtype must be f32 or f64");
  need(!(c.autoencoder && l.classes > 0 && c.conditioning == Conditioning::projection),
       "an autoencoder (BEGAN) discriminator has no score layer to project labels onto; use concat conditioning");
}

void cast_parameters(nn::Module& m, DType dtype) {
  for (Var& p : m.parameters())
    if (p.dtype() != dtype) p.node()->value = p.data().to(dtype);  // the Node is shared with the module
}

void check_images(const std::string& op, const Var& x, int64_t channels) {
  if (x.dim() != 4 || x.size(1) != channels || x.size(2) != 28 || x.size(3) != 28)
    fail(op, "expects images [N," + str(channels) + ",28,28], got " + shape_str(x.shape()));
}

// ---- generator ----

GanGenerator::GanGenerator(const GanNetConfig& c) : cfg_(c) {
  validate(c);
  LayerMaker mk{c, Generator(c.seed)};
  // The mapping draws from its own stream: the net behind it has the weights of a G whose noise is
  // mapping_width (not those of this config without a mapping, whose first layer is narrower).
  if (c.mapping_layers > 0) {
    Generator gm(c.seed ^ 0x94d049bb133111ebULL);
    mapping_ = register_module("mapping", std::make_shared<nn::Sequential>());
    const double m = c.mapping_lr_scale;
    for (int64_t i = 0, width = c.latent.noise; i < c.mapping_layers; ++i, width = c.mapping_width) {
      // W = m·V (gan_tricks.h's EqualizedLinear with gain m·√fan_in), V ~ N(0, He²/m²): W starts
      // at He's N(0, 2/fan_in), as there is no batch norm here to fix the scale.
      auto l = nn::make<EqualizedLinear>(width, c.mapping_width, true, m * std::sqrt((double)width), DType::f32, &gm);
      l->weight.node()->value = l->weight.data() * (std::sqrt(2.0 / (double)width) / m);
      mapping_->push_back(l);
      mapping_->push_back(nn::make<nn::LeakyReLU>(0.2));
    }
  }
  const int64_t noise_out = c.mapping_layers > 0 ? c.mapping_width : c.latent.noise;
  const int64_t in = noise_out + c.latent.code_dim() + c.latent.classes;
  std::vector<ModulePtr> L;
  auto normalise = [&](int64_t ch, bool spatial) {
    if (c.pixel_norm) L.push_back(nn::make<PixelNorm>());
    else if (c.g_batch_norm && (c.arch == GanArch::dcgan || c.mlp_batch_norm)) L.push_back(mk.batch_norm(ch, spatial));
  };
  if (c.arch == GanArch::mlp) {
    int64_t width = in;
    for (int64_t i = 0; i < c.hidden_layers; ++i, width = c.hidden) {
      L.push_back(mk.linear(width, c.hidden, true));
      normalise(c.hidden, false);
      L.push_back(nn::make<nn::ReLU>());
    }
    L.push_back(mk.linear(width, c.data_dim, true));
    if (c.tanh_output) L.push_back(nn::make<nn::Tanh>());
  } else {
    const int64_t w = c.g_width;
    const bool bias = !c.g_batch_norm || c.pixel_norm;  // a bias before batch norm is cancelled by its mean
    if (c.fc_hidden > 0) {  // the InfoGAN MNIST generator: two fully connected layers make the 7x7 maps
      L.push_back(mk.linear(in, c.fc_hidden, bias));
      normalise(c.fc_hidden, false);
      L.push_back(nn::make<nn::ReLU>());
      L.push_back(mk.linear(c.fc_hidden, 2 * w * 49, bias));
      if (c.pixel_norm) {  // pixel norm works per pixel over its 2w channels: maps first
        L.push_back(nn::make<nn::Reshape>(Shape{2 * w, 7, 7}));
        normalise(2 * w, true);
        L.push_back(nn::make<nn::ReLU>());
      } else {  // batch norm per unit of the 2w·49 (as Chen et al.), then the maps
        normalise(2 * w * 49, false);
        L.push_back(nn::make<nn::ReLU>());
        L.push_back(nn::make<nn::Reshape>(Shape{2 * w, 7, 7}));
      }
    } else {
      L.push_back(nn::make<nn::Reshape>(Shape{in, 1, 1}));
      L.push_back(mk.conv_t(in, 2 * w, 7, 1, 0, bias, in));  // 1x1 → 7x7
      normalise(2 * w, true);
      L.push_back(nn::make<nn::ReLU>());
    }
    L.push_back(mk.conv_t(2 * w, w, 4, 2, 1, bias));  // → 14x14
    normalise(w, true);
    L.push_back(nn::make<nn::ReLU>());
    L.push_back(mk.conv_t(w, c.channels, 4, 2, 1, bias));  // → 28x28
    L.push_back(nn::make<nn::Tanh>());
  }
  net_ = register_module("net", std::make_shared<nn::Sequential>(L));
  cast_parameters(*this, c.dtype);
}

Shape GanGenerator::sample_shape() const {
  return cfg_.arch == GanArch::mlp ? Shape{cfg_.data_dim} : Shape{cfg_.channels, 28, 28};
}

Var GanGenerator::generate(const Var& z, const Tensor& y) {
  const int64_t want = cfg_.latent.input_dim();
  if (z.dim() != 2 || z.size(1) != want)
    fail("GanGenerator", "expects z [N," + str(want) + "] (noise " + str(cfg_.latent.noise) + " + codes " +
                             str(cfg_.latent.code_dim()) + "), got " + shape_str(z.shape()));
  const Tensor oh = label_one_hot("GanGenerator", y, z.size(0), cfg_.latent.classes, z.dtype());
  Var h = z;
  if (mapping_) {  // the noise through the mapping; the codes join after it
    const int64_t nz = cfg_.latent.noise;
    h = (*mapping_)(slice(z, 1, 0, nz));
    if (want > nz) h = concat({h, slice(z, 1, nz, want)}, 1);
  }
  return (*net_)(oh.defined() ? concat({h, Var(oh)}, 1) : h);
}

std::string GanGenerator::describe() const {
  return std::string(cfg_.arch == GanArch::mlp ? "MLP" : "DCGAN") + " generator (" +
         str(cfg_.latent.input_dim() + cfg_.latent.classes) + " inputs" +
         (mapping_ ? ", mapping " + str(cfg_.mapping_layers) + " x " + str(cfg_.mapping_width) : std::string()) + ")";
}

// ---- discriminator ----

GanDiscriminator::GanDiscriminator(const GanNetConfig& c) : cfg_(c) {
  validate(c);
  LayerMaker mk{c, Generator(c.seed ^ 0x5851f42d4c957f2dULL), c.spectral_norm};
  const int64_t classes = c.latent.classes;
  const int64_t extra = c.conditioning == Conditioning::concat ? classes : 0;  // label inputs
  std::vector<ModulePtr> L;
  if (c.arch == GanArch::mlp) {
    int64_t width = c.data_dim + extra;
    for (int64_t i = 0; i < c.hidden_layers; ++i, width = c.hidden) {
      L.push_back(mk.linear(width, c.hidden, true));
      if (c.d_batch_norm && c.mlp_batch_norm) L.push_back(mk.batch_norm(c.hidden, false));
      L.push_back(nn::make<nn::LeakyReLU>(c.leaky_slope));
    }
    if (c.minibatch_stddev) L.push_back(mbstd_ = nn::make<MinibatchStddev>());
    feature_dim_ = c.hidden + (c.minibatch_stddev ? 1 : 0);
  } else {
    const int64_t w = c.d_width;
    const bool bias = !c.d_batch_norm;
    L.push_back(mk.conv(c.channels + extra, w, 4, 2, 1, bias));  // 28 → 14; no batch norm on D's input layer
    L.push_back(nn::make<nn::LeakyReLU>(c.leaky_slope));
    L.push_back(mk.conv(w, 2 * w, 4, 2, 1, bias));  // → 7x7
    if (c.d_batch_norm) L.push_back(mk.batch_norm(2 * w, true));
    L.push_back(nn::make<nn::LeakyReLU>(c.leaky_slope));
    if (c.minibatch_stddev) L.push_back(mbstd_ = nn::make<MinibatchStddev>());
    L.push_back(nn::make<nn::Flatten>());
    feature_dim_ = (2 * w + (c.minibatch_stddev ? 1 : 0)) * 49;
    if (c.fc_hidden > 0) {  // the InfoGAN MNIST discriminator's fully connected layer
      L.push_back(mk.linear(feature_dim_, c.fc_hidden, bias));
      if (c.d_batch_norm) L.push_back(mk.batch_norm(c.fc_hidden, false));
      L.push_back(nn::make<nn::LeakyReLU>(c.leaky_slope));
      feature_dim_ = c.fc_hidden;
    }
  }
  body_ = register_module("body", std::make_shared<nn::Sequential>(L));
  int64_t head_in = feature_dim_;
  if (c.mbd_kernels > 0) {
    mbd_ = register_module("mbd", nn::make<MinibatchDiscrimination>(feature_dim_, c.mbd_kernels, c.mbd_dims,
                                                                     DType::f32, &mk.g));
    head_in += c.mbd_kernels;
  }
  if (c.autoencoder) {
    code_ = register_module("code", mk.linear(head_in, c.began_code, true));
    GanNetConfig dc = c;
    dc.latent = LatentSpec{c.began_code, 0, 0, 0};
    dc.seed = c.seed ^ 0x2545f4914f6cdd1dULL;
    dc.dtype = DType::f32;
    // The decoder is part of D, so it follows D's batch-norm switch, not G's (pixel_norm it
    // still takes from the shared config). With batch norm here an example's score depends on
    // the rest of its batch: a batch of copies of one image, what a collapsed G makes, is
    // normalised by its own statistics and judged differently from the same image among
    // varied ones. BEGAN itself uses no batch norm (Berthelot et al. 2017, model architecture).
    dc.g_batch_norm = c.d_batch_norm;
    dc.mapping_layers = 0;  // G's switch, not the decoder's
    decoder_ = register_module("decoder", std::make_shared<GanGenerator>(dc));
  } else {
    head_ = register_module("head", mk.linear(head_in, 1, c.arch == GanArch::mlp));
    if (classes > 0 && c.conditioning == Conditioning::projection)
      embed_ = register_module("embed", mk.linear(classes, head_in, false));
  }
  if (c.latent.code_dim() > 0) {
    // Q is not part of D's score, so its slope does not matter to the Lipschitz bound, and
    // capping it could only weaken the information term: no spectral norm here.
    mk.spectral = false;
    const int64_t q_in = c.autoencoder ? c.began_code : head_in;
    q_ = register_module("q", std::make_shared<nn::Sequential>(std::vector<ModulePtr>{
                                  mk.linear(q_in, c.q_hidden, true), nn::make<nn::LeakyReLU>(c.leaky_slope),
                                  mk.linear(c.q_hidden, c.latent.categorical + 2 * c.latent.continuous, true)}));
  }
  cast_parameters(*this, c.dtype);
}

DiscriminatorOutput GanDiscriminator::run(const Var& x, const Tensor& y) {
  const std::string op = "GanDiscriminator";
  if (cfg_.arch == GanArch::mlp) {
    if (x.dim() != 2 || x.size(1) != cfg_.data_dim)
      fail(op, "expects x [N," + str(cfg_.data_dim) + "], got " + shape_str(x.shape()));
  } else {
    check_images(op, x, cfg_.channels);
  }
  const int64_t n = x.size(0);
  const Tensor oh = label_one_hot(op, y, n, cfg_.latent.classes, x.dtype());
  Var in = x;
  if (oh.defined() && cfg_.conditioning == Conditioning::concat) {
    // Vectors: [x, one_hot(y)]. Images: one_hot(y) as classes constant 28x28 maps.
    in = cfg_.arch == GanArch::mlp
             ? concat({x, Var(oh)}, 1)
             : concat({x, Var(oh.reshape({n, cfg_.latent.classes, 1, 1}).expand({n, cfg_.latent.classes, 28, 28}))}, 1);
  }
  DiscriminatorOutput out;
  out.features = (*body_)(in);
  const Var h = mbd_ ? (*mbd_)(out.features) : out.features;
  if (cfg_.autoencoder) {
    const Var code = (*code_)(h);
    out.score = reshape(began_reconstruction_error(x, decoder_->generate(code)), {n, 1});
    out.features = code;
    if (q_) out.q = (*q_)(code);
    return out;
  }
  out.score = (*head_)(h);
  if (embed_) out.score = out.score + sum((*embed_)(Var(oh)) * h, {1}, /*keepdim=*/true);  // ⟨embed(y), f(x)⟩
  if (q_) out.q = (*q_)(h);
  return out;
}

std::string GanDiscriminator::describe() const {
  std::string s = std::string(cfg_.arch == GanArch::mlp ? "MLP" : "DCGAN") +
                  (cfg_.autoencoder ? " autoencoder discriminator (BEGAN)" : " discriminator");
  if (cfg_.latent.classes > 0)
    s += cfg_.conditioning == Conditioning::concat ? ", labels concatenated" : ", projection";
  if (cfg_.spectral_norm) s += ", spectral norm";
  if (q_) s += ", InfoGAN Q head";
  return s;
}

Gan::Gan(const GanNetConfig& c) {
  generator = register_module("generator", std::make_shared<GanGenerator>(c));
  discriminator = register_module("discriminator", std::make_shared<GanDiscriminator>(c));
}

std::string Gan::describe() const { return "GAN: " + generator->describe() + " / " + discriminator->describe(); }

}  // namespace latent::models
