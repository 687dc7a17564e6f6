// AdamW with lazy row updates for sparse gradients (TensorFlow's LazyAdam, PyTorch's
// SparseAdam): a parameter whose gradient is sparse (an embedding table trained with
// sparse(true)) updates its moments and values only at the rows the batch touched, so a step
// costs the batch's rows, not the 2^18 x d n-gram table. Dense gradients take AdamW's own
// step. The moments live in AdamW's per-parameter state, so checkpoints and resume are
// unchanged. LibTorch parts only.
#pragma once

#include <torch/optim/adamw.h>

#include <vector>

namespace torch::nn {
class Module;
}

namespace clir::train {

class LexicalAdamW : public torch::optim::AdamW {
  public:
    using torch::optim::AdamW::AdamW;
    at::Tensor step(LossClosure closure = nullptr) override;

  private:
    void lazyStep(at::Tensor& param, const torch::optim::AdamWOptions& options);
};

// Switches the word-embedding and character n-gram tables of `module` whose weights are in
// `tables` to sparse gradients (the lazy rows of LexicalAdamW). Returns how many it switched.
int useSparseGradients(torch::nn::Module& module, const std::vector<at::Tensor>& tables);

}  // namespace clir::train
