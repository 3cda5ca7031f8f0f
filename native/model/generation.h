/* Batched sampling with a KV cache.
 *
 * A session holds the cache of S sequences, (S, capacity, Hkv, Dh) per layer
 * for k and v. start() prefills the packed prompts and samples each
 * sequence's first new token; next() drops the sequences the caller has
 * finished (end of text, stop string, length), feeds every other one its last
 * sampled token and samples again. Active sequences are kept in the first
 * slots (a finished slot takes the last active one's cache), so finished
 * sequences cost nothing. Each sequence draws from its own PCG32 stream
 * (seed, sequence index): results depend on the seed, not on batch timing.
 */
#pragma once

#include <cstdint>
#include <vector>

#include "../common/rng.h"
#include "../kernels/sampling.h"
#include "decoder.h"
#include "decoder_layers.h"

namespace r1 {

struct SampledTokens {
  std::vector<int32_t> seq;  // original sequence index of each sampled token
  std::vector<int32_t> ids;
  std::vector<float> logp;   // log softmax(z / τ)[id] over the full vocabulary
};

class GenerationSession {
 public:
  // capacity: positions per sequence (prompt + new tokens).
  GenerationSession(const Decoder& model, int64_t num_seqs, int64_t capacity, uint64_t seed,
                    const SamplingParams& sampling);

  SampledTokens start(const PackedBatchView& prompts);
  // finished: original indices to drop before decoding the rest.
  SampledTokens next(const std::vector<int32_t>& finished);

  int64_t active() const { return static_cast<int64_t>(slot_seq_.size()); }

 private:
  SampledTokens sample(std::vector<float>& hidden);  // hidden (A, D) final-norm rows
  void drop(int32_t seq);

  const Decoder& model_;
  int64_t num_seqs_, capacity_;
  SamplingParams sampling_;
  std::vector<Pcg32> rngs_;            // per original sequence
  std::vector<int32_t> slot_seq_;      // slot -> original sequence
  std::vector<int32_t> slot_len_;      // positions filled in the slot's cache
  std::vector<int32_t> slot_last_;     // last sampled token of the slot
  std::vector<std::vector<float>> k_cache_, v_cache_;  // per layer (S, C, Hkv, Dh)
  bool started_ = false;
};

}  // namespace r1
