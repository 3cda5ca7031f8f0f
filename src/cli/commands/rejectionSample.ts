/** `r1-native rejection-sample`: k samples per prompt, verified answers kept, written as an SFT dataset (R1 stage 3). */
import type { Argv, CommandModule } from "yargs";
import { arithmeticProblems } from "../../data/builtin/arithmetic.js";
import { readJsonlRows } from "../../data/jsonl.js";
import { renderPrompt } from "../../data/promptTemplates.js";
import { Policy } from "../../model/policy.js";
import { type KeepMode, type RejectionItem, type RejectionSummary, readabilityFilter, rejectionSample, writeJsonlRows } from "../../train/rejectionSampling.js";
import { Progress } from "../progress.js";

export interface RejectionSampleCommandOptions {
    model: string;
    data: string;
    out: string;
    k: number;
    temperature: number;
    topP: number;
    maxNewTokens: number;
    template: "r1-zero" | "chat" | "none";
    systemPrompt?: string;
    promptColumn: string;
    answerColumn: string;
    keep: KeepMode;
    language: string;
    minLanguageConsistency: number;
    maxParagraphChars?: number;
    rejectCodeBlocks: boolean;
    /** false (--no-filter): keep every verified completion. */
    filter: boolean;
    keepTruncated: boolean;
    batchSize: number;
    limit?: number;
    seed: number;
}


/** The prompts of --data (a JSONL file or builtin:arithmetic), rendered with --template. */
export async function loadRejectionItems(policy: Policy, options: RejectionSampleCommandOptions): Promise<RejectionItem[]> {
    let rows: Record<string, unknown>[];
    let promptColumn = options.promptColumn;
    let answerColumn = options.answerColumn;
    if (options.data === "builtin:arithmetic") {
        rows = arithmeticProblems({ count: options.limit ?? 200, split: "train" }).map((p) => ({ problem: p.question, answer: String(p.answer) }));
        promptColumn = "problem";
        answerColumn = "answer";
    } else {
        rows = await readJsonlRows(options.data);
        if (options.limit !== undefined) rows = rows.slice(0, options.limit);
    }
    return rows.map((row, i) => {
        const question = row[promptColumn];
        const gold = row[answerColumn];
        if (typeof question !== "string") throw new Error(`${options.data}: row ${i + 1} has no string column "${promptColumn}" (set --prompt-column)`);
        if (gold === undefined || gold === null) throw new Error(`${options.data}: row ${i + 1} has no column "${answerColumn}" (set --answer-column)`);
        const source = { ...row };
        delete source[promptColumn];
        return { input: renderPrompt(options.template, question, policy.tokenizer, options.systemPrompt ?? null), prompt: question, gold: String(gold), source };
    });
}

export async function runRejectionSample(options: RejectionSampleCommandOptions): Promise<RejectionSummary> {
    const policy = await Policy.fromPretrained(options.model);
    const items = await loadRejectionItems(policy, options);
    const progress = new Progress({ total: items.length, label: "rejection-sample" });
    const { rows, summary } = await rejectionSample(policy, items, {
        k: options.k,
        temperature: options.temperature,
        topP: options.topP,
        maxNewTokens: options.maxNewTokens,
        seed: options.seed,
        batchSize: options.batchSize,
        keep: options.keep,
        dropTruncated: !options.keepTruncated,
        filter: !options.filter
            ? null
            : readabilityFilter({
                  language: options.language,
                  minLanguageConsistency: options.minLanguageConsistency,
                  maxParagraphChars: options.maxParagraphChars ?? null,
                  rejectCodeBlocks: options.rejectCodeBlocks,
              }),
        onProgress: (done, _total, s) => progress.update(done, { verified: `${s.verified}/${s.checked}`, kept: s.kept }),
    });
    progress.done();
    await writeJsonlRows(options.out, rows);
    console.log(JSON.stringify({ model: options.model, data: options.data, out: options.out, k: options.k, template: options.template, ...summary }));
    return summary;
}

export const rejectionSampleCommand: CommandModule<object, RejectionSampleCommandOptions> = {
    command: "rejection-sample",
    describe: "Sample k answers per prompt, keep the verified ones, write an SFT dataset (prompt, completion)",
    builder: (y) =>
        y
            .option("model", { type: "string", demandOption: true, describe: "Hugging Face model folder (the RL checkpoint)" })
            .option("data", { type: "string", demandOption: true, describe: "JSONL prompts with gold answers, or builtin:arithmetic" })
            .option("out", { type: "string", demandOption: true, describe: "Output JSONL (prompt, completion, source columns)" })
            .option("k", { type: "number", default: 8, describe: "Samples per prompt" })
            .option("temperature", { type: "number", default: 0.6 })
            .option("top-p", { type: "number", default: 0.95 })
            .option("max-new-tokens", { type: "number", default: 1024 })
            .option("template", { choices: ["r1-zero", "chat", "none"] as const, default: "r1-zero" as const, describe: "How questions become prompts (train SFT with the same data.promptTemplate)" })
            .option("system-prompt", { type: "string", describe: "System message for --template chat" })
            .option("prompt-column", { type: "string", default: "problem" })
            .option("answer-column", { type: "string", default: "answer" })
            .option("keep", { choices: ["all", "shortest", "random"] as const, default: "all" as const, describe: "Correct completions kept per prompt" })
            .option("language", { type: "string", default: "en", describe: "Language the chain of thought must be in" })
            .option("min-language-consistency", { type: "number", default: 0.95, describe: "Least share of words in --language" })
            .option("max-paragraph-chars", { type: "number", describe: "Reject chains with a longer paragraph" })
            .option("reject-code-blocks", { type: "boolean", default: false })
            .option("filter", { type: "boolean", default: true, describe: "Readability filter on verified completions (--no-filter keeps all)" })
            .option("keep-truncated", { type: "boolean", default: false, describe: "Verify completions cut by --max-new-tokens too" })
            .option("batch-size", { type: "number", default: 16, describe: "Prompts per generation batch" })
            .option("limit", { type: "number", describe: "The first N prompts only" })
            .option("seed", { type: "number", default: 0 }) as unknown as Argv<RejectionSampleCommandOptions>,
    handler: async (argv) => {
        await runRejectionSample(argv);
    },
};
