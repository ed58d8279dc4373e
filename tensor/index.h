// latent/tensor — indexing with integer tensors, and joining / splitting.
//
// Semantics follow PyTorch. Indices are int64 tensors, 0 <= i < size of the
// indexed axis (no negative indices: a -1 label is a bug far more often than a
// wish to count from the end). Every function checks every index first and
// throws a latent::Error naming the op, the bad value, where it sits in the
// index, and the shapes involved.
//
// Autodiff versions (the gradient of gather is a scatter_add, and so on) live
// in autodiff/ops_index.h.
#pragma once

#include <initializer_list>
#include <vector>

#include "tensor/tensor.h"

namespace latent {

// out[i][j][k] = a[i][index[i][j][k]][k]   (axis = 1; likewise for any axis).
// index has a's rank; out has index's shape; index.size(d) <= a.size(d) for
// d != axis. E.g. picking each row's label score: gather(logits, 1, labels [N,1]).
Tensor gather(const Tensor& a, int64_t axis, const Tensor& index);

// A copy of a with src added at the indexed places (the adjoint of gather):
//   out[i][index[i][j][k]][k] += src[i][j][k]   (axis = 1).
// Repeated indices accumulate. index has a's and src's rank, index.size(d) <=
// src.size(d) for all d, <= a.size(d) for d != axis; src's extra elements are
// ignored. src has a's dtype.
Tensor scatter_add(const Tensor& a, int64_t axis, const Tensor& index, const Tensor& src);

// Whole slices picked by a 1-d index: out.select(axis, k) = a.select(axis, index[k]).
// An embedding lookup is index_select(table [V,D], 0, tokens [N]) -> [N,D].
Tensor index_select(const Tensor& a, int64_t axis, const Tensor& index);

// A copy of a with src's slices added at the indexed slices (the adjoint of
// index_select): out.select(axis, index[k]) += src.select(axis, k).
// src has a's shape except src.size(axis) == index.numel(); repeats accumulate.
Tensor index_add(const Tensor& a, int64_t axis, const Tensor& index, const Tensor& src);

// labels (int64, any shape) -> labels.shape + [num_classes], 1 at each label.
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype = DType::f32);

// Join tensors of one dtype along an existing axis (shapes equal elsewhere).
Tensor concat(const std::vector<Tensor>& xs, int64_t axis);
// Join tensors of one shape and dtype along a new axis (0 <= axis <= rank).
Tensor stack(const std::vector<Tensor>& xs, int64_t axis);
// Consecutive pieces of sizes[0], sizes[1], ... along axis (they must add up
// to a.size(axis)). The pieces are views of a: no copy.
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t axis);

// For braced lists, concat({a, b}, 0): a Tensor converts to a Var, so without
// these the call would be ambiguous with the Var overloads in autodiff/ops.h.
inline Tensor concat(std::initializer_list<Tensor> xs, int64_t axis) {
  return concat(std::vector<Tensor>(xs), axis);
}
inline Tensor stack(std::initializer_list<Tensor> xs, int64_t axis) {
  return stack(std::vector<Tensor>(xs), axis);
}

}  // namespace latent
