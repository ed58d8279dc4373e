// Chapter 08 — the GAN trainer and its epoch loop (gan_train.h).
#include "models/ch08/gan_train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "autodiff/ops_index.h"
#include "nn/checkpoint.h"
#include "nn/data.h"
#include "nn/loss.h"
#include "nn/progress.h"

namespace latent::models {

namespace {

std::unique_ptr<nn::Optimizer> make_optimizer(const GanTrainConfig& c, std::vector<Var> params, double lr) {
  if (c.optimizer == GanOptimizer::rmsprop) return std::make_unique<nn::RMSProp>(std::move(params), lr);
  return std::make_unique<nn::Adam>(std::move(params), lr, c.beta1, c.beta2);
}

bool is_wasserstein(GanLoss l) { return l == GanLoss::wasserstein || l == GanLoss::wgan_gp; }

// The path of the first batch-norm layer inside m ("" if none).
std::string batch_norm_path(const nn::Module& m, const std::string& prefix = "") {
  for (const auto& [name, child] : m.children()) {
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (dynamic_cast<const nn::BatchNorm*>(child.get())) return path;
    if (std::string p = batch_norm_path(*child, path); !p.empty()) return p;
  }
  return "";
}

}  // namespace

void validate(const GanTrainConfig& c) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) fail("GanTrainConfig", what);
  };
  need(c.n_critic >= 1, "n_critic must be >= 1, got " + std::to_string(c.n_critic));
  need(c.lr_d > 0 && c.lr_g > 0, "learning rates must be > 0, got lr_d " + num_str(c.lr_d) + ", lr_g " + num_str(c.lr_g));
  need(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1, "Adam's betas must be in [0, 1)");
  need(c.clip > 0, "clip must be > 0, got " + num_str(c.clip));
  need(c.gp_weight >= 0 && c.dragan_c > 0, "gp_weight must be >= 0 and dragan_c > 0");
  // γ ≤ 1 is the paper's range (fakes reconstructed at most as badly as reals); γ > 1 asks D to
  // keep the fakes' error above the reals', which the ring's batch-norm BEGAN uses (docs/08).
  need(c.began_gamma > 0 && c.began_lambda_k >= 0,
       "began_gamma must be > 0 and began_lambda_k >= 0, got " + num_str(c.began_gamma) + ", " + num_str(c.began_lambda_k));
  need(c.top_k > 0 && c.top_k <= 1, "top_k must be in (0, 1], got " + num_str(c.top_k));
  need(c.top_k == 1 || !c.feature_matching,
       "top_k " + num_str(c.top_k) + " ranks single fakes, and feature matching has no per-fake loss; use one");
  need(c.real_label > 0 && c.real_label <= 1, "real_label must be in (0, 1], got " + num_str(c.real_label));
  need(c.real_label == 1 || !(is_wasserstein(c.loss) || c.loss == GanLoss::began),
       "label smoothing (real_label " + num_str(c.real_label) + ") needs a loss with labels, not " + gan_loss_name(c.loss));
  need(c.info_weight >= 0 && c.info_continuous_weight >= 0 && c.historical_averaging >= 0,
       "info_weight, info_continuous_weight and historical_averaging must be >= 0");
}

Var info_loss(const Var& q, const LatentSpec& spec, const LatentSample& codes, double continuous_weight) {
  const int64_t K = spec.categorical, M = spec.continuous;
  if (q.dim() != 2 || q.size(1) != K + 2 * M)
    fail("info_loss", "Q's output " + shape_str(q.shape()) + " does not match the codes: want [N," +
                          std::to_string(K + 2 * M) + "] (categorical " + std::to_string(K) + " + 2 x continuous " +
                          std::to_string(M) + ")");
  Var loss(zeros({}, q.dtype()));
  if (K > 0) loss = loss + nn::cross_entropy(slice(q, 1, 0, K), codes.categorical);
  if (M > 0) {
    const Var mu = slice(q, 1, K, K + M), logvar = slice(q, 1, K + M, K + 2 * M);
    // Σ_j over the codes of −log N(c_j; μ_j, σ_j²), then the batch mean.
    loss = loss + nn::gaussian_nll(Var(codes.continuous.to(q.dtype())), mu, logvar, nn::Reduction::sum) *
                      (continuous_weight / (double)q.size(0));
  }
  return loss;
}

GanTrainer::GanTrainer(GeneratorNet& G, DiscriminatorNet& D, const GanTrainConfig& c)
    : rng(c.seed ^ 0x94d049bb133111ebULL), G_(G), D_(D), cfg_(c) {
  validate(c);
  // WGAN-GP's and DRAGAN's penalty constrains ||grad_x D(x)|| of each example. With batch norm in
  // D an example's score depends on the whole batch, so that gradient is not the one the theory
  // constrains (Gulrajani et al. 2017, §4: "we omit batch normalization in the critic").
  if ((c.loss == GanLoss::wgan_gp || c.loss == GanLoss::dragan) && c.gp_weight > 0)
    if (const std::string bn = batch_norm_path(D); !bn.empty())
      fail("GanTrainer", gan_loss_name(c.loss) + "'s gradient penalty is per example, but D has batch norm (" + bn +
                             "), which mixes the examples of a batch; build D without it (GanNetConfig::d_batch_norm "
                             "= false) or set gp_weight = 0");
  began.gamma = c.began_gamma, began.lambda_k = c.began_lambda_k;
  d_opt_ = make_optimizer(c, D.parameters(), c.lr_d);
  g_opt_ = make_optimizer(c, G.parameters(), c.lr_g);
  if (c.historical_averaging > 0) {
    d_hist_ = std::make_unique<HistoricalAverage>(D.parameters());
    g_hist_ = std::make_unique<HistoricalAverage>(G.parameters());
  }
}

double GanTrainer::d_step(const Tensor& real, const Tensor& y, GanStepStats& st, const Fake& given) {
  const LatentSpec spec = G_.latent();
  Fake made;
  if (!given.x.defined()) {
    made.z = sample_latent(spec, real.size(0), rng, real.dtype());
    NoGradGuard ng;  // D's step does not need G's graph
    made.x = G_.generate(Var(made.z.z), y);
  }
  const LatentSample& z = given.x.defined() ? given.z : made.z;
  const Tensor fake = given.x.defined() ? given.x.data() : made.x.data();
  D_.train();
  d_opt_->zero_grad();
  const DiscriminatorOutput r = D_.run(Var(real), y), f = D_.run(Var(fake), y);
  Var loss = discriminator_loss(cfg_.loss, r.score, f.score, cfg_.real_label, began.k);
  if (cfg_.loss == GanLoss::wgan_gp || cfg_.loss == GanLoss::dragan) {
    const Tensor points = cfg_.loss == GanLoss::wgan_gp ? wgan_gp_points(real, fake, rng)
                                                        : dragan_points(real, rng, cfg_.dragan_c);
    const Var gp = gradient_penalty([&](const Var& x) { return D_.run(x, y).score; }, points);
    st.penalty = gp.item();
    loss = loss + gp * cfg_.gp_weight;
  }
  if (spec.code_dim() > 0) {
    const Var li = info_loss(f.q, spec, z, cfg_.info_continuous_weight);
    st.info = li.item();
    loss = loss + li * cfg_.info_weight;
  }
  if (d_hist_) loss = loss + d_hist_->penalty() * cfg_.historical_averaging;
  // A NaN would spread into every weight through the optimiser; stop at the first one.
  check_finite(loss, "discriminator loss (" + gan_loss_name(cfg_.loss) + ")", d_steps_);
  loss.backward();
  d_opt_->step();
  if (cfg_.loss == GanLoss::wasserstein) nn::clip_weights(D_.parameters(), cfg_.clip);
  if (d_hist_) d_hist_->update();
  st.d_real = mean(r.score.data()).item();
  st.d_fake = mean(f.score.data()).item();
  if (cfg_.loss == GanLoss::began) {
    // k_t follows γ L(x) − L(G(z)) (BEGAN eq. 4), with this step's two losses.
    st.began_m = began.convergence(st.d_real, st.d_fake);
    began.update(st.d_real, st.d_fake);
    st.began_k = began.k;
  }
  ++d_steps_;
  return loss.item();
}

Tensor top_k_rows(const Tensor& score, double fraction, GanLoss loss) {
  if (!score.defined() || score.dim() != 2 || score.size(1) != 1 || score.size(0) < 1)
    fail("top_k_rows", "expects scores [N,1], got " +
                           (score.defined() ? shape_str(score.shape()) : std::string("(undefined)")));
  if (!(fraction > 0 && fraction <= 1)) fail("top_k_rows", "fraction must be in (0, 1], got " + num_str(fraction));
  const Tensor s = score.to(DType::f64).contiguous();
  const int64_t n = s.size(0), k = std::max<int64_t>(1, (int64_t)std::ceil(fraction * (double)n - 1e-9));  // 0.55·100 is 55.000…01
  const double sign = loss == GanLoss::began ? -1.0 : 1.0;
  std::vector<int64_t> rows((size_t)n);
  std::iota(rows.begin(), rows.end(), 0);
  const double* v = s.data<double>();
  std::partial_sort(rows.begin(), rows.begin() + k, rows.end(),
                    [&](int64_t a, int64_t b) { return sign * v[a] > sign * v[b]; });
  Tensor idx({k}, DType::i64);
  std::copy(rows.begin(), rows.begin() + k, idx.data<int64_t>());
  return idx;
}

double GanTrainer::g_step(const Tensor& real, const Tensor& y, const Fake& given) {
  const LatentSpec spec = G_.latent();
  Fake made;
  if (!given.x.defined()) {
    made.z = sample_latent(spec, real.size(0), rng, real.dtype());
    made.x = G_.generate(Var(made.z.z), y);
  }
  const LatentSample& z = given.x.defined() ? given.z : made.z;
  const Var& fake = given.x.defined() ? given.x : made.x;
  g_opt_->zero_grad();
  const DiscriminatorOutput f = D_.run(fake, y);
  Var loss;
  if (cfg_.feature_matching) {
    Var real_features;
    {
      NoGradGuard ng;
      real_features = D_.run(Var(real), y).features;
    }
    loss = feature_matching_loss(real_features, f.features);
  } else if (cfg_.top_k < 1) {
    loss = generator_loss(cfg_.loss, index_select(f.score, 0, top_k_rows(f.score.data(), cfg_.top_k, cfg_.loss)));
  } else {
    loss = generator_loss(cfg_.loss, f.score);
  }
  if (spec.code_dim() > 0) loss = loss + info_loss(f.q, spec, z, cfg_.info_continuous_weight) * cfg_.info_weight;
  if (g_hist_) loss = loss + g_hist_->penalty() * cfg_.historical_averaging;
  check_finite(loss, "generator loss (" + gan_loss_name(cfg_.loss) + ")", g_steps_);
  loss.backward();  // also fills D's gradients; D's next step zeroes them first
  g_opt_->step();
  if (g_hist_) g_hist_->update();
  ++g_steps_;
  return loss.item();
}

GanStepStats GanTrainer::step(const Tensor& real, const Tensor& y) {
  if (!real.defined() || real.dim() < 2 || real.size(0) < 2)
    fail("GanTrainer::step", "expects a batch [N, ...] with N >= 2, got " +
                                 (real.defined() ? shape_str(real.shape()) : std::string("(undefined)")));
  GanStepStats st;
  Fake shared;
  if (cfg_.n_critic == 1) {
    // One batch of fakes for both players (as the DCGAN reference code does): D sees
    // them detached, G backpropagates through the same forward pass. Saves a G forward.
    shared.z = sample_latent(G_.latent(), real.size(0), rng, real.dtype());
    G_.train();
    shared.x = G_.generate(Var(shared.z.z), y);
  }
  st.d_loss = d_step(real, y, st, shared);
  if (d_steps_ % cfg_.n_critic == 0) {
    st.g_loss = g_step(real, y, shared);
    st.g_step = true;
  }
  return st;
}

void set_decayed_rates(GanTrainer& trainer, int64_t step, int64_t total) {
  if (total < 1 || step < 0 || step >= total)
    fail("set_decayed_rates", "step " + std::to_string(step) + " is outside [0, " + std::to_string(total) +
                                  "): the decayed rate would be 0 or negative");
  const double f = 1.0 - (double)step / (double)total;
  trainer.d_optimizer().set_lr(trainer.config().lr_d * f);
  trainer.g_optimizer().set_lr(trainer.config().lr_g * f);
}

GanHistory train_gan(GanTrainer& trainer, const Tensor& data, const Tensor& y, const GanFitOptions& o) {
  if (o.epochs < 0 || o.batch_size < 2 || o.max_steps_per_epoch < 0)
    fail("train_gan", "needs epochs >= 0, batch_size >= 2, max_steps_per_epoch >= 0; got " + std::to_string(o.epochs) +
                          ", " + std::to_string(o.batch_size) + ", " + std::to_string(o.max_steps_per_epoch));
  if (!data.defined() || data.dim() < 2 || data.size(0) < o.batch_size)
    fail("train_gan", "data must be [N, ...] with N >= batch_size " + std::to_string(o.batch_size) + ", got " +
                          (data.defined() ? shape_str(data.shape()) : std::string("(undefined)")));
  if (y.defined() && (y.dim() != 1 || y.size(0) != data.size(0)))
    fail("train_gan", "labels " + shape_str(y.shape()) + " do not match data " + shape_str(data.shape()));
  TensorDataset set(data, y);
  DataLoader loader(set, o.batch_size, {.shuffle = true, .seed = o.seed, .drop_last = true});
  GanHistory h;
  int64_t step = 0;
  const int64_t per_epoch = o.max_steps_per_epoch > 0 ? std::min<int64_t>(o.max_steps_per_epoch, (int64_t)loader.size())
                                                      : (int64_t)loader.size();
  const int64_t total = per_epoch * o.epochs;
  // With lr_decay, the rates the trainer had before are put back when training ends, also when
  // a step or a callback throws.
  struct RestoreRates {
    GanTrainer* trainer;  // null: nothing to restore
    double d, g;
    ~RestoreRates() {
      if (trainer) trainer->d_optimizer().set_lr(d), trainer->g_optimizer().set_lr(g);
    }
  } restore{o.lr_decay ? &trainer : nullptr, trainer.d_optimizer().lr(), trainer.g_optimizer().lr()};
  for (int64_t e = 1; e <= o.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    GanEpochLog log;
    log.epoch = e;
    int64_t g_count = 0;
    for (auto& b : loader) {
      if (o.max_steps_per_epoch > 0 && log.steps >= o.max_steps_per_epoch) break;
      if (o.lr_decay) set_decayed_rates(trainer, step, total);
      const GanStepStats st = trainer.step(b.x, b.y);
      h.steps.push_back(st);
      if (o.on_step) o.on_step(step, st);
      ++step, ++log.steps;
      log.d_loss += st.d_loss;
      log.began_m += st.began_m;
      if (st.g_step) log.g_loss += st.g_loss, ++g_count;
    }
    log.d_loss /= (double)std::max<int64_t>(log.steps, 1);
    log.began_m /= (double)std::max<int64_t>(log.steps, 1);
    log.g_loss = g_count > 0 ? log.g_loss / (double)g_count : std::nan("");
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    h.epochs.push_back(log);
    if (!o.checkpoint_path.empty())
      save_gan_checkpoint(o.checkpoint_path, trainer.generator(), trainer.discriminator(),
                          {{"epoch", (double)e}, {"began_k", trainer.began.k}});
    if (o.on_epoch) o.on_epoch(log);
  }
  return h;
}

namespace {
// G and D as the two children of one Module, so nn/checkpoint.h's strict
// name-and-shape checks cover both. The modules are borrowed, not owned.
class Pair : public nn::Module {
 public:
  Pair(nn::Module& g, nn::Module& d) {
    register_module("generator", std::shared_ptr<nn::Module>(&g, [](nn::Module*) {}));
    register_module("discriminator", std::shared_ptr<nn::Module>(&d, [](nn::Module*) {}));
  }
};
}  // namespace

void save_gan_checkpoint(const std::string& path, const nn::Module& G, const nn::Module& D,
                         const std::map<std::string, double>& meta) {
  Pair p(const_cast<nn::Module&>(G), const_cast<nn::Module&>(D));  // only read
  save_checkpoint(path, p, nullptr, nullptr, meta);
}

std::map<std::string, double> load_gan_checkpoint(const std::string& path, nn::Module& G, nn::Module& D) {
  Pair p(G, D);
  return load_checkpoint(path, p);
}

}  // namespace latent::models
