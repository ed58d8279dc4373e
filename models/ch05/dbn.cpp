// Chapter 05 — greedy layer-wise training and sampling of a DBN (dbn.h).
#include "models/ch05/dbn.h"

#include "nn/init.h"

namespace latent::models {

std::vector<int64_t> Dbn::sizes() const {
  std::vector<int64_t> s;
  if (layers.empty()) return s;
  s.push_back(layers[0].num_visible());
  for (const Rbm& r : layers) s.push_back(r.num_hidden());
  return s;
}

std::string Dbn::describe() const {
  std::string out = "DBN(";
  const auto s = sizes();
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "-" : "") + std::to_string(s[i]);
  return out + ")";
}

void check_dbn(const std::string& op, const Dbn& d) {
  if (d.layers.empty()) fail(op, "the DBN has no layers (train one with dbn_fit)");
  for (size_t l = 1; l < d.layers.size(); ++l)
    if (d.layers[l].num_visible() != d.layers[l - 1].num_hidden())
      fail(op, "the stack does not chain: layer " + std::to_string(l - 1) + " has " +
                   std::to_string(d.layers[l - 1].num_hidden()) + " hidden units but layer " + std::to_string(l) +
                   " has " + std::to_string(d.layers[l].num_visible()) + " visible units");
}

Dbn dbn_fit(const Tensor& X, const std::vector<int64_t>& hidden_sizes, const DbnFitOptions& opt) {
  const size_t L = hidden_sizes.size();
  if (L == 0) fail("dbn_fit", "needs at least one hidden layer size");
  if (opt.layers.size() != 1 && opt.layers.size() != L)
    fail("dbn_fit", "give one RbmTrainOptions for every layer or one for all: got " +
                        std::to_string(opt.layers.size()) + " for " + std::to_string(L) + " layers");
  if (X.dim() != 2) fail("dbn_fit", "data must be [N, V], got " + shape_str(X.shape()));
  Dbn d;
  Tensor data = X;
  for (size_t l = 0; l < L; ++l) {
    const RbmTrainOptions& o = opt.layers.size() == 1 ? opt.layers[0] : opt.layers[l];
    const Units hid = l + 1 == L ? opt.top_hidden : Units::bernoulli;
    RbmTrainOptions layer_opt = o;
    layer_opt.seed = o.seed + 7919 * l;  // each layer its own initialisation and minibatch order
    Generator g(layer_opt.seed);
    const DType dt = data.dtype() == DType::f64 ? DType::f64 : DType::f32;
    Rbm m = rbm_init(data.size(1), hidden_sizes[l], g, Units::bernoulli, hid, mean(data.to(dt), {0}), dt);
    RbmTrainer t(m, data, layer_opt);
    for (int64_t e = 0; e < o.epochs; ++e) {
      const RbmEpochStats st = t.epoch(data);
      if (opt.on_epoch) opt.on_epoch((int64_t)l, st, m);
    }
    // The next layer's data: this layer's hidden means (probabilities, not
    // samples: Hinton & Salakhutdinov 2006 — less sampling noise).
    if (l + 1 < L) data = hidden_mean(m, data);
    d.layers.push_back(std::move(m));
  }
  return d;
}

Tensor dbn_up(const Dbn& d, const Tensor& X, int64_t upto) {
  check_dbn("dbn_up", d);
  const int64_t L = (int64_t)d.layers.size();
  if (upto < 0) upto = L - 1;
  if (upto >= L) fail("dbn_up", "layer " + std::to_string(upto) + " of a " + std::to_string(L) + "-layer DBN");
  Tensor h = X;
  for (int64_t l = 0; l <= upto; ++l) h = hidden_mean(d.layers[(size_t)l], h);
  return h;
}

Tensor dbn_down(const Dbn& d, const Tensor& top_visible) {
  check_dbn("dbn_down", d);
  // top_visible is the top RBM's visible layer = the hidden layer of the one below.
  Tensor v = top_visible;
  for (int64_t l = (int64_t)d.layers.size() - 2; l >= 0; --l) v = visible_mean(d.layers[(size_t)l], v);
  return v;
}

Tensor dbn_sample(const Dbn& d, int64_t n, int64_t gibbs_steps, Generator& g, const Tensor& start) {
  check_dbn("dbn_sample", d);
  const Rbm& top = d.layers.back();
  Tensor v = start.defined() ? start : bernoulli(full({n, top.num_visible()}, 0.5, top.W.dtype()), &g);
  if (v.dim() != 2 || v.size(1) != top.num_visible())
    fail("dbn_sample", "start must be [n, " + std::to_string(top.num_visible()) + "], got " + shape_str(v.shape()));
  // Gibbs in the top RBM; its visible layer is the penultimate hidden layer,
  // kept binary (samples) as the generative model says.
  for (int64_t s = 0; s < gibbs_steps; ++s) v = sample_visible(top, sample_hidden(top, v, g), g);
  return dbn_down(d, v);  // down the directed layers
}

std::shared_ptr<nn::Sequential> dbn_to_mlp(const Dbn& d, int64_t num_classes, uint64_t seed) {
  check_dbn("dbn_to_mlp", d);
  auto net = nn::make<nn::Sequential>();
  for (const Rbm& r : d.layers) {
    auto lin = nn::make<nn::Linear>(r.num_visible(), r.num_hidden());
    Tensor w = lin->weight.data(), b = lin->bias.data();  // views: writing them sets the parameters
    w.copy_(r.W.t().to(DType::f32));
    b.copy_(r.c.to(DType::f32));
    net->push_back(lin);
    if (r.hidden == Units::bernoulli) net->push_back(nn::make<nn::Sigmoid>());
  }
  if (num_classes > 0) {
    auto out = nn::make<nn::Linear>(d.layers.back().num_hidden(), num_classes);
    Generator g(seed);
    nn::init::normal(out->weight, 0.0, 0.01, &g);
    nn::init::constant(out->bias, 0.0);
    net->push_back(out);
  }
  return net;
}

}  // namespace latent::models
