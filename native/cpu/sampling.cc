/* Temperature / top-k / top-p sampling, one row per task. */
#include "../kernels/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/thread_pool.h"

namespace r1 {
namespace {

[[noreturn]] void row_error(int64_t row, const std::string& what) {
  throw std::invalid_argument("sample_tokens: row " + std::to_string(row) + ": " + what);
}

// Largest logit; rejects NaN, +inf and rows with no finite logit.
float row_max(const float* z, int64_t V, int64_t row) {
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < V; ++j) {
    float x = z[j];
    if (std::isnan(x) || x == std::numeric_limits<float>::infinity())
      row_error(row, "logits[" + std::to_string(j) + "] is NaN or +inf");
    if (x > best) best = x;
  }
  if (best == -std::numeric_limits<float>::infinity()) row_error(row, "no finite logit");
  return best;
}

int32_t argmax_lowest(const float* z, int64_t V) {
  int64_t best = 0;
  for (int64_t j = 1; j < V; ++j)
    if (z[j] > z[best]) best = j;
  return static_cast<int32_t>(best);
}

// e[j] = exp((z[j] − zmax) / τ); returns Σ e in id order.
double tempered_exp(double* e, const float* z, int64_t V, float zmax, double tau) {
  double sum = 0;
  for (int64_t j = 0; j < V; ++j) {
    e[j] = std::exp((static_cast<double>(z[j]) - zmax) / tau);
    sum += e[j];
  }
  return sum;
}

struct RowScratch {
  std::vector<double> e;      // (V) tempered exponentials
  std::vector<int32_t> ids;   // (V) candidate ids
};

// Samples one row with τ > 0. Returns the id; *logp gets its full log-softmax.
int32_t sample_row(const float* z, int64_t V, double u, const SamplingParams& p, float zmax,
                   RowScratch& scratch, float* logp) {
  const double tau = p.temperature;
  double* e = scratch.e.data();
  const double total = tempered_exp(e, z, V, zmax, tau);
  const double log_total = std::log(total);

  // Rank by logit descending, ties by id: τ > 0 keeps the order of z.
  auto before = [z](int32_t a, int32_t b) { return z[a] > z[b] || (z[a] == z[b] && a < b); };
  const bool use_k = p.top_k > 0 && p.top_k < V;
  const bool use_p = p.top_p < 1.0f;
  int32_t chosen = -1;
  if (!use_k && !use_p) {
    double target = u * total, cum = 0;
    for (int64_t j = 0; j < V; ++j) {
      cum += e[j];
      if (cum > target) {
        chosen = static_cast<int32_t>(j);
        break;
      }
      if (e[j] > 0) chosen = static_cast<int32_t>(j);  // fallback if rounding overshoots
    }
  } else {
    std::vector<int32_t>& ids = scratch.ids;
    ids.resize(static_cast<size_t>(V));
    std::iota(ids.begin(), ids.end(), 0);
    int64_t kept = V;
    if (use_k) {
      kept = p.top_k;
      std::nth_element(ids.begin(), ids.begin() + (kept - 1), ids.end(), before);
      std::sort(ids.begin(), ids.begin() + kept, before);
    }
    if (use_p) {
      double mass = 0;
      for (int64_t r = 0; r < kept; ++r) mass += e[ids[r]];
      const double limit = static_cast<double>(p.top_p) * mass;
      // Sort a growing prefix until it holds the nucleus; most rows stop early.
      int64_t sorted = use_k ? kept : 0, prefix = std::min<int64_t>(kept, 64);
      for (;;) {
        if (prefix > sorted) {
          std::partial_sort(ids.begin(), ids.begin() + prefix, ids.begin() + kept, before);
          sorted = prefix;
        }
        double cum = 0;
        int64_t r = 0;
        while (r < sorted && cum < limit) cum += e[ids[r++]];
        if (cum >= limit || sorted == kept) {
          kept = r;
          break;
        }
        prefix = std::min<int64_t>(kept, prefix * 8);
      }
    }
    std::sort(ids.begin(), ids.begin() + kept);
    double kept_mass = 0;
    for (int64_t r = 0; r < kept; ++r) kept_mass += e[ids[r]];
    double target = u * kept_mass, cum = 0;
    for (int64_t r = 0; r < kept; ++r) {
      cum += e[ids[r]];
      if (cum > target) {
        chosen = ids[r];
        break;
      }
      if (e[ids[r]] > 0) chosen = ids[r];
    }
  }
  *logp = static_cast<float>((static_cast<double>(z[chosen]) - zmax) / tau - log_total);
  return chosen;
}

}  // namespace

void sample_tokens(int32_t* ids, float* logp, const float* logits, const double* u, int64_t B,
                   int64_t V, const SamplingParams& params) {
  if (B < 0) throw std::invalid_argument("sample_tokens: B must be >= 0");
  if (V < 1) throw std::invalid_argument("sample_tokens: V must be >= 1");
  if (!(params.temperature >= 0) || !std::isfinite(params.temperature))
    throw std::invalid_argument("sample_tokens: temperature must be finite and >= 0");
  if (params.top_k < 0) throw std::invalid_argument("sample_tokens: top_k must be >= 0");
  if (!(params.top_p > 0 && params.top_p <= 1))
    throw std::invalid_argument("sample_tokens: top_p must be in (0, 1]");
  const bool greedy = params.temperature == 0;
  if (!greedy) {
    for (int64_t b = 0; b < B; ++b)
      if (!(u[b] >= 0 && u[b] < 1)) row_error(b, "u must be in [0, 1)");
  }
  parallel_for(B, 1, [&](int64_t begin, int64_t end) {
    RowScratch scratch;
    scratch.e.resize(static_cast<size_t>(V));
    for (int64_t b = begin; b < end; ++b) {
      const float* z = logits + b * V;
      const float zmax = row_max(z, V, b);
      if (greedy) {
        int32_t id = argmax_lowest(z, V);
        double total = tempered_exp(scratch.e.data(), z, V, zmax, 1.0);
        ids[b] = id;
        logp[b] = static_cast<float>(static_cast<double>(z[id]) - zmax - std::log(total));
        continue;
      }
      ids[b] = sample_row(z, V, u[b], params, zmax, scratch, &logp[b]);
    }
  });
}

}  // namespace r1
