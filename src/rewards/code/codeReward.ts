/**
 * The code-execution reward (R1, SRPO, Open R1's `code` / `binary_code`):
 * extract the program from the completion, run it against the sample's tests
 * in the local sandbox, score the fraction passed (or 1/0 with
 * `scoring: "all"`).
 *
 *     const reward = createCodeReward({ scoring: "fraction" });
 *     await reward(completion, sample);            // 0.7
 *     await reward.batch(completions, samples);    // [0.7, 0, 1, null]
 *
 * Running code takes time, so the reward returns a promise; judging never
 * blocks the event loop. null means "no score" (the sample has no tests, or
 * names a language we cannot run, or the sandbox itself failed): trainers skip
 * it, as Open R1 does with None. A completion without a program scores 0.
 */
import type { CodeSample } from "./codeTests.js";
import { testsFromSample } from "./codeTests.js";
import { type CodeLanguage, type ExtractOptions, extractProgram } from "./extractProgram.js";
import { CodeJudge, type CodeJudgeConfig, type JudgeResult, type Verdict } from "./judge.js";

/** A completion as text, or as chat messages (the last assistant message is used). */
export type Completion = string | readonly { role?: string; content: string }[];

export interface CodeRewardConfig extends CodeJudgeConfig {
    /** Language when the sample names none. Default "python". */
    defaultLanguage?: CodeLanguage;
    /** How programs are found in completions. */
    extract?: ExtractOptions;
}

export interface CodeRewardDetail extends JudgeResult {
    language: CodeLanguage | null;
    program: string | null;
}

export interface CodeReward {
    (completion: Completion, sample: CodeSample): Promise<number | null>;
    /** Scores completions[i] against samples[i], all at once through the bounded pool. */
    batch(completions: readonly Completion[], samples: readonly CodeSample[]): Promise<(number | null)[]>;
    /** Like batch, with verdicts and reasons per test. */
    details(completions: readonly Completion[], samples: readonly CodeSample[]): Promise<CodeRewardDetail[]>;
    readonly judge: CodeJudge;
}

function completionText(c: Completion, field: string): string {
    if (typeof c === "string") return c;
    if (Array.isArray(c)) {
        const messages = c as readonly { role?: string; content: string }[];
        const last = [...messages].reverse().find((m) => m && (m.role === undefined || m.role === "assistant"));
        if (last && typeof last.content === "string") return last.content;
        throw new TypeError(`${field} has no assistant message with string content`);
    }
    throw new TypeError(`${field} must be a string or an array of chat messages`);
}

function unjudged(reward: number | null, verdict: Verdict, reason: string, total: number, language: CodeLanguage | null): CodeRewardDetail {
    return { reward, passed: 0, total, verdict, reason, tests: [], wallMs: 0, language, program: null };
}

/** Builds a code reward with its own judge (and sandbox pool). */
export function createCodeReward(config: CodeRewardConfig = {}): CodeReward {
    const defaultLanguage = config.defaultLanguage ?? "python";
    if (defaultLanguage !== "python" && defaultLanguage !== "javascript") {
        throw new TypeError(`defaultLanguage must be "python" or "javascript" (got ${String(defaultLanguage)})`);
    }
    const judge = new CodeJudge(config);

    async function detailOne(completion: Completion, sample: CodeSample, field: string): Promise<CodeRewardDetail> {
        const text = completionText(completion, field);
        const parsed = testsFromSample(sample);
        if (parsed === null || parsed.tests.length === 0) return unjudged(null, "skipped", "the sample has no tests", 0, null);
        if (parsed.unsupportedLanguage !== null) {
            const why = `language "${parsed.unsupportedLanguage}" is not supported (python, javascript)`;
            return unjudged(null, "skipped", why, parsed.tests.length, null);
        }
        const language = parsed.language ?? defaultLanguage;
        const program = extractProgram(text, language, config.extract);
        if (program === null) {
            return unjudged(0, "no_program", `no ${language} program found in the completion`, parsed.tests.length, language);
        }
        const result = await judge.judge(program, language, parsed.tests);
        return { ...result, language, program };
    }

    function details(completions: readonly Completion[], samples: readonly CodeSample[]): Promise<CodeRewardDetail[]> {
        if (!Array.isArray(completions) || !Array.isArray(samples)) throw new TypeError("completions and samples must be arrays");
        if (completions.length !== samples.length) {
            throw new TypeError(`completions (${completions.length}) and samples (${samples.length}) must have the same length`);
        }
        return Promise.all(completions.map((c, i) => detailOne(c, samples[i]!, `completions[${i}]`)));
    }

    const reward = (async (completion: Completion, sample: CodeSample) =>
        (await detailOne(completion, sample, "completion")).reward) as CodeReward;
    Object.defineProperties(reward, {
        batch: { value: async (c: readonly Completion[], s: readonly CodeSample[]) => (await details(c, s)).map((d) => d.reward) },
        details: { value: details },
        judge: { value: judge },
    });
    return reward;
}

let shared: CodeReward | null = null;

/** The code reward with default settings (one shared judge per process). */
export function codeReward(completion: Completion, sample: CodeSample): Promise<number | null> {
    shared ??= createCodeReward();
    return shared(completion, sample);
}

/** Batch form of `codeReward`. */
export function codeRewardBatch(completions: readonly Completion[], samples: readonly CodeSample[]): Promise<(number | null)[]> {
    shared ??= createCodeReward();
    return shared.batch(completions, samples);
}
