import { describe, expect, test } from "vitest";
import { EpochBatchIterator, Rng, deriveSeed, permutation, shuffle, type PromptBatch } from "../../../src/algo/sampling.js";

const sorted = (xs: readonly number[]) => xs.slice().sort((a, b) => a - b);

describe("Rng (xoshiro128**)", () => {
    test("matches the reference outputs for state [1, 2, 3, 4]", () => {
        const rng = Rng.fromState([1, 2, 3, 4]);
        expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
    });

    test("same seed, same stream; state round trip continues the stream", () => {
        const a = Rng.fromSeed(123);
        const b = Rng.fromSeed(123);
        const first = Array.from({ length: 10 }, () => a.nextUint32());
        expect(Array.from({ length: 10 }, () => b.nextUint32())).toEqual(first);
        const c = Rng.fromState(a.state());
        expect(Array.from({ length: 5 }, () => c.next())).toEqual(Array.from({ length: 5 }, () => a.next()));
        expect(Rng.fromSeed(124).nextUint32()).not.toBe(Rng.fromSeed(123).nextUint32());
    });

    test("next() in [0, 1); intBelow roughly uniform (chi-square, 5 dof)", () => {
        const rng = Rng.fromSeed(9);
        const counts = new Array(6).fill(0);
        let lo = 1;
        let hi = 0;
        for (let i = 0; i < 60000; i++) {
            const x = rng.next();
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
            counts[rng.intBelow(6)]++;
        }
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThan(1);
        const chi2 = counts.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
        expect(chi2).toBeLessThan(20.5); // p ≈ 0.001
    });

    test("deriveSeed separates streams and accepts large seeds", () => {
        expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
        expect(deriveSeed(1, 0)).not.toBe(deriveSeed(2, 0));
        expect(deriveSeed(2 ** 40, 3)).not.toBe(deriveSeed(0, 3));
        expect(deriveSeed(5, 6)).toBe(deriveSeed(5, 6));
        expect(() => deriveSeed(1.5)).toThrow(/seed/);
        expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/all zero/);
        expect(() => Rng.fromState([1, 2, 3])).toThrow(/four/);
        expect(() => Rng.fromSeed(0).intBelow(0)).toThrow(/intBelow/);
    });
});

describe("shuffle", () => {
    test("a deterministic permutation that leaves the input alone", () => {
        const input = Array.from({ length: 50 }, (_, i) => i);
        const a = shuffle(input, 42);
        expect(sorted(a)).toEqual(input);
        expect(a).not.toEqual(input);
        expect(shuffle(input, 42)).toEqual(a);
        expect(shuffle(input, 43)).not.toEqual(a);
        expect(input[0]).toBe(0);
        expect(permutation(50, 42)).toEqual(a);
    });

    test("every position is reachable (small n, many seeds)", () => {
        const firsts = new Set<number>();
        for (let seed = 0; seed < 200; seed++) firsts.add(shuffle([0, 1, 2, 3], seed)[0]!);
        expect(sorted([...firsts])).toEqual([0, 1, 2, 3]);
    });
});

describe("EpochBatchIterator", () => {
    const draw = (it: EpochBatchIterator, n: number): PromptBatch[] => Array.from({ length: n }, () => it.next());

    test("drop: full batches, the remainder skipped, reshuffled per epoch", () => {
        const it = new EpochBatchIterator({ datasetSize: 10, batchSize: 3, seed: 1 });
        expect(it.batchesPerEpoch()).toBe(3);
        const batches = draw(it, 6);
        expect(batches.map((b) => b.epoch)).toEqual([0, 0, 0, 1, 1, 1]);
        expect(batches.map((b) => b.firstOfEpoch)).toEqual([true, false, false, true, false, false]);
        expect(batches.map((b) => b.lastOfEpoch)).toEqual([false, false, true, false, false, true]);
        for (const e of [0, 1]) {
            const seen = batches.filter((b) => b.epoch === e).flatMap((b) => b.indices);
            expect(new Set(seen).size).toBe(9);
            expect(seen.every((i) => i >= 0 && i < 10)).toBe(true);
        }
        expect(batches[0]!.indices.concat(batches[1]!.indices)).not.toEqual(batches[3]!.indices.concat(batches[4]!.indices));
        expect(it.epoch).toBe(2);
    });

    test("keep: the last batch of an epoch is short", () => {
        const it = new EpochBatchIterator({ datasetSize: 7, batchSize: 3, seed: 1, remainder: "keep" });
        const batches = draw(it, 4);
        expect(batches.map((b) => b.indices.length)).toEqual([3, 3, 1, 3]);
        expect(sorted(batches.slice(0, 3).flatMap((b) => b.indices))).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expect(batches[2]!.lastOfEpoch).toBe(true);
        expect(batches[3]!.epoch).toBe(1);
    });

    test("shuffle off: dataset order", () => {
        const it = new EpochBatchIterator({ datasetSize: 5, batchSize: 2, seed: 0, shuffle: false });
        expect(draw(it, 3).map((b) => b.indices)).toEqual([[0, 1], [2, 3], [0, 1]]);
    });

    test("the same seed gives the same batches; another seed others", () => {
        const a = draw(new EpochBatchIterator({ datasetSize: 20, batchSize: 4, seed: 5 }), 8);
        const b = draw(new EpochBatchIterator({ datasetSize: 20, batchSize: 4, seed: 5 }), 8);
        const c = draw(new EpochBatchIterator({ datasetSize: 20, batchSize: 4, seed: 6 }), 8);
        expect(b).toEqual(a);
        expect(c).not.toEqual(a);
    });

    test("state round trip (through JSON) continues identically, at every cut point", () => {
        const opts = { datasetSize: 11, batchSize: 3, seed: 77 };
        const reference = new EpochBatchIterator(opts);
        const expected: PromptBatch[] = [];
        for (let k = 0; k < 12; k++) {
            const b = reference.next();
            expected.push(b);
            // History resampling shrinks the data from epoch 2 on.
            if (b.lastOfEpoch && b.epoch === 1) reference.setNextEpochIndices([0, 2, 4, 6, 8, 10, 1]);
        }
        for (let cut = 0; cut <= 12; cut++) {
            const first = new EpochBatchIterator(opts);
            const got: PromptBatch[] = [];
            for (let k = 0; k < cut; k++) {
                const b = first.next();
                got.push(b);
                if (b.lastOfEpoch && b.epoch === 1) first.setNextEpochIndices([0, 2, 4, 6, 8, 10, 1]);
            }
            const resumed = EpochBatchIterator.fromState(JSON.parse(JSON.stringify(first.state())), opts);
            for (let k = cut; k < 12; k++) {
                const b = resumed.next();
                got.push(b);
                if (b.lastOfEpoch && b.epoch === 1) resumed.setNextEpochIndices([0, 2, 4, 6, 8, 10, 1]);
            }
            expect(got, `cut at ${cut}`).toEqual(expected);
        }
        // Epochs 2+ draw only from the staged indices.
        for (const b of expected.filter((x) => x.epoch >= 2)) for (const i of b.indices) expect([0, 1, 2, 4, 6, 8, 10]).toContain(i);
    });

    test("indices option restricts the first epoch (deduplicated)", () => {
        const it = new EpochBatchIterator({ datasetSize: 10, batchSize: 2, seed: 0, indices: [3, 1, 3, 7] });
        expect(it.state().active).toEqual([1, 3, 7]);
        expect(it.batchesPerEpoch()).toBe(1);
        const b = it.next();
        expect(b.lastOfEpoch).toBe(true);
        expect(b.indices.length).toBe(2);
        for (const i of b.indices) expect([1, 3, 7]).toContain(i);
        expect(it.next().epoch).toBe(1);
    });

    test("errors name the field", () => {
        expect(() => new EpochBatchIterator({ datasetSize: 2, batchSize: 3, seed: 0 }).next()).toThrow(/epoch 0 has 2 prompts, fewer than the batch size 3/);
        expect(() => new EpochBatchIterator({ datasetSize: 0, batchSize: 1, seed: 0, remainder: "keep" }).next()).toThrow(/0 prompts/);
        expect(() => new EpochBatchIterator({ datasetSize: 4, batchSize: 0, seed: 0 })).toThrow(/batchSize/);
        const it = new EpochBatchIterator({ datasetSize: 4, batchSize: 2, seed: 0 });
        expect(() => it.setNextEpochIndices([1, 4])).toThrow(/indices\[1\] must be an integer in \[0, 4\)/);
        expect(() => EpochBatchIterator.fromState(it.state(), { datasetSize: 5 })).toThrow(/datasetSize is 4 but the run has 5/);
        expect(() => EpochBatchIterator.fromState({ ...it.state(), position: 9 })).toThrow(/position/);
        expect(() => EpochBatchIterator.fromState({ ...it.state(), version: 2 as 1 })).toThrow(/version/);
    });
});
