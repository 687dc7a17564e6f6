// Live alignment (see live_alignment.h).
#include "core/train/live_alignment.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "core/model/checkpoint.h"
#include "core/model/retrieval_model.h"
#include "core/model/tokenizer.h"
#include "core/train/retrieval_losses.h"
#include "core/util/text.h"

namespace clir::train {

store::AlignmentRecord alignSentences(const std::string& checkpoint, const std::string& english,
                                      const std::string& other,
                                      const LiveAlignmentOptions& options) {
    if (text::trim(english).empty()) throw std::invalid_argument("the English sentence is empty");
    if (text::trim(other).empty())
        throw std::invalid_argument("the other-language sentence is empty");
    auto meta = model::readCheckpointMeta(checkpoint);
    if (meta.kind != "retrieval")
        throw std::runtime_error(checkpoint + ": a checkpoint of kind '" + meta.kind +
                                 "', not a retrieval model (kind 'retrieval')");
    model::Tokenizer tok(meta.tokenizerPath);
    model::RetrievalModel net(meta.encoder);
    net->encoder->setPieces(tok.vocabulary());
    model::loadCheckpoint(checkpoint, *net, meta.encoder, "retrieval", nullptr, {"", tok.hash()});
    net->eval();
    torch::NoGradGuard noGrad;
    const retrieval::TokenEncoder tower = [&](const at::Tensor& ids, const at::Tensor& mask) {
        return net->forward(ids, mask);
    };
    ot::SinkhornOptions sinkhorn;
    sinkhorn.epsilon = options.epsilon;
    const auto length = std::size_t(options.maxLength);
    return alignmentOf(tower, tower, tok, tok.encode(english, length), tok.encode(other, length),
                       sinkhorn, c10::Device(c10::kCPU));
}

}  // namespace clir::train
