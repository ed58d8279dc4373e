// Chapter 02 — probabilistic PCA: closed form and EM (see ppca.h).
#include "models/ch02/ppca.h"

#include <cmath>

#include "tensor/linalg.h"

namespace latent::models {

namespace {

void check_latent_dim(const std::string& op, const Moments& data, int64_t q) {
  if (!data.covariance.defined() || data.n < 2)
    fail(op, "needs the moments of at least 2 examples (data_moments), got " + std::to_string(data.n));
  const int64_t d = data.dim(), bound = std::min(data.n, d);
  if (q < 1 || q > bound)
    fail(op, "asked for q = " + std::to_string(q) + " latent dimensions with N = " + std::to_string(data.n) +
                 ", D = " + std::to_string(d) + "; q must be in [1, min(N, D) = " + std::to_string(bound) + "]");
  if (q >= d)
    fail(op, "q = " + std::to_string(q) + " leaves no direction of the D = " + std::to_string(d) +
                 " to estimate the noise variance from; use q < D");
}

double trace(const Tensor& S) {
  const int64_t d = S.size(0);
  return sum(S.reshape({-1}).slice(0, 0, d * d, d + 1)).item();
}

double isotropic_variance(const LinearGaussian& m) {
  return mean(m.noise_variance).item();  // PPCA keeps every entry equal
}

}  // namespace

LinearGaussian ppca_closed_form(const Moments& data, int64_t q) {
  const std::string op = "ppca_closed_form";
  check_latent_dim(op, data, q);
  const int64_t d = data.dim();
  Eigh e = eigh(data.covariance);  // ascending: the discarded directions come first
  std::vector<double> lambda = e.values.to_vector();
  double discarded = 0;
  for (int64_t j = 0; j < d - q; ++j) discarded += std::max(lambda[j], 0.0);
  const double sigma2 = discarded / (double)(d - q);  // eq. 8
  if (!(sigma2 > 1e-12 * std::max(lambda[d - 1], 1e-300)))
    fail(op, "the noise variance σ² is 0: the data lie in a " + std::to_string(q) +
                 "-dimensional subspace (N = " + std::to_string(data.n) + ", D = " + std::to_string(d) +
                 ") and have no density; use fewer latent dimensions or more examples");
  // eq. 7 with R = I: column i is u_i sqrt(λ_i − σ²), largest eigenvalue first.
  Tensor W = zeros({d, q}, DType::f64);
  for (int64_t i = 0; i < q; ++i) {
    const int64_t j = d - 1 - i;
    W.select(1, i).copy_(e.vectors.select(1, j) * std::sqrt(std::max(lambda[j] - sigma2, 0.0)));
  }
  return {data.mean.clone(), W, full({d}, sigma2, DType::f64)};
}

LinearGaussian ppca_em_step(const Moments& data, const LinearGaussian& m) {
  check_model("ppca_em_step", m);
  const int64_t d = m.dim(), q = m.latent_dim();
  const Tensor& S = data.covariance;
  const Tensor& W = m.loadings;
  const double sigma2 = isotropic_variance(m);
  Tensor I = eye(q, DType::f64);
  Tensor M = matmul(W.t(), W) + I * sigma2;                     // [q, q]
  Tensor SW = matmul(S, W);                                     // [D, q]
  Tensor A = I * sigma2 + solve(M, matmul(W.t(), SW));          // σ² I + M⁻¹ Wᵀ S W
  Tensor W_new = solve(A.t(), SW.t()).t().contiguous();         // S W A⁻¹   (eq. 29)
  // σ̃² = (tr S − tr(S W M⁻¹ W̃ᵀ)) / D                            (eq. 30)
  double fitted = sum(SW * solve(M, W_new.t()).t()).item();
  double sigma2_new = (trace(S) - fitted) / (double)d;
  return {data.mean.clone(), W_new, full({d}, sigma2_new, DType::f64)};
}

EmFit fit_ppca_em(const Moments& data, int64_t q, const EmOptions& opt, const LinearGaussian* init) {
  check_latent_dim("fit_ppca_em", data, q);
  const int64_t d = data.dim();
  EmFit fit;
  if (init) {
    fit.model = *init;
  } else {
    const double v = trace(data.covariance) / (double)d;  // the average variance per value
    Generator g(opt.seed);
    fit.model = {data.mean.clone(), normal({d, q}, 0, std::sqrt(v), DType::f64, &g), full({d}, v, DType::f64)};
  }
  if (fit.model.latent_dim() != q || fit.model.dim() != d)
    fail("fit_ppca_em", "initial model has D = " + std::to_string(fit.model.dim()) + ", q = " +
                            std::to_string(fit.model.latent_dim()) + "; expected D = " + std::to_string(d) +
                            ", q = " + std::to_string(q));
  fit.log_likelihood.push_back(mean_log_likelihood(fit.model, data));
  for (int it = 1; it <= opt.max_iterations; ++it) {
    fit.model = ppca_em_step(data, fit.model);
    fit.log_likelihood.push_back(mean_log_likelihood(fit.model, data));
    fit.iterations = it;
    if (fit.log_likelihood[it] - fit.log_likelihood[it - 1] < opt.tolerance) {
      fit.converged = true;
      break;
    }
  }
  return fit;
}

double subspace_distance(const Tensor& Wa, const Tensor& Wb) {
  if (Wa.dim() != 2 || Wb.dim() != 2 || Wa.size(0) != Wb.size(0))
    fail("subspace_distance", "needs two [D, q] matrices with the same D, got " + shape_str(Wa.shape()) + " and " +
                                  shape_str(Wb.shape()));
  auto projector = [](const Tensor& W0) {
    Tensor W = W0.to(DType::f64);
    return matmul(W, solve(matmul(W.t(), W), W.t()));
  };
  return max(abs(projector(Wa) - projector(Wb))).item();
}

}  // namespace latent::models
