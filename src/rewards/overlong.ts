/**
 * Soft overlong punishment (DAPO, eq. 13; TRL's get_soft_overlong_punishment), on the
 * completion's token count |y|:
 *
 *     R = 0                              |y| ≤ L_max − L_cache
 *     R = (L_max − L_cache − |y|) / L_cache   L_max − L_cache < |y| ≤ L_max
 *     R = −1                             |y| > L_max
 *
 * The punishment ramps linearly from 0 to −1 over the last L_cache tokens before the limit, so a
 * completion is told it is getting long before it is cut off.
 */
import { checkOptions, completionLength, integerOption, type RewardFn } from "./types.js";

export interface OverlongRewardOptions {
    /** L_max, the longest completion in tokens (the trainer's maxCompletionLength). Required. */
    maxCompletionLength: number;
    /** L_cache, the length of the ramp in tokens, 0 ≤ L_cache ≤ L_max. Default ⌊0.2 · L_max⌋ (DAPO: 4096 of 20480). */
    softPunishCache?: number;
}

/** R for a completion of `length` tokens. */
export function overlongPenalty(length: number, maxLength: number, cache: number): number {
    if (length > maxLength) return -1;
    const free = maxLength - cache;
    if (length <= free) return 0;
    return (free - length) / cache;
}

/**
 * @example
 * const overlong = overlongReward({ maxCompletionLength: 100, softPunishCache: 20 });
 * overlong({ ids: new Array(80).fill(0), ... }, {});  // 0
 * overlong({ ids: new Array(90).fill(0), ... }, {});  // −0.5
 * overlong({ ids: new Array(101).fill(0), ... }, {}); // −1
 */
export function overlongReward(options: OverlongRewardOptions): RewardFn {
    if (options === undefined) {
        throw new TypeError("overlongReward: options.maxCompletionLength is required (the trainer's maxCompletionLength, in tokens)");
    }
    checkOptions(options, "overlongReward", ["maxCompletionLength", "softPunishCache"]);
    const maxLength = integerOption(options.maxCompletionLength, "overlongReward: options.maxCompletionLength", undefined, 1);
    const cache = integerOption(options.softPunishCache, "overlongReward: options.softPunishCache", Math.floor(0.2 * maxLength), 0);
    if (cache > maxLength) {
        throw new RangeError(`overlongReward: options.softPunishCache (${cache}) must not exceed options.maxCompletionLength (${maxLength})`);
    }
    return (completion) => overlongPenalty(completionLength(completion, "overlongReward"), maxLength, cache);
}
