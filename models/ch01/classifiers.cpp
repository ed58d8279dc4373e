// Chapter 01 — an MLP and LeNet-5 (see classifiers.h).
#include "models/ch01/classifiers.h"

#include "nn/loss.h"

namespace latent::models {

std::shared_ptr<nn::Sequential> make_mlp(const std::vector<int64_t>& hidden) {
  auto net = nn::make<nn::Sequential>();
  net->push_back(nn::make<nn::Flatten>());
  int64_t in = 784;
  for (int64_t h : hidden) {
    net->push_back(nn::make<nn::Linear>(in, h));
    net->push_back(nn::make<nn::ReLU>());
    in = h;
  }
  net->push_back(nn::make<nn::Linear>(in, 10));
  return net;
}

std::shared_ptr<nn::Sequential> make_lenet5() {
  using namespace nn;
  return make<Sequential>(std::vector<ModulePtr>{
      make<Conv2d>(1, 20, 5), make<ReLU>(), make<MaxPool2d>(2),   // [N,20,12,12]
      make<Conv2d>(20, 50, 5), make<ReLU>(), make<MaxPool2d>(2),  // [N,50,4,4]
      make<Flatten>(),                                            // [N,800]
      make<Linear>(800, 500), make<ReLU>(), make<Linear>(500, 10)});
}

EvalResult evaluate(nn::Module& model, const Tensor& images, const Tensor& labels, int64_t batch) {
  bool was_training = model.is_training();
  model.eval();
  NoGradGuard ng;
  double loss = 0, correct = 0;
  const int64_t n = images.size(0);
  for (int64_t i = 0; i < n; i += batch) {
    int64_t e = std::min(n, i + batch);
    Tensor y = labels.slice(0, i, e);
    Var logits = model(Var(images.slice(0, i, e)));
    loss += nn::cross_entropy(logits, y, nn::Reduction::sum).item();
    correct += nn::accuracy(logits.data(), y) * (double)(e - i);
  }
  model.train(was_training);
  return {loss / (double)n, correct / (double)n};
}

double train_epoch(nn::Module& model, nn::Optimizer& opt, DataLoader& loader,
                   const std::function<void(int64_t, double, int64_t)>& on_batch) {
  model.train();
  double total = 0;
  int64_t i = 0;
  for (auto& b : loader) {
    opt.zero_grad();
    Var loss = nn::cross_entropy(model(Var(b.x)), b.y);
    loss.backward();
    opt.step();
    total += loss.item();
    if (on_batch) on_batch(i, loss.item(), b.x.size(0));
    ++i;
  }
  return i ? total / (double)i : 0;
}

}  // namespace latent::models
