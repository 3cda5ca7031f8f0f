/**
 * A client for an OpenAI-compatible chat endpoint (vLLM, SGLang, `r1-native serve`, hosted
 * APIs): POST {baseUrl}/chat/completions with retries, exponential backoff and a per-attempt
 * timeout.
 *
 * Retried: network errors, attempt timeouts, HTTP 408, 409, 425, 429 and 5xx, and 200 replies
 * whose body is not a chat completion. The delay before retry r (0-based) is
 * min(maxBackoffMs, backoffMs·2^r) scaled by a seeded jitter in [0.5, 1), or the server's
 * Retry-After when that is given (capped at maxBackoffMs). Other statuses fail at once with a
 * ChatRequestError carrying the status and the start of the body. An abort of the caller's
 * signal stops waiting at once and rejects with the signal's reason.
 *
 * The API key is read from the environment variable `apiKeyEnv` (default OPENAI_API_KEY) when
 * the client is made; without one no Authorization header is sent (local servers need none).
 */
import { Rng, deriveSeed } from "../algo/sampling.js";

export interface ChatMessage {
    role: "system" | "user" | "assistant" | (string & {});
    content: string;
}

export interface ChatClientOptions {
    /** Base URL up to the API version, e.g. "http://127.0.0.1:8000/v1". */
    baseUrl: string;
    model: string;
    /** Environment variable holding the API key. Default "OPENAI_API_KEY". */
    apiKeyEnv?: string;
    /** Per-attempt timeout (request and body). Default 600000 (long reasoning traces). */
    timeoutMs?: number;
    /** Retries after the first attempt. Default 5. */
    maxRetries?: number;
    /** First backoff delay. Default 1000. */
    backoffMs?: number;
    /** Largest backoff delay. Default 60000. */
    maxBackoffMs?: number;
    /** Seed of the backoff jitter. Default 0. */
    seed?: number;
    /** Extra headers for every request. */
    headers?: Record<string, string>;
    /** The fetch implementation. Default globalThis.fetch. */
    fetch?: typeof fetch;
    /** Called before each retry sleep. */
    onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
    /** 1 for the first retry. */
    attempt: number;
    delayMs: number;
    reason: string;
}

export interface ChatRequest {
    messages: readonly ChatMessage[];
    /** Choices in one request (servers such as vLLM support n > 1). Default 1. */
    n?: number;
    temperature?: number;
    topP?: number;
    maxTokens?: number;
    seed?: number;
    /** Further body fields passed through as they are. */
    extra?: Record<string, unknown>;
}

export interface ChatChoice {
    content: string;
    /** `reasoning_content` / `reasoning` of servers that split the thinking out, else null. */
    reasoning: string | null;
    finishReason: string | null;
}

export class ChatRequestError extends Error {
    constructor(
        message: string,
        readonly status: number | null,
        readonly retryable: boolean,
        /** The server's Retry-After, in ms, when it sent one. */
        readonly retryAfterMs: number | null = null,
    ) {
        super(message);
        this.name = "ChatRequestError";
    }
}

const retryableStatus = (status: number): boolean => status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;

export class ChatClient {
    readonly baseUrl: string;
    readonly model: string;
    /** Retries made so far, over all requests. */
    retries = 0;
    private readonly apiKey: string | undefined;
    private readonly timeoutMs: number;
    private readonly maxRetries: number;
    private readonly backoffMs: number;
    private readonly maxBackoffMs: number;
    private readonly rng: Rng;
    private readonly fetchImpl: typeof fetch;

    constructor(private readonly options: ChatClientOptions) {
        if (typeof options.baseUrl !== "string" || !/^https?:\/\//.test(options.baseUrl)) {
            throw new TypeError(`ChatClient: baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
        }
        if (typeof options.model !== "string" || options.model === "") throw new TypeError("ChatClient: model must be a non-empty string");
        this.baseUrl = options.baseUrl.replace(/\/+$/, "");
        this.model = options.model;
        this.apiKey = process.env[options.apiKeyEnv ?? "OPENAI_API_KEY"] || undefined;
        this.timeoutMs = positive(options.timeoutMs ?? 600_000, "timeoutMs");
        this.maxRetries = nonNegativeInt(options.maxRetries ?? 5, "maxRetries");
        this.backoffMs = nonNegative(options.backoffMs ?? 1000, "backoffMs");
        this.maxBackoffMs = nonNegative(options.maxBackoffMs ?? 60_000, "maxBackoffMs");
        this.rng = Rng.fromSeed(deriveSeed(options.seed ?? 0, 0x62616b));
        this.fetchImpl = options.fetch ?? globalThis.fetch;
    }

    /** The choices of one chat completion, after any retries. */
    async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatChoice[]> {
        const body = JSON.stringify({
            model: this.model,
            messages: request.messages,
            ...(request.n !== undefined && request.n !== 1 ? { n: request.n } : {}),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.topP !== undefined ? { top_p: request.topP } : {}),
            ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
            ...(request.seed !== undefined ? { seed: request.seed } : {}),
            ...request.extra,
        });
        for (let attempt = 0; ; attempt++) {
            signal?.throwIfAborted();
            let failure: ChatRequestError;
            try {
                return await this.attempt(body, request.n ?? 1, signal);
            } catch (error) {
                if (signal?.aborted) throw signal.reason;
                if (!(error instanceof ChatRequestError)) throw error;
                failure = error;
            }
            if (!failure.retryable || attempt >= this.maxRetries) {
                if (failure.retryable) failure.message += ` (after ${attempt + 1} attempts)`;
                throw failure;
            }
            const exponential = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt) * (0.5 + 0.5 * this.rng.next());
            const delayMs = failure.retryAfterMs !== null ? Math.min(this.maxBackoffMs, failure.retryAfterMs) : exponential;
            this.retries++;
            this.options.onRetry?.({ attempt: attempt + 1, delayMs, reason: failure.message });
            await sleep(delayMs, signal);
        }
    }

    private async attempt(body: string, n: number, signal: AbortSignal | undefined): Promise<ChatChoice[]> {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
        const url = `${this.baseUrl}/chat/completions`;
        let text: string;
        let response: Response;
        try {
            response = await this.fetchImpl(url, {
                method: "POST",
                headers: {
                    "content-type": "application/json",
                    ...(this.apiKey !== undefined ? { authorization: `Bearer ${this.apiKey}` } : {}),
                    ...this.options.headers,
                },
                body,
                signal: combined,
            });
            text = await response.text();
        } catch (error) {
            if (signal?.aborted) throw signal.reason;
            const reason = timeout.aborted ? `timed out after ${this.timeoutMs} ms` : `network error (${describeError(error)})`;
            throw new ChatRequestError(`POST ${url}: ${reason}`, null, true);
        }
        if (!response.ok) {
            const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
            throw new ChatRequestError(`POST ${url}: HTTP ${response.status} ${snippet(text)}`, response.status, retryableStatus(response.status), retryAfter);
        }
        return parseChoices(text, n, url);
    }
}

function parseChoices(text: string, n: number, url: string): ChatChoice[] {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        throw new ChatRequestError(`POST ${url}: the reply is not JSON: ${snippet(text)}`, 200, true);
    }
    const choices = (json as { choices?: unknown }).choices;
    if (!Array.isArray(choices) || choices.length === 0) throw new ChatRequestError(`POST ${url}: the reply has no choices: ${snippet(text)}`, 200, true);
    const out: ChatChoice[] = [];
    for (const choice of choices as Record<string, unknown>[]) {
        const message = (choice?.message ?? {}) as Record<string, unknown>;
        const content = message.content;
        if (content !== null && content !== undefined && typeof content !== "string") {
            throw new ChatRequestError(`POST ${url}: choices[].message.content is not a string: ${snippet(text)}`, 200, true);
        }
        const reasoning = message.reasoning_content ?? message.reasoning;
        out.push({
            content: content ?? "",
            reasoning: typeof reasoning === "string" && reasoning !== "" ? reasoning : null,
            finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null,
        });
    }
    if (out.length < n) throw new ChatRequestError(`POST ${url}: asked for ${n} choices, got ${out.length}`, 200, true);
    return out;
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
    if (value === null || value.trim() === "") return null;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = (): void => {
            clearTimeout(timer);
            reject(signal!.reason);
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

function describeError(error: unknown): string {
    const e = error as { message?: string; cause?: { code?: string; message?: string } };
    return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

function snippet(text: string): string {
    const flat = text.replace(/\s+/g, " ").trim();
    return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function positive(v: number, name: string): number {
    if (!(typeof v === "number" && v > 0 && Number.isFinite(v))) throw new RangeError(`ChatClient: ${name} must be a positive number, got ${String(v)}`);
    return v;
}
function nonNegative(v: number, name: string): number {
    if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new RangeError(`ChatClient: ${name} must be a non-negative number, got ${String(v)}`);
    return v;
}
function nonNegativeInt(v: number, name: string): number {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`ChatClient: ${name} must be a non-negative integer, got ${String(v)}`);
    return v;
}
