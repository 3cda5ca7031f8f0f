/**
 * Reasoning steps reward (Open R1's reasoning_steps_reward): credit for visibly structured
 * reasoning, min(1, matches / 3) over step markers such as "Step 1:", "First,", list bullets.
 *
 * The default pattern is Open R1's, matched the same way (Python re.findall without MULTILINE):
 * "^\d+\." therefore only matches a numbered line at the very start of the completion, while
 * later list lines are caught by "\n-" / "\n*" only when bulleted.
 */
import { checkOptions, completionText, describe, integerOption, type RewardFn } from "./types.js";

/** Open R1's step markers. */
export const defaultStepPattern = /(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)/g;

export interface ReasoningStepsRewardOptions {
    /** What counts as a step marker (non-overlapping matches are counted). Default `defaultStepPattern`. */
    pattern?: RegExp;
    /** Markers needed for the full reward of 1. Default 3. */
    targetCount?: number;
}

/**
 * @example
 * const steps = reasoningStepsReward();
 * steps({ text: "Step 1: add.\nStep 2: carry.\nStep 3: done.", ... }, {}); // 1
 * steps({ text: "First, add. Finally, stop.", ... }, {});                  // 2/3
 * steps({ text: "The answer is 4.", ... }, {});                            // 0
 */
export function reasoningStepsReward(options?: ReasoningStepsRewardOptions): RewardFn {
    checkOptions(options, "reasoningStepsReward", ["pattern", "targetCount"]);
    const given = options?.pattern ?? defaultStepPattern;
    if (!(given instanceof RegExp)) {
        throw new TypeError(`reasoningStepsReward: options.pattern must be a RegExp, got ${describe(given)}`);
    }
    // A private global copy: matchAll needs the g flag, and a shared lastIndex must not leak between calls.
    const pattern = new RegExp(given.source, given.flags.includes("g") ? given.flags : `${given.flags}g`);
    const target = integerOption(options?.targetCount, "reasoningStepsReward: options.targetCount", 3, 1);
    return (completion) => {
        const text = completionText(completion, "reasoningStepsReward");
        let count = 0;
        for (const match of text.matchAll(pattern)) {
            if (match[0].length === 0) continue; // an empty match is not a step
            count++;
            if (count >= target) return 1;
        }
        return count / target;
    };
}
