/* Persistent thread pool: workers sleep on a condition variable between jobs. */
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace r1 {
namespace {

thread_local bool tls_in_worker = false;

// One parallel job. Workers hold it through a shared_ptr, so a worker that
// wakes late only ever sees its own job's counter, never the next job's.
struct Job {
  const std::function<void(int)>* task;
  int count;
  std::atomic<int> next_index{1};  // index 0 belongs to the caller
  std::atomic<int> pending;
  std::mutex mutex;
  std::condition_variable done;
  std::exception_ptr error;

  Job(const std::function<void(int)>* t, int n) : task(t), count(n), pending(n) {}

  // Claims and runs indices until none are left.
  void drain() {
    for (int i; (i = next_index.fetch_add(1)) < count;) run_one(i);
  }

  void run_one(int i) {
    try {
      (*task)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
    if (pending.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(mutex);
      done.notify_all();
    }
  }
};

class ThreadPool {
 public:
  explicit ThreadPool(int n) { start(n); }
  ~ThreadPool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Waits for a running job, so a resize never pulls threads out from under it.
  void resize(int n) {
    std::lock_guard<std::mutex> serial(run_mutex_);
    stop();
    start(n);
  }

  // Runs task(i) for i in [0, count); the caller takes index 0 and helps drain.
  void run(int count, const std::function<void(int)>& task) {
    if (count <= 1 || tls_in_worker || workers_.empty()) {
      for (int i = 0; i < count; ++i) task(i);
      return;
    }
    std::lock_guard<std::mutex> serial(run_mutex_);  // one job at a time
    auto job = std::make_shared<Job>(&task, count);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = job;
      ++generation_;
    }
    wake_.notify_all();
    job->run_one(0);
    job->drain();
    {
      std::unique_lock<std::mutex> lock(job->mutex);
      job->done.wait(lock, [&] { return job->pending.load() == 0; });
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_.reset();
    }
    if (job->error) std::rethrow_exception(job->error);
  }

 private:
  void start(int n) {
    stopping_ = false;
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void worker_loop() {
    tls_in_worker = true;
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        job = job_;
      }
      if (job) job->drain();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<Job> job_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

int default_thread_count() {
  if (const char* env = std::getenv("R1_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

ThreadPool& pool() {
  static ThreadPool instance(default_thread_count());
  return instance;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(std::max(1, std::min(n, 256))); }

void parallel_for_indexed(int64_t n, int64_t grain,
                          const std::function<void(int, int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t parts = std::min<int64_t>(num_threads(), (n + grain - 1) / grain);
  if (parts <= 1 || tls_in_worker) {
    fn(0, 0, n);
    return;
  }
  int64_t base = n / parts, extra = n % parts;
  pool().run(static_cast<int>(parts), [&](int i) {
    int64_t begin = i * base + std::min<int64_t>(i, extra);
    int64_t end = begin + base + (i < extra ? 1 : 0);
    fn(i, begin, end);
  });
}

void parallel_tasks(int64_t count, const std::function<void(int64_t)>& fn) {
  if (count <= 0) return;
  if (count == 1 || tls_in_worker || num_threads() == 1) {
    for (int64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  pool().run(static_cast<int>(count), [&](int i) { fn(i); });
}

void parallel_for(int64_t n, int64_t grain, const RangeFn& fn) {
  parallel_for_indexed(n, grain, [&](int, int64_t b, int64_t e) { fn(b, e); });
}

}  // namespace r1
