#include "cpu_test_support.hpp"
#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <chrono>
#include <cstdint>

using hearth::cpu::thread_pool;

TEST_CASE("thread_pool: every index is visited exactly once, in contiguous chunks", "[cpu][thread_pool]") {
    for (unsigned threads : {1u, 2u, 3u, 5u}) {
        thread_pool pool(threads);
        REQUIRE(pool.size() == threads);
        for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{100}, std::size_t{1001}}) {
            for (std::size_t grain : {std::size_t{1}, std::size_t{4}, std::size_t{16}}) {
                std::vector<std::atomic<int>> hits(n);
                // Catch2's assertions are not thread-safe: workers record, the test thread checks.
                struct chunk { unsigned index; std::size_t begin, end; };
                std::mutex m;
                std::vector<chunk> chunks;
                pool.parallel_for(
                    n,
                    [&](unsigned index, std::size_t b, std::size_t e) {
                        for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
                        std::lock_guard<std::mutex> lock(m);
                        chunks.push_back({index, b, e});
                    },
                    grain);
                for (const auto& c : chunks) {
                    CHECK(c.begin < c.end);
                    CHECK(c.end <= n);
                    CHECK(c.index < threads);
                    CHECK(c.begin % grain == 0);  // chunk starts are multiples of the grain
                }
                for (std::size_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
                // Pieces shrink geometrically: a handful per thread, never more than grain units.
                const std::size_t units = (n + grain - 1) / grain;
                CHECK(chunks.size() <= units);
                if (units > 1000) CHECK(chunks.size() <= units / 4);
            }
        }
    }
}

TEST_CASE("thread_pool: each thread starts on its own contiguous share", "[cpu][thread_pool]") {
    // The first piece a thread runs is the front of its own share of the units (a quarter of
    // what is left of it: [100t, 100t + 25) when nobody stole from it yet), unless another
    // thread stole all of that share first: then it only steals. The caller is no exception:
    // under qemu, workers have finished the whole job before the caller claimed a piece. The
    // first piece claimed at all is always a whole quarter of an untouched share (nobody can
    // steal before running out of their own).
    thread_pool pool(3);
    std::mutex m;
    std::vector<std::pair<std::size_t, std::size_t>> first(3, {SIZE_MAX, 0});
    pool.parallel_for(300, [&](unsigned t, std::size_t b, std::size_t e) {
        std::lock_guard<std::mutex> lock(m);
        if (first[t].first == SIZE_MAX) first[t] = {b, e};
    });
    bool untouched_quarter = false;
    for (unsigned t = 0; t < 3; ++t) {
        if (first[t].first == SIZE_MAX) continue;  // a thread that came after the job ended
        INFO("thread " << t << " first ran [" << first[t].first << ", " << first[t].second << ")");
        const bool own_front =
            first[t].first == 100 * t && first[t].second > 100 * t && first[t].second <= 100 * t + 25;
        const bool stolen_back = first[t].second % 100 == 0 || first[t].second > 100 * t + 100 ||
                                 first[t].second <= 100 * t;
        CHECK((own_front || stolen_back));
        untouched_quarter |= first[t] == std::pair<std::size_t, std::size_t>{100 * t, 100 * t + 25};
    }
    CHECK(untouched_quarter);
}

TEST_CASE("thread_pool: a thread that runs out steals from the back of a slow one's share", "[cpu][thread_pool]") {
    // Thread 1 is slow on every piece: thread 0 must end up running more than its half.
    thread_pool pool(2);
    std::atomic<std::size_t> ran0{0}, ran1{0};
    pool.parallel_for(64, [&](unsigned t, std::size_t b, std::size_t e) {
        if (t == 1) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            ran1 += e - b;
        } else {
            ran0 += e - b;
        }
    });
    CHECK(ran0.load() + ran1.load() == 64);
    CHECK(ran0.load() > 32);
}

TEST_CASE("thread_pool: running threads take over the share of a thread that is held up", "[cpu][thread_pool]") {
    // Thread 1's first piece blocks until every other index has run: with one fixed chunk per
    // thread this would deadlock; with stealing the others finish the job around it.
    thread_pool pool(2);
    std::atomic<int> finished{0};
    std::atomic<bool> held{false};
    const int total = 64;
    pool.parallel_for(total, [&](unsigned thread, std::size_t b, std::size_t e) {
        const int n = static_cast<int>(e - b);
        if (thread == 1 && !held.exchange(true)) {
            while (finished.load() < total - n) std::this_thread::yield();
        }
        finished.fetch_add(n);
    });
    CHECK(finished.load() == total);
}

TEST_CASE("thread_pool: many small jobs in a row (workers park and wake)", "[cpu][thread_pool]") {
    thread_pool pool(3);
    std::atomic<long> total{0};
    for (int job = 0; job < 2000; ++job)
        pool.parallel_for(6, [&](unsigned, std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) total.fetch_add(static_cast<long>(i));
        });
    CHECK(total.load() == 2000L * 15);
}

TEST_CASE("thread_pool: an exception in a worker reaches the caller, the pool stays usable", "[cpu][thread_pool]") {
    thread_pool pool(3);
    // The caller's chunk waits until a worker has run one, so a worker surely throws.
    std::atomic<bool> worker_ran{false};
    CHECK_THROWS_AS(pool.parallel_for(30,
                                      [&](unsigned i, std::size_t, std::size_t) {
                                          if (i == 0) {
                                              while (!worker_ran.load()) std::this_thread::yield();
                                              return;
                                          }
                                          worker_ran = true;
                                          throw std::runtime_error("worker failed");
                                      }),
                    std::runtime_error);
    std::atomic<int> n{0};
    pool.parallel_for(30, [&](unsigned, std::size_t b, std::size_t e) { n += static_cast<int>(e - b); });
    CHECK(n.load() == 30);
}

TEST_CASE("thread_pool: a nested parallel_for runs inline instead of deadlocking", "[cpu][thread_pool]") {
    thread_pool pool(2);
    std::atomic<int> n{0};
    std::atomic<int> nonzero_inner{0};
    pool.parallel_for(4, [&](unsigned, std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i)
            pool.parallel_for(10, [&](unsigned inner, std::size_t b2, std::size_t e2) {
                if (inner != 0) ++nonzero_inner;
                n += static_cast<int>(e2 - b2);
            });
    });
    CHECK(n.load() == 40);
    CHECK(nonzero_inner.load() == 0);
}

TEST_CASE("thread_pool: zero threads means one; empty ranges do nothing", "[cpu][thread_pool]") {
    thread_pool pool(0);
    CHECK(pool.size() == 1);
    bool called = false;
    pool.parallel_for(0, [&](unsigned, std::size_t, std::size_t) { called = true; });
    CHECK_FALSE(called);
}
