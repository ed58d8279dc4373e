// Chapter 04 — corpus tools (see corpus.h).
#include "models/ch04/corpus.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "tensor/random.h"

namespace latent::models {

namespace fs = std::filesystem;

namespace {

// Python's \w on a Latin-1 character: ASCII letters, digits, '_', and the
// characters from 128 up that str.isalnum() accepts (ª ² ³ µ ¹ º ¼ ½ ¾ and the
// accented letters À-ÿ except × and ÷). Listed from Python 3.11.
bool is_word_char(unsigned char c) {
  if (c < 128) return std::isalnum(c) || c == '_';
  if (c == 170 || c == 178 || c == 179 || c == 181 || c == 185 || c == 186) return true;
  if (c >= 188 && c <= 190) return true;
  return c >= 192 && c != 215 && c != 247;
}

// Python's str.isspace() on a Latin-1 character.
bool is_space_char(unsigned char c) {
  return (c >= 9 && c <= 13) || (c >= 28 && c <= 32) || c == 133 || c == 160;
}

bool is_ascii_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The whole file; "\r\n" and "\r" become "\n" (Python's universal newlines).
std::string read_file_text(const std::string& op, const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) fail(op, "cannot read '" + p.string() + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string raw = ss.str(), out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      out.push_back(raw[i]);
    }
  }
  return out;
}

void check_folder(const std::string& op, const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) fail(op, "'" + folder + "' is not a readable folder");
}

}  // namespace

int64_t count_whitespace_words(const std::string& text) {
  int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : text) {
    const bool space = is_space_char(c);
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

std::vector<RawDocument> read_text_folder(const std::string& folder) {
  check_folder("read_text_folder", folder);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<RawDocument> docs;
  for (const auto& p : files) docs.push_back({read_file_text("read_text_folder", p), p.stem().string()});
  if (docs.empty()) fail("read_text_folder", "no .txt file in '" + folder + "'");
  return docs;
}

std::vector<RawDocument> read_lines_file(const std::string& path) {
  std::string text = read_file_text("read_lines_file", path);
  std::vector<RawDocument> docs;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (count_whitespace_words(line) > 0) docs.push_back({line, ""});
  if (docs.empty()) fail("read_lines_file", "'" + path + "' holds no non-empty line");
  return docs;
}

std::vector<RawDocument> read_fortune_files(const std::string& folder, int64_t min_words) {
  check_folder("read_fortune_files", folder);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    // is_regular_file follows links, as Python's os.path.isfile does.
    if (name.find('.') == std::string::npos && e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<RawDocument> docs;
  const std::string sep = "\n%\n";
  for (const auto& p : files) {
    const std::string text = read_file_text("read_fortune_files", p), label = p.filename().string();
    // Python's text.split('\n%\n'): scan left to right, a match consumes its three characters.
    size_t from = 0;
    while (true) {
      const size_t at = text.find(sep, from);
      std::string piece = text.substr(from, at == std::string::npos ? std::string::npos : at - from);
      if (count_whitespace_words(piece) >= min_words) docs.push_back({std::move(piece), label});
      if (at == std::string::npos) break;
      from = at + sep.size();
    }
  }
  if (docs.empty())
    fail("read_fortune_files", "no fortune with at least " + std::to_string(min_words) + " words in '" + folder +
                                   "' (install the Debian package 'fortunes')");
  return docs;
}

std::vector<std::string> tokenize(const std::string& text, const TokenizerOptions& opt) {
  std::vector<std::string> out;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (!is_word_char((unsigned char)text[i])) {
      ++i;
      continue;
    }
    // A maximal run of word characters [i, j): a token only when all are ASCII letters
    // (\b...\b around [a-zA-Z]+ cannot start or end inside the run).
    size_t j = i;
    bool letters = true;
    while (j < n && is_word_char((unsigned char)text[j])) letters &= is_ascii_letter((unsigned char)text[j++]);
    if (letters && (int64_t)(j - i) >= opt.min_letters) {
      std::string t = text.substr(i, j - i);
      if (opt.lowercase)
        for (char& c : t) c = (char)std::tolower((unsigned char)c);
      if (!opt.stop_words.count(t)) out.push_back(std::move(t));
    }
    i = j;
  }
  return out;
}

void Corpus::add_document(const std::vector<int32_t>& ids, const std::string& label) {
  for (int32_t w : ids)
    if (w < 0 || w >= vocab_size())
      fail("Corpus::add_document", "word id " + std::to_string(w) + " outside the vocabulary [0, " +
                                       std::to_string(vocab_size()) + ")");
  words.insert(words.end(), ids.begin(), ids.end());
  doc_start.push_back((int64_t)words.size());
  labels.push_back(label);
}

Corpus build_corpus(const std::vector<RawDocument>& docs, const TokenizerOptions& tok, const VocabularyOptions& voc) {
  if (docs.empty()) fail("build_corpus", "no documents");
  if (voc.min_df < 1 || voc.max_df <= 0 || voc.max_df > 1)
    fail("build_corpus", "need min_df >= 1 and 0 < max_df <= 1, got min_df " + std::to_string(voc.min_df) +
                             ", max_df " + std::to_string(voc.max_df));
  std::vector<std::vector<std::string>> tokens(docs.size());
  std::map<std::string, int64_t> df;  // ordered: the vocabulary comes out sorted
  for (size_t d = 0; d < docs.size(); ++d) {
    tokens[d] = tokenize(docs[d].text, tok);
    std::vector<std::string> distinct = tokens[d];
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (auto& w : distinct) ++df[w];
  }
  Corpus c;
  std::unordered_map<std::string, int32_t> id;
  const double max_docs = voc.max_df * (double)docs.size();
  for (auto& [w, n] : df)
    if (n >= voc.min_df && (double)n <= max_docs) {
      id[w] = (int32_t)c.vocab.size();
      c.vocab.push_back(w);
    }
  if (c.vocab.empty())
    fail("build_corpus", "no word is left after tokenising " + std::to_string(docs.size()) + " documents with min_df " +
                             std::to_string(voc.min_df) + " (" + std::to_string(df.size()) + " distinct tokens)");
  std::vector<int32_t> ids;
  for (size_t d = 0; d < docs.size(); ++d) {
    ids.clear();
    for (auto& t : tokens[d]) {
      auto it = id.find(t);
      if (it != id.end()) ids.push_back(it->second);
    }
    c.add_document(ids, docs[d].label);
  }
  return c;
}

Corpus select_documents(const Corpus& c, const std::vector<int64_t>& rows) {
  Corpus out;
  out.vocab = c.vocab;
  for (int64_t r : rows) {
    if (r < 0 || r >= c.num_docs())
      fail("select_documents", "document " + std::to_string(r) + " outside [0, " + std::to_string(c.num_docs()) + ")");
    out.words.insert(out.words.end(), c.words.begin() + c.doc_start[r], c.words.begin() + c.doc_start[r + 1]);
    out.doc_start.push_back((int64_t)out.words.size());
    out.labels.push_back(r < (int64_t)c.labels.size() ? c.labels[r] : "");
  }
  return out;
}

double BagOfWords::total() const {
  double s = 0;
  for (double n : count) s += n;
  return s;
}

Tensor BagOfWords::dense() const {
  std::vector<double> v((size_t)(num_docs * vocab_size), 0.0);
  for (int64_t d = 0; d < num_docs; ++d)
    for (int64_t j = row_start[d]; j < row_start[d + 1]; ++j) v[(size_t)(d * vocab_size + word[j])] = count[j];
  return from_vector(v, {num_docs, vocab_size}, DType::f64);
}

BagOfWords bag_of_words(const Corpus& c) {
  BagOfWords b;
  b.num_docs = c.num_docs();
  b.vocab_size = c.vocab_size();
  std::vector<int32_t> ids;
  for (int64_t d = 0; d < c.num_docs(); ++d) {
    ids.assign(c.words.begin() + c.doc_start[d], c.words.begin() + c.doc_start[d + 1]);
    std::sort(ids.begin(), ids.end());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0 && ids[i] == ids[i - 1]) {
        b.count.back() += 1;
      } else {
        b.word.push_back(ids[i]);
        b.count.push_back(1);
      }
    }
    b.row_start.push_back((int64_t)b.word.size());
  }
  return b;
}

CorpusSplit split_documents(const Corpus& c, double heldout, uint64_t seed) {
  if (!(heldout > 0 && heldout < 1)) fail("split_documents", "heldout must be in (0, 1), got " + std::to_string(heldout));
  const int64_t D = c.num_docs(), n_test = (int64_t)std::nearbyint(heldout * (double)D);
  if (n_test < 1 || n_test >= D)
    fail("split_documents", "heldout " + std::to_string(heldout) + " of " + std::to_string(D) +
                                " documents leaves an empty part");
  Generator g(seed);
  std::vector<double> perm = permutation(D, &g).to_vector();
  CorpusSplit s;
  for (int64_t i = 0; i < D; ++i) (i < n_test ? s.test_rows : s.train_rows).push_back((int64_t)perm[i]);
  std::sort(s.train_rows.begin(), s.train_rows.end());
  std::sort(s.test_rows.begin(), s.test_rows.end());
  s.train = select_documents(c, s.train_rows);
  s.test = select_documents(c, s.test_rows);
  s.how = "seeded permutation (latent::Generator, seed " + std::to_string(seed) + "), " +
          std::to_string(n_test) + " of " + std::to_string(D) + " documents held out";
  return s;
}

CorpusSplit read_split(const Corpus& c, const std::string& dir) {
  auto rows = [&](const std::string& name) {
    const fs::path p = fs::path(dir) / name;
    std::ifstream f(p);
    if (!f) fail("read_split", "cannot read '" + p.string() + "' (written by fortunes_corpus.py OUTDIR)");
    std::vector<int64_t> r;
    for (int64_t x; f >> x;) r.push_back(x);
    if (r.empty()) fail("read_split", "'" + p.string() + "' lists no document");
    return r;
  };
  CorpusSplit s;
  s.train_rows = rows("train.docs");
  s.test_rows = rows("test.docs");
  s.train = select_documents(c, s.train_rows);
  s.test = select_documents(c, s.test_rows);
  s.how = "rows read from " + dir + "/{train,test}.docs";
  return s;
}

CompletionHalves completion_halves(const Corpus& test) {
  CompletionHalves h;
  h.observed.vocab = h.scored.vocab = test.vocab;
  std::vector<int32_t> even, odd;
  for (int64_t d = 0; d < test.num_docs(); ++d) {
    even.clear();
    odd.clear();
    for (int64_t i = test.doc_start[d]; i < test.doc_start[d + 1]; ++i)
      ((i - test.doc_start[d]) % 2 == 0 ? even : odd).push_back(test.words[i]);
    const std::string label = d < (int64_t)test.labels.size() ? test.labels[d] : "";
    h.observed.add_document(even, label);
    h.scored.add_document(odd, label);
  }
  return h;
}

std::vector<bool> words_seen(const Corpus& c) {
  std::vector<bool> seen((size_t)c.vocab_size(), false);
  for (int32_t w : c.words) seen[(size_t)w] = true;
  return seen;
}

}  // namespace latent::models
