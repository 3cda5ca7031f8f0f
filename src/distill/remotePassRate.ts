/**
 * A pass-rate function (for data/curation/difficulty.ts) backed by an OpenAI-compatible
 * endpoint: k samples per prompt, each verified against the row's answer; the pass rate is the
 * verified fraction. A request that fails for good fails the whole call (a grade from fewer
 * than k samples would be a different measurement).
 */
import type { PassRateFn } from "../data/curation/difficulty.js";
import { columnValue } from "../data/readers/columnMapping.js";
import { verifyMath } from "../verify/index.js";
import { ChatClient, type ChatClientOptions } from "./chatClient.js";
import { OPEN_R1_MATH_TEMPLATE, type VerifyHook } from "./distill.js";
import { Semaphore } from "./semaphore.js";

export interface RemotePassRateOptions {
    client: ChatClient | ChatClientOptions;
    /** Samples per prompt. Default 8. */
    k?: number;
    /** Requests in flight at once. Default 8. */
    concurrency?: number;
    /** Default "answer". */
    answerColumn?: string;
    /** "{prompt}" marks the prompt. Default OPEN_R1_MATH_TEMPLATE. */
    promptTemplate?: string;
    /** Default 0.6. */
    temperature?: number;
    /** Default 0.95. */
    topP?: number;
    maxTokens?: number;
    /** Default: verifyMath(row[answerColumn], completion). */
    verify?: VerifyHook;
}

export function remotePassRate(options: RemotePassRateOptions): PassRateFn {
    const client = options.client instanceof ChatClient ? options.client : new ChatClient(options.client);
    const k = options.k ?? 8;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`remotePassRate: k must be a positive integer, got ${String(options.k)}`);
    const limiter = new Semaphore(options.concurrency ?? 8);
    const template = options.promptTemplate ?? OPEN_R1_MATH_TEMPLATE;
    const answerColumn = options.answerColumn ?? "answer";
    const verify: VerifyHook = options.verify ?? ((row, completion) => verifyMath(String(columnValue(row, answerColumn) ?? ""), completion));
    return async (prompts, rows) =>
        Promise.all(
            prompts.map(async (prompt, i) => {
                const messages = [{ role: "user", content: template.replace("{prompt}", prompt) }];
                const samples = await Promise.all(
                    Array.from({ length: k }, () =>
                        limiter.run(() => client.complete({ messages, temperature: options.temperature ?? 0.6, topP: options.topP ?? 0.95, ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}) })),
                    ),
                );
                let correct = 0;
                for (const [choice] of samples) {
                    const text = choice!.reasoning !== null ? `<think>\n${choice!.reasoning}\n</think>\n\n${choice!.content}` : choice!.content;
                    if ((await verify(rows[i] ?? {}, text)) === true) correct++;
                }
                return correct / k;
            }),
        );
}
