// Data-parallel training over LibTorch's c10d (SPEC 10): a Gloo process group on CPU with a
// TCPStore rendezvous at MASTER_ADDR:MASTER_PORT and the ranks of RANK / WORLD_SIZE (the
// variables torchrun and most launchers set), so the same code spans processes on one host or
// several hosts. Each rank computes gradients on its shard of a batch; averageGradients leaves
// every rank with the mean over ranks, dense and sparse (the lexical tables) alike, so a step
// equals one on the whole batch when the loss is a mean of per-example terms. LibTorch parts
// only; the jobs' wiring comes on top of this.
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
    // when the rendezvous or a peer does not answer within `timeout`.
    explicit DataParallel(const LaunchEnvironment& env,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));
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

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace clir::train
