// SentencePiece tokenizer (see tokenizer.h), through libclir_spm.so opened with deep binding
// (spm_shim.cpp says why).
#include "core/model/tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "core/util/sha256.h"

namespace clir::model {
namespace {

struct SpmApi {
    void* (*load)(const char*, char*, int);
    void (*free)(void*);
    int (*pieceSize)(void*);
    int (*unkId)(void*);
    int (*pieceToId)(void*, const char*);
    int (*encode)(void*, const char*, int*, int);
    int (*idToPiece)(void*, int, char*, int);
    int (*decode)(void*, const int*, int, char*, int);
    int (*train)(const char*, const char* const*, long, char*, int);
};

std::string shimPath() {
    if (const char* env = std::getenv("CLIRLAB_SPM_LIBRARY"); env && *env) return env;
    // Beside the executable's build tree (bin/../lib), else where the build put it.
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto candidate = exe.parent_path().parent_path() / "lib" / "libclir_spm.so";
        if (std::filesystem::exists(candidate)) return candidate.string();
    }
    return CLIRLAB_SPM_LIBRARY;
}

const SpmApi& api() {
    static SpmApi a{};
    static std::once_flag once;
    static std::string error;
    std::call_once(once, [] {
        std::string path = shimPath();
        void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        if (!lib) {
            error = "cannot load the SentencePiece shim " + path + ": " + ::dlerror();
            return;
        }
        auto sym = [&](const char* name) {
            void* p = ::dlsym(lib, name);
            if (!p) error = std::string("SentencePiece shim lacks ") + name;
            return p;
        };
        a.load = reinterpret_cast<decltype(a.load)>(sym("clir_spm_load"));
        a.free = reinterpret_cast<decltype(a.free)>(sym("clir_spm_free"));
        a.pieceSize = reinterpret_cast<decltype(a.pieceSize)>(sym("clir_spm_piece_size"));
        a.unkId = reinterpret_cast<decltype(a.unkId)>(sym("clir_spm_unk_id"));
        a.pieceToId = reinterpret_cast<decltype(a.pieceToId)>(sym("clir_spm_piece_to_id"));
        a.encode = reinterpret_cast<decltype(a.encode)>(sym("clir_spm_encode"));
        a.idToPiece = reinterpret_cast<decltype(a.idToPiece)>(sym("clir_spm_id_to_piece"));
        a.decode = reinterpret_cast<decltype(a.decode)>(sym("clir_spm_decode"));
        a.train = reinterpret_cast<decltype(a.train)>(sym("clir_spm_train"));
    });
    if (!error.empty()) throw std::runtime_error(error);
    return a;
}

}  // namespace

void Tokenizer::train(const std::vector<std::string>& sentences, std::int64_t vocabSize,
                      const std::string& modelPrefix, std::uint64_t seed, bool caseFold) {
    if (sentences.empty()) throw std::runtime_error("tokenizer training needs text; got none");
    std::filesystem::create_directories(std::filesystem::path(modelPrefix).parent_path());
    // Ids as XLM-R: <s>=0 <pad>=1 </s>=2 <unk>=3; <mask> is a user-defined symbol (id 4); byte
    // fallback keeps unseen scripts representable.
    std::string args = "--model_type=unigram --vocab_size=" + std::to_string(vocabSize) +
                       " --model_prefix=" + modelPrefix +
                       " --bos_id=0 --pad_id=1 --eos_id=2 --unk_id=3 --user_defined_symbols=<mask>"
                       " --character_coverage=0.9995 --byte_fallback=true"
                       " --input_sentence_size=2000000 --shuffle_input_sentence=true"
                       " --max_sentence_length=8192 --num_threads=2 --minloglevel=2"
                       " --hard_vocab_limit=false --normalization_rule_name=" +
                       std::string(caseFold ? "nmt_nfkc_cf" : "nmt_nfkc");
    (void)seed;  // this SentencePiece has no --random_seed; its sampling is seeded internally
    std::vector<const char*> ptrs;
    ptrs.reserve(sentences.size());
    for (const auto& s : sentences) ptrs.push_back(s.c_str());
    char err[1024] = {};
    if (api().train(args.c_str(), ptrs.data(), long(ptrs.size()), err, sizeof(err)) != 0)
        throw std::runtime_error(std::string("tokenizer training failed: ") + err);
}

Tokenizer::Tokenizer(const std::string& modelPath) : path_(modelPath) {
    if (!std::filesystem::exists(modelPath))
        throw std::runtime_error(modelPath + ": tokenizer model not found");
    char err[1024] = {};
    void* handle = api().load(modelPath.c_str(), err, sizeof(err));
    if (!handle) throw std::runtime_error(modelPath + ": not a SentencePiece model (" + err + ")");
    handle_ = handle;
    hash_ = Sha256::hexOfFile(modelPath);
    maskId_ = api().pieceToId(handle, "<mask>");
    if (maskId_ == api().unkId(handle)) maskId_ = api().pieceSize(handle);  // XLM-R appends <mask>
    for (const auto& piece : vocabulary()) wordStarts_.push_back(startsWord(piece));
}

Tokenizer::~Tokenizer() {
    if (handle_) api().free(handle_);
}

std::int64_t Tokenizer::vocabSize() const {
    std::int64_t n = api().pieceSize(handle_);
    return maskId_ >= n ? maskId_ + 1 : n;
}

std::vector<std::int64_t> Tokenizer::encode(const std::string& text, std::size_t maxLength) const {
    std::vector<int> ids(256);
    int n = api().encode(handle_, text.c_str(), ids.data(), int(ids.size()));
    if (n > int(ids.size())) {
        ids.resize(std::size_t(n));
        api().encode(handle_, text.c_str(), ids.data(), n);
    }
    ids.resize(std::size_t(n));
    std::vector<std::int64_t> out;
    out.reserve(ids.size() + 2);
    out.push_back(kBos);
    out.insert(out.end(), ids.begin(), ids.end());
    out.push_back(kEos);
    return truncated(std::move(out), maxLength);
}

std::vector<std::int64_t> Tokenizer::truncated(std::vector<std::int64_t> encoded,
                                               std::size_t maxLength) {
    if (encoded.size() <= std::max<std::size_t>(maxLength, 2)) return encoded;
    encoded.resize(std::max<std::size_t>(maxLength, 2) - 1);
    encoded.push_back(kEos);
    return encoded;
}

namespace {

// The byte of a byte-fallback piece "<0xNN>", or -1.
int fallbackByte(const std::string& piece) {
    if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return -1;
    int value = 0;
    for (std::size_t i = 3; i < 5; ++i) {
        const char c = piece[i];
        const int d = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                             : -1;
        if (d < 0) return -1;
        value = value * 16 + d;
    }
    return value;
}

// The length of the UTF-8 character a lead byte starts (0: not a lead byte).
std::size_t utf8Length(int lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead < 0xE0) return 2;
    if (lead >= 0xE0 && lead < 0xF0) return 3;
    if (lead >= 0xF0 && lead < 0xF5) return 4;
    return 0;
}

}  // namespace

std::vector<std::string> Tokenizer::readable(std::vector<std::string> pieces) {
    static const char* const kSubscript[] = {"₁", "₂", "₃", "₄"};
    for (std::size_t i = 0; i < pieces.size();) {
        const int lead = fallbackByte(pieces[i]);
        const std::size_t n = lead < 0 ? 0 : utf8Length(lead);
        bool whole = n > 0 && i + n <= pieces.size();
        std::string character;
        for (std::size_t k = 0; whole && k < n; ++k) {
            const int b = fallbackByte(pieces[i + k]);
            whole = b >= 0 && (k == 0 || (b & 0xC0) == 0x80);
            character += char(b);
        }
        if (!whole) {
            ++i;
            continue;
        }
        for (std::size_t k = 0; k < n; ++k)
            pieces[i + k] = n == 1 ? character : character + kSubscript[k];
        i += n;
    }
    return pieces;
}

std::vector<std::string> Tokenizer::pieces(const std::vector<std::int64_t>& ids) const {
    std::vector<std::string> out;
    char buf[256];
    for (auto id : ids) {
        if (id == maskId_) {
            out.push_back("<mask>");
            continue;
        }
        int n = api().idToPiece(handle_, int(id), buf, sizeof(buf));
        out.emplace_back(buf, std::size_t(std::min(n, int(sizeof(buf)) - 1)));
    }
    return out;
}

std::vector<std::string> Tokenizer::vocabulary() const {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(vocabSize()));
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = std::int64_t(i);
    return pieces(ids);
}

std::string Tokenizer::decode(const std::vector<std::int64_t>& ids) const {
    std::vector<int> keep;
    for (auto id : ids)
        if (id > kUnk && id != maskId_) keep.push_back(int(id));
    std::string out(4096, '\0');
    int n = api().decode(handle_, keep.data(), int(keep.size()), out.data(), int(out.size()));
    if (n >= int(out.size())) {
        out.assign(std::size_t(n) + 1, '\0');
        api().decode(handle_, keep.data(), int(keep.size()), out.data(), int(out.size()));
    }
    out.resize(std::size_t(n));
    return out;
}

}  // namespace clir::model
