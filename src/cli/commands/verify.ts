/**
 * `r1-native verify`: check a predicted math answer against the gold one.
 *
 *   r1-native verify --gold "\frac12" --pred "The answer is 0.5."
 *   r1-native verify --jsonl pairs.jsonl        (or `verify pairs.jsonl`; --jsonl - reads stdin)
 *
 * Each input line {"gold": …, "pred": …} gives one output line, in input order, with at least
 * {"correct": bool}; an "id" field is passed through. Items run on worker threads with a hard
 * per-item time bound (--timeout-ms), so one pathological line cannot stall the file.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { CommandModule } from "yargs";
import type { VerifyDetail, VerifyOptions } from "../../verify/types.js";
import { failedDetail, VerifyPool } from "../../verify/workerPool.js";

export interface VerifyCommandOptions {
    gold?: string;
    pred?: string;
    /** JSONL file of {"gold", "pred"} objects, or "-" for stdin. */
    jsonl?: string;
    /** The JSONL file given as a positional argument (also how yargs hands over "--jsonl -"). */
    input?: string;
    /** Also print the extracted and normalised forms and the verdict message. */
    detailed?: boolean;
    timeoutMs?: number;
    relTol?: number;
    concurrency?: number;
    /** Print "N verified, K correct, X/s" to stderr at the end. */
    summary?: boolean;
    /** Lines verified together before their results are written (memory stays bounded). */
    chunkSize?: number;
}

export interface VerifyIo {
    stdout: { write(chunk: string): unknown };
    stderr?: { write(chunk: string): unknown };
    stdin?: Readable;
}

export interface VerifySummary {
    total: number;
    correct: number;
    elapsedMs: number;
}

interface Item {
    line: number;
    id?: unknown;
    gold?: string;
    pred?: string;
    error?: string;
}

export async function runVerify(given: VerifyCommandOptions, io: VerifyIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<VerifySummary> {
    // yargs hands "--jsonl -" over as an empty string: an empty file name means stdin.
    const file = given.jsonl ?? given.input;
    const options = { ...given, jsonl: file === "" ? "-" : file };
    const single = options.gold !== undefined || options.pred !== undefined;
    if (single && options.jsonl !== undefined) throw new Error("r1-native verify: give either --gold/--pred or --jsonl, not both");
    if (!single && options.jsonl === undefined) throw new Error("r1-native verify: give --gold and --pred, or --jsonl FILE");
    if (single && (options.gold === undefined || options.pred === undefined)) {
        throw new Error(`r1-native verify: --${options.gold === undefined ? "gold" : "pred"} is missing`);
    }
    const chunkSize = options.chunkSize ?? 512;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`r1-native verify: --chunk-size must be a positive integer, got ${String(chunkSize)}`);
    const verifyOptions: VerifyOptions = {
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.relTol !== undefined ? { relTol: options.relTol } : {}),
    };
    const pool = new VerifyPool({ concurrency: single ? 1 : options.concurrency });
    const started = performance.now();
    const summary: VerifySummary = { total: 0, correct: 0, elapsedMs: 0 };
    try {
        if (single) {
            const detail = await pool.verify(String(options.gold), String(options.pred), verifyOptions);
            io.stdout.write(`${JSON.stringify(outputLine({ line: 1 }, detail, options.detailed === true))}\n`);
            summary.total = 1;
            summary.correct = detail.correct ? 1 : 0;
        } else {
            const input = options.jsonl === "-" ? io.stdin : createReadStream(options.jsonl!, { encoding: "utf8" });
            if (input === undefined) throw new Error("r1-native verify: --jsonl - needs a stdin stream");
            await verifyLines(input, pool, verifyOptions, chunkSize, options.detailed === true, io, summary);
        }
    } finally {
        await pool.close();
    }
    summary.elapsedMs = performance.now() - started;
    if (options.summary === true) {
        const rate = summary.total / Math.max(summary.elapsedMs / 1000, 1e-9);
        io.stderr?.write(`verified ${summary.total}, correct ${summary.correct}, ${rate.toFixed(0)} items/s\n`);
    }
    return summary;
}

async function verifyLines(
    input: Readable,
    pool: VerifyPool,
    options: VerifyOptions,
    chunkSize: number,
    detailed: boolean,
    io: VerifyIo,
    summary: VerifySummary,
): Promise<void> {
    const lines = createInterface({ input, crlfDelay: Infinity });
    let chunk: Item[] = [];
    let lineNumber = 0;
    const flush = async () => {
        const details = await Promise.all(
            chunk.map((item) =>
                item.error !== undefined ? Promise.resolve(failedDetail("invalid-input", item.error)) : pool.verify(item.gold!, item.pred!, options),
            ),
        );
        let out = "";
        for (let i = 0; i < chunk.length; i++) {
            const detail = details[i]!;
            out += `${JSON.stringify(outputLine(chunk[i]!, detail, detailed))}\n`;
            summary.total++;
            if (detail.correct) summary.correct++;
        }
        io.stdout.write(out);
        chunk = [];
    };
    for await (const line of lines) {
        lineNumber++;
        if (line.trim().length === 0) continue;
        chunk.push(parseLine(line, lineNumber));
        if (chunk.length >= chunkSize) await flush();
    }
    if (chunk.length > 0) await flush();
}

function parseLine(line: string, lineNumber: number): Item {
    let value: unknown;
    try {
        value = JSON.parse(line);
    } catch (error) {
        return { line: lineNumber, error: `line ${lineNumber}: not valid JSON (${(error as Error).message})` };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return { line: lineNumber, error: `line ${lineNumber}: expected an object with "gold" and "pred"` };
    }
    const record = value as Record<string, unknown>;
    const item: Item = { line: lineNumber, ...(record.id !== undefined ? { id: record.id } : {}) };
    for (const field of ["gold", "pred"] as const) {
        const v = record[field];
        if (typeof v === "string") item[field] = v;
        else if (typeof v === "number" && Number.isFinite(v)) item[field] = String(v);
        else return { ...item, error: `line ${lineNumber}: field "${field}" must be a string, got ${v === undefined ? "nothing" : v === null ? "null" : typeof v}` };
    }
    return item;
}

function outputLine(item: Item, detail: VerifyDetail, detailed: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = { correct: detail.correct, reason: detail.reason };
    if (item.id !== undefined) out.id = item.id;
    if (item.error !== undefined) out.error = item.error;
    if (detailed) {
        out.gold = detail.gold;
        out.pred = detail.pred;
        if (detail.message !== undefined) out.message = detail.message;
        out.elapsedMs = Number(detail.elapsedMs.toFixed(3));
    }
    return out;
}

export const verifyCommand: CommandModule<object, VerifyCommandOptions> = {
    command: "verify [input]",
    describe: "Check math answers: --gold G --pred P, or --jsonl FILE of {gold, pred} lines",
    builder: (y) =>
        y
            .positional("input", { type: "string", describe: 'JSONL file, as --jsonl ("-" for stdin)' })
            .option("gold", { type: "string", describe: "Gold answer (LaTeX or plain)" })
            .option("pred", { type: "string", describe: "Model output or predicted answer" })
            .option("jsonl", { type: "string", describe: 'JSONL file of {"gold", "pred"} objects ("-" for stdin)' })
            .option("detailed", { type: "boolean", default: false, describe: "Print extracted/normalised forms and the reason" })
            .option("timeout-ms", { type: "number", describe: "Time bound per item in ms (default 1000)" })
            .option("rel-tol", { type: "number", describe: "Relative numeric tolerance (default 1e-6)" })
            .option("concurrency", { type: "number", describe: "Worker threads for --jsonl (default cores − 1, at most 4)" })
            .option("summary", { type: "boolean", default: false, describe: "Print counts and items/s to stderr" })
            .check((argv) => {
                if ((argv.jsonl ?? argv.input) === undefined && (argv.gold === undefined || argv.pred === undefined)) {
                    throw new Error("give --gold and --pred, or --jsonl FILE");
                }
                return true;
            }),
    handler: async (argv) => {
        await runVerify(argv);
    },
};
