/**
 * A local OpenAI-compatible chat server for tests, on 127.0.0.1 and a random port. It answers
 * "Compute A + B." prompts with canned completions, can fail or delay chosen requests, and
 * stops answering (HTTP 400) past `maxRequests`, so a runaway client loop stays bounded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeReply {
    status?: number;
    headers?: Record<string, string>;
    body?: string;
    delayMs?: number;
}

export interface FakeServerOptions {
    /** The completion for the user text and the per-prompt ordinal of this choice (0, 1, ...). */
    answer?: (userText: string, ordinal: number) => string;
    /** Overrides the reply of request number `index` (0-based, in arrival order). */
    reply?: (index: number, body: Record<string, unknown>, headers: IncomingMessage["headers"]) => FakeReply | null;
    /** Delay of every normal reply. Default 0. */
    delayMs?: number;
    maxRequests?: number;
    /** Return the thinking in `reasoning_content` instead of inline. */
    splitReasoning?: boolean;
}

export interface FakeServer {
    url: string;
    requests: number;
    inFlight: number;
    maxInFlight: number;
    authorizations: (string | undefined)[];
    close(): Promise<void>;
}

/** The sum A + B of "Compute A + B."; the canned teacher is right except where `wrong` says. */
export function sumOf(text: string): [number, number] {
    const m = /Compute (\d+) \+ (\d+)\./.exec(text);
    if (!m) throw new Error(`fake server: no "Compute A + B." in ${JSON.stringify(text)}`);
    return [Number(m[1]), Number(m[2])];
}

/** A % 3 == 0: always wrong; A % 3 == 1: right on even ordinals; A % 3 == 2: always right. */
export function defaultAnswer(text: string, ordinal: number): string {
    const [a, b] = sumOf(text);
    const right = a % 3 === 2 || (a % 3 === 1 && ordinal % 2 === 0);
    return `<think>Add ${a} and ${b}.</think>\nThe answer is \\boxed{${right ? a + b : a + b + 1}}.`;
}

/** Kept traces expected for prompt A with n (even) samples. */
export function expectedKept(a: number, n: number): number {
    return a % 3 === 0 ? 0 : a % 3 === 1 ? n / 2 : n;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
    const answer = options.answer ?? defaultAnswer;
    const maxRequests = options.maxRequests ?? 1000;
    const ordinals = new Map<string, number>();
    const state = { requests: 0, inFlight: 0, maxInFlight: 0, authorizations: [] as (string | undefined)[] };

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const index = state.requests++;
        state.inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        state.authorizations.push(req.headers.authorization);
        try {
            const chunks: Buffer[] = [];
            for await (const chunk of req) chunks.push(chunk as Buffer);
            if (index >= maxRequests) return send(res, { status: 400, body: '{"error":"request limit of the fake server reached"}' });
            if (req.method !== "POST" || req.url !== "/v1/chat/completions") return send(res, { status: 404, body: '{"error":"not found"}' });
            const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
            const override = options.reply?.(index, body, req.headers);
            if (override) {
                if (override.delayMs) await delay(override.delayMs, res);
                return send(res, override);
            }
            if (options.delayMs) await delay(options.delayMs, res);
            const messages = body.messages as { role: string; content: string }[];
            const user = messages.filter((m) => m.role === "user").map((m) => m.content).join("\n");
            const n = typeof body.n === "number" ? body.n : 1;
            const choices = Array.from({ length: n }, (_, i) => {
                const ordinal = ordinals.get(user) ?? 0;
                ordinals.set(user, ordinal + 1);
                const text = answer(user, ordinal);
                const think = /^<think>([\s\S]*?)<\/think>\n?([\s\S]*)$/.exec(text);
                const message = options.splitReasoning && think ? { role: "assistant", content: think[2], reasoning_content: think[1] } : { role: "assistant", content: text };
                return { index: i, message, finish_reason: "stop" };
            });
            send(res, { body: JSON.stringify({ id: `cmpl-${index}`, object: "chat.completion", model: body.model, choices }) });
        } finally {
            state.inFlight--;
        }
    };

    const server = createServer((req, res) => {
        handle(req, res).catch((error: unknown) => send(res, { status: 500, body: JSON.stringify({ error: String(error) }) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/v1`,
        get requests() {
            return state.requests;
        },
        get inFlight() {
            return state.inFlight;
        },
        get maxInFlight() {
            return state.maxInFlight;
        },
        authorizations: state.authorizations,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

function send(res: ServerResponse, reply: FakeReply): void {
    if (res.destroyed || res.headersSent) return;
    res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
    res.end(reply.body ?? "{}");
}

/** Waits, or less when the client goes away. */
function delay(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        res.once("close", () => {
            clearTimeout(timer);
            resolve();
        });
    });
}
