// Hashed character n-grams of words (SPEC 3, lexical encoders): every piece of a word shares the
// bag of its word's character 3–5-grams ("<word>" with boundary marks, over code points), each
// hashed (FNV-1a, 64 bit) into one of `buckets` rows. Words are read from SentencePiece pieces: a
// piece that starts with "▁" starts a word, the others continue it; special tokens (<s>, </s>,
// <pad>, <unk>, <mask>) have an empty bag. Words are lower-cased (ASCII; self-trained tokenizers
// case-fold already). No LibTorch here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clir::model {

class CharNgrams {
  public:
    // pieces: the tokenizer's vocabulary by id (Tokenizer::vocabulary()).
    CharNgrams(const std::vector<std::string>& pieces, std::int64_t buckets, int minN = 3,
               int maxN = 5);

    static std::uint64_t hash(std::string_view text);  // FNV-1a 64
    // The buckets of "<word>"'s n-grams, in order of start then length (duplicates kept).
    std::vector<std::int64_t> wordBuckets(const std::string& word) const;
    // The word each token of `ids` (one sequence, `length` tokens) belongs to; "" for special
    // tokens and ids outside the vocabulary.
    std::vector<std::string> words(const std::int64_t* ids, std::int64_t length) const;

    // Bags for EmbeddingBag over the distinct words of `rows` sequences of `length` tokens
    // (row-major), each word's bag once: bag b's buckets are indices[offsets[b] ..
    // offsets[b + 1]) (the last bag runs to the end), bag 0 is the empty bag of special tokens,
    // and token k's bag is tokenBag[k]. A batch repeats its words many times over, so the bags
    // (and their sparse gradient rows) scale with its vocabulary, not its tokens.
    void distinctBags(const std::int64_t* ids, std::int64_t rows, std::int64_t length,
                      std::vector<std::int64_t>& indices, std::vector<std::int64_t>& offsets,
                      std::vector<std::int64_t>& tokenBag) const;

    std::int64_t buckets() const { return buckets_; }
    std::int64_t vocabularySize() const { return std::int64_t(text_.size()); }

  private:
    std::int64_t buckets_;
    int minN_, maxN_;
    std::vector<std::string> text_;  // the piece without "▁", lower-cased
    std::vector<char> kind_;         // 's' special, 'w' starts a word, 'c' continues one
};

}  // namespace clir::model
