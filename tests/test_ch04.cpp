// Chapter 04 tests: corpus tools (tokeniser, vocabulary, readers, the fortune
// bag of words), pLSA by EM, LDA by collapsed Gibbs (plain and SparseLDA) and by
// variational EM, and the evaluation measures.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "helpers.h"
#include "models/ch04/bars.h"
#include "models/ch04/corpus.h"
#include "models/ch04/lda_gibbs.h"
#include "models/ch04/lda_vem.h"
#include "models/ch04/plsa.h"
#include "models/ch04/topic_eval.h"
#include "tensor/index.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;

namespace {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) : path(fs::temp_directory_path() / ("latent_ch04_" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& file, const std::string& text) const { std::ofstream(path / file) << text; }
};

Corpus tiny_corpus(const std::vector<std::vector<int32_t>>& docs, int64_t V) {
  Corpus c;
  for (int64_t w = 0; w < V; ++w) c.vocab.push_back("w" + std::to_string(w));
  for (auto& d : docs) c.add_document(d);
  return c;
}

// Pearson's chi-square of observed counts against probabilities p for n draws.
double chi_square(const std::vector<int64_t>& counts, const std::vector<double>& p, int64_t n) {
  double x2 = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    const double e = p[k] * (double)n;
    x2 += (counts[k] - e) * (counts[k] - e) / e;
  }
  return x2;
}

}  // namespace

TEST_CASE("ch04: tokeniser follows (?u)\\b[a-zA-Z][a-zA-Z]+\\b, lower case, stop words") {
  // Digits and '_' are word characters, so "a1b" and "x_y" are one word each, and not letters only;
  // "é" (UTF-8 bytes C3 A9, Latin-1 letters) glues onto "caf". Apostrophes and hyphens split.
  auto t = tokenize("Don't STOP-believing: a1b x_y caf\xC3\xA9 I go to the Moon!!");
  CHECK(t == std::vector<std::string>{"don", "stop", "believing", "go", "to", "the", "moon"});
  TokenizerOptions opt{.stop_words = english_stop_words()};
  CHECK(english_stop_words().size() == 318);
  CHECK(tokenize("Don't STOP-believing: I go to the Moon", opt) == std::vector<std::string>{"don", "stop", "believing", "moon"});
  // Byte 0xA0 (Latin-1 no-break space) separates words; 0xAA (ª) is a word character.
  CHECK(tokenize("ab\xA0" "cd ef\xAA") == std::vector<std::string>{"ab", "cd"});
  CHECK(count_whitespace_words("a\xA0" "b\x85" "c  d\n") == 4);
}

TEST_CASE("ch04: vocabulary with min_df / max_df, sorted ids, documents keep token order") {
  std::vector<RawDocument> docs = {{"zebra apple apple mango", "a"}, {"apple zebra kiwi", "b"},
                                   {"apple mango kiwi zebra", "c"}, {"pear", "d"}};
  Corpus c = build_corpus(docs, {}, {.min_df = 2});
  CHECK(c.vocab == std::vector<std::string>{"apple", "kiwi", "mango", "zebra"});
  CHECK(c.num_docs() == 4);
  CHECK(c.words == std::vector<int32_t>{3, 0, 0, 2, 0, 3, 1, 0, 2, 1, 3});
  CHECK(c.doc_length(3) == 0);  // "pear" survives as an empty document
  CHECK(c.labels[2] == "c");
  Corpus m = build_corpus(docs, {}, {.min_df = 2, .max_df = 0.7});  // apple, zebra in 3 of 4 > 2.8: dropped
  CHECK(m.vocab == std::vector<std::string>{"kiwi", "mango"});
  BagOfWords b = bag_of_words(c);
  CHECK(b.row_start == std::vector<int64_t>{0, 3, 6, 10, 10});
  CHECK(b.word[0] == 0);
  CHECK(b.count[0] == 2);  // apple twice in document 0
  CHECK(b.total() == 11);
  check_error([] { build_corpus({}, {}, {}); }, {"build_corpus", "no documents"});
  check_error([&] { build_corpus(docs, {}, {.min_df = 5}); }, {"build_corpus", "no word is left", "min_df 5"});
  check_error([&] { c.add_document({7}); }, {"add_document", "7"});
}

TEST_CASE("ch04: readers — .txt folder, lines file, fortune files; empty or missing input is an error") {
  TempDir dir("readers");
  dir.write("b.txt", "second document");
  dir.write("a.txt", "first document");
  dir.write("notes.md", "ignored");
  auto txt = read_text_folder(dir.path.string());
  REQUIRE(txt.size() == 2);
  CHECK(txt[0].label == "a");
  CHECK(txt[1].text == "second document");
  dir.write("lines", "one doc here\n\n   \nanother doc\n");
  CHECK(read_lines_file((dir.path / "lines").string()).size() == 2);
  TempDir fort("fortunes");
  fort.write("jokes", "one two three four five\n%\ntoo short\n%\nsix seven eight nine ten eleven\n%\n");
  fort.write("jokes.dat", "binary index: skipped");
  fort.write("wisdom", "a b c d e\r\n%\r\nf g h i j\n");  // \r\n read as \n (universal newlines)
  auto f = read_fortune_files(fort.path.string());
  REQUIRE(f.size() == 4);
  CHECK(f[0].label == "jokes");
  CHECK(f[1].text == "six seven eight nine ten eleven");
  CHECK(f[3].label == "wisdom");
  CHECK(f[3].text == "f g h i j\n");
  check_error([] { read_text_folder("/nonexistent/latent"); }, {"read_text_folder", "/nonexistent/latent"});
  check_error([] { read_lines_file("/nonexistent/latent.txt"); }, {"read_lines_file", "cannot read"});
  TempDir empty("empty");
  check_error([&] { read_text_folder(empty.path.string()); }, {"read_text_folder", "no .txt file"});
  check_error([&] { read_fortune_files(empty.path.string()); }, {"read_fortune_files", "no fortune"});
}

TEST_CASE("ch04: the fortune bag of words is the peers' (14,762 docs, 10,487 words, 181,897 tokens)") {
  if (!fs::is_directory("/usr/share/games/fortunes")) {
    MESSAGE("the Debian package 'fortunes' is not installed (scripts/setup installs it): skipped");
    return;
  }
  // The counts /work/shared/bench/fortunes_corpus.py reports for scikit-learn's
  // CountVectorizer(stop_words='english', min_df=3, token_pattern=(?u)\b[a-zA-Z][a-zA-Z]+\b).
  Corpus c = build_corpus(read_fortune_files(), {.stop_words = english_stop_words()}, {.min_df = 3});
  CHECK(c.num_docs() == 14762);
  CHECK(c.vocab_size() == 10487);
  CHECK(c.num_tokens() == 181897);
  int64_t empty = 0;
  for (int64_t d = 0; d < c.num_docs(); ++d) empty += c.doc_length(d) == 0;
  CHECK(empty == 42);
}

TEST_CASE("ch04: split and document-completion halves") {
  Corpus c = tiny_corpus({{0, 1, 2, 3, 4}, {1, 1}, {2}, {3, 4, 0}, {}, {4, 4, 4, 4}}, 5);
  CorpusSplit s = split_documents(c, 1.0 / 3, 7);
  CHECK(s.test_rows.size() == 2);
  CHECK(s.train.num_docs() == 4);
  CHECK(s.train.num_tokens() + s.test.num_tokens() == c.num_tokens());
  CorpusSplit again = split_documents(c, 1.0 / 3, 7);
  CHECK(again.test_rows == s.test_rows);  // seeded
  CompletionHalves h = completion_halves(c);
  CHECK(std::vector<int32_t>(h.observed.words.begin(), h.observed.words.begin() + 3) == std::vector<int32_t>{0, 2, 4});
  CHECK(std::vector<int32_t>(h.scored.words.begin(), h.scored.words.begin() + 2) == std::vector<int32_t>{1, 3});
  CHECK(h.scored.doc_length(2) == 0);  // a one-token document has nothing to score
  check_error([&] { split_documents(c, 1.5, 0); }, {"split_documents", "heldout"});
  TempDir dir("split");
  dir.write("train.docs", "0\n2\n3\n5\n");
  dir.write("test.docs", "1\n");
  CorpusSplit r = read_split(c, dir.path.string());
  CHECK(r.test.num_tokens() == 2);
  check_error([&] { read_split(c, "/nonexistent/bow"); }, {"read_split", "train.docs"});
}

TEST_CASE("ch04: the collapsed conditional and the samplers' bookkeeping") {
  Corpus c = tiny_corpus({{0, 1, 1, 2}, {2, 3, 3}, {0, 4, 4, 4, 1}}, 5);
  GibbsState s = gibbs_init(c, 3, 0.5, 0.1, 3);
  // By hand for token 1 (document 0, word 1): counts without it.
  std::vector<double> p = gibbs_conditional(s, 1);
  std::vector<double> want(3);
  double tot = 0;
  for (int k = 0; k < 3; ++k) {
    int ndk = 0, nkw = 0, nk = 0;
    for (int i = 0; i < 4; ++i) ndk += i != 1 && s.z[i] == k;
    for (int i = 0; i < 12; ++i) {
      nk += i != 1 && s.z[i] == k;
      nkw += i != 1 && s.z[i] == k && s.words[i] == 1;
    }
    tot += want[k] = (ndk + 0.5) * (nkw + 0.1) / (nk + 5 * 0.1);
  }
  for (int k = 0; k < 3; ++k) CHECK(p[k] == doctest::Approx(want[k] / tot).epsilon(1e-12));
  // After sweeps the counts still equal those recomputed from z.
  for (auto kind : {GibbsSamplerKind::plain, GibbsSamplerKind::sparse}) {
    GibbsState t = gibbs_init(c, 3, 0.5, 0.1, 4);
    if (kind == GibbsSamplerKind::plain) {
      PlainGibbsSampler g(t, 1);
      for (int i = 0; i < 20; ++i) g.sweep();
    } else {
      SparseGibbsSampler g(t, 1);
      for (int i = 0; i < 20; ++i) g.sweep();
      g.sync();
    }
    GibbsState u = t;
    u.recount();
    CHECK_MESSAGE(u.word_topic == t.word_topic, gibbs_sampler_name(kind) << " word-topic counts drifted from z");
    CHECK(u.topic_total == t.topic_total);
  }
  check_error([&] { gibbs_init(c, 0, 0.5, 0.1, 0); }, {"gibbs_init", "K"});
  check_error([&] { gibbs_init(c, 3, -1, 0.1, 0); }, {"gibbs_init", "alpha"});
  check_error([&] { gibbs_conditional(s, 99); }, {"token 99"});
}

TEST_CASE("ch04: plain and SparseLDA draw from the same conditional (chi-square)") {
  // Repeatedly resampling ONE token from a fixed state gives independent draws
  // from p(z_i | z_-i, w): every other token stays where it is. Small α and β
  // with a 12-topic state make all three SparseLDA buckets (s, r, q) matter.
  Corpus c = tiny_corpus({{0, 1, 1, 2, 5, 5}, {2, 3, 3, 0}, {0, 4, 4, 4, 1, 6, 7}, {6, 6, 7, 2}}, 8);
  const int64_t draws = 60000;
  // α = -1: an asymmetric α_k (as gibbs_optimize_alpha makes), from 0.01 to 2.2.
  for (double alpha : {0.05, 1.5, -1.0}) {
    GibbsState base = gibbs_init(c, 12, std::abs(alpha), 0.05, 11);
    if (alpha < 0)
      for (int64_t k = 0; k < 12; ++k) base.alpha[k] = 0.01 + 0.2 * (double)((k * 5) % 12);
    for (int64_t token : {1, 8, 15}) {
      const std::vector<double> p = gibbs_conditional(base, token);
      std::vector<int64_t> plain_counts(12, 0), sparse_counts(12, 0);
      GibbsState a = base, b = base;
      PlainGibbsSampler plain(a, 5);
      SparseGibbsSampler sparse(b, 6);
      for (int64_t n = 0; n < draws; ++n) {
        plain.resample(token);
        ++plain_counts[a.z[token]];
        sparse.resample(token);
        ++sparse_counts[b.z[token]];
      }
      // 11 degrees of freedom: P(chi2 > 40) ~ 3e-5 for a correct sampler.
      const double xp = chi_square(plain_counts, p, draws), xs = chi_square(sparse_counts, p, draws);
      CHECK_MESSAGE(xp < 40, "plain sampler, alpha " << alpha << ", token " << token << ": chi2 " << xp);
      CHECK_MESSAGE(xs < 40, "sparse sampler, alpha " << alpha << ", token " << token << ": chi2 " << xs);
      // And the test has power: a sampler that ignores the document term fails it.
      std::vector<double> wrong((size_t)12);
      double tot = 0;
      for (int64_t k = 0; k < 12; ++k) tot += wrong[k] = p[k] > 0 ? std::sqrt(p[k]) : 0;
      for (auto& v : wrong) v /= tot;
      CHECK(chi_square(sparse_counts, wrong, draws) > 100);
    }
  }
}

namespace {
// log p(z | α) = Σ_d [lnΓ(α_0) − lnΓ(N_d + α_0) + Σ_k lnΓ(n_dk + α_k) − lnΓ(α_k)], the
// Pólya evidence gibbs_optimize_alpha maximises, straight from the definition.
double polya_log_evidence(const GibbsState& s, const std::vector<double>& alpha) {
  double a0 = 0, lp = 0;
  for (double a : alpha) a0 += a;
  for (int64_t d = 0; d < s.num_docs(); ++d) {
    std::vector<int> n((size_t)s.K, 0);
    for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i) ++n[s.z[i]];
    lp += std::lgamma(a0) - std::lgamma((double)(s.doc_start[d + 1] - s.doc_start[d]) + a0);
    for (int64_t k = 0; k < s.K; ++k) lp += std::lgamma(n[k] + alpha[k]) - std::lgamma(alpha[k]);
  }
  return lp;
}
}  // namespace

TEST_CASE("ch04: asymmetric alpha — Minka's fixed point maximises the Polya evidence") {
  // 400 documents of 2..14 tokens; each has a main topic, drawn with skewed
  // probabilities (topic 0 common, topic 4 rare), and the rest uniform.
  std::vector<std::vector<int32_t>> docs;
  FastRng rng(7);
  for (int d = 0; d < 400; ++d) docs.push_back(std::vector<int32_t>(2 + (size_t)rng.below(13), 0));
  GibbsState s = gibbs_init(tiny_corpus(docs, 1), 5, 1.0, 0.1, 0);
  for (int64_t d = 0; d < s.num_docs(); ++d) {
    const double u = rng.uniform();
    const int32_t main = u < 0.45 ? 0 : u < 0.75 ? 1 : u < 0.9 ? 2 : u < 0.97 ? 3 : 4;
    for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i)
      s.z[i] = rng.uniform() < 0.7 ? main : (int32_t)rng.below(5);
  }
  s.recount();
  const std::vector<double> start = s.alpha;
  gibbs_optimize_alpha(s, 500);
  CHECK(polya_log_evidence(s, s.alpha) > polya_log_evidence(s, start) + 10);
  for (int64_t k = 0; k < 5; ++k) {  // a stationary point: every partial derivative ~ 0
    std::vector<double> up = s.alpha, down = s.alpha;
    up[k] *= 1.001;
    down[k] *= 0.999;
    const double grad = (polya_log_evidence(s, up) - polya_log_evidence(s, down)) / (0.002 * s.alpha[k]);
    CHECK_MESSAGE(std::abs(grad) < 0.05, "d log p(z|alpha) / d alpha_" << k << " = " << grad);
  }
  for (int64_t k = 0; k + 1 < 5; ++k) CHECK(s.alpha[k] > s.alpha[k + 1]);  // common topics get a larger α_k
  s.alpha.pop_back();
  check_error([&] { gibbs_optimize_alpha(s); }, {"gibbs_optimize_alpha", "alphas"});
}

TEST_CASE("ch04: lda_gibbs with an optimised alpha (both samplers); folding in with it") {
  BarsCorpus bars = make_bars_corpus(300, 60, 0.3, 9);
  for (auto kind : {GibbsSamplerKind::plain, GibbsSamplerKind::sparse}) {
    LdaGibbsResult r = lda_gibbs(bars.corpus, {.K = 10, .alpha = 2.0, .beta = 0.05, .sweeps = 60, .sampler = kind,
                                               .seed = 3, .optimize_alpha_every = 5, .optimize_alpha_from = 10});
    // The documents were drawn with α = 0.3 (α_0 = 3): the learned prior moves far below the start (α_0 = 20).
    CHECK_MESSAGE(r.state.alpha_sum() < 8, gibbs_sampler_name(kind) << ": alpha_0 " << r.state.alpha_sum());
    GibbsState u = r.state;
    u.recount();
    CHECK(u.word_topic == r.state.word_topic);
    std::vector<double> cos = best_topic_match(bars.topics, r.phi);
    CHECK(*std::min_element(cos.begin(), cos.end()) >= 0.9);
    Tensor theta = gibbs_infer_theta(r.phi, bars.corpus, r.state.alpha, 20, 5, 0);
    CHECK(theta.shape() == Shape{300, 10});
    std::vector<double> wrong = r.state.alpha;
    wrong.pop_back();
    check_error([&] { gibbs_infer_theta(r.phi, bars.corpus, wrong, 20, 5, 0); }, {"gibbs_infer_theta", "alpha"});
  }
  check_error([&] { lda_gibbs(bars.corpus, {.K = 3, .optimize_alpha_every = -1}); }, {"lda_gibbs", "optimize_alpha"});
}

TEST_CASE("ch04: bars — Gibbs (plain, sparse) and variational EM recover all 10 topics, cosine >= 0.95") {
  BarsCorpus bars = make_bars_corpus(400, 100, 1.0, 1);
  CHECK(bars.corpus.num_tokens() == 40000);
  for (auto kind : {GibbsSamplerKind::plain, GibbsSamplerKind::sparse}) {
    LdaGibbsResult r = lda_gibbs(bars.corpus, {.K = 10, .alpha = 1.0, .beta = 0.1, .sweeps = 100, .sampler = kind,
                                               .seed = 2, .log_joint_every = 99});
    std::vector<double> cos = best_topic_match(bars.topics, r.phi);
    const double worst = *std::min_element(cos.begin(), cos.end());
    CHECK_MESSAGE(worst >= 0.95, gibbs_sampler_name(kind) << " Gibbs: worst true topic matched at cosine " << worst);
    REQUIRE(r.log_joint.size() == 2);
    CHECK(r.log_joint[1] > r.log_joint[0]);  // from the random start towards the posterior
  }
  LdaVemResult v = lda_vem(bag_of_words(bars.corpus), {.K = 10, .alpha = 1.0, .max_iter = 60, .seed = 2});
  std::vector<double> cos = best_topic_match(bars.topics, v.beta);
  CHECK_MESSAGE(*std::min_element(cos.begin(), cos.end()) >= 0.95, "variational EM: worst cosine "
                                                                        << *std::min_element(cos.begin(), cos.end()));
}

TEST_CASE("ch04: variational EM — the ELBO never decreases; inference of held-out documents") {
  BarsCorpus bars = make_bars_corpus(150, 40, 0.5, 3);
  BagOfWords bow = bag_of_words(bars.corpus);
  LdaVemResult r = lda_vem(bow, {.K = 10, .alpha = 0.5, .max_iter = 30, .tol = 0, .seed = 1});
  REQUIRE(r.elbo_history.size() == 30);
  for (size_t i = 1; i < r.elbo_history.size(); ++i)
    CHECK_MESSAGE(r.elbo_history[i] >= r.elbo_history[i - 1] - 1e-9 * std::abs(r.elbo_history[i]),
                  "ELBO fell at iteration " << i << ": " << r.elbo_history[i - 1] << " -> " << r.elbo_history[i]);
  // With topic smoothing the penalised objective never decreases either.
  LdaVemResult sm = lda_vem(bow, {.K = 10, .alpha = 0.5, .eta = 0.1, .max_iter = 20, .tol = 0, .seed = 1});
  for (size_t i = 1; i < sm.elbo_history.size(); ++i)
    CHECK(sm.elbo_history[i] >= sm.elbo_history[i - 1] - 1e-9 * std::abs(sm.elbo_history[i]));
  // The ELBO is a lower bound on log p(w): above it is impossible; it must at least beat uniform words.
  CHECK(r.elbo_history.back() > bow.total() * std::log(1.0 / 25));
  Tensor theta = lda_vem_infer_theta(r.beta, bow, 0.5);
  CHECK(theta.shape() == Shape{150, 10});
  CHECK(sum(theta, {1}).to_vector()[7] == doctest::Approx(1.0));
  CHECK(digamma(1.0) == doctest::Approx(-0.5772156649015329).epsilon(1e-12));
  CHECK(digamma(0.3) == doctest::Approx(-3.502524222200133).epsilon(1e-12));  // scipy.special.digamma(0.3)
  check_error([&] { lda_vem(bow, {.K = 0}); }, {"lda_vem", "K"});
}

TEST_CASE("ch04: pLSA — EM never lowers the log-likelihood; tempered EM; folding in") {
  BarsCorpus bars = make_bars_corpus(100, 50, 0.5, 5);
  BagOfWords bow = bag_of_words(bars.corpus);
  PlsaResult r = plsa_fit(bow, {.K = 10, .max_iter = 40, .tol = 0, .seed = 3});
  REQUIRE(r.loglik_history.size() == 40);
  for (size_t i = 1; i < r.loglik_history.size(); ++i)
    CHECK_MESSAGE(r.loglik_history[i] >= r.loglik_history[i - 1] - 1e-9 * std::abs(r.loglik_history[i]),
                  "log-likelihood fell at iteration " << i);
  CHECK(sum(r.beta, {1}).to_vector()[3] == doctest::Approx(1.0));
  CHECK(sum(r.theta, {1}).to_vector()[42] == doctest::Approx(1.0));
  // The E-step by hand: θ = (.2, .8), β_w = (.5, .1): p(z|d,w) = (.1, .08)/.18, tempered T=.5: ∝ sqrt.
  double theta_d[2] = {0.2, 0.8}, beta_w[2] = {0.5, 0.1}, post[2];
  CHECK(plsa_posterior(theta_d, beta_w, 2, 1.0, post) == doctest::Approx(0.18));
  CHECK(post[0] == doctest::Approx(0.1 / 0.18));
  plsa_posterior(theta_d, beta_w, 2, 0.5, post);
  CHECK(post[0] == doctest::Approx(std::sqrt(0.1) / (std::sqrt(0.1) + std::sqrt(0.08))));
  PlsaResult t = plsa_fit(bow, {.K = 10, .max_iter = 40, .temperature = 0.8, .seed = 3});
  CHECK(t.loglik_history.back() < r.loglik_history.back());  // tempering fits the training data less tightly
  Tensor th = plsa_fold_in(r.beta, bow);
  CHECK(th.shape() == Shape{100, 10});
  check_error([&] { plsa_fit(bow, {.K = 3, .temperature = 1.5}); }, {"plsa_fit", "temperature"});
}

TEST_CASE("ch04: document-completion perplexity, coherence, top words") {
  Corpus scored = tiny_corpus({{0, 1}, {2}, {3, 0}}, 4);
  std::vector<bool> seen = {true, true, true, false};
  // A uniform model over V = 4 words scores exactly 4.
  Tensor phi = full({2, 4}, 0.25, DType::f64), theta = full({3, 2}, 0.5, DType::f64);
  Perplexity u = completion_perplexity(theta, phi, scored, seen);
  CHECK(u.perplexity == doctest::Approx(4.0));
  CHECK(u.tokens == 4);  // word 3 never seen in training: skipped
  // By hand: θ = [(1,0),(0,1),(.5,.5)], φ_0 = (.7,.1,.1,.1), φ_1 = (.1,.1,.6,.2).
  Tensor phi2 = from_vector({.7, .1, .1, .1, .1, .1, .6, .2}, {2, 4}, DType::f64);
  Tensor th2 = from_vector({1, 0, 0, 2, 1, 1}, {3, 2}, DType::f64);  // rows normalised inside
  const double ll = std::log(.7) + std::log(.1) + std::log(.6) + std::log(.4);
  CHECK(completion_perplexity(th2, phi2, scored, seen).perplexity == doctest::Approx(std::exp(-ll / 4)));
  check_error([&] { completion_perplexity(full({2, 2}, 0.5, DType::f64), phi2, scored, seen); },
              {"completion_perplexity", "[3,2]", "[2,2]"});
  CHECK(top_words(phi2, scored.vocab, 2)[1] == std::vector<std::string>{"w2", "w3"});
  // UMass by hand: top-2 of topic 0 are w0 then w1 (w1..w3 tie at .1: lowest id first).
  Corpus ref = tiny_corpus({{0, 1}, {0}, {1, 2}, {0, 0}}, 4);
  // C = log((D(w1,w0) + 1) / D(w0)) = log(2/3)
  CHECK(umass_coherence(phi2, ref, 2)[0] == doctest::Approx(std::log(2.0 / 3)));
  std::vector<int64_t> idx;
  std::vector<double> m = best_topic_match(bars_topics(5), index_select(bars_topics(5), 0, from_vector_i({9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, {10})) * 3.0, &idx);
  CHECK(m[0] == doctest::Approx(1.0));
  CHECK(idx[0] == 9);
}

TEST_CASE("ch04: Gibbs on a held-out document folds in with fixed topics") {
  BarsCorpus bars = make_bars_corpus(300, 60, 0.3, 8);
  CorpusSplit s = split_documents(bars.corpus, 0.1, 0);
  LdaGibbsResult r = lda_gibbs(s.train, {.K = 10, .alpha = 0.3, .beta = 0.05, .sweeps = 60, .seed = 1});
  CompletionHalves h = completion_halves(s.test);
  Tensor theta = gibbs_infer_theta(r.phi, h.observed, 0.3, 30, 5, 1);
  Perplexity p = completion_perplexity(theta, r.phi, h.scored, words_seen(s.train));
  // The truth's own perplexity with the true θ of those documents is the floor to compare with.
  Tensor true_theta = index_select(bars.theta, 0, from_vector_i(s.test_rows, {(int64_t)s.test_rows.size()}));
  Perplexity best = completion_perplexity(true_theta, bars.topics, h.scored, words_seen(s.train));
  CHECK(p.perplexity < 25);                    // far better than uniform over 25 pixels
  CHECK(p.perplexity < best.perplexity * 1.3);  // and close to the true model
  check_error([&] { gibbs_infer_theta(r.phi, h.observed, 0.3, 5, 5, 0); }, {"gibbs_infer_theta", "burn_in"});
}
