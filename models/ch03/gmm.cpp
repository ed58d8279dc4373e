// Chapter 03 — Gaussian mixtures by EM (see gmm.h and docs/03-clustering.md).
#include "models/ch03/gmm.h"

#include <cmath>
#include <limits>
#include <numbers>

#include "models/ch03/kmeans.h"
#include "tensor/index.h"
#include "tensor/linalg.h"
#include "tensor/random.h"

namespace latent::models {

namespace {

Tensor as_f64(const Tensor& X) { return X.to(DType::f64).contiguous(); }

void check_model(const std::string& op, const Tensor& X, const GaussianMixture& g) {
  if (!g.weights.defined() || !g.means.defined() || !g.precisions_chol.defined())
    fail(op, "the mixture has no parameters yet (fit it with fit_gmm)");
  if (X.dim() != 2 || X.size(1) != g.dim())
    fail(op, "X must be [N," + std::to_string(g.dim()) + "] for this mixture, got " + shape_str(X.shape()));
}

// "singular" explained: what makes a covariance lose rank, and what to change.
[[noreturn]] void not_positive_definite(int64_t k, double nk, int64_t D, double reg, const std::string& detail) {
  fail("gmm_m_step", "covariance of component " + std::to_string(k) + " is not positive definite (N_k = " +
                         std::to_string(nk) + " points in D = " + std::to_string(D) + " dimensions, reg_covar = " +
                         std::to_string(reg) + "; " + detail +
                         "). The component sits on fewer than D+1 distinct points or on a flat direction of "
                         "the data: raise reg_covar, lower K, or use a diag / spherical covariance");
}

// Precision factors P_k with Σ_k⁻¹ = P_k P_kᵀ (gmm.h).
Tensor precision_factors(const Tensor& covs, CovarianceType type, const Tensor& nk, double reg) {
  const int64_t K = nk.size(0);
  if (type == CovarianceType::full) {
    const int64_t D = covs.size(1);
    std::vector<Tensor> P;
    for (int64_t k = 0; k < K; ++k) {
      Tensor L;
      try {
        L = cholesky(covs.select(0, k));  // Σ = L Lᵀ
      } catch (const Error& e) {
        not_positive_definite(k, nk.at({k}), D, reg, e.what());
      }
      // Σ⁻¹ = L⁻ᵀ L⁻¹, so P = L⁻ᵀ: one triangular solve L X = I.
      P.push_back(triangular_solve(L, eye(D, DType::f64), /*lower=*/true).t().contiguous());
    }
    return stack(P, 0);
  }
  // diag [K,D] / spherical [K]: P = 1/σ, elementwise.
  const std::vector<double> v = covs.to_vector();
  const int64_t per = type == CovarianceType::diag ? covs.size(1) : 1;
  for (size_t i = 0; i < v.size(); ++i)
    if (!(v[i] > 0)) not_positive_definite((int64_t)i / per, nk.at({(int64_t)i / per}), per, reg,
                                           "a variance is " + std::to_string(v[i]));
  return reciprocal(sqrt(covs));
}

}  // namespace

const char* covariance_type_name(CovarianceType t) {
  switch (t) {
    case CovarianceType::full: return "full";
    case CovarianceType::diag: return "diag";
    case CovarianceType::spherical: return "spherical";
  }
  return "?";
}

Tensor gaussian_log_prob(const Tensor& X0, const GaussianMixture& g) {
  check_model("gaussian_log_prob", X0, g);
  Tensor X = as_f64(X0), P = as_f64(g.precisions_chol), means = as_f64(g.means);
  const int64_t N = X.size(0), K = g.num_components(), D = g.dim();
  const double log2pi_D = D * std::log(2 * std::numbers::pi);
  if (g.type == CovarianceType::full) {
    Tensor out({N, K}, DType::f64);
    double* o = out.data<double>();
    // One component per thread, each with single-threaded GEMMs (OpenBLAS runs
    // one thread inside an OpenMP region): two threads meet once per E-step
    // instead of at every GEMM and loop, which matters on a busy machine.
#pragma omp parallel for schedule(dynamic) if (K > 1 && N * D > 32768)
    for (int64_t k = 0; k < K; ++k) {
      Tensor Pk = P.select(0, k).contiguous();
      // y = (x − μ) P = x P − μ P: one GEMM for all points, then ||y||² row by row.
      Tensor G = matmul(X, Pk);
      const std::vector<double> b = matmul(means.slice(0, k, k + 1), Pk).to_vector();
      double log_det_P = 0;  // P is triangular: log det P = Σ log P_dd
      for (int64_t d = 0; d < D; ++d) log_det_P += std::log(Pk.data<double>()[d * D + d]);
      const double* gp = G.data<double>();
      for (int64_t n = 0; n < N; ++n) {
        double maha = 0;
#pragma omp simd reduction(+ : maha)
        for (int64_t d = 0; d < D; ++d) maha += (gp[n * D + d] - b[d]) * (gp[n * D + d] - b[d]);
        o[n * K + k] = -0.5 * (maha + log2pi_D) + log_det_P;
      }
    }
    return out;
  }
  if (g.type == CovarianceType::diag) {
    // Σ_d (x_d − μ_d)² λ_d = (x²)·λ − 2 x·(μ λ) + Σ_d μ_d² λ_d, λ = P² (as scikit-learn).
    Tensor prec = P * P;  // [K,D]
    Tensor maha = matmul(X * X, prec.t()) - 2.0 * matmul(X, (means * prec).t()) + sum(means * means * prec, {1});
    return -0.5 * (maha + log2pi_D) + sum(log(P), {1});
  }
  // spherical: λ_k ||x − μ_k||², the distances by one GEMM.
  Tensor maha = pairwise_sq_distances(X, means) * (P * P);
  return -0.5 * (maha + log2pi_D) + (double)D * log(P);
}

EStep gmm_e_step(const Tensor& X, const GaussianMixture& g) {
  Tensor weighted = gaussian_log_prob(X, g) + log(g.weights.to(DType::f64));  // log π_k + log N(x_n | k)
  Tensor log_norm = logsumexp(weighted, {1}, true);             // log p(x_n), never exp() of a tiny density
  return {weighted - log_norm, mean(log_norm).item()};
}

GaussianMixture gmm_m_step(const Tensor& X0, const Tensor& resp0, CovarianceType type, double reg_covar) {
  if (X0.dim() != 2 || resp0.dim() != 2 || resp0.size(0) != X0.size(0))
    fail("gmm_m_step", "need X [N,D] and responsibilities [N,K], got " + shape_str(X0.shape()) + " and " +
                           shape_str(resp0.shape()));
  Tensor X = as_f64(X0), R = as_f64(resp0);
  const int64_t N = X.size(0), D = X.size(1), K = R.size(1);
  // N_k, plus 10 eps so an empty component divides by a tiny number, not by 0
  // (its mean is then ~0 and its covariance reg·I; scikit-learn does the same).
  Tensor nk = sum(R, {0}) + 10 * std::numeric_limits<double>::epsilon();
  GaussianMixture g;
  g.type = type;
  g.weights = nk / (double)N;
  g.means = matmul(R.t(), X) / nk.unsqueeze(1);  // μ_k = Σ_n r_nk x_n / N_k
  std::vector<Tensor> covs(K);
  if (type == CovarianceType::full) {
    // Components in parallel, as in gaussian_log_prob.
    const double *x = X.data<double>(), *r = R.data<double>();
#pragma omp parallel if (K > 1 && N * D > 32768)
    {
      Tensor W({N, D}, DType::f64);
      double* w = W.data<double>();
#pragma omp for schedule(dynamic)
      for (int64_t k = 0; k < K; ++k) {
        // Σ_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k = WᵀW / N_k with rows
        // w_n = √r_nk (x_n − μ_k): one pass to build W, one GEMM [D,N]x[N,D].
        const double* mu = g.means.data<double>() + k * D;
        for (int64_t n = 0; n < N; ++n) {
          const double s = std::sqrt(r[n * K + k]);
          for (int64_t d = 0; d < D; ++d) w[n * D + d] = s * (x[n * D + d] - mu[d]);
        }
        covs[k] = matmul(W.t(), W) / nk.at({k}) + reg_covar * eye(D, DType::f64);
      }
    }
  } else {
    for (int64_t k = 0; k < K; ++k) {
      Tensor diff = X - g.means.slice(0, k, k + 1);  // x_n − μ_k
      Tensor rk = R.slice(1, k, k + 1);              // [N,1]
      Tensor var = matmul(rk.t(), diff * diff).reshape({D}) / nk.at({k}) + reg_covar;  // diagonal of Σ_k
      covs[k] = type == CovarianceType::diag ? var : mean(var);
    }
  }
  g.covariances = stack(covs, 0);
  g.precisions_chol = precision_factors(g.covariances, type, nk, reg_covar);
  return g;
}

GaussianMixture gmm_initial_model(const Tensor& X, const GMMOptions& opt, uint64_t seed) {
  const int64_t N = X.size(0);
  Tensor resp;
  if (opt.init == GMMInit::kmeans) {
    KMeansOptions ko;
    ko.k = opt.k;
    ko.seed = seed;
    resp = one_hot(kmeans(X, ko).labels, opt.k, DType::f64);
  } else {
    Generator gen(seed);
    resp = uniform({N, opt.k}, 0, 1, DType::f64, &gen);
    resp = resp / sum(resp, {1}, true);
  }
  return gmm_m_step(X, resp, opt.type, opt.reg_covar);
}

GMMResult fit_gmm(const Tensor& X, const GMMOptions& opt) {
  check_data_matrix("fit_gmm", X);
  const int64_t N = X.size(0), D = X.size(1);
  if (opt.k < 1 || opt.k > N)
    fail("fit_gmm", "k = " + std::to_string(opt.k) + " components for X " + shape_str(X.shape()) +
                        ": need 1 <= k <= N (" + std::to_string(N) + " points)");
  if (!(opt.reg_covar >= 0)) fail("fit_gmm", "reg_covar must be >= 0, got " + std::to_string(opt.reg_covar));
  if (opt.n_init < 1 || opt.max_iter < 1 || !(opt.tol >= 0))
    fail("fit_gmm", "need n_init >= 1, max_iter >= 1, tol >= 0");
  const bool given = opt.init_model.weights.defined();
  if (given) {
    if (opt.init_model.num_components() != opt.k || opt.init_model.dim() != D || opt.init_model.type != opt.type)
      fail("fit_gmm", "init_model must have k = " + std::to_string(opt.k) + " components of dimension " +
                          std::to_string(D) + " and covariance type " + covariance_type_name(opt.type));
    if (opt.n_init != 1) fail("fit_gmm", "a given init_model makes every start the same: use n_init = 1");
  }
  Tensor X64 = as_f64(X);
  GMMResult best;
  for (int64_t r = 0; r < opt.n_init; ++r) {
    GMMResult res;
    res.best_init = r;
    res.model = given ? opt.init_model : gmm_initial_model(X, opt, opt.seed + (uint64_t)r);
    double prev = -std::numeric_limits<double>::infinity();
    for (int64_t it = 1; it <= opt.max_iter; ++it) {
      EStep e = gmm_e_step(X64, res.model);
      res.loglik_history.push_back(e.avg_loglik);
      res.model = gmm_m_step(X64, exp(e.log_resp), opt.type, opt.reg_covar);
      res.n_iter = it;
      if (std::abs(e.avg_loglik - prev) < opt.tol) {
        res.converged = true;
        break;
      }
      prev = e.avg_loglik;
    }
    res.avg_loglik = gmm_score(X64, res.model);
    if (r == 0 || res.avg_loglik > best.avg_loglik) best = std::move(res);
  }
  return best;
}

Tensor gmm_predict_proba(const Tensor& X, const GaussianMixture& g) { return exp(gmm_e_step(X, g).log_resp); }
Tensor gmm_predict(const Tensor& X, const GaussianMixture& g) { return argmax(gmm_e_step(X, g).log_resp, 1); }
double gmm_score(const Tensor& X, const GaussianMixture& g) { return gmm_e_step(X, g).avg_loglik; }

int64_t gmm_num_parameters(const GaussianMixture& g) {
  const int64_t K = g.num_components(), D = g.dim();
  int64_t cov = g.type == CovarianceType::full ? K * D * (D + 1) / 2 : g.type == CovarianceType::diag ? K * D : K;
  return (K - 1) + K * D + cov;
}

double gmm_bic(const Tensor& X, const GaussianMixture& g) {
  const double N = (double)X.size(0);
  return -2.0 * gmm_score(X, g) * N + (double)gmm_num_parameters(g) * std::log(N);
}

Tensor gmm_covariance_matrix(const GaussianMixture& g, int64_t k) {
  const int64_t D = g.dim();
  if (g.type == CovarianceType::full) return g.covariances.select(0, k).contiguous();
  if (g.type == CovarianceType::diag) return eye(D, DType::f64) * g.covariances.select(0, k);
  return eye(D, DType::f64) * g.covariances.at({k});
}

}  // namespace latent::models
