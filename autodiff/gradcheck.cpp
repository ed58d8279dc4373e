// latent/autodiff — numerical gradient checks (see gradcheck.h).
#include "autodiff/gradcheck.h"

#include <cmath>
#include <sstream>

#include "tensor/random.h"

namespace latent {

namespace {

// Offset (in elements) of flat row-major index `flat` inside a strided view.
int64_t offset_of(const Tensor& t, int64_t flat) {
  int64_t off = t.offset();
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (flat % t.shape()[d]) * t.strides()[d];
    flat /= t.shape()[d];
  }
  return off;
}

double* elem(const Tensor& t, int64_t flat) {
  return static_cast<double*>(t.storage()->data) + offset_of(t, flat);
}

// f at the current inputs. Recording stays on: f may itself call grad()
// (gradgradcheck does), which needs the graph.
std::vector<double> eval_flat(const VarFn& f, const std::vector<Var>& xs) {
  return f(xs).data().to_vector();
}

}  // namespace

GradcheckResult gradcheck(const VarFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  // float64 leaves; an input already in float64 keeps its (possibly strided) view.
  std::vector<Var> xs;
  for (const Tensor& t : inputs) xs.push_back(Var(t.dtype() == DType::f64 ? t : t.to(DType::f64), true));
  Var y = f(xs);
  const int64_t m = y.numel();

  // Analytic Jacobian, one row per output element: backward with a one-hot grad_output.
  std::vector<std::vector<std::vector<double>>> ja(xs.size());  // [input][out][in elem]
  for (size_t i = 0; i < xs.size(); ++i) ja[i].assign(m, std::vector<double>(xs[i].numel(), 0.0));
  if (y.requires_grad()) {
    for (int64_t k = 0; k < m; ++k) {
      Tensor onehot = zeros(y.shape(), y.dtype());
      *elem(onehot, k) = 1.0;
      std::vector<Var> gs = grad({y}, xs, {Var(onehot)}, false, true, true);
      for (size_t i = 0; i < xs.size(); ++i) ja[i][k] = gs[i].data().to_vector();
    }
  }

  // Numeric Jacobian by central differences, one input element at a time.
  GradcheckResult r;
  r.max_error = -INFINITY;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i].data();
    for (int64_t j = 0; j < x.numel(); ++j) {
      double* p = elem(x, j);
      const double orig = *p;
      *p = orig + opt.eps;
      std::vector<double> fp = eval_flat(f, xs);
      *p = orig - opt.eps;
      std::vector<double> fm = eval_flat(f, xs);
      *p = orig;
      for (int64_t k = 0; k < m; ++k) {
        double num = (fp[k] - fm[k]) / (2 * opt.eps), ana = ja[i][k][j];
        double err = std::abs(ana - num) - (opt.atol + opt.rtol * std::abs(num));
        if (!(err <= r.max_error) || std::isnan(ana) != std::isnan(num)) {
          r.max_error = std::isnan(err) ? INFINITY : err;
          std::ostringstream os;
          os << "input " << i << " " << shape_str(x.shape()) << " element " << j << ", output element "
             << k << ": analytic " << ana << ", numeric " << num;
          r.report = os.str();
        }
      }
    }
  }
  r.ok = r.max_error <= 0;
  r.report = (r.ok ? "ok; worst: " : "gradient mismatch at ") + r.report;
  return r;
}

GradcheckResult gradgradcheck(const VarFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  // v: a fixed random direction for the output; the function checked is
  //   x -> (Jᵀv for every input, flattened and concatenated)
  // whose Jacobian is the Hessian-vector structure backward-of-backward computes.
  std::vector<Var> probe;
  for (const Tensor& t : inputs) probe.push_back(Var(t.to(DType::f64)));
  Tensor v;
  {
    NoGradGuard ng;
    Generator gen(1234);
    v = normal(f(probe).shape(), 0, 1, DType::f64, &gen);
  }
  VarFn vjp = [&f, v](const std::vector<Var>& xs) {
    Var y = f(xs);
    std::vector<Var> parts;
    if (!y.requires_grad()) {  // y does not depend on the inputs at all
      for (const Var& x : xs) parts.push_back(Var(zeros({x.numel()}, DType::f64)));
    } else {
      std::vector<Var> gs = grad({y}, xs, {Var(v)}, /*create_graph=*/true, true, /*allow_unused=*/true);
      for (const Var& g : gs) parts.push_back(reshape(g, {-1}));
    }
    return concat(parts, 0);
  };
  return gradcheck(vjp, inputs, opt);
}

}  // namespace latent
