// SentencePiece unigram tokenizer with XLM-R's special tokens: <s>=0 <pad>=1 </s>=2 <unk>=3 and
// <mask> as the last id. Trains on text the workbench gives it, or loads an existing .model
// (for example XLM-R's sentencepiece.bpe.model). No LibTorch here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clir::model {

class Tokenizer {
  public:
    static constexpr std::int64_t kBos = 0, kPad = 1, kEos = 2, kUnk = 3;
    // SentencePiece's word boundary (U+2581): a piece that begins with it begins a word.
    static constexpr std::string_view kWordMark = "\xE2\x96\x81";
    static bool startsWord(std::string_view piece) { return piece.substr(0, 3) == kWordMark; }

    // Trains a unigram model on `sentences` (one per element) and writes <prefix>.model.
    // caseFold: SentencePiece's nmt_nfkc_cf normalisation (NFKC and lower-casing), so a word
    // is the same pieces in any case; otherwise nmt_nfkc.
    static void train(const std::vector<std::string>& sentences, std::int64_t vocabSize,
                      const std::string& modelPrefix, std::uint64_t seed = 1,
                      bool caseFold = false);
    // Throws std::runtime_error naming the file when it is missing or not a SentencePiece model.
    explicit Tokenizer(const std::string& modelPath);
    ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    std::int64_t vocabSize() const;
    std::int64_t maskId() const { return maskId_; }
    const std::string& hash() const { return hash_; }  // SHA-256 of the .model file
    const std::string& path() const { return path_; }

    // <s> pieces... </s>, truncated to maxLength (keeping </s>).
    std::vector<std::int64_t> encode(const std::string& text, std::size_t maxLength = 512) const;
    // A full encoding cut as encode cuts it: its first maxLength - 1 ids, then </s>.
    static std::vector<std::int64_t> truncated(std::vector<std::int64_t> encoded,
                                               std::size_t maxLength);
    std::vector<std::string> pieces(const std::vector<std::int64_t>& ids) const;
    // Pieces as labels a reader can follow (the alignment inspector's axes): a run of
    // byte-fallback pieces (<0xE6><0x97><0xA5>, what a script the vocabulary lacks becomes) is
    // shown as the characters its bytes spell, each byte piece labelled with its character and
    // its place in it (日₁ 日₂ 日₃). Bytes that spell no character stay as they are.
    static std::vector<std::string> readable(std::vector<std::string> pieces);
    std::vector<std::string> vocabulary() const;  // every piece, by id
    // Whether each piece, by id, begins a word (startsWord); special tokens do not.
    const std::vector<bool>& wordStarts() const { return wordStarts_; }
    std::string decode(const std::vector<std::int64_t>& ids) const;

  private:
    void* handle_ = nullptr;  // owned by libclir_spm.so (see spm_shim.cpp)
    std::string path_, hash_;
    std::int64_t maskId_ = -1;
    std::vector<bool> wordStarts_;
};

}  // namespace clir::model
