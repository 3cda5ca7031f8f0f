/**
 * Format rewards: 1 when the completion has the expected tag layout, else 0.
 *
 * formatReward is DeepSeek-R1-Zero's strict template, "<think> reasoning </think> <answer> answer
 * </answer>" and nothing else. thinkFormatReward is TRL's think_format_reward, which only asks
 * for one leading think block and leaves the rest free (for chat models that answer in prose).
 *
 * Both take `prefilledThink` for templates whose prompt already ends in "<think>" (R1-Zero's
 * "Assistant: <think>"): the completion is then read as if it started with "<think>", and a
 * completion that opens another "<think>" is malformed.
 */
import { booleanOption, checkOptions, completionText, type RewardFn } from "./types.js";

export interface FormatRewardOptions {
    /** The completion starts after an already-emitted "<think>". Default false. */
    prefilledThink?: boolean;
}

const strictLayout = /^\s*<think>[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>\s*$/;
const strictTags = ["<think>", "</think>", "<answer>", "</answer>"] as const;

function occurrences(text: string, tag: string): number {
    let count = 0;
    for (let at = text.indexOf(tag); at >= 0; at = text.indexOf(tag, at + tag.length)) count++;
    return count;
}

/** True when text is exactly one think block then one answer block (whitespace allowed around them). */
export function isStrictFormat(text: string): boolean {
    return strictTags.every((tag) => occurrences(text, tag) === 1) && strictLayout.test(text);
}

/**
 * R1-Zero strict format reward: `<think>…</think>` then `<answer>…</answer>`, exactly one of each
 * tag, optional whitespace between and around them, nothing after </answer> → 1, else 0.
 *
 * @example
 * const format = formatReward();
 * format({ text: "<think>\n2+2=4\n</think>\n<answer>4</answer>\n", ... }, {});          // 1
 * format({ text: "<think>a</think><think>b</think><answer>4</answer>", ... }, {});     // 0 (two think blocks)
 * format({ text: "<think>a</think><answer>4</answer> Hope that helps!", ... }, {});   // 0 (text after </answer>)
 * formatReward({ prefilledThink: true })({ text: "2+2=4</think><answer>4</answer>", ... }, {}); // 1
 */
export function formatReward(options?: FormatRewardOptions): RewardFn {
    checkOptions(options, "formatReward", ["prefilledThink"]);
    const prefilled = booleanOption(options?.prefilledThink, "formatReward: options.prefilledThink", false);
    return (completion) => {
        const text = completionText(completion, "formatReward");
        return isStrictFormat(prefilled ? `<think>${text}` : text) ? 1 : 0;
    };
}

// TRL: ^<think>(?!.*<think>)(.*?)</think>.*$ with DOTALL, matched at the start of the text.
const thinkLayout = /^<think>(?![\s\S]*<think>)[\s\S]*?<\/think>[\s\S]*$/;

/**
 * TRL's think_format_reward: the completion starts with "<think>", closes it with "</think>", and
 * never opens a second one; anything may follow → 1, else 0. No whitespace is allowed before the
 * opening tag (as in TRL).
 *
 * @example
 * const think = thinkFormatReward();
 * think({ text: "<think>\nThis is my reasoning.\n</think>\nThis is my answer.", ... }, {}); // 1
 * think({ text: "<think>\nThis is my reasoning.\nThis is my answer.", ... }, {});           // 0
 */
export function thinkFormatReward(options?: FormatRewardOptions): RewardFn {
    checkOptions(options, "thinkFormatReward", ["prefilledThink"]);
    const prefilled = booleanOption(options?.prefilledThink, "thinkFormatReward: options.prefilledThink", false);
    return (completion) => {
        const text = completionText(completion, "thinkFormatReward");
        return thinkLayout.test(prefilled ? `<think>${text}` : text) ? 1 : 0;
    };
}
