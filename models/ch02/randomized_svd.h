// Chapter 02 — randomized SVD (Halko, Martinsson & Tropp 2011, "Finding
// structure with randomness", SIAM Review 53(2)).
//
// The top-k singular triplets of A [N, D] without decomposing A itself:
//
//   1. range finder (their Algorithm 4.4, randomized subspace iteration):
//        Ω ~ N(0, 1) [D, l], l = k + oversamples;   Q = orth(A Ω)
//        repeat q times:  Q = orth(A orth(Aᵀ Q))
//      Q [N, l] has orthonormal columns whose span captures A's top-k left
//      singular subspace; each power iteration raises the singular values to a
//      higher power, sharpening the gap (error bound their eq. 1.11:
//      E‖A − Q Qᵀ A‖ ≲ (1 + ...)^(1/(2q+1)) σ_{k+1}).
//   2. direct SVD (their Algorithm 5.1): B = Qᵀ A [l, D] is small;
//        B = Ũ Σ Vᵀ,  U = Q Ũ,  and A ≈ U Σ Vᵀ.
//
// Cost: 2q + 2 GEMMs with a thin [D, l] or [N, l] matrix, O(N D l) each,
// instead of O(N D min(N, D)) for a full SVD. The big products run in A's
// dtype (float32 for MNIST: the method's own error is far larger than
// float32 rounding); the small factorisations in float64.
#pragma once

#include <cstdint>

#include "tensor/linalg.h"

namespace latent::models {

struct RandomizedSvdOptions {
  int64_t oversamples = 10;   // p: extra random directions (Halko et al. §4.2 suggest 5-10)
  int power_iterations = -1;  // q; -1 = scikit-learn's rule: 7 if k < 0.1·min(N, D), else 4
  uint64_t seed = 0;          // the test matrix Ω
};

// The k largest singular values of A − 1 centreᵀ (centre [D], or undefined for
// A itself) and their vectors: U [N, k], S [k] descending, Vt [k, D], in A's
// dtype. The centring is applied implicitly inside the products, so a centred
// copy of A is never made. Errors: A not a finite float matrix, k < 1 or
// k > min(N, D).
SVD randomized_svd(const Tensor& A, int64_t k, const RandomizedSvdOptions& opt = {},
                   const Tensor& centre = Tensor());

// An orthonormal basis Q [N, l] (float64) of the column space of Y [N, l],
// N >= l: CholeskyQR2 — Q = Y R⁻¹ with RᵀR = YᵀY, done twice — which is two
// GEMMs per pass (latent's linalg has no QR; Householder QR would be the
// textbook choice). When Y is (nearly) rank-deficient the Cholesky factor does
// not exist and the thin SVD's U is used instead.
Tensor orthonormal_basis(const Tensor& Y);

}  // namespace latent::models
