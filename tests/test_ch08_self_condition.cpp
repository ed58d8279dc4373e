// Chapter 08 tests, self-conditioning: k-means pseudo-labels (their partition, shares and
// centres on separated blobs), drawing labels from the shares, a cGAN trained a step on
// pseudo-labels and sampled with drawn ones, and the refusals. (Purity: test_ch03.cpp.)
#include <cmath>
#include <limits>
#include <vector>

#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch03/cluster_metrics.h"
#include "models/ch08/gan_latent.h"
#include "models/ch08/gan_train.h"
#include "models/ch08/self_condition.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;
using latent::test::small_dcgan;

namespace {

// 12 "images" [12, 1, 2, 2] in three tight blobs of 6, 3 and 3 around far-apart centres; the
// blob of each image in `truth`.
Tensor three_blobs(Tensor* truth) {
  const double centre[3][4] = {{0, 0, 0, 0}, {5, 5, 0, 0}, {0, 0, 5, 5}};
  const int64_t blob[12] = {0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0, 2};
  std::vector<double> v;
  std::vector<int64_t> t;
  for (int64_t i = 0; i < 12; ++i) {
    for (int64_t j = 0; j < 4; ++j) v.push_back(centre[blob[i]][j] + 0.01 * (double)((i * 7 + j * 3) % 5 - 2));
    t.push_back(blob[i]);
  }
  *truth = from_vector_i(t, {12});
  return from_vector(v, {12, 1, 2, 2});
}

}  // namespace

TEST_CASE("ch08 self-conditioning: k-means pseudo-labels recover separated blobs, with their shares and means") {
  Tensor truth;
  const Tensor images = three_blobs(&truth);
  const PseudoLabels p = cluster_pseudo_labels(images, 3, 7, 2);
  CHECK(p.k == 3);
  CHECK(p.labels.shape() == Shape{12});
  CHECK(p.labels.dtype() == DType::i64);
  CHECK(adjusted_rand_index(p.labels, truth) == doctest::Approx(1.0));
  CHECK(p.centres.shape() == Shape{3, 4});
  CHECK(p.shares.dtype() == DType::f64);
  const std::vector<double> shares = p.shares.to_vector(), labels = p.labels.to_vector(),
                            truths = truth.to_vector(), x = images.reshape({12, 4}).to_vector(),
                            centres = p.centres.to_vector();
  for (int64_t c = 0; c < 3; ++c) {
    // Each cluster's share is its blob's size over 12, and its centre is its members' mean.
    double members = 0, blob = -1;
    std::vector<double> mean(4, 0.0);
    for (int64_t i = 0; i < 12; ++i)
      if ((int64_t)labels[(size_t)i] == c) {
        members += 1, blob = truths[(size_t)i];
        for (int64_t j = 0; j < 4; ++j) mean[(size_t)j] += x[(size_t)(i * 4 + j)];
      }
    CAPTURE(c);
    CHECK(members == (blob == 0 ? 6 : 3));
    CHECK(shares[(size_t)c] == doctest::Approx(members / 12.0));
    for (int64_t j = 0; j < 4; ++j) CHECK(centres[(size_t)(c * 4 + j)] == doctest::Approx(mean[(size_t)j] / members).epsilon(1e-5));
  }
  // Flat vectors [N, D] give the same partition.
  CHECK(adjusted_rand_index(cluster_pseudo_labels(images.reshape({12, 4}), 3, 7, 2).labels, truth) == doctest::Approx(1.0));
}

TEST_CASE("ch08 self-conditioning: labels are drawn in proportion to the shares") {
  const Tensor shares = from_vector({2, 0, 1, 1}, {4});  // not normalised: p = 1/2, 0, 1/4, 1/4
  Generator g(11);
  const int64_t n = 40000;
  const Tensor y = sample_pseudo_labels(shares, n, g);
  CHECK(y.shape() == Shape{n});
  CHECK(y.dtype() == DType::i64);
  std::vector<double> freq(4, 0.0);
  int64_t outside = 0;
  for (double v : y.to_vector()) {
    if (v < 0 || v >= 4) ++outside;
    else freq[(size_t)v] += 1.0 / (double)n;
  }
  CHECK(outside == 0);
  // Binomial standard error at n = 40,000 is at most 0.0025: 0.01 is four of them.
  CHECK(freq[0] == doctest::Approx(0.5).epsilon(0.02));
  CHECK(freq[1] == 0.0);  // a cluster of share 0 is never drawn
  CHECK(std::abs(freq[2] - 0.25) < 0.01);
  CHECK(std::abs(freq[3] - 0.25) < 0.01);
  Generator a(3), b(3);
  CHECK(max(abs(sample_pseudo_labels(shares, 50, a).to(DType::f64) - sample_pseudo_labels(shares, 50, b).to(DType::f64))).item() == 0);
}

TEST_CASE("ch08 self-conditioning: a cGAN on pseudo-labels trains a step and samples with drawn labels") {
  Generator g(9);
  const Tensor real = uniform({12, 1, 28, 28}, -1, 1, DType::f32, &g);
  const PseudoLabels p = cluster_pseudo_labels(real, 3, 1);
  GanNetConfig c = small_dcgan();
  c.latent.classes = p.k, c.conditioning = Conditioning::projection;
  Gan gan(c);
  GanTrainer trainer(*gan.generator, *gan.discriminator, GanTrainConfig{});
  const GanStepStats st = trainer.step(real, p.labels);
  CHECK(std::isfinite(st.d_loss));
  CHECK(std::isfinite(st.g_loss));
  for (const Var& w : gan.generator->parameters()) CHECK(latent::test::all_finite(w.data()));
  const Tensor y = sample_pseudo_labels(p.shares, 5, g);
  const Tensor x = sample_images(*gan.generator, 5, g, y);
  CHECK(x.shape() == Shape{5, 1, 28, 28});
  CHECK(min(x).item() >= 0);
  CHECK(max(x).item() <= 1);
}

TEST_CASE("ch08 self-conditioning: bad input is refused with the reason") {
  Tensor truth;
  const Tensor images = three_blobs(&truth);
  check_error([&] { cluster_pseudo_labels(images, 0, 1); }, {"cluster_pseudo_labels", "k must be in [1, N = 12]", "0"});
  check_error([&] { cluster_pseudo_labels(images, 13, 1); }, {"cluster_pseudo_labels", "N = 12", "13"});
  CHECK(sum(cluster_pseudo_labels(images, 12, 1).shares).item() == doctest::Approx(1.0));  // k = N is allowed
  check_error([&] { cluster_pseudo_labels(images.to(DType::i64), 2, 1); }, {"cluster_pseudo_labels", "int64"});
  check_error([&] { cluster_pseudo_labels(images, 2, 1, 0); }, {"cluster_pseudo_labels", "n_init"});
  check_error([&] { cluster_pseudo_labels(from_vector({1, 2, 3}, {3}), 2, 1); }, {"cluster_pseudo_labels", "[3]"});
  check_error([&] { cluster_pseudo_labels(Tensor(), 2, 1); }, {"cluster_pseudo_labels", "undefined"});
  Tensor bad = images.clone();
  bad.set({4, 0, 1, 0}, std::numeric_limits<double>::quiet_NaN());
  check_error([&] { cluster_pseudo_labels(bad, 2, 1); }, {"cluster_pseudo_labels", "non-finite", "row 4"});
  Generator g(1);
  check_error([&] { sample_pseudo_labels(from_vector({0.5, -0.1}, {2}), 4, g); }, {"sample_pseudo_labels", ">= 0", "-0.1", "index 1"});
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  check_error([&] { sample_pseudo_labels(from_vector({nan, 1}, {2}), 4, g); }, {"sample_pseudo_labels", "finite", "index 0"});
  check_error([&] { sample_pseudo_labels(from_vector({1, inf}, {2}, DType::f64), 4, g); }, {"sample_pseudo_labels", "finite", "index 1"});
  check_error([&] { sample_pseudo_labels(from_vector({0, 0}, {2}), 4, g); }, {"sample_pseudo_labels", "all 0"});
  check_error([&] { sample_pseudo_labels(from_vector({0.5, 0.5}, {1, 2}), 4, g); }, {"sample_pseudo_labels", "[1,2]"});
  check_error([&] { sample_pseudo_labels(from_vector({0.5, 0.5}, {2}), 0, g); }, {"sample_pseudo_labels", "n must be"});
}
