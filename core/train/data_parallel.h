// Data-parallel training over LibTorch's c10d (SPEC 10): a Gloo process group on CPU with a
// TCPStore rendezvous at MASTER_ADDR:MASTER_PORT and the ranks of RANK / WORLD_SIZE (the
// variables torchrun and most launchers set), so the same code spans processes on one host or
// several hosts. Each rank computes gradients on its shard of a batch; averageGradients leaves
// every rank with the mean over ranks, dense and sparse (the lexical tables) alike, so a step
// equals one on the whole batch when the loss is a mean of per-example terms; gatherRows shares
// in-batch negatives. The training loop and the retrieval methods use it through
// JobContext::parallel; `clirlab run --nproc N` starts the ranks (app/cli/parallel_launch).
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace clir::train {

struct LaunchEnvironment {
    int rank = 0, worldSize = 1;
    std::string masterAddress = "127.0.0.1";
    int masterPort = 29500;
    bool distributed() const { return worldSize > 1; }
    // From RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (each optional: one process when
    // WORLD_SIZE is unset). Throws std::runtime_error naming the variable and its value.
    static LaunchEnvironment fromEnvironment();
};

class DataParallel {
  public:
    // Joins the group (rank 0 serves the store); throws std::runtime_error naming the address
    // when the rendezvous does not complete within `rendezvous`. A collective waits up to
    // `operations` for its peers (rank 0 evaluates dev alone while the others wait); a peer
    // that dies ends the waiting collective at once with an error.
    explicit DataParallel(const LaunchEnvironment& env,
                          std::chrono::milliseconds rendezvous = std::chrono::seconds(60),
                          std::chrono::milliseconds operations = std::chrono::minutes(30));
    ~DataParallel();
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;

    int rank() const;
    int worldSize() const;
    // Every parameter's gradient becomes the mean of the ranks' gradients (parameters without
    // a gradient on every rank are skipped everywhere: a rank must not differ in which have one).
    void averageGradients(const std::vector<at::Tensor>& params);
    // Copies rank `root`'s values of `tensors` into every rank's.
    void broadcast(const std::vector<at::Tensor>& tensors, int root = 0);
    void barrier();
    // Sums `t` over the ranks, in place (tensors on any device: staged through the CPU).
    void allReduceSum(at::Tensor& t);
    // The mean over the ranks of each value (every rank passes as many, in the same order).
    std::vector<double> average(const std::vector<double>& values);
    // Rank 0's value on every rank.
    bool broadcastFlag(bool value);
    void broadcastText(std::string& text);
    // The ranks' `local` tensors (the same shape on every rank) stacked along dim 0 in rank
    // order, differentiable: the gradient of each rank's rows is the sum over ranks of the
    // gradients flowing into them, so a loss that reads other ranks' rows trains them too.
    at::Tensor gatherRows(const at::Tensor& local);
    // A value in the rendezvous store for the other ranks; lookup waits until it is there.
    void publish(const std::string& key, const std::string& value);
    std::string lookup(const std::string& key);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace clir::train
