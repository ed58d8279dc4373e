// Chapter 08 tests, averaging G's weights (Yazıcı et al. 2019): update_average's arithmetic
// and refusals, and refresh_batch_norm giving the averaged weights their own batch-norm
// statistics.
#include <cmath>

#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch08/gan_latent.h"
#include "models/ch08/gan_tricks.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;
using latent::test::small_dcgan;

namespace {

GanNetConfig small_mlp(int64_t hidden) {
  GanNetConfig c;
  c.arch = GanArch::mlp, c.data_dim = 2, c.hidden = hidden, c.hidden_layers = 1, c.latent.noise = 3;
  c.tanh_output = false, c.dtype = DType::f64, c.seed = 4;
  return c;
}

}  // namespace

TEST_CASE("ch08: update_average keeps beta * average + (1 - beta) * live, parameter by parameter") {
  GanGenerator live(small_mlp(5)), avg(small_mlp(5));
  avg.load_state_dict(live.state_dict());
  std::vector<Tensor> start;
  for (const Var& p : avg.parameters()) start.push_back(p.data().clone());
  // Two steps with the live weights moved in between: θ̄₂ = β² θ̄₀ + β(1−β) θ₁ + (1−β) θ₂.
  const double beta = 0.9;
  std::vector<Tensor> th1, th2;
  Generator g(3);
  for (const Var& p : live.parameters()) Tensor(p.data()).copy_(normal(p.shape(), 0, 1, DType::f64, &g));
  for (const Var& p : live.parameters()) th1.push_back(p.data().clone());
  update_average(avg, live, beta);
  for (const Var& p : live.parameters()) Tensor(p.data()).copy_(normal(p.shape(), 0, 1, DType::f64, &g));
  for (const Var& p : live.parameters()) th2.push_back(p.data().clone());
  update_average(avg, live, beta);
  const std::vector<Var> a = avg.parameters();
  REQUIRE(a.size() == start.size());
  for (size_t i = 0; i < a.size(); ++i)
    check_close(a[i].data(), start[i] * (beta * beta) + th1[i] * (beta * (1 - beta)) + th2[i] * (1 - beta), 1e-12, 0);
  // The live net is read, never written.
  const std::vector<Var> l = live.parameters();
  for (size_t i = 0; i < l.size(); ++i) check_close(l[i].data(), th2[i], 0, 0);
  // β = 0 copies the live weights.
  update_average(avg, live, 0.0);
  for (size_t i = 0; i < a.size(); ++i) check_close(a[i].data(), th2[i], 1e-12, 0);
}

TEST_CASE("ch08: update_average refuses nets of another config and a beta outside [0, 1)") {
  GanGenerator live(small_mlp(5)), wider(small_mlp(6));
  check_error([&] { update_average(wider, live, 0.99); }, {"update_average", "[6,3]", "[5,3]"});
  GanNetConfig deeper = small_mlp(5);
  deeper.hidden_layers = 2;
  GanGenerator other(deeper);
  check_error([&] { update_average(other, live, 0.99); }, {"update_average", "parameters", "not two nets of one config"});
  GanGenerator same(small_mlp(5));
  check_error([&] { update_average(same, live, 1.0); }, {"update_average", "beta must be in [0, 1), got 1"});
  check_error([&] { update_average(same, live, -0.5); }, {"update_average", "got -0.5"});
  GanNetConfig single = small_mlp(5);
  single.dtype = DType::f32;
  GanGenerator f32(single);
  check_error([&] { update_average(f32, live, 0.99); }, {"update_average", "float32", "float64"});
}

TEST_CASE("ch08: refresh_batch_norm gives averaged weights their own batch-norm statistics") {
  // A DCGAN G whose weights were scaled after its running statistics were estimated stands for
  // an average of weights: in eval mode it normalises with statistics of other weights.
  GanGenerator G(small_dcgan());
  Generator g(5);
  refresh_batch_norm(G, g, 50, 64);
  for (const Var& p : G.parameters())
    if (p.dim() > 1) Tensor(p.data()).copy_(p.data() * 3.0);
  const Tensor z = sample_latent(G.latent(), 256, g).z;
  auto gap = [&] {  // eval-mode output (running statistics) vs train-mode output (this batch's)
    NoGradGuard ng;
    G.eval();  // first: the training-mode pass below moves the running statistics
    const Tensor running = G.generate(Var(z)).data().clone();
    G.train();
    const Tensor batch = G.generate(Var(z)).data();
    return max(abs(running - batch)).item();
  };
  G.eval();
  const double stale = gap();
  G.eval();
  refresh_batch_norm(G, g, 50, 64);
  CHECK(!G.is_training());  // left in the mode it was in
  const double fresh = gap();
  CHECK(stale > 0.2);
  CHECK(fresh < 0.2 * stale);
  G.train();
  refresh_batch_norm(G, g, 2, 64);
  CHECK(G.is_training());
  check_error([&] { refresh_batch_norm(G, g, 0, 64); }, {"refresh_batch_norm", "batches >= 1"});
  check_error([&] { refresh_batch_norm(G, g, 5, 8, zeros({4}, DType::i64)); },
              {"refresh_batch_norm", "[4]", "batch_size 8", "batches x batch_size = 40"});
}

TEST_CASE("ch08: refresh_batch_norm takes a cGAN's labels per batch, one slice each") {
  GanNetConfig c = small_dcgan();
  c.latent.classes = 3;
  GanGenerator A(c), B(c), C(c);
  const Tensor y = from_vector_i({0, 1, 2, 0, 2, 2, 1, 1}, {8});  // 2 batches of 4
  Generator ga(7), gb(7), gc(7);
  refresh_batch_norm(A, ga, 2, 4, y);
  {  // B by hand: the same z stream, each batch with its own slice of y
    NoGradGuard ng;
    B.train();
    for (int64_t b = 0; b < 2; ++b) B.generate(Var(sample_latent(c.latent, 4, gb).z), y.slice(0, 4 * b, 4 * b + 4));
  }
  refresh_batch_norm(C, gc, 2, 4, y.slice(0, 0, 4));  // the first slice in both batches
  A.eval(), B.eval(), C.eval();
  Generator gz(8);
  const Tensor z = sample_latent(c.latent, 4, gz).z, yq = from_vector_i({2, 1, 0, 2}, {4});
  NoGradGuard ng;
  const Tensor a = A.generate(Var(z), yq).data(), b = B.generate(Var(z), yq).data(), cc = C.generate(Var(z), yq).data();
  CHECK(max(abs(a - b)).item() == 0);     // the same statistics as the hand-made passes
  CHECK(max(abs(a - cc)).item() > 1e-6);  // and not those of one slice repeated
}
