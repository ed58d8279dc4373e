// latent/tensor — dense linear algebra through LAPACK (inside OpenBLAS).
//
// Every function takes 2-d float32 or float64 matrices (no batching: loop
// over the first axis), works in float64 internally, and returns tensors of
// the input dtype. LAPACK stores matrices column-major; the conversion is
// done here, so callers see ordinary row-major tensors.
//
// Errors (latent::Error, message starting with the function's name):
//   - the input is not 2-d, not square, not float, or contains NaN / Inf;
//   - solve / inverse / triangular_solve: the matrix is singular — either a
//     pivot is exactly zero (the message names it) or it is singular to
//     working precision (reciprocal condition number below the machine
//     epsilon of the input dtype), where the answer would be noise;
//   - cholesky / logdet_spd: not positive definite (the message names the
//     first leading minor that is not positive); cholesky_solve: a zero on
//     the diagonal of L;
//   - eigh / cholesky: the matrix is not symmetric (beyond rounding).
// logdet of a singular matrix is not an error: it returns -inf (det = 0).
#pragma once

#include "tensor/tensor.h"

namespace latent {

// A = U diag(S) Vt, singular values S descending (>= 0).
// Reduced (full_matrices=false), A [m,n], k = min(m,n): U [m,k], S [k], Vt [k,n].
// Full: U [m,m], Vt [n,n]. Singular vectors are unique only up to sign.
struct SVD {
  Tensor U, S, Vt;
};
SVD svd(const Tensor& a, bool full_matrices = false);

// Symmetric eigendecomposition A = V diag(values) Vᵀ, values ascending (as
// NumPy's eigh), eigenvectors the *columns* of V (orthonormal; sign arbitrary).
struct Eigh {
  Tensor values, vectors;
};
Eigh eigh(const Tensor& a);

// Lower-triangular L with A = L Lᵀ, for symmetric positive definite A.
Tensor cholesky(const Tensor& a);

// x with A x = b. b is a vector [n] (x is [n]) or a matrix [n,k] (x is [n,k],
// one right-hand side per column). LU with partial pivoting.
Tensor solve(const Tensor& a, const Tensor& b);

// A⁻¹. Prefer solve(a, b) to inverse(a) @ b: it is cheaper and more accurate.
Tensor inverse(const Tensor& a);

// log |det A| as a 0-d tensor, from the LU factorisation:
// det A = ±prod_i U_ii, so log|det A| = sum_i log|U_ii|. -inf if A is singular.
// For a symmetric positive definite matrix |det A| = det A, and logdet_spd is
// the better choice (half the work, and it checks positive definiteness).
Tensor logdet(const Tensor& a);
// sign(det A) (+1, -1, or 0 when singular) and log|det A|, as NumPy's slogdet.
struct SignLogdet {
  Tensor sign, logabsdet;
};
SignLogdet slogdet(const Tensor& a);
// log det A for symmetric positive definite A via Cholesky:
// det A = det(L)² = prod_i L_ii², so log det A = 2 sum_i log L_ii.
// Errors if A is not positive definite (its determinant may still be > 0).
Tensor logdet_spd(const Tensor& a);

// x with (L Lᵀ) x = b, given the Cholesky factor L = cholesky(A): two
// triangular solves. b is [n] or [n,k]. (Gaussian log-densities, GMMs, PPCA.)
Tensor cholesky_solve(const Tensor& L, const Tensor& b);

// x with op(T) x = b for triangular T (only its lower / upper triangle is
// read), op(T) = T or Tᵀ when `transpose`. With unit_diagonal the diagonal is
// taken as 1 and not read. b is [n] or [n,k]. E.g. the whitened residual
// L⁻¹(x - μ) of a Gaussian is triangular_solve(L, x - μ).
Tensor triangular_solve(const Tensor& t, const Tensor& b, bool lower = true,
                        bool transpose = false, bool unit_diagonal = false);

}  // namespace latent
