/* One persistent pool of worker threads shared by every kernel.
 *
 * Sized to the machine's cores (std::thread::hardware_concurrency), overridable
 * with the environment variable R1_NUM_THREADS or set_num_threads(). A
 * parallel_for issued from inside a worker runs inline, so kernels may nest
 * without deadlock. Work is split into at most num_threads() contiguous
 * ranges, so the split (and therefore every reduction order) depends only on
 * the thread count: the same inputs and thread count give bit-identical output.
 */
#pragma once

#include <cstdint>
#include <functional>

namespace r1 {

// fn(begin, end) is called on disjoint ranges that cover [0, n).
using RangeFn = std::function<void(int64_t begin, int64_t end)>;

int num_threads();
// Resizes the pool (n >= 1). Not to be called while kernels run.
void set_num_threads(int n);

// Splits [0, n) into at most num_threads() ranges of at least `grain` items
// and runs them on the pool (the caller's thread takes one range). Blocks
// until all ranges are done. Exceptions thrown by fn are rethrown here.
void parallel_for(int64_t n, int64_t grain, const RangeFn& fn);

// Like parallel_for but gives each range its worker index in [0, num_threads())
// so callers can keep per-thread scratch buffers.
void parallel_for_indexed(int64_t n, int64_t grain,
                          const std::function<void(int thread_index, int64_t begin, int64_t end)>& fn);

// Runs task(i) for i in [0, count) on the pool, handing tasks out one at a
// time, so a core slowed by other work simply takes fewer of them. Use it when
// each task writes disjoint output: results then do not depend on which
// thread ran what.
void parallel_tasks(int64_t count, const std::function<void(int64_t task)>& fn);

}  // namespace r1
