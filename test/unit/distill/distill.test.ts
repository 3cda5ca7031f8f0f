import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { DatasetRow } from "../../../src/data/readers/dataReport.js";
import { DataReport } from "../../../src/data/readers/dataReport.js";
import { ChatRequestError } from "../../../src/distill/chatClient.js";
import { distill, type DistillProgress } from "../../../src/distill/distill.js";
import { useTempDir } from "../data/tempDir.js";
import { expectedKept, startFakeServer, sumOf, type FakeServer } from "./fakeOpenAiServer.js";

const temp = useTempDir("distill");
const servers: FakeServer[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(options: Parameters<typeof startFakeServer>[0] = {}): Promise<FakeServer> {
    const s = await startFakeServer(options);
    servers.push(s);
    return s;
}

/** Prompts "Compute A + B." for A = 0..count-1, B = 10, with their answers. */
function problems(count: number, first = 0): DatasetRow[] {
    return Array.from({ length: count }, (_, i) => ({
        row: { prompt: `Compute ${first + i} + 10.`, answer: String(first + i + 10) },
        source: { file: "problems.jsonl", line: first + i + 1 },
    }));
}
function readRows(file: string): Record<string, unknown>[] {
    return readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
}
/** Output rows per prompt A. */
function countsByA(rows: Record<string, unknown>[]): Map<number, number> {
    const counts = new Map<number, number>();
    for (const r of rows) {
        const a = sumOf(String(r.prompt))[0];
        counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    return counts;
}
const fast = { backoffMs: 1, maxBackoffMs: 5 };

describe("distill", () => {
    it("keeps only verified traces, retrying 500s and 429s, within the concurrency limit", async () => {
        const s = await server({
            delayMs: 5,
            reply: (i) => (i % 5 === 3 ? { status: 500, body: "overloaded" } : i % 7 === 6 ? { status: 429, headers: { "retry-after": "0" }, body: "rate" } : null),
        });
        const output = temp("verified.jsonl");
        const progress: DistillProgress[] = [];
        const result = await distill(problems(12), {
            client: { baseUrl: s.url, model: "teacher", ...fast },
            output,
            samplesPerPrompt: 4,
            concurrency: 3,
            onProgress: (p) => progress.push(p),
        });
        const rows = readRows(output);
        const expected = Array.from({ length: 12 }, (_, a) => expectedKept(a, 4)).reduce((x, y) => x + y, 0);
        expect(rows.length).toBe(expected);
        expect(result).toMatchObject({ promptsDone: 12, promptsFailed: 0, generations: 48, kept: expected, rejected: 48 - expected, aborted: false });
        expect(result.retries).toBeGreaterThan(0);
        expect(s.requests).toBe(48 + result.retries);
        expect(s.maxInFlight).toBeLessThanOrEqual(3);
        for (const [a, count] of countsByA(rows)) expect(count).toBe(expectedKept(a, 4));
        const row = rows[0]!;
        expect(String(row.generation)).toContain(`\\boxed{${String(row.answer)}}`);
        expect(row).toMatchObject({ finish_reason: "stop", model: "teacher" });
        expect(row.messages).toEqual([
            { role: "user", content: expect.stringContaining(`put your final answer within \\boxed{}:\n${String(row.prompt)}`) },
            { role: "assistant", content: row.generation },
        ]);
        expect(readRows(`${output}.done`).length).toBe(12);
        expect(progress.length).toBe(12);
        expect(progress[11]!.promptsDone).toBe(12);
    });

    it("resumes after an abort with no duplicate and no loss", async () => {
        const s = await server({ delayMs: 15 });
        const output = temp("resume.jsonl");
        const rejectedOutput = temp("resume.rejected.jsonl");
        const controller = new AbortController();
        const options = { client: { baseUrl: s.url, model: "teacher", ...fast }, output, rejectedOutput, samplesPerPrompt: 2, concurrency: 4 };
        const first = await distill(problems(20), {
            ...options,
            signal: controller.signal,
            onProgress: (p) => {
                if (p.promptsDone >= 5) controller.abort(new Error("killed"));
            },
        });
        expect(first.aborted).toBe(true);
        expect(first.promptsDone).toBeGreaterThanOrEqual(5);
        expect(first.promptsDone).toBeLessThan(20);
        const afterFirst = readRows(output).length;
        const second = await distill(problems(20), options);
        expect(second.aborted).toBe(false);
        expect(second.promptsSkipped).toBe(first.promptsDone);
        expect(second.promptsDone).toBe(20 - first.promptsDone);
        expect(second.resumedRows).toBe(afterFirst);
        const counts = countsByA(readRows(output));
        for (let a = 0; a < 20; a++) expect(counts.get(a) ?? 0).toBe(expectedKept(a, 2));
        const rejectedCounts = countsByA(readRows(rejectedOutput));
        for (let a = 0; a < 20; a++) expect(rejectedCounts.get(a) ?? 0).toBe(2 - expectedKept(a, 2));
        const keys = readRows(`${output}.done`).map((r) => r.key);
        expect(keys.length).toBe(20);
        expect(new Set(keys).size).toBe(20);
        const third = await distill(problems(20), options);
        expect(third).toMatchObject({ promptsDone: 0, promptsSkipped: 20 });
    });

    it("survives SIGKILL of the process mid-run: the restart finishes with no duplicate and no loss", async () => {
        const s = await server({ delayMs: 40 });
        const output = temp("killed.jsonl");
        const here = dirname(fileURLToPath(import.meta.url));
        const child = spawn(process.execPath, [join(here, "../../../node_modules/vite-node/vite-node.mjs"), join(here, "distillChild.ts"), s.url, output, "60"], { stdio: "ignore" });
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && (!existsSync(`${output}.done`) || readFileSync(`${output}.done`, "utf8").split("\n").length < 6)) {
            await new Promise((r) => setTimeout(r, 10));
        }
        child.kill("SIGKILL");
        await exited;
        const doneBefore = readRows(`${output}.done`).length;
        expect(doneBefore).toBeGreaterThanOrEqual(5);
        expect(doneBefore).toBeLessThan(60);
        const result = await distill(problems(60), { client: { baseUrl: s.url, model: "teacher", ...fast }, output, samplesPerPrompt: 2, concurrency: 4 });
        expect(result.promptsSkipped + result.promptsDone).toBe(60);
        const counts = countsByA(readRows(output));
        for (let a = 0; a < 60; a++) expect(counts.get(a) ?? 0).toBe(expectedKept(a, 2));
        expect(new Set(readRows(`${output}.done`).map((r) => r.key)).size).toBe(readRows(`${output}.done`).length);
    });

    it("cuts a torn last line left by a crash and goes on", async () => {
        const s = await server();
        const output = temp("torn.jsonl");
        const options = { client: { baseUrl: s.url, model: "teacher", ...fast }, output, samplesPerPrompt: 2, concurrency: 2 };
        await distill(problems(3, 2), options); // A = 2, 3, 4
        const tornRow = '{"prompt":"Compute 5 + 10.","generation":"half a ro';
        appendFileSync(output, tornRow);
        appendFileSync(`${output}.done`, '{"key":"p:');
        const result = await distill(problems(6, 2), options);
        expect(result.truncated).toEqual({ [output]: Buffer.byteLength(tornRow), [`${output}.done`]: 10 });
        expect(result.promptsSkipped).toBe(3);
        const counts = countsByA(readRows(output));
        for (let a = 2; a < 8; a++) expect(counts.get(a) ?? 0).toBe(expectedKept(a, 2));
    });

    it("fails a prompt whose requests keep failing, writes none of it, and redoes it next run", async () => {
        let broken = true;
        const s = await server({ reply: (_, body) => (broken && JSON.stringify(body).includes("Compute 2 + 10.") ? { status: 502, body: "bad gateway" } : null) });
        const output = temp("failing.jsonl");
        const options = { client: { baseUrl: s.url, model: "teacher", maxRetries: 1, ...fast }, output, samplesPerPrompt: 2, concurrency: 2 };
        const first = await distill(problems(4), options);
        expect(first.promptsFailed).toBe(1);
        expect(first.promptsDone).toBe(3);
        expect(first.failures[0]).toMatchObject({ source: { file: "problems.jsonl", line: 3 }, message: expect.stringContaining("HTTP 502 bad gateway") });
        expect(countsByA(readRows(output)).get(2)).toBeUndefined();
        broken = false;
        const second = await distill(problems(4), options);
        expect(second).toMatchObject({ promptsDone: 1, promptsSkipped: 3 });
        expect(countsByA(readRows(output)).get(2)).toBe(2);
    });

    it("stops the whole run on 401 with the server's error", async () => {
        const s = await server({ reply: () => ({ status: 401, body: '{"error":"bad key"}' }) });
        const error = await distill(problems(10), { client: { baseUrl: s.url, model: "teacher", ...fast }, output: temp("unauth.jsonl"), concurrency: 2 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ChatRequestError);
        expect((error as ChatRequestError).status).toBe(401);
        expect(s.requests).toBeLessThanOrEqual(8);
    });

    it("uses a custom verifier, keeps unverified traces when asked, and reports rows it cannot use", async () => {
        const s = await server({ splitReasoning: true });
        const output = temp("custom.jsonl");
        const report = new DataReport();
        const seen: string[] = [];
        const input: DatasetRow[] = [...problems(2), { row: { question: "x" }, source: { file: "problems.jsonl", line: 9 } }];
        const result = await distill(input, {
            client: { baseUrl: s.url, model: "teacher" },
            output,
            samplesPerPrompt: 3,
            samplesPerRequest: 2,
            keepUnverified: true,
            promptTemplate: "Q: {prompt}",
            systemPrompt: "Be brief.",
            verify: async (row, completion) => {
                seen.push(completion);
                return row.prompt === "Compute 1 + 10.";
            },
            report,
        });
        expect(s.requests).toBe(4); // 2 prompts × (a request of 2 + a request of 1)
        expect(result).toMatchObject({ promptsDone: 2, generations: 6, kept: 3, rejected: 3 });
        const rows = readRows(output);
        expect(rows.length).toBe(6);
        expect(rows.filter((r) => r.verified === true).every((r) => r.prompt === "Compute 1 + 10.")).toBe(true);
        expect(seen[0]).toMatch(/^<think>\nAdd \d+ and 10\.\n<\/think>\n\nThe answer is/);
        expect((rows[0]!.messages as unknown[]).slice(0, 2)).toEqual([
            { role: "system", content: "Be brief." },
            { role: "user", content: expect.stringMatching(/^Q: Compute \d \+ 10\.$/) },
        ]);
        expect(report.badFor('no prompt column "prompt"')?.examples).toEqual([{ file: "problems.jsonl", line: 9 }]);
    });

    it("validates its options before touching any file", async () => {
        const client = { baseUrl: "http://127.0.0.1:9/v1", model: "m" };
        await expect(distill([], { client, output: "" })).rejects.toThrow("options.output must name a JSONL file");
        await expect(distill([], { client, output: temp("v.jsonl"), samplesPerPrompt: 0 })).rejects.toThrow("samplesPerPrompt must be a positive integer");
        await expect(distill([], { client, output: temp("v.jsonl"), promptColumn: "messages" })).rejects.toThrow('promptColumn "messages" is a column the distiller writes');
        await expect(distill([], { client, output: temp("v.jsonl"), promptTemplate: "no slot" })).rejects.toThrow('must contain "{prompt}"');
    });
});
