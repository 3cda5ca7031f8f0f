/**
 * A pass-rate function (for difficulty.ts) backed by a local Policy: k samples per prompt from
 * the native engine, each verified against the row's answer with verifyMath. Deterministic for
 * a seed: call c of the function samples with deriveSeed(seed, c).
 */
import { deriveSeed } from "../../algo/sampling.js";
import type { Policy } from "../../model/policy.js";
import { verifyMath } from "../../verify/index.js";
import { columnValue } from "../readers/columnMapping.js";
import type { PassRateFn } from "./difficulty.js";

export interface PolicyPassRateOptions {
    /** Samples per prompt. Default 8. */
    k?: number;
    /** Default 1024. */
    maxNewTokens?: number;
    /** Default 0.6. */
    temperature?: number;
    /** Default 0.95. */
    topP?: number;
    /** Default 0. */
    seed?: number;
    /** Default "answer". */
    answerColumn?: string;
    /** Turns a prompt into the model's input text (a template, a chat template). Default: unchanged. */
    render?: (prompt: string) => string;
}

export function policyPassRate(policy: Policy, options: PolicyPassRateOptions = {}): PassRateFn {
    const k = options.k ?? 8;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`policyPassRate: k must be a positive integer, got ${String(options.k)}`);
    const answerColumn = options.answerColumn ?? "answer";
    const render = options.render ?? ((p: string) => p);
    let call = 0;
    return async (prompts, rows) => {
        const samples = await policy.generate(prompts.map(render), {
            maxNewTokens: options.maxNewTokens ?? 1024,
            temperature: options.temperature ?? 0.6,
            topP: options.topP ?? 0.95,
            numSamples: k,
            seed: deriveSeed(options.seed ?? 0, call++),
        });
        const correct = new Array<number>(prompts.length).fill(0);
        for (const sample of samples) {
            const gold = columnValue(rows[sample.promptIndex] ?? {}, answerColumn);
            if (gold !== undefined && gold !== null && verifyMath(String(gold), sample.text)) correct[sample.promptIndex]!++;
        }
        return correct.map((c) => c / k);
    };
}
