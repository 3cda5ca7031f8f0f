/** `r1-native eval`: pass@1 averaged over k samples and cons@k on a JSONL set or the built-in held-out split. */
import type { Argv, CommandModule } from "yargs";
import { arithmeticProblems } from "../../data/builtin/arithmetic.js";
import { readJsonlRows } from "../../data/jsonl.js";
import { renderPrompt } from "../../data/promptTemplates.js";
import { type EvalItem, type EvalResult, evaluateMath } from "../../eval/evaluateMath.js";
import { Policy } from "../../model/policy.js";

export interface EvalCommandOptions {
    model: string;
    data: string;
    k: number;
    temperature: number;
    topP: number;
    maxNewTokens: number;
    template: "r1-zero" | "chat" | "none";
    promptColumn: string;
    answerColumn: string;
    limit?: number;
    seed: number;
}


export async function loadEvalItems(policy: Policy, options: EvalCommandOptions): Promise<EvalItem[]> {
    let rows: { question: string; gold: string }[];
    if (options.data === "builtin:arithmetic") {
        rows = arithmeticProblems({ count: options.limit ?? 200, split: "heldout" }).map((p) => ({ question: p.question, gold: String(p.answer) }));
    } else {
        const raw = await readJsonlRows(options.data);
        rows = raw.map((row, i) => {
            const q = row[options.promptColumn], a = row[options.answerColumn];
            if (typeof q !== "string") throw new Error(`${options.data}: row ${i + 1} has no string column "${options.promptColumn}" (set --prompt-column)`);
            if (a === undefined || a === null) throw new Error(`${options.data}: row ${i + 1} has no column "${options.answerColumn}" (set --answer-column)`);
            return { question: q, gold: String(a) };
        });
        if (options.limit !== undefined) rows = rows.slice(0, options.limit);
    }
    return rows.map((r) => ({ prompt: renderPrompt(options.template, r.question, policy.tokenizer), gold: r.gold }));
}

export async function runEval(options: EvalCommandOptions): Promise<EvalResult> {
    const policy = await Policy.fromPretrained(options.model);
    const items = await loadEvalItems(policy, options);
    const result = await evaluateMath(policy, items, {
        k: options.k, temperature: options.temperature, topP: options.topP, maxNewTokens: options.maxNewTokens, seed: options.seed,
    });
    console.log(JSON.stringify({ model: options.model, data: options.data, temperature: options.temperature, topP: options.topP, ...result }));
    return result;
}

export const evalCommand: CommandModule<object, EvalCommandOptions> = {
    command: "eval",
    describe: "Evaluate pass@1 (averaged over k samples) and cons@k (majority vote)",
    builder: (y) =>
        y
            .option("model", { type: "string", demandOption: true, describe: "Hugging Face model folder" })
            .option("data", { type: "string", demandOption: true, describe: "JSONL file, or builtin:arithmetic (held-out split)" })
            .option("k", { type: "number", default: 4, describe: "Samples per problem" })
            .option("temperature", { type: "number", default: 0.6, describe: "Sampling temperature (0 = greedy)" })
            .option("top-p", { type: "number", default: 0.95, describe: "Nucleus mass" })
            .option("max-new-tokens", { type: "number", default: 256 })
            .option("template", { choices: ["r1-zero", "chat", "none"] as const, default: "r1-zero" as const, describe: "How questions become prompts" })
            .option("prompt-column", { type: "string", default: "problem" })
            .option("answer-column", { type: "string", default: "answer" })
            .option("limit", { type: "number", describe: "Evaluate the first N rows only" })
            .option("seed", { type: "number", default: 0 }) as unknown as Argv<EvalCommandOptions>,
    handler: async (argv) => {
        await runEval(argv);
    },
};
