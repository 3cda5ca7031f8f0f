/**
 * Tag count reward (Open R1's tag_count_reward): partial credit for each template tag that
 * appears exactly once, so a model learning the format gets a gradient before it gets it all
 * right. With the default four tags each is worth 0.25.
 */
import { booleanOption, checkOptions, completionText, describe, type RewardFn } from "./types.js";

/** Open R1's tags, newlines included: "<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>". */
export const defaultTags: readonly string[] = ["<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"];

export interface TagCountRewardOptions {
    /** The tags to count; each one found exactly once earns 1/tags.length. Default `defaultTags`. */
    tags?: readonly string[];
    /** The completion starts after an already-emitted "<think>" (it is put back before counting). Default false. */
    prefilledThink?: boolean;
}

function countOf(text: string, tag: string): number {
    let count = 0;
    for (let at = text.indexOf(tag); at >= 0; at = text.indexOf(tag, at + tag.length)) count++;
    return count;
}

/**
 * @example
 * const tagCount = tagCountReward();
 * tagCount({ text: "<think>\nx\n</think>\n<answer>\n4\n</answer>", ... }, {});  // 1
 * tagCount({ text: "<think>\nx\n</think>\n<answer>4</answer>", ... }, {});      // 0.5
 * tagCountReward({ tags: ["<think>", "</think>"] })({ text: "<think>a</think>", ... }, {}); // 1
 */
export function tagCountReward(options?: TagCountRewardOptions): RewardFn {
    checkOptions(options, "tagCountReward", ["tags", "prefilledThink"]);
    const tags = options?.tags ?? defaultTags;
    if (!Array.isArray(tags) || tags.length === 0 || !tags.every((t) => typeof t === "string" && t.length > 0)) {
        throw new TypeError(`tagCountReward: options.tags must be a non-empty list of non-empty strings, got ${describe(tags)}`);
    }
    const prefilled = booleanOption(options?.prefilledThink, "tagCountReward: options.prefilledThink", false);
    const share = 1 / tags.length;
    return (completion) => {
        const raw = completionText(completion, "tagCountReward");
        const text = prefilled ? `<think>${raw}` : raw;
        let found = 0;
        for (const tag of tags) if (countOf(text, tag) === 1) found++;
        return found === tags.length ? 1 : found * share;
    };
}
