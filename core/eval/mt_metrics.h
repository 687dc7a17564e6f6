// Translation quality as sacreBLEU 2.x computes it by default: chrF (Popović 2015; character
// 6-grams with whitespace removed, beta = 2, precision and recall averaged over the orders
// present, then the F-score) and corpus BLEU (Papineni et al. 2002; the 13a tokenizer, clipped
// n-gram counts up to 4 summed over the corpus, 'exp' smoothing, brevity penalty against the
// closest reference length). Scores are 0..100. Input is UTF-8; characters are code points.
#pragma once

#include <string>
#include <vector>

namespace clir::eval {

// sacreBLEU's default "13a" tokenization (mteval-v13a): a few entities unescaped, punctuation
// split off, periods and commas split unless next to a digit, dashes after digits split.
std::string tokenize13a(const std::string& line);

// hypotheses[i] is scored against references[r][i] for every reference stream r. Throws
// std::invalid_argument when a reference stream's length differs from the hypotheses'.
double corpusChrf(const std::vector<std::string>& hypotheses,
                  const std::vector<std::vector<std::string>>& references, int order = 6,
                  double beta = 2.0);

struct BleuScore {
    double score = 0;
    std::vector<long long> correct, total;  // per n-gram order
    double brevityPenalty = 1;
    long long hypothesisLength = 0, referenceLength = 0;
};

BleuScore corpusBleu(const std::vector<std::string>& hypotheses,
                     const std::vector<std::vector<std::string>>& references);

}  // namespace clir::eval
