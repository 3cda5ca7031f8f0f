/**
 * Learning-rate schedules, exactly as transformers' optimization.py defines them
 * (get_constant_schedule_with_warmup, get_linear_schedule_with_warmup,
 * get_cosine_schedule_with_warmup, get_cosine_with_min_lr_schedule_with_warmup), with
 * W warm-up steps and T total steps:
 *
 *   warm-up (step < W):  λ = step / max(1, W)
 *   constant:            λ = 1
 *   linear:              λ = max(0, (T − step) / max(1, T − W))
 *   cosine:              p = (step − W) / max(1, T − W);  λ = max(0, ½(1 + cos(π · 2·numCycles · p)))
 *   cosine_with_min_lr:  the cosine λ scaled to [minLrRate, 1]: λ·(1 − minLrRate) + minLrRate
 *
 * Step indexing is LambdaLR's: `step` is the number of optimizer updates already made, so the
 * first update (step 0) uses λ(0), which is 0 during warm-up, as in transformers; the update made
 * at step k uses λ(k); T is maxSteps. The warm-up length is warmupSteps when > 0, otherwise
 * ceil(T · warmupRatio) (TrainingArguments.get_warmup_steps).
 */

export type LrScheduleType = "constant" | "linear" | "cosine" | "cosine_with_min_lr";

export interface LrSchedule {
    type: LrScheduleType;
    /** Warm-up updates; > 0 takes precedence over warmupRatio. Defaults to `0`. */
    warmupSteps?: number;
    /** Warm-up as a fraction of total steps (rounded up). Defaults to `0`. */
    warmupRatio?: number;
    /** Cosine waves over the decay; 0.5 = one half-cosine down to 0. Defaults to `0.5`. */
    numCycles?: number;
    /** cosine_with_min_lr: the floor as a fraction of the base rate. Defaults to `0`. */
    minLrRate?: number;
}

export const LR_SCHEDULE_TYPES: readonly LrScheduleType[] = ["constant", "linear", "cosine", "cosine_with_min_lr"];

function checkStepCount(value: number, what: string, min: number): void {
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be an integer >= ${min}; got ${String(value)}`);
}

/** Throws a message naming the field for a schedule that cannot be evaluated. */
export function checkLrSchedule(schedule: LrSchedule, field = "lrSchedule"): void {
    if (typeof schedule !== "object" || schedule === null) throw new TypeError(`${field} must be an object`);
    if (!LR_SCHEDULE_TYPES.includes(schedule.type)) {
        throw new RangeError(`${field}.type must be one of ${LR_SCHEDULE_TYPES.join(", ")}; got ${JSON.stringify(schedule.type)}`);
    }
    const ws = schedule.warmupSteps ?? 0;
    const wr = schedule.warmupRatio ?? 0;
    checkStepCount(ws, `${field}.warmupSteps`, 0);
    if (!(typeof wr === "number" && wr >= 0 && wr <= 1)) throw new RangeError(`${field}.warmupRatio must be in [0, 1]; got ${String(wr)}`);
    if (ws > 0 && wr > 0) {
        throw new RangeError(`${field}: set warmupSteps (${ws}) or warmupRatio (${wr}), not both`);
    }
    const cycles = schedule.numCycles ?? 0.5;
    if (!(typeof cycles === "number" && Number.isFinite(cycles) && cycles > 0)) {
        throw new RangeError(`${field}.numCycles must be a number > 0; got ${String(cycles)}`);
    }
    const minRate = schedule.minLrRate ?? 0;
    if (!(typeof minRate === "number" && minRate >= 0 && minRate <= 1)) {
        throw new RangeError(`${field}.minLrRate must be in [0, 1]; got ${String(minRate)}`);
    }
    if (minRate > 0 && schedule.type !== "cosine_with_min_lr") {
        throw new RangeError(`${field}.minLrRate applies only to type "cosine_with_min_lr"; got type ${JSON.stringify(schedule.type)}`);
    }
}

/** W: warmupSteps when > 0, else ceil(totalSteps · warmupRatio). */
export function resolveWarmupSteps(schedule: LrSchedule, totalSteps: number): number {
    const ws = schedule.warmupSteps ?? 0;
    if (ws > 0) return ws;
    // Plain float ceil, as Python's math.ceil: 100 · 0.07 = 7.000000000000001 gives 8 there too.
    return Math.ceil(totalSteps * (schedule.warmupRatio ?? 0));
}

/** λ(step): the multiplier of the base learning rate for the update made at `step` (0-based). */
export function lrMultiplier(schedule: LrSchedule, step: number, totalSteps: number): number {
    checkLrSchedule(schedule);
    checkStepCount(step, "step", 0);
    checkStepCount(totalSteps, "totalSteps", 1);
    const warmup = resolveWarmupSteps(schedule, totalSteps);
    if (step < warmup) return step / Math.max(1, warmup);
    switch (schedule.type) {
        case "constant":
            return 1;
        case "linear":
            return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmup));
        case "cosine":
        case "cosine_with_min_lr": {
            const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
            const cycles = schedule.numCycles ?? 0.5;
            const factor = 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress));
            if (schedule.type === "cosine") return Math.max(0, factor);
            const minRate = schedule.minLrRate ?? 0;
            return Math.max(0, factor * (1 - minRate) + minRate);
        }
    }
}

/** The learning rate of the update made at `step` (0-based; see the file comment). */
export function learningRate(schedule: LrSchedule, step: number, totalSteps: number, baseLr: number): number {
    if (!(typeof baseLr === "number" && Number.isFinite(baseLr) && baseLr >= 0)) {
        throw new RangeError(`baseLr must be a finite number >= 0; got ${String(baseLr)}`);
    }
    return baseLr * lrMultiplier(schedule, step, totalSteps);
}
