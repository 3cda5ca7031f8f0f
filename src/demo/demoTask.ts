/**
 * The default R1-Zero demonstration: a tiny Qwen2-shaped model with a
 * character tokenizer, taught by SFT to *half* know the arithmetic task, so
 * that RL with verifiable rewards has room to improve it.
 *
 * The SFT data is deliberately imperfect: in most examples the last running-sum
 * step carries a systematic slip (the result is one too high), and a quarter
 * break the R1-Zero format. The base model therefore samples the right answer
 * only some of the time, and greedy decoding usually repeats the slip; GRPO
 * must find and reinforce the correct completions.
 */
import { type ArithmeticProblem, arithmeticSolution } from "../data/builtin/arithmetic.js";
import { R1_ZERO_PREAMBLE, r1ZeroPrompt } from "../data/promptTemplates.js";
import { buildCharTokenizer, type CharTokenizerFiles } from "../model/charTokenizer.js";
import type { DecoderConfigInit } from "../model/config.js";

export const DEMO_EOS = "<|endoftext|>";
const TAGS = ["<think>", "</think>", "<answer>", "</answer>"];

/** Characters of the prompts and completions, plus common ASCII for user prompts. */
const DEMO_CHARS = " 0123456789+-=*/().,:;!?'\"{}[]\\_<>|abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n";

/**
 * The demo tokenizer: one token per character, the EOS token, and one token
 * each for the R1-Zero preamble and the four tags. The tags and the preamble are
 * added but not special, so decoded completions keep them (as Qwen's <think> is).
 */
export function demoTokenizerFiles(): CharTokenizerFiles {
    const files = buildCharTokenizer(DEMO_CHARS, [DEMO_EOS, R1_ZERO_PREAMBLE, ...TAGS], { eosToken: DEMO_EOS, padToken: DEMO_EOS });
    const added = (files.tokenizerJson as { added_tokens: { content: string; special: boolean }[] }).added_tokens;
    for (const token of added) if (token.content === R1_ZERO_PREAMBLE || TAGS.includes(token.content)) token.special = false;
    const config = files.tokenizerConfig as {
        added_tokens_decoder?: Record<string, { content: string; special: boolean }>;
        additional_special_tokens?: string[];
    };
    const plain = (content: string) => content === R1_ZERO_PREAMBLE || TAGS.includes(content);
    for (const entry of Object.values(config.added_tokens_decoder ?? {})) if (plain(entry.content)) entry.special = false;
    config.additional_special_tokens = (config.additional_special_tokens ?? []).filter((t) => !plain(t));
    return files;
}

/** The demo model's shape; vocabSize comes from the tokenizer. */
export function demoModelConfig(vocabSize: number): DecoderConfigInit {
    return {
        architecture: "qwen2",
        vocabSize,
        hiddenSize: 128,
        intermediateSize: 384,
        numLayers: 4,
        numHeads: 4,
        numKvHeads: 2,
        attentionBias: true,
        tieWordEmbeddings: true,
        maxPositionEmbeddings: 256,
        ropeTheta: 10000,
        rmsNormEps: 1e-6,
    };
}

export interface BaseCompletionOptions {
    /** Probability that the last step carries the slip. Defaults to `0.6`. */
    slipRate?: number;
    /** Probability of a broken format. Defaults to `0.25`. */
    brokenFormatRate?: number;
}

/** One imperfect SFT completion for the base model (EOS appended). */
export function baseCompletion(p: ArithmeticProblem, rand: () => number, options: BaseCompletionOptions = {}): string {
    let steps = p.steps;
    let answer = p.answer;
    if (rand() < (options.slipRate ?? 0.6)) {
        const last = steps[steps.length - 1]!;
        answer = p.answer + 1;
        steps = [...steps.slice(0, -1), last.replace(/=\d+$/, `=${answer}`)];
    }
    const think = steps.join(", ");
    let text = arithmeticSolution({ ...p, steps, answer });
    if (rand() < (options.brokenFormatRate ?? 0.25)) {
        text = rand() < 0.5 ? `<think>${think}</think> \\boxed{${answer}}` : `<think>${think} <answer>\\boxed{${answer}}</answer>`;
    }
    return text + DEMO_EOS;
}

/** The prompt the demo uses for a problem (R1-Zero template). */
export function demoPrompt(p: ArithmeticProblem): string {
    return r1ZeroPrompt(p.question);
}
