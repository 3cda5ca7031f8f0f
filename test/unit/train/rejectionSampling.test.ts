/**
 * Rejection sampling with a fake generator: only verified completions are kept, truncated and
 * mixed-language chains are dropped, keep modes, output columns, summary counts.
 */
import { describe, expect, it } from "vitest";
import type { GenerateOptions } from "../../../src/model/generate.js";
import {
    type CompletionGenerator,
    type RejectionItem,
    type SampledCompletion,
    readabilityFilter,
    rejectionSample,
} from "../../../src/train/rejectionSampling.js";

/** Completions scripted per prompt text; records the options it was called with. */
class ScriptedGenerator implements CompletionGenerator {
    calls: { prompts: (string | readonly number[])[]; options: GenerateOptions }[] = [];

    constructor(private readonly script: Record<string, { text: string; truncated?: boolean }[]>) {}

    async generate(prompts: readonly (string | readonly number[])[], options: GenerateOptions): Promise<SampledCompletion[]> {
        this.calls.push({ prompts: [...prompts], options });
        const k = options.numSamples ?? 1;
        const out: SampledCompletion[] = [];
        prompts.forEach((p, promptIndex) => {
            const list = this.script[String(p)]!;
            for (let j = 0; j < k; j++) {
                const s = list[j % list.length]!;
                out.push({ promptIndex, text: s.text, ids: Array.from(s.text, (_, i) => i), finishReason: s.truncated ? "length" : "stop" });
            }
        });
        return out;
    }
}

const answer = (think: string, x: string) => `<think>${think}</think><answer>${x}</answer>`;
const verify = (gold: string, text: string) => new RegExp(`<answer>${gold}</answer>$`).test(text);

const script = {
    "P:2+2": [
        { text: answer("two and two make four", "4") },
        { text: answer("two plus two", "5") },
        { text: answer("adding the numbers gives four as the sum of both", "4") },
        { text: answer("four", "4"), truncated: true },
    ],
    "P:3+3": [
        { text: answer("three and three", "7") },
        { text: answer("三加三等于六", "6") }, // correct, but the thinking is not English
    ],
    "P:1+1": [{ text: answer("one and one", "2") }, { text: answer("one more than one", "2") }],
};

const items: RejectionItem[] = [
    { input: "P:2+2", prompt: "2+2", gold: "4", source: { id: "a", answer: "4", prompt: "raw" } },
    { input: "P:3+3", prompt: "3+3", gold: "6", source: { id: "b", answer: "6" } },
    { input: "P:1+1", prompt: "1+1", gold: "2", source: { id: "c", answer: "2" } },
];

describe("rejectionSample", () => {
    it("keeps only verified, complete, readable completions (keep all)", async () => {
        const gen = new ScriptedGenerator(script);
        const { rows, summary } = await rejectionSample(gen, items, { k: 4, verify, batchSize: 2 });
        expect(rows.map((r) => [r.id, r.completion])).toEqual([
            ["a", script["P:2+2"][0]!.text],
            ["a", script["P:2+2"][2]!.text],
            ["c", script["P:1+1"][0]!.text],
            ["c", script["P:1+1"][1]!.text],
            ["c", script["P:1+1"][0]!.text],
            ["c", script["P:1+1"][1]!.text],
        ]);
        for (const r of rows) expect(verify(String(r.answer), r.completion)).toBe(true);
        expect(summary).toMatchObject({
            prompts: 3, sampled: 12, truncated: 1, checked: 11, verified: 8, filtered: { mixedLanguage: 2 }, kept: 6, promptsKept: 2,
        });
        expect(summary.answersVerifiedPerSecond).toBeGreaterThan(0);
        // Two generate calls (batch size 2), k samples each, the prompts' inputs passed through.
        expect(gen.calls.map((c) => c.prompts)).toEqual([["P:2+2", "P:3+3"], ["P:1+1"]]);
        expect(gen.calls[0]!.options).toMatchObject({ numSamples: 4, temperature: 0.6, topP: 0.95 });
    });

    it("writes the question as prompt, the source columns, and the sampling columns", async () => {
        const { rows } = await rejectionSample(new ScriptedGenerator(script), items.slice(0, 1), { k: 4, verify });
        expect(rows[0]).toEqual({
            id: "a", answer: "4", source_prompt: "raw", prompt: "2+2", completion: script["P:2+2"][0]!.text,
            rs_sample_index: 0, rs_correct: 2, rs_completion_tokens: script["P:2+2"][0]!.text.length,
        });
        expect(rows[1]!.rs_sample_index).toBe(2);
    });

    it("keep shortest picks the fewest tokens; keep random one seeded pick per prompt", async () => {
        const gen = new ScriptedGenerator(script);
        const shortest = await rejectionSample(gen, items, { k: 4, verify, keep: "shortest" });
        expect(shortest.rows.map((r) => r.rs_sample_index)).toEqual([0, 0]);
        expect(shortest.rows[0]!.completion).toBe(script["P:2+2"][0]!.text);

        const picks = new Set<string>();
        for (let seed = 0; seed < 8; seed++) {
            const a = await rejectionSample(gen, items, { k: 4, verify, keep: "random", seed });
            const b = await rejectionSample(gen, items, { k: 4, verify, keep: "random", seed });
            expect(a.rows).toEqual(b.rows);
            expect(a.rows.length).toBe(2);
            for (const r of a.rows) expect(verify(String(r.answer), r.completion)).toBe(true);
            picks.add(a.rows.map((r) => r.rs_sample_index).join(","));
        }
        expect(picks.size).toBeGreaterThan(1);
    });

    it("with no filter and keepTruncated, everything correct is kept", async () => {
        const { summary } = await rejectionSample(new ScriptedGenerator(script), items, { k: 4, verify, filter: null, dropTruncated: false });
        expect(summary).toMatchObject({ truncated: 0, checked: 12, verified: 9, kept: 9, filtered: {} });
    });

    it("uses verifyMath by default", async () => {
        const gen = new ScriptedGenerator({ q: [{ text: "so the answer is \\boxed{\\frac{1}{2}}" }, { text: "\\boxed{0.4}" }] });
        const { rows } = await rejectionSample(gen, [{ input: "q", prompt: "q", gold: "0.5" }], { k: 2 });
        expect(rows.map((r) => r.completion)).toEqual(["so the answer is \\boxed{\\frac{1}{2}}"]);
    });

    it("checks its options and the generator's answer", async () => {
        const gen = new ScriptedGenerator(script);
        await expect(rejectionSample(gen, items, { k: 0 })).rejects.toThrow(/k must be an integer >= 1/);
        await expect(rejectionSample(gen, items, { keep: "best" as never })).rejects.toThrow(/keep must be/);
        const short: CompletionGenerator = { generate: async () => [] };
        await expect(rejectionSample(short, items, { k: 2 })).rejects.toThrow(/returned 0 completions for 3 prompts × k 2/);
    });
});

describe("readabilityFilter", () => {
    it("flags mixed language in the thinking, broken text, long paragraphs and code", () => {
        const f = readabilityFilter({ maxParagraphChars: 60, rejectCodeBlocks: true });
        expect(f(answer("we add the numbers", "4"))).toBeNull();
        expect(f(answer("we add 然后 carry", "4"))).toBe("mixedLanguage");
        expect(f(answer("bad \uFFFD byte", "4"))).toBe("unreadable");
        expect(f(`${"word ".repeat(14)}\n\nshort`)).toBe("longParagraph");
        expect(f("look:\n```py\nprint(1)\n```")).toBe("codeBlock");
        // Math is not prose: a chain of formulas has no words and passes.
        expect(f(answer("$x^2 = 4$", "2"))).toBeNull();
        expect(readabilityFilter({ language: "zh", minLanguageConsistency: 0.5 })(answer("三加三等于六", "6"))).toBeNull();
        expect(() => readabilityFilter({ language: "xx" })).toThrow(/language must be one of/);
    });
});
