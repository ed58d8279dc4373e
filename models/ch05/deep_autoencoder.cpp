// Chapter 05 — unrolling, fine-tuning and hashing with the deep autoencoder
// (deep_autoencoder.h).
#include "models/ch05/deep_autoencoder.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "nn/init.h"
#include "nn/loss.h"
#include "nn/optim.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

Tensor run_batched(nn::Module& net, const Tensor& X, int64_t batch) {
  NoGradGuard ng;
  std::vector<Tensor> out;
  for (int64_t i = 0; i < X.size(0); i += batch)
    out.push_back(net(Var(X.slice(0, i, std::min(X.size(0), i + batch)))).data());
  return concat(out, 0);
}

std::vector<int64_t> layer_sizes(const nn::Sequential& enc) {
  std::vector<int64_t> s;
  for (size_t i = 0; i < enc.size(); ++i)
    if (auto lin = std::dynamic_pointer_cast<nn::Linear>(enc[i])) {
      if (s.empty()) s.push_back(lin->in_features);
      s.push_back(lin->out_features);
    }
  return s;
}

}  // namespace

std::string DeepAutoencoder::describe() const {
  std::vector<int64_t> s = layer_sizes(*encoder);
  std::string out = "autoencoder ";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "-" : "") + std::to_string(s[i]);
  for (size_t i = s.size() - 1; i-- > 0;) out += "-" + std::to_string(s[i]);
  return out;
}

Tensor DeepAutoencoder::encode(const Tensor& X, int64_t batch) const {
  encoder->eval();
  return run_batched(*encoder, X.reshape({X.size(0), -1}), batch);
}

Tensor DeepAutoencoder::reconstruct(const Tensor& X, int64_t batch) const {
  decoder->eval();
  return sigmoid(run_batched(*decoder, encode(X, batch), batch));
}

Dbn pretrain_autoencoder_stack(const Tensor& X, const std::vector<int64_t>& hidden_sizes, const DbnFitOptions& opt) {
  DbnFitOptions o = opt;
  o.top_hidden = Units::gaussian;  // a real-valued code (HS2006: linear code units with gaussian noise)
  return dbn_fit(X, hidden_sizes, o);
}

DeepAutoencoder unroll(const Dbn& stack) {
  check_dbn("unroll", stack);
  DeepAutoencoder ae;
  ae.encoder = dbn_to_mlp(stack, 0);  // Linear(Wᵀ, c) + sigmoid per layer; the code layer stays linear
  ae.decoder = nn::make<nn::Sequential>();
  for (int64_t l = (int64_t)stack.layers.size() - 1; l >= 0; --l) {
    const Rbm& r = stack.layers[(size_t)l];
    auto lin = nn::make<nn::Linear>(r.num_hidden(), r.num_visible());  // h -> b + W h
    Tensor w = lin->weight.data(), b = lin->bias.data();
    w.copy_(r.W.to(DType::f32));
    b.copy_(r.b.to(DType::f32));
    ae.decoder->push_back(lin);
    if (l > 0) ae.decoder->push_back(nn::make<nn::Sigmoid>());  // the last layer's output are logits
  }
  return ae;
}

DeepAutoencoder random_autoencoder(const std::vector<int64_t>& sizes, uint64_t seed) {
  if (sizes.size() < 2) fail("random_autoencoder", "needs at least {input, code} sizes");
  Generator g(seed);
  DeepAutoencoder ae;
  ae.encoder = nn::make<nn::Sequential>();
  ae.decoder = nn::make<nn::Sequential>();
  const size_t L = sizes.size() - 1;
  for (size_t l = 0; l < L; ++l) {
    auto lin = nn::make<nn::Linear>(sizes[l], sizes[l + 1]);
    nn::init::xavier_uniform(lin->weight, 1.0, &g);
    nn::init::constant(lin->bias, 0.0);
    ae.encoder->push_back(lin);
    if (l + 1 < L) ae.encoder->push_back(nn::make<nn::Sigmoid>());
  }
  for (size_t l = L; l-- > 0;) {
    auto lin = nn::make<nn::Linear>(sizes[l + 1], sizes[l]);
    nn::init::xavier_uniform(lin->weight, 1.0, &g);
    nn::init::constant(lin->bias, 0.0);
    ae.decoder->push_back(lin);
    if (l > 0) ae.decoder->push_back(nn::make<nn::Sigmoid>());
  }
  return ae;
}

double fine_tune(DeepAutoencoder& ae, const Tensor& X_, const FineTuneOptions& opt) {
  if (X_.dim() < 2) fail("fine_tune", "data must be [N, V] or images [N, 1, H, W], got " + shape_str(X_.shape()));
  const Tensor X = X_.reshape({X_.size(0), -1});
  std::vector<Var> params = ae.encoder->parameters();
  for (const Var& p : ae.decoder->parameters()) params.push_back(p);
  nn::Adam adam(params, opt.lr);
  ae.encoder->train();
  ae.decoder->train();
  const int64_t N = X.size(0);
  double last = 0;
  for (int64_t e = 0; e < opt.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    Generator g(opt.seed);
    g.set_counter((uint64_t)e << 32);
    const Tensor order = permutation(N, &g);
    double total = 0;
    int64_t seen = 0;
    for (int64_t i = 0; i < N; i += opt.batch_size) {
      const Tensor x = index_select(X, 0, order.slice(0, i, std::min(N, i + opt.batch_size)));
      adam.zero_grad();
      Var logits = (*ae.decoder)((*ae.encoder)(Var(x)));
      // Σ over pixels, mean over the batch: nats per image.
      Var loss = nn::bce_with_logits(logits, Var(x), nn::Reduction::sum) / (double)x.size(0);
      loss.backward();
      adam.step();
      total += loss.item() * (double)x.size(0);
      seen += x.size(0);
    }
    last = total / (double)seen;
    if (opt.on_epoch)
      opt.on_epoch(e + 1, last, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return last;
}

double squared_error_per_image(const DeepAutoencoder& ae, const Tensor& X_) {
  const Tensor X = X_.reshape({X_.size(0), -1});
  return sum(square(ae.reconstruct(X) - X)).item() / (double)X.size(0);
}

Tensor median_thresholds(const Tensor& codes) {
  if (codes.dim() != 2 || codes.size(0) == 0)
    fail("median_thresholds", "codes must be [N, k] with N > 0, got " + shape_str(codes.shape()));
  const int64_t N = codes.size(0), k = codes.size(1);
  const std::vector<double> v = codes.to_vector();
  std::vector<double> t((size_t)k), col((size_t)N);
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t i = 0; i < N; ++i) col[(size_t)i] = v[(size_t)(i * k + j)];
    std::nth_element(col.begin(), col.begin() + N / 2, col.end());
    t[(size_t)j] = col[(size_t)(N / 2)];
  }
  return from_vector(t, {k}, DType::f64);
}

std::vector<uint64_t> binary_codes(const Tensor& codes, const Tensor& thresholds) {
  if (codes.dim() != 2 || codes.size(1) > 64 || thresholds.dim() != 1 || thresholds.size(0) != codes.size(1))
    fail("binary_codes", "needs codes [N, k] with k <= 64 and thresholds [k]; got " + shape_str(codes.shape()) +
                             " and " + shape_str(thresholds.shape()));
  const int64_t N = codes.size(0), k = codes.size(1);
  const std::vector<double> v = codes.to_vector(), t = thresholds.to_vector();
  std::vector<uint64_t> bits((size_t)N, 0);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < k; ++j)
      if (v[(size_t)(i * k + j)] > t[(size_t)j]) bits[(size_t)i] |= uint64_t(1) << j;
  return bits;
}

double hamming_precision(const std::vector<uint64_t>& queries, const Tensor& query_labels,
                         const std::vector<uint64_t>& database, const Tensor& database_labels, int64_t k) {
  const int64_t Q = (int64_t)queries.size(), D = (int64_t)database.size();
  if (query_labels.numel() != Q || database_labels.numel() != D || k < 1 || k > D)
    fail("hamming_precision", "needs one label per code and 1 <= k <= database size; got " + std::to_string(Q) +
                                  " queries with " + std::to_string(query_labels.numel()) + " labels, " +
                                  std::to_string(D) + " items with " + std::to_string(database_labels.numel()) +
                                  " labels, k = " + std::to_string(k));
  const Tensor ql = query_labels.to(DType::i64).contiguous(), dl = database_labels.to(DType::i64).contiguous();
  const int64_t* qy = ql.data<int64_t>();
  const int64_t* dy = dl.data<int64_t>();
  double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(dynamic, 16)
  for (int64_t q = 0; q < Q; ++q) {
    // Pass 1: how many items at each distance; the k-th nearest sits at distance `cut`.
    std::array<int64_t, 65> hist{};
    for (int64_t i = 0; i < D; ++i) ++hist[(size_t)__builtin_popcountll(queries[(size_t)q] ^ database[(size_t)i])];
    int64_t cut = 0, below = 0;
    while (below + hist[(size_t)cut] < k) below += hist[(size_t)cut++];
    // Pass 2: everything closer than `cut`, then the first (k − below) at `cut`.
    int64_t same = 0, at_cut = k - below;
    for (int64_t i = 0; i < D; ++i) {
      const int64_t dist = __builtin_popcountll(queries[(size_t)q] ^ database[(size_t)i]);
      if (dist < cut || (dist == cut && at_cut-- > 0)) same += dy[i] == qy[q];
    }
    total += (double)same / (double)k;
  }
  return total / (double)Q;
}

}  // namespace latent::models
