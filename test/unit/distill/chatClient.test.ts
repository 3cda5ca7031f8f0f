import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ChatClient, ChatRequestError, parseRetryAfter, type RetryInfo } from "../../../src/distill/chatClient.js";
import { startFakeServer, type FakeServer } from "./fakeOpenAiServer.js";

const servers: FakeServer[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(options: Parameters<typeof startFakeServer>[0] = {}): Promise<FakeServer> {
    const s = await startFakeServer(options);
    servers.push(s);
    return s;
}
const ask = [{ role: "user", content: "Compute 2 + 3." }] as const;
const fast = { backoffMs: 1, maxBackoffMs: 5 };

describe("ChatClient", () => {
    it("returns the choices of a completion, with n", async () => {
        const s = await server();
        const client = new ChatClient({ baseUrl: s.url, model: "teacher" });
        const [choice] = await client.complete({ messages: ask });
        expect(choice).toEqual({ content: expect.stringContaining("\\boxed{5}"), reasoning: null, finishReason: "stop" });
        expect((await client.complete({ messages: ask, n: 3 })).length).toBe(3);
    });

    it("retries 500 and 429 with backoff, honouring Retry-After", async () => {
        const s = await server({
            reply: (i) => (i === 0 ? { status: 500, body: "boom" } : i === 1 ? { status: 429, headers: { "retry-after": "0" }, body: "slow down" } : null),
        });
        const retries: RetryInfo[] = [];
        const client = new ChatClient({ baseUrl: `${s.url}/`, model: "m", ...fast, onRetry: (r) => retries.push(r) });
        const choices = await client.complete({ messages: ask });
        expect(choices.length).toBe(1);
        expect(s.requests).toBe(3);
        expect(client.retries).toBe(2);
        expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
        expect(retries[0]!.reason).toContain("HTTP 500 boom");
        expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(0.5);
        expect(retries[0]!.delayMs).toBeLessThan(1);
        expect(retries[1]!.delayMs).toBe(0);
    });

    it("gives up after maxRetries, and does not retry a 400", async () => {
        const s = await server({ reply: (_, body) => (String(JSON.stringify(body)).includes("2 + 3") ? { status: 503, body: "down" } : { status: 400, body: '{"error":"too long"}' }) });
        const client = new ChatClient({ baseUrl: s.url, model: "m", maxRetries: 2, ...fast });
        const error = await client.complete({ messages: ask }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ChatRequestError);
        expect((error as ChatRequestError).status).toBe(503);
        expect((error as Error).message).toMatch(/HTTP 503 down \(after 3 attempts\)/);
        expect(s.requests).toBe(3);
        const bad = await client.complete({ messages: [{ role: "user", content: "other" }] }).catch((e: unknown) => e);
        expect((bad as ChatRequestError).retryable).toBe(false);
        expect(s.requests).toBe(4);
    });

    it("times out a slow attempt and retries it", async () => {
        const s = await server({ reply: (i) => (i === 0 ? { delayMs: 2000, body: "{}" } : null) });
        const retries: RetryInfo[] = [];
        const started = Date.now();
        const withRetry = new ChatClient({ baseUrl: s.url, model: "m", timeoutMs: 100, ...fast, onRetry: (r) => retries.push(r) });
        await withRetry.complete({ messages: ask });
        expect(Date.now() - started).toBeLessThan(1500);
        expect(retries.length).toBe(1);
        expect(retries[0]!.reason).toContain("timed out after 100 ms");
    });

    it("retries network errors, then reports them", async () => {
        const port = await new Promise<number>((resolve) => {
            const probe = createServer().listen(0, "127.0.0.1", () => {
                const p = (probe.address() as { port: number }).port;
                probe.close(() => resolve(p));
            });
        });
        const client = new ChatClient({ baseUrl: `http://127.0.0.1:${port}/v1`, model: "m", maxRetries: 1, ...fast });
        await expect(client.complete({ messages: ask })).rejects.toThrow(/network error \(ECONNREFUSED\) \(after 2 attempts\)/);
        expect(client.retries).toBe(1);
    });

    it("treats a malformed 200 reply as retryable", async () => {
        const s = await server({ reply: (i) => (i === 0 ? { body: "not json" } : i === 1 ? { body: '{"choices":[]}' } : null) });
        const client = new ChatClient({ baseUrl: s.url, model: "m", ...fast });
        await client.complete({ messages: ask });
        expect(client.retries).toBe(2);
    });

    it("joins a separate reasoning field and sends the key from the named variable", async () => {
        const s = await server({ splitReasoning: true });
        process.env.R1_TEST_TEACHER_KEY = "sk-test-123";
        try {
            const client = new ChatClient({ baseUrl: s.url, model: "m", apiKeyEnv: "R1_TEST_TEACHER_KEY" });
            const [choice] = await client.complete({ messages: ask });
            expect(choice!.reasoning).toBe("Add 2 and 3.");
            expect(choice!.content).toBe("The answer is \\boxed{5}.");
            const anonymous = new ChatClient({ baseUrl: s.url, model: "m", apiKeyEnv: "R1_TEST_NO_SUCH_KEY" });
            await anonymous.complete({ messages: ask });
            expect(s.authorizations).toEqual(["Bearer sk-test-123", undefined]);
        } finally {
            delete process.env.R1_TEST_TEACHER_KEY;
        }
    });

    it("stops at once when the signal aborts, even while backing off", async () => {
        const s = await server({ reply: () => ({ status: 500, body: "x" }) });
        const client = new ChatClient({ baseUrl: s.url, model: "m", backoffMs: 10_000, maxBackoffMs: 10_000 });
        const controller = new AbortController();
        const started = Date.now();
        const pending = client.complete({ messages: ask }, controller.signal);
        setTimeout(() => controller.abort(new Error("stop now")), 100);
        await expect(pending).rejects.toThrow("stop now");
        expect(Date.now() - started).toBeLessThan(2000);
    });

    it("validates its options", () => {
        expect(() => new ChatClient({ baseUrl: "127.0.0.1:8000", model: "m" })).toThrow("baseUrl must be an http(s) URL");
        expect(() => new ChatClient({ baseUrl: "http://x", model: "" })).toThrow("model must be a non-empty string");
        expect(() => new ChatClient({ baseUrl: "http://x", model: "m", maxRetries: -1 })).toThrow("maxRetries must be a non-negative integer");
        expect(() => new ChatClient({ baseUrl: "http://x", model: "m", timeoutMs: 0 })).toThrow("timeoutMs must be a positive number");
    });
});

describe("parseRetryAfter", () => {
    it("reads seconds and HTTP dates", () => {
        expect(parseRetryAfter("2")).toBe(2000);
        expect(parseRetryAfter(null)).toBeNull();
        expect(parseRetryAfter("soon")).toBeNull();
        expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    });
});
