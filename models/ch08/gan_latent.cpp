// Chapter 08 — latent sampling, interpolation and sample grids (gan_latent.h).
#include "models/ch08/gan_latent.h"

#include <algorithm>
#include <cmath>

#include "nn/data.h"
#include "nn/image.h"
#include "tensor/index.h"

namespace latent::models {

namespace {
std::string str(int64_t v) { return std::to_string(v); }

// Puts G in training (true) or evaluation (false) mode for a scope, and back as it was on
// leaving it, also when an error leaves it.
class ModeGuard {
 public:
  ModeGuard(nn::Module& m, bool training) : m_(m), was_(m.is_training()) { m_.train(training); }
  ~ModeGuard() { m_.train(was_); }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  nn::Module& m_;
  bool was_;
};

DType dtype_of(const GeneratorNet& G) {  // z is drawn in G's own dtype
  const std::vector<Var> params = G.parameters();
  return params.empty() ? DType::f32 : params[0].dtype();
}

// ‖J_G(z)‖_F per row (jacobian_norms); `outputs`, when given, receives G(z) in [−1, 1].
Tensor norms_of(GeneratorNet& G, const Tensor& z, int64_t probes, Generator& g, Tensor* outputs) {
  GradModeGuard on(true);      // a graph to differentiate, even inside a caller's NoGradGuard
  ModeGuard eval(G, false);    // batch norm's running statistics: row i of G(z) depends on z_i alone
  const Var zv(z, /*requires_grad=*/true);
  const Var x = G.generate(zv);
  Tensor sq = zeros({z.size(0)}, DType::f64);
  for (int64_t k = 0; k < probes; ++k) {
    // Σ_i u_i · G(z_i) has gradient J_G(z_i)ᵀ u_i in row i: one backward pass for every row.
    const Var u(normal(x.shape(), 0, 1, x.dtype(), &g));
    const Tensor vjp = grad({sum(x * u)}, {zv}, {}, false, /*retain_graph=*/k + 1 < probes)[0].data();
    sq = sq + sum(square(vjp.to(DType::f64)), {1});
  }
  if (outputs) *outputs = x.data();
  return sqrt(sq / (double)probes);
}

void check_unconditional(const std::string& op, const GeneratorNet& G) {
  if (G.latent().classes > 0)
    fail(op, "needs an unconditional G (this one also takes labels, " + str(G.latent().classes) + " classes)");
}
}  // namespace

Tensor make_latent(const LatentSpec& spec, const Tensor& noise, const Tensor& cat, const Tensor& cont) {
  const std::string op = "make_latent";
  if (!noise.defined() || noise.dim() != 2 || noise.size(1) != spec.noise)
    fail(op, "noise must be [n," + str(spec.noise) + "], got " +
                 (noise.defined() ? shape_str(noise.shape()) : std::string("(undefined)")));
  const int64_t n = noise.size(0);
  std::vector<Tensor> parts{noise};
  if (spec.categorical > 0) {
    if (!cat.defined() || cat.dim() != 1 || cat.size(0) != n || cat.dtype() != DType::i64)
      fail(op, "the categorical code must be int64 [" + str(n) + "]");
    parts.push_back(one_hot(cat, spec.categorical, noise.dtype()));
  } else if (cat.defined()) {
    fail(op, "a categorical code was given but latent.categorical = 0");
  }
  if (spec.continuous > 0) {
    if (!cont.defined() || cont.shape() != Shape{n, spec.continuous})
      fail(op, "the continuous codes must be [" + str(n) + "," + str(spec.continuous) + "], got " +
                   (cont.defined() ? shape_str(cont.shape()) : std::string("(undefined)")));
    parts.push_back(cont.to(noise.dtype()));
  } else if (cont.defined()) {
    fail(op, "continuous codes were given but latent.continuous = 0");
  }
  if (parts.size() == 1) return noise;
  // Concatenate along axis 1 (plain tensors: copy each part into its columns).
  Tensor z = zeros({n, spec.input_dim()}, noise.dtype());
  int64_t col = 0;
  for (const Tensor& p : parts) {
    z.slice(1, col, col + p.size(1)).copy_(p);
    col += p.size(1);
  }
  return z;
}

LatentSample sample_latent(const LatentSpec& spec, int64_t n, Generator& g, DType dtype) {
  if (n < 1) fail("sample_latent", "n must be >= 1, got " + str(n));
  LatentSample s;
  const Tensor noise = normal({n, spec.noise}, 0, 1, dtype, &g);
  if (spec.categorical > 0) s.categorical = randint(0, spec.categorical, {n}, &g);
  if (spec.continuous > 0) s.continuous = uniform({n, spec.continuous}, -1, 1, dtype, &g);
  s.z = make_latent(spec, noise, s.categorical, s.continuous);
  return s;
}

Tensor interpolate_latent(const Tensor& a_, const Tensor& b_, int64_t steps, Interpolation kind) {
  if (steps < 2) fail("interpolate_latent", "steps must be >= 2, got " + str(steps));
  if (!a_.defined() || !b_.defined() || a_.numel() != b_.numel() || a_.numel() < 1 ||
      (a_.dim() == 2 && a_.size(0) != 1) || (b_.dim() == 2 && b_.size(0) != 1) || a_.dim() > 2 || b_.dim() > 2)
    fail("interpolate_latent", "a and b must be one point each, [D] or [1,D], of the same size; got " +
                                   (a_.defined() ? shape_str(a_.shape()) : "(undefined)") + " and " +
                                   (b_.defined() ? shape_str(b_.shape()) : "(undefined)"));
  const int64_t d = a_.numel();
  const std::vector<double> a = a_.to_vector(), b = b_.to_vector();
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < d; ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  const double cos_theta = (aa > 0 && bb > 0) ? std::clamp(ab / std::sqrt(aa * bb), -1.0, 1.0) : 1.0;
  const double theta = std::acos(cos_theta);
  const bool linear = kind == Interpolation::linear || std::sin(theta) < 1e-6;
  Tensor out({steps, d}, a_.dtype() == DType::f64 ? DType::f64 : DType::f32);
  for (int64_t s = 0; s < steps; ++s) {
    const double t = (double)s / (double)(steps - 1);
    const double wa = linear ? 1 - t : std::sin((1 - t) * theta) / std::sin(theta);
    const double wb = linear ? t : std::sin(t * theta) / std::sin(theta);
    for (int64_t i = 0; i < d; ++i) out.set({s, i}, wa * a[i] + wb * b[i]);
  }
  return out;
}

Tensor generate_images(GeneratorNet& G, const Tensor& z, const Tensor& y, bool eval_mode) {
  NoGradGuard ng;
  ModeGuard mode(G, eval_mode ? false : G.is_training());
  return from_pm1(G.generate(Var(z), y).data());
}

void refresh_batch_norm(GeneratorNet& G, Generator& g, int64_t batches, int64_t batch_size, const Tensor& y) {
  if (batches < 1 || batch_size < 2)
    fail("refresh_batch_norm", "needs batches >= 1 and batch_size >= 2, got " + str(batches) + ", " + str(batch_size));
  const bool per_batch = y.defined() && y.dim() == 1 && y.size(0) == batches * batch_size && batches > 1;
  if (y.defined() && !per_batch && (y.dim() != 1 || y.size(0) != batch_size))
    fail("refresh_batch_norm", "labels " + shape_str(y.shape()) + " match neither batch_size " + str(batch_size) +
                                   " nor batches x batch_size = " + str(batches * batch_size));
  NoGradGuard ng;
  const DType dtype = dtype_of(G);
  ModeGuard mode(G, true);
  for (int64_t b = 0; b < batches; ++b)
    G.generate(Var(sample_latent(G.latent(), batch_size, g, dtype).z),
               per_batch ? y.slice(0, b * batch_size, (b + 1) * batch_size) : y);
}

Tensor sample_images(GeneratorNet& G, int64_t n, Generator& g, const Tensor& y) {
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < n; i += 500) {
    const int64_t m = std::min<int64_t>(500, n - i);
    const Tensor z = sample_latent(G.latent(), m, g).z;
    parts.push_back(clamp(generate_images(G, z, y.defined() ? y.slice(0, i, i + m) : Tensor()), 0, 1));
  }
  return concat(parts, 0);
}

Tensor jacobian_norms(GeneratorNet& G, const Tensor& z, int64_t probes, Generator& g) {
  if (probes < 1) fail("jacobian_norms", "probes must be >= 1, got " + str(probes));
  if (!z.defined() || z.dim() != 2 || z.size(1) != G.latent().input_dim())
    fail("jacobian_norms", "z must be [N," + str(G.latent().input_dim()) + "], got " +
                               (z.defined() ? shape_str(z.shape()) : std::string("(undefined)")));
  check_unconditional("jacobian_norms", G);
  if (z.dtype() != dtype_of(G))
    fail("jacobian_norms", std::string("z is ") + dtype_name(z.dtype()) + " but G's weights are " + dtype_name(dtype_of(G)));
  return norms_of(G, z, probes, g, nullptr);
}

// rejection_draws with the caller's name in its errors.
static int64_t draws_for(const std::string& op, int64_t n, double reject) {
  if (n < 1) fail(op, "n must be >= 1, got " + str(n));
  // Up to 0.99, so that at most 100 n samples are drawn.
  if (!(reject >= 0 && reject <= 0.99)) fail(op, "reject must be in [0, 0.99], got " + num_str(reject));
  const double want = (double)n / (1.0 - reject);
  return (int64_t)std::ceil(want * (1 - 1e-12));  // 1/(1 − 0.9) is 10.000000000000002
}

int64_t rejection_draws(int64_t n, double reject) { return draws_for("rejection_draws", n, reject); }

RejectionSample sample_images_jacobian_rejection(GeneratorNet& G, int64_t n, double reject, Generator& g,
                                                 int64_t probes) {
  const std::string op = "sample_images_jacobian_rejection";
  RejectionSample pool;
  pool.drawn = draws_for(op, n, reject);
  if (probes < 1) fail(op, "probes must be >= 1, got " + str(probes));
  check_unconditional(op, G);
  const DType dtype = dtype_of(G);
  std::vector<Tensor> outputs, norms;  // kept batch by batch: G runs once per z
  for (int64_t i = 0; i < pool.drawn; i += 500) {
    Tensor x;
    norms.push_back(norms_of(G, sample_latent(G.latent(), std::min<int64_t>(500, pool.drawn - i), g, dtype).z, probes, g, &x));
    outputs.push_back(clamp(from_pm1(x), 0, 1));  // batch by batch: at most two copies of the images at once
  }
  pool.norms = concat(norms, 0).contiguous();
  pool.images = concat(outputs, 0);
  outputs.clear();
  return keep_smallest_norms(pool, pool.drawn, n);
}

RejectionSample keep_smallest_norms(const RejectionSample& pool, int64_t prefix, int64_t n) {
  const std::string op = "keep_smallest_norms";
  const int64_t size = pool.norms.defined() ? pool.norms.numel() : 0;
  if (!pool.norms.defined() || pool.norms.dim() != 1 || pool.norms.dtype() != DType::f64 || !pool.images.defined() ||
      pool.images.dim() < 1 || pool.images.size(0) != size)
    fail(op, "the pool needs float64 norms [N] and images with N rows, got norms " +
                 (pool.norms.defined() ? shape_str(pool.norms.shape()) : std::string("(undefined)")) + " and images " +
                 (pool.images.defined() ? shape_str(pool.images.shape()) : std::string("(undefined)")));
  if (prefix < 1 || prefix > size) fail(op, "prefix must be in [1, " + str(size) + "], got " + str(prefix));
  if (n < 1 || n > prefix) fail(op, "n must be in [1, prefix = " + str(prefix) + "], got " + str(n));
  const Tensor norms = pool.norms.contiguous();
  std::vector<int64_t> order = order_by_norm(norms, prefix);
  order.resize(n);
  RejectionSample r;
  r.drawn = prefix;
  r.threshold = norms.data<double>()[order.back()];
  std::sort(order.begin(), order.end());  // back to the order drawn
  const Tensor keep = from_vector_i(order, {n});
  r.norms = index_select(norms, 0, keep);
  r.images = index_select(pool.images, 0, keep);
  return r;
}

std::vector<int64_t> order_by_norm(const Tensor& norms, int64_t count) {
  if (!norms.defined() || norms.dim() != 1 || norms.dtype() != DType::f64)
    fail("order_by_norm", "needs float64 norms [N], got " +
                              (norms.defined() ? std::string(dtype_name(norms.dtype())) + " " + shape_str(norms.shape())
                                               : std::string("(undefined)")));
  if (count < 0 || count > norms.numel())
    fail("order_by_norm", "count must be in [0, " + str(norms.numel()) + "], got " + str(count));
  const Tensor c = norms.contiguous();
  const double* p = c.data<double>();
  std::vector<int64_t> order((size_t)count);
  for (int64_t i = 0; i < count; ++i) order[(size_t)i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] < p[b]; });
  return order;
}

void write_sample_grid(const std::string& path, GeneratorNet& G, const Tensor& z, const Tensor& y, int64_t cols,
                       bool eval_mode) {
  if (cols < 1) fail("write_sample_grid", "cols must be >= 1, got " + str(cols));
  Tensor x = generate_images(G, z, y, eval_mode);
  if (x.dim() == 2 && x.size(1) == 784) x = x.reshape({x.size(0), 1, 28, 28});
  if (x.dim() != 4) fail("write_sample_grid", "the generator's output " + shape_str(x.shape()) + " is not images");
  write_image_grid(path, x.contiguous(), cols);
}

}  // namespace latent::models
