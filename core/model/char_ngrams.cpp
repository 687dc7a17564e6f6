// Hashed character n-grams (see char_ngrams.h).
#include "core/model/char_ngrams.h"

#include <stdexcept>
#include <string>
#include <unordered_map>

#include "core/model/tokenizer.h"

namespace clir::model {
namespace {

bool isSpecial(const std::string& piece) {
    return piece == "<s>" || piece == "</s>" || piece == "<pad>" || piece == "<unk>" ||
           piece == "<mask>";
}

// Byte offsets of the code points of `s` (and s.size() at the end).
std::vector<std::size_t> codePoints(const std::string& s) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < s.size(); ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) at.push_back(i);
    at.push_back(s.size());
    return at;
}

}  // namespace

CharNgrams::CharNgrams(const std::vector<std::string>& pieces, std::int64_t buckets, int minN,
                       int maxN)
    : buckets_(buckets), minN_(minN), maxN_(maxN) {
    if (buckets <= 0) throw std::invalid_argument("char n-grams need at least one bucket");
    if (minN < 1 || maxN < minN) throw std::invalid_argument("char n-grams: bad n range");
    text_.reserve(pieces.size());
    kind_.reserve(pieces.size());
    for (const auto& p : pieces) {
        if (isSpecial(p)) {
            text_.emplace_back();
            kind_.push_back('s');
            continue;
        }
        const bool starts = Tokenizer::startsWord(p);
        std::string t = starts ? p.substr(Tokenizer::kWordMark.size()) : p;
        for (auto& c : t)
            if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
        text_.push_back(std::move(t));
        kind_.push_back(starts ? 'w' : 'c');
    }
}

std::uint64_t CharNgrams::hash(std::string_view text) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::vector<std::int64_t> CharNgrams::wordBuckets(const std::string& word) const {
    std::vector<std::int64_t> out;
    if (word.empty()) return out;
    const std::string marked = "<" + word + ">";
    const auto at = codePoints(marked);
    const std::size_t count = at.size() - 1;
    for (std::size_t start = 0; start < count; ++start)
        for (int n = minN_; n <= maxN_ && start + std::size_t(n) <= count; ++n) {
            std::string_view gram(marked.data() + at[start],
                                  at[start + std::size_t(n)] - at[start]);
            out.push_back(std::int64_t(hash(gram) % std::uint64_t(buckets_)));
        }
    return out;
}

std::vector<std::string> CharNgrams::words(const std::int64_t* ids, std::int64_t length) const {
    std::vector<std::string> out(static_cast<std::size_t>(length));
    const auto vocab = std::int64_t(text_.size());
    std::int64_t start = 0;  // first token of the current word
    auto close = [&](std::int64_t end) {
        std::string word;
        for (std::int64_t k = start; k < end; ++k) word += text_[std::size_t(ids[k])];
        for (std::int64_t k = start; k < end; ++k) out[std::size_t(k)] = word;
    };
    bool open = false;
    for (std::int64_t k = 0; k < length; ++k) {
        const std::int64_t id = ids[k];
        const char kind = id >= 0 && id < vocab ? kind_[std::size_t(id)] : 's';
        if (kind == 'c' && open) continue;  // continues the word
        if (open) close(k);
        open = kind != 's';
        start = k;
    }
    if (open) close(length);
    return out;
}

void CharNgrams::distinctBags(const std::int64_t* ids, std::int64_t rows, std::int64_t length,
                              std::vector<std::int64_t>& indices,
                              std::vector<std::int64_t>& offsets,
                              std::vector<std::int64_t>& tokenBag) const {
    indices.clear();
    offsets.assign(1, 0);  // bag 0: the empty bag of special tokens
    tokenBag.assign(std::size_t(rows * length), 0);
    std::unordered_map<std::string, std::int64_t> bagOf{{std::string(), 0}};
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto words = this->words(ids + r * length, length);
        for (std::int64_t k = 0; k < length; ++k) {
            auto [at, added] =
                bagOf.try_emplace(words[std::size_t(k)], std::int64_t(offsets.size()));
            if (added) {
                offsets.push_back(std::int64_t(indices.size()));
                const auto buckets = wordBuckets(at->first);
                indices.insert(indices.end(), buckets.begin(), buckets.end());
            }
            tokenBag[std::size_t(r * length + k)] = at->second;
        }
    }
}

}  // namespace clir::model
