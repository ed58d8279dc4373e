// Chapter 04 — corpus tools: from text files to a bag of words.
//
// A topic model sees a document only as a multiset of word ids. This file
// turns text into that form, in the steps scikit-learn's CountVectorizer takes
// (so the same settings give the same bag, token for token):
//
//   read      a folder of .txt files, a file with one document per line, or
//             the fortune-file format of Debian's `fortunes` package
//   tokenise  lower case; a token is a run of "word" characters made only of
//             ASCII letters, at least two of them (the pattern
//             (?u)\b[a-zA-Z][a-zA-Z]+\b); stop words dropped
//   vocabulary  words kept when min_df <= document frequency <= max_df * D,
//             sorted alphabetically (id = rank)
//   Corpus    the tokens of every document in order, doc-major: one int32
//             array of word ids and the offsets where each document starts
//
// Text is read byte by byte as Latin-1 (as Python's encoding='latin-1' does),
// so UTF-8 multibyte letters are two or three non-ASCII characters.
//
//   Corpus c = build_corpus(read_fortune_files("/usr/share/games/fortunes"),
//                           {.stop_words = english_stop_words()}, {.min_df = 3});
//
// docs/04-topic-models.md, "Corpus", shows every step next to its function.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "tensor/tensor.h"

namespace latent::models {

// One document before tokenising; label = its category (fortune file name,
// .txt file name) or empty.
struct RawDocument {
  std::string text, label;
};

// ---- readers (each throws latent::Error naming the path when it cannot be
// read or yields no document) ----

// Every *.txt file of `folder` (sorted by name), one document each.
std::vector<RawDocument> read_text_folder(const std::string& folder);
// One document per non-empty line of `path`.
std::vector<RawDocument> read_lines_file(const std::string& path);
// The fortune-file format: every file of `folder` whose name has no '.' (the
// .dat index files and .u8 links are skipped), sorted by name; its text is cut
// at every "\n%\n" (a line holding only '%'), and a piece becomes a document
// when it has at least min_words whitespace-separated words. The label is the
// file name. With the defaults this is the reading of
// /work/shared/bench/fortunes_corpus.py (Python's split on '\n%\n', Python's
// str.split() whitespace).
std::vector<RawDocument> read_fortune_files(const std::string& folder = "/usr/share/games/fortunes",
                                            int64_t min_words = 5);
// Python str.split() word count: runs of bytes other than Latin-1 whitespace.
int64_t count_whitespace_words(const std::string& text);

// ---- tokeniser ----

// scikit-learn's English stop-word list (318 words, ENGLISH_STOP_WORDS).
const std::unordered_set<std::string>& english_stop_words();

struct TokenizerOptions {
  bool lowercase = true;
  int64_t min_letters = 2;  // (?u)\b[a-zA-Z][a-zA-Z]+\b is min_letters = 2
  std::unordered_set<std::string> stop_words = {};
};
// The tokens of `text`, in order: maximal runs of word characters (Latin-1
// letters, digits, '_', as Python's \w) that are all ASCII letters and at least
// min_letters long, lower-cased, minus the stop words.
std::vector<std::string> tokenize(const std::string& text, const TokenizerOptions& opt = {});

struct VocabularyOptions {
  int64_t min_df = 1;    // keep a word seen in at least min_df documents
  double max_df = 1.0;   // ... and in at most max_df * D of them
};

// ---- the corpus ----

struct Corpus {
  std::vector<std::string> vocab;       // word id -> word
  std::vector<int64_t> doc_start = {0}; // document d is tokens [doc_start[d], doc_start[d+1])
  std::vector<int32_t> words;           // word ids, doc-major, in reading order
  std::vector<std::string> labels;      // per document (may be empty strings)

  int64_t num_docs() const { return (int64_t)doc_start.size() - 1; }
  int64_t num_tokens() const { return (int64_t)words.size(); }
  int64_t vocab_size() const { return (int64_t)vocab.size(); }
  int64_t doc_length(int64_t d) const { return doc_start[d + 1] - doc_start[d]; }
  // Append a document (word ids < vocab_size, checked).
  void add_document(const std::vector<int32_t>& ids, const std::string& label = "");
};

// Tokenise, build the vocabulary, keep each document's in-vocabulary tokens in
// order. Documents left with no token stay (as empty documents), so document d
// is raw document d. Errors: no documents, or no word survives the filters.
Corpus build_corpus(const std::vector<RawDocument>& docs, const TokenizerOptions& tok = {},
                    const VocabularyOptions& voc = {});

// The documents `rows` of c (same vocabulary), in that order.
Corpus select_documents(const Corpus& c, const std::vector<int64_t>& rows);

// The sparse document-term matrix in CSR form: row d holds the distinct words
// of document d (increasing id) and their counts. Models that work on counts
// (pLSA, variational EM) iterate over it; Gibbs samplers over the tokens.
struct BagOfWords {
  int64_t num_docs = 0, vocab_size = 0;
  std::vector<int64_t> row_start = {0};
  std::vector<int32_t> word;
  std::vector<double> count;
  double total() const;
  Tensor dense() const;  // [D,V] float64 (for small corpora and tests)
};
BagOfWords bag_of_words(const Corpus& c);

// ---- train / held-out split and document completion ----

struct CorpusSplit {
  Corpus train, test;
  std::vector<int64_t> train_rows, test_rows;  // document indices into the full corpus
  std::string how;                             // "seeded permutation, seed 0" / "rows read from ..."
};
// A seeded random permutation of the documents (latent::Generator): the first
// round(heldout * D) are held out; both parts keep corpus order.
CorpusSplit split_documents(const Corpus& c, double heldout, uint64_t seed);
// The split written by /work/shared/bench/fortunes_corpus.py: its train.docs and
// test.docs list row indices of the full matrix (empty documents left out).
CorpusSplit read_split(const Corpus& c, const std::string& dir);

// Document completion (Wallach et al. 2009, "estimated theta" method): the
// tokens at even positions 0, 2, 4 ... of each held-out document infer its
// topic proportions, those at odd positions are scored.
struct CompletionHalves {
  Corpus observed, scored;
};
CompletionHalves completion_halves(const Corpus& test);

// seen[w]: word w occurs in c (held-out words never seen in training are
// skipped when scoring, as every peer does).
std::vector<bool> words_seen(const Corpus& c);

}  // namespace latent::models
