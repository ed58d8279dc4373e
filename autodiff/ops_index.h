// latent/autodiff — differentiable indexing: gather / scatter_add and
// index_select / index_add on Var (tensor-level versions in tensor/index.h).
//
// The indices are plain int64 Tensors (not differentiable: a gradient with
// respect to an integer position does not exist). They are kept by reference
// for the backward pass, so do not overwrite an index tensor in place between
// forward and backward.
//
// Each pair is adjoint: gather reads from the places scatter_add adds to, so
//   d gather / d a       is a scatter_add of g into zeros,
//   d scatter_add / d src is a gather of g,
// and the same for index_select / index_add. The backward rules call these
// Var ops, so gradients of gradients work too.
//
// concat / stack / split on Var are in autodiff/ops.h.
#pragma once

#include "autodiff/variable.h"
#include "tensor/index.h"

namespace latent {

// out[i][j][k] = a[i][index[i][j][k]][k]   (axis = 1). E.g. the log-probability
// of each row's label: gather(log_probs [N,C], 1, labels.reshape({N,1})) -> [N,1].
Var gather(const Var& a, int64_t axis, const Tensor& index);

// a with src added at the indexed places. Unlike the tensor version, src
// must have exactly index's shape (as in PyTorch, the gradient with respect
// to src is a gather, which has index's shape).
Var scatter_add(const Var& a, int64_t axis, const Tensor& index, const Var& src);

// Whole slices by a 1-d index, e.g. an embedding lookup index_select(table, 0, tokens).
Var index_select(const Var& a, int64_t axis, const Tensor& index);

// a with src's slices added at the indexed slices (repeats accumulate).
Var index_add(const Var& a, int64_t axis, const Tensor& index, const Var& src);

}  // namespace latent
