/**
 * SFT rows to token ids and token-aligned loss masks (`mask[n] = 1`: token n's log-probability
 * enters the loss; never a sequence's first token).
 *
 * prompt-completion: the prompt and the completion are encoded separately and concatenated
 * (prompt with the tokenizer's special tokens, e.g. a BOS; completion without, then EOS when
 * appendEos). Separate encoding keeps the prompt's ids exactly those generation starts from,
 * which is how rejection-sampled completions were produced. Only completion tokens are masked in.
 *
 * messages: the conversation is rendered with the chat template and encoded once; the mask
 * covers the assistant turns only. The span of assistant message i is found by rendering
 * prefixes and diffing their token counts:
 *
 *   start = |encodeChat(messages[0..i-1], addGenerationPrompt: true)|   (up to the turn's header)
 *   end   = |encodeChat(messages[0..i])|                                (through the turn's closing)
 *
 * and the span is cut after the first stop token (the tokenizer's EOS ids, e.g. <|im_end|>) in
 * [start, end), when there is one: the model must learn to emit the stop token, not the separator
 * the template prints after it (ChatML's "\n"). Each prefix's ids must be a prefix of the full
 * rendering's ids; a template that rewrites earlier turns (e.g. one that strips the thinking of
 * past assistant turns) breaks that, and is reported as an error naming the row.
 *
 * Truncation (data.maxLength): keep the first maxLength tokens (the prompt start survives, the
 * completion's end is cut); drop a row whose prompt, i.e. everything before its first loss token,
 * fills maxLength.
 */
import { r1ZeroPrompt } from "../../data/promptTemplates.js";
import type { ChatMessage, HfTokenizer } from "../../model/tokenizer.js";
import type { SftDataConfig } from "./config.js";

/** One training sequence. */
export interface SftExample {
    /** `[L]` prompt and completion tokens. */
    ids: Int32Array;
    /** `[L]` token-aligned: 1 where the token's log-probability enters the loss. */
    mask: Uint8Array;
    /** Tokens with mask 1. */
    lossTokens: number;
    /** Where the row came from ("file:line"). */
    source: string;
}

/** What tokenisation did to the rows. */
export interface TokeniseSummary {
    rows: number;
    kept: number;
    /** Kept, with the completion's end cut at maxLength. */
    truncated: number;
    /** The prompt alone filled maxLength. */
    droppedPromptTooLong: number;
    /** No token to learn from (an empty completion with no EOS appended, or no assistant content). */
    droppedEmpty: number;
    /** Completion (loss) tokens over the kept rows. */
    lossTokens: number;
    /** All tokens over the kept rows. */
    tokens: number;
}

/** A row's ids and mask before truncation. */
export interface MaskedIds {
    ids: number[];
    mask: number[];
}

/** [start, end) token spans of the assistant turns. */
export type Span = [number, number];

function sameStart(prefix: readonly number[], full: readonly number[]): boolean {
    if (prefix.length > full.length) return false;
    for (let i = 0; i < prefix.length; i++) if (prefix[i] !== full[i]) return false;
    return true;
}

/** Prompt ids, then completion ids (and EOS); the mask covers the completion. */
export function maskPromptCompletion(tokenizer: HfTokenizer, prompt: string, completion: string, appendEos: boolean): MaskedIds {
    const promptIds = tokenizer.encode(prompt);
    const completionIds = completion === "" ? [] : tokenizer.encode(completion, { addSpecialTokens: false });
    if (appendEos) {
        if (tokenizer.eosTokenId === null) throw new Error("data.appendEos is true but the tokenizer has no EOS token; set data.appendEos: false");
        completionIds.push(tokenizer.eosTokenId);
    }
    const ids = [...promptIds, ...completionIds];
    const mask = ids.map((_, n) => (n >= promptIds.length && n > 0 ? 1 : 0));
    return { ids, mask };
}

/**
 * The full conversation's ids and the spans of its assistant turns, by the prefix-rendering
 * method in the file comment. `where` names the row in errors.
 */
export function assistantSpans(tokenizer: HfTokenizer, messages: readonly ChatMessage[], where = "row"): { ids: number[]; spans: Span[] } {
    const ids = tokenizer.encodeChat(messages);
    const stops = new Set(tokenizer.eosTokenIds);
    const spans: Span[] = [];
    const checkPrefix = (prefix: number[], what: string) => {
        if (!sameStart(prefix, ids)) {
            throw new Error(
                `${where}: the chat template renders messages[0..${what}] differently inside the whole conversation, ` +
                    "so assistant turns cannot be located by prefix rendering (a template that rewrites earlier turns?)",
            );
        }
    };
    messages.forEach((m, i) => {
        if (m.role !== "assistant") return;
        const head = tokenizer.encodeChat(messages.slice(0, i), { addGenerationPrompt: true });
        const through = tokenizer.encodeChat(messages.slice(0, i + 1));
        checkPrefix(head, `${i - 1}] + generation prompt`);
        checkPrefix(through, `${i}]`);
        if (through.length < head.length) throw new Error(`${where}: assistant message ${i} renders shorter than its header`);
        let end = through.length;
        for (let n = head.length; n < through.length; n++) {
            if (stops.has(ids[n]!)) {
                end = n + 1;
                break;
            }
        }
        spans.push([Math.max(head.length, 1), end]);
    });
    return { ids, spans };
}

/** The conversation's ids with the assistant turns masked in. */
export function maskMessages(tokenizer: HfTokenizer, messages: readonly ChatMessage[], where = "row"): MaskedIds {
    const { ids, spans } = assistantSpans(tokenizer, messages, where);
    const mask = new Array<number>(ids.length).fill(0);
    for (const [start, end] of spans) for (let n = start; n < end; n++) mask[n] = 1;
    return { ids, mask };
}

export type TruncateResult =
    | { kind: "kept"; ids: number[]; mask: number[]; truncated: boolean }
    | { kind: "promptTooLong" }
    | { kind: "empty" };

/** The truncation rule of the file comment. */
export function truncateExample(example: MaskedIds, maxLength: number): TruncateResult {
    const first = example.mask.indexOf(1);
    if (first < 0) return { kind: "empty" };
    if (first >= maxLength) return { kind: "promptTooLong" };
    if (example.ids.length <= maxLength) return { kind: "kept", ids: example.ids, mask: example.mask, truncated: false };
    return { kind: "kept", ids: example.ids.slice(0, maxLength), mask: example.mask.slice(0, maxLength), truncated: true };
}

/** A row as read from a file, with its location for messages. */
export interface SourceRow {
    row: Record<string, unknown>;
    /** "file:line" */
    where: string;
}

function checkMessages(value: unknown, where: string, column: string): ChatMessage[] {
    if (!Array.isArray(value) || value.length === 0) {
        throw new Error(`${where}: column "${column}" must be a non-empty list of {role, content} (set data.messagesColumn)`);
    }
    value.forEach((m: unknown, i) => {
        const msg = m as Partial<ChatMessage> | null;
        if (typeof msg !== "object" || msg === null || typeof msg.role !== "string" || typeof msg.content !== "string") {
            throw new Error(`${where}: ${column}[${i}] must be {role: string, content: string}`);
        }
    });
    const messages = value as ChatMessage[];
    if (!messages.some((m) => m.role === "assistant")) throw new Error(`${where}: ${column} has no assistant message to learn from`);
    return messages;
}

/** One row's ids and mask, before truncation, by the data config. */
export function maskRow(tokenizer: HfTokenizer, source: SourceRow, data: SftDataConfig): MaskedIds {
    const { row, where } = source;
    if (data.format === "messages") return maskMessages(tokenizer, checkMessages(row[data.messagesColumn], where, data.messagesColumn), where);
    const prompt = row[data.promptColumn];
    const completion = row[data.completionColumn];
    if (typeof prompt !== "string") throw new Error(`${where}: column "${data.promptColumn}" must be a string, got ${typeof prompt} (set data.promptColumn)`);
    if (typeof completion !== "string") {
        throw new Error(`${where}: column "${data.completionColumn}" must be a string, got ${typeof completion} (set data.completionColumn)`);
    }
    if (data.promptTemplate === "chat") {
        const messages: ChatMessage[] = [];
        if (data.systemPrompt !== null) messages.push({ role: "system", content: data.systemPrompt });
        messages.push({ role: "user", content: prompt }, { role: "assistant", content: completion });
        return maskMessages(tokenizer, messages, where);
    }
    const text = data.promptTemplate === "r1-zero" ? r1ZeroPrompt(prompt) : prompt;
    return maskPromptCompletion(tokenizer, text, completion, data.appendEos);
}

/** Tokenises, masks and truncates rows; dropped rows are counted in the summary. */
export function tokeniseRows(tokenizer: HfTokenizer, rows: readonly SourceRow[], data: SftDataConfig): { examples: SftExample[]; summary: TokeniseSummary } {
    const summary: TokeniseSummary = { rows: rows.length, kept: 0, truncated: 0, droppedPromptTooLong: 0, droppedEmpty: 0, lossTokens: 0, tokens: 0 };
    const examples: SftExample[] = [];
    for (const source of rows) {
        const result = truncateExample(maskRow(tokenizer, source, data), data.maxLength);
        if (result.kind === "promptTooLong") {
            summary.droppedPromptTooLong++;
            continue;
        }
        if (result.kind === "empty") {
            summary.droppedEmpty++;
            continue;
        }
        const mask = Uint8Array.from(result.mask);
        let lossTokens = 0;
        for (const m of mask) lossTokens += m;
        examples.push({ ids: Int32Array.from(result.ids), mask, lossTokens, source: source.where });
        summary.kept++;
        if (result.truncated) summary.truncated++;
        summary.lossTokens += lossTokens;
        summary.tokens += result.ids.length;
    }
    return { examples, summary };
}
