// Chapter 06 — self-supervised rotation prediction (Gidaris, Singh & Komodakis
// 2018, "Unsupervised representation learning by predicting image rotations").
//
// No labels: every image x is rotated by r·90°, r ∈ {0, 1, 2, 3}, and a convnet
// is trained to say which r it sees (a 4-way classification, cross-entropy).
// To tell an upright 7 from one lying on its side the network has to learn
// what digits look like — where strokes start, which way they bend — so its
// features are useful for tasks it was never trained on. As in Gidaris et al.
// §3, the features are then frozen and a linear classifier is trained on them
// with the real labels: one more row in the chapter's linear-probe table.
//
// The network (a small version of their "NIN"-style convnet for MNIST's size):
//   [N,1,28,28] → Conv2d(1→c1, 3×3, pad 1) → ReLU → MaxPool 2 → [N,c1,14,14]
//               → Conv2d(c1→c2, 3×3, pad 1) → ReLU → MaxPool 2 → [N,c2,7,7]
//               → Conv2d(c2→c2, 3×3, pad 1) → ReLU → MaxPool 2 (pad 1) → [N,c2,4,4]   the features
//               → flatten → Linear(c2·16 → 4)                                          rotation logits
#pragma once

#include "models/ch06/autoencoder.h"

namespace latent::models {

// images [N, C, H, W] rotated counterclockwise by k quarter turns (any integer k; k mod 4 counts):
//   k = 1: out[i][j] = in[j][W−1−i]   (needs H = W for k odd).
Tensor rotate_quarter_turns(const Tensor& images, int64_t k);

// The pretext data of a batch: [4N, C, H, W], the four rotations of each image one after another
// (image n at rows 4n … 4n+3), and labels int64 [4N] = k, the number of quarter turns.
struct RotationBatch {
  Tensor images, labels;
};
RotationBatch rotation_batch(const Tensor& images);

struct RotationNetConfig {
  int64_t channels1 = 16, channels2 = 32;
  uint64_t seed = 0;
};

class RotationNet : public nn::Module {
 public:
  explicit RotationNet(const RotationNetConfig& config = {});
  std::string describe() const override;
  Var features(const Var& x);  // [N,1,28,28] → [N, c2·16]
  Var forward(const Var& x) override;  // rotation logits [N, 4]
  // The frozen features of x ([N,1,28,28] or [N,784]) as a plain tensor, in batches.
  Tensor feature_tensor(const Tensor& x, int64_t batch = 500);
  int64_t feature_size() const { return cfg_.channels2 * 16; }

 private:
  RotationNetConfig cfg_;
  std::shared_ptr<nn::Sequential> trunk_;
  std::shared_ptr<nn::Linear> head_;
};

struct RotationEpoch {
  int64_t epoch = 0;
  double loss = 0, accuracy = 0;  // means over the epoch's rotated images
  double seconds = 0;
};
struct RotationTrainOptions {
  int64_t epochs = 5;
  int64_t batch_size = 64;  // images per step; the step sees 4× as many rotated ones
  double lr = 1e-3;         // Adam
  uint64_t seed = 0;
  std::function<void(const RotationEpoch&)> on_epoch = {};
};
// Labels are never read: only images. Returns the last epoch.
RotationEpoch train_rotation_net(RotationNet& net, const Tensor& images, const RotationTrainOptions& opt);
// The fraction of rotated test images whose rotation the net names correctly.
double rotation_accuracy(RotationNet& net, const Tensor& images, int64_t batch = 500);

}  // namespace latent::models
