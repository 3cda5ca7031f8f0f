/**
 * Scoring: every reward function on every rollout (through combineRewards),
 * the weighted total per rollout (NaN when every reward abstained), and the
 * per-reward values for logging.
 */
import { type CombinedRewards, combineRewards } from "../../rewards/combine.js";
import type { NamedReward } from "../../rewards/types.js";
import type { Rollout } from "./rollout.js";

export type RolloutScores = CombinedRewards;

export async function scoreRollouts(rollouts: readonly Rollout[], rewards: readonly NamedReward[]): Promise<RolloutScores> {
    const completions = rollouts.map((r) => ({ text: r.text, ids: r.ids, finishReason: r.finishReason, prompt: r.prompt.text }));
    return combineRewards(rewards)(completions, rollouts.map((r) => r.prompt.sample));
}
