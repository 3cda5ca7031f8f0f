/**
 * Recipes: declarative multi-stage pipelines (R1-Zero, R1's four stages, SRPO's two stages,
 * distillation), read from YAML or JSON.
 *
 *   name: r1
 *   outputDir: runs/recipes/r1
 *   seed: 42
 *   model: builtin:r1-zero-demo          # the base model; "@base" in a stage names it
 *   evaluation: { dataset: builtin:arithmetic, problems: 200, samples: 4 }
 *   stages:
 *     - name: cold_start
 *       trainer: sft                     # sft | grpo | rejection_sampling | distill
 *       data: { source: builtin:arithmetic-solutions, count: 256 }
 *       config: { ...SftConfigInput without model/outputDir... }
 *     - name: reasoning_rl
 *       trainer: grpo                    # model: the previous stage's output unless given
 *       data: builtin:arithmetic
 *       config: { ...GrpoConfigInput without model/outputDir... }
 *
 * A stage's `model` is a model folder, "builtin:<name>", "@base" (the recipe's model) or
 * "@<stage>" (that earlier stage's output model); left out, it is the previous stage's output
 * (the first stage's default is the recipe's `model`). A stage's `data` is one source or a list
 * whose rows are concatenated: a JSONL/Parquet file or dataset folder, a built-in generator
 * (see BUILTIN_DATA_SOURCES) or "@<stage>", the dataset an earlier stage wrote (a rejection
 * sampling or distillation stage's prompt/completion rows, or a training stage's own data).
 *
 * parseRecipe checks everything it can before anything runs, each trainer's config included;
 * its errors name the stage and the field ("stages[2] (reasoning_rl).config.generation.topP ...").
 * Paths are relative to the working directory, as in the trainers' own configs.
 */
import { OPEN_R1_MATH_TEMPLATE } from "../distill/distill.js";
import { rewardNames } from "../rewards/registry.js";
import { loadGrpoConfigFile, resolveGrpoConfig, type GrpoConfigInput } from "../train/grpo/config.js";
import { ConfigError, describeValue, isPlainObject, resolveWithSpec, type Spec } from "../train/grpo/configSchema.js";
import { resolveSftConfig, type SftConfigInput } from "../train/sft/config.js";

export { ConfigError } from "../train/grpo/configSchema.js";

export const STAGE_TRAINERS = ["sft", "grpo", "rejection_sampling", "distill"] as const;
export type StageTrainer = (typeof STAGE_TRAINERS)[number];

/**
 * Built-in data generators:
 * - "builtin:arithmetic": arithmetic prompts `{ question, answer }` (split "train" or "heldout").
 * - "builtin:arithmetic-solutions": the cold-start set, `{ prompt, completion, answer }` with a
 *   correct R1-format completion (reasoning in <think>, result in \boxed{} in <answer>).
 * - "builtin:code-basics": trivial stdin/stdout Python problems `{ question, tests, language }`.
 */
export const BUILTIN_DATA_SOURCES = ["builtin:arithmetic", "builtin:arithmetic-solutions", "builtin:code-basics"] as const;

export interface DataSource {
    /** A file or dataset folder, a BUILTIN_DATA_SOURCES name, or "@<stage>". */
    source: string;
    /** Rows taken (a generator makes this many; a file gives its first ones); null = all (generators: 4000 arithmetic rows, each code problem once). */
    count: number | null;
    /** "train" | "heldout" for the arithmetic generators, a split name for a dataset folder; null = "train" / the folder's only split. */
    split: string | null;
    /** Seed of a generator; null = the recipe seed + the stage's index. */
    seed: number | null;
    /** Column renames { newName: columnInTheSource }; other columns are kept. */
    columns: Record<string, string> | null;
}

export interface RecipeEvaluation {
    /** Held-out problems: "builtin:arithmetic" (its held-out split) or a JSONL file with a question and an answer column. Defaults to `"builtin:arithmetic"`. */
    dataset: string;
    /** Problems evaluated. Defaults to `200`. */
    problems: number;
    /** k: samples per problem; pass@1 is averaged over them. Defaults to `4`. */
    samples: number;
    /** Defaults to `0.6` (DeepSeek-R1's evaluation setting). */
    temperature: number;
    /** Defaults to `0.95`. */
    topP: number;
    /** Defaults to `256`. */
    maxNewTokens: number;
    /** How questions become prompts. Defaults to `"r1-zero"`. */
    promptTemplate: "r1-zero" | "chat" | "none";
    /** System message for the "chat" template; null = none. Defaults to `null`. */
    systemPrompt: string | null;
}

export interface RejectionFilterConfig {
    /** R1's readability filter on verified completions. Defaults to `true`. */
    enabled: boolean;
    /** Language the chain of thought must be in. Defaults to `"en"`. */
    language: string;
    /** Least share of words in that language. Defaults to `0.95`. */
    minLanguageConsistency: number;
    /** Reject chains with a longer paragraph; null = off. Defaults to `null`. */
    maxParagraphChars: number | null;
    /** Reject chains with a fenced code block. Defaults to `false`. */
    rejectCodeBlocks: boolean;
}

/** A rejection_sampling stage: k samples per prompt from the stage's model, verified ones kept (R1 stage 3). */
export interface RejectionStageConfig {
    /** Samples per prompt. Defaults to `8`. */
    k: number;
    /** Defaults to `0.6`. */
    temperature: number;
    /** Defaults to `0.95`. */
    topP: number;
    /** Defaults to `1024`. */
    maxNewTokens: number;
    /** Correct completions kept per prompt: "all", "shortest" or "random". Defaults to `"all"`. */
    keep: "all" | "shortest" | "random";
    /** Prompts per generation batch. Defaults to `16`. */
    batchSize: number;
    /** How questions become prompts (train the next SFT stage with the same template). Defaults to `"r1-zero"`. */
    promptTemplate: "r1-zero" | "chat" | "none";
    /** System message for the "chat" template; null = none. Defaults to `null`. */
    systemPrompt: string | null;
    /** Question column; null = the first of prompt, problem, question that the rows have. Defaults to `null`. */
    promptColumn: string | null;
    /** Gold-answer column; null = answer, else solution. Defaults to `null`. */
    answerColumn: string | null;
    /** Drop completions cut by maxNewTokens unverified. Defaults to `true`. */
    dropTruncated: boolean;
    filter: RejectionFilterConfig;
    /** The stage fails when fewer rows are kept (an empty SFT set is a mistake, not a result). Defaults to `1`. */
    minKept: number;
    /** Seeds sampling; null = the recipe seed. Defaults to `null`. */
    seed: number | null;
}

export interface TeacherConfig {
    /** Base URL up to the API version, e.g. "http://127.0.0.1:8000/v1". Required. */
    baseUrl: string;
    /** The served model's name. Required. */
    model: string;
    /** Environment variable with the API key (none sent when unset). Defaults to `"OPENAI_API_KEY"`. */
    apiKeyEnv: string;
    /** Per-attempt timeout. Defaults to `600000`. */
    timeoutMs: number;
    /** Retries after the first attempt. Defaults to `5`. */
    maxRetries: number;
}

/** A distill stage: traces from an OpenAI-compatible teacher, verified ones kept (Open R1's distillation). */
export interface DistillStageConfig {
    teacher: TeacherConfig;
    /** Traces per prompt. Defaults to `4`. */
    samplesPerPrompt: number;
    /** Traces per request (the `n` parameter). Defaults to `1`. */
    samplesPerRequest: number;
    /** Requests in flight. Defaults to `8`. */
    concurrency: number;
    /** Defaults to `0.6`. */
    temperature: number;
    /** Defaults to `0.95`. */
    topP: number;
    /** max_tokens of each request; null = the server's default. Defaults to `null`. */
    maxTokens: number | null;
    /** The user message; "{prompt}" marks the question. Defaults to Open R1's math prompt. */
    promptTemplate: string;
    /** Defaults to `null`. */
    systemPrompt: string | null;
    /** Question column; null = the first of prompt, problem, question that the rows have. Defaults to `null`. */
    promptColumn: string | null;
    /** Gold-answer column; null = answer, else solution. Defaults to `null`. */
    answerColumn: string | null;
    /** The stage fails when fewer traces are kept. Defaults to `1`. */
    minKept: number;
}

export interface RecipeStage {
    name: string;
    trainer: StageTrainer;
    description: string | null;
    /** As written (see the file comment); null = the previous stage's output model. */
    model: string | null;
    data: DataSource[] | null;
    /** The trainer's config as written (checked by parseRecipe; resolved when the stage runs). */
    config: Record<string, unknown>;
}

export interface Recipe {
    name: string;
    description: string | null;
    /** Each stage gets `<outputDir>/<NN>-<name>/`; recipe_summary.json goes here. */
    outputDir: string;
    /** Seeds every stage unless its config sets its own. Defaults to `42`. */
    seed: number;
    /** The base model; null = the first stage must name one. */
    model: string | null;
    /** Held-out accuracy of the base model and of every stage's output model; null = none. */
    evaluation: RecipeEvaluation | null;
    stages: RecipeStage[];
}

// ---------------------------------------------------------------------------------------------
// Specs and defaults of the recipe's own configs

const num: Spec = { kind: "number" };
const int: Spec = { kind: "number", integer: true };
const str: Spec = { kind: "string" };
const nullableStr: Spec = { kind: "string", nullable: true };
const bool: Spec = { kind: "boolean" };
const en = (...values: string[]): Spec => ({ kind: "enum", values });

export function defaultEvaluation(): RecipeEvaluation {
    return { dataset: "builtin:arithmetic", problems: 200, samples: 4, temperature: 0.6, topP: 0.95, maxNewTokens: 256, promptTemplate: "r1-zero", systemPrompt: null };
}

const EVALUATION_SPEC: Spec = {
    kind: "object",
    fields: { dataset: str, problems: int, samples: int, temperature: num, topP: num, maxNewTokens: int, promptTemplate: en("r1-zero", "chat", "none"), systemPrompt: nullableStr },
};

export function defaultRejectionStageConfig(): RejectionStageConfig {
    return {
        k: 8, temperature: 0.6, topP: 0.95, maxNewTokens: 1024, keep: "all", batchSize: 16, promptTemplate: "r1-zero", systemPrompt: null,
        promptColumn: null, answerColumn: null, dropTruncated: true,
        filter: { enabled: true, language: "en", minLanguageConsistency: 0.95, maxParagraphChars: null, rejectCodeBlocks: false },
        minKept: 1, seed: null,
    };
}

const REJECTION_SPEC: Spec = {
    kind: "object",
    fields: {
        k: int, temperature: num, topP: num, maxNewTokens: int, keep: en("all", "shortest", "random"), batchSize: int,
        promptTemplate: en("r1-zero", "chat", "none"), systemPrompt: nullableStr, promptColumn: nullableStr, answerColumn: nullableStr,
        dropTruncated: bool,
        filter: {
            kind: "object",
            fields: { enabled: bool, language: str, minLanguageConsistency: num, maxParagraphChars: { kind: "number", integer: true, nullable: true }, rejectCodeBlocks: bool },
        },
        minKept: int, seed: { kind: "number", integer: true, nullable: true },
    },
};

export function defaultDistillStageConfig(): DistillStageConfig {
    return {
        teacher: { baseUrl: "", model: "", apiKeyEnv: "OPENAI_API_KEY", timeoutMs: 600_000, maxRetries: 5 },
        samplesPerPrompt: 4, samplesPerRequest: 1, concurrency: 8, temperature: 0.6, topP: 0.95, maxTokens: null,
        promptTemplate: OPEN_R1_MATH_TEMPLATE, systemPrompt: null, promptColumn: null, answerColumn: null, minKept: 1,
    };
}

const DISTILL_SPEC: Spec = {
    kind: "object",
    fields: {
        teacher: { kind: "object", fields: { baseUrl: str, model: str, apiKeyEnv: str, timeoutMs: num, maxRetries: int } },
        samplesPerPrompt: int, samplesPerRequest: int, concurrency: int, temperature: num, topP: num,
        maxTokens: { kind: "number", integer: true, nullable: true },
        promptTemplate: str, systemPrompt: nullableStr, promptColumn: nullableStr, answerColumn: nullableStr, minKept: int,
    },
};

function fail(field: string, message: string): never {
    throw new ConfigError(field, `${field} ${message}`);
}

function intAtLeast(value: number, min: number, field: string): void {
    if (!Number.isSafeInteger(value) || value < min) fail(field, `must be an integer >= ${min}; got ${String(value)}`);
}

function unit(value: number, field: string, openLow: boolean): void {
    if (!(Number.isFinite(value) && (openLow ? value > 0 : value >= 0) && value <= 1)) fail(field, `must be in ${openLow ? "(" : "["}0, 1]; got ${String(value)}`);
}

/** A rejection_sampling stage's config over the defaults, checked (field paths relative to the config). */
export function resolveRejectionStageConfig(input: unknown): RejectionStageConfig {
    const c = resolveWithSpec(REJECTION_SPEC, REJECTION_SPEC, input ?? {}, defaultRejectionStageConfig()) as RejectionStageConfig;
    intAtLeast(c.k, 1, "k");
    if (!(Number.isFinite(c.temperature) && c.temperature >= 0)) fail("temperature", `must be >= 0; got ${String(c.temperature)}`);
    unit(c.topP, "topP", true);
    intAtLeast(c.maxNewTokens, 1, "maxNewTokens");
    intAtLeast(c.batchSize, 1, "batchSize");
    intAtLeast(c.minKept, 0, "minKept");
    if (c.systemPrompt !== null && c.promptTemplate !== "chat") fail("systemPrompt", 'applies to promptTemplate "chat" only');
    unit(c.filter.minLanguageConsistency, "filter.minLanguageConsistency", false);
    if (c.filter.maxParagraphChars !== null) intAtLeast(c.filter.maxParagraphChars, 1, "filter.maxParagraphChars");
    return c;
}

/** A distill stage's config over the defaults, checked (field paths relative to the config). */
export function resolveDistillStageConfig(input: unknown): DistillStageConfig {
    const c = resolveWithSpec(DISTILL_SPEC, DISTILL_SPEC, input ?? {}, defaultDistillStageConfig()) as DistillStageConfig;
    if (!/^https?:\/\/\S+$/.test(c.teacher.baseUrl)) fail("teacher.baseUrl", `is required: the teacher's OpenAI-compatible endpoint, e.g. "http://127.0.0.1:8000/v1"; got ${describeValue(c.teacher.baseUrl)}`);
    if (c.teacher.model.trim() === "") fail("teacher.model", "is required: the served model's name");
    if (!(Number.isFinite(c.teacher.timeoutMs) && c.teacher.timeoutMs > 0)) fail("teacher.timeoutMs", `must be > 0; got ${String(c.teacher.timeoutMs)}`);
    intAtLeast(c.teacher.maxRetries, 0, "teacher.maxRetries");
    intAtLeast(c.samplesPerPrompt, 1, "samplesPerPrompt");
    intAtLeast(c.samplesPerRequest, 1, "samplesPerRequest");
    intAtLeast(c.concurrency, 1, "concurrency");
    if (!(Number.isFinite(c.temperature) && c.temperature >= 0)) fail("temperature", `must be >= 0; got ${String(c.temperature)}`);
    unit(c.topP, "topP", true);
    if (c.maxTokens !== null) intAtLeast(c.maxTokens, 1, "maxTokens");
    if (!c.promptTemplate.includes("{prompt}")) fail("promptTemplate", `must contain "{prompt}" where the question goes; got ${JSON.stringify(c.promptTemplate)}`);
    intAtLeast(c.minKept, 0, "minKept");
    return c;
}

/** The evaluation block over the defaults, checked. */
export function resolveEvaluation(input: unknown): RecipeEvaluation {
    const e = resolveWithSpec(EVALUATION_SPEC, EVALUATION_SPEC, input ?? {}, defaultEvaluation()) as RecipeEvaluation;
    if (e.dataset.trim() === "") fail("dataset", 'is required: "builtin:arithmetic" or a JSONL file');
    intAtLeast(e.problems, 1, "problems");
    intAtLeast(e.samples, 1, "samples");
    if (!(Number.isFinite(e.temperature) && e.temperature >= 0)) fail("temperature", `must be >= 0 (0 = greedy); got ${String(e.temperature)}`);
    unit(e.topP, "topP", true);
    intAtLeast(e.maxNewTokens, 1, "maxNewTokens");
    if (e.systemPrompt !== null && e.promptTemplate !== "chat") fail("systemPrompt", 'applies to promptTemplate "chat" only');
    return e;
}

// ---------------------------------------------------------------------------------------------
// Parsing

const STAGE_KEYS = ["name", "trainer", "description", "model", "data", "config"] as const;
const RECIPE_KEYS = ["name", "description", "outputDir", "seed", "model", "evaluation", "stages"] as const;
const SOURCE_KEYS = ["source", "count", "split", "seed", "columns"] as const;
const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A ConfigError raised inside `prefix` (e.g. "stages[1] (rl).config"), its field and message prefixed. */
function within<T>(prefix: string, run: () => T): T {
    try {
        return run();
    } catch (err) {
        if (err instanceof ConfigError) {
            const field = err.field === "" ? prefix : `${prefix}.${err.field}`;
            const message = err.message.startsWith(err.field) && err.field !== "" ? `${prefix}.${err.message}` : `${prefix}: ${err.message}`;
            throw new ConfigError(field, message);
        }
        if (err instanceof Error) throw new ConfigError(prefix, `${prefix}: ${err.message}`);
        throw err;
    }
}

function checkKeys(value: Record<string, unknown>, known: readonly string[], at: string): void {
    for (const key of Object.keys(value)) {
        if (!known.includes(key)) throw new ConfigError(`${at}${at ? "." : ""}${key}`, `unknown key "${at}${at ? "." : ""}${key}" (known: ${known.join(", ")})`);
    }
}

function nonEmptyString(value: unknown, field: string, what: string): string {
    if (typeof value !== "string" || value.trim() === "") throw new ConfigError(field, `${field} is required: ${what}; got ${describeValue(value)}`);
    return value;
}

function parseSource(value: unknown, at: string): DataSource {
    const raw = typeof value === "string" ? { source: value } : value;
    if (!isPlainObject(raw)) throw new ConfigError(at, `${at} must be a source name or { source, count?, split?, seed?, columns? }; got ${describeValue(value)}`);
    checkKeys(raw, SOURCE_KEYS, at);
    const source = nonEmptyString(raw.source, `${at}.source`, `a file, "@<stage>" or one of ${BUILTIN_DATA_SOURCES.join(", ")}`);
    if (source.startsWith("builtin:") && !(BUILTIN_DATA_SOURCES as readonly string[]).includes(source)) {
        throw new ConfigError(`${at}.source`, `${at}.source ${JSON.stringify(source)} is not a built-in data source (known: ${BUILTIN_DATA_SOURCES.join(", ")})`);
    }
    const count = raw.count ?? null;
    if (count !== null && !(Number.isSafeInteger(count) && (count as number) >= 1)) throw new ConfigError(`${at}.count`, `${at}.count must be an integer >= 1 or null; got ${describeValue(count)}`);
    const split = raw.split ?? null;
    if (split !== null && (typeof split !== "string" || split === "")) throw new ConfigError(`${at}.split`, `${at}.split must be a split name; got ${describeValue(split)}`);
    if (split !== null && source.startsWith("builtin:arithmetic") && split !== "train" && split !== "heldout") {
        throw new ConfigError(`${at}.split`, `${at}.split must be "train" or "heldout" for ${source}; got ${JSON.stringify(split)}`);
    }
    const seed = raw.seed ?? null;
    if (seed !== null && !Number.isSafeInteger(seed)) throw new ConfigError(`${at}.seed`, `${at}.seed must be an integer; got ${describeValue(seed)}`);
    const columns = raw.columns ?? null;
    if (columns !== null) {
        if (!isPlainObject(columns) || !Object.values(columns).every((v) => typeof v === "string" && v !== "")) {
            throw new ConfigError(`${at}.columns`, `${at}.columns must map new column names to source columns ({ question: problem }); got ${describeValue(columns)}`);
        }
    }
    return { source, count: count as number | null, split: split as string | null, seed: seed as number | null, columns: columns as Record<string, string> | null };
}

function parseData(value: unknown, at: string): DataSource[] | null {
    if (value === undefined || value === null) return null;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw new ConfigError(at, `${at} must name at least one source (or be left out)`);
    return list.map((v, i) => parseSource(v, Array.isArray(value) ? `${at}[${i}]` : at));
}

/** What a stage writes that a later one can reference by "@<name>". */
function producesDataset(stage: RecipeStage): boolean {
    return stage.trainer === "rejection_sampling" || stage.trainer === "distill" || stage.data !== null;
}

/** Checks a trainer config by resolving it with the fields the recipe fills in; throws naming the field. */
function checkTrainerConfig(stage: RecipeStage, at: string): void {
    const config = stage.config;
    for (const key of ["model", "outputDir"]) {
        if (key in config) {
            throw new ConfigError(`${at}.config.${key}`, `${at}.config.${key}: the recipe sets it; ${key === "model" ? "set the stage's `model` instead" : "stages write to <outputDir>/<NN>-<name>"}`);
        }
    }
    within(`${at}.config`, () => {
        switch (stage.trainer) {
            case "grpo": {
                const input = { ...config, model: "<stage model>", outputDir: "<stage dir>" } as GrpoConfigInput;
                const hasModules = Array.isArray(config.rewardModules) && config.rewardModules.length > 0;
                resolveGrpoConfig(input, hasModules ? {} : { knownRewards: rewardNames() });
                return;
            }
            case "sft": {
                const data = isPlainObject(config.data) ? config.data : {};
                if (stage.data === null && typeof data.path !== "string") {
                    throw new ConfigError("", "an sft stage needs training rows: give the stage `data` (or config.data.path)");
                }
                if (stage.data !== null && data.path !== undefined) throw new ConfigError("data.path", "data.path and the stage's `data` are both set; keep one");
                const input = { ...config, model: "<stage model>", outputDir: "<stage dir>", data: { ...data, path: data.path ?? "<stage data>" } } as SftConfigInput;
                resolveSftConfig(input);
                return;
            }
            case "rejection_sampling":
                resolveRejectionStageConfig(config);
                return;
            case "distill":
                resolveDistillStageConfig(config);
                return;
        }
    });
    if (stage.trainer === "grpo" && stage.data !== null && isPlainObject(config.data) && config.data.dataset !== undefined) {
        throw new ConfigError(`${at}.config.data.dataset`, `${at}.config.data.dataset and the stage's \`data\` are both set; keep one`);
    }
    if ((stage.trainer === "rejection_sampling" || stage.trainer === "distill") && stage.data === null) {
        throw new ConfigError(`${at}.data`, `${at}.data is required: the prompts (with gold answers) to sample for`);
    }
}

/** A recipe from plain data (a parsed YAML/JSON file); throws a ConfigError naming the stage and field. */
export function parseRecipe(raw: unknown): Recipe {
    if (!isPlainObject(raw)) throw new ConfigError("", `a recipe must be a mapping with name, outputDir and stages; got ${describeValue(raw)}`);
    checkKeys(raw, RECIPE_KEYS, "");
    const name = nonEmptyString(raw.name, "name", "the recipe's name");
    const outputDir = nonEmptyString(raw.outputDir, "outputDir", "the folder the stages write to");
    const seed = raw.seed ?? 42;
    if (!Number.isSafeInteger(seed)) throw new ConfigError("seed", `seed must be an integer; got ${describeValue(seed)}`);
    const model = raw.model === undefined || raw.model === null ? null : nonEmptyString(raw.model, "model", "a model folder or builtin:<name>");
    if (model !== null && model.startsWith("@")) throw new ConfigError("model", `model is the base model: a folder or builtin:<name>, not a stage reference; got ${JSON.stringify(model)}`);
    const description = raw.description === undefined || raw.description === null ? null : String(raw.description);
    const evaluation = raw.evaluation === undefined || raw.evaluation === null ? null : within("evaluation", () => resolveEvaluation(raw.evaluation));
    if (!Array.isArray(raw.stages) || raw.stages.length === 0) throw new ConfigError("stages", `stages must be a non-empty list of stages; got ${describeValue(raw.stages)}`);

    const stages: RecipeStage[] = [];
    for (const [i, value] of (raw.stages as unknown[]).entries()) {
        const bare = `stages[${i}]`;
        if (!isPlainObject(value)) throw new ConfigError(bare, `${bare} must be a mapping with name, trainer and config; got ${describeValue(value)}`);
        const stageName = nonEmptyString(value.name, `${bare}.name`, "a name (letters, digits, _ . -)");
        const at = `${bare} (${stageName})`;
        checkKeys(value, STAGE_KEYS, at);
        if (!STAGE_NAME.test(stageName)) throw new ConfigError(`${at}.name`, `${at}.name must be letters, digits, "_", "." or "-" (it names a folder); got ${JSON.stringify(stageName)}`);
        if (stageName === "base") throw new ConfigError(`${at}.name`, `${at}.name "base" is reserved ("@base" names the recipe's model)`);
        if (stages.some((s) => s.name === stageName)) throw new ConfigError(`${at}.name`, `${at}.name "${stageName}" is used by an earlier stage; stage names must be unique`);
        const trainer = value.trainer;
        if (typeof trainer !== "string" || !(STAGE_TRAINERS as readonly string[]).includes(trainer)) {
            throw new ConfigError(`${at}.trainer`, `${at}.trainer must be one of ${STAGE_TRAINERS.join(", ")}; got ${describeValue(trainer)}`);
        }
        const stageModel = value.model === undefined || value.model === null ? null : nonEmptyString(value.model, `${at}.model`, "a model folder, builtin:<name>, @base or @<stage>");
        if (stageModel === null && i === 0 && model === null) {
            throw new ConfigError(`${at}.model`, `${at}.model is required: the first stage needs a model (or set the recipe's \`model\`)`);
        }
        if (stageModel === "@base" && model === null) throw new ConfigError(`${at}.model`, `${at}.model "@base" names the recipe's model, which is not set`);
        if (stageModel !== null && stageModel.startsWith("@") && stageModel !== "@base" && !stages.some((s) => s.name === stageModel.slice(1))) {
            throw new ConfigError(`${at}.model`, `${at}.model ${JSON.stringify(stageModel)} must name an earlier stage (earlier: ${stages.map((s) => s.name).join(", ") || "none"})`);
        }
        const data = parseData(value.data, `${at}.data`);
        for (const [j, source] of (data ?? []).entries()) {
            if (!source.source.startsWith("@")) continue;
            const ref = stages.find((s) => s.name === source.source.slice(1));
            const field = `${at}.data${data!.length > 1 || Array.isArray(value.data) ? `[${j}]` : ""}.source`;
            if (!ref) throw new ConfigError(field, `${field} ${JSON.stringify(source.source)} must name an earlier stage (earlier: ${stages.map((s) => s.name).join(", ") || "none"})`);
            if (!producesDataset(ref)) throw new ConfigError(field, `${field} ${JSON.stringify(source.source)}: stage "${ref.name}" writes no dataset (give it \`data\`, or reference a rejection_sampling or distill stage)`);
        }
        const config = value.config ?? {};
        if (!isPlainObject(config)) throw new ConfigError(`${at}.config`, `${at}.config must be a mapping (the ${trainer} trainer's config); got ${describeValue(config)}`);
        const stage: RecipeStage = {
            name: stageName,
            trainer: trainer as StageTrainer,
            description: value.description === undefined || value.description === null ? null : String(value.description),
            model: stageModel,
            data,
            config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>,
        };
        checkTrainerConfig(stage, at);
        stages.push(stage);
    }
    return { name, description, outputDir, seed: seed as number, model, evaluation, stages };
}

// ---------------------------------------------------------------------------------------------
// Files and overrides

/** A recipe file (.yaml, .yml or .json) as plain data; parseRecipe checks it. */
export async function loadRecipeFile(file: string): Promise<Record<string, unknown>> {
    // The reader is schema-free (JSON/YAML to a plain object); the GRPO module owns it.
    return (await loadGrpoConfigFile(file)) as Record<string, unknown>;
}

function parseValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/**
 * `raw` with "key=value" overrides applied, as plain data (parseRecipe checks the result).
 * A key starting with a stage's name sets inside that stage ("reasoning_rl.config.optimisation.maxSteps=10",
 * "teacher.config.teacher.baseUrl=http://127.0.0.1:9000/v1"); other keys set recipe fields
 * ("outputDir=runs/x", "evaluation.problems=50"). Values are JSON when they parse as JSON, else strings.
 */
export function applyRecipeOverrides(raw: Record<string, unknown>, overrides: readonly string[]): Record<string, unknown> {
    const out = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
    for (const flag of overrides) {
        const eq = flag.indexOf("=");
        if (eq <= 0) throw new ConfigError("", `override ${JSON.stringify(flag)} must look like key=value (e.g. reasoning_rl.config.optimisation.maxSteps=10)`);
        const segments = flag.slice(0, eq).trim().split(".");
        if (segments.some((s) => s === "")) throw new ConfigError(flag.slice(0, eq), `override key ${JSON.stringify(flag.slice(0, eq))} has an empty segment`);
        let node: Record<string, unknown> = out;
        const stages = Array.isArray(out.stages) ? (out.stages as unknown[]) : [];
        const stage = stages.find((s) => isPlainObject(s) && s.name === segments[0]);
        if (stage !== undefined) {
            node = stage as Record<string, unknown>;
            segments.shift();
            if (segments.length === 0) throw new ConfigError(flag, `override ${JSON.stringify(flag)} names a stage but no field in it`);
        } else if (!(RECIPE_KEYS as readonly string[]).includes(segments[0]!)) {
            const names = stages.map((s) => (isPlainObject(s) ? String(s.name) : "?"));
            throw new ConfigError(segments[0]!, `override ${JSON.stringify(flag)}: "${segments[0]}" is neither a stage (${names.join(", ")}) nor a recipe field (${RECIPE_KEYS.join(", ")})`);
        }
        for (const key of segments.slice(0, -1)) {
            if (!isPlainObject(node[key])) node[key] = {};
            node = node[key] as Record<string, unknown>;
        }
        node[segments[segments.length - 1]!] = parseValue(flag.slice(eq + 1).trim());
    }
    return out;
}
