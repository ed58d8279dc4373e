// Chapter 08's tutorial, part `cycle`: CycleGAN (Zhu et al. 2017) between two unpaired digit
// domains, digits and inverted digits, where the true map is known and the learned one is scored.
#include <chrono>

#include "models/ch08/cycle_gan.h"
#include "nn/data.h"
#include "nn/image.h"
#include "nn/plot.h"
#include "tensor/index.h"
#include "tutorials/ch08_gans_parts.h"

namespace latent::tutorial::ch08 {

void cycle_gan(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& test01) {
  const uint64_t seed = T.options().seed;
  T.step("CycleGAN: translating between two domains without pairs",
         "Domain A: half of the training digits. Domain B: the other half, grey levels inverted. No image\n"
         "of B is the inverse of one of A, so nothing says which b belongs to which a. Two translators,\n"
         "G: A -> B and F: B -> A, each fool their target domain's discriminator (least squares), and the\n"
         "cycle loss lambda (|F(G(a)) - a| + |G(F(b)) - b|), lambda = 10, makes F undo G (Zhu et al. 2017,\n"
         "eq. 3). Here the right answer is known, b = -a in [-1, 1]: the mean |G(a) + a| over test digits\n"
         "scores the learned map (0 = exact inversion; an untrained G, outputting about 0, scores mean |a|).");
  const int64_t n = x.size(0), half = n / 2;
  const Tensor A = x.slice(0, 0, half), B = neg(x.slice(0, half, n));
  const Tensor test = to_pm1(test01).slice(0, 0, std::min<int64_t>(1000, test01.size(0)));
  CycleGan cg({.width = S.cycle_width, .seed = seed + 60});
  auto scores = [&]() {
    const Tensor ab = cg.a_to_b(test);
    return std::array<double, 3>{mean(abs(add(ab, test))).item(), mean(abs(sub(cg.b_to_a(ab), test))).item(),
                                 mean(abs(sub(cg.b_to_a(neg(test)), test))).item()};
  };
  const auto before = scores();
  Generator g(seed + 61);
  std::vector<double> at, inv, cyc;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t every = std::max<int64_t>(1, S.cycle_steps / 10);
  for (int64_t s = 0; s < S.cycle_steps; ++s) {
    const Tensor ia = randint(0, half, {S.cycle_batch}, &g), ib = randint(0, n - half, {S.cycle_batch}, &g);
    const CycleStats st = cg.step(index_select(A, 0, ia), index_select(B, 0, ib));
    if ((s + 1) % every) continue;
    const auto e = scores();
    at.push_back((double)(s + 1)), inv.push_back(e[0]), cyc.push_back(e[1]);
    T.say("    step " + std::to_string(s + 1) + ": D_A " + fmt("%.3f", st.d_a) + ", D_B " + fmt("%.3f", st.d_b) +
          ", G+F adversarial " + fmt("%.3f", st.g_gan) + ", cycle " + fmt("%.3f", st.cycle) + "; test |G(a) + a| " +
          fmt("%.3f", e[0]) + ", " + fmt("%.0f s", seconds_since(t0)));
  }
  const auto after = scores();
  const std::string setting = S.name + ", width " + std::to_string(S.cycle_width) + ", " +
                              std::to_string(S.cycle_steps) + " steps of batch " + std::to_string(S.cycle_batch);
  T.say("  on " + std::to_string(test.size(0)) + " test digits: |G(a) + a| " + fmt("%.3f", before[0]) + " -> " +
        fmt("%.3f", after[0]) + ", |F(G(a)) - a| " + fmt("%.3f", before[1]) + " -> " + fmt("%.3f", after[1]) +
        ", |F(-a) - a| " + fmt("%.3f", before[2]) + " -> " + fmt("%.3f", after[2]));
  T.figure({"CycleGAN: mean |G(a) - (-a)|, test digits", after[0], "", "0 = exact inversion; untrained: " +
            fmt("%.2f", before[0]) + "; the identity map: " + fmt("%.2f", 2 * mean(abs(test)).item()), setting});
  T.figure({"CycleGAN: cycle error mean |F(G(a)) - a|", after[1], "", "0 = F undoes G exactly", setting});
  write_png_plot(T.path("cycle_error.png"), "CycleGAN: test |G(a) + a| and |F(G(a)) - a|", "step", "mean abs error",
                 {{"|G(a) + a| (to the true inverse)", at, inv}, {"|F(G(a)) - a| (cycle)", at, cyc}});
  T.wrote(T.path("cycle_error.png"), "the two errors on test digits over training");
  // Rows: a, G(a), F(G(a)); then b = -a', F(b), G(F(b)), in [0, 1] for the picture.
  const Tensor a = test.slice(0, 0, 10), b = neg(test.slice(0, 10, 20));
  const Tensor ab = cg.a_to_b(a), ba = cg.b_to_a(b);
  const Tensor rows = concat({a, ab, cg.b_to_a(ab), b, ba, cg.a_to_b(ba)}, 0);
  write_image_grid(T.path("cycle.png"), from_pm1(rows), 10);
  T.wrote(T.path("cycle.png"), "rows: a, G(a), F(G(a)); then b, F(b), G(F(b)) (test digits; b inverted)");
}

}  // namespace latent::tutorial::ch08
