/** r1-native: the public API. */
export { kernels, runtimeInfo, setNumThreads } from "./engine/kernels.js";
export type * from "./engine/AddonTypes.js";
export { version } from "./version.js";
export {
    verifyMath,
    verifyMathDetailed,
    verifyMathBatch,
    verifyMathAsync,
    closeSharedVerifyPool,
    VerifyPool,
    extractAnswer,
    normalizeAnswer,
    type VerifyOptions,
    type VerifyDetail,
    type VerifyReason,
    type BatchOptions,
} from "./verify/index.js";
export {
    Sandbox,
    SandboxError,
    type SandboxOptions,
    type SandboxRunSpec,
    type SandboxResult,
    type SandboxStatus,
} from "./sandbox/sandbox.js";
export { DEFAULT_SANDBOX_LIMITS, resolveLimits, type SandboxLimits } from "./sandbox/limits.js";
export { detectIsolation, SandboxUnavailableError, type IsolationReport } from "./sandbox/isolation.js";
export { resolvePythonRuntime, resolveNodeRuntime, type SandboxRuntime } from "./sandbox/runtimes.js";
export { extractProgram, type CodeLanguage, type ExtractOptions } from "./rewards/code/extractProgram.js";
export { testsFromSample, type CodeTestCase, type CodeSample } from "./rewards/code/codeTests.js";
export { CodeJudge, type CodeJudgeConfig, type JudgeResult, type TestVerdict, type Verdict } from "./rewards/code/judge.js";
export {
    createCodeReward,
    codeReward,
    codeRewardBatch,
    type CodeReward,
    type CodeRewardConfig,
    type CodeRewardDetail,
} from "./rewards/code/codeReward.js";
export * from "./rewards/index.js";
export { Policy, type PackedSequences, type PolicyLoss, type OptimizerStepOptions } from "./model/policy.js";
export type { GenerateOptions, GeneratedSample } from "./model/generate.js";
export { readModelFolder, writeModelFolder } from "./model/modelFolder.js";
export { makeDecoderConfig, parseDecoderConfig, type DecoderConfig } from "./model/config.js";
export { HfTokenizer, buildCharTokenizer } from "./model/tokenizer.js";
export { GrpoTrainer, type StepMetrics } from "./train/grpo/trainer.js";
export { runGrpo, type GrpoRunSummary } from "./train/grpo/runGrpo.js";
export { defaultGrpoConfig, resolveGrpoConfig, validateGrpoConfig, loadGrpoConfigFile, type GrpoConfig } from "./train/grpo/config.js";
export { createSftTrainer } from "./train/sft/trainer.js";
export { resolveSftConfig, type SftConfig } from "./train/sft/config.js";
export { rejectionSample } from "./train/rejectionSampling.js";
export { evaluateMath, majorityAnswer, type EvalResult } from "./eval/evaluateMath.js";
export { groupAdvantages } from "./algo/advantages.js";
export { arithmeticProblems } from "./data/builtin/arithmetic.js";
export { R1_ZERO_TEMPLATE, r1ZeroPrompt } from "./data/promptTemplates.js";
export { runRecipe, runRecipeFile, type RecipeSummary } from "./recipes/runRecipe.js";
export { parseRecipe, loadRecipeFile } from "./recipes/schema.js";
