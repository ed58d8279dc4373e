// Chapter 04 — topic models: the bars corpus with known topics, pLSA by EM,
// LDA by collapsed Gibbs sampling (plain and SparseLDA) and by variational EM,
// then the fortunes corpus: held-out perplexity by document completion, top
// words, a document's topic mixture. Read along: docs/04-topic-models.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "models/ch04/bars.h"
#include "models/ch04/corpus.h"
#include "models/ch04/lda_gibbs.h"
#include "models/ch04/lda_vem.h"
#include "models/ch04/plsa.h"
#include "models/ch04/topic_eval.h"
#include "nn/image.h"
#include "nn/plot.h"
#include "tensor/index.h"
#include "tutorials/runner.h"

namespace latent::tutorial {

namespace {

using namespace latent::models;

std::vector<double> iota_d(size_t n, double from = 1) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = from + (double)i;
  return x;
}

void plot_both(Tutorial& T, const std::string& name, const std::string& title, const std::string& xl,
               const std::string& yl, const std::vector<Series>& s, const std::string& what) {
  write_svg_plot(T.path(name + ".svg"), title, xl, yl, s);
  write_png_plot(T.path(name + ".png"), title, xl, yl, s);
  T.wrote(T.path(name + ".svg"), what + " (and .png)");
}

// Learned topics reordered to follow the true ones (best cosine match), as images.
Tensor matched_images(const Tensor& truth, const Tensor& learned) {
  std::vector<int64_t> idx;
  best_topic_match(truth, learned, &idx);
  return topic_images(index_select(learned, 0, from_vector_i(idx, {(int64_t)idx.size()})));
}

double worst(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

void bars_models(Tutorial& T) {
  const int64_t docs = T.quick() ? 500 : 2000;
  const std::string setting = std::to_string(docs) + " bars documents x 100 tokens, alpha 1, K = 10";
  T.step("The bars corpus: topics you can see",
         "Griffiths & Steyvers (2004): the vocabulary is the 25 pixels of a 5x5 image, the 10 true topics\n"
         "are its 5 horizontal and 5 vertical bars, and each document is drawn from LDA itself:\n"
         "theta_d ~ Dir(alpha), then per token z ~ theta_d and a pixel w ~ phi_z. As an image (brightness =\n"
         "count) a document is a few overlaid bars; a model has found the topics when its topics are bars.");
  BarsCorpus bars = make_bars_corpus(docs, 100, 1.0, T.options().seed + 1);
  write_image_grid(T.path("bars_true_topics.png"), topic_images(bars.topics), 10);
  T.wrote(T.path("bars_true_topics.png"), "the 10 true topics");
  BagOfWords bow = bag_of_words(bars.corpus);
  Tensor first = bow.dense().slice(0, 0, 20);
  write_image_grid(T.path("bars_documents.png"), topic_images(first), 10);
  T.wrote(T.path("bars_documents.png"), "20 documents as images");

  T.step("pLSA by EM",
         "Every token has its own topic: p(w|d) = sum_z theta_z|d beta_w|z. E-step: p(z|d,w) proportional to\n"
         "theta_z|d beta_w|z; M-step: both distributions from the soft counts n_dw p(z|d,w). The\n"
         "log-likelihood never decreases.");
  PlsaResult p = plsa_fit(bow, {.K = 10, .max_iter = 200, .seed = T.options().seed});
  plot_both(T, "plsa_loglik", "pLSA by EM on bars", "iteration", "log-likelihood",
            {{"pLSA", iota_d(p.loglik_history.size()), p.loglik_history}}, "never decreases");
  write_image_grid(T.path("plsa_topics.png"), matched_images(bars.topics, p.beta), 10);
  T.wrote(T.path("plsa_topics.png"), "pLSA's topics, in the order of the true ones");
  const double plsa_cos = worst(best_topic_match(bars.topics, p.beta));
  T.say("pLSA: " + std::to_string(p.n_iter) + " EM iterations; the worst-matched true topic has cosine " +
        fmt("%.3f", plsa_cos) + " with its best learned topic");

  T.step("LDA by collapsed Gibbs sampling, sweep by sweep",
         "theta and phi integrated out, each token's topic is redrawn from\n"
         "  p(z_i = k | rest) ~ (n_dk + alpha)(n_kw + beta) / (n_k + V beta).\n"
         "From a random start the topics are noise; after a few sweeps they are bars.");
  std::vector<Tensor> snapshots;
  const std::vector<int64_t> shown = {1, 2, 5, 10, 20, 50, 100};
  auto t0 = std::chrono::steady_clock::now();
  LdaGibbsResult g = lda_gibbs(bars.corpus, {.K = 10, .alpha = 1.0, .beta = 0.1, .sweeps = 100,
                                             .seed = T.options().seed, .log_joint_every = 1,
                                             .on_sweep = [&](int64_t sweep, const GibbsState& s) {
                                               if (std::count(shown.begin(), shown.end(), sweep))
                                                 snapshots.push_back(matched_images(bars.topics, gibbs_phi(s)));
                                             }});
  const double t_gibbs = seconds_since(t0);
  write_image_grid(T.path("gibbs_topics_by_sweep.png"), concat(snapshots, 0), 10);
  T.wrote(T.path("gibbs_topics_by_sweep.png"), "one row per sweep 1, 2, 5, 10, 20, 50, 100 (SparseLDA sampler)");
  std::vector<double> lj_x(g.log_joint_sweep.begin(), g.log_joint_sweep.end());
  plot_both(T, "gibbs_log_joint", "collapsed Gibbs on bars", "sweep", "log p(w, z)", {{"SparseLDA", lj_x, g.log_joint}},
            "log p(w, z) rising from the random start");
  const double sparse_cos = worst(best_topic_match(bars.topics, g.phi));
  LdaGibbsResult gp = lda_gibbs(bars.corpus, {.K = 10, .alpha = 1.0, .beta = 0.1, .sweeps = 100,
                                              .sampler = GibbsSamplerKind::plain, .seed = T.options().seed});
  const double plain_cos = worst(best_topic_match(bars.topics, gp.phi));
  T.say("100 sweeps, " + fmt("%.2f", t_gibbs) + " s; worst true topic's cosine: SparseLDA " + fmt("%.3f", sparse_cos) +
        ", plain sampler " + fmt("%.3f", plain_cos));
  T.figure({"bars: worst topic cosine, SparseLDA Gibbs", sparse_cos, "", ">= 0.95 for all 10 (G&S 2004 fig. 2)", setting});
  T.figure({"bars: worst topic cosine, plain Gibbs", plain_cos, "", ">= 0.95 for all 10", setting});

  T.step("LDA by variational EM",
         "Blei, Ng & Jordan (2003): q(theta|gamma) prod q(z_n|phi_n) and coordinate ascent on the ELBO;\n"
         "E-step phi_nk ~ beta_k,w exp(psi(gamma_k) - psi(sum gamma)), gamma = alpha + sum_n phi_n; M-step\n"
         "beta_kw ~ soft counts. The ELBO never decreases.");
  LdaVemResult v = lda_vem(bow, {.K = 10, .alpha = 1.0, .max_iter = 100, .seed = T.options().seed, .n_init = 5});
  plot_both(T, "vem_elbo", "variational EM on bars", "iteration", "ELBO",
            {{"VEM", iota_d(v.elbo_history.size()), v.elbo_history}}, "the ELBO, never decreasing");
  write_image_grid(T.path("vem_topics.png"), matched_images(bars.topics, v.beta), 10);
  T.wrote(T.path("vem_topics.png"), "variational EM's topics");
  const double vem_cos = worst(best_topic_match(bars.topics, v.beta));
  T.say("best of 5 restarts (the ELBO has local optima): restart " + std::to_string(v.best_init) + ", " +
        std::to_string(v.n_iter) + " iterations; worst true topic's cosine " + fmt("%.3f", vem_cos));
  T.figure({"bars: worst topic cosine, variational EM", vem_cos, "", ">= 0.95 for all 10", setting});
}

void fortunes(Tutorial& T) {
  T.step("A real corpus: Debian's fortunes",
         "About 15,000 short texts in 43 categories, cut at lines holding only '%'. The bag of words of\n"
         "the peers: scikit-learn's English stop words, tokens of 2+ letters, words in >= 3 documents,\n"
         "texts of >= 5 words.");
  if (!std::filesystem::is_directory("/usr/share/games/fortunes")) {
    T.say("/usr/share/games/fortunes is missing (Debian package 'fortunes'; scripts/setup installs it): skipped.");
    return;
  }
  Corpus all = build_corpus(read_fortune_files(), {.stop_words = english_stop_words()}, {.min_df = 3});
  T.say(std::to_string(all.num_docs()) + " documents, " + std::to_string(all.vocab_size()) + " words, " +
        std::to_string(all.num_tokens()) + " tokens (the peers' bag: 14762, 10487, 181897)");
  T.figure({"fortunes bag of words: tokens", (double)all.num_tokens(), "", "181897 (scikit-learn CountVectorizer)",
            "min_df 3, English stop words, docs of >= 5 words"});
  // The peers' split when bench/run_ch04.sh (fortunes_corpus.py) has written it, else our own seeded one.
  const std::string bow_dir = T.options().runs_dir + "/ch04/fortunes_bow";
  CorpusSplit split = std::filesystem::exists(bow_dir + "/train.docs") ? read_split(all, bow_dir)
                                                                       : split_documents(all, 0.1, T.options().seed);
  T.say("90/10 split: " + split.how);
  CompletionHalves halves = completion_halves(split.test);
  const std::vector<bool> seen = words_seen(split.train);

  T.step("LDA on fortunes, K = 20, and document-completion perplexity",
         "Held-out documents: infer theta from the tokens at even positions (Gibbs with phi fixed),\n"
         "score the odd ones: exp(-sum log sum_k theta_dk phi_kw / N). One estimator for every model.\n"
         "alpha starts symmetric (2.5) and is re-learned every 5th sweep as an asymmetric alpha_k that\n"
         "maximises p(z | alpha) (Minka's fixed point; Wallach et al. 2009); the fold-in uses it too.");
  const int64_t sweeps = 100;
  auto t0 = std::chrono::steady_clock::now();
  LdaGibbsResult r = lda_gibbs(split.train, {.K = 20, .alpha = 2.5, .beta = 0.01, .sweeps = sweeps, .seed = 0,
                                             .average_from = sweeps / 2, .average_every = 5,
                                             .optimize_alpha_every = 5, .optimize_alpha_from = 5});
  Tensor theta = gibbs_infer_theta(r.phi, halves.observed, r.state.alpha, 50, 10, 0);
  const double secs = seconds_since(t0);
  const double ppl = completion_perplexity(theta, r.phi, halves.scored, seen).perplexity;
  const std::string setting = "K=20, alpha from 2.5, learned every 5th sweep, beta 0.01, " + std::to_string(sweeps) +
                              " sweeps, phi averaged over every 5th of the 2nd half; " + split.how;
  T.say("SparseLDA: " + fmt("%.1f", ppl) + " in " + fmt("%.2f", secs) + " s (" + fmt("%.3g", r.tokens_per_second) +
        " tokens/s on this machine, shared with other jobs); learned alpha_0 = " + fmt("%.2f", r.state.alpha_sum()) +
        " (started at 50)");
  T.figure({"fortunes K=20 doc-completion perplexity, SparseLDA", ppl, "",
            "<= 4240 (WarpLDA 4240 in 1.9 s; scikit-learn 4439 in 16.5 s)", setting});
  T.figure({"fortunes K=20 SparseLDA fit + fold-in time", secs, "s", "< 1.9 (WarpLDA, one thread)", setting});
  if (!T.quick()) {
    t0 = std::chrono::steady_clock::now();
    LdaGibbsResult p = lda_gibbs(split.train, {.K = 20, .alpha = 2.5, .beta = 0.01, .sweeps = sweeps,
                                               .sampler = GibbsSamplerKind::plain, .seed = 0,
                                               .average_from = sweeps / 2, .average_every = 5,
                                               .optimize_alpha_every = 5, .optimize_alpha_from = 5});
    Tensor tp = gibbs_infer_theta(p.phi, halves.observed, p.state.alpha, 50, 10, 0);
    const double ps = seconds_since(t0), pp = completion_perplexity(tp, p.phi, halves.scored, seen).perplexity;
    T.say("plain sampler: " + fmt("%.0f", pp) + " in " + fmt("%.2f", ps) + " s");
    T.figure({"fortunes K=20 doc-completion perplexity, plain Gibbs", pp, "", "4264 (plain C++ Gibbs, 3.3 s)", setting});
    LdaVemResult v = lda_vem(bag_of_words(split.train), {.K = 20, .eta = 1.0 / 20, .max_iter = 20, .tol = 0, .seed = 0});
    Tensor tv = lda_vem_infer_theta(v.beta, bag_of_words(halves.observed), 1.0 / 20);
    const double vp = completion_perplexity(tv, v.beta, halves.scored, seen).perplexity;
    T.figure({"fortunes K=20 doc-completion perplexity, variational EM", vp, "",
              "4439 (scikit-learn batch VB, 20 iterations)", "K=20, alpha = eta = 1/K, 20 iterations"});
  }

  T.step("Top words of the fortune topics", "The 8 most probable words of each topic, and its UMass coherence\n"
                                            "(closer to 0: its top words co-occur in the training documents).");
  auto tops = top_words(r.phi, split.train.vocab, 8);
  std::vector<double> coh = umass_coherence(r.phi, split.train, 10);
  for (size_t k = 0; k < tops.size(); ++k) {
    std::string line = "  topic " + fmt("%2.0f", (double)k) + " (" + fmt("%6.1f", coh[k]) + "):";
    for (auto& w : tops[k]) line += " " + w;
    T.say(line);
  }
  double mean_coh = 0;
  for (double c : coh) mean_coh += c / (double)coh.size();
  T.figure({"fortunes K=20 mean UMass coherence (top 10)", mean_coh, "", "closer to 0 is better", setting});

  T.step("A document's topic mixture", "theta of one held-out fortune, inferred from its observed half.");
  int64_t d = 0;
  for (int64_t i = 0; i < split.test.num_docs(); ++i)
    if (split.test.doc_length(i) > split.test.doc_length(d)) d = i;
  std::vector<double> th = theta.select(0, d).to_vector();
  std::string words;
  for (int64_t i = split.test.doc_start[d]; i < split.test.doc_start[d + 1] && i < split.test.doc_start[d] + 25; ++i)
    words += split.test.vocab[split.test.words[i]] + " ";
  T.say("document (" + split.test.labels[d] + "): " + words + "...");
  std::vector<int64_t> order(th.size());
  for (size_t k = 0; k < th.size(); ++k) order[k] = (int64_t)k;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return th[a] > th[b]; });
  for (int i = 0; i < 3; ++i) {
    std::string line = "  " + fmt("%.2f", th[order[i]]) + " topic " + std::to_string(order[i]) + ":";
    for (int j = 0; j < 5; ++j) line += " " + tops[order[i]][j];
    T.say(line);
  }
  plot_both(T, "fortune_mixture", "topic proportions of one held-out fortune", "topic", "theta",
            {{"theta", iota_d(th.size(), 0), th}}, "theta over the 20 topics");
}

void bad_input(Tutorial& T) {
  T.step("Bad input is reported, not silently absorbed");
  auto show = [&](const std::string& what, auto f) {
    try {
      f();
      T.say("  " + what + ": handled");
    } catch (const Error& e) {
      T.say("  " + what + ": " + e.what());
    }
  };
  show("a missing corpus folder", [] { read_text_folder("/nonexistent/corpus"); });
  show("every word filtered out", [] { build_corpus({{"tiny text", ""}}, {}, {.min_df = 2}); });
  Corpus c = make_bars_corpus(5, 10, 1.0, 0).corpus;
  show("K = 0", [&] { lda_gibbs(c, {.K = 0}); });
  show("tempered EM with T = 2", [&] { plsa_fit(bag_of_words(c), {.K = 2, .temperature = 2}); });
}

}  // namespace

void run_chapter04(Tutorial& T) {
  bars_models(T);
  fortunes(T);
  bad_input(T);
}

}  // namespace latent::tutorial
