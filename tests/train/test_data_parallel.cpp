// Data-parallel training over c10d (core/train/data_parallel.h): two processes on loopback, each
// with half of a batch, end with the gradients one process computes on the whole batch (dense
// and sparse, the lexical tables' kind), broadcast makes rank 0's values everyone's, and the
// launcher variables are read with errors naming the variable.
#include <torch/nn/module.h>  // LibTorch before Qt
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/serialize.h>

#include <QtTest>

#include <QTemporaryDir>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/train/data_parallel.h"

using namespace clir;

namespace {

// A port nothing listens on now (the kernel's pick for a socket bound to port 0).
int freePort() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(s);
    return ntohs(a.sin_port);
}

struct Tiny : torch::nn::Module {
    Tiny() {
        torch::manual_seed(7);
        table = register_module(
            "table", torch::nn::Embedding(torch::nn::EmbeddingOptions(30, 4).sparse(true)));
        out = register_module("out", torch::nn::Linear(4, 2));
    }
    // Mean over the examples of a per-example loss: rows [i0, i1) of the batch.
    at::Tensor loss(const at::Tensor& ids, const at::Tensor& targets) {
        return (out(table(ids).mean(1)) - targets).pow(2).sum(1).mean();
    }
    torch::nn::Embedding table{nullptr};
    torch::nn::Linear out{nullptr};
};

at::Tensor batchIds() {
    return at::tensor(
               {1, 2, 3, 4, 5, 6, 1, 1, 7, 8, 9, 2, 3, 3, 10, 11, 12, 13, 20, 21, 2, 5, 6, 7},
               at::kLong)
        .view({8, 3});
}

at::Tensor batchTargets() {
    return at::linspace(-1, 1, 16).view({8, 2});
}

}  // namespace

class TestDataParallel : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

  private slots:
    void twoRanksEqualOneProcessOnTheWholeBatch() {
        // Two processes over loopback, four examples each (forked before this process runs
        // any LibTorch work: a fork after OpenMP's threads started could hang).
        const int port = freePort();
        std::vector<pid_t> children;
        for (int rank = 0; rank < 2; ++rank) {
            pid_t pid = ::fork();
            if (pid == 0) {
                int code = 1;
                try {
                    train::LaunchEnvironment env;
                    env.rank = rank;
                    env.worldSize = 2;
                    env.masterPort = port;
                    train::DataParallel dp(env, std::chrono::seconds(30));
                    Tiny net;
                    // Rank 1 starts elsewhere: broadcast gives it rank 0's parameters.
                    if (rank == 1) {
                        torch::NoGradGuard g;
                        for (auto& p : net.parameters()) p.add_(1.0);
                    }
                    dp.broadcast(net.parameters());
                    auto rows = at::arange(rank * 4, rank * 4 + 4, at::kLong);
                    net.loss(batchIds().index_select(0, rows), batchTargets().index_select(0, rows))
                        .backward();
                    dp.averageGradients(net.parameters());
                    dp.barrier();
                    torch::save(
                        std::vector<at::Tensor>{net.table->weight.grad().to_dense(),
                                                net.out->weight.grad(), net.out->weight.detach()},
                        tmp_.filePath(QString("rank%1.pt").arg(rank)).toStdString());
                    code = 0;
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
                }
                ::_exit(code);
            }
            children.push_back(pid);
        }
        for (pid_t pid : children) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a rank failed");
        }
        // One process, the whole batch.
        Tiny whole;
        whole.loss(batchIds(), batchTargets()).backward();
        const auto tableGrad = whole.table->weight.grad().to_dense();
        const auto outGrad = whole.out->weight.grad().clone();
        for (int rank = 0; rank < 2; ++rank) {
            std::vector<at::Tensor> got;
            torch::load(got, tmp_.filePath(QString("rank%1.pt").arg(rank)).toStdString());
            QVERIFY2(torch::allclose(got[0], tableGrad, 1e-6, 1e-7),
                     qPrintable(QString("rank %1: the sparse table's gradient").arg(rank)));
            QVERIFY2(torch::allclose(got[1], outGrad, 1e-6, 1e-7),
                     qPrintable(QString("rank %1: the dense gradient").arg(rank)));
            QVERIFY(torch::equal(got[2], whole.out->weight.detach()));  // rank 0's start
        }
    }

    void launcherVariables() {
        qputenv("WORLD_SIZE", "4");
        qputenv("RANK", "3");
        qputenv("MASTER_ADDR", "10.0.0.2");
        qputenv("MASTER_PORT", "29600");
        auto e = train::LaunchEnvironment::fromEnvironment();
        QCOMPARE(e.rank, 3);
        QCOMPARE(e.worldSize, 4);
        QCOMPARE(e.masterAddress, std::string("10.0.0.2"));
        QCOMPARE(e.masterPort, 29600);
        QVERIFY(e.distributed());
        auto errorOf = [] {
            try {
                train::LaunchEnvironment::fromEnvironment();
            } catch (const std::exception& x) {
                return std::string(x.what());
            }
            return std::string();
        };
        qputenv("RANK", "4");
        QVERIFY2(errorOf().find("RANK=4: must be below WORLD_SIZE=4") != std::string::npos,
                 errorOf().c_str());
        qputenv("RANK", "x1");
        QVERIFY2(errorOf().find("environment variable RANK='x1'") != std::string::npos,
                 errorOf().c_str());
        for (const char* v : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) qunsetenv(v);
        QVERIFY(!train::LaunchEnvironment::fromEnvironment().distributed());
    }
};

QTEST_GUILESS_MAIN(TestDataParallel)
#include "test_data_parallel.moc"
