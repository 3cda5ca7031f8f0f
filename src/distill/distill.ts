/**
 * Distillation the Open R1 way: generate n reasoning traces per prompt from a teacher behind an
 * OpenAI-compatible endpoint, verify each against the row's answer, keep the verified ones.
 *
 *   const result = await distill(openDataset("numina.jsonl", { columns: { prompt: "problem", answer: "answer" } }), {
 *       client: { baseUrl: "http://127.0.0.1:8000/v1", model: "deepseek-ai/DeepSeek-R1" },
 *       output: "traces.jsonl", samplesPerPrompt: 4, concurrency: 32,
 *   });
 *
 * Output: one JSONL row per kept trace, the input row plus `generation` (the text; a separate
 * reasoning field from the server is put back as "<think>\n…\n</think>\n\n" before the
 * answer), `finish_reason`, `model` and `messages` (prompt + assistant turn, ready for SFT).
 *
 * Resumable: a prompt is finished once its kept rows and a ledger line are appended (see
 * resumeState.ts); a restart skips finished prompts, so an interrupted run (crash, kill, or
 * `signal`) loses no finished row and duplicates none. A prompt is all or nothing: when one of
 * its requests fails for good (retries exhausted, or HTTP 400), nothing of it is written and it
 * is counted in `promptsFailed`, to be tried again on the next run. HTTP 401, 403 and 404 (key,
 * URL or model wrong) stop the whole run with that error. Rows are fsynced every `syncEvery`
 * rows and when the run ends.
 */
import { contentHash } from "../data/curation/text.js";
import { JsonlWriter } from "../data/jsonl.js";
import { columnValue } from "../data/readers/columnMapping.js";
import type { DataReport, DatasetRow, RowSource } from "../data/readers/dataReport.js";
import { verifyMath } from "../verify/index.js";
import { ChatClient, ChatRequestError, type ChatClientOptions, type ChatMessage } from "./chatClient.js";
import { loadResumeState, type ResumeSource } from "./resumeState.js";
import { Semaphore } from "./semaphore.js";

/** Open R1's math prompt; "{prompt}" is replaced by the row's prompt. */
export const OPEN_R1_MATH_TEMPLATE = "You will be given a problem. Please reason step by step, and put your final answer within \\boxed{}:\n{prompt}";

export type VerifyHook = (row: Record<string, unknown>, completion: string) => boolean | Promise<boolean>;

export interface DistillOptions {
    /** A client, or the options to make one (base URL, model, API key variable, retries, timeout). */
    client: ChatClient | ChatClientOptions;
    /** JSONL file the kept traces are appended to. */
    output: string;
    /** Ledger of finished prompts. Default `${output}.done`. */
    ledger?: string;
    /** Also append the traces that failed verification here. */
    rejectedOutput?: string;
    /** Traces per prompt. Default 4. */
    samplesPerPrompt?: number;
    /** Traces asked for in one request (the `n` parameter; not every server supports > 1). Default 1. */
    samplesPerRequest?: number;
    /** Requests in flight at once. Default 8. */
    concurrency?: number;
    /** Column with the prompt: a string, or an array of chat messages. Default "prompt". */
    promptColumn?: string;
    /** Column with the gold answer, for the default verifier. Default "answer". */
    answerColumn?: string;
    /** Column that identifies a row for resuming; default: the prompt's content hash. */
    idColumn?: string;
    /** Applied to a string prompt; "{prompt}" marks where it goes. Default OPEN_R1_MATH_TEMPLATE. */
    promptTemplate?: string;
    systemPrompt?: string;
    /** Builds the messages from a row instead of promptColumn + template. */
    toMessages?: (row: Record<string, unknown>) => ChatMessage[];
    /** Default 0.6 (DeepSeek-R1's recommended sampling). */
    temperature?: number;
    /** Default 0.95. */
    topP?: number;
    maxTokens?: number;
    /** Further request-body fields (e.g. { top_k: 20 }). */
    extraBody?: Record<string, unknown>;
    /** Keeps a trace when true. Default: verifyMath(row[answerColumn], completion). */
    verify?: VerifyHook;
    /** Write unverified traces to the output too, with a `verified` column. Default false. */
    keepUnverified?: boolean;
    /** Default "generation". */
    generationColumn?: string;
    /** Column for prompt + assistant messages; null leaves it out. Default "messages". */
    messagesColumn?: string | null;
    /** fsync after this many rows per file. Default 16. */
    syncEvery?: number;
    onProgress?: (progress: DistillProgress) => void;
    /** Stops the run: no new request starts, in-flight ones are cancelled, finished work is kept. */
    signal?: AbortSignal;
    /** Rows without a prompt (or id, or answer for the default verifier) are counted here. */
    report?: DataReport;
}

export interface DistillProgress {
    promptsDone: number;
    /** Prompts finished by an earlier run (or repeated in the input). */
    promptsSkipped: number;
    promptsFailed: number;
    generations: number;
    kept: number;
    rejected: number;
    retries: number;
}

export interface DistillResult extends DistillProgress {
    aborted: boolean;
    /** Rows in the output file before this run. */
    resumedRows: number;
    /** Bytes of torn last lines cut from the files of an earlier run. */
    truncated: Record<string, number>;
    /** The first failures (up to 20): which prompt, where from, why. */
    failures: { key: string; source: RowSource; message: string }[];
}

const fatalStatus = new Set([401, 403, 404]);

function positiveInt(value: number, name: string): number {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`distill: ${name} must be a positive integer, got ${String(value)}`);
    return value;
}

export async function distill(rows: AsyncIterable<DatasetRow> | Iterable<DatasetRow>, options: DistillOptions): Promise<DistillResult> {
    if (typeof options.output !== "string" || options.output === "") throw new TypeError("distill: options.output must name a JSONL file");
    const n = positiveInt(options.samplesPerPrompt ?? 4, "samplesPerPrompt");
    const perRequest = Math.min(n, positiveInt(options.samplesPerRequest ?? 1, "samplesPerRequest"));
    const concurrency = positiveInt(options.concurrency ?? 8, "concurrency");
    const syncEvery = options.syncEvery ?? 16;
    const promptColumn = options.promptColumn ?? "prompt";
    const answerColumn = options.answerColumn ?? "answer";
    const generationColumn = options.generationColumn ?? "generation";
    const messagesColumn = options.messagesColumn === undefined ? "messages" : options.messagesColumn;
    const template = options.promptTemplate ?? OPEN_R1_MATH_TEMPLATE;
    if (!template.includes("{prompt}")) throw new TypeError('distill: promptTemplate must contain "{prompt}"');
    const written = [generationColumn, "finish_reason", "model", "verified", ...(messagesColumn !== null ? [messagesColumn] : [])];
    for (const [name, column] of [["promptColumn", promptColumn], ["idColumn", options.idColumn]] as const) {
        if (column !== undefined && written.includes(column)) {
            throw new TypeError(`distill: ${name} "${column}" is a column the distiller writes (${written.join(", ")}); rename one of them`);
        }
    }
    const verify: VerifyHook = options.verify ?? ((row, completion) => verifyMath(String(columnValue(row, answerColumn)), completion));
    const client = options.client instanceof ChatClient ? options.client : new ChatClient(options.client);
    const ledgerFile = options.ledger ?? `${options.output}.done`;

    const keyOf = (row: Record<string, unknown>): string | null => {
        if (options.idColumn !== undefined) {
            const id = columnValue(row, options.idColumn);
            return id === undefined || id === null ? null : `id:${JSON.stringify(id)}`;
        }
        const prompt = columnValue(row, promptColumn);
        return prompt === undefined || prompt === null ? null : `p:${contentHash(JSON.stringify(prompt))}`;
    };
    const sources: ResumeSource[] = [
        { file: options.output, keyOf, isOutput: true },
        { file: ledgerFile, keyOf: (row) => (typeof row.key === "string" ? row.key : null) },
        ...(options.rejectedOutput !== undefined ? [{ file: options.rejectedOutput, keyOf }] : []),
    ];
    const state = await loadResumeState(sources);

    const messagesFor = (row: Record<string, unknown>): ChatMessage[] => {
        if (options.toMessages) return options.toMessages(row);
        const prompt = columnValue(row, promptColumn);
        const system: ChatMessage[] = options.systemPrompt !== undefined ? [{ role: "system", content: options.systemPrompt }] : [];
        if (Array.isArray(prompt)) return [...system, ...(prompt as ChatMessage[])];
        return [...system, { role: "user", content: template.replace("{prompt}", String(prompt)) }];
    };

    const progress: DistillProgress = { promptsDone: 0, promptsSkipped: 0, promptsFailed: 0, generations: 0, kept: 0, rejected: 0, retries: 0 };
    const failures: DistillResult["failures"] = [];
    const out = await JsonlWriter.open(options.output, { mode: "a", syncEvery });
    const ledger = await JsonlWriter.open(ledgerFile, { mode: "a", syncEvery });
    const rejectedOut = options.rejectedOutput !== undefined ? await JsonlWriter.open(options.rejectedOutput, { mode: "a", syncEvery }) : null;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(options.signal?.reason);
    if (options.signal?.aborted) stop.abort(options.signal.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const limiter = new Semaphore(concurrency);
    const retriesBefore = client.retries;
    const report = (): void => {
        progress.retries = client.retries - retriesBefore;
        options.onProgress?.({ ...progress });
    };
    let fatal: unknown = null;

    const runPrompt = async (item: DatasetRow, key: string): Promise<void> => {
        const messages = messagesFor(item.row);
        const batches: number[] = [];
        for (let left = n; left > 0; left -= perRequest) batches.push(Math.min(perRequest, left));
        const choices = (
            await Promise.all(
                batches.map((count) =>
                    limiter.run(() => {
                        stop.signal.throwIfAborted();
                        return client.complete(
                            { messages, n: count, temperature: options.temperature ?? 0.6, topP: options.topP ?? 0.95, ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}), ...(options.extraBody ? { extra: options.extraBody } : {}) },
                            stop.signal,
                        ).then((c) => c.slice(0, count));
                    }),
                ),
            )
        ).flat();
        const kept: Record<string, unknown>[] = [];
        const rejected: Record<string, unknown>[] = [];
        let verified = 0;
        for (const choice of choices) {
            const generation = choice.reasoning !== null ? `<think>\n${choice.reasoning}\n</think>\n\n${choice.content}` : choice.content;
            const ok = (await verify(item.row, generation)) === true;
            const row: Record<string, unknown> = { ...item.row, [generationColumn]: generation, finish_reason: choice.finishReason, model: client.model };
            if (messagesColumn !== null) row[messagesColumn] = [...messages, { role: "assistant", content: generation }];
            if (options.keepUnverified === true) row.verified = ok;
            if (ok) verified++;
            (ok || options.keepUnverified === true ? kept : rejected).push(row);
        }
        // Finished work is written even when the run is being stopped: nothing finished is lost.
        await out.write(...kept);
        if (rejectedOut) await rejectedOut.write(...rejected);
        await ledger.write({ key, generated: choices.length, verified, written: kept.length });
        progress.promptsDone++;
        progress.generations += choices.length;
        progress.kept += verified;
        progress.rejected += choices.length - verified;
        report();
    };

    const active = new Set<Promise<void>>();
    const maxActive = Math.ceil(concurrency / batchesPer(n, perRequest)) + 1;
    const seen = new Set<string>();
    try {
        for await (const item of rows) {
            if (stop.signal.aborted) break;
            const key = keyOf(item.row);
            if (key === null) {
                options.report?.addBad(item.source, `no ${options.idColumn !== undefined ? `id column "${options.idColumn}"` : `prompt column "${promptColumn}"`}`);
                continue;
            }
            if (options.verify === undefined) {
                const answer = columnValue(item.row, answerColumn);
                if (answer === undefined || answer === null) {
                    options.report?.addBad(item.source, `no answer column "${answerColumn}"`);
                    continue;
                }
            }
            if (state.finished.has(key) || seen.has(key)) {
                progress.promptsSkipped++;
                continue;
            }
            seen.add(key);
            const task = runPrompt(item, key).catch((error: unknown) => {
                if (stop.signal.aborted && fatal === null && !(error instanceof ChatRequestError && fatalStatus.has(error.status ?? 0))) return;
                if (error instanceof ChatRequestError && !fatalStatus.has(error.status ?? 0)) {
                    progress.promptsFailed++;
                    if (failures.length < 20) failures.push({ key, source: item.source, message: error.message });
                    report();
                    return;
                }
                if (fatal === null) fatal = error;
                stop.abort(error);
            });
            active.add(task);
            void task.finally(() => active.delete(task));
            while (active.size >= maxActive) await Promise.race(active);
        }
        await Promise.all(active);
    } catch (error) {
        if (fatal === null) fatal = error;
        stop.abort(error);
        await Promise.allSettled(active);
    } finally {
        options.signal?.removeEventListener("abort", onAbort);
        const closed = await Promise.allSettled([out.close(), ledger.close(), rejectedOut?.close()]);
        for (const c of closed) if (c.status === "rejected" && fatal === null) fatal = c.reason;
    }
    if (fatal !== null) throw fatal;
    progress.retries = client.retries - retriesBefore;
    return { ...progress, aborted: options.signal?.aborted === true, resumedRows: state.outputRows, truncated: state.truncated, failures };
}

function batchesPer(n: number, perRequest: number): number {
    return Math.ceil(n / perRequest);
}
