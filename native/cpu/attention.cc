/* CPU causal grouped-query attention: forward, backward and KV-cache decode.
 *
 * Work is cut into tiles. A tile's query rows are (token, head-in-group) pairs
 * of one KV group, token-major, so each K/V tile serves every query head that
 * reads it. Per tile the work is a few small products,
 *   S = Q·Kᵀ, O += P·V                                      (forward)
 *   S, dP = dO·Vᵀ, dV += Pᵀ·dO, dK += dSᵀ·Q, dQ += dS·K     (backward)
 * done by the register-blocked tile operations of attention_tiles.h. K and V
 * are packed into zero-padded tiles once per call, so every product has a
 * column count that is a multiple of 8 and no tile is packed twice.
 *
 * Tasks go to the thread pool through a shared counter (dynamic schedule,
 * largest first). Each task writes only its own outputs and sums in a fixed
 * order, so results do not depend on which thread runs which task.
 */
#include "../kernels/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

#include "../common/thread_pool.h"
#include "attention_tiles.h"

namespace r1 {
namespace {

using attention_tiles::kKeyBlock;
using attention_tiles::round8;
using attention_tiles::TileOps;

const TileOps& ops() { return attention_tiles::tile_ops(); }

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// ---- tiling helpers ----------------------------------------------------------------

// Query tokens per tile: a power of two dividing kKeyBlock, so a query tile never
// straddles a key tile, with about 128 (token, head) rows per tile.
int query_block(int group) {
  int bq = kKeyBlock;
  while (bq > 1 && bq * group > 128) bq /= 2;
  return bq;
}

// Runs fn(task, scratch) for every task in `order`, handing tasks out through a shared
// counter. Scratch is per thread, created inside the range callback.
template <class Scratch, class Fn>
void run_dynamic(const std::vector<int64_t>& order, Fn&& fn) {
  const int64_t count = static_cast<int64_t>(order.size());
  if (count == 0) return;
  std::atomic<int64_t> next{0};
  const int64_t workers = std::min<int64_t>(num_threads(), count);
  parallel_for(workers, 1, [&](int64_t, int64_t) {
    Scratch scratch;
    for (int64_t i; (i = next.fetch_add(1)) < count;) fn(order[i], scratch);
  });
}

// Task indices sorted by decreasing cost (stable, so the order is reproducible).
std::vector<int64_t> largest_first(const std::vector<double>& cost) {
  std::vector<int64_t> order(cost.size());
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return cost[a] > cost[b]; });
  return order;
}

// Packing of nv <= kKeyBlock key rows src (row stride `stride`) into one tile, zero
// padded to n = round8(nv) keys so padded lanes and rows are exactly 0:
// transposed (Dh, kKeyBlock) for Q·Kᵀ and dO·Vᵀ ...
void pack_transposed(float* dst, const float* src, int64_t stride, int nv, int dh) {
  const int n = round8(nv);
  for (int d = 0; d < dh; ++d) {
    float* row = dst + d * kKeyBlock;
    for (int j = 0; j < nv; ++j) row[j] = src[j * stride + d];
    std::fill(row + nv, row + n, 0.0f);
  }
}

// ... or row-major (n, dhp) for P·V and dS·K.
void pack_rows(float* dst, const float* src, int64_t stride, int nv, int dh, int dhp) {
  const int n = round8(nv);
  for (int j = 0; j < n; ++j) {
    float* row = dst + j * dhp;
    if (j < nv) {
      std::memcpy(row, src + j * stride, sizeof(float) * dh);
      std::fill(row + dh, row + dhp, 0.0f);
    } else {
      std::fill(row, row + dhp, 0.0f);
    }
  }
}

// Key tiles of every (sequence, KV head), packed once per call and shared by all tasks.
// Tile kb of (seq, hkv) starts at ((first_tile[seq] + kb) * Hkv + hkv) * tile_floats.
struct PackedKeys {
  int64_t tile_floats = 0;
  int hkv = 0;
  std::vector<int64_t> first_tile;           // (S+1)
  std::vector<float> kt, vt, krows, vrows;   // the layouts a pass asked for
  const float* tile(const std::vector<float>& buf, int64_t seq, int hkv_index) const {
    return buf.data() + (first_tile[seq] * hkv + hkv_index) * tile_floats;
  }
  int64_t tile_stride() const { return hkv * tile_floats; }  // between a head's tiles
};

enum PackWhat { kKt = 1, kVt = 2, kKrows = 4, kVrows = 8 };

PackedKeys pack_keys(const float* k, const float* v, const AttentionShape& shape, int what) {
  const int Hkv = shape.num_kv_heads, dh = shape.head_dim, dhp = round8(dh);
  PackedKeys pk;
  pk.tile_floats = int64_t(dhp) * kKeyBlock;
  pk.hkv = Hkv;
  pk.first_tile.assign(shape.num_seqs + 1, 0);
  for (int64_t s = 0; s < shape.num_seqs; ++s) {
    const int64_t len = shape.cu_seqlens[s + 1] - shape.cu_seqlens[s];
    pk.first_tile[s + 1] = pk.first_tile[s] + (len + kKeyBlock - 1) / kKeyBlock;
  }
  const int64_t tiles = pk.first_tile[shape.num_seqs];
  const size_t floats = size_t(tiles * Hkv * pk.tile_floats);
  if (what & kKt) pk.kt.resize(floats);
  if (what & kVt) pk.vt.resize(floats);
  if (what & kKrows) pk.krows.resize(floats);
  if (what & kVrows) pk.vrows.resize(floats);
  // One item per (tile, KV head); the sequence of a tile is found by bisection.
  parallel_for(tiles * Hkv, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t tile = i / Hkv;
      const int h = static_cast<int>(i % Hkv);
      const int64_t s = std::upper_bound(pk.first_tile.begin(), pk.first_tile.end(), tile) -
                        pk.first_tile.begin() - 1;
      const int64_t t0 = shape.cu_seqlens[s], len = shape.cu_seqlens[s + 1] - t0;
      const int64_t k0 = (tile - pk.first_tile[s]) * kKeyBlock;
      const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, len - k0));
      const int64_t stride = int64_t(Hkv) * dh, src = ((t0 + k0) * Hkv + h) * dh;
      const size_t dst = size_t(i * pk.tile_floats);
      if (what & kKt) pack_transposed(pk.kt.data() + dst, k + src, stride, nv, dh);
      if (what & kVt) pack_transposed(pk.vt.data() + dst, v + src, stride, nv, dh);
      if (what & kKrows) pack_rows(pk.krows.data() + dst, k + src, stride, nv, dh, dhp);
      if (what & kVrows) pack_rows(pk.vrows.data() + dst, v + src, stride, nv, dh, dhp);
    }
  });
  return pk;
}

// Copies nt tokens × g heads of a (tokens, heads, Dh) tensor into rows (nt·g, dhp).
void load_rows(float* rows, const float* src, int64_t token_stride, int nt, int g, int dh,
               int dhp) {
  for (int t = 0; t < nt; ++t) {
    for (int h = 0; h < g; ++h) {
      float* dst = rows + (t * g + h) * dhp;
      std::memcpy(dst, src + t * token_stride + h * dh, sizeof(float) * dh);
      std::fill(dst + dh, dst + dhp, 0.0f);
    }
  }
}

// ---- forward -----------------------------------------------------------------------

struct ForwardScratch {
  std::vector<float> q, o, s, m, l;
  std::vector<float> kt, vrows;  // decode only: this task's packed cache
  void reserve(int rows, int dhp) {
    q.resize(rows * dhp);
    o.resize(rows * dhp);
    s.resize(rows * kKeyBlock);
    m.resize(rows);
    l.resize(rows);
  }
};

// One query tile: nt tokens at sequence positions pos0 .. pos0+nt-1, g heads each,
// against keys 0 .. pos0+nt-1 of one KV head. Pointers address the first token and
// the group's first head; row (t, h) of q/out is at t*q_stride + h*Dh.
struct QueryTile {
  const float* q;
  float* out;
  float* lse;            // may be null; row (t, h) at t*lse_stride + h
  int64_t q_stride, lse_stride;
  int nt;
  int64_t pos0;
  const float* kt;       // packed key tile 0 of this KV head: transposed K, row-major V,
  const float* vrows;    // tile kb at kb * tile_stride
  int64_t tile_stride;
};

void forward_tile(const QueryTile& tile, int g, int dh, float scale, ForwardScratch& ws) {
  const TileOps& op = ops();
  const int dhp = round8(dh), rows = tile.nt * g;
  ws.reserve(rows, dhp);
  load_rows(ws.q.data(), tile.q, tile.q_stride, tile.nt, g, dh, dhp);
  std::fill(ws.o.begin(), ws.o.begin() + rows * dhp, 0.0f);
  std::fill(ws.m.begin(), ws.m.begin() + rows, kNegInf);
  std::fill(ws.l.begin(), ws.l.begin() + rows, 0.0f);
  const int64_t num_keys = tile.pos0 + tile.nt;
  for (int64_t k0 = 0; k0 < num_keys; k0 += kKeyBlock) {
    const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, num_keys - k0));
    const int n = round8(nv);
    const int64_t off = (k0 / kKeyBlock) * tile.tile_stride;
    // S (rows, n) = Q (rows, Dh) · Kᵀ (Dh, n)
    op.gemm(rows, n, dh, ws.q.data(), dhp, 1, tile.kt + off, kKeyBlock, ws.s.data(), kKeyBlock,
            false);
    for (int r = 0; r < rows; ++r) {
      const int64_t visible = tile.pos0 + r / g - k0 + 1;  // causal: keys <= own position
      const int valid = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(nv, visible)));
      const float alpha = op.softmax(ws.s.data() + r * kKeyBlock, n, valid, scale, &ws.m[r],
                                     &ws.l[r]);
      if (alpha != 1.0f) {
        float* orow = ws.o.data() + r * dhp;
        for (int d = 0; d < dhp; ++d) orow[d] *= alpha;
      }
    }
    // O (rows, Dh) += P (rows, n) · V (n, Dh)
    op.gemm(rows, dhp, n, ws.s.data(), kKeyBlock, 1, tile.vrows + off, dhp, ws.o.data(), dhp,
            true);
  }
  for (int t = 0; t < tile.nt; ++t) {
    for (int h = 0; h < g; ++h) {
      const int r = t * g + h;
      const float inv = 1.0f / ws.l[r];
      float* dst = tile.out + t * tile.q_stride + h * dh;
      const float* orow = ws.o.data() + r * dhp;
      for (int d = 0; d < dh; ++d) dst[d] = orow[d] * inv;
      if (tile.lse) tile.lse[t * tile.lse_stride + h] = ws.m[r] + std::log(ws.l[r]);
    }
  }
}

}  // namespace

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const AttentionShape& shape) {
  const int H = shape.num_heads, Hkv = shape.num_kv_heads, dh = shape.head_dim;
  const int g = H / Hkv, bq = query_block(g);
  struct Task {
    int64_t seq, q0;
    int hkv;
  };
  std::vector<Task> tasks;
  std::vector<double> cost;
  for (int64_t s = 0; s < shape.num_seqs; ++s) {
    const int64_t len = shape.cu_seqlens[s + 1] - shape.cu_seqlens[s];
    for (int hkv = 0; hkv < Hkv; ++hkv) {
      for (int64_t q0 = 0; q0 < len; q0 += bq) {
        tasks.push_back({s, q0, hkv});
        cost.push_back(static_cast<double>(std::min<int64_t>(q0 + bq, len)));
      }
    }
  }
  const PackedKeys pk = pack_keys(k, v, shape, kKt | kVrows);
  run_dynamic<ForwardScratch>(largest_first(cost), [&](int64_t i, ForwardScratch& ws) {
    const Task& task = tasks[i];
    const int64_t t0 = shape.cu_seqlens[task.seq], len = shape.cu_seqlens[task.seq + 1] - t0;
    const int64_t tok = t0 + task.q0;
    QueryTile tile;
    tile.q = q + (tok * H + task.hkv * g) * dh;
    tile.out = out + (tok * H + task.hkv * g) * dh;
    tile.lse = lse + tok * H + task.hkv * g;
    tile.q_stride = int64_t(H) * dh;
    tile.lse_stride = H;
    tile.nt = static_cast<int>(std::min<int64_t>(bq, len - task.q0));
    tile.pos0 = task.q0;
    tile.kt = pk.tile(pk.kt, task.seq, task.hkv);
    tile.vrows = pk.tile(pk.vrows, task.seq, task.hkv);
    tile.tile_stride = pk.tile_stride();
    forward_tile(tile, g, dh, shape.scale, ws);
  });
}

void attention_decode_forward(float* out, float* lse, const float* q, const float* k_cache,
                              const float* v_cache, const AttentionDecodeShape& shape) {
  const int H = shape.num_heads, Hkv = shape.num_kv_heads, dh = shape.head_dim;
  const int g = H / Hkv;
  std::vector<double> cost;
  for (int64_t s = 0; s < shape.num_seqs; ++s)
    for (int hkv = 0; hkv < Hkv; ++hkv) cost.push_back(shape.cache_lens[s]);
  run_dynamic<ForwardScratch>(largest_first(cost), [&](int64_t i, ForwardScratch& ws) {
    const int64_t s = i / Hkv;
    const int hkv = static_cast<int>(i % Hkv);
    const int64_t cache_base = (s * shape.cache_capacity * Hkv + hkv) * dh;
    QueryTile tile;
    tile.q = q + (s * H + hkv * g) * dh;
    tile.out = out + (s * H + hkv * g) * dh;
    tile.lse = lse ? lse + s * H + hkv * g : nullptr;
    tile.q_stride = int64_t(H) * dh;
    tile.lse_stride = H;
    tile.nt = 1;
    tile.pos0 = shape.cache_lens[s] - 1;  // the new token sees the whole valid cache
    // Pack this sequence's valid cache once; only this task reads it.
    const int64_t len = shape.cache_lens[s], stride = int64_t(Hkv) * dh;
    const int64_t tile_floats = int64_t(round8(dh)) * kKeyBlock;
    const int64_t tiles = (len + kKeyBlock - 1) / kKeyBlock;
    ws.kt.resize(tiles * tile_floats);
    ws.vrows.resize(tiles * tile_floats);
    for (int64_t b = 0; b < tiles; ++b) {
      const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, len - b * kKeyBlock));
      const int64_t src = cache_base + b * kKeyBlock * stride;
      pack_transposed(ws.kt.data() + b * tile_floats, k_cache + src, stride, nv, dh);
      pack_rows(ws.vrows.data() + b * tile_floats, v_cache + src, stride, nv, dh, round8(dh));
    }
    tile.kt = ws.kt.data();
    tile.vrows = ws.vrows.data();
    tile.tile_stride = tile_floats;
    forward_tile(tile, g, dh, shape.scale, ws);
  });
}

// ---- backward ----------------------------------------------------------------------
namespace {

struct BackwardScratch {
  std::vector<float> dk, dv;  // (key tiles of the task, kKeyBlock, dhp) accumulators
  std::vector<float> q, dout, dq, p, ds, delta, lse;
};

// A backward task for one (sequence, KV head): query tiles [qb_lo, qb_hi) against key
// tiles [kb_lo, kb_hi). It writes dq for its query tiles when want_dq, and dk/dv for its
// key tiles when want_dkv. Fused tasks cover everything and want both; split tasks
// give the dq and the dk/dv halves to separate tasks when fused ones would not balance.
struct BackwardTask {
  int64_t seq;
  int hkv;
  int64_t qb_lo, qb_hi, kb_lo, kb_hi;
  bool want_dq, want_dkv;
};

struct BackwardArgs {
  float *dq, *dk, *dv;
  const float *dout, *q, *out, *lse;
  const AttentionShape* shape;
  const PackedKeys* keys;  // kt, vt, krows
  int g, bq;
};

void backward_task(const BackwardArgs& a, const BackwardTask& task, BackwardScratch& ws) {
  const TileOps& op = ops();
  const AttentionShape& shape = *a.shape;
  const int H = shape.num_heads, Hkv = shape.num_kv_heads, dh = shape.head_dim, g = a.g;
  const int dhp = round8(dh), max_rows = a.bq * g;
  const float scale = shape.scale;
  const int64_t t0 = shape.cu_seqlens[task.seq], len = shape.cu_seqlens[task.seq + 1] - t0;
  const int64_t kv_stride = int64_t(Hkv) * dh, q_stride = int64_t(H) * dh;
  const int64_t kv_off = (t0 * Hkv + task.hkv) * dh;
  const int64_t tiles = task.kb_hi - task.kb_lo;
  const size_t tile_t = size_t(dhp) * kKeyBlock;  // floats per packed key tile
  if (task.want_dkv) {
    ws.dk.assign(tiles * tile_t, 0.0f);
    ws.dv.assign(tiles * tile_t, 0.0f);
  }
  const PackedKeys& pk = *a.keys;
  const float* kt = pk.tile(pk.kt, task.seq, task.hkv);
  const float* vt = pk.tile(pk.vt, task.seq, task.hkv);
  const float* krows = pk.tile(pk.krows, task.seq, task.hkv);
  ws.q.resize(max_rows * dhp);
  ws.dout.resize(max_rows * dhp);
  ws.dq.resize(max_rows * dhp);
  ws.p.resize(max_rows * kKeyBlock);
  ws.ds.resize(max_rows * kKeyBlock);
  ws.delta.resize(max_rows);
  ws.lse.resize(max_rows);

  for (int64_t qb = task.qb_lo; qb < task.qb_hi; ++qb) {
    const int64_t q0 = qb * a.bq;
    const int nt = static_cast<int>(std::min<int64_t>(a.bq, len - q0));
    const int rows = nt * g;
    const int64_t head_off = ((t0 + q0) * H + task.hkv * g) * dh;
    load_rows(ws.q.data(), a.q + head_off, q_stride, nt, g, dh, dhp);
    load_rows(ws.dout.data(), a.dout + head_off, q_stride, nt, g, dh, dhp);
    for (int t = 0; t < nt; ++t) {
      for (int h = 0; h < g; ++h) {
        const int r = t * g + h;
        const float* o = a.out + head_off + t * q_stride + h * dh;
        const float* d_o = ws.dout.data() + r * dhp;
        float acc = 0;  // D = rowsum(dO ∘ O)
        for (int d = 0; d < dh; ++d) acc += d_o[d] * o[d];
        ws.delta[r] = acc;
        ws.lse[r] = a.lse[(t0 + q0 + t) * H + task.hkv * g + h];
      }
    }
    if (task.want_dq) std::fill(ws.dq.begin(), ws.dq.begin() + rows * dhp, 0.0f);
    const int64_t last = q0 + nt - 1;
    const int64_t kb_end = std::min<int64_t>(task.kb_hi, last / kKeyBlock + 1);
    for (int64_t kb = task.kb_lo; kb < kb_end; ++kb) {
      const int64_t k0 = kb * kKeyBlock;
      const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, last + 1 - k0));
      const int n = round8(nv);
      const size_t off = size_t(kb - task.kb_lo) * tile_t;  // in the dk/dv accumulators
      const int64_t in = kb * pk.tile_stride();              // in the packed keys
      float *p = ws.p.data(), *ds = ws.ds.data();
      // P (rows, n) = exp(scale · Q·Kᵀ - lse), causal
      op.gemm(rows, n, dh, ws.q.data(), dhp, 1, kt + in, kKeyBlock, p, kKeyBlock, false);
      for (int r = 0; r < rows; ++r) {
        const int64_t visible = q0 + r / g - k0 + 1;
        const int valid = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(nv, visible)));
        op.probs(p + r * kKeyBlock, n, valid, scale, ws.lse[r]);
      }
      // dP (rows, n) = dO · Vᵀ; dS = P ∘ (dP - D)
      op.gemm(rows, n, dh, ws.dout.data(), dhp, 1, vt + in, kKeyBlock, ds, kKeyBlock, false);
      for (int r = 0; r < rows; ++r) {
        const float* prow = p + r * kKeyBlock;
        float* dsrow = ds + r * kKeyBlock;
        const float delta = ws.delta[r];
        for (int j = 0; j < n; ++j) dsrow[j] = prow[j] * (dsrow[j] - delta);
      }
      if (task.want_dkv) {
        // dV (n, Dh) += Pᵀ · dO;  dK (n, Dh) += dSᵀ · Q  (scale applied at the end)
        op.gemm(n, dhp, rows, p, 1, kKeyBlock, ws.dout.data(), dhp, ws.dv.data() + off, dhp, true);
        op.gemm(n, dhp, rows, ds, 1, kKeyBlock, ws.q.data(), dhp, ws.dk.data() + off, dhp, true);
      }
      if (task.want_dq) {
        // dQ (rows, Dh) += dS · K
        op.gemm(rows, dhp, n, ds, kKeyBlock, 1, krows + in, dhp, ws.dq.data(), dhp, true);
      }
    }
    if (task.want_dq) {
      for (int t = 0; t < nt; ++t) {
        for (int h = 0; h < g; ++h) {
          float* dst = a.dq + head_off + t * q_stride + h * dh;
          const float* src = ws.dq.data() + (t * g + h) * dhp;
          for (int d = 0; d < dh; ++d) dst[d] = src[d] * scale;
        }
      }
    }
  }
  if (task.want_dkv) {
    for (int64_t b = 0; b < tiles; ++b) {
      const int64_t k0 = (task.kb_lo + b) * kKeyBlock;
      const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, len - k0));
      for (int j = 0; j < nv; ++j) {
        const size_t src = b * tile_t + size_t(j) * dhp;
        float* dkrow = a.dk + kv_off + (k0 + j) * kv_stride;
        float* dvrow = a.dv + kv_off + (k0 + j) * kv_stride;
        for (int d = 0; d < dh; ++d) {
          dkrow[d] = ws.dk[src + d] * scale;
          dvrow[d] = ws.dv[src + d];
        }
      }
    }
  }
}

// Longest-processing-time estimate: do whole-(sequence, KV head) tasks keep every
// thread busy to within 30% of an even split?
bool fused_tasks_balance(const std::vector<double>& cost, int threads) {
  if (threads <= 1) return true;
  std::vector<double> sorted = cost, load(threads, 0.0);
  std::sort(sorted.begin(), sorted.end(), std::greater<double>());
  for (double c : sorted) *std::min_element(load.begin(), load.end()) += c;
  const double total = std::accumulate(sorted.begin(), sorted.end(), 0.0);
  return *std::max_element(load.begin(), load.end()) <= 1.3 * total / threads;
}

}  // namespace

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const AttentionShape& shape) {
  const int Hkv = shape.num_kv_heads, g = shape.num_heads / Hkv, bq = query_block(g);
  const PackedKeys keys = pack_keys(k, v, shape, kKt | kVt | kKrows);
  BackwardArgs args{dq, dk, dv, dout, q, out, lse, &shape, &keys, g, bq};
  std::vector<BackwardTask> tasks;
  std::vector<double> cost;
  for (int64_t s = 0; s < shape.num_seqs; ++s) {
    const int64_t len = shape.cu_seqlens[s + 1] - shape.cu_seqlens[s];
    if (len == 0) continue;
    const int64_t nqb = (len + bq - 1) / bq, nkb = (len + kKeyBlock - 1) / kKeyBlock;
    for (int hkv = 0; hkv < Hkv; ++hkv) {
      tasks.push_back({s, hkv, 0, nqb, 0, nkb, true, true});
      cost.push_back(double(len) * double(len) * g);
    }
  }
  if (!fused_tasks_balance(cost, num_threads())) {
    // Split: dq per query tile, dk/dv per key tile. More tasks, ~40% more arithmetic
    // (scores and dP are computed by both halves), but every thread gets work.
    std::vector<BackwardTask> fused;
    fused.swap(tasks);
    cost.clear();
    for (const BackwardTask& f : fused) {
      const int64_t len = shape.cu_seqlens[f.seq + 1] - shape.cu_seqlens[f.seq];
      for (int64_t qb = 0; qb < f.qb_hi; ++qb) {
        const int64_t keys = std::min<int64_t>(len, (qb + 1) * bq);  // keys this tile sees
        tasks.push_back({f.seq, f.hkv, qb, qb + 1, 0, (keys - 1) / kKeyBlock + 1, true, false});
        cost.push_back(3.0 * double(bq) * g * double(keys));
      }
      for (int64_t kb = 0; kb < f.kb_hi; ++kb) {
        const int64_t qb_lo = kb * kKeyBlock / bq;
        tasks.push_back({f.seq, f.hkv, qb_lo, f.qb_hi, kb, kb + 1, false, true});
        cost.push_back(4.0 * kKeyBlock * g * double(len - kb * kKeyBlock));
      }
    }
  }
  run_dynamic<BackwardScratch>(largest_first(cost), [&](int64_t i, BackwardScratch& ws) {
    backward_task(args, tasks[i], ws);
  });
}

}  // namespace r1
