/**
 * N-gram repetition penalty (Yeo et al. 2025, appendix C.2; TRL's get_repetition_penalty_reward),
 * on token ids:
 *
 *     R = (1 − unique n-grams / total n-grams) · maxPenalty
 *
 * 0 for a completion without a repeated n-gram, towards maxPenalty for a degenerate loop. A
 * completion shorter than n tokens has no n-gram and scores 0.
 */
import { checkOptions, completionLength, finiteOption, integerOption, type RewardFn } from "./types.js";

export interface RepetitionRewardOptions {
    /** n, the n-gram size in tokens. Default 3. */
    ngramSize?: number;
    /** Penalty of a fully repetitive completion; must be ≤ 0. Default −1. */
    maxPenalty?: number;
}

/** 1 − unique/total over the n-grams of ids; 0 when there are fewer than n ids. */
export function repeatedNgramShare(ids: ArrayLike<number>, n: number): number {
    const total = ids.length - n + 1;
    if (total <= 0) return 0;
    const seen = new Set<string>();
    const gram: number[] = new Array<number>(n);
    for (let start = 0; start < total; start++) {
        for (let k = 0; k < n; k++) gram[k] = ids[start + k]!;
        seen.add(gram.join(","));
    }
    return 1 - seen.size / total;
}

/**
 * @example
 * const repetition = repetitionReward({ ngramSize: 2 });
 * repetition({ ids: [1, 2, 3, 4], ... }, {});    // 0     (3 bigrams, all distinct)
 * repetition({ ids: [5, 5, 5, 5, 5], ... }, {}); // −0.75 (4 bigrams, 1 distinct)
 */
export function repetitionReward(options?: RepetitionRewardOptions): RewardFn {
    checkOptions(options, "repetitionReward", ["ngramSize", "maxPenalty"]);
    const n = integerOption(options?.ngramSize, "repetitionReward: options.ngramSize", 3, 1);
    const maxPenalty = finiteOption(options?.maxPenalty, "repetitionReward: options.maxPenalty", -1);
    if (maxPenalty > 0) throw new RangeError(`repetitionReward: options.maxPenalty must be ≤ 0, got ${maxPenalty}`);
    return (completion) => {
        completionLength(completion, "repetitionReward"); // validates ids
        const share = repeatedNgramShare(completion.ids, n);
        return share === 0 ? 0 : share * maxPenalty;
    };
}
