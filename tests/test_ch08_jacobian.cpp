// Chapter 08 tests, Jacobian-based rejection (Tanielian et al. 2020): the Hutchinson estimate of
// ‖J_G(z)‖_F against central differences, and which samples the rejection keeps.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch08/gan_latent.h"
#include "tensor/index.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;
using latent::test::tiny_mlp_gan;

TEST_CASE("ch08: jacobian_norms matches ||J_G(z)||_F by central differences (float64, DCGAN G with batch norm)") {
  GanNetConfig c;
  c.latent.noise = 3, c.g_width = 4, c.d_width = 4, c.dtype = DType::f64, c.seed = 3;
  GanGenerator G(c);
  Generator g(21);
  refresh_batch_norm(G, g, 3, 8);  // running statistics away from their start, so eval mode matters
  G.train();
  const Tensor z = normal({3, 3}, 0, 1, DType::f64, &g);
  Tensor est;
  {
    NoGradGuard ng;  // a caller's guard does not stop it
    est = jacobian_norms(G, z, 3000, g);
  }
  CHECK(G.is_training());  // left in the mode it was in
  REQUIRE(est.shape() == Shape{3});
  const double h = 1e-5;
  for (int64_t i = 0; i < 3; ++i) {
    double fro2 = 0;
    for (int64_t j = 0; j < 3; ++j) {
      Tensor zp = z.slice(0, i, i + 1).clone(), zm = zp.clone();
      zp.set({0, j}, zp.at({0, j}) + h);
      zm.set({0, j}, zm.at({0, j}) - h);
      // generate_images maps G's [−1, 1] to [0, 1], halving the Jacobian.
      const Tensor col = (generate_images(G, zp) - generate_images(G, zm)) * (2.0 / (2 * h));
      fro2 += sum(square(col)).item();
    }
    const double exact = std::sqrt(fro2), got = est.at({i});
    INFO("row " << i << ": exact " << exact << ", estimate " << got);
    CHECK(exact > 0);
    CHECK(std::abs(got - exact) < 0.05 * exact);  // 3,000 probes: relative s.d. ≤ 1.3 %
  }
}

TEST_CASE("ch08: Jacobian rejection keeps the n smallest norms, in the order drawn, with their own images") {
  GanGenerator G(tiny_mlp_gan(3, 2, 5, true));
  Generator g1(11), g2(11);
  const RejectionSample r = sample_images_jacobian_rejection(G, 6, 0.5, g1, 4);
  CHECK(r.drawn == 12);
  // The same draws by hand: one batch of z, then its norms, from the same stream.
  const Tensor z = sample_latent(G.latent(), 12, g2, DType::f64).z;
  const Tensor norms = jacobian_norms(G, z, 4, g2);
  std::vector<int64_t> order(12);
  for (int64_t i = 0; i < 12; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return norms.at({a}) < norms.at({b}); });
  std::vector<int64_t> kept(order.begin(), order.begin() + 6);
  std::sort(kept.begin(), kept.end());
  REQUIRE(r.norms.shape() == Shape{6});
  REQUIRE(r.images.shape() == Shape{6, 3});
  double largest = 0;
  for (int64_t k = 0; k < 6; ++k) {
    CHECK(r.norms.at({k}) == norms.at({kept[k]}));
    largest = std::max(largest, r.norms.at({k}));
  }
  CHECK(r.threshold == largest);
  for (int64_t k = 6; k < 12; ++k) CHECK(norms.at({order[k]}) >= r.threshold);
  const Tensor want = clamp(generate_images(G, index_select(z, 0, from_vector_i(kept, {6}))), 0, 1);
  CHECK(max(abs(r.images - want)).item() < 1e-12);
  // How many are drawn: ⌈n / (1 − reject)⌉, without floating-point surprises.
  CHECK(sample_images_jacobian_rejection(G, 5, 0.0, g1, 1).drawn == 5);
  CHECK(sample_images_jacobian_rejection(G, 5, 0.3, g1, 1).drawn == 8);   // 7.14 → 8
  CHECK(sample_images_jacobian_rejection(G, 1, 0.9, g1, 1).drawn == 10);  // 1/(1 − 0.9) = 10.000000000000002
  // More than one batch of 500: the norms and images of every batch, in order.
  Generator g3(12), g4(12);
  const RejectionSample big = sample_images_jacobian_rejection(G, 700, 0.3, g3, 1);
  CHECK(big.drawn == 1000);
  const Tensor za = sample_latent(G.latent(), 500, g4, DType::f64).z;
  const Tensor na = jacobian_norms(G, za, 1, g4);
  const Tensor zb = sample_latent(G.latent(), 500, g4, DType::f64).z;
  const Tensor nb = jacobian_norms(G, zb, 1, g4);
  int64_t kept_a = 0;  // the first batch's rows kept come first, then the second's
  for (int64_t i = 0; i < 500; ++i) kept_a += na.at({i}) <= big.threshold ? 1 : 0;
  int64_t kept_b = 0;
  for (int64_t i = 0; i < 500; ++i) kept_b += nb.at({i}) <= big.threshold ? 1 : 0;
  CHECK(kept_a + kept_b == 700);
  int64_t last_b = -1;
  for (int64_t i = 0; i < 500; ++i)
    if (nb.at({i}) <= big.threshold) last_b = i;
  REQUIRE(last_b >= 0);
  CHECK(big.norms.at({699}) == nb.at({last_b}));
  CHECK(max(abs(big.images.slice(0, 699, 700) - clamp(generate_images(G, zb.slice(0, last_b, last_b + 1)), 0, 1))).item() < 1e-12);
}

TEST_CASE("ch08: Jacobian rejection refuses a bad fraction, probe count, z or a conditional G") {
  GanGenerator G(tiny_mlp_gan(3, 2, 5, true));
  Generator g(1);
  check_error([&] { sample_images_jacobian_rejection(G, 4, 1.0, g); },
              {"sample_images_jacobian_rejection", "reject must be in [0, 0.99], got 1"});
  check_error([&] { sample_images_jacobian_rejection(G, 4, 0.995, g); }, {"got 0.995"});
  check_error([&] { sample_images_jacobian_rejection(G, 4, -0.1, g); }, {"got -0.1"});
  check_error([&] { sample_images_jacobian_rejection(G, 4, 0.1, g, 0); }, {"sample_images_jacobian_rejection", "probes must be >= 1"});
  check_error([&] { sample_images_jacobian_rejection(G, 0, 0.1, g); }, {"n must be >= 1, got 0"});
  check_error([&] { jacobian_norms(G, zeros({4, 2}, DType::f64), 0, g); }, {"jacobian_norms", "probes must be >= 1, got 0"});
  check_error([&] { jacobian_norms(G, zeros({4, 3}, DType::f64), 2, g); }, {"z must be [N,2]", "[4,3]"});
  check_error([&] { jacobian_norms(G, zeros({4, 2}, DType::f32), 2, g); }, {"jacobian_norms", "z is float32", "float64"});
  GanNetConfig cc = tiny_mlp_gan(3, 2, 5, true);
  cc.latent.classes = 3;
  GanGenerator C(cc);
  check_error([&] { sample_images_jacobian_rejection(C, 4, 0.1, g); },
              {"sample_images_jacobian_rejection", "unconditional", "3 classes"});
  check_error([&] { jacobian_norms(C, zeros({4, 2}, DType::f64), 1, g); }, {"jacobian_norms", "unconditional"});
}

TEST_CASE("ch08: keep_smallest_norms keeps the n smallest norms of a prefix of one draw, with their own images") {
  GanGenerator G(tiny_mlp_gan(3, 2, 5, true));
  Generator g(13);
  const RejectionSample pool = sample_images_jacobian_rejection(G, 12, 0.0, g, 2);
  REQUIRE(pool.drawn == 12);
  const RejectionSample r = keep_smallest_norms(pool, 8, 5);  // 5 of the first 8
  CHECK(r.drawn == 8);
  std::vector<int64_t> order(8);
  for (int64_t i = 0; i < 8; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return pool.norms.at({a}) < pool.norms.at({b}); });
  std::vector<int64_t> kept(order.begin(), order.begin() + 5);
  std::sort(kept.begin(), kept.end());
  REQUIRE(r.norms.shape() == Shape{5});
  for (int64_t k = 0; k < 5; ++k) {
    CHECK(r.norms.at({k}) == pool.norms.at({kept[k]}));
    CHECK(max(abs(r.images.slice(0, k, k + 1) - pool.images.slice(0, kept[k], kept[k] + 1))).item() == 0);
  }
  CHECK(r.threshold == pool.norms.at({order[4]}));
  CHECK(rejection_draws(10000, 0.1) == 11112);
  CHECK(rejection_draws(10000, 0.2) == 12500);
  CHECK(rejection_draws(10000000, 0.9) == 100000000);
  check_error([&] { rejection_draws(0, 0.1); }, {"rejection_draws", "n must be >= 1, got 0"});
  check_error([&] { rejection_draws(5, 1.0); }, {"rejection_draws", "reject must be in [0, 0.99], got 1"});
  check_error([&] { keep_smallest_norms(pool, 13, 5); }, {"keep_smallest_norms", "prefix must be in [1, 12], got 13"});
  check_error([&] { keep_smallest_norms(pool, 8, 9); }, {"keep_smallest_norms", "n must be in [1, prefix = 8], got 9"});
  check_error([&] { keep_smallest_norms(RejectionSample{}, 1, 1); }, {"keep_smallest_norms", "float64 norms", "(undefined)"});
}

TEST_CASE("ch08: order_by_norm ranks the first rows by norm, equal norms in the order drawn") {
  const Tensor norms = from_vector({3.0, 1.0, 2.0, 1.0, 0.5, 9.0}, {6}, DType::f64);
  CHECK(order_by_norm(norms, 6) == std::vector<int64_t>{4, 1, 3, 2, 0, 5});
  CHECK(order_by_norm(norms, 4) == std::vector<int64_t>{1, 3, 2, 0});  // row 4 is past the count
  CHECK(order_by_norm(norms, 0).empty());
  CHECK(order_by_norm(norms.slice(0, 1, 6, 2), 3) == std::vector<int64_t>{0, 1, 2});  // a strided view: 1, 1, 9
  check_error([&] { order_by_norm(norms, 7); }, {"order_by_norm", "count must be in [0, 6], got 7"});
  check_error([&] { order_by_norm(norms.to(DType::f32), 2); }, {"order_by_norm", "float64 norms [N]", "float32 [6]"});
  check_error([&] { order_by_norm(Tensor(), 2); }, {"order_by_norm", "(undefined)"});
}
