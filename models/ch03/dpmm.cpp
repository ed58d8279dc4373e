// Chapter 03 — collapsed Gibbs for a Dirichlet-process Gaussian mixture, and
// DP-means (see dpmm.h and docs/03-clustering.md).
#include "models/ch03/dpmm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <numeric>

#include "models/ch03/kmeans.h"
#include "tensor/random.h"

namespace latent::models {

namespace {

// One table: sufficient statistics of its points, and its posterior
// predictive, cached (it changes only when a point arrives or leaves).
// Normal-Gamma posterior per dimension (Murphy, "Conjugate Bayesian analysis
// of the Gaussian distribution", 2007, §3), with m0 = 0 (data centred):
//   κn = κ0 + n,  mn = Σx / κn,  an = a0 + n/2,  bn = b0 + ½ (Σx² − κn mn²)
// and the predictive of one more point, a Student-t per dimension:
//   ν = 2 an,  location mn,  scale² = bn (κn + 1) / (an κn)
//   log t(x) = lgamma((ν+1)/2) − lgamma(ν/2) − ½ log(ν π scale²) − (ν+1)/2 log(1 + (x − mn)² / (ν scale²))
struct Table {
  double n = 0;
  std::vector<double> sum, sumsq;
  // cache of the predictive
  double log_const = 0, half_nu1 = 0;
  std::vector<double> loc, inv_nu_s2;
};

struct Prior {
  double kappa0, a0;
  std::vector<double> b0;
};

void refresh(Table& t, const Prior& p) {
  const size_t D = p.b0.size();
  const double kn = p.kappa0 + t.n, an = p.a0 + t.n / 2, nu = 2 * an;
  t.half_nu1 = (nu + 1) / 2;
  t.log_const = D * (std::lgamma((nu + 1) / 2) - std::lgamma(nu / 2));
  t.loc.resize(D);
  t.inv_nu_s2.resize(D);
  for (size_t d = 0; d < D; ++d) {
    const double mn = t.sum[d] / kn;
    const double bn = p.b0[d] + 0.5 * std::max(0.0, t.sumsq[d] - kn * mn * mn);
    const double s2 = bn * (kn + 1) / (an * kn);
    t.loc[d] = mn;
    t.inv_nu_s2[d] = 1 / (nu * s2);
    t.log_const -= 0.5 * std::log(nu * std::numbers::pi * s2);
  }
}

double log_predictive(const Table& t, const double* x) {
  double s = 0;
  for (size_t d = 0; d < t.loc.size(); ++d) {
    const double z = x[d] - t.loc[d];
    s += std::log1p(z * z * t.inv_nu_s2[d]);
  }
  return t.log_const - t.half_nu1 * s;
}

void move(Table& t, const double* x, double sign) {
  t.n += sign;
  for (size_t d = 0; d < t.sum.size(); ++d) t.sum[d] += sign * x[d], t.sumsq[d] += sign * x[d] * x[d];
}

// log p(points of one table), parameters integrated out (Murphy 2007, eq. 95):
//   Σ_d [lgamma(an) − lgamma(a0) + a0 log b0 − an log bn + ½ log(κ0/κn)] − (n D/2) log 2π
double log_marginal(const Table& t, const Prior& p) {
  const double kn = p.kappa0 + t.n, an = p.a0 + t.n / 2;
  double lm = 0;
  for (size_t d = 0; d < p.b0.size(); ++d) {
    const double mn = t.sum[d] / kn;
    const double bn = p.b0[d] + 0.5 * std::max(0.0, t.sumsq[d] - kn * mn * mn);
    lm += std::lgamma(an) - std::lgamma(p.a0) + p.a0 * std::log(p.b0[d]) - an * std::log(bn) +
          0.5 * std::log(p.kappa0 / kn) - 0.5 * t.n * std::log(2 * std::numbers::pi);
  }
  return lm;
}

// log p(X, z) = log CRP(z) + Σ_tables log marginal, with
//   log CRP(z) = K log α + Σ_k lgamma(n_k) + lgamma(α) − lgamma(α + N)
double log_joint(const std::vector<Table>& tables, const Prior& p, double alpha, double N) {
  double lj = std::lgamma(alpha) - std::lgamma(alpha + N);
  for (const Table& t : tables)
    if (t.n > 0) lj += std::log(alpha) + std::lgamma(t.n) + log_marginal(t, p);
  return lj;
}

// One sequentially-allocated split–merge proposal (Dahl 2005; after Jain &
// Neal 2004). Single-point Gibbs moves cannot merge two tables that cover one
// cluster, nor split one that covers two, except by passing through unlikely
// states; this moves whole groups in one Metropolis–Hastings step. Pick two
// points i, j. Same table: propose splitting it, i and j seeding the halves,
// the other members dealt one by one with probability ∝ n_side p(x | side).
// Different tables: propose merging them; q is then the probability that the
// same dealing would have produced the current split. Accept with
//   split: min(1, π(split)/π(merged) / q),   merge: min(1, q · π(merged)/π(split))
//   π(split)/π(merged) = α Γ(n_A) Γ(n_B) / Γ(n_A + n_B) · m(A) m(B) / m(A ∪ B).
// Returns whether the proposal was accepted.
bool split_merge(std::vector<Table>& tables, std::vector<int64_t>& z, std::vector<int64_t>& free_slots,
                 const std::vector<double>& X, const Prior& p, const Table& empty, double alpha, Generator& gen) {
  const int64_t N = (int64_t)z.size(), D = (int64_t)p.b0.size();
  if (N < 2) return false;
  const int64_t i = gen.next_int(N);
  int64_t j = gen.next_int(N - 1);
  if (j >= i) ++j;
  const int64_t ti = z[i], tj = z[j];
  const bool split = ti == tj;
  std::vector<int64_t> rest;
  for (int64_t k = 0; k < N; ++k)
    if (k != i && k != j && (z[k] == ti || z[k] == tj)) rest.push_back(k);
  for (int64_t q = (int64_t)rest.size() - 1; q > 0; --q) std::swap(rest[q], rest[gen.next_int(q + 1)]);
  Table A = empty, B = empty;
  move(A, &X[i * D], +1);
  move(B, &X[j * D], +1);
  refresh(A, p);
  refresh(B, p);
  std::vector<char> to_b(rest.size());
  double log_q = 0;
  for (size_t q = 0; q < rest.size(); ++q) {
    const double* x = &X[rest[q] * D];
    const double la = std::log(A.n) + log_predictive(A, x), lb = std::log(B.n) + log_predictive(B, x);
    const double pb = 1 / (1 + std::exp(la - lb));
    const bool b = split ? gen.next_uniform() < pb : z[rest[q]] == tj;
    log_q += std::log(b ? pb : 1 - pb);
    to_b[q] = b;
    move(b ? B : A, x, +1);
    refresh(b ? B : A, p);
  }
  Table M = A;
  for (int64_t d = 0; d < D; ++d) M.sum[d] += B.sum[d], M.sumsq[d] += B.sumsq[d];
  M.n += B.n;
  const double log_ratio = std::log(alpha) + std::lgamma(A.n) + std::lgamma(B.n) - std::lgamma(M.n) +
                           log_marginal(A, p) + log_marginal(B, p) - log_marginal(M, p);
  const double log_accept = split ? log_ratio - log_q : log_q - log_ratio;
  if (std::log(gen.next_uniform()) >= log_accept) return false;
  if (split) {  // B's points go to a new table
    int64_t nb;
    if (!free_slots.empty()) nb = free_slots.back(), free_slots.pop_back();
    else nb = (int64_t)tables.size(), tables.push_back(empty);
    z[j] = nb;
    for (size_t q = 0; q < rest.size(); ++q)
      if (to_b[q]) z[rest[q]] = nb;
    tables[ti] = A;
    tables[nb] = B;
  } else {  // everything into ti; tj becomes a free slot
    for (int64_t k : rest) z[k] = ti;
    z[j] = ti;
    refresh(M, p);
    tables[ti] = M;
    tables[tj] = empty;
    free_slots.push_back(tj);
  }
  return true;
}

}  // namespace

DPMixtureResult dp_mixture_gibbs(const Tensor& X0, const DPMixtureOptions& opt) {
  check_data_matrix("dp_mixture_gibbs", X0);
  if (!(opt.alpha > 0) || !(opt.cluster_scale > 0) || !(opt.a0 > 0) || opt.sweeps < 1 || opt.init_clusters < 1)
    fail("dp_mixture_gibbs", "need alpha > 0, cluster_scale > 0, a0 > 0, sweeps >= 1, init_clusters >= 1");
  const int64_t N = X0.size(0), D = X0.size(1);
  Tensor X64 = X0.to(DType::f64);
  Tensor mu = mean(X64, {0});
  std::vector<double> sd = sqrt(var(X64, {0})).to_vector();
  std::vector<double> X = (X64 - mu).contiguous().to_vector();  // centred: m0 = 0
  Prior p{opt.cluster_scale * opt.cluster_scale, opt.a0, std::vector<double>(D)};
  for (int64_t d = 0; d < D; ++d) {
    const double s = opt.cluster_scale * std::max(sd[d], 1e-12);  // a constant feature still gets a scale
    p.b0[d] = opt.a0 * s * s;
  }
  auto fresh = [&] {
    Table t;
    t.sum.assign(D, 0.0);
    t.sumsq.assign(D, 0.0);
    refresh(t, p);
    return t;
  };
  const Table empty = fresh();  // the prior predictive, for a new table

  // Tables live in slots; a table that empties is kept as a free slot for the next new one.
  const int64_t m = std::min(opt.init_clusters, N);
  std::vector<Table> tables(m, empty);
  std::vector<int64_t> z(N), free_slots;
  for (int64_t i = 0; i < N; ++i) z[i] = i % m, move(tables[z[i]], &X[i * D], +1);
  for (auto& t : tables) refresh(t, p);

  Generator gen(opt.seed);
  DPMixtureResult r;
  std::vector<double> logp;
  std::vector<int64_t> slot, best_z;
  for (int64_t sweep = 0; sweep < opt.sweeps; ++sweep) {
    std::vector<double> order = permutation(N, &gen).to_vector();
    for (double oi : order) {
      const int64_t i = (int64_t)oi;
      const double* x = &X[i * D];
      Table& own = tables[z[i]];
      move(own, x, -1);  // take x_i out: the conditionals are given the other points
      if (own.n <= 0) free_slots.push_back(z[i]);
      else refresh(own, p);
      // p(z_i = k | rest) ∝ n_k p(x_i | table k);  p(new) ∝ α p(x_i | prior)
      logp.clear();
      slot.clear();
      for (int64_t k = 0; k < (int64_t)tables.size(); ++k) {
        if (tables[k].n <= 0) continue;
        logp.push_back(std::log(tables[k].n) + log_predictive(tables[k], x));
        slot.push_back(k);
      }
      logp.push_back(std::log(opt.alpha) + log_predictive(empty, x));
      slot.push_back(-1);
      const double mx = *std::max_element(logp.begin(), logp.end());
      double total = 0;
      for (double& v : logp) total += (v = std::exp(v - mx));
      double u = gen.next_uniform() * total;
      size_t pick = 0;
      while (pick + 1 < logp.size() && (u -= logp[pick]) > 0) ++pick;
      int64_t k = slot[pick];
      if (k < 0) {  // a new table: reuse a free slot if there is one
        if (!free_slots.empty()) k = free_slots.back(), free_slots.pop_back();
        else k = (int64_t)tables.size(), tables.push_back(empty);
        tables[k] = empty;
      }
      // A freed slot that was picked again before being reused is not free any more.
      free_slots.erase(std::remove(free_slots.begin(), free_slots.end(), k), free_slots.end());
      move(tables[k], x, +1);
      refresh(tables[k], p);
      z[i] = k;
    }
    for (int64_t q = 0; q < opt.split_merge_per_sweep; ++q)
      r.split_merge_accepted += split_merge(tables, z, free_slots, X, p, empty, opt.alpha, gen);
    int64_t K = 0;
    for (auto& t : tables) K += t.n > 0;
    r.k_per_sweep.push_back(K);
    r.log_joint.push_back(log_joint(tables, p, opt.alpha, (double)N));
    if (sweep == 0 || r.log_joint.back() > r.log_joint[r.map_sweep]) r.map_sweep = sweep, best_z = z;
  }
  // The most probable partition visited: tables renumbered by size, largest first.
  std::map<int64_t, int64_t> size_of;
  for (int64_t k : best_z) ++size_of[k];
  std::vector<std::pair<int64_t, int64_t>> by_size;  // (size, slot)
  for (auto [k, n] : size_of) by_size.push_back({n, k});
  std::stable_sort(by_size.begin(), by_size.end(), [](auto a, auto b) { return a.first > b.first; });
  std::map<int64_t, int64_t> rank;
  for (size_t q = 0; q < by_size.size(); ++q) rank[by_size[q].second] = (int64_t)q, r.sizes.push_back(by_size[q].first);
  const int64_t K = (int64_t)by_size.size();
  std::vector<int64_t> labels(N);
  std::vector<double> sums(K * D, 0.0);
  for (int64_t i = 0; i < N; ++i) {
    labels[i] = rank[best_z[i]];
    for (int64_t d = 0; d < D; ++d) sums[labels[i] * D + d] += X[i * D + d];
  }
  for (int64_t k = 0; k < K; ++k)  // posterior mean of μ_k: Σx / κn (m0 = 0), then un-centred
    for (int64_t d = 0; d < D; ++d) sums[k * D + d] /= p.kappa0 + (double)r.sizes[k];
  r.num_clusters = K;
  r.means = from_vector(sums, {K, D}, DType::f64) + mu;
  r.labels = from_vector_i(labels, {N});
  return r;
}

int64_t dp_mode_k(const DPMixtureResult& r, int64_t last) {
  std::map<int64_t, int64_t> count;
  const int64_t n = (int64_t)r.k_per_sweep.size();
  for (int64_t s = std::max<int64_t>(0, n - last); s < n; ++s) ++count[r.k_per_sweep[s]];
  int64_t best = 0, best_count = -1;
  for (auto [k, c] : count)
    if (c > best_count) best = k, best_count = c;
  return best;
}

DPMeansResult dp_means(const Tensor& X0, double lambda, int64_t max_iter) {
  check_data_matrix("dp_means", X0);
  if (!(lambda > 0)) fail("dp_means", "lambda (the squared distance that opens a cluster) must be > 0, got " +
                                          std::to_string(lambda));
  const int64_t N = X0.size(0), D = X0.size(1);
  Tensor X64 = X0.to(DType::f64).contiguous();
  const double* x = X64.data<double>();
  Tensor C = mean(X64, {0}, true);  // one cluster at the global mean
  std::vector<int64_t> z(N, -1);
  const double sumsq_x = sum(X64 * X64).item();
  DPMeansResult r;
  for (int64_t it = 0; it < max_iter; ++it) {
    // Distances to the centres of this pass: one GEMM; they stay fixed during the pass.
    Tensor dmin;
    std::vector<double> near = [&] {
      Tensor lab = assign_nearest(X64, C, &dmin);
      return lab.to_vector();
    }();
    std::vector<double> dm = dmin.to_vector();
    const int64_t K0 = C.size(0);
    std::vector<double> fresh;  // centres opened during this pass (each a data point)
    bool changed = false;
    for (int64_t i = 0; i < N; ++i) {
      int64_t best = (int64_t)near[i];
      double bd = dm[i];
      for (int64_t q = 0; q < (int64_t)fresh.size() / D; ++q) {  // the few new centres, directly
        double s = 0;
        for (int64_t d = 0; d < D; ++d) s += (x[i * D + d] - fresh[q * D + d]) * (x[i * D + d] - fresh[q * D + d]);
        if (s < bd) bd = s, best = K0 + q;
      }
      if (bd > lambda) {  // farther than λ from every centre: open a cluster at x_i
        best = K0 + (int64_t)fresh.size() / D;
        fresh.insert(fresh.end(), x + i * D, x + (i + 1) * D);
      }
      if (best != z[i]) changed = true;
      z[i] = best;
    }
    // Update: each centre the mean of its points; clusters left empty disappear.
    const int64_t K = K0 + (int64_t)fresh.size() / D;
    std::vector<double> sums(K * D, 0.0), counts(K, 0.0);
    for (int64_t i = 0; i < N; ++i) {
      counts[z[i]] += 1;
      for (int64_t d = 0; d < D; ++d) sums[z[i] * D + d] += x[i * D + d];
    }
    std::vector<int64_t> renum(K, -1);
    std::vector<double> cen;
    int64_t kept = 0;
    for (int64_t k = 0; k < K; ++k) {
      if (counts[k] == 0) continue;
      renum[k] = kept++;
      for (int64_t d = 0; d < D; ++d) cen.push_back(sums[k * D + d] / counts[k]);
    }
    for (auto& v : z) v = renum[v];
    C = from_vector(cen, {kept, D}, DType::f64);
    // Σ_i ||x_i − μ_{z_i}||² = Σ_i ||x_i||² − Σ_k n_k ||μ_k||² (each μ_k is its points' mean).
    double J = sumsq_x;
    for (int64_t k = 0, q = 0; k < K; ++k) {
      if (counts[k] == 0) continue;
      for (int64_t d = 0; d < D; ++d) J -= counts[k] * cen[q * D + d] * cen[q * D + d];
      ++q;
    }
    J += lambda * kept;
    r.objective_history.push_back(J);
    r.n_iter = it + 1;
    if (!changed) {
      r.converged = true;
      break;
    }
  }
  r.centres = C.to(X0.dtype());
  r.labels = from_vector_i(z, {N});
  r.num_clusters = C.size(0);
  r.objective = r.objective_history.back();
  return r;
}

}  // namespace latent::models
