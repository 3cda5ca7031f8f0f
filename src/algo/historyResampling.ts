/**
 * SRPO history resampling (Kwaipilot, arXiv 2504.14286): during an epoch, record whether each
 * rollout of each prompt was correct; at the end of the epoch drop the prompts whose rollouts
 * were ALL correct (too easy: zero advantage, no gradient). Prompts with mixed outcomes stay,
 * and so do prompts whose rollouts were all wrong (hard now, possibly informative later); this
 * is the difference from DAPO's per-step dynamic sampling, which drops both.
 *
 * A rollout counts as correct when its value is >= `threshold` (default 1: an accuracy reward
 * of exactly 1); `true`/`false` are accepted as 1/0. NaN (unscorable) is never correct, so a
 * prompt with an unscorable rollout is kept. A prompt never recorded is kept.
 *
 * By default a drop is permanent (mode "permanent"): a dropped prompt is not trained on again,
 * so it has no record in later epochs and must not come back for lack of one. Mode "perEpoch"
 * only excludes it for the following epoch, after which it is tried again.
 */

export type PromptId = string | number;

export type HistoryResamplingMode = "permanent" | "perEpoch";

export interface HistoryResamplerOptions {
    /** A rollout is correct when its value is >= threshold. Defaults to `1`. */
    threshold?: number;
    /** Defaults to `"permanent"`. */
    mode?: HistoryResamplingMode;
}

export interface EpochSummary {
    /** The epoch that just ended (0-based). */
    epoch: number;
    /** Prompts recorded this epoch and kept (mixed or all wrong), in first-recorded order. */
    kept: PromptId[];
    /** Prompts recorded this epoch whose rollouts were all correct, in first-recorded order. */
    dropped: PromptId[];
    /** Prompts excluded from the next epoch (all drops so far in "permanent" mode). */
    excluded: number;
}

/** JSON-serialisable state, for resuming mid-epoch. */
export interface HistoryResamplerState {
    version: 1;
    threshold: number;
    mode: HistoryResamplingMode;
    epoch: number;
    /** This epoch's records: [id, rollouts, correct rollouts]. */
    records: [PromptId, number, number][];
    /** Ids excluded from the current epoch on. */
    excluded: PromptId[];
}

export class HistoryResampler {
    readonly threshold: number;
    readonly mode: HistoryResamplingMode;
    private epoch = 0;
    private records = new Map<PromptId, { total: number; correct: number }>();
    private excluded = new Set<PromptId>();

    constructor(options: HistoryResamplerOptions = {}) {
        this.threshold = options.threshold ?? 1;
        if (!Number.isFinite(this.threshold)) {
            throw new RangeError(`historyResampling.threshold must be a finite number; got ${String(options.threshold)}`);
        }
        this.mode = options.mode ?? "permanent";
        if (this.mode !== "permanent" && this.mode !== "perEpoch") {
            throw new RangeError(`historyResampling mode must be "permanent" or "perEpoch"; got ${JSON.stringify(this.mode)}`);
        }
    }

    static fromState(state: HistoryResamplerState): HistoryResampler {
        if (typeof state !== "object" || state === null || state.version !== 1) {
            throw new RangeError("history resampler state must be an object with version 1");
        }
        const r = new HistoryResampler({ threshold: state.threshold, mode: state.mode });
        if (!Number.isInteger(state.epoch) || state.epoch < 0) throw new RangeError(`state.epoch must be an integer >= 0; got ${String(state.epoch)}`);
        r.epoch = state.epoch;
        if (!Array.isArray(state.records) || !Array.isArray(state.excluded)) {
            throw new TypeError("state.records and state.excluded must be arrays");
        }
        for (const [i, entry] of state.records.entries()) {
            const [id, total, correct] = Array.isArray(entry) ? entry : [];
            checkId(id, `state.records[${i}][0]`);
            if (!Number.isInteger(total) || !Number.isInteger(correct) || correct! < 0 || correct! > total!) {
                throw new RangeError(`state.records[${i}] must be [id, rollouts, correct] with 0 <= correct <= rollouts`);
            }
            r.records.set(id as PromptId, { total: total!, correct: correct! });
        }
        for (const [i, id] of state.excluded.entries()) {
            checkId(id, `state.excluded[${i}]`);
            r.excluded.add(id);
        }
        return r;
    }

    state(): HistoryResamplerState {
        return {
            version: 1,
            threshold: this.threshold,
            mode: this.mode,
            epoch: this.epoch,
            records: [...this.records].map(([id, { total, correct }]) => [id, total, correct]),
            excluded: [...this.excluded],
        };
    }

    /** The current epoch (0-based). */
    get currentEpoch(): number {
        return this.epoch;
    }

    /**
     * Records rollouts of a prompt in this epoch (numbers compared with the threshold, or
     * booleans); several calls for one prompt accumulate.
     */
    record(promptId: PromptId, rollouts: readonly (number | boolean)[]): void {
        checkId(promptId, "promptId");
        if (!Array.isArray(rollouts)) throw new TypeError(`record(${JSON.stringify(promptId)}): rollouts must be an array`);
        let correct = 0;
        for (const [i, v] of rollouts.entries()) {
            if (typeof v === "boolean") {
                if (v) correct += 1;
            } else if (typeof v === "number") {
                if (v >= this.threshold) correct += 1; // NaN compares false: never correct
            } else {
                throw new TypeError(`record(${JSON.stringify(promptId)}): rollouts[${i}] must be a number or boolean; got ${String(v)}`);
            }
        }
        const entry = this.records.get(promptId) ?? { total: 0, correct: 0 };
        entry.total += rollouts.length;
        entry.correct += correct;
        this.records.set(promptId, entry);
    }

    /** Ends the epoch: decides drops from its records, then starts the next epoch's records. */
    endEpoch(): EpochSummary {
        const kept: PromptId[] = [];
        const dropped: PromptId[] = [];
        for (const [id, { total, correct }] of this.records) {
            if (total > 0 && correct === total) dropped.push(id);
            else kept.push(id);
        }
        if (this.mode === "perEpoch") this.excluded.clear();
        for (const id of dropped) this.excluded.add(id);
        const summary = { epoch: this.epoch, kept, dropped, excluded: this.excluded.size };
        this.records.clear();
        this.epoch += 1;
        return summary;
    }

    /** True when the prompt is excluded from the current epoch. */
    isExcluded(promptId: PromptId): boolean {
        return this.excluded.has(promptId);
    }

    /** The ids a new epoch should draw from, in the given order. */
    filterDataset<T extends PromptId>(ids: readonly T[]): T[] {
        return ids.filter((id) => !this.excluded.has(id));
    }

    /** The items a new epoch should draw from; `idOf` names each item's prompt id. */
    filterItems<T>(items: readonly T[], idOf: (item: T, index: number) => PromptId): T[] {
        return items.filter((item, i) => !this.excluded.has(idOf(item, i)));
    }
}

function checkId(id: unknown, what: string): asserts id is PromptId {
    if (typeof id === "string") return;
    if (typeof id === "number" && Number.isFinite(id)) return;
    throw new TypeError(`${what} must be a string or a finite number; got ${String(id)}`);
}
