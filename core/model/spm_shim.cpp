// A C interface over SentencePiece, built as its own shared library (libclir_spm.so) and opened
// by tokenizer.cpp with dlopen(RTLD_LOCAL | RTLD_DEEPBIND). Debian's libsentencepiece carries a
// private copy of protobuf-lite whose exported symbols collide with the libprotobuf LibTorch
// loads: linked into one process, the first library to load wins the symbols and the other
// crashes at start-up. Deep binding keeps SentencePiece on its own copy and out of the global
// symbol scope.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

void setError(char* err, int len, const std::string& message) {
    if (!err || len <= 0) return;
    std::strncpy(err, message.c_str(), std::size_t(len - 1));
    err[len - 1] = '\0';
}

int copyOut(const std::string& s, char* out, int cap) {
    if (out && cap > 0) {
        std::size_t n = std::min(s.size(), std::size_t(cap - 1));
        std::memcpy(out, s.data(), n);
        out[n] = '\0';
    }
    return int(s.size());
}

class ArrayIterator : public sentencepiece::SentenceIterator {
  public:
    ArrayIterator(const char* const* s, long n) : s_(s), n_(n) {}
    bool done() const override { return i_ >= n_; }
    void Next() override {
        ++i_;
        if (!done()) value_ = s_[i_];
    }
    const std::string& value() const override { return value_; }
    sentencepiece::util::Status status() const override { return {}; }
    void start() {
        if (n_ > 0) value_ = s_[0];
    }

  private:
    const char* const* s_;
    long n_, i_ = 0;
    std::string value_;
};

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* clir_spm_load(const char* path, char* err,
                                                           int errlen) {
    auto* sp = new sentencepiece::SentencePieceProcessor();
    auto status = sp->Load(path);
    if (!status.ok()) {
        setError(err, errlen, status.ToString());
        delete sp;
        return nullptr;
    }
    return sp;
}

__attribute__((visibility("default"))) void clir_spm_free(void* h) {
    delete static_cast<sentencepiece::SentencePieceProcessor*>(h);
}

__attribute__((visibility("default"))) int clir_spm_piece_size(void* h) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(h)->GetPieceSize();
}

__attribute__((visibility("default"))) int clir_spm_unk_id(void* h) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(h)->unk_id();
}

__attribute__((visibility("default"))) int clir_spm_piece_to_id(void* h, const char* piece) {
    return static_cast<sentencepiece::SentencePieceProcessor*>(h)->PieceToId(piece);
}

// Writes up to cap ids; returns how many the text has (call again with more room if larger).
__attribute__((visibility("default"))) int clir_spm_encode(void* h, const char* text, int* out,
                                                           int cap) {
    std::vector<int> ids;
    static_cast<sentencepiece::SentencePieceProcessor*>(h)->Encode(text, &ids);
    for (int i = 0; i < int(ids.size()) && i < cap; ++i) out[i] = ids[std::size_t(i)];
    return int(ids.size());
}

__attribute__((visibility("default"))) int clir_spm_id_to_piece(void* h, int id, char* out,
                                                                int cap) {
    return copyOut(static_cast<sentencepiece::SentencePieceProcessor*>(h)->IdToPiece(id), out, cap);
}

__attribute__((visibility("default"))) int clir_spm_decode(void* h, const int* ids, int n,
                                                           char* out, int cap) {
    std::string text;
    static_cast<sentencepiece::SentencePieceProcessor*>(h)->Decode(std::vector<int>(ids, ids + n),
                                                                   &text);
    return copyOut(text, out, cap);
}

__attribute__((visibility("default"))) int clir_spm_train(const char* args,
                                                          const char* const* sentences, long n,
                                                          char* err, int errlen) {
    ArrayIterator it(sentences, n);
    it.start();
    auto status = sentencepiece::SentencePieceTrainer::Train(args, &it);
    if (!status.ok()) {
        setError(err, errlen, status.ToString());
        return 1;
    }
    return 0;
}
}
