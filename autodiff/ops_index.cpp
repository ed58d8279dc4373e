// latent/autodiff — indexing ops: forward next to backward.
//
// With y = gather(a, axis, index), each output element is one input element:
//   y[p] = a[q(p)],  q(p) = p with its axis coordinate replaced by index[p].
// So dL/da[q] = sum over p with q(p) = q of g[p]: every g[p] is added to the
// place it was read from — a scatter_add of g into zeros of a's shape.
// Conversely z = scatter_add(a, axis, index, src) is z = a + (src added at
// q(p)), linear in both: dL/da = g, and dL/dsrc[p] = g[q(p)] — a gather.
// index_select / index_add are the same pair with whole slices.
#include "autodiff/ops_index.h"

namespace latent {

namespace {
Var zeros_of(const Var& like) { return Var(zeros(like.shape(), like.dtype())); }
}  // namespace

Var gather(const Var& a, int64_t axis, const Tensor& index) {
  return make_op("gather", gather(a.data(), axis, index), {a},
                 [axis, index](const BackwardCtx& c) -> Grads {
                   return {scatter_add(zeros_of(c.in(0)), axis, index, c.g)};
                 });
}

Var scatter_add(const Var& a, int64_t axis, const Tensor& index, const Var& src) {
  if (index.defined() && src.defined() && index.shape() != src.shape())
    fail("scatter_add", "the differentiable scatter_add needs src of the index's shape, got index " +
                            shape_str(index.shape()) + " and src " + shape_str(src.shape()) +
                            " (slice src to the index's shape first)");
  return make_op("scatter_add", scatter_add(a.data(), axis, index, src.data()), {a, src},
                 [axis, index](const BackwardCtx& c) -> Grads {
                   return {c.need(0) ? c.g : Var(), c.need(1) ? gather(c.g, axis, index) : Var()};
                 });
}

Var index_select(const Var& a, int64_t axis, const Tensor& index) {
  return make_op("index_select", index_select(a.data(), axis, index), {a},
                 [axis, index](const BackwardCtx& c) -> Grads {
                   return {index_add(zeros_of(c.in(0)), axis, index, c.g)};
                 });
}

Var index_add(const Var& a, int64_t axis, const Tensor& index, const Var& src) {
  return make_op("index_add", index_add(a.data(), axis, index, src.data()), {a, src},
                 [axis, index](const BackwardCtx& c) -> Grads {
                   return {c.need(0) ? c.g : Var(), c.need(1) ? index_select(c.g, axis, index) : Var()};
                 });
}

}  // namespace latent
