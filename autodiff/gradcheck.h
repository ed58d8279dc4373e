// latent/autodiff — numerical gradient checks.
//
// gradcheck compares the Jacobian computed by backward() with central
// differences  (f(x + eps e_i) - f(x - eps e_i)) / 2eps,  element by element,
// in float64. Every output element and every input element is checked (the
// inputs of a test are small), and the worst element is reported with both
// values, so a wrong backward rule points at itself.
#pragma once

#include <functional>
#include <string>

#include "autodiff/ops.h"

namespace latent {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;  // PyTorch's defaults
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  std::string report;  // the worst element: input, index, analytic, numeric
  double max_error = 0;  // max over elements of |a - n| - (atol + rtol |n|), <= 0 when ok
};

using VarFn = std::function<Var(const std::vector<Var>&)>;

// f maps the inputs (float64, requires_grad) to an output of any shape.
GradcheckResult gradcheck(const VarFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& opt = {});

// Second order: checks the gradient of  x -> <grad f(x), v>  for a fixed random
// v, i.e. that backward-of-backward (create_graph) is right.
GradcheckResult gradgradcheck(const VarFn& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& opt = {});

}  // namespace latent
