/**
 * Difficulty grading by a policy's pass rate: each prompt is sampled k times by whatever the
 * injected `passRate` function wraps (a local Policy, a remote endpoint, a cached table), the
 * fraction verified correct is written back as `pass_rate`, and a label as `difficulty`:
 *
 *   easy   passRate >= easyAtLeast   (default 1: every sample correct)
 *   hard   passRate <= hardAtMost    (default 0: no sample correct)
 *   medium otherwise
 *
 * The defaults are the boundaries that matter to GRPO: an all-correct or all-wrong group has
 * zero reward variance and so no advantage signal, and SRPO's history resampling removes the
 * all-correct prompts. Wider bands (e.g. easyAtLeast 0.8, hardAtMost 0.2) are a setting away.
 * The labels are those the curriculum (algo/curriculum.ts) reads. `drop` removes whole levels.
 */
import { columnValue } from "../readers/columnMapping.js";
import type { DataReport, DatasetRow } from "../readers/dataReport.js";
import { noTextReason } from "./text.js";

export type DifficultyLevel = "easy" | "medium" | "hard";

/** Pass rates in [0, 1], one per prompt, in order. The rows are there for answers and metadata. */
export type PassRateFn = (prompts: readonly string[], rows: readonly Record<string, unknown>[]) => Promise<readonly number[]>;

export interface DifficultyThresholds {
    /** Pass rate at or above which a prompt is easy. Default 1. */
    easyAtLeast?: number;
    /** Pass rate at or below which a prompt is hard. Default 0. */
    hardAtMost?: number;
}

export interface GradeOptions extends DifficultyThresholds {
    passRate: PassRateFn;
    /** Column holding the prompt text. Default "prompt". */
    promptColumn?: string;
    /** Prompts per passRate call. Default 64. */
    batchSize?: number;
    /** Column the label is written to. Default "difficulty". */
    difficultyColumn?: string;
    /** Column the pass rate is written to; null to leave it out. Default "pass_rate". */
    passRateColumn?: string | null;
    /** Levels to remove from the output (reported as dropped "easy" / "hard" / "medium"). */
    drop?: readonly DifficultyLevel[];
}

function checkThresholds(t: DifficultyThresholds): { easy: number; hard: number } {
    const easy = t.easyAtLeast ?? 1, hard = t.hardAtMost ?? 0;
    if (!(easy >= 0 && easy <= 1)) throw new RangeError(`grade: easyAtLeast must be in [0, 1], got ${String(t.easyAtLeast)}`);
    if (!(hard >= 0 && hard <= 1)) throw new RangeError(`grade: hardAtMost must be in [0, 1], got ${String(t.hardAtMost)}`);
    if (hard >= easy) throw new RangeError(`grade: hardAtMost (${hard}) must be below easyAtLeast (${easy})`);
    return { easy, hard };
}

/** The level of a pass rate under the thresholds (see the file comment). */
export function difficultyOf(passRate: number, thresholds: DifficultyThresholds = {}): DifficultyLevel {
    const { easy, hard } = checkThresholds(thresholds);
    if (!(passRate >= 0 && passRate <= 1)) throw new RangeError(`grade: a pass rate must be in [0, 1], got ${String(passRate)}`);
    return passRate >= easy ? "easy" : passRate <= hard ? "hard" : "medium";
}

/** Rows with difficulty (and pass-rate) columns added, graded `batchSize` prompts at a time. */
export async function* gradeDifficulty(rows: AsyncIterable<DatasetRow>, report: DataReport, options: GradeOptions): AsyncGenerator<DatasetRow> {
    if (typeof options.passRate !== "function") throw new TypeError("grade: options.passRate must be a function (prompts, rows) => Promise<number[]>");
    const thresholds = checkThresholds(options);
    const promptColumn = options.promptColumn ?? "prompt";
    const batchSize = options.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`grade: batchSize must be a positive integer, got ${String(options.batchSize)}`);
    const difficultyColumn = options.difficultyColumn ?? "difficulty";
    const passRateColumn = options.passRateColumn === undefined ? "pass_rate" : options.passRateColumn;
    const drop = new Set(options.drop ?? []);
    let batch: { item: DatasetRow; prompt: string }[] = [];
    let graded = 0;

    const flush = async function* (): AsyncGenerator<DatasetRow> {
        const current = batch;
        batch = [];
        if (current.length === 0) return;
        const rates = await options.passRate(current.map((b) => b.prompt), current.map((b) => b.item.row));
        if (!Array.isArray(rates) || rates.length !== current.length) {
            throw new Error(`grade: passRate returned ${Array.isArray(rates) ? rates.length : typeof rates} values for ${current.length} prompts (rows ${graded + 1}..${graded + current.length})`);
        }
        for (const [i, { item }] of current.entries()) {
            const rate = rates[i]!;
            if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new RangeError(`grade: passRate gave ${String(rate)} for row ${graded + i + 1}; pass rates must be in [0, 1]`);
            const level = difficultyOf(rate, { easyAtLeast: thresholds.easy, hardAtMost: thresholds.hard });
            if (drop.has(level)) {
                report.addDropped(item.source, level, `pass rate ${rate}`);
                continue;
            }
            const row = { ...item.row, [difficultyColumn]: level };
            if (passRateColumn !== null) row[passRateColumn] = rate;
            yield { row, source: item.source };
        }
        graded += current.length;
    };

    for await (const item of rows) {
        const prompt = columnValue(item.row, promptColumn);
        if (typeof prompt !== "string" || prompt === "") {
            report.addBad(item.source, noTextReason(promptColumn));
            continue;
        }
        batch.push({ item, prompt });
        if (batch.length >= batchSize) yield* flush();
    }
    yield* flush();
}
