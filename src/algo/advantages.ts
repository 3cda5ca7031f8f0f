/**
 * Group-relative advantages, as TRL's GRPOTrainer computes them
 * (`_generate_and_score_completions`):
 *
 *   A_i = r_i − mean_g(r)                      mean over the G completions of prompt g
 *   A_i = A_i / (std + eps)                    scale "group": std of the group
 *                                              scale "batch": std of the whole batch
 *                                              scale "none":  no division (Dr. GRPO)
 *
 * std is Bessel-corrected (unbiased, divides by n − 1: torch.std's default and TRL's nanstd),
 * eps = 1e-4 as in TRL. A NaN reward (every reward function returned null: the completion
 * cannot be scored) is left out of the means and stds and gets advantage 0, like TRL's
 * nanmean/nanstd. With fewer than two scorable rewards the std is taken as 0 (TRL would get
 * NaN there); every advantage of such a group is 0 anyway (r − mean = 0 or unscorable).
 *
 * Rewards are in prompt-major order: group g holds indices g·G … g·G + G − 1.
 */

export type AdvantageScale = "group" | "batch" | "none";

/** A std at or below this counts as zero (torch.isclose(std, 0)'s absolute tolerance). */
export const ZERO_STD_TOLERANCE = 1e-8;

export interface GroupAdvantages {
    /** One per completion, same order as the rewards; 0 for NaN rewards. */
    advantages: number[];
    /** Mean of each group's scorable rewards; NaN for a group with none. */
    groupMean: number[];
    /** Bessel-corrected std of each group's scorable rewards (0 with fewer than two). */
    groupStd: number[];
    /**
     * Groups with no learning signal: per-group std ≈ 0 (all scorable rewards equal, or fewer
     * than two of them). Always the per-group count, whatever the scale mode (TRL's
     * frac_reward_zero_std tests the batch std in "batch" mode; the group count is what dynamic
     * sampling acts on).
     */
    zeroStdGroups: number;
    /** The std the advantages were divided by in "batch" mode (computed in every mode). */
    batchStd: number;
}

/** Mean and Bessel-corrected std of the non-NaN values; { mean: NaN, std: 0, count: 0 } if none. */
export function nanMeanStd(values: readonly number[], start = 0, end = values.length): { mean: number; std: number; count: number } {
    let count = 0;
    let sum = 0;
    for (let i = start; i < end; i++) {
        const v = values[i]!;
        if (Number.isNaN(v)) continue;
        count += 1;
        sum += v;
    }
    if (count === 0) return { mean: Number.NaN, std: 0, count: 0 };
    const mean = sum / count;
    if (count < 2) return { mean, std: 0, count };
    // Two-pass variance: exact for equal values (no catastrophic cancellation).
    let ss = 0;
    for (let i = start; i < end; i++) {
        const v = values[i]!;
        if (Number.isNaN(v)) continue;
        ss += (v - mean) * (v - mean);
    }
    return { mean, std: Math.sqrt(ss / (count - 1)), count };
}

/**
 * True when a group's rewards can produce a gradient: at least two scorable rewards whose
 * std exceeds ZERO_STD_TOLERANCE. DAPO dynamic sampling keeps exactly these groups.
 */
export function hasRewardSpread(rewards: readonly number[]): boolean {
    return nanMeanStd(rewards).std > ZERO_STD_TOLERANCE;
}

function checkRewards(rewards: readonly number[], groupSize: number): number {
    if (!Array.isArray(rewards)) throw new TypeError("rewards must be an array of numbers");
    if (!Number.isInteger(groupSize) || groupSize < 1) {
        throw new RangeError(`groupSize must be an integer >= 1; got ${String(groupSize)}`);
    }
    if (rewards.length % groupSize !== 0) {
        throw new RangeError(
            `rewards has ${rewards.length} entries, not a multiple of groupSize ${groupSize} (prompt-major order, G per prompt)`,
        );
    }
    for (const [i, r] of rewards.entries()) {
        if (typeof r !== "number" || r === Infinity || r === -Infinity) {
            throw new TypeError(`rewards[${i}] must be a finite number or NaN (unscorable); got ${String(r)}`);
        }
    }
    return rewards.length / groupSize;
}

/** Advantages of a batch of groups; see the file comment for the exact formula. */
export function groupAdvantages(
    rewards: readonly number[],
    groupSize: number,
    scale: AdvantageScale,
    eps = 1e-4,
): GroupAdvantages {
    const numGroups = checkRewards(rewards, groupSize);
    if (scale !== "group" && scale !== "batch" && scale !== "none") {
        throw new RangeError(`scale must be "group", "batch" or "none"; got ${JSON.stringify(scale)}`);
    }
    if (!Number.isFinite(eps) || eps < 0) throw new RangeError(`eps must be a finite number >= 0; got ${String(eps)}`);

    const groupMean: number[] = [];
    const groupStd: number[] = [];
    let zeroStdGroups = 0;
    for (let g = 0; g < numGroups; g++) {
        const { mean, std } = nanMeanStd(rewards, g * groupSize, (g + 1) * groupSize);
        groupMean.push(mean);
        groupStd.push(std);
        if (std <= ZERO_STD_TOLERANCE) zeroStdGroups += 1;
    }
    const batchStd = nanMeanStd(rewards).std;

    const advantages = new Array<number>(rewards.length);
    for (let i = 0; i < rewards.length; i++) {
        const r = rewards[i]!;
        const g = Math.floor(i / groupSize);
        if (Number.isNaN(r)) {
            advantages[i] = 0;
            continue;
        }
        const centred = r - groupMean[g]!;
        if (scale === "group") advantages[i] = centred / (groupStd[g]! + eps);
        else if (scale === "batch") advantages[i] = centred / (batchStd + eps);
        else advantages[i] = centred;
        // eps = 0 with a zero std gives 0/0; such a group carries no signal.
        if (Number.isNaN(advantages[i])) advantages[i] = 0;
    }
    return { advantages, groupMean, groupStd, zeroStdGroups, batchStd };
}

/** Fraction of groups with zero reward std (the `frac_reward_zero_std` metric); 0 for an empty batch. */
export function fractionZeroStd(rewards: readonly number[], groupSize: number): number {
    const numGroups = checkRewards(rewards, groupSize);
    if (numGroups === 0) return 0;
    let zero = 0;
    for (let g = 0; g < numGroups; g++) {
        if (nanMeanStd(rewards, g * groupSize, (g + 1) * groupSize).std <= ZERO_STD_TOLERANCE) zero += 1;
    }
    return zero / numGroups;
}
