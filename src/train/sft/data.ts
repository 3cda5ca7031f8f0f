/**
 * The SFT data of a run: rows read from JSONL, the held-out split (a seeded fraction of the
 * training rows, or a separate file), tokenised and masked by tokenise.ts.
 */
import { deriveSeed, permutation } from "../../algo/sampling.js";
import { readJsonl } from "../../data/jsonl.js";
import type { HfTokenizer } from "../../model/tokenizer.js";
import type { SftDataConfig } from "./config.js";
import { type SftExample, type SourceRow, type TokeniseSummary, tokeniseRows } from "./tokenise.js";

/** Stream id of the held-out split (kept apart from the epoch orders, which use the epoch number). */
const HELD_OUT_STREAM = 0x5f7e;

export async function readSourceRows(file: string): Promise<SourceRow[]> {
    const rows: SourceRow[] = [];
    for await (const { row, line } of readJsonl(file)) rows.push({ row, where: `${file}:${line}` });
    return rows;
}

/** A seeded split: round(n · fraction) rows held out (at least 1 when fraction > 0), both parts in file order. */
export function splitHeldOut<T>(rows: readonly T[], fraction: number, seed: number): { train: T[]; heldOut: T[] } {
    if (fraction <= 0) return { train: [...rows], heldOut: [] };
    const count = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction)));
    const held = new Set(permutation(rows.length, deriveSeed(seed, HELD_OUT_STREAM)).slice(0, Math.max(count, 0)));
    return { train: rows.filter((_, i) => !held.has(i)), heldOut: rows.filter((_, i) => held.has(i)) };
}

export interface SftData {
    train: SftExample[];
    eval: SftExample[];
    trainSummary: TokeniseSummary;
    evalSummary: TokeniseSummary | null;
}

/** Reads, splits and tokenises the data of `data`. */
export async function loadSftData(tokenizer: HfTokenizer, data: SftDataConfig, seed: number): Promise<SftData> {
    const rows = await readSourceRows(data.path);
    if (rows.length === 0) throw new Error(`data.path ${data.path} has no rows`);
    let trainRows = rows;
    let evalRows: SourceRow[] = [];
    if (data.evalPath !== null) {
        evalRows = await readSourceRows(data.evalPath);
        if (evalRows.length === 0) throw new Error(`data.evalPath ${data.evalPath} has no rows`);
    } else if (data.evalFraction > 0) {
        if (rows.length < 2) throw new Error(`data.evalFraction needs at least 2 rows in ${data.path} (one to train on, one to hold out)`);
        ({ train: trainRows, heldOut: evalRows } = splitHeldOut(rows, data.evalFraction, seed));
    }
    const train = tokeniseRows(tokenizer, trainRows, data);
    if (train.examples.length === 0) {
        const s = train.summary;
        throw new Error(
            `data.path ${data.path}: no row is left to train on (${s.droppedPromptTooLong} prompts reach data.maxLength ${data.maxLength}, ` +
                `${s.droppedEmpty} without completion tokens); raise data.maxLength or check the columns`,
        );
    }
    const held = evalRows.length > 0 ? tokeniseRows(tokenizer, evalRows, data) : null;
    return { train: train.examples, eval: held?.examples ?? [], trainSummary: train.summary, evalSummary: held?.summary ?? null };
}
