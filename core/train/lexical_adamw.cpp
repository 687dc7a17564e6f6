// AdamW with lazy row updates (see lexical_adamw.h).
#include "core/train/lexical_adamw.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>

#include <cmath>
#include <stdexcept>

namespace clir::train {

at::Tensor LexicalAdamW::step(LossClosure closure) {
    at::Tensor loss;
    if (closure) {
        at::AutoGradMode enable(true);
        loss = closure();
    }
    {
        at::NoGradGuard noGrad;
        for (auto& group : param_groups()) {
            const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
            for (auto& p : group.params()) {
                if (!p.grad().defined() || !p.grad().is_sparse()) continue;
                lazyStep(p, options);
                p.mutable_grad() = at::Tensor();  // AdamW's step below skips it
            }
        }
    }
    torch::optim::AdamW::step();
    return loss;
}

void LexicalAdamW::lazyStep(at::Tensor& p, const torch::optim::AdamWOptions& options) {
    if (options.amsgrad()) throw std::logic_error("LexicalAdamW: amsgrad with sparse gradients");
    auto grad = p.grad().coalesce();
    const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
    auto found = state_.find(key);
    if (found == state_.end()) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        found = state_.emplace(key, std::move(fresh)).first;
    }
    auto& state = static_cast<torch::optim::AdamWParamState&>(*found->second);
    state.step(state.step() + 1);
    auto rows = grad._indices()[0];
    auto values = grad._values();
    if (rows.numel() == 0) return;
    const auto [beta1, beta2] = options.betas();
    const double correction1 = 1 - std::pow(beta1, double(state.step()));
    const double correction2 = 1 - std::pow(beta2, double(state.step()));
    // The same arithmetic as AdamW's dense step, on the touched rows only.
    auto m = state.exp_avg().index_select(0, rows).mul_(beta1).add_(values, 1 - beta1);
    auto v =
        state.exp_avg_sq().index_select(0, rows).mul_(beta2).addcmul_(values, values, 1 - beta2);
    state.exp_avg().index_copy_(0, rows, m);
    state.exp_avg_sq().index_copy_(0, rows, v);
    auto values0 = p.index_select(0, rows);
    auto updated = values0.mul(1 - options.lr() * options.weight_decay());
    auto denom = v.sqrt().div_(std::sqrt(correction2)).add_(options.eps());
    updated.addcdiv_(m, denom, -options.lr() / correction1);
    p.index_copy_(0, rows, updated);
}

int useSparseGradients(torch::nn::Module& module, const std::vector<at::Tensor>& tables) {
    auto listed = [&](const at::Tensor& weight) {
        for (const auto& t : tables)
            if (t.is_same(weight)) return true;
        return false;
    };
    std::vector<torch::nn::Module*> all{&module};
    for (const auto& child : module.modules(/*include_self=*/false)) all.push_back(child.get());
    int switched = 0;
    for (auto* child : all) {
        if (auto* e = dynamic_cast<torch::nn::EmbeddingImpl*>(child);
            e && listed(e->weight) && !e->options.max_norm()) {
            e->options.sparse(true);
            ++switched;
        } else if (auto* b = dynamic_cast<torch::nn::EmbeddingBagImpl*>(child);
                   b && listed(b->weight) && !b->options.max_norm()) {
            b->options.sparse(true);
            ++switched;
        }
    }
    return switched;
}

}  // namespace clir::train
