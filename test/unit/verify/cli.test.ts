/** `r1-native verify`: the handler, with injected output streams. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { runVerify } from "../../../src/cli/commands/verify.js";
import { verifyMath } from "../../../src/verify/index.js";

function capture() {
    const chunks: string[] = [];
    const err: string[] = [];
    return {
        io: { stdout: { write: (s: string) => chunks.push(s) }, stderr: { write: (s: string) => err.push(s) } },
        lines: () => chunks.join("").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>),
        stderr: () => err.join(""),
    };
}

const dir = mkdtempSync(path.join(os.tmpdir(), "r1-verify-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("r1-native verify", () => {
    it("--gold --pred prints one verdict line", async () => {
        const out = capture();
        const summary = await runVerify({ gold: "1/2", pred: "0.5" }, out.io);
        expect(out.lines()).toEqual([{ correct: true, reason: "numeric-equal" }]);
        expect(summary).toMatchObject({ total: 1, correct: 1 });
    });

    it("--detailed adds the extracted and normalised forms", async () => {
        const out = capture();
        await runVerify({ gold: "\\frac{1}{2}", pred: "so the answer is \\boxed{\\dfrac{1}{2}}", detailed: true }, out.io);
        const [line] = out.lines();
        expect(line).toMatchObject({
            correct: true,
            gold: { extracted: "\\frac{1}{2}", source: "whole" },
            pred: { extracted: "\\dfrac{1}{2}", source: "boxed", normalized: "\\frac{1}{2}" },
        });
        expect(typeof line!.elapsedMs).toBe("number");
    });

    it("--jsonl writes one line per input line, in order, with errors in place", async () => {
        const file = path.join(dir, "pairs.jsonl");
        writeFileSync(
            file,
            [
                '{"gold": "42", "pred": "The answer is 42.", "id": "a"}',
                '{"gold": "\\\\frac{1}{3}", "pred": "0.33"}',
                "",
                "not json",
                '{"gold": "x+1"}',
                '{"gold": 7, "pred": "\\\\boxed{7}"}',
                '["gold", "pred"]',
                '{"gold": "(x+1)^2", "pred": "x^2+2x+1", "id": 6}',
            ].join("\n"),
        );
        const out = capture();
        const summary = await runVerify({ jsonl: file, summary: true }, out.io);
        const lines = out.lines();
        expect(lines.map((l) => l.correct)).toEqual([true, false, false, false, true, false, true]);
        expect(lines[0]!.id).toBe("a");
        expect(lines[6]!.id).toBe(6);
        expect(lines[2]).toMatchObject({ reason: "invalid-input" });
        expect(String(lines[2]!.error)).toMatch(/line 4: not valid JSON/);
        expect(String(lines[3]!.error)).toMatch(/line 5: field "pred"/);
        expect(String(lines[5]!.error)).toMatch(/line 7: expected an object/);
        expect(summary).toMatchObject({ total: 7, correct: 3 });
        expect(out.stderr()).toMatch(/verified 7, correct 3/);
    });

    it("keeps order across chunks on a longer file read from stdin", async () => {
        const pairs = Array.from({ length: 150 }, (_, i) => {
            const kind = i % 5;
            if (kind === 0) return { gold: String(i), pred: `so \\boxed{${i}}` };
            if (kind === 1) return { gold: `\\frac{${i}}{7}`, pred: `${i + 1}/7` };
            if (kind === 2) return { gold: `(x+${i})^2`, pred: `x^2 + ${2 * i}x + ${i * i}` };
            if (kind === 3) return { gold: `[${i}, ${i + 1})`, pred: `[${i}, ${i + 1}]` };
            return { gold: `\\{${i}, 1\\}`, pred: `\\{1, ${i}\\}` };
        });
        const stdin = Readable.from([pairs.map((p) => JSON.stringify(p)).join("\n")]);
        const out = capture();
        await runVerify({ jsonl: "-", chunkSize: 7, concurrency: 2 }, { ...out.io, stdin });
        expect(out.lines().map((l) => l.correct)).toEqual(pairs.map((p) => verifyMath(p.gold, p.pred)));
        expect(out.lines().filter((l) => l.correct).length).toBe(90);
    });

    it("takes the file as a positional argument, and an empty --jsonl as stdin", async () => {
        const file = path.join(dir, "one.jsonl");
        writeFileSync(file, '{"gold": "x+1", "pred": "1+x"}\n');
        const out = capture();
        await runVerify({ input: file }, out.io);
        // yargs turns "--jsonl -" into an empty string.
        await runVerify({ jsonl: "" }, { ...out.io, stdin: Readable.from(['{"gold": "2", "pred": "3"}\n']) });
        expect(out.lines()).toEqual([{ correct: true, reason: "sample-equal" }, { correct: false, reason: "mismatch" }]);
    });

    it("names the missing or conflicting options", async () => {
        const out = capture();
        await expect(runVerify({ gold: "1" }, out.io)).rejects.toThrow(/--pred/);
        await expect(runVerify({ pred: "1" }, out.io)).rejects.toThrow(/--gold/);
        await expect(runVerify({ gold: "1", pred: "1", jsonl: "x" }, out.io)).rejects.toThrow(/not both/);
        await expect(runVerify({}, out.io)).rejects.toThrow(/--jsonl/);
        await expect(runVerify({ gold: "1", pred: "1", timeoutMs: -5 }, out.io)).rejects.toThrow(/timeoutMs/);
        await expect(runVerify({ jsonl: path.join(dir, "missing.jsonl") }, out.io)).rejects.toThrow(/ENOENT/);
    });
});
