/**
 * Combine weighted rewards over a batch (TRL's reward_funcs + reward_weights):
 *
 *     total[i] = Σ_k weight_k · r_k(completion_i, sample_i)   over the rewards with r_k ≠ null
 *
 * total[i] is NaN when every reward abstained on completion i (TRL's nansum of all-NaN rows
 * warns and gives NaN as well); the trainer decides what a NaN total means for the group.
 * perReward keeps the raw scores, null included, for logging and for rewardStats.
 *
 * Every (reward, completion) pair starts at once and is awaited with Promise.all, so async
 * rewards (code execution, worker-thread math verification) overlap; synchronous rewards simply
 * run in order. A reward that throws, or returns anything but a finite number or null, fails
 * the whole call with an error naming the reward and the completion index.
 */
import { describe, type Completion, type NamedReward, type Sample } from "./types.js";

export interface CombinedRewards {
    /** Σ weight·r over non-null rewards, per completion; NaN when all were null. */
    total: number[];
    /** Raw scores per reward name, in completion order. */
    perReward: Record<string, (number | null)[]>;
}

/** Scores completions[i] against samples[i] with every reward. */
export type RewardCombiner = (completions: readonly Completion[], samples: readonly Sample[]) => Promise<CombinedRewards>;

export interface RewardStat {
    /** Mean over the non-null scores; NaN when there are none. */
    mean: number;
    /** Standard deviation with Bessel's correction (as TRL's nanstd); 0 for one score, NaN for none. */
    std: number;
    /** Number of non-null scores. */
    count: number;
}

function checkRewards(rewards: readonly NamedReward[]): void {
    if (!Array.isArray(rewards) || rewards.length === 0) {
        throw new TypeError("combineRewards: rewards must be a non-empty array of { name, fn, weight }");
    }
    const names = new Set<string>();
    rewards.forEach((reward, k) => {
        const where = `combineRewards: rewards[${k}]`;
        if (reward === null || typeof reward !== "object") throw new TypeError(`${where} must be an object { name, fn, weight }, got ${describe(reward)}`);
        if (typeof reward.name !== "string" || reward.name.length === 0) throw new TypeError(`${where}.name must be a non-empty string, got ${describe(reward.name)}`);
        if (names.has(reward.name)) throw new TypeError(`${where}.name "${reward.name}" is used twice; reward names must be unique`);
        names.add(reward.name);
        if (typeof reward.fn !== "function") throw new TypeError(`${where}.fn ("${reward.name}") must be a function, got ${describe(reward.fn)}`);
        if (typeof reward.weight !== "number" || !Number.isFinite(reward.weight)) {
            throw new TypeError(`${where}.weight ("${reward.name}") must be a finite number, got ${describe(reward.weight)}`);
        }
    });
}

async function scoreOne(reward: NamedReward, completion: Completion, sample: Sample, index: number): Promise<number | null> {
    let value: unknown;
    try {
        value = await reward.fn(completion, sample);
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`reward "${reward.name}" failed on completion ${index}: ${message}`, { cause: error });
    }
    if (value === null) return null;
    if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new TypeError(`reward "${reward.name}" returned ${describe(value)} for completion ${index}; a reward returns a finite number or null`);
    }
    return value;
}

/**
 * @example
 * const score = combineRewards([
 *     { name: "accuracy", fn: accuracyReward(), weight: 1 },
 *     { name: "format", fn: formatReward(), weight: 0.5 },
 * ]);
 * const { total, perReward } = await score(completions, samples);
 * // total[i] = 1·accuracy + 0.5·format; perReward.accuracy[i] is null for a row without gold
 */
export function combineRewards(rewards: readonly NamedReward[]): RewardCombiner {
    checkRewards(rewards);
    const list = rewards.map((r) => ({ ...r })); // later edits to the caller's objects do not leak in
    return async (completions, samples) => {
        if (!Array.isArray(completions) || !Array.isArray(samples)) {
            throw new TypeError("combineRewards: completions and samples must be arrays");
        }
        if (completions.length !== samples.length) {
            throw new TypeError(`combineRewards: ${completions.length} completions but ${samples.length} samples; pass one sample per completion`);
        }
        const scores = await Promise.all(list.map((reward) => Promise.all(completions.map((c, i) => scoreOne(reward, c, samples[i] as Sample, i)))));
        const total = new Array<number>(completions.length).fill(Number.NaN);
        const perReward: Record<string, (number | null)[]> = {};
        list.forEach((reward, k) => {
            const column = scores[k]!;
            perReward[reward.name] = column;
            column.forEach((value, i) => {
                if (value === null) return;
                const sum = total[i]!;
                total[i] = (Number.isNaN(sum) ? 0 : sum) + reward.weight * value;
            });
        });
        return { total, perReward };
    };
}

/** Mean and std of each reward over its non-null scores (for metrics such as rewards/accuracy/mean). */
export function rewardStats(perReward: Readonly<Record<string, readonly (number | null)[]>>): Record<string, RewardStat> {
    if (perReward === null || typeof perReward !== "object") throw new TypeError(`rewardStats: perReward must be an object, got ${describe(perReward)}`);
    const stats: Record<string, RewardStat> = {};
    for (const [name, values] of Object.entries(perReward)) {
        if (!Array.isArray(values)) throw new TypeError(`rewardStats: perReward["${name}"] must be an array, got ${describe(values)}`);
        let count = 0;
        let sum = 0;
        for (const v of values) {
            if (v === null) continue;
            count++;
            sum += v;
        }
        const mean = count === 0 ? Number.NaN : sum / count;
        let squares = 0;
        for (const v of values) if (v !== null) squares += (v - mean) ** 2;
        const std = count === 0 ? Number.NaN : count === 1 ? 0 : Math.sqrt(squares / (count - 1));
        stats[name] = { mean, std, count };
    }
    return stats;
}
