// Chapter 01 — supervised warm-up: an MLP and LeNet-5 on MNIST, and the
// toolkit they use (data loading, layers, optimizers, checkpoints, pictures).
// Read along: docs/01-supervised-warm-up.md.
#include <chrono>

#include "models/ch01/classifiers.h"
#include "nn/checkpoint.h"
#include "nn/image.h"
#include "nn/metrics.h"
#include "nn/plot.h"
#include "nn/progress.h"
#include "tutorials/runner.h"

namespace latent::tutorial {

namespace {


struct Result {
  double accuracy, seconds;
  int epochs;
};

// Train `model` for `epochs`, logging train loss and test accuracy per epoch.
Result fit(Tutorial& T, const std::string& run, nn::Module& model, nn::Optimizer& opt, const Mnist& data,
           int64_t batch, int epochs) {
  DataLoader loader(TensorDataset(data.train.images, data.train.labels), batch, {.shuffle = true, .seed = T.options().seed});
  MetricsLog log("ch" + T.chapter(), run, {"epoch", "train_loss", "test_loss", "test_acc"}, false, T.options().runs_dir);
  std::vector<double> xs, train_loss, test_loss;
  auto t0 = std::chrono::steady_clock::now();
  models::EvalResult ev;
  for (int e = 1; e <= epochs; ++e) {
    ProgressBar bar(loader.num_batches(), {.epoch = e, .epochs = epochs, .label = run});
    int64_t step0 = (e - 1) * loader.num_batches();
    double tl = models::train_epoch(model, opt, loader, [&](int64_t i, double loss, int64_t n) {
      if (i % 50 == 0) check_finite(scalar(loss), run + " loss", step0 + i);
      bar.update(loss, n);
    });
    bar.finish();
    ev = models::evaluate(model, data.test.images, data.test.labels);
    log.log(e, {{"epoch", (double)e}, {"train_loss", tl}, {"test_loss", ev.loss}, {"test_acc", ev.accuracy}});
    xs.push_back(e);
    train_loss.push_back(tl);
    test_loss.push_back(ev.loss);
    T.say("  epoch " + std::to_string(e) + ": train loss " + std::to_string(tl) + ", test accuracy " +
          std::to_string(100 * ev.accuracy) + " %");
  }
  double secs = seconds_since(t0);
  log.write_final({{"test_acc", ev.accuracy}, {"epochs", (double)epochs}, {"seconds", secs}});
  std::string plot = T.path(run + "/loss.svg");
  write_svg_plot(plot, run + " on MNIST", "epoch", "cross-entropy", {{"train", xs, train_loss}, {"test", xs, test_loss}});
  T.wrote(plot, "loss curves; metrics in " + log.csv_path());
  return {ev.accuracy, secs, epochs};
}

}  // namespace

void run_chapter01(Tutorial& T) {
  const bool quick = T.quick();
  T.step("The data", "MNIST: 28x28 grey digits. The quick setting uses the embedded subset (committed in\n"
                     "data/embedded/); the full setting needs the full set (scripts/fetch-data).");
  Mnist data = quick ? load_mnist_embedded() : load_mnist("", /*allow_embedded=*/false);
  T.say(data.source);
  T.say("train " + shape_str(data.train.images.shape()) + ", test " + shape_str(data.test.images.shape()));
  std::string grid = T.path("digits.png");
  write_image_grid(grid, data.train.images.slice(0, 0, 100), 10);
  T.wrote(grid, "the first 100 training digits");

  T.step("A multilayer perceptron", "Flatten -> 784-256-128-10 with ReLU, cross-entropy, Adam (lr 1e-3), batch 128.");
  manual_seed(T.options().seed);
  auto mlp = models::make_mlp({256, 128});
  T.say(mlp->summary());
  nn::Adam adam(mlp->parameters(), 1e-3);
  Result m = fit(T, "mlp", *mlp, adam, data, 128, quick ? 5 : 10);
  T.figure({"MLP test accuracy", 100 * m.accuracy, "%", "full set: ~97 (LeCun 1998: 784-300-100-10, 96.95)",
            std::to_string(m.epochs) + " epochs, " + std::to_string((int)m.seconds) + " s"});

  T.step("LeNet-5", "Two convolution + max-pool stages and two dense layers (Caffe's LeNet), SGD with\n"
                    "momentum 0.9, lr 0.01, batch 64 — the same network as the PyTorch bench workload.");
  manual_seed(T.options().seed + 1);
  auto lenet = models::make_lenet5();
  T.say(lenet->summary());
  nn::SGD sgd(lenet->parameters(), 0.01, 0.9);
  Result l = fit(T, "lenet", *lenet, sgd, data, 64, quick ? 4 : 12);
  T.figure({"LeNet test accuracy", 100 * l.accuracy, "%", "full set: >= 99.0 (LeCun 1998: 99.05)",
            std::to_string(l.epochs) + " epochs, " + std::to_string((int)l.seconds) + " s"});

  T.step("Look inside, and keep it", "The first layer's 20 filters (each 5x5, normalised per tile), and a\n"
                                     "checkpoint that chapter 08 loads as its feature network.");
  auto conv1 = std::dynamic_pointer_cast<nn::Conv2d>((*lenet)[0]);
  std::string filters = T.path("lenet_filters.png");
  write_image_grid(filters, conv1->weight.data(), 10, /*per_tile_normalise=*/true);
  T.wrote(filters, "conv1 filters");
  std::string ckpt = T.path(quick ? "lenet_quick.ckpt" : "lenet.ckpt");
  save_checkpoint(ckpt, *lenet, &sgd, nullptr, {{"test_acc", l.accuracy}, {"epochs", (double)l.epochs}});
  T.wrote(ckpt, "LeNet weights + optimizer state (nn/checkpoint.h format)");
}

}  // namespace latent::tutorial
