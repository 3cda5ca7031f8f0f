/** Rule-based rewards for GRPO: one file per family, combined with weights (combine.ts). */
export type { Completion, Sample, RewardFn, NamedReward } from "./types.js";
export {
    accuracyReward,
    answerCorrectness,
    defaultAnswerCorrectness,
    extractAnswerRegion,
    goldAnswer,
    type AccuracyRewardOptions,
    type CorrectnessCheck,
    type MathVerifier,
} from "./accuracy.js";
export { formatReward, thinkFormatReward, isStrictFormat, type FormatRewardOptions } from "./format.js";
export { tagCountReward, defaultTags, type TagCountRewardOptions } from "./tagCount.js";
export { reasoningStepsReward, defaultStepPattern, type ReasoningStepsRewardOptions } from "./reasoningSteps.js";
export { cosineReward, cosineScaled, type CosineRewardOptions } from "./cosineLength.js";
export { repetitionReward, repeatedNgramShare, type RepetitionRewardOptions } from "./repetition.js";
export { overlongReward, overlongPenalty, type OverlongRewardOptions } from "./overlong.js";
export {
    languageConsistencyReward,
    languageScripts,
    countWordsByScript,
    thinkingText,
    type LanguageConsistencyRewardOptions,
    type Script,
    type WordCounts,
} from "./languageConsistency.js";
export { combineRewards, rewardStats, type CombinedRewards, type RewardCombiner, type RewardStat } from "./combine.js";
export {
    builtinRewardNames,
    createReward,
    getRewardFactory,
    hasReward,
    loadUserRewards,
    registerReward,
    rewardNames,
    unregisterReward,
    type RewardContext,
    type RewardFactory,
} from "./registry.js";
