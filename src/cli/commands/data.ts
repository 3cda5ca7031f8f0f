/**
 * `r1-native data`: curate a training set, streaming JSONL / Parquet / dataset folders in and
 * one JSONL file out, with a summary of rows in, out, dropped per reason and bad rows by line.
 *
 *   r1-native data dedup         --in raw.jsonl --out dedup.jsonl --column problem [--method exact|near|both]
 *   r1-native data decontaminate --in dedup.jsonl --out clean.jsonl --column problem --eval aime24.jsonl --eval math500/
 *   r1-native data filter        --in clean.jsonl --out filtered.jsonl --column problem --max-chars 4000 --language en --require-answer
 *   r1-native data grade         --in filtered.jsonl --out graded.jsonl --model ./Qwen2.5-1.5B --k 8 --prompt-column problem
 *
 * `--map out=in` renames columns on the way in (the others are kept). The output is written to
 * a temporary file next to --out and renamed over it at the end, so a failed run leaves no
 * half-written file. --report FILE also writes the summary as JSON.
 */
import { rename, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { decontaminate, buildEvalIndex } from "../../data/curation/decontaminate.js";
import { gradeDifficulty, type DifficultyLevel, type PassRateFn } from "../../data/curation/difficulty.js";
import { exactDedup } from "../../data/curation/exactDedup.js";
import { filterRows, type FilterOptions } from "../../data/curation/filters.js";
import { nearDedup } from "../../data/curation/nearDedup.js";
import { policyPassRate } from "../../data/curation/policyPassRate.js";
import { JsonlWriter } from "../../data/jsonl.js";
import { renderPrompt } from "../../data/promptTemplates.js";
import { DataReport, type DatasetRow } from "../../data/readers/dataReport.js";
import { openDataset } from "../../data/readers/openDataset.js";
import { remotePassRate } from "../../distill/remotePassRate.js";
import { tempPathFor } from "../../model/atomicWrite.js";

export interface DataIo {
    stderr: { write(chunk: string): unknown };
}

export interface DataCommonOptions {
    in: string;
    out: string;
    split?: string;
    subset?: string;
    /** "output=input" column renames applied while reading. */
    map?: string[];
    /** Columns whose joined text the step reads. */
    column?: string[];
    /** Also write the summary as JSON here. */
    report?: string;
}

export interface DedupCommandOptions extends DataCommonOptions {
    method?: "exact" | "near" | "both";
    threshold?: number;
    numPerm?: number;
    ngram?: number;
    bands?: number;
    seed?: number;
    stripPunctuation?: boolean;
}

export interface DecontaminateCommandOptions extends DataCommonOptions {
    eval: string[];
    evalColumn?: string[];
    evalSplit?: string;
    ngram?: number;
    stripPunctuation?: boolean;
}

export interface FilterCommandOptions extends DataCommonOptions {
    minChars?: number;
    maxChars?: number;
    minTokens?: number;
    maxTokens?: number;
    /** Folder with tokenizer.json, for the token limits. */
    tokenizer?: string;
    language?: string;
    minLanguageRatio?: number;
    dropNoWords?: boolean;
    requireAnswer?: boolean;
    answerColumn?: string;
    boxedColumn?: string[];
}

export interface GradeCommandOptions extends DataCommonOptions {
    /** Local model folder. */
    model?: string;
    /** Or an OpenAI-compatible endpoint and its model name. */
    baseUrl?: string;
    remoteModel?: string;
    apiKeyEnv?: string;
    k?: number;
    batchSize?: number;
    promptColumn?: string;
    answerColumn?: string;
    template?: "r1-zero" | "chat" | "none";
    maxNewTokens?: number;
    temperature?: number;
    topP?: number;
    seed?: number;
    concurrency?: number;
    easyAtLeast?: number;
    hardAtMost?: number;
    drop?: DifficultyLevel[];
}

/** Parses "--map prompt=problem" pairs into a column mapping. */
export function parseColumnMap(pairs: readonly string[]): Record<string, string> {
    const mapping: Record<string, string> = {};
    for (const pair of pairs) {
        const eq = pair.indexOf("=");
        if (eq <= 0 || eq === pair.length - 1) throw new Error(`r1-native data: --map takes output=input, got ${JSON.stringify(pair)}`);
        mapping[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return mapping;
}

/** Reads --in, runs `step`, writes --out, prints the summary; returns the report. */
async function runStep(
    name: string,
    options: DataCommonOptions,
    io: DataIo,
    step: (rows: AsyncIterable<DatasetRow>, report: DataReport) => AsyncIterable<DatasetRow>,
): Promise<DataReport> {
    if (!options.in || !options.out) throw new Error(`r1-native data ${name}: --in and --out are required`);
    if (resolve(options.in) === resolve(options.out)) throw new Error(`r1-native data ${name}: --out must differ from --in`);
    const report = new DataReport();
    const map = options.map !== undefined && options.map.length > 0 ? parseColumnMap(options.map) : undefined;
    const rows = openDataset(options.in, {
        ...(options.split !== undefined ? { split: options.split } : {}),
        ...(options.subset !== undefined ? { subset: options.subset } : {}),
        ...(map !== undefined ? { columns: map, keepOtherColumns: true } : {}),
        report,
    });
    const temp = tempPathFor(options.out);
    const writer = await JsonlWriter.open(temp, { syncEvery: 0 });
    try {
        for await (const item of step(rows, report)) {
            await writer.write(item.row);
            report.rowsOut++;
        }
        await writer.close();
        await rename(temp, options.out);
    } catch (error) {
        await writer.close().catch(() => undefined);
        await rm(temp, { force: true });
        throw error;
    }
    io.stderr.write(`r1-native data ${name}: ${options.in} → ${options.out}\n${report.format()}\n`);
    if (options.report !== undefined) {
        await writeFile(options.report, `${JSON.stringify({ step: name, in: options.in, out: options.out, ...report.toJSON() }, null, 2)}\n`);
    }
    return report;
}

const columns = (options: DataCommonOptions): string[] => options.column ?? ["prompt"];

export function runDataDedup(options: DedupCommandOptions, io: DataIo = { stderr: process.stderr }): Promise<DataReport> {
    const method = options.method ?? "both";
    if (!["exact", "near", "both"].includes(method)) throw new Error(`r1-native data dedup: --method must be exact, near or both, got ${JSON.stringify(method)}`);
    return runStep("dedup", options, io, (rows, report) => {
        const normalize = { stripPunctuation: options.stripPunctuation === true };
        let out: AsyncIterable<DatasetRow> = rows;
        if (method !== "near") out = exactDedup(out, report, { columns: columns(options), ...normalize });
        if (method !== "exact") {
            out = nearDedup(out, report, {
                columns: columns(options),
                ...normalize,
                ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
                ...(options.numPerm !== undefined ? { numPerm: options.numPerm } : {}),
                ...(options.ngram !== undefined ? { ngram: options.ngram } : {}),
                ...(options.bands !== undefined ? { bands: options.bands } : {}),
                ...(options.seed !== undefined ? { seed: options.seed } : {}),
            });
        }
        return out;
    });
}

export async function runDataDecontaminate(options: DecontaminateCommandOptions, io: DataIo = { stderr: process.stderr }): Promise<DataReport> {
    if (!options.eval || options.eval.length === 0) throw new Error("r1-native data decontaminate: give at least one --eval FILE or folder");
    const decon = { ngram: options.ngram ?? 8, stripPunctuation: options.stripPunctuation === true };
    return runStep("decontaminate", options, io, (rows, report) => {
        const run = async function* (): AsyncGenerator<DatasetRow> {
            const evalReport = new DataReport();
            const sets = options.eval.map((path) => openDataset(path, { ...(options.evalSplit !== undefined ? { split: options.evalSplit } : {}), report: evalReport }));
            async function* allEval(): AsyncGenerator<DatasetRow> {
                for (const set of sets) yield* set;
            }
            const index = await buildEvalIndex(allEval(), evalReport, { ...decon, columns: options.evalColumn ?? ["problem"] });
            report.notes.push(`evaluation sets: ${evalReport.rowsIn} rows read (${evalReport.badCount} bad), ${index.size} distinct ${index.ngram}-grams`);
            for (const t of evalReport.toJSON().badByReason) report.notes.push(`evaluation ${t.reason}: ${t.count}`);
            yield* decontaminate(rows, index, report, { columns: columns(options) });
        };
        return run();
    });
}

export async function runDataFilter(options: FilterCommandOptions, io: DataIo = { stderr: process.stderr }): Promise<DataReport> {
    let countTokens: ((text: string) => number) | undefined;
    if (options.tokenizer !== undefined) {
        const { HfTokenizer } = await import("../../model/tokenizer.js");
        const tokenizer = await HfTokenizer.fromFolder(options.tokenizer);
        countTokens = (text) => tokenizer.encode(text, { addSpecialTokens: false }).length;
    }
    const filter: FilterOptions = { columns: columns(options) };
    const limits = { minChars: options.minChars, maxChars: options.maxChars, minTokens: options.minTokens, maxTokens: options.maxTokens };
    if (Object.values(limits).some((v) => v !== undefined)) {
        filter.length = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
        if (countTokens !== undefined) filter.length.countTokens = countTokens;
        if ((options.minTokens !== undefined || options.maxTokens !== undefined) && countTokens === undefined) {
            throw new Error("r1-native data filter: --min-tokens/--max-tokens need --tokenizer FOLDER");
        }
    }
    if (options.language !== undefined) {
        filter.language = { language: options.language, keepNoWords: options.dropNoWords !== true, ...(options.minLanguageRatio !== undefined ? { minRatio: options.minLanguageRatio } : {}) };
    }
    if (options.requireAnswer === true) {
        filter.requireAnswer = { answerColumn: options.answerColumn ?? "answer", boxedColumns: options.boxedColumn ?? ["solution"] };
    }
    if (filter.length === undefined && filter.language === undefined && filter.requireAnswer === undefined) {
        throw new Error("r1-native data filter: set at least one of --min/max-chars, --min/max-tokens, --language, --require-answer");
    }
    return runStep("filter", options, io, (rows, report) => filterRows(rows, report, filter));
}

async function passRateFor(options: GradeCommandOptions): Promise<PassRateFn> {
    const sampling = {
        k: options.k ?? 8,
        temperature: options.temperature ?? 0.6,
        topP: options.topP ?? 0.95,
        answerColumn: options.answerColumn ?? "answer",
    };
    if (options.model !== undefined && options.baseUrl !== undefined) throw new Error("r1-native data grade: give --model or --base-url, not both");
    if (options.baseUrl !== undefined) {
        if (options.remoteModel === undefined) throw new Error("r1-native data grade: --base-url needs --remote-model NAME");
        return remotePassRate({
            client: { baseUrl: options.baseUrl, model: options.remoteModel, ...(options.apiKeyEnv !== undefined ? { apiKeyEnv: options.apiKeyEnv } : {}) },
            ...sampling,
            ...(options.maxNewTokens !== undefined ? { maxTokens: options.maxNewTokens } : {}),
            ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        });
    }
    if (options.model === undefined) throw new Error("r1-native data grade: give --model FOLDER (local) or --base-url URL --remote-model NAME");
    const { Policy } = await import("../../model/policy.js");
    const policy = await Policy.fromPretrained(options.model);
    const template = options.template ?? "r1-zero";
    const render = (prompt: string): string => renderPrompt(template, prompt, policy.tokenizer);
    return policyPassRate(policy, { ...sampling, render, maxNewTokens: options.maxNewTokens ?? 1024, seed: options.seed ?? 0 });
}

/** `passRate` replaces the model (for tests and programmatic use). */
export async function runDataGrade(options: GradeCommandOptions, io: DataIo = { stderr: process.stderr }, passRate?: PassRateFn): Promise<DataReport> {
    const rate = passRate ?? (await passRateFor(options));
    return runStep("grade", options, io, (rows, report) =>
        gradeDifficulty(rows, report, {
            passRate: rate,
            promptColumn: options.promptColumn ?? "prompt",
            ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
            ...(options.easyAtLeast !== undefined ? { easyAtLeast: options.easyAtLeast } : {}),
            ...(options.hardAtMost !== undefined ? { hardAtMost: options.hardAtMost } : {}),
            ...(options.drop !== undefined ? { drop: options.drop } : {}),
        }),
    );
}

function common<T>(y: Argv): Argv<T> {
    return y
        .option("in", { type: "string", demandOption: true, describe: "JSONL or Parquet file, or a dataset folder" })
        .option("out", { type: "string", demandOption: true, describe: "JSONL file to write" })
        .option("split", { type: "string", describe: "Split of a dataset folder" })
        .option("subset", { type: "string", describe: "Subset (configuration folder) of a dataset folder" })
        .option("map", { type: "string", array: true, describe: "Rename columns while reading: output=input (repeatable)" })
        .option("column", { type: "string", array: true, describe: "Column(s) whose text the step reads", default: ["prompt"] })
        .option("report", { type: "string", describe: "Also write the summary as JSON here" }) as unknown as Argv<T>;
}

const dedup: CommandModule<object, DedupCommandOptions> = {
    command: "dedup",
    describe: "Remove exact duplicates (normalised text) and near duplicates (MinHash LSH)",
    builder: (y) =>
        common<DedupCommandOptions>(y)
            .option("method", { choices: ["exact", "near", "both"] as const, default: "both" as const })
            .option("threshold", { type: "number", describe: "Near-duplicate Jaccard threshold (default 0.8)" })
            .option("num-perm", { type: "number", describe: "MinHash permutations (default 128)" })
            .option("ngram", { type: "number", describe: "Words per shingle (default 5)" })
            .option("bands", { type: "number", describe: "LSH bands (default: chosen from the threshold)" })
            .option("seed", { type: "number", describe: "MinHash seed (default 0)" })
            .option("strip-punctuation", { type: "boolean", describe: "Ignore punctuation and symbols when comparing" }) as unknown as Argv<DedupCommandOptions>,
    handler: async (argv) => void (await runDataDedup(argv)),
};

const decontaminateCommand: CommandModule<object, DecontaminateCommandOptions> = {
    command: "decontaminate",
    describe: "Drop training rows sharing a word n-gram with an evaluation set",
    builder: (y) =>
        common<DecontaminateCommandOptions>(y)
            .option("eval", { type: "string", array: true, demandOption: true, describe: "Evaluation file or folder (repeatable)" })
            .option("eval-column", { type: "string", array: true, describe: "Evaluation text column(s) (default problem)" })
            .option("eval-split", { type: "string", describe: "Split of evaluation folders" })
            .option("ngram", { type: "number", describe: "Words per n-gram (default 8)" })
            .option("strip-punctuation", { type: "boolean" }) as unknown as Argv<DecontaminateCommandOptions>,
    handler: async (argv) => void (await runDataDecontaminate(argv)),
};

const filterCommand: CommandModule<object, FilterCommandOptions> = {
    command: "filter",
    describe: "Keep rows within length limits, in a language, with an answer",
    builder: (y) =>
        common<FilterCommandOptions>(y)
            .option("min-chars", { type: "number" })
            .option("max-chars", { type: "number" })
            .option("min-tokens", { type: "number" })
            .option("max-tokens", { type: "number" })
            .option("tokenizer", { type: "string", describe: "Folder with tokenizer.json (for token limits)" })
            .option("language", { type: "string", describe: "en, zh, ja, ko, ru, ... (script-based)" })
            .option("min-language-ratio", { type: "number", describe: "Share of words in the language (default 0.9)" })
            .option("drop-no-words", { type: "boolean", describe: "Drop texts without any word when filtering by language" })
            .option("require-answer", { type: "boolean", describe: "Drop rows with no answer column value and no \\boxed{} answer" })
            .option("answer-column", { type: "string", default: "answer" })
            .option("boxed-column", { type: "string", array: true, describe: "Columns searched for \\boxed{} (default solution)" }) as unknown as Argv<FilterCommandOptions>,
    handler: async (argv) => void (await runDataFilter(argv)),
};

const gradeCommand: CommandModule<object, GradeCommandOptions> = {
    command: "grade",
    describe: "Add difficulty (easy/medium/hard) and pass_rate columns from a policy's pass rate over k samples",
    builder: (y) =>
        common<GradeCommandOptions>(y)
            .option("model", { type: "string", describe: "Local Hugging Face model folder" })
            .option("base-url", { type: "string", describe: "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1" })
            .option("remote-model", { type: "string", describe: "Model name at --base-url" })
            .option("api-key-env", { type: "string", describe: "Variable holding the API key (default OPENAI_API_KEY)" })
            .option("k", { type: "number", default: 8, describe: "Samples per prompt" })
            .option("batch-size", { type: "number", default: 64 })
            .option("prompt-column", { type: "string", default: "prompt" })
            .option("answer-column", { type: "string", default: "answer" })
            .option("template", { choices: ["r1-zero", "chat", "none"] as const, default: "r1-zero" as const, describe: "Local model prompt format" })
            .option("max-new-tokens", { type: "number" })
            .option("temperature", { type: "number", default: 0.6 })
            .option("top-p", { type: "number", default: 0.95 })
            .option("seed", { type: "number", default: 0 })
            .option("concurrency", { type: "number", describe: "Requests in flight (remote)" })
            .option("easy-at-least", { type: "number", describe: "Pass rate for easy (default 1)" })
            .option("hard-at-most", { type: "number", describe: "Pass rate for hard (default 0)" })
            .option("drop", { type: "string", array: true, choices: ["easy", "medium", "hard"], describe: "Levels to remove" }) as unknown as Argv<GradeCommandOptions>,
    handler: async (argv) => void (await runDataGrade(argv)),
};

export const dataCommand: CommandModule = {
    command: "data",
    describe: "Curate training data: dedup, decontaminate, filter, grade",
    builder: (y) => y.command(dedup).command(decontaminateCommand).command(filterCommand).command(gradeCommand).demandCommand(1, "Name a step: dedup, decontaminate, filter or grade"),
    handler: () => undefined,
};
