/**
 * The GRPO loss (grpoLoss) against a float64 reference for every loss type,
 * token- and sequence-level ratios, with and without oldLogp/refLogp, with
 * clipping forced both ways; hand-computed normalisations; the gradient against
 * central finite differences; and argument validation.
 */
import { describe, expect, it } from "vitest";
import {
    kernels,
    type GrpoLossArgs,
    type GrpoLossResult,
    type GrpoLossType,
    type ImportanceSamplingLevel,
} from "../../src/index.js";
import { grpoLossRef, grpoLossValueRef, type GrpoLossRef, type GrpoLossRefArgs } from "../helpers/grpoLossReference.js";
import { expectClose, FP32, seededRandom } from "../helpers/numeric.js";

const lossTypes: GrpoLossType[] = ["grpo", "bnpo", "dr_grpo", "dapo"];
const levels: ImportanceSamplingLevel[] = ["token", "sequence"];

interface Batch {
    logp: Float32Array;
    oldLogp: Float32Array;
    refLogp: Float32Array;
    advantages: Float32Array;
    lossMask: Uint8Array;
    cuSeqlens: Int32Array;
}

/**
 * Packed sequences of the given lengths. Log-ratios spread over ±spread (0.8
 * puts many ratios far outside [0.8, 1.28]); advantages alternate in sign per
 * sequence; the first token of each sequence longer than 1 is a prompt token and
 * sequence 2 has no active token at all.
 */
function makeBatch(seed: number, lengths: number[], spread = 0.8): Batch {
    const rand = seededRandom(seed);
    const n = lengths.reduce((a, b) => a + b, 0);
    const b: Batch = {
        logp: new Float32Array(n),
        oldLogp: new Float32Array(n),
        refLogp: new Float32Array(n),
        advantages: new Float32Array(n),
        lossMask: new Uint8Array(n),
        cuSeqlens: new Int32Array(lengths.length + 1),
    };
    let t = 0;
    lengths.forEach((len, s) => {
        const seqAdv = (s % 2 ? 1 : -1) * (0.2 + rand());
        for (let i = 0; i < len; i++, t++) {
            b.logp[t] = -4 + 3.95 * rand();
            b.oldLogp[t] = b.logp[t]! - spread * (2 * rand() - 1);
            b.refLogp[t] = b.logp[t]! + (rand() - 0.5);
            b.advantages[t] = seqAdv + 0.1 * (rand() - 0.5);
            b.lossMask[t] = s === 2 || (i === 0 && len > 1) ? 0 : 1;
        }
        b.cuSeqlens[s + 1] = t;
    });
    return b;
}

function argsFor(
    b: Batch,
    lossType: GrpoLossType,
    level: ImportanceSamplingLevel,
    withOld: boolean,
    withRef: boolean,
): GrpoLossArgs {
    return {
        logp: b.logp,
        oldLogp: withOld ? b.oldLogp : undefined,
        refLogp: withRef ? b.refLogp : undefined,
        advantages: b.advantages,
        lossMask: b.lossMask,
        cuSeqlens: b.cuSeqlens,
        epsLow: 0.2,
        epsHigh: 0.28,
        beta: withRef ? 0.04 : 0,
        lossType,
        maxCompletionLength: 16,
        numItemsInBatch: 37,
        importanceSamplingLevel: level,
    };
}

function expectMetricsClose(got: GrpoLossResult, want: GrpoLossRef): void {
    const g = got.metrics;
    const w = want.metrics;
    expect(g.activeTokens).toBe(w.activeTokens);
    expectClose(
        "metrics [clipLow, clipHigh, meanKl, meanRatio]",
        [g.clipLowFraction, g.clipHighFraction, g.meanKl, g.meanRatio],
        [w.clipLowFraction, w.clipHighFraction, w.meanKl, w.meanRatio],
    );
}

/** Central differences of the reference loss (oldLogp, when absent, stays the original logp). */
function finiteDifferences(a: GrpoLossRefArgs): Float64Array {
    const logp = Float64Array.from(a.logp);
    const g = new Float64Array(logp.length);
    const h = 1e-6;
    for (let t = 0; t < logp.length; t++) {
        const keep = logp[t]!;
        logp[t] = keep + h;
        const up = grpoLossValueRef(a, logp);
        logp[t] = keep - h;
        const down = grpoLossValueRef(a, logp);
        logp[t] = keep;
        g[t] = (up - down) / (2 * h);
    }
    return g;
}

describe("grpoLoss against the float64 reference", () => {
    const batches = [
        { name: "7 sequences, N=35", batch: makeBatch(11, [5, 1, 4, 9, 2, 13, 1]) },
        { name: "N=1", batch: makeBatch(12, [1]) },
        { name: "12 sequences, N=130", batch: makeBatch(13, [20, 1, 7, 3, 30, 1, 12, 9, 15, 2, 22, 8]) },
    ];
    for (const { name, batch } of batches) {
        for (const lossType of lossTypes) {
            for (const level of levels) {
                it(`${name}, ${lossType}, ${level} level, every oldLogp/refLogp combination`, async () => {
                    for (const [withOld, withRef] of [
                        [true, true],
                        [true, false],
                        [false, true],
                        [false, false],
                    ] as const) {
                        const args = argsFor(batch, lossType, level, withOld, withRef);
                        const got = await kernels.grpoLoss(args);
                        const want = grpoLossRef(args);
                        const what = `old=${withOld} ref=${withRef}`;
                        expectClose(`${what} loss`, [got.loss], [want.loss]);
                        expectClose(`${what} perTokenLoss`, got.perTokenLoss, want.perTokenLoss);
                        expectClose(`${what} dLogp`, got.dLogp, want.dLogp);
                        expectClose(`${what} dLogp vs finite differences`, got.dLogp, finiteDifferences(args));
                        expectMetricsClose(got, want);
                        if (!withOld) expect(got.metrics.meanRatio).toBeCloseTo(1, 12);
                        if (!withRef) expect(got.metrics.meanKl).toBe(0);
                    }
                });
            }
        }
    }

    it("really clips: the random batch has low- and high-clipped tokens", async () => {
        const args = argsFor(batches[2]!.batch, "grpo", "token", true, false);
        const { metrics } = await kernels.grpoLoss(args);
        expect(metrics.clipLowFraction).toBeGreaterThan(0);
        expect(metrics.clipHighFraction).toBeGreaterThan(0);
    });

    it("the reference gradient matches central finite differences", () => {
        for (const lossType of lossTypes) {
            for (const level of levels) {
                const args = argsFor(batches[0]!.batch, lossType, level, true, true);
                expectClose(`${lossType} ${level}`, grpoLossRef(args).dLogp, finiteDifferences(args), {
                    atol: 1e-8,
                    rtol: 1e-5,
                });
            }
        }
    });
});

describe("grpoLoss by hand", () => {
    // Sequence 0: a prompt token, then r = 1.5 (A = +1, clipped high) and r = 1 (A = +1);
    // sequence 1: r = 0.5 (A = -1, clipped low) and r = 0.5 (A = +2, not clipped: the
    // unclipped branch is the minimum); sequence 2: a single masked-out token.
    const logp = new Float32Array([-1, -1, -1, -2, -2, -3]);
    const oldLogp = new Float32Array([-1, -1 - Math.log(1.5), -1, -2 - Math.log(0.5), -2 - Math.log(0.5), -3]);
    const base = {
        logp,
        oldLogp,
        advantages: new Float32Array([1, 1, 1, -1, 2, 5]),
        lossMask: new Uint8Array([0, 1, 1, 1, 1, 0]),
        cuSeqlens: new Int32Array([0, 3, 5, 6]),
        epsLow: 0.2,
        epsHigh: 0.2,
        beta: 0,
        maxCompletionLength: 8,
        numItemsInBatch: 10,
    };
    // ℓ = -min(r·A, clip(r)·A): -1.2, -1, -min(-0.5, -0.8) = 0.8, -min(1, 1.6) = -1
    const l = [0, -1.2, -1, 0.8, -1, 0];
    const sum = -1.2 - 1 + 0.8 - 1;
    // Each loss type's weight per active token of sequence 0 / sequence 1 (S = 3 counts
    // the empty sequence; grpo gives it denominator 1 and it adds 0).
    const cases: { lossType: GrpoLossType; loss: number; w0: number; w1: number }[] = [
        { lossType: "grpo", loss: ((-1.2 - 1) / 2 + (0.8 - 1) / 2 + 0) / 3, w0: 1 / 6, w1: 1 / 6 },
        { lossType: "bnpo", loss: sum / 4, w0: 1 / 4, w1: 1 / 4 },
        { lossType: "dr_grpo", loss: sum / (3 * 8), w0: 1 / 24, w1: 1 / 24 },
        { lossType: "dapo", loss: sum / 10, w0: 1 / 10, w1: 1 / 10 },
    ];
    for (const c of cases) {
        it(`normalises ${c.lossType} as computed by hand, with the clip rule`, async () => {
            const got = await kernels.grpoLoss({ ...base, lossType: c.lossType });
            expect(got.loss).toBeCloseTo(c.loss, 6);
            expectClose("perTokenLoss", got.perTokenLoss, l, FP32);
            // Clipped tokens (1 and 3) get no gradient; the others -A·r·weight.
            expectClose("dLogp", got.dLogp, [0, 0, -1 * c.w0, 0, -2 * 0.5 * c.w1, 0], FP32);
            expect(got.metrics.activeTokens).toBe(4);
            expect(got.metrics.clipLowFraction).toBeCloseTo(1 / 4, 6);
            expect(got.metrics.clipHighFraction).toBeCloseTo(1 / 4, 6);
            expect(got.metrics.meanRatio).toBeCloseTo((1.5 + 1 + 0.5 + 0.5) / 4, 6);
            expect(got.metrics.meanKl).toBe(0);
        });
    }

    it("without oldLogp: ratio 1 and dLogp = -A·weight, plus β·(1 - e^(ref - logp))·weight", async () => {
        const refLogp = new Float32Array([-1, -0.5, -1.5, -2, -2.2, -3]);
        const { oldLogp: _, ...rest } = base;
        const got = await kernels.grpoLoss({ ...rest, refLogp, beta: 0.1, lossType: "bnpo" });
        const w = 1 / 4;
        const want = [0, 1, 2, 3, 4, 5].map((t) =>
            base.lossMask[t] ? w * (-base.advantages[t]! + 0.1 * (1 - Math.exp(refLogp[t]! - logp[t]!))) : 0,
        );
        expectClose("dLogp", got.dLogp, want, FP32);
        expect(got.metrics.meanRatio).toBe(1);
        expect(got.metrics.clipLowFraction).toBe(0);
        expect(got.metrics.clipHighFraction).toBe(0);
        const k3 = (t: number) => Math.exp(refLogp[t]! - logp[t]!) - (refLogp[t]! - logp[t]!) - 1;
        expect(got.metrics.meanKl).toBeCloseTo((k3(1) + k3(2) + k3(3) + k3(4)) / 4, 6);
    });

    it("GSPO: one ratio per sequence, its gradient shared by the sequence's active tokens", async () => {
        // Sequence 0: log-ratios 0.1 and 0.3 (active), prompt token masked -> log_w = 0.2.
        const seqLogp = new Float32Array([-1, -1, -1]);
        const seqOld = new Float32Array([-1.5, -1.1, -1.3]);
        const got = await kernels.grpoLoss({
            logp: seqLogp,
            oldLogp: seqOld,
            advantages: new Float32Array([0.5, 0.5, 0.5]),
            lossMask: new Uint8Array([0, 1, 1]),
            cuSeqlens: new Int32Array([0, 3]),
            epsLow: 0.3,
            epsHigh: 0.3,
            beta: 0,
            lossType: "grpo",
            importanceSamplingLevel: "sequence",
        });
        const r = Math.exp(0.2);
        expectClose("perTokenLoss", got.perTokenLoss, [0, -0.5 * r, -0.5 * r], FP32);
        expect(got.loss).toBeCloseTo(-0.5 * r, 6);
        // loss = mean_t(-A·r), d/dlogp_u = -A·r · (1/2) for each active u
        expectClose("dLogp", got.dLogp, [0, -0.25 * r, -0.25 * r], FP32);
        expect(got.metrics.meanRatio).toBeCloseTo(r, 6);
    });
});

describe("grpoLoss argument validation", () => {
    const base = (): GrpoLossArgs => ({
        logp: new Float32Array([-1, -2, -3]),
        oldLogp: new Float32Array([-1, -2, -3]),
        advantages: new Float32Array([1, 1, -1]),
        lossMask: new Uint8Array([1, 1, 1]),
        cuSeqlens: new Int32Array([0, 2, 3]),
        epsLow: 0.2,
        epsHigh: 0.2,
        beta: 0,
        lossType: "grpo",
    });
    const rejects = async (args: unknown, kind: typeof TypeError | typeof RangeError, message: RegExp) => {
        const p = kernels.grpoLoss(args as GrpoLossArgs);
        await expect(p).rejects.toBeInstanceOf(kind);
        await expect(kernels.grpoLoss(args as GrpoLossArgs)).rejects.toThrow(message);
    };

    it("accepts the base case", async () => {
        const got = await kernels.grpoLoss(base());
        expect(got.metrics.activeTokens).toBe(3);
    });
    it("rejects an unknown or missing lossType", async () => {
        await rejects({ ...base(), lossType: "ppo" }, RangeError, /grpoLoss: lossType = "ppo" is not one of/);
        const { lossType: _, ...rest } = base();
        await rejects(rest, TypeError, /grpoLoss: lossType is required/);
    });
    it("rejects an unknown importanceSamplingLevel", async () => {
        await rejects({ ...base(), importanceSamplingLevel: "batch" }, RangeError, /importanceSamplingLevel/);
    });
    it("requires maxCompletionLength >= 1 for dr_grpo", async () => {
        await rejects({ ...base(), lossType: "dr_grpo" }, TypeError, /grpoLoss: maxCompletionLength is required/);
        await rejects({ ...base(), lossType: "dr_grpo", maxCompletionLength: 0 }, RangeError, /maxCompletionLength/);
        await rejects({ ...base(), lossType: "dr_grpo", maxCompletionLength: 2.5 }, RangeError, /maxCompletionLength/);
    });
    it("requires numItemsInBatch > 0 for dapo", async () => {
        await rejects({ ...base(), lossType: "dapo" }, TypeError, /grpoLoss: numItemsInBatch is required/);
        await rejects({ ...base(), lossType: "dapo", numItemsInBatch: 0 }, RangeError, /numItemsInBatch/);
    });
    it("requires refLogp when beta > 0", async () => {
        await rejects({ ...base(), beta: 0.04 }, TypeError, /grpoLoss: refLogp is required when beta > 0/);
    });
    it("rejects negative or non-finite eps and beta", async () => {
        await rejects({ ...base(), epsLow: -0.1 }, RangeError, /grpoLoss: epsLow/);
        await rejects({ ...base(), epsHigh: Number.NaN }, RangeError, /grpoLoss: epsHigh/);
        await rejects({ ...base(), beta: Number.POSITIVE_INFINITY }, RangeError, /grpoLoss: beta/);
        await rejects({ ...base(), beta: -1 }, RangeError, /grpoLoss: beta/);
        await rejects({ ...base(), epsLow: "0.2" }, TypeError, /grpoLoss: epsLow must be a number/);
    });
    it("rejects arrays of the wrong kind", async () => {
        await rejects({ ...base(), lossMask: new Int32Array(3) }, TypeError, /grpoLoss: lossMask must be a Uint8Array/);
        await rejects({ ...base(), logp: [1, 2, 3] }, TypeError, /grpoLoss: logp must be a Float32Array/);
        await rejects({ ...base(), cuSeqlens: new Float32Array([0, 3]) }, TypeError, /grpoLoss: cuSeqlens must be a Int32Array/);
    });
    it("rejects lengths that differ from logp's", async () => {
        await rejects({ ...base(), oldLogp: new Float32Array(2) }, RangeError, /grpoLoss: oldLogp has length 2, expected 3/);
        await rejects({ ...base(), beta: 0.1, refLogp: new Float32Array(4) }, RangeError, /grpoLoss: refLogp has length 4/);
        await rejects({ ...base(), advantages: new Float32Array(1) }, RangeError, /grpoLoss: advantages has length 1/);
        await rejects({ ...base(), lossMask: new Uint8Array(5) }, RangeError, /grpoLoss: lossMask has length 5/);
    });
    it("rejects invalid cuSeqlens", async () => {
        await rejects({ ...base(), cuSeqlens: new Int32Array([0, 2]) }, RangeError, /grpoLoss: cuSeqlens must end at the token count 3/);
        await rejects({ ...base(), cuSeqlens: new Int32Array([1, 3]) }, RangeError, /grpoLoss: cuSeqlens\[0\] must be 0/);
        await rejects({ ...base(), cuSeqlens: new Int32Array([0, 2, 1, 3]) }, RangeError, /cuSeqlens must be non-decreasing/);
        await rejects({ ...base(), cuSeqlens: new Int32Array([0]) }, RangeError, /cuSeqlens needs at least 2 entries/);
    });
    it("rejects non-finite log-probabilities and advantages", async () => {
        await rejects({ ...base(), logp: new Float32Array([-1, Number.NaN, -3]) }, RangeError, /grpoLoss: logp\[1\] is not finite/);
        await rejects(
            { ...base(), oldLogp: new Float32Array([-1, -2, Number.NEGATIVE_INFINITY]) },
            RangeError,
            /grpoLoss: oldLogp\[2\] is not finite/,
        );
        await rejects({ ...base(), advantages: new Float32Array([Number.NaN, 0, 0]) }, RangeError, /grpoLoss: advantages\[0\]/);
    });
    it("handles N = 0 (one empty sequence)", async () => {
        const empty = new Float32Array(0);
        const got = await kernels.grpoLoss({
            ...base(),
            logp: empty,
            oldLogp: empty,
            advantages: empty,
            lossMask: new Uint8Array(0),
            cuSeqlens: new Int32Array([0, 0]),
        });
        expect(got.loss).toBe(0);
        expect(got.dLogp.length).toBe(0);
        expect(got.metrics.activeTokens).toBe(0);
    });
});
