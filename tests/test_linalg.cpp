// Tests for tensor/linalg: decompositions checked by their defining identities
// (U diag(S) Vt = A, A v = λ v, L Lᵀ = A, A x = b, A A⁻¹ = I), against values
// worked out by hand, and against golden values from NumPy 1.24:
//   /usr/bin/python3 -c "import numpy as np; A = np.array(...); print(repr(np.linalg.solve(A, b)))"
// (each literal below says which NumPy call produced it).
#include <cmath>
#include <limits>

#include "helpers.h"
#include "tensor/linalg.h"

using namespace latent;
using latent::test::check_close;
using latent::test::check_error;
using latent::test::check_values;
using latent::test::rand64;

namespace {

Tensor mat(const std::vector<double>& v, int64_t m, int64_t n, DType d = DType::f64) {
  return from_vector(v, {m, n}, d);
}
// A 4x4 general matrix with det = -88 (used for solve, inverse, logdet).
Tensor A4(DType d = DType::f64) {
  return mat({2, -1, 0, 3, 1, 4, -2, 0, 0, 1, 5, -1, 3, 0, 1, 2}, 4, 4, d);
}
// A 3x3 symmetric positive definite matrix, det = 43.
Tensor S3(DType d = DType::f64) { return mat({4, 1, 2, 1, 3, 0, 2, 0, 5}, 3, 3, d); }

void check_identity(const Tensor& q, double atol) {
  check_close(q, eye(q.size(0), q.dtype()), atol, 0);
}

}  // namespace

TEST_CASE("svd: reconstruction, orthonormality, golden singular values") {
  // M = [[1,2,3],[4,5,6],[7,8,10],[-1,0,2]]; np.linalg.svd(M, compute_uv=False)
  const std::vector<double> golden = {17.436984282741232, 2.202867477135057, 0.31456954972769646};
  Tensor M = mat({1, 2, 3, 4, 5, 6, 7, 8, 10, -1, 0, 2}, 4, 3);
  for (DType d : {DType::f64, DType::f32}) {
    const double tol = d == DType::f64 ? 1e-12 : 1e-4;
    for (bool tall : {true, false}) {  // [4,3] and its transpose [3,4]
      Tensor a = tall ? M.to(d) : M.t().contiguous().to(d);
      SVD r = svd(a);
      CHECK(r.U.dtype() == d);
      CHECK(r.U.shape() == Shape{a.size(0), 3});
      CHECK(r.S.shape() == Shape{3});
      CHECK(r.Vt.shape() == Shape{3, a.size(1)});
      check_values(r.S, golden, tol * 20);
      check_close(matmul(r.U * r.S, r.Vt), a, tol * 20, 0);  // U diag(S) Vt = A
      check_identity(matmul(r.U.t(), r.U), tol);              // UᵀU = I
      check_identity(matmul(r.Vt, r.Vt.t()), tol);            // Vt Vtᵀ = I
    }
  }
}

TEST_CASE("svd: full matrices and hand values") {
  // [[3,1,1],[-1,3,1]]: A Aᵀ = [[11,1],[1,11]], eigenvalues 12 and 10, so S = (√12, √10).
  Tensor a = mat({3, 1, 1, -1, 3, 1}, 2, 3);
  SVD r = svd(a, true);
  CHECK(r.U.shape() == Shape{2, 2});
  CHECK(r.Vt.shape() == Shape{3, 3});
  check_values(r.S, {std::sqrt(12.0), std::sqrt(10.0)}, 1e-12);
  check_identity(matmul(r.U, r.U.t()), 1e-12);
  check_identity(matmul(r.Vt, r.Vt.t()), 1e-12);
  // A = U [diag(S) 0] Vt with the first 2 rows of Vt.
  check_close(matmul(r.U * r.S, r.Vt.slice(0, 0, 2)), a, 1e-12, 0);
  // A non-contiguous (transposed) view works the same.
  Tensor b = rand64({5, 7}, 3).t();
  SVD q = svd(b);
  check_close(matmul(q.U * q.S, q.Vt), b, 1e-12, 0);
  auto s = q.S.to_vector();
  for (size_t i = 1; i < s.size(); ++i) CHECK(s[i - 1] >= s[i]);  // descending
}

TEST_CASE("eigh: A v = λ v, ascending values, golden values") {
  // Tridiagonal [[2,1,0],[1,2,1],[0,1,2]]: eigenvalues 2 - √2, 2, 2 + √2 (by hand:
  // the eigenvalues of tridiag(1,2,1) of size n are 2 + 2cos(kπ/(n+1))).
  Tensor t = mat({2, 1, 0, 1, 2, 1, 0, 1, 2}, 3, 3);
  Eigh e = eigh(t);
  check_values(e.values, {2 - std::sqrt(2.0), 2, 2 + std::sqrt(2.0)}, 1e-12);
  // S3: np.linalg.eigh(S)[0]
  for (DType d : {DType::f64, DType::f32}) {
    const double tol = d == DType::f64 ? 1e-12 : 1e-5;
    Tensor a = S3(d);
    Eigh r = eigh(a);
    CHECK(r.values.dtype() == d);
    check_values(r.values, {1.8548973087995761, 3.4760236029181333, 6.669079088282287}, tol * 10);
    check_close(matmul(a, r.vectors), r.vectors * r.values, tol * 10, 0);  // A V = V diag(λ)
    check_identity(matmul(r.vectors.t(), r.vectors), tol);
    // Columns are eigenvectors: compare with NumPy's up to sign (first column,
    // np.linalg.eigh(S)[1][:, 0] = [-0.67931306, 0.59323331, 0.43198148]).
    Tensor v0 = r.vectors.select(1, 0);
    double sgn = v0.at({0}) < 0 ? 1 : -1;
    check_values(v0 * sgn, {-0.6793130619863363, 0.5932333119173852, 0.4319814827585529}, tol * 10);
  }
  // A random symmetric matrix: X + Xᵀ.
  Tensor x = rand64({6, 6}, 11);
  Tensor s = x + x.t();
  Eigh q = eigh(s);
  check_close(matmul(q.vectors * q.values, q.vectors.t()), s, 1e-12, 0);  // V diag(λ) Vᵀ = A
}

TEST_CASE("cholesky: L Lᵀ = A, lower triangular") {
  // The classic hand example: [[4,12,-16],[12,37,-43],[-16,-43,98]] = L Lᵀ with
  // L = [[2,0,0],[6,1,0],[-8,5,3]].
  Tensor a = mat({4, 12, -16, 12, 37, -43, -16, -43, 98}, 3, 3);
  check_values(cholesky(a), {2, 0, 0, 6, 1, 0, -8, 5, 3}, 1e-12);
  for (DType d : {DType::f64, DType::f32}) {
    Tensor s = S3(d);
    Tensor L = cholesky(s);
    CHECK(L.dtype() == d);
    // np.linalg.cholesky(S)
    check_values(L, {2, 0, 0, 0.5, 1.6583123951777, 0, 1, -0.30151134457776363, 1.9771421064483223},
                 d == DType::f64 ? 1e-12 : 1e-6);
    check_close(matmul(L, L.t()), s, d == DType::f64 ? 1e-12 : 1e-5, 0);
  }
}

TEST_CASE("solve: A x = b for a vector and a matrix b") {
  // np.linalg.solve(A, [1,2,3,4]) and np.linalg.solve(A, B)
  Tensor b = from_vector({1, 2, 3, 4}, {4}, DType::f64);
  Tensor B = mat({1, 0, 0, 1, 2, -1, -3, 2}, 4, 2);
  for (DType d : {DType::f64, DType::f32}) {
    const double tol = d == DType::f64 ? 1e-12 : 1e-5;
    Tensor a = A4(d);
    Tensor x = solve(a, b.to(d));
    CHECK(x.shape() == Shape{4});
    CHECK(x.dtype() == d);
    check_values(x, {1.636363636363636, 0.29545454545454564, 0.4090909090909092, -0.6590909090909088},
                 tol);
    check_close(matmul(a, x), b.to(d), tol * 10, 0);
    Tensor X = solve(a, B.to(d));
    CHECK(X.shape() == Shape{4, 2});
    check_values(X, {-3.0909090909090904, 1.5454545454545454, 1.1363636363636362, -0.3181818181818182,
                     0.7272727272727273, -0.36363636363636365, 2.7727272727272725, -1.1363636363636365},
                 tol * 10);
    check_close(matmul(a, X), B.to(d), tol * 10, 0);
  }
}

TEST_CASE("inverse: A A⁻¹ = I") {
  // [[4,7],[2,6]]⁻¹ = (1/10) [[6,-7],[-2,4]] by the 2x2 formula.
  check_values(inverse(mat({4, 7, 2, 6}, 2, 2)), {0.6, -0.7, -0.2, 0.4}, 1e-12);
  // np.linalg.inv(A), first row
  Tensor inv = inverse(A4());
  check_values(inv.select(0, 0), {-0.5454545454545454, -0.09090909090909091, -0.18181818181818182,
                                  0.7272727272727272}, 1e-12);
  check_identity(matmul(A4(), inv), 1e-12);
  check_identity(matmul(inv, A4()), 1e-12);
  Tensor inv32 = inverse(A4(DType::f32));
  CHECK(inv32.dtype() == DType::f32);
  check_identity(matmul(A4(DType::f32), inv32), 1e-5);
  Tensor r = rand64({7, 7}, 5) + eye(7, DType::f64) * 3;
  check_identity(matmul(r, inverse(r)), 1e-12);
}

TEST_CASE("logdet / slogdet / logdet_spd") {
  // By hand: det [[4,7],[2,6]] = 24 - 14 = 10; det diag(2,3,4) = 24.
  CHECK(logdet(mat({4, 7, 2, 6}, 2, 2)).item() == doctest::Approx(std::log(10.0)).epsilon(1e-14));
  Tensor dg = mat({2, 0, 0, 0, 3, 0, 0, 0, 4}, 3, 3);
  CHECK(logdet(dg).item() == doctest::Approx(std::log(24.0)).epsilon(1e-14));
  CHECK(logdet_spd(dg).item() == doctest::Approx(std::log(24.0)).epsilon(1e-14));
  // A permutation matrix: det = -1, log|det| = 0.
  SignLogdet p = slogdet(mat({0, 1, 1, 0}, 2, 2));
  CHECK(p.sign.item() == -1);
  CHECK(p.logabsdet.item() == doctest::Approx(0.0));
  // np.linalg.slogdet(A) = (-1.0, 4.477336814478206)  (det = -88)
  for (DType d : {DType::f64, DType::f32}) {
    SignLogdet s = slogdet(A4(d));
    CHECK(s.logabsdet.dtype() == d);
    CHECK(s.logabsdet.dim() == 0);
    CHECK(s.sign.item() == -1);
    CHECK(s.logabsdet.item() == doctest::Approx(4.477336814478206).epsilon(1e-6));
    CHECK(logdet(A4(d)).item() == doctest::Approx(std::log(88.0)).epsilon(1e-6));
  }
  // SPD: log det = sum of log eigenvalues = 2 sum log L_ii; np: log(det S) = 3.761200115693563
  double from_eigs = sum(log(eigh(S3()).values)).item();
  CHECK(from_eigs == doctest::Approx(3.761200115693563).epsilon(1e-13));
  CHECK(logdet(S3()).item() == doctest::Approx(from_eigs).epsilon(1e-13));
  CHECK(logdet_spd(S3()).item() == doctest::Approx(from_eigs).epsilon(1e-13));
  // A random SPD matrix X Xᵀ + I.
  Tensor x = rand64({5, 5}, 7);
  Tensor spd = matmul(x, x.t()) + eye(5, DType::f64);
  CHECK(logdet_spd(spd).item() == doctest::Approx(sum(log(eigh(spd).values)).item()).epsilon(1e-12));
  // Singular: log|det| = -inf and sign 0 (not an error).
  SignLogdet z = slogdet(mat({1, 2, 2, 4}, 2, 2));
  CHECK(z.sign.item() == 0);
  CHECK(z.logabsdet.item() == -std::numeric_limits<double>::infinity());
  CHECK(logdet(zeros({3, 3}, DType::f64)).item() == -std::numeric_limits<double>::infinity());
}

TEST_CASE("cholesky_solve and triangular_solve") {
  Tensor s = S3();
  Tensor L = cholesky(s);
  Tensor b = from_vector({1, -2, 3}, {3}, DType::f64);
  Tensor B = mat({1, 0, 0, 1, 2, -1}, 3, 2);
  check_close(cholesky_solve(L, b), solve(s, b), 1e-12, 0);
  check_close(cholesky_solve(L, B), solve(s, B), 1e-12, 0);
  // L y = b by forward substitution, by hand for L = [[2,0,0],[6,1,0],[-8,5,3]], b = [2,7,-3]:
  // y0 = 1, y1 = 7 - 6 = 1, y2 = (-3 + 8 - 5) / 3 = 0.
  Tensor Lh = mat({2, 0, 0, 6, 1, 0, -8, 5, 3}, 3, 3);
  check_values(triangular_solve(Lh, from_vector({2, 7, -3}, {3}, DType::f64)), {1, 1, 0}, 1e-12);
  // Lᵀ x = b, and an upper matrix given as Lᵀ, give the same answer; the
  // unused triangle is not read (fill it with junk to be sure).
  Tensor junk = Lh.clone();
  junk.set({0, 2}, 99);
  Tensor x1 = triangular_solve(junk, b, true, true);
  check_close(matmul(Lh.t(), x1), b, 1e-12, 0);
  check_close(triangular_solve(Lh.t(), b, false), x1, 1e-12, 0);
  // Unit diagonal: the diagonal is taken as 1.
  Tensor U1 = mat({1, 2, 0, 1}, 2, 2);
  check_close(triangular_solve(mat({5, 2, 0, 7}, 2, 2), from_vector({5, 1}, {2}, DType::f64), false, false, true),
              solve(U1, from_vector({5, 1}, {2}, DType::f64)), 1e-12, 0);
  // float32 in, float32 out.
  CHECK(triangular_solve(Lh.to(DType::f32), b.to(DType::f32)).dtype() == DType::f32);
}

TEST_CASE("linalg errors") {
  Tensor sq = S3();
  Tensor rect = zeros({2, 3}, DType::f64);
  check_error([&] { cholesky(rect); }, {"cholesky", "[2,3]", "not square"});
  check_error([&] { eigh(rect); }, {"eigh", "not square"});
  check_error([&] { inverse(rect); }, {"inverse", "not square"});
  check_error([&] { logdet(rect); }, {"logdet", "not square"});
  check_error([&] { solve(rect, zeros({2}, DType::f64)); }, {"solve", "not square"});
  check_error([&] { svd(zeros({2, 2, 2}, DType::f64)); }, {"svd", "2-d", "[2,2,2]"});
  check_error([&] { inverse(zeros({3}, DType::f64)); }, {"inverse", "2-d", "[3]"});
  check_error([&] { cholesky(eye(2, DType::i64)); }, {"cholesky", "int64"});
  // NaN / Inf anywhere in the input, with its position.
  Tensor nan = sq.clone();
  nan.set({1, 0}, std::nan(""));
  check_error([&] { svd(nan); }, {"svd", "NaN", "[1,0]"});
  check_error([&] { solve(sq, from_vector({1, INFINITY, 0}, {3}, DType::f64)); }, {"solve", "b", "Inf", "[1,0]"});
  // Singular: an exact zero pivot is named; a numerically singular matrix is caught by its condition number.
  check_error([&] { solve(mat({1, 2, 2, 4}, 2, 2), zeros({2}, DType::f64)); },
              {"solve", "[2,2]", "singular", "pivot 1"});
  check_error([&] { inverse(mat({1, 2, 2, 4}, 2, 2)); }, {"inverse", "singular", "pivot 1"});
  check_error([&] { inverse(mat({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3)); }, {"inverse", "singular"});
  check_error([&] { solve(mat({1, 1, 1, 1 + 1.2e-7}, 2, 2, DType::f32), zeros({2})); },
              {"solve", "singular to working precision", "float32"});
  // Not positive definite: [[1,2],[2,1]] has leading minors 1 and -3.
  check_error([&] { cholesky(mat({1, 2, 2, 1}, 2, 2)); },
              {"cholesky", "[2,2]", "not positive definite", "leading minor 2 is not positive"});
  check_error([&] { logdet_spd(mat({-1, 0, 0, 1}, 2, 2)); }, {"logdet_spd", "leading minor 1"});
  check_error([&] { cholesky(mat({2, 1, 0, 2}, 2, 2)); }, {"cholesky", "not symmetric", "[1,0]"});
  check_error([&] { eigh(mat({2, 1, 0, 2}, 2, 2)); }, {"eigh", "not symmetric"});
  // Right-hand sides.
  check_error([&] { solve(sq, zeros({4}, DType::f64)); }, {"solve", "[3,3]", "[4]", "3 rows"});
  check_error([&] { solve(sq, zeros({3})); }, {"solve", "dtypes differ", "float32"});
  check_error([&] { solve(sq, zeros({3, 1, 1}, DType::f64)); }, {"solve", "[3,1,1]"});
  check_error([&] { cholesky_solve(mat({1, 0, 1, 0}, 2, 2), zeros({2}, DType::f64)); },
              {"cholesky_solve", "L[1,1] = 0"});
  check_error([&] { triangular_solve(mat({1, 0, 1, 0}, 2, 2), zeros({2}, DType::f64)); },
              {"triangular_solve", "singular", "[1,1]"});
}
