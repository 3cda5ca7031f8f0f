import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/algo/sampling.js";
import { DataReport, type DatasetRow } from "../../../src/data/readers/dataReport.js";
import { exactDedup, ExactDeduplicator } from "../../../src/data/curation/exactDedup.js";
import { candidateProbability, estimatedJaccard, jaccard, MinHasher, optimalBands } from "../../../src/data/curation/minhash.js";
import { NearDuplicateIndex, nearDedup } from "../../../src/data/curation/nearDedup.js";
import { normalizeText } from "../../../src/data/curation/text.js";

async function* from(rows: DatasetRow[]): AsyncGenerator<DatasetRow> {
    yield* rows;
}
async function collect(it: AsyncIterable<DatasetRow>): Promise<DatasetRow[]> {
    const out: DatasetRow[] = [];
    for await (const x of it) out.push(x);
    return out;
}
const at = (line: number, row: Record<string, unknown>): DatasetRow => ({ row, source: { file: "t.jsonl", line } });

const vocabulary = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
function randomText(rng: Rng, n: number): string[] {
    return Array.from({ length: n }, () => vocabulary[rng.intBelow(vocabulary.length)]!);
}
/** `text` with `changes` words replaced at random positions. */
function mutate(rng: Rng, text: readonly string[], changes: number): string[] {
    const out = [...text];
    for (let c = 0; c < changes; c++) out[rng.intBelow(out.length)] = `x${rng.intBelow(1e9)}`;
    return out;
}

describe("normalizeText", () => {
    it("folds case, width and white space; optionally punctuation", () => {
        expect(normalizeText("  What IS\t2+2？\n ")).toBe("what is 2+2?");
        expect(normalizeText("x=1.", { stripPunctuation: true })).toBe(normalizeText("X = 1", { stripPunctuation: true }));
        expect(normalizeText("x=1.")).not.toBe(normalizeText("x = 1"));
    });
});

describe("exact dedup", () => {
    it("keeps the first of each normalised text and reports the rest with their lines", async () => {
        const report = new DataReport();
        const rows = [at(1, { prompt: "What is 2+2?" }), at(2, { prompt: "what  is 2+2?" }), at(3, { prompt: "What is 2+3?" }), at(4, { q: 1 }), at(5, { prompt: "WHAT IS 2+2?" })];
        const kept = await collect(exactDedup(from(rows), report));
        expect(kept.map((r) => r.source.line)).toEqual([1, 3]);
        expect(report.droppedFor("duplicate")?.examples.map((s) => s.line)).toEqual([2, 5]);
        expect(report.badFor('no text in column "prompt"')?.examples.map((s) => s.line)).toEqual([4]);
    });

    it("joins several columns, so equal prompts with different answers are distinct", () => {
        const d = new ExactDeduplicator();
        expect(d.isDuplicate("a\n1")).toBe(false);
        expect(d.isDuplicate("a\n2")).toBe(false);
        expect(d.isDuplicate("A\n1")).toBe(true);
        expect(d.size).toBe(2);
    });
});

describe("MinHash", () => {
    it("estimates Jaccard similarity within 4 standard errors", () => {
        const rng = Rng.fromSeed(7);
        const hasher = new MinHasher({ numPerm: 256, ngram: 3 });
        for (const changes of [0, 2, 5, 10, 20, 40]) {
            const a = randomText(rng, 120);
            const b = mutate(rng, a, changes);
            const exact = jaccard(hasher, a.join(" "), b.join(" "));
            const estimate = estimatedJaccard(hasher.signature(a.join(" "))!, hasher.signature(b.join(" "))!);
            const se = Math.sqrt(Math.max(exact * (1 - exact), 1e-4) / 256);
            expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(4 * se + 1e-9);
        }
    });

    it("is deterministic for a seed and differs across seeds", () => {
        const text = "the quick brown fox jumps over the lazy dog again and again";
        expect(new MinHasher({ seed: 3 }).signature(text)).toEqual(new MinHasher({ seed: 3 }).signature(text));
        expect(new MinHasher({ seed: 3 }).signature(text)).not.toEqual(new MinHasher({ seed: 4 }).signature(text));
        expect(new MinHasher().signature("   ")).toBeNull();
        expect(new MinHasher({ ngram: 5 }).shingleHashes("two words").length).toBe(1);
    });

    it("chooses bands whose S-curve crosses 1/2 near the threshold", () => {
        for (const t of [0.5, 0.7, 0.8, 0.9]) {
            const { bands, rows } = optimalBands(t, 128);
            expect(bands * rows).toBeLessThanOrEqual(128);
            expect(candidateProbability(t - 0.15, bands, rows)).toBeLessThan(0.5);
            expect(candidateProbability(Math.min(t + 0.1, 0.99), bands, rows)).toBeGreaterThan(0.5);
        }
        expect(optimalBands(0.8, 128)).toEqual({ bands: 9, rows: 13 });
        expect(() => optimalBands(1.5, 128)).toThrow("threshold must be in (0, 1)");
    });
});

describe("near dedup", () => {
    const rng = Rng.fromSeed(11);
    const bases = Array.from({ length: 40 }, () => randomText(rng, 200));
    const nearCopies = bases.map((b) => mutate(rng, b, 1)); // Jaccard ≈ 0.95 with 5-word shingles
    const farCopies = bases.map((b) => mutate(rng, b, 30)); // Jaccard well below 0.8

    it("drops near copies, keeps distinct and far-changed texts, naming the kept original", async () => {
        const rows: DatasetRow[] = [];
        bases.forEach((b, i) => rows.push(at(rows.length + 1, { prompt: b.join(" "), i })));
        nearCopies.forEach((b, i) => rows.push(at(rows.length + 1, { prompt: b.join(" "), i })));
        farCopies.forEach((b, i) => rows.push(at(rows.length + 1, { prompt: b.join(" "), i })));
        const report = new DataReport({ maxExamples: 100 });
        const kept = await collect(nearDedup(from(rows), report));
        expect(kept.map((r) => r.source.line)).toEqual([...Array.from({ length: 40 }, (_, i) => i + 1), ...Array.from({ length: 40 }, (_, i) => 81 + i)]);
        const dropped = report.droppedFor("near-duplicate")!;
        expect(dropped.count).toBe(40);
        expect(dropped.firstDetail).toMatch(/^t\.jsonl:41 ~ t\.jsonl:1 \(estimated Jaccard 0\.9\d\)$/);
    });

    it("agrees with brute-force exact Jaccard on which texts are duplicates", () => {
        const index = new NearDuplicateIndex({ threshold: 0.8 });
        const all = [...bases, ...nearCopies, ...farCopies].map((w) => w.join(" "));
        const kept: string[] = [];
        let disagreements = 0;
        for (const text of all) {
            const truth = kept.some((k) => jaccard(index.hasher, k, text) >= 0.8);
            const found = index.findOrAdd(text);
            if ((found !== null) !== truth) disagreements++;
            if (found === null) kept.push(text);
        }
        expect(disagreements).toBe(0);
        expect(index.size).toBe(80);
    });

    it("is deterministic, validates its options, and leaves wordless texts alone", () => {
        const run = (): (number | null)[] => {
            const idx = new NearDuplicateIndex({ seed: 5 });
            return [...bases, ...nearCopies].map((w) => {
                const m = idx.findOrAdd(w.join(" "));
                return m === null || m === "no-words" ? null : m.of;
            });
        };
        expect(run()).toEqual(run());
        expect(new NearDuplicateIndex().findOrAdd(" \n\t ")).toBe("no-words");
        expect(() => new NearDuplicateIndex({ threshold: 0 })).toThrow("threshold must be in (0, 1]");
        expect(() => new NearDuplicateIndex({ bands: 500 })).toThrow("bands must be an integer");
        expect(() => new NearDuplicateIndex({ numPerm: 0 })).toThrow("numPerm must be a positive integer");
        const unverified = new NearDuplicateIndex({ bands: 16, verify: false });
        expect(unverified.rows).toBe(8);
        expect(unverified.findOrAdd(bases[0]!.join(" "))).toBeNull();
        expect(unverified.findOrAdd(nearCopies[0]!.join(" "))).not.toBeNull();
    });
});
