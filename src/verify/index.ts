/** Math answer verification: extraction, normalisation and equivalence of final answers. */
export { verifyMath, verifyMathDetailed } from "./verifyMath.js";
export { verifyMathBatch, verifyMathAsync, closeSharedVerifyPool, type GoldPredPair, type BatchOptions } from "./batch.js";
export { VerifyPool, defaultConcurrency, type VerifyPoolOptions } from "./workerPool.js";
export { extractAnswer, type Extraction } from "./extract.js";
export { normalizeAnswer, type NormalizedAnswer, type NormalizeOptions } from "./normalize.js";
export {
    defaultVerifyOptions,
    resolveVerifyOptions,
    type VerifyOptions,
    type VerifyDetail,
    type VerifyReason,
    type AnswerForms,
    type ExtractionSource,
} from "./types.js";
