// Chapter 06 — linear probes and nearest-neighbour retrieval on codes (codes.h).
#include "models/ch06/codes.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nn/data.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "nn/optim.h"
#include "nn/progress.h"

namespace latent::models {

namespace {

Tensor as_rows(const std::string& op, const Tensor& f, const Tensor& labels) {
  if (!f.defined() || f.dim() < 2 || f.size(0) < 1)
    fail(op, "features must be [N, k], got " + (f.defined() ? shape_str(f.shape()) : std::string("(undefined)")));
  if (!labels.defined() || labels.dim() != 1 || labels.size(0) != f.size(0) || labels.dtype() != DType::i64)
    fail(op, "labels " + (labels.defined() ? shape_str(labels.shape()) : std::string("(undefined)")) +
                 " must be int64 [" + std::to_string(f.size(0)) + "], one per row of " + shape_str(f.shape()));
  return f.reshape({f.size(0), -1}).to(DType::f32);
}

}  // namespace

Tensor LinearProbe::logits(const Tensor& features) const {
  const Tensor f = features.reshape({features.size(0), -1}).to(DType::f32);
  if (f.size(1) != mean.size(0))
    fail("linear probe", "features " + shape_str(features.shape()) + " do not match the probe's " +
                             std::to_string(mean.size(0)) + " inputs");
  NoGradGuard ng;
  return (*linear)(Var((f - mean) * inv_std)).data();
}

LinearProbe train_linear_probe(const Tensor& features, const Tensor& labels, int64_t classes, const ProbeOptions& opt) {
  const Tensor f = as_rows("train_linear_probe", features, labels);
  if (classes < 2) fail("train_linear_probe", "needs at least 2 classes, got " + std::to_string(classes));
  if (opt.epochs < 0 || opt.batch_size < 1 || !(opt.lr > 0) || !(opt.weight_decay >= 0))
    fail("train_linear_probe", "needs epochs >= 0, batch_size >= 1, lr > 0, weight_decay >= 0");
  LinearProbe p;
  p.mean = mean(f, {0});
  // 1/std with a floor: a feature that never varies (a pixel always 0) becomes 0, not NaN.
  p.inv_std = reciprocal(sqrt(var(f, {0}) + 1e-6));
  p.linear = nn::make<nn::Linear>(f.size(1), classes);
  nn::init::constant(p.linear->weight, 0.0);  // a convex problem: start at the uniform prediction
  nn::init::constant(p.linear->bias, 0.0);
  const Tensor z = (f - p.mean) * p.inv_std;
  TensorDataset data(z, labels);
  DataLoader loader(data, opt.batch_size, {.shuffle = true, .seed = opt.seed});
  nn::Adam adam(p.linear->parameters(), opt.lr, 0.9, 0.999, 1e-8, opt.weight_decay);
  int64_t step = 0;
  for (int64_t e = 1; e <= opt.epochs; ++e) {
    double total = 0;
    int64_t seen = 0;
    for (auto& b : loader) {
      adam.zero_grad();
      Var loss = nn::cross_entropy((*p.linear)(Var(b.x)), b.y);  // one-hot labels out of range are an error there
      check_finite(loss, "linear probe loss", step++);
      loss.backward();
      adam.step();
      total += loss.item() * (double)b.x.size(0);
      seen += b.x.size(0);
    }
    if (opt.on_epoch) opt.on_epoch(e, total / (double)seen);
  }
  return p;
}

double probe_accuracy(const LinearProbe& probe, const Tensor& features, const Tensor& labels) {
  const Tensor f = as_rows("probe_accuracy", features, labels);
  return nn::accuracy(probe.logits(f), labels);
}

double retrieval_precision(const Tensor& queries, const Tensor& query_labels, const Tensor& database,
                           const Tensor& database_labels, int64_t k, int64_t block) {
  const Tensor q = as_rows("retrieval_precision", queries, query_labels);
  const Tensor d = as_rows("retrieval_precision", database, database_labels);
  if (q.size(1) != d.size(1))
    fail("retrieval_precision", "queries " + shape_str(queries.shape()) + " and database " + shape_str(database.shape()) +
                                    " have codes of different sizes");
  const int64_t Q = q.size(0), D = d.size(0);
  if (k < 1 || k > D || block < 1)
    fail("retrieval_precision", "needs 1 <= k <= database size " + std::to_string(D) + " and block >= 1; got k = " +
                                    std::to_string(k));
  const Tensor d_sq = sum(square(d), {1});  // ‖d‖² [D]
  const Tensor dt = d.t().contiguous();
  const Tensor ql = query_labels.contiguous(), dl = database_labels.contiguous();
  const int64_t* qy = ql.data<int64_t>();
  const int64_t* dy = dl.data<int64_t>();
  double total = 0;
  for (int64_t s = 0; s < Q; s += block) {
    const int64_t e = std::min(Q, s + block);
    // ‖q‖² is the same for every database row of a query, so it does not change the ranking.
    const Tensor dist = (d_sq.unsqueeze(0) - matmul(q.slice(0, s, e), dt) * 2.0).contiguous();  // [b, D]
    const float* dp = dist.data<float>();
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (int64_t i = 0; i < e - s; ++i) {
      std::vector<int64_t> idx((size_t)D);
      std::iota(idx.begin(), idx.end(), 0);
      const float* row = dp + i * D;
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                        [row](int64_t a, int64_t b) { return row[a] < row[b] || (row[a] == row[b] && a < b); });
      int64_t same = 0;
      for (int64_t j = 0; j < k; ++j) same += dy[idx[(size_t)j]] == qy[s + i];
      total += (double)same / (double)k;
    }
  }
  return total / (double)Q;
}

}  // namespace latent::models
