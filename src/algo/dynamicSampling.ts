/**
 * DAPO dynamic sampling (arXiv 2503.14476, §3.2): over-sample and drop every prompt whose G
 * completions all got the same reward (all right or all wrong: every advantage is 0, so the
 * group only dilutes the batch), and keep generating until the step has `targetGroups`
 * informative groups.
 *
 * The filter is verl's (std of the group's rewards > 0; here std > ZERO_STD_TOLERANCE over the
 * scorable rewards, so a group with fewer than two scorable rewards is dropped too). Like
 * verl's DAPO recipe, generation is capped: after `maxRounds` rounds the step goes on with what
 * it has (`filledShort`), where verl raises an error.
 *
 * The buffer is pure bookkeeping; the caller runs the loop:
 *
 *   const buffer = new DynamicSamplingBuffer<MyGroup>(promptsPerStep, maxRounds);
 *   while (buffer.needsMore()) buffer.add(await generateAndScore(nextPrompts()));
 *   const metrics = buffer.metrics();
 *   const groups = buffer.take();   // at most targetGroups; [] means: skip this step
 */
import { hasRewardSpread } from "./advantages.js";

/** The part of a scored group the buffer reads; the caller's type may carry any payload. */
export interface Group {
    /** Index of the prompt in the dataset. */
    readonly promptIndex: number;
    /** The G rewards of its completions (NaN = unscorable). */
    readonly rewards: readonly number[];
}

/**
 * What to do when `maxRounds` rounds did not yield `targetGroups` informative groups:
 * `"partial"` (default) trains on the fewer groups there are; `"padZeroStd"` tops the batch up
 * with dropped groups (they add no gradient but keep the step's size and, with the "dapo" loss,
 * its token normaliser constant).
 */
export type ShortfallPolicy = "partial" | "padZeroStd";

export interface DynamicSamplingMetrics {
    /** add() calls this step (generation rounds). */
    rounds: number;
    /** Groups offered to add(). */
    generatedGroups: number;
    /** Informative groups collected (may exceed the target; the surplus is discarded). */
    keptGroups: number;
    /** Groups dropped for zero reward spread. */
    droppedGroups: number;
    /** Informative groups beyond the target that take() discards. */
    surplusGroups: number;
    /** Zero-spread groups take() adds under "padZeroStd". */
    paddedGroups: number;
    /** take() returns fewer informative groups than the target (maxRounds ran out). */
    filledShort: boolean;
}

export class DynamicSamplingBuffer<G extends Group = Group> {
    private kept: G[] = [];
    private dropped: G[] = [];
    private rounds = 0;
    private generated = 0;
    private droppedCount = 0;

    constructor(
        /** Informative groups wanted per step (promptsPerStep). */
        readonly targetGroups: number,
        /** Generation rounds allowed per step before going on short. */
        readonly maxRounds: number,
        readonly shortfall: ShortfallPolicy = "partial",
    ) {
        if (!Number.isInteger(targetGroups) || targetGroups < 1) {
            throw new RangeError(`targetGroups must be an integer >= 1; got ${String(targetGroups)}`);
        }
        if (!Number.isInteger(maxRounds) || maxRounds < 1) {
            throw new RangeError(`dynamicSampling.maxRounds must be an integer >= 1; got ${String(maxRounds)}`);
        }
        if (shortfall !== "partial" && shortfall !== "padZeroStd") {
            throw new RangeError(`shortfall must be "partial" or "padZeroStd"; got ${JSON.stringify(shortfall)}`);
        }
    }

    /** One generation round's groups; returns how many were dropped. */
    add(groups: readonly G[]): number {
        if (!Array.isArray(groups)) throw new TypeError("add: groups must be an array");
        let dropped = 0;
        for (const [i, group] of groups.entries()) {
            if (typeof group !== "object" || group === null) throw new TypeError(`add: groups[${i}] must be an object`);
            if (!Number.isInteger(group.promptIndex) || group.promptIndex < 0) {
                throw new RangeError(`add: groups[${i}].promptIndex must be a non-negative integer; got ${String(group.promptIndex)}`);
            }
            if (!Array.isArray(group.rewards) || group.rewards.length === 0) {
                throw new TypeError(`add: groups[${i}].rewards must be a non-empty array of numbers`);
            }
            if (hasRewardSpread(group.rewards)) {
                this.kept.push(group);
            } else {
                dropped += 1;
                // Only as many as padding could ever use are retained.
                if (this.shortfall === "padZeroStd" && this.dropped.length < this.targetGroups) this.dropped.push(group);
            }
        }
        this.rounds += 1;
        this.generated += groups.length;
        this.droppedCount += dropped;
        return dropped;
    }

    /** At least targetGroups informative groups are in. */
    full(): boolean {
        return this.kept.length >= this.targetGroups;
    }

    /** Generation rounds used this step. */
    get roundsUsed(): number {
        return this.rounds;
    }

    /** The loop condition: not full and rounds left. */
    needsMore(): boolean {
        return !this.full() && this.rounds < this.maxRounds;
    }

    /** How many more informative groups the step wants (0 when full). */
    missing(): number {
        return Math.max(0, this.targetGroups - this.kept.length);
    }

    /** Metrics of the step so far (read them before take(), which resets). */
    metrics(): DynamicSamplingMetrics {
        const short = !this.full();
        const padded = short && this.shortfall === "padZeroStd" ? Math.min(this.dropped.length, this.missing()) : 0;
        return {
            rounds: this.rounds,
            generatedGroups: this.generated,
            keptGroups: this.kept.length,
            droppedGroups: this.droppedCount,
            surplusGroups: Math.max(0, this.kept.length - this.targetGroups),
            paddedGroups: padded,
            filledShort: short,
        };
    }

    /**
     * The step's groups, in arrival order: the first targetGroups informative ones (the surplus
     * is discarded: it was sampled from this policy and is not kept for a later step), plus
     * padding under "padZeroStd". Resets the buffer for the next step. Throws if called while
     * needsMore() is still true, since that would silently train on a short batch.
     */
    take(): G[] {
        if (this.needsMore()) {
            throw new Error(
                `take() called with ${this.kept.length}/${this.targetGroups} groups after ${this.rounds}/${this.maxRounds} rounds: ` +
                    "keep generating while needsMore() is true",
            );
        }
        const out = this.kept.slice(0, this.targetGroups);
        if (out.length < this.targetGroups && this.shortfall === "padZeroStd") {
            out.push(...this.dropped.slice(0, this.targetGroups - out.length));
        }
        this.kept = [];
        this.dropped = [];
        this.rounds = 0;
        this.generated = 0;
        this.droppedCount = 0;
        return out;
    }
}
