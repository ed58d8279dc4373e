// Placeholder until the chapter's tutorial lands (replace this file).
#include "tutorials/runner.h"
namespace latent::tutorial {
void run_chapter03(Tutorial& T) { T.step("not written yet"); }
}  // namespace latent::tutorial
