// Corpus building (see corpus_builder.h). Layout of the output folder:
//   manifest.json
//   docs/<lang>.jsonl            {"id","title","text","split"}   (X: translated paragraphs only)
//   passages/<lang>.jsonl        {"id":"<doc>#<par_id>","doc","text","split"}
//   bitext/<lang>.<split>.tsv    english<TAB>other  (+ .ids: doc#par_id per line)
//   queries/<lang>.<set>.<split>.tsv           qid<TAB>text   (set: entries | headings)
//   qrels/<qlang>.<dlang>.<set>.<split>.qrels  qid 0 docid 1
#include "core/data/corpus_builder.h"

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/data/corpus_writer.h"
#include "core/data/index_queries.h"
#include "core/data/splitter.h"
#include "core/util/fs.h"
#include "core/util/sha256.h"
#include "core/util/text.h"

namespace clir::data {
namespace stdfs = std::filesystem;

namespace {

constexpr int kBuilderVersion = 1;  // bump when the output changes for the same input
const Split kSplits[] = {Split::Train, Split::Dev, Split::Test};

struct Document {
    std::string id, title, text;
    Split split;
    std::vector<HelpParagraph> paragraphs;
};

struct LanguageData {
    std::map<std::string, HelpPage> pages;  // by page path
    std::map<std::string, Document> docs;   // by docid
    std::vector<IndexQuery> entries;
    IndexDropCounts entryCounts;
    int emptyParagraphs = 0, untranslatedParagraphs = 0, untranslatedPages = 0;
};

std::map<std::string, HelpPage> parsePages(const LanguageSource& src, const jobs::JobContext& ctx,
                                           double from, double to) {
    std::string root = src.helpRoot + "/" + src.language;
    if (!stdfs::exists(root + "/text"))
        throw std::runtime_error(root + "/text: missing (is the package unpacked?)");
    std::vector<std::string> files;
    for (const auto& e : stdfs::recursive_directory_iterator(root + "/text"))
        if (e.is_regular_file() && e.path().extension() == ".html") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::map<std::string, HelpPage> pages;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (i % 64 == 0) {
            ctx.checkCancelled();
            ctx.report(from + (to - from) * double(i) / double(files.size()),
                       src.language + ": parsing pages " + std::to_string(i) + "/" +
                           std::to_string(files.size()));
        }
        std::string rel = stdfs::relative(files[i], root).generic_string();
        pages.emplace(rel, parseHelpPage(fs::readFile(files[i]), files[i]));
    }
    return pages;
}

std::string joinParagraphs(const std::vector<HelpParagraph>& ps) {
    std::string out;
    for (const auto& p : ps) {
        if (!out.empty()) out += '\n';
        out += p.text;
    }
    return out;
}

using Writer = CorpusWriter;

bool lengthOk(const std::string& a, const std::string& b, const BitextSettings& s) {
    double la = double(text::codePointCount(a)), lb = double(text::codePointCount(b));
    if (la < s.minChars || lb < s.minChars || la > s.maxChars || lb > s.maxChars) return false;
    return std::max(la, lb) / std::min(la, lb) <= s.maxLengthRatio;
}

// One language's documents, passages and (against English) bitext pairs, by split.
void writeDocuments(const std::string& language, bool isPivot, LanguageData& L,
                    const LanguageData& en, const CorpusSettings& settings, Writer& out,
                    std::map<Split, nlohmann::json>& splitStats) {
    std::map<Split, std::ostringstream> bitext, bitextIds;
    std::ostringstream docs, passages;
    for (const auto& [page, hp] : L.pages) {
        std::string docid = docIdOfPage(page);
        auto enDoc = en.docs.find(docid);
        Split split = assignSplit(docid, settings.split);
        std::vector<HelpParagraph> kept;
        if (!isPivot) L.emptyParagraphs += hp.emptyParagraphs;
        std::map<std::string, const HelpParagraph*> enById;
        if (enDoc != en.docs.end())
            for (const auto& p : enDoc->second.paragraphs) enById[p.id] = &p;
        for (const auto& p : hp.paragraphs) {
            auto match = enById.find(p.id);
            if (!isPivot && match != enById.end() && match->second->text == p.text) {
                ++L.untranslatedParagraphs;
                continue;
            }
            kept.push_back(p);
            if (!isPivot && match != enById.end() &&
                lengthOk(match->second->text, p.text, settings.bitext)) {
                bitext[split] << match->second->text << '\t' << p.text << '\n';
                bitextIds[split] << docid << '#' << p.id << '\n';
                splitStats[split]["bitext_pairs"] =
                    splitStats[split]["bitext_pairs"].get<int>() + 1;
            }
        }
        if (kept.empty()) {
            if (!hp.paragraphs.empty()) ++L.untranslatedPages;
            continue;
        }
        if (!isPivot) L.docs[docid] = Document{docid, hp.title, joinParagraphs(kept), split, kept};
        docs << nlohmann::json{{"id", docid},
                               {"title", hp.title},
                               {"text", joinParagraphs(kept)},
                               {"split", toString(split)}}
                    .dump()
             << '\n';
        for (const auto& p : kept)
            passages << nlohmann::json{{"id", docid + "#" + p.id},
                                       {"doc", docid},
                                       {"text", p.text},
                                       {"split", toString(split)}}
                            .dump()
                     << '\n';
        splitStats[split]["documents"] = splitStats[split]["documents"].get<int>() + 1;
        splitStats[split]["passages"] = splitStats[split]["passages"].get<int>() + int(kept.size());
    }
    out.write("docs/" + language + ".jsonl", docs.str());
    out.write("passages/" + language + ".jsonl", passages.str());
    if (!isPivot)
        for (Split s : kSplits) {
            std::string base = "bitext/" + language + "." + toString(s);
            out.write(base + ".tsv", bitext[s].str());
            out.write(base + ".ids", bitextIds[s].str());
        }
}

// One language's query sets and their qrels in every direction. Headings: every page indexed
// under the heading in that split is relevant. Returns the headings dropped as untranslated.
int writeQuerySets(const std::string& language, bool isPivot, const LanguageData& L,
                   std::map<std::string, LanguageData>& langs,
                   const std::map<std::string, std::string>& englishHeadingByQid, Writer& out,
                   std::map<Split, nlohmann::json>& splitStats) {
    const std::string& pivot = pivotLanguage();
    const LanguageData& en = langs.at(pivot);
    std::map<Split, std::vector<const IndexQuery*>> entriesBySplit;
    std::map<Split, std::map<std::string, std::set<std::string>>> headings;
    int untranslatedHeadings = 0;
    for (const auto& q : L.entries) {
        Split split = en.docs.at(q.docid).split;
        entriesBySplit[split].push_back(&q);
        auto enHeading = englishHeadingByQid.find(q.qid);
        if (!isPivot && enHeading != englishHeadingByQid.end() && enHeading->second == q.heading) {
            ++untranslatedHeadings;
            continue;
        }
        if (!q.heading.empty()) headings[split][q.heading].insert(q.docid);
    }
    // Directions: X -> English, X -> X (monolingual), English -> X (reverse).
    std::vector<std::string> docLangs = {pivot};
    if (!isPivot) docLangs.push_back(language);
    for (Split s : kSplits) {
        auto& qs = entriesBySplit[s];
        std::sort(qs.begin(), qs.end(), [](auto* a, auto* b) { return a->qid < b->qid; });
        std::ostringstream qEntries, qHeadings;
        for (auto* q : qs) qEntries << q->qid << '\t' << q->text << '\n';
        std::vector<std::pair<std::string, std::string>> headingQids;  // qid, heading
        for (const auto& [h, _] : headings[s])
            headingQids.emplace_back("h" + Sha256::hex(h).substr(0, 12), h);
        std::sort(headingQids.begin(), headingQids.end());
        for (const auto& [qid, h] : headingQids) qHeadings << qid << '\t' << h << '\n';
        std::string tag = std::string(".") + toString(s);
        out.write("queries/" + language + ".entries" + tag + ".tsv", qEntries.str());
        out.write("queries/" + language + ".headings" + tag + ".tsv", qHeadings.str());
        auto& st = splitStats[s];
        st["queries_entries"] = qs.size();
        st["queries_headings"] = headingQids.size();
        for (const auto& dl : docLangs) {
            const auto& targetDocs = langs[dl].docs;
            std::ostringstream rEntries, rHeadings;
            int nEntries = 0, nHeadings = 0;
            for (auto* q : qs)
                if (targetDocs.count(q->docid)) {
                    rEntries << q->qid << " 0 " << q->docid << " 1\n";
                    ++nEntries;
                }
            for (const auto& [qid, h] : headingQids)
                for (const auto& d : headings[s][h])
                    if (targetDocs.count(d)) {
                        rHeadings << qid << " 0 " << d << " 1\n";
                        ++nHeadings;
                    }
            std::string base = "qrels/" + language + "." + dl;
            out.write(base + ".entries" + tag + ".qrels", rEntries.str());
            out.write(base + ".headings" + tag + ".qrels", rHeadings.str());
            if (dl == pivot) {
                st["qrels_entries"] = nEntries;
                st["qrels_headings"] = nHeadings;
            }
        }
        if (!isPivot) {
            // Reverse direction: English queries against this language's pages.
            std::ostringstream rev;
            for (const auto& q : en.entries)
                if (en.docs.at(q.docid).split == s && L.docs.count(q.docid))
                    rev << q.qid << " 0 " << q.docid << " 1\n";
            out.write("qrels/" + pivot + "." + language + ".entries" + tag + ".qrels", rev.str());
        }
    }
    return untranslatedHeadings;
}

}  // namespace

CorpusBuildResult buildCorpus(const CorpusSettings& settings,
                              const std::vector<LanguageSource>& sources, const std::string& outDir,
                              const jobs::JobContext& ctx) {
    const std::string& pivot = pivotLanguage();
    auto englishSrc = std::find_if(sources.begin(), sources.end(),
                                   [&](const auto& s) { return s.language == pivot; });
    if (englishSrc == sources.end())
        throw std::runtime_error("corpus needs the pivot language " + pivot);

    Writer out(outDir);
    nlohmann::json stats = nlohmann::json::object(), dropped = nlohmann::json::object();
    const double perLang = 1.0 / double(sources.size() + 1);

    // English first: the collection every X query is judged against.
    std::map<std::string, LanguageData> langs;
    auto& en = langs[pivot];
    en.pages = parsePages(*englishSrc, ctx, 0, perLang);
    for (const auto& [page, hp] : en.pages) {
        if (hp.paragraphs.empty()) continue;
        Document d{docIdOfPage(page), hp.title, joinParagraphs(hp.paragraphs),
                   assignSplit(docIdOfPage(page), settings.split), hp.paragraphs};
        en.emptyParagraphs += hp.emptyParagraphs;
        en.docs.emplace(d.id, std::move(d));
    }
    std::set<std::string> englishIds;
    for (const auto& [id, _] : en.docs) englishIds.insert(id);
    auto bookmarksOf = [&](const LanguageSource& src) {
        std::string path = src.helpRoot + "/" + src.language + "/bookmarks.js";
        return parseBookmarks(fs::readFile(path), src.language, path);
    };
    en.entries = alignIndexEntries(bookmarksOf(*englishSrc), en.pages, englishIds, en.entryCounts);

    std::map<std::string, std::string> englishHeadingByQid;
    for (const auto& q : en.entries) englishHeadingByQid[q.qid] = q.heading;

    int langIndex = 0;
    for (const auto& src : sources) {
        ++langIndex;
        const bool isPivot = src.language == pivot;
        auto& L = langs[src.language];
        if (!isPivot) {
            L.pages = parsePages(src, ctx, perLang * langIndex, perLang * (langIndex + 1));
            L.entries = alignIndexEntries(bookmarksOf(src), L.pages, englishIds, L.entryCounts);
            L.entries = dropUntranslated(L.entries, en.entries, L.entryCounts);
        }
        ctx.checkCancelled();
        ctx.report(perLang * (langIndex + 1) - perLang * 0.1, src.language + ": writing");

        std::map<Split, nlohmann::json> splitStats;
        for (Split sp : kSplits)
            splitStats[sp] = {{"documents", 0}, {"passages", 0}, {"bitext_pairs", 0}};
        writeDocuments(src.language, isPivot, L, en, settings, out, splitStats);
        const int untranslatedHeadings =
            writeQuerySets(src.language, isPivot, L, langs, englishHeadingByQid, out, splitStats);
        nlohmann::json langStats;
        for (Split s : kSplits) langStats[toString(s)] = splitStats[s];
        const auto& c = L.entryCounts;
        langStats["entries_total"] = c.total;
        langStats["untranslated_share"] = c.total ? double(c.untranslated) / c.total : 0.0;
        stats[src.language] = langStats;
        dropped[src.language] = {{"entries_empty", c.empty},
                                 {"entries_unaligned", c.unaligned},
                                 {"entries_duplicate", c.duplicate},
                                 {"entries_missing_page", c.missingPage},
                                 {"entries_untranslated", c.untranslated},
                                 {"headings_untranslated", untranslatedHeadings},
                                 {"paragraphs_empty", L.emptyParagraphs},
                                 {"paragraphs_untranslated", L.untranslatedParagraphs},
                                 {"pages_untranslated", L.untranslatedPages}};
        // Pages are only needed while this language is written (English stays for alignment).
        if (!isPivot) L.pages.clear();
    }

    nlohmann::json sourcesJson = nlohmann::json::object();
    for (const auto& s : sources) sourcesJson[s.language] = s.provenance;
    nlohmann::json manifest = {{"name", settings.name},
                               {"builder_version", kBuilderVersion},
                               {"settings", settings.toJson()},
                               {"split_seed", settings.split.seed},
                               {"sources", sourcesJson},
                               {"stats", stats},
                               {"dropped", dropped}};
    const std::string hash = out.publish(manifest);
    ctx.report(1.0, "corpus written to " + outDir);
    return {outDir, hash, manifest};
}

}  // namespace clir::data
