// Chapter 05 — the FVSBN (fvsbn.h).
#include "models/ch05/fvsbn.h"

#include "autodiff/ops.h"
#include "nn/data.h"
#include "nn/optim.h"

namespace latent::models {

Fvsbn::Fvsbn(int64_t V_) : V(V_) {
  if (V < 2) fail("Fvsbn", "needs at least 2 visible units, got " + std::to_string(V));
  W = register_parameter("W", zeros({V, V}));
  b = register_parameter("b", zeros({V}));
  std::vector<double> m((size_t)(V * V), 0.0);
  for (int64_t i = 0; i < V; ++i)
    for (int64_t j = i + 1; j < V; ++j) m[(size_t)(i * V + j)] = 1;
  mask = from_vector(m, {V, V}, DType::f32);
}

Var Fvsbn::forward(const Var& v) {
  if (v.data().dim() != 2 || v.data().size(1) != V)
    fail("Fvsbn", "images must be [N, " + std::to_string(V) + "], got " + shape_str(v.data().shape()));
  if (v.dtype() != DType::f32) fail("Fvsbn", "images must be float32 (the model's dtype), got " + std::string(dtype_name(v.dtype())));
  // The mask zeroes W_ij for i >= j, so pixel j's logit sees only the pixels before it,
  // and the gradient of the masked entries is zero: they stay 0 under training.
  return matmul(v, mul(W, Var(mask))) + b;
}

Tensor Fvsbn::log_prob(const Tensor& v) const {
  if (sum(mul(v, 1.0 - v)).item() != 0) fail("Fvsbn::log_prob", "images must be 0/1 (binarise them first)");
  NoGradGuard no_graph;
  const Tensor x = v.to(DType::f32);
  const Var logits = const_cast<Fvsbn*>(this)->forward(Var(x));
  return sum(bernoulli_log_prob(logits.data(), x).to(DType::f64), {1});
}

std::string Fvsbn::describe() const { return "FVSBN(" + std::to_string(V) + " pixels, autoregressive)"; }

void fvsbn_fit(Fvsbn& m, const Tensor& X, const FvsbnFitOptions& opt) {
  if (X.dim() != 2 || X.size(1) != m.V)
    fail("fvsbn_fit", "data must be [N, " + std::to_string(m.V) + "], got " + shape_str(X.shape()));
  if (!opt.dynamic && sum(mul(X, 1.0 - X)).item() != 0)
    fail("fvsbn_fit", "data must be 0/1 (binarise it, or pass grey levels with dynamic = true)");
  DataLoader loader(TensorDataset(X), opt.batch_size, {.shuffle = true, .seed = opt.seed, .drop_last = true});
  Generator g_bin(opt.seed ^ 0xbf58476d1ce4e5b9ULL);  // the binarisation's own stream (as train_vae)
  nn::Adam adam(m.parameters(), opt.lr);
  for (int64_t e = 0; e < opt.epochs; ++e) {
    for (auto& b : loader) {
      const Tensor xb = opt.dynamic ? binarize_dynamic(b.x, g_bin) : b.x;
      const Var loss = -mean(sum(bernoulli_log_prob(m.forward(Var(xb)), Var(xb)), {1}));
      adam.zero_grad();
      loss.backward();
      adam.step();
    }
  }
}

}  // namespace latent::models
