// latent/tensor — linear algebra: thin wrappers around LAPACK.
//
// LAPACK is Fortran: every argument is passed by pointer, matrices are
// column-major (element (i,j) at i + j*ld), and each CHARACTER argument has a
// hidden length argument appended at the end (gfortran passes it as size_t;
// omitting it is a known source of crashes, so we pass 1s). OpenBLAS exports
// these symbols with a trailing underscore and uses 32-bit integers (LP64).
//
// Each function: check the input, copy it to a column-major float64 buffer
// (`load`), call LAPACK, and copy the result back to a row-major tensor of the
// input dtype (`store`). The copies cost O(n²) next to the O(n³) factorisation.
#include "tensor/linalg.h"

#include <climits>
#include <cmath>
#include <limits>

#include "tensor/kernels.h"

extern "C" {
using fstrlen = size_t;
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work,
             const int* lwork, int* iwork, int* info, fstrlen);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
             double* w, double* work, const int* lwork, int* iwork, const int* liwork,
             int* info, fstrlen, fstrlen);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, fstrlen);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda,
             double* b, const int* ldb, int* info, fstrlen);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void dgetrs_(const char* trans, const int* n, const int* nrhs, const double* a, const int* lda,
             const int* ipiv, double* b, const int* ldb, int* info, fstrlen);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work,
             const int* lwork, int* info);
void dgecon_(const char* norm, const int* n, const double* a, const int* lda,
             const double* anorm, double* rcond, double* work, int* iwork, int* info, fstrlen);
void dtrtrs_(const char* uplo, const char* trans, const char* diag, const int* n,
             const int* nrhs, const double* a, const int* lda, double* b, const int* ldb,
             int* info, fstrlen, fstrlen, fstrlen);
}

namespace latent {

namespace {

using Buf = std::vector<double>;

std::string idx2(int64_t i, int64_t j) {  // "[i,j]" (built with +=: GCC 12 warns on "[" + ...)
  std::string s = "[";
  s += std::to_string(i);
  s += ",";
  s += std::to_string(j);
  return s + "]";
}

// LAPACK's 32-bit sizes; a leading dimension must be >= 1 even for empty matrices.
int as_int(const char* op, int64_t v) {
  if (v > INT_MAX) fail(op, "size " + std::to_string(v) + " is too large for LAPACK (32-bit)");
  return (int)v;
}
int ld(int64_t rows) { return (int)std::max<int64_t>(rows, 1); }

double eps_of(DType d) {
  return d == DType::f32 ? (double)std::numeric_limits<float>::epsilon()
                         : std::numeric_limits<double>::epsilon();
}

// The checks every function starts with. `what` names the argument in messages.
void check_matrix(const char* op, const Tensor& a, bool square, const char* what = "matrix") {
  if (!a.defined()) fail(op, std::string("undefined ") + what);
  if (a.dim() != 2)
    fail(op, std::string("expects a 2-d ") + what + ", got shape " + shape_str(a.shape()) +
                 (a.dim() > 2 ? " (batches are not supported: loop over the first axis)" : ""));
  if (a.dtype() == DType::i64)
    fail(op, std::string("needs a float32 or float64 ") + what +
                 ", got int64 (convert with .to(DType::f64))");
  if (square && a.size(0) != a.size(1))
    fail(op, std::string(what) + " " + shape_str(a.shape()) + " is not square");
  as_int(op, a.size(0));
  as_int(op, a.size(1));
}

// Column-major float64 copy of a 2-d tensor (leading dimension = rows), after
// checking every element is finite: LAPACK's answer for NaN input is
// undefined (it may loop, or return garbage without an error).
Buf load(const char* op, const Tensor& a, const char* what = "matrix") {
  const int64_t m = a.size(0), n = a.size(1);
  // aᵀ in row-major order is a in column-major order.
  Tensor c = a.to(DType::f64).t().contiguous();
  const double* p = c.data<double>();
  Buf out(p, p + m * n);
  for (int64_t k = 0; k < m * n; ++k)
    if (!std::isfinite(out[k]))
      fail(op, std::string(what) + " " + shape_str(a.shape()) + " contains " +
                   (std::isnan(out[k]) ? "NaN" : "Inf") + " at " + idx2(k % m, k / m));
  return out;
}

// Row-major tensor [m,n] of dtype d from a column-major buffer.
Tensor store(const Buf& buf, int64_t m, int64_t n, int64_t ldb, DType d) {
  Tensor out({m, n}, DType::f64);
  double* p = out.data<double>();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) p[i * n + j] = buf[i + j * ldb];
  return out.to(d);
}
Tensor store_vec(const Buf& v, DType d) {
  return from_vector(v, {(int64_t)v.size()}, d);
}

// eigh and cholesky read one triangle only; a matrix that is not symmetric is
// almost always a bug upstream (e.g. a covariance built as X Yᵀ), so say so.
// Rounding from float32 products leaves tiny asymmetries: the tolerance is
// sqrt(eps) relative to the largest entry.
void check_symmetric(const char* op, const Tensor& a, const Buf& A) {
  const int64_t n = a.size(0);
  double scale = 0;
  for (double x : A) scale = std::max(scale, std::fabs(x));
  const double tol = std::sqrt(eps_of(a.dtype())) * scale;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = j + 1; i < n; ++i)
      if (std::fabs(A[i + j * n] - A[j + i * n]) > tol)
        fail(op, "matrix " + shape_str(a.shape()) + " is not symmetric (a" + idx2(i, j) + " = " +
                     num_str(A[i + j * n], 3) + " but a" + idx2(j, i) + " = " + num_str(A[j + i * n], 3) + ")");
}

// Right-hand side b: [n] or [n,k], same dtype as the matrix.
void check_rhs(const char* op, const Tensor& a, const Tensor& b) {
  if (!b.defined()) fail(op, "undefined right-hand side b");
  if (b.dim() != 1 && b.dim() != 2)
    fail(op, "b must be a vector [n] or a matrix [n,k], got shape " + shape_str(b.shape()));
  if (b.dtype() != a.dtype())
    fail(op, std::string("dtypes differ: matrix is ") + dtype_name(a.dtype()) + ", b is " +
                 dtype_name(b.dtype()));
  if (b.size(0) != a.size(0))
    fail(op, "matrix " + shape_str(a.shape()) + " and b " + shape_str(b.shape()) +
                 " do not match (b needs " + std::to_string(a.size(0)) + " rows)");
}
Tensor as_2d(const Tensor& b) { return b.dim() == 1 ? b.unsqueeze(1) : b; }
Tensor like_rhs(const Tensor& x, const Tensor& b) { return b.dim() == 1 ? x.reshape({b.size(0)}) : x; }

// LU factorisation with partial pivoting, P A = L U (dgetrf), in place in `lu`.
// With `need_regular`, a singular matrix is an error: either a pivot U_ii is
// exactly 0, or the reciprocal condition number (dgecon's estimate of
// 1 / (‖A‖₁ ‖A⁻¹‖₁)) is below the input dtype's epsilon, where a solution
// would have no correct digits.
struct LU {
  Buf lu;
  std::vector<int> piv;  // 1-based: row i was swapped with row piv[i]
  int zero_pivot = 0;    // LAPACK's info: 1-based index of the first U_ii == 0
};
LU lu_factor(const char* op, const Tensor& a, bool need_regular) {
  const int n = (int)a.size(0), lda = ld(n);
  LU f{load(op, a), std::vector<int>(std::max(n, 1)), 0};
  double anorm = 0;  // ‖A‖₁, the largest column sum of |a_ij|
  for (int j = 0; j < n; ++j) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += std::fabs(f.lu[i + (int64_t)j * n]);
    anorm = std::max(anorm, s);
  }
  dgetrf_(&n, &n, f.lu.data(), &lda, f.piv.data(), &f.zero_pivot);
  if (!need_regular || n == 0) return f;
  if (f.zero_pivot > 0) {
    int i = f.zero_pivot - 1;
    fail(op, "matrix " + shape_str(a.shape()) + " is singular (pivot " + std::to_string(i) +
                 " of its LU factorisation is zero: U" + idx2(i, i) + " = 0)");
  }
  double rcond = 0;
  Buf work(4 * n);
  std::vector<int> iwork(n);
  int info = 0;
  dgecon_("1", &n, f.lu.data(), &lda, &anorm, &rcond, work.data(), iwork.data(), &info, 1);
  if (rcond < eps_of(a.dtype()))
    fail(op, "matrix " + shape_str(a.shape()) +
                 " is singular to working precision (reciprocal condition number " + num_str(rcond, 3) +
                 " < " + dtype_name(a.dtype()) + " epsilon " + num_str(eps_of(a.dtype()), 3) + ")");
  return f;
}

// Cholesky factor in column-major order, A = L Lᵀ (dpotrf, lower triangle).
Buf chol_factor(const char* op, const Tensor& a) {
  check_matrix(op, a, true);
  Buf A = load(op, a);
  check_symmetric(op, a, A);
  const int n = (int)a.size(0), lda = ld(n);
  int info = 0;
  dpotrf_("L", &n, A.data(), &lda, &info, 1);
  // info = k > 0: the leading k x k minor is not positive definite.
  if (info > 0)
    fail(op, "matrix " + shape_str(a.shape()) + " is not positive definite (leading minor " +
                 std::to_string(info) + " is not positive)");
  for (int j = 1; j < n; ++j)  // dpotrf leaves the strict upper triangle untouched
    for (int i = 0; i < j; ++i) A[i + (int64_t)j * n] = 0;
  return A;
}

}  // namespace

SVD svd(const Tensor& a, bool full_matrices) {
  check_matrix("svd", a, false);
  const int m = (int)a.size(0), n = (int)a.size(1), k = std::min(m, n);
  const DType d = a.dtype();
  if (k == 0)  // nothing to decompose; the full bases are the identity
    return {full_matrices ? eye(m, d) : zeros({m, 0}, d), zeros({0}, d),
            full_matrices ? eye(n, d) : zeros({0, n}, d)};
  Buf A = load("svd", a);
  // dgesdd: divide and conquer, the fastest LAPACK SVD. jobz 'S' gives the
  // first k columns of U and rows of Vᵀ, 'A' all of them.
  const char jobz = full_matrices ? 'A' : 'S';
  const int ucols = full_matrices ? m : k, vtrows = full_matrices ? n : k;
  const int lda = m, ldu = m, ldvt = vtrows;
  Buf s(k), u((int64_t)m * ucols), vt((int64_t)vtrows * n);
  std::vector<int> iwork(8 * k);
  int info = 0, lwork = -1;
  double wq = 0;  // lwork = -1 is a workspace query: the optimal size comes back in wq
  dgesdd_(&jobz, &m, &n, A.data(), &lda, s.data(), u.data(), &ldu, vt.data(), &ldvt, &wq, &lwork,
          iwork.data(), &info, 1);
  lwork = (int)wq;
  Buf work(std::max(lwork, 1));
  dgesdd_(&jobz, &m, &n, A.data(), &lda, s.data(), u.data(), &ldu, vt.data(), &ldvt, work.data(),
          &lwork, iwork.data(), &info, 1);
  if (info > 0)
    fail("svd", "LAPACK dgesdd did not converge for matrix " + shape_str(a.shape()) +
                    " (info = " + std::to_string(info) + ")");
  return {store(u, m, ucols, ldu, d), store_vec(s, d), store(vt, vtrows, n, ldvt, d)};
}

Eigh eigh(const Tensor& a) {
  check_matrix("eigh", a, true);
  Buf A = load("eigh", a);
  check_symmetric("eigh", a, A);
  const int n = (int)a.size(0), lda = ld(n);
  // dsyevd (divide and conquer): eigenvalues ascending in w, and A overwritten
  // by the eigenvectors, one per column.
  Buf w(n);
  int info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  dsyevd_("V", "L", &n, A.data(), &lda, w.data(), &wq, &lwork, &iwq, &liwork, &info, 1, 1);
  lwork = (int)wq;
  liwork = iwq;
  Buf work(std::max(lwork, 1));
  std::vector<int> iwork(std::max(liwork, 1));
  dsyevd_("V", "L", &n, A.data(), &lda, w.data(), work.data(), &lwork, iwork.data(), &liwork,
          &info, 1, 1);
  if (info > 0)
    fail("eigh", "LAPACK dsyevd did not converge for matrix " + shape_str(a.shape()) +
                     " (info = " + std::to_string(info) + ")");
  return {store_vec(w, a.dtype()), store(A, n, n, n, a.dtype())};
}

Tensor cholesky(const Tensor& a) {
  Buf L = chol_factor("cholesky", a);
  return store(L, a.size(0), a.size(0), a.size(0), a.dtype());
}

Tensor solve(const Tensor& a, const Tensor& b) {
  check_matrix("solve", a, true);
  check_rhs("solve", a, b);
  Tensor b2 = as_2d(b);
  check_matrix("solve", b2, false, "b");
  Buf B = load("solve", b2, "b");
  LU f = lu_factor("solve", a, true);
  const int n = (int)a.size(0), k = (int)b2.size(1), lda = ld(n);
  int info = 0;
  if (k > 0)  // A X = B  <=>  L U X = P B: two triangular solves (dgetrs)
    dgetrs_("N", &n, &k, f.lu.data(), &lda, f.piv.data(), B.data(), &lda, &info, 1);
  return like_rhs(store(B, n, k, n, a.dtype()), b);
}

Tensor inverse(const Tensor& a) {
  check_matrix("inverse", a, true);
  LU f = lu_factor("inverse", a, true);
  const int n = (int)a.size(0), lda = ld(n);
  if (n == 0) return zeros({0, 0}, a.dtype());
  // dgetri: A⁻¹ = U⁻¹ L⁻¹ P, from the LU factors.
  int info = 0, lwork = -1;
  double wq = 0;
  dgetri_(&n, f.lu.data(), &lda, f.piv.data(), &wq, &lwork, &info);
  lwork = std::max((int)wq, 1);
  Buf work(lwork);
  dgetri_(&n, f.lu.data(), &lda, f.piv.data(), work.data(), &lwork, &info);
  return store(f.lu, n, n, n, a.dtype());
}

namespace {
SignLogdet slogdet_impl(const char* op, const Tensor& a) {
  check_matrix(op, a, true);
  LU f = lu_factor(op, a, false);
  const int64_t n = a.size(0);
  // det A = det(P)⁻¹ det(L) det(U) = (-1)^(number of row swaps) * prod_i U_ii.
  double sign = 1, logabs = 0;
  for (int64_t i = 0; i < n; ++i) {
    double u = f.lu[i + i * n];
    if (f.piv[i] != i + 1) sign = -sign;
    if (u < 0) sign = -sign;
    logabs += std::log(std::fabs(u));  // log 0 = -inf: a singular matrix
  }
  if (f.zero_pivot > 0) sign = 0;
  return {scalar(sign, a.dtype()), scalar(logabs, a.dtype())};
}
}  // namespace

SignLogdet slogdet(const Tensor& a) { return slogdet_impl("slogdet", a); }
Tensor logdet(const Tensor& a) { return slogdet_impl("logdet", a).logabsdet; }

Tensor logdet_spd(const Tensor& a) {
  Buf L = chol_factor("logdet_spd", a);
  const int64_t n = a.size(0);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::log(L[i + i * n]);
  return scalar(2 * s, a.dtype());
}

Tensor cholesky_solve(const Tensor& L, const Tensor& b) {
  check_matrix("cholesky_solve", L, true, "factor L");
  check_rhs("cholesky_solve", L, b);
  Tensor b2 = as_2d(b);
  check_matrix("cholesky_solve", b2, false, "b");
  Buf A = load("cholesky_solve", L, "factor L"), B = load("cholesky_solve", b2, "b");
  const int n = (int)L.size(0), k = (int)b2.size(1), lda = ld(n);
  // dpotrs does not check the diagonal; a zero there makes L Lᵀ singular.
  for (int i = 0; i < n; ++i)
    if (A[i + (int64_t)i * n] == 0)
      fail("cholesky_solve", "factor L " + shape_str(L.shape()) + " has L" + idx2(i, i) +
                                 " = 0, so L Lᵀ is singular");
  int info = 0;
  // (L Lᵀ) x = b  <=>  L y = b, then Lᵀ x = y.
  if (k > 0) dpotrs_("L", &n, &k, A.data(), &lda, B.data(), &lda, &info, 1);
  return like_rhs(store(B, n, k, n, L.dtype()), b);
}

Tensor triangular_solve(const Tensor& t, const Tensor& b, bool lower, bool transpose,
                        bool unit_diagonal) {
  const char* op = "triangular_solve";
  check_matrix(op, t, true);
  check_rhs(op, t, b);
  Tensor b2 = as_2d(b);
  check_matrix(op, b2, false, "b");
  Buf A = load(op, t), B = load(op, b2, "b");
  const int n = (int)t.size(0), k = (int)b2.size(1), lda = ld(n);
  int info = 0;
  const char uplo = lower ? 'L' : 'U', trans = transpose ? 'T' : 'N', diag = unit_diagonal ? 'U' : 'N';
  if (k > 0)
    dtrtrs_(&uplo, &trans, &diag, &n, &k, A.data(), &lda, B.data(), &lda, &info, 1, 1, 1);
  else if (!unit_diagonal)  // dtrtrs checks the diagonal; do it ourselves without a b
    for (int i = 0; i < n && !info; ++i)
      if (A[i + (int64_t)i * n] == 0) info = i + 1;
  if (info > 0)
    fail(op, "matrix " + shape_str(t.shape()) + " is singular (diagonal element t" +
                 idx2(info - 1, info - 1) + " = 0)");
  return like_rhs(store(B, n, k, n, t.dtype()), b);
}

}  // namespace latent
