/** Data curation: exact and near deduplication, decontamination, filters, difficulty grading. */
export { normalizeText, words, wordNgrams, contentHash, rowText, type NormalizeOptions } from "./text.js";
export { ExactDeduplicator, exactDedup, DUPLICATE, type ExactDedupOptions } from "./exactDedup.js";
export { MinHasher, estimatedJaccard, jaccard, optimalBands, candidateProbability, type MinHashOptions } from "./minhash.js";
export { NearDuplicateIndex, nearDedup, NEAR_DUPLICATE, type NearDedupOptions, type NearMatch } from "./nearDedup.js";
export { EvalNgramIndex, buildEvalIndex, decontaminate, CONTAMINATED, type DecontaminateOptions, type NgramHit } from "./decontaminate.js";
export {
    filterRows,
    lengthCheck,
    languageRatio,
    hasAnswer,
    TOO_SHORT,
    TOO_LONG,
    WRONG_LANGUAGE,
    NO_ANSWER,
    type FilterOptions,
    type LengthLimits,
    type LanguageFilterOptions,
    type AnswerFilterOptions,
} from "./filters.js";
export { gradeDifficulty, difficultyOf, type DifficultyLevel, type PassRateFn, type GradeOptions, type DifficultyThresholds } from "./difficulty.js";
export { policyPassRate, type PolicyPassRateOptions } from "./policyPassRate.js";
