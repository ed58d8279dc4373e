// Chapter 04 — the "bars" corpus (Griffiths & Steyvers 2004, figure 1): a
// synthetic corpus with known topics, small enough to look at.
//
// The vocabulary is the 25 pixels of a 5x5 image. There are 10 topics, the 5
// horizontal and the 5 vertical bars: topic k puts probability 1/5 on each of
// its 5 pixels. Each document is drawn from LDA itself: θ_d ~ Dir(α), then
// every token picks z ~ θ_d and a pixel w ~ φ_z. Shown as an image (a pixel's
// brightness = its count), a document is a few overlaid bars, and a learned
// topic is recovered when its image is a bar again.
#pragma once

#include <cstdint>

#include "models/ch04/corpus.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace latent::models {

// The 2*side true topics over side*side pixels [2*side, side*side]: rows
// 0..side-1 horizontal bars, then the vertical ones.
Tensor bars_topics(int64_t side = 5);

struct BarsCorpus {
  Corpus corpus;   // words are pixel ids ("r2c3" = row 2, column 3)
  Tensor topics;   // [2*side, side*side], the true φ
  Tensor theta;    // [D, 2*side], the drawn θ
};
// G&S 2004 used 2000 documents of 100 tokens and α = 1.
BarsCorpus make_bars_corpus(int64_t docs = 2000, int64_t tokens_per_doc = 100, double alpha = 1.0,
                            uint64_t seed = 0, int64_t side = 5);

// A draw from the symmetric Dirichlet Dir(α, ..., α) of dimension K, from
// Gamma(α, 1) draws normalised (Marsaglia & Tsang 2000 for the Gamma).
std::vector<double> sample_dirichlet(int64_t K, double alpha, Generator& g);

// Topics [K, side*side] as K images [K, side*scale, side*scale] for
// write_image_grid: each rescaled so its largest probability is white, each
// pixel drawn as a scale x scale block (5x5 images are too small to see).
Tensor topic_images(const Tensor& phi, int64_t side = 5, int64_t scale = 8);

}  // namespace latent::models
