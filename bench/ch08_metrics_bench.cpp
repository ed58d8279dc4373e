// latent bench — chapter 08's GAN metrics on real MNIST: the ceiling figures a generator is
// compared with, and what each metric costs on 10,000 images.
//
//   metric LeNet      loaded from data/cache/ch08_lenet_full.ckpt, or trained (3 epochs) and saved
//   IS                of the 10,000 test images (LeNet-based: not comparable with Inception figures)
//   FID               test images vs the first 10,000 training images (LeNet penultimate features)
//   SWD               test vs those training images (×10³, per pyramid level and average)
//   MS-SSIM           diversity of random pairs of test images (and of training images)
//   classes           LeNet's predicted digit shares of the test images
// and two deliberately bad "generators" for scale: the test images with N(0, 0.1²) noise, and
// only the test images of digit 1 (mode collapse).
//
// Usage: ch08_metrics_bench [THREADS] [PAIRS]   (default 1 thread, 10000 MS-SSIM pairs)
// Needs the full MNIST (scripts/fetch-data). Prints `key=value` lines.
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "models/ch01/classifiers.h"
#include "models/ch08/gan_metrics.h"
#include "nn/data.h"

using namespace latent;
using namespace latent::models;

namespace {

// Wall-clock seconds of f(); *cpu gets the process CPU seconds, the better figure on a shared
// machine (with 1 thread, CPU ≈ wall on an idle one).
double timed(const std::function<void()>& f, double* cpu = nullptr) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  f();
  if (cpu) *cpu = (double)(std::clock() - c0) / CLOCKS_PER_SEC;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The test images whose label is `digit`.
Tensor images_of_digit(const MnistSplit& s, int64_t digit) {
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < s.size(); ++i)
    if ((int64_t)s.labels.at({i}) == digit) keep.push_back(i);
  Tensor out({(int64_t)keep.size(), 1, 28, 28}, DType::f32);
  for (size_t k = 0; k < keep.size(); ++k) out.select(0, (int64_t)k).copy_(s.images.select(0, keep[k]));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int64_t pairs = argc > 2 ? std::atoll(argv[2]) : 10000;
  set_num_threads(threads);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, also into a file
  Mnist mn = load_mnist("", /*allow_embedded=*/false);
  std::fprintf(stderr, "%s\n", mn.source.c_str());
  const Tensor test = mn.test.images, train = mn.train.images.slice(0, 0, 10000);
  const Tensor train2 = mn.train.images.slice(0, 10000, 20000);  // for the real-vs-real SWD floor
  double cpu = 0;

  MetricNet net(make_lenet5());
  MetricNetOptions opt;
  opt.log = [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
  const double t_net = timed([&] { net = load_or_train_metric_net(opt); });
  const EvalResult acc = evaluate(net.network(), mn.test.images, mn.test.labels);
  std::printf("metric_net=\"%s\" seconds=%.1f test_accuracy=%.4f\n", net.source().c_str(), t_net, acc.accuracy);

  MetricNet::Outputs real_test, real_train;
  const double t_features = timed([&] { real_test = net.run(test); }, &cpu);
  timed([&] { real_train = net.run(train); });
  std::printf("lenet_features n=10000 seconds=%.2f cpu=%.2f\n", t_features, cpu);

  double is = 0;
  const double t_is = timed([&] { is = inception_score(real_test.probs); });
  std::printf("inception_score_test=%.4f seconds=%.3f (plus the features)\n", is, t_is);
  std::printf("classes_test=\"%s\"\n", class_histogram(real_test.probs).str().c_str());

  double fid = 0;
  const double t_fid =
      timed([&] { fid = frechet_distance(fit_gaussian(real_test.features), fit_gaussian(real_train.features)); }, &cpu);
  std::printf("fid_test_vs_train=%.4f seconds=%.3f cpu=%.3f (plus the features of both sets)\n", fid, t_fid, cpu);

  Generator g(2026);
  SwdResult swd;
  const double t_swd = timed([&] { swd = sliced_wasserstein(test, train, g); }, &cpu);
  std::printf("swd_test_vs_train=\"%s\" seconds=%.2f cpu=%.2f\n", swd.str().c_str(), t_swd, cpu);
  std::printf("swd_train2_vs_train=\"%s\"\n", sliced_wasserstein(train2, train, g).str().c_str());

  Diversity dt, dtr;
  const double t_ssim = timed([&] { dt = ms_ssim_diversity(test, pairs, g); }, &cpu);
  dtr = ms_ssim_diversity(train, pairs, g);
  std::printf("ms_ssim_test=%.4f se=%.4f pairs=%lld seconds=%.2f cpu=%.2f\n", dt.mean, dt.std_error, (long long)pairs,
              t_ssim, cpu);
  std::printf("ms_ssim_train=%.4f se=%.4f\n", dtr.mean, dtr.std_error);

  // The one-call path a tutorial uses (default options).
  GanScores all;
  const double t_all = timed([&] { all = evaluate_images(test, net, train, g); }, &cpu);
  std::printf("evaluate_images n=10000 vs 10000 seconds=%.2f cpu=%.2f\n%s\n", t_all, cpu, all.str().c_str());
  const ReferenceSet ref = prepare_reference(train, net, g);
  const double t_ref = timed([&] { all = evaluate_images(test, net, ref, g); }, &cpu);
  std::printf("evaluate_images with a prepared reference: seconds=%.2f cpu=%.2f\n", t_ref, cpu);

  // For scale: two bad "generators".
  Generator gn(1);
  const Tensor noisy = gaussian_noise(test, 0.1, gn, /*clip01=*/true);
  std::printf("\n-- test images + N(0, 0.1^2) noise, vs train:\n%s\n", evaluate_images(noisy, net, ref, g).str().c_str());
  const Tensor ones = images_of_digit(mn.test, 1);
  std::printf("\n-- only the %lld test images of digit 1, vs train:\n%s\n", (long long)ones.size(0),
              evaluate_images(ones, net, ref, g).str().c_str());
  return 0;
}
