/**
 * Cosine length-scaled correctness reward (Yeo et al. 2025, "Demystifying Long Chain-of-Thought
 * Reasoning", appendix C.1; TRL's get_cosine_scaled_reward).
 *
 *     R = v_min + ½ (v_max − v_min) (1 + cos(π · min(len / maxLen, 1)))
 *
 * Correct: (v_min, v_max) = (minValueCorrect, maxValueCorrect), so a short correct answer earns
 * maxValueCorrect and one of maxLen tokens or more earns minValueCorrect. Wrong: the bounds are
 * swapped, (v_min, v_max) = (maxValueWrong, minValueWrong), so a short wrong answer is punished
 * with minValueWrong and a long one only with maxValueWrong (thinking longer when wrong is not
 * discouraged). len is the completion's token count; past maxLen the schedule is held at its
 * long-length end (cos is periodic and would otherwise climb back up).
 *
 * Correctness comes from `isCorrect`, by default the accuracy check of accuracy.ts; a null
 * verdict (no usable gold) makes this reward null too.
 */
import { answerCorrectness, defaultAnswerCorrectness, type AccuracyRewardOptions, type CorrectnessCheck } from "./accuracy.js";
import { checkOptions, completionLength, describe, finiteOption, integerOption, type RewardFn } from "./types.js";

export interface CosineRewardOptions {
    /** Length in tokens at which the schedule reaches its long-length bound (TRL's max_len). Required. */
    maxLen: number;
    /** Reward of a wrong completion of length 0. Default −1. */
    minValueWrong?: number;
    /** Reward of a wrong completion of length ≥ maxLen. Default −0.5. */
    maxValueWrong?: number;
    /** Reward of a correct completion of length ≥ maxLen. Default 0.5. */
    minValueCorrect?: number;
    /** Reward of a correct completion of length 0. Default 1. */
    maxValueCorrect?: number;
    /** The correctness verdict. Default: answerCorrectness(accuracy). */
    isCorrect?: CorrectnessCheck;
    /** Options of the default correctness check (see accuracyReward). Not allowed with isCorrect. */
    accuracy?: AccuracyRewardOptions;
}

const knownOptions = ["maxLen", "minValueWrong", "maxValueWrong", "minValueCorrect", "maxValueCorrect", "isCorrect", "accuracy"];

/** R for one completion of `length` tokens; exported for tests and plots. */
export function cosineScaled(length: number, maxLen: number, vMin: number, vMax: number): number {
    const progress = Math.min(length / maxLen, 1);
    return vMin + 0.5 * (vMax - vMin) * (1 + Math.cos(progress * Math.PI));
}

/**
 * @example
 * const cosine = cosineReward({ maxLen: 100 });
 * // a correct 50-token completion: 0.75; a wrong one: −0.75
 * await cosine({ text: "<answer>\\frac{1}{3}</answer>", ids: new Array(50).fill(1), ... }, { solution: "\\frac{1}{3}" }); // 0.75
 */
export function cosineReward(options: CosineRewardOptions): RewardFn {
    if (options === undefined) {
        throw new TypeError("cosineReward: options.maxLen is required (the completion length in tokens where the schedule ends; usually maxCompletionLength)");
    }
    checkOptions(options, "cosineReward", knownOptions);
    const maxLen = integerOption(options.maxLen, "cosineReward: options.maxLen", undefined, 1);
    const minWrong = finiteOption(options.minValueWrong, "cosineReward: options.minValueWrong", -1);
    const maxWrong = finiteOption(options.maxValueWrong, "cosineReward: options.maxValueWrong", -0.5);
    const minCorrect = finiteOption(options.minValueCorrect, "cosineReward: options.minValueCorrect", 0.5);
    const maxCorrect = finiteOption(options.maxValueCorrect, "cosineReward: options.maxValueCorrect", 1);
    if (options.isCorrect !== undefined && typeof options.isCorrect !== "function") {
        throw new TypeError(`cosineReward: options.isCorrect must be a function (completion, sample) => boolean | null, got ${describe(options.isCorrect)}`);
    }
    if (options.isCorrect !== undefined && options.accuracy !== undefined) {
        throw new TypeError("cosineReward: options.accuracy configures the default isCorrect; drop it or drop options.isCorrect");
    }
    const isCorrect = options.isCorrect ?? (options.accuracy === undefined ? defaultAnswerCorrectness() : answerCorrectness(options.accuracy));

    const score = (verdict: unknown, length: number): number | null => {
        if (verdict === null) return null;
        if (typeof verdict !== "boolean") throw new TypeError(`cosineReward: isCorrect must return a boolean or null, got ${describe(verdict)}`);
        return verdict ? cosineScaled(length, maxLen, minCorrect, maxCorrect) : cosineScaled(length, maxLen, maxWrong, minWrong);
    };
    return (completion, sample) => {
        const length = completionLength(completion, "cosineReward");
        const verdict = isCorrect(completion, sample);
        if (verdict instanceof Promise) return verdict.then((v) => score(v, length));
        return score(verdict, length);
    };
}
