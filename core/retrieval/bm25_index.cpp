// BM25 with Xapian (see bm25_index.h). Documents and queries go through the same TermGenerator
// with STEM_ALL, so query terms match index terms exactly; a query is the OR of its terms with
// their within-query frequencies, scored by BM25Weight(k1, k2=0, k3=1, b, min_normlen=0.5).
#include "core/retrieval/bm25_index.h"

#include <xapian.h>

#include <filesystem>
#include <map>

#include "core/util/fs.h"
#include "core/util/text.h"

namespace clir::retrieval {
namespace {

constexpr const char* kStampFile = "clirlab-index.stamp";
constexpr int kIndexVersion = 1;  // bump when analysis changes

Xapian::TermGenerator makeGenerator(const std::string& language) {
    Xapian::TermGenerator g;
    std::string stem = stemmerFor(language);
    if (!stem.empty()) {
        g.set_stemmer(Xapian::Stem(stem));
        g.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
    } else {
        g.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
    }
    return g;
}

}  // namespace

std::string stemmerFor(const std::string& language) {
    static const std::map<std::string, std::string> stems = {
        {"en-US", "english"}, {"en-GB", "english"}, {"de", "german"},        {"fr", "french"},
        {"es", "spanish"},    {"eu", "basque"},     {"ca", "catalan"},       {"da", "danish"},
        {"nl", "dutch"},      {"fi", "finnish"},    {"hu", "hungarian"},     {"id", "indonesian"},
        {"it", "italian"},    {"pt", "portuguese"}, {"pt-BR", "portuguese"}, {"ru", "russian"},
        {"sv", "swedish"},    {"tr", "turkish"},    {"el", "greek"}};
    auto it = stems.find(language);
    return it == stems.end() ? "" : it->second;
}

struct Bm25Index::Impl {
    Xapian::Database db;
    std::string language;
    std::vector<std::string> docIds;  // by Xapian docid; reading document data per hit is slow
    Xapian::TermGenerator generator;  // reused across queries: search() is not thread-safe
};

Bm25Index::Bm25Index(const std::string& dir, const std::string& corpusHash,
                     const std::string& language, const std::vector<data::CorpusDocument>& docs)
    : impl_(std::make_unique<Impl>()) {
    impl_->language = language;
    std::string stamp = std::to_string(kIndexVersion) + " " + corpusHash + " " + language + " " +
                        stemmerFor(language) + " " + std::to_string(docs.size());
    std::string stampPath = dir + "/" + kStampFile;
    // The stamp's second line is the SHA-256 of the index files: a truncated or altered index is
    // rebuilt, never searched.
    auto fresh = [&] {
        if (!std::filesystem::exists(stampPath)) return false;
        const auto lines = text::split(text::trim(fs::readFile(stampPath)), '\n');
        return lines.size() == 2 && lines[0] == stamp &&
               lines[1] == fs::treeSha256(dir, {kStampFile});
    };
    if (!fresh()) {
        std::string tmp = dir + ".partial";
        std::filesystem::remove_all(tmp);
        std::filesystem::create_directories(tmp);
        {
            Xapian::WritableDatabase w(tmp, Xapian::DB_CREATE_OR_OVERWRITE);
            auto gen = makeGenerator(language);
            w.begin_transaction();
            for (const auto& d : docs) {
                Xapian::Document doc;
                gen.set_document(doc);
                gen.index_text(d.title);
                gen.increase_termpos();
                gen.index_text(d.text);
                doc.set_data(d.id);
                w.add_document(doc);
            }
            w.commit_transaction();
            w.close();
        }
        fs::writeFileAtomic(tmp + "/" + kStampFile,
                            stamp + "\n" + fs::treeSha256(tmp, {kStampFile}) + "\n");
        std::filesystem::remove_all(dir);
        std::filesystem::rename(tmp, dir);
        built_ = true;
    }
    impl_->db = Xapian::Database(dir);
    impl_->generator = makeGenerator(language);
    impl_->docIds.resize(impl_->db.get_lastdocid() + 1);
    for (auto it = impl_->db.postlist_begin(""); it != impl_->db.postlist_end(""); ++it)
        impl_->docIds[*it] = impl_->db.get_document(*it).get_data();
}

Bm25Index::~Bm25Index() = default;

std::size_t Bm25Index::documentCount() const {
    return impl_->db.get_doccount();
}

std::vector<eval::ScoredDoc> Bm25Index::search(const std::string& text,
                                               const Bm25Settings& s) const {
    Xapian::Document scratch;
    impl_->generator.set_document(scratch);
    impl_->generator.index_text(text);
    std::vector<Xapian::Query> terms;
    for (auto t = scratch.termlist_begin(); t != scratch.termlist_end(); ++t)
        terms.emplace_back(*t, t.get_wdf());
    std::vector<eval::ScoredDoc> out;
    if (terms.empty()) return out;
    Xapian::Enquire enquire(impl_->db);
    enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end()));
    enquire.set_weighting_scheme(Xapian::BM25Weight(s.k1, 0, 1, s.b, 0.5));
    Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(s.depth));
    out.reserve(mset.size());
    for (auto it = mset.begin(); it != mset.end(); ++it)
        out.push_back({impl_->docIds[*it], it.get_weight()});
    return out;
}

}  // namespace clir::retrieval
