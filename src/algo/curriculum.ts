/**
 * Curriculum by a difficulty column: samples are ranked easy → hard and each step draws its
 * prompts from a pool that grows with the step.
 *
 * Difficulty values are numbers (any scale, lower = easier) or the labels "easy" | "medium" |
 * "hard" (ranked 0, 1, 2; case-insensitive). A column mixes neither kinds nor blanks. Ties are
 * broken by a seeded shuffle, so the ranking, and everything drawn from it, is a pure function
 * of (difficulties, schedule, seed, step): resuming at step s needs nothing but s.
 *
 * Schedules:
 * - `sorted`: one pass over the ranking, easy first, B prompts per step, then around again.
 * - `linear`: the pool is the easiest fraction f(s) = start + (1 − start)·min(1, s / rampSteps)
 *   of the ranking (at least min(B, N) samples); f reaches 1 (all data) at rampSteps.
 * - `staged`: stages [{ untilStep, maxDifficulty }]: while s < untilStep the pool is every
 *   sample with difficulty <= maxDifficulty; after the last stage, all data.
 * For `linear` and `staged` a step draws B distinct prompts uniformly from its pool with a
 * generator seeded by (seed, step); a pool smaller than B is used whole, then reshuffled.
 */
import { Rng, deriveSeed, shuffleInPlace } from "./sampling.js";

export type DifficultyLabel = "easy" | "medium" | "hard";
export type Difficulty = number | DifficultyLabel;

export const DIFFICULTY_LABELS: Readonly<Record<DifficultyLabel, number>> = { easy: 0, medium: 1, hard: 2 };

export interface CurriculumStage {
    /** The stage lasts while step < untilStep. */
    untilStep: number;
    /** Samples up to this difficulty are in the pool (same kind as the column: number or label). */
    maxDifficulty: Difficulty;
}

export type CurriculumSchedule =
    | { type: "sorted" }
    | { type: "linear"; startFraction: number; rampSteps: number }
    | { type: "staged"; stages: CurriculumStage[] };

type Kind = "number" | "label";

function parseDifficulty(value: unknown, where: string): { rank: number; kind: Kind } {
    if (typeof value === "number") {
        if (!Number.isFinite(value)) throw new RangeError(`${where}: difficulty must be finite; got ${String(value)}`);
        return { rank: value, kind: "number" };
    }
    if (typeof value === "string") {
        const key = value.trim().toLowerCase();
        if (key in DIFFICULTY_LABELS) return { rank: DIFFICULTY_LABELS[key as DifficultyLabel], kind: "label" };
        if (key !== "" && Number.isFinite(Number(key))) return { rank: Number(key), kind: "number" };
    }
    throw new TypeError(`${where}: difficulty must be a number or "easy" | "medium" | "hard"; got ${JSON.stringify(value)}`);
}

/** Numeric ranks of a difficulty column; throws naming the first bad row, or a mix of kinds. */
export function difficultyRanks(values: readonly unknown[], column = "difficulty"): { ranks: number[]; kind: Kind } {
    const ranks: number[] = [];
    let kind: Kind | null = null;
    let firstRow = -1;
    for (const [i, v] of values.entries()) {
        const parsed = parseDifficulty(v, `row ${i}, column "${column}"`);
        if (kind === null) {
            kind = parsed.kind;
            firstRow = i;
        } else if (parsed.kind !== kind) {
            throw new TypeError(
                `column "${column}" mixes labels and numbers: row ${firstRow} is ${JSON.stringify(values[firstRow])}, row ${i} is ${JSON.stringify(v)}`,
            );
        }
        ranks.push(parsed.rank);
    }
    return { ranks, kind: kind ?? "number" };
}

/** Reads a difficulty column from dataset rows; a missing value is an error naming the row. */
export function difficultiesFromRows(rows: readonly Record<string, unknown>[], column: string): unknown[] {
    return rows.map((row, i) => {
        if (typeof row !== "object" || row === null || !(column in row)) {
            throw new TypeError(`row ${i} has no difficulty column "${column}"`);
        }
        return row[column];
    });
}

/** Indices ranked easy → hard; equal difficulties in a seeded random order. */
export function orderByDifficulty(values: readonly unknown[], seed: number, column = "difficulty"): number[] {
    const { ranks } = difficultyRanks(values, column);
    return rankOrder(ranks, seed);
}

function rankOrder(ranks: readonly number[], seed: number): number[] {
    // Shuffle first, then a stable sort: ties keep the shuffled order.
    const order = shuffleInPlace(
        Array.from({ length: ranks.length }, (_, i) => i),
        Rng.fromSeed(deriveSeed(seed, 0x43555252)),
    );
    return order.sort((a, b) => ranks[a]! - ranks[b]!);
}

function checkSchedule(schedule: CurriculumSchedule, kind: Kind): void {
    if (typeof schedule !== "object" || schedule === null) throw new TypeError("curriculum.schedule must be an object");
    switch (schedule.type) {
        case "sorted":
            return;
        case "linear": {
            const { startFraction, rampSteps } = schedule;
            if (!(typeof startFraction === "number" && startFraction > 0 && startFraction <= 1)) {
                throw new RangeError(`curriculum.schedule.startFraction must be in (0, 1]; got ${String(startFraction)}`);
            }
            if (!Number.isInteger(rampSteps) || rampSteps < 1) {
                throw new RangeError(`curriculum.schedule.rampSteps must be an integer >= 1; got ${String(rampSteps)}`);
            }
            return;
        }
        case "staged": {
            if (!Array.isArray(schedule.stages) || schedule.stages.length === 0) {
                throw new TypeError("curriculum.schedule.stages must be a non-empty array of { untilStep, maxDifficulty }");
            }
            let previous = 0;
            for (const [i, stage] of schedule.stages.entries()) {
                if (!Number.isInteger(stage.untilStep) || stage.untilStep <= previous) {
                    throw new RangeError(
                        `curriculum.schedule.stages[${i}].untilStep must be an integer > ${previous} (stages in increasing order); got ${String(stage.untilStep)}`,
                    );
                }
                previous = stage.untilStep;
                const parsed = parseDifficulty(stage.maxDifficulty, `curriculum.schedule.stages[${i}].maxDifficulty`);
                if (parsed.kind !== kind) {
                    throw new TypeError(
                        `curriculum.schedule.stages[${i}].maxDifficulty is a ${parsed.kind} but the difficulty column holds ${kind}s`,
                    );
                }
            }
            return;
        }
        default:
            throw new RangeError(
                `curriculum.schedule.type must be "sorted", "linear" or "staged"; got ${JSON.stringify((schedule as { type: unknown }).type)}`,
            );
    }
}

export class Curriculum {
    /** Sample indices ranked easy → hard. */
    readonly order: readonly number[];
    private readonly ranks: readonly number[];
    private readonly stageLimits: number[];

    constructor(
        difficulties: readonly unknown[],
        readonly schedule: CurriculumSchedule,
        readonly seed: number,
        column = "difficulty",
    ) {
        const { ranks, kind } = difficultyRanks(difficulties, column);
        if (ranks.length === 0) throw new RangeError("curriculum needs at least one sample");
        checkSchedule(schedule, kind);
        this.ranks = ranks;
        this.order = rankOrder(ranks, seed);
        this.stageLimits =
            schedule.type === "staged"
                ? schedule.stages.map((s, i) => parseDifficulty(s.maxDifficulty, `stages[${i}]`).rank)
                : [];
    }

    get size(): number {
        return this.order.length;
    }

    /** The fraction of the ranking in the pool at `step` (`sorted`: 1). */
    fractionAt(step: number): number {
        return this.poolSizeAt(step) / this.size;
    }

    /** The samples eligible at `step`, easy first (a prefix of `order`). */
    poolAt(step: number): number[] {
        return this.order.slice(0, this.poolSizeAt(step));
    }

    /**
     * The B prompts of `step` (0-based). `exclude` removes samples from the pool (e.g. prompts
     * dropped by history resampling); an empty pool is an error.
     */
    batchAt(step: number, batchSize: number, exclude?: ReadonlySet<number>): number[] {
        checkStep(step);
        if (!Number.isInteger(batchSize) || batchSize < 1) {
            throw new RangeError(`batchSize must be an integer >= 1; got ${String(batchSize)}`);
        }
        if (this.schedule.type === "sorted") {
            const pool = exclude === undefined ? this.order : this.order.filter((i) => !exclude.has(i));
            if (pool.length === 0) throw new RangeError(`curriculum pool at step ${step} is empty`);
            const out: number[] = [];
            for (let k = 0; k < batchSize; k++) out.push(pool[(step * batchSize + k) % pool.length]!);
            return out;
        }
        let size = this.poolSizeAt(step);
        if (this.schedule.type === "linear") size = Math.max(size, Math.min(batchSize, this.size));
        let pool = this.order.slice(0, size);
        if (exclude !== undefined) pool = pool.filter((i) => !exclude.has(i));
        if (pool.length === 0) throw new RangeError(`curriculum pool at step ${step} is empty`);
        const rng = Rng.fromSeed(deriveSeed(this.seed, step));
        const out: number[] = [];
        while (out.length < batchSize) {
            // Partial Fisher-Yates: the first `need` slots become a uniform draw without replacement.
            const round = pool.slice();
            const need = Math.min(batchSize - out.length, round.length);
            for (let i = 0; i < need; i++) {
                const j = i + rng.intBelow(round.length - i);
                const tmp = round[i]!;
                round[i] = round[j]!;
                round[j] = tmp;
                out.push(round[i]!);
            }
        }
        return out;
    }

    private poolSizeAt(step: number): number {
        checkStep(step);
        const n = this.size;
        const schedule = this.schedule;
        if (schedule.type === "sorted") return n;
        if (schedule.type === "linear") {
            const f = schedule.startFraction + (1 - schedule.startFraction) * Math.min(1, step / schedule.rampSteps);
            return Math.min(n, Math.max(1, Math.ceil(n * f - 1e-9)));
        }
        const stage = schedule.stages.findIndex((s) => step < s.untilStep);
        if (stage < 0) return n;
        const limit = this.stageLimits[stage]!;
        // `order` is sorted by rank, so the pool is a prefix.
        let count = 0;
        while (count < n && this.ranks[this.order[count]!]! <= limit) count++;
        if (count === 0) {
            throw new RangeError(
                `curriculum stage ${stage} (until step ${schedule.stages[stage]!.untilStep}) has no sample with difficulty <= ${String(schedule.stages[stage]!.maxDifficulty)}`,
            );
        }
        return count;
    }
}

function checkStep(step: number): void {
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`step must be an integer >= 0; got ${String(step)}`);
}
