// Chapter 08 — the metric network: chapter 01's LeNet-5, trained once and cached in
// data/cache/ (see gan_metrics.h). Its 500-d penultimate layer gives the features of the
// Fréchet distance, its softmax the p(y|x) of the Inception Score.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "models/ch01/classifiers.h"
#include "models/ch08/gan_metrics.h"
#include "nn/checkpoint.h"

namespace latent::models {

namespace fs = std::filesystem;

MetricNet::MetricNet(std::shared_ptr<nn::Sequential> lenet, std::string source, double test_accuracy)
    : net_(std::move(lenet)), source_(std::move(source)), test_accuracy_(test_accuracy) {
  if (!net_ || net_->size() < 2)
    fail("MetricNet", "needs a Sequential whose last module maps features to class logits (make_lenet5())");
}

MetricNet::Outputs MetricNet::run(const Tensor& images01, int64_t batch) const {
  check_unit_images("MetricNet::run", images01);
  if (batch < 1) fail("MetricNet::run", "batch must be >= 1, got " + std::to_string(batch));
  const bool was_training = net_->is_training();
  net_->eval();
  NoGradGuard no_grad;
  const int64_t n = images01.size(0), last = (int64_t)net_->size() - 1;
  std::vector<Tensor> feats, probs;
  for (int64_t i = 0; i < n; i += batch) {
    // Every module but the last gives the features; the last one the logits.
    Var h(images01.slice(0, i, std::min(n, i + batch)).to(DType::f32));
    for (int64_t l = 0; l < last; ++l) h = (*(*net_)[l])(h);
    Var logits = (*(*net_)[last])(h);
    feats.push_back(h.data().reshape({h.size(0), -1}));
    probs.push_back(softmax(logits.data(), 1));
  }
  net_->train(was_training);
  auto concat_rows = [](const std::vector<Tensor>& parts) {
    int64_t rows = 0;
    for (auto& p : parts) rows += p.size(0);
    Tensor out({rows, parts[0].size(1)}, DType::f32);
    int64_t r = 0;
    for (auto& p : parts) out.slice(0, r, r + p.size(0)).copy_(p), r += p.size(0);
    return out;
  };
  Outputs o{concat_rows(feats), concat_rows(probs)};
  if (o.probs.size(1) != 10)
    fail("MetricNet::run", "the network gives " + std::to_string(o.probs.size(1)) + " classes, expected 10 digits");
  return o;
}

MetricNet load_or_train_metric_net(const MetricNetOptions& options) {
  auto say = [&](const std::string& s) {
    if (options.log) options.log(s);
  };
  Mnist data = options.embedded_only ? load_mnist_embedded() : load_mnist();
  const std::string which = data.embedded ? "embedded" : "full";
  const fs::path path = options.cache_path.empty()
                            ? fs::path(embedded_data_dir()).parent_path() / "cache" / ("ch08_lenet_" + which + ".ckpt")
                            : fs::path(options.cache_path);

  // The weights are drawn from the default generator (as in chapter 01); keep its state.
  const Generator saved = default_generator();
  manual_seed(options.seed);
  auto lenet = make_lenet5();
  default_generator() = saved;

  if (fs::exists(path)) {
    auto meta = load_checkpoint(path.string(), *lenet);
    const double acc = meta.count("test_acc") ? meta["test_acc"] : -1;
    say("metric LeNet loaded from " + path.string());
    return MetricNet(lenet, "LeNet-5 from " + path.string(), acc);
  }

  const int epochs = options.epochs > 0 ? options.epochs : (data.embedded ? 15 : 3);
  Tensor x = data.train.images, y = data.train.labels;
  if (options.max_train > 0 && options.max_train < x.size(0))
    x = x.slice(0, 0, options.max_train), y = y.slice(0, 0, options.max_train);
  say("training the metric LeNet on " + std::to_string(x.size(0)) + " " + which + " MNIST images, " +
      std::to_string(epochs) + " epochs (once; cached in " + path.string() + ")");
  // Chapter 01's LeNet recipe: SGD with momentum 0.9, lr 0.01, batch 64.
  nn::SGD sgd(lenet->parameters(), 0.01, 0.9);
  DataLoader loader(TensorDataset(x, y), 64, {.shuffle = true, .seed = options.seed});
  const auto t0 = std::chrono::steady_clock::now();
  for (int e = 1; e <= epochs; ++e) {
    const double loss = train_epoch(*lenet, sgd, loader);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char line[128];
    std::snprintf(line, sizeof line, "  epoch %d: train loss %.4f (%.0f s)", e, loss, secs);
    say(line);
  }
  const EvalResult ev = evaluate(*lenet, data.test.images, data.test.labels);
  char line[160];
  std::snprintf(line, sizeof line, "metric LeNet test accuracy %.2f %% on %lld test images", 100 * ev.accuracy,
                (long long)data.test.size());
  say(line);
  fs::create_directories(path.parent_path().empty() ? fs::path(".") : path.parent_path());
  save_checkpoint(path.string(), *lenet, nullptr, nullptr,
                  {{"test_acc", ev.accuracy},
                   {"epochs", (double)epochs},
                   {"train_examples", (double)x.size(0)},
                   {"full_mnist", data.embedded ? 0.0 : 1.0}});
  say("saved " + path.string());
  return MetricNet(lenet, "LeNet-5 trained on " + which + " MNIST, saved to " + path.string(), ev.accuracy);
}

}  // namespace latent::models
