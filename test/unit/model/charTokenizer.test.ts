import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHATML_TEMPLATE } from "../../../src/model/charTokenizer.js";
import { HfTokenizer, buildCharTokenizer, writeTokenizerFiles } from "../../../src/model/tokenizer.js";

const CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 +-*/=.,?!\n";
const SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<answer>", "</answer>"];

let work: string;
beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "r1-chartok-"));
});
afterAll(async () => {
    await rm(work, { recursive: true, force: true });
});

describe("buildCharTokenizer", () => {
    it("gives each character one id, in order, then unk, then the special tokens", () => {
        const files = buildCharTokenizer(CHARS, SPECIALS);
        const t = HfTokenizer.fromObjects({ ...files, source: "char" });
        expect(t.vocabSize).toBe(CHARS.length + 1 + SPECIALS.length);
        expect(t.encode("abc")).toEqual([0, 1, 2]);
        expect(t.tokenToId("\n")).toBe(CHARS.indexOf("\n"));
        expect(t.tokenToId("<unk>")).toBe(CHARS.length);
        SPECIALS.forEach((s, i) => expect(t.tokenToId(s)).toBe(CHARS.length + 1 + i));
        expect(t.eosToken).toBe("<|im_end|>");
        expect(t.padToken).toBe("<|endoftext|>");
        expect(t.bosTokenId).toBeNull();
    });

    it("round-trips text with special tokens, spaces and newlines", () => {
        const t = HfTokenizer.fromObjects(buildCharTokenizer(CHARS, SPECIALS));
        const text = "<|im_start|>user\nwhat is 12 + 30?<|im_end|>\n<|im_start|>assistant\n<think>\n12 + 30 = 42\n</think>\n<answer>42</answer><|im_end|>";
        const ids = t.encode(text);
        // Every character and every special token is one id.
        const expectedLength = text.replace(/<\|im_start\|>|<\|im_end\|>|<think>|<\/think>|<answer>|<\/answer>/g, "#").length;
        expect(ids.length).toBe(expectedLength);
        expect(ids[0]).toBe(t.tokenToId("<|im_start|>"));
        expect(t.decode(ids)).toBe(text);
        // Spaces before punctuation survive decoding (no clean-up of tokenization spaces).
        expect(t.decode(t.encode("a , b . c ?"))).toBe("a , b . c ?");
        expect(t.decode(ids, { skipSpecialTokens: true })).toBe("user\nwhat is 12 + 30?\nassistant\n\n12 + 30 = 42\n\n42");
    });

    it("maps characters outside the set to unk", () => {
        const t = HfTokenizer.fromObjects(buildCharTokenizer(CHARS, SPECIALS));
        expect(t.encode("aÉb")).toEqual([0, CHARS.length, 1]);
        expect(t.decode(t.encode("aÉb"))).toBe("a<unk>b");
    });

    it("byte fallback encodes unknown characters as UTF-8 bytes and decodes them back", () => {
        const t = HfTokenizer.fromObjects(buildCharTokenizer("abc", ["<|endoftext|>"], { unkToken: null, byteFallback: true }));
        expect(t.vocabSize).toBe(3 + 256 + 1);
        expect(t.encode("aé")).toEqual([0, 3 + 0xc3, 3 + 0xa9]); // é = C3 A9
        for (const text of ["aé", "b😀c", "日本語"]) expect(t.decode(t.encode(text))).toBe(text);
        expect(t.eosToken).toBe("<|endoftext|>");
    });

    it("writes valid HF files that load back from a folder, with a chat template", async () => {
        const dir = join(work, "tok");
        const files = buildCharTokenizer(CHARS, SPECIALS, { chatTemplate: CHATML_TEMPLATE, modelMaxLength: 512 });
        await writeTokenizerFiles(dir, files);
        const json = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
        expect(json.model).toMatchObject({ type: "BPE", merges: [], unk_token: "<unk>", byte_fallback: false });
        expect(json.decoder).toEqual({ type: "Fuse" });
        expect(json.added_tokens[1]).toEqual({ id: CHARS.length + 1, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
        const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
        expect(config).toMatchObject({
            tokenizer_class: "PreTrainedTokenizerFast",
            eos_token: "<|im_end|>",
            pad_token: "<|endoftext|>",
            unk_token: "<unk>",
            clean_up_tokenization_spaces: false,
            model_max_length: 512,
            additional_special_tokens: ["<|im_start|>", "<think>", "</think>", "<answer>", "</answer>"],
        });
        expect(config.added_tokens_decoder[String(CHARS.length)]).toMatchObject({ content: "<unk>", special: true });
        const t = await HfTokenizer.fromFolder(dir);
        expect(t.applyChatTemplate([{ role: "user", content: "1+1?" }], { addGenerationPrompt: true })).toBe("<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n");
        expect(t.decode(t.encodeChat([{ role: "user", content: "hi" }]))).toBe("<|im_start|>user\nhi<|im_end|>\n");
    });

    it("refuses ambiguous inputs", () => {
        expect(() => buildCharTokenizer("ab", ["<x>", "<x>"])).toThrow(/given twice/);
        expect(() => buildCharTokenizer(["a", "bc"], [])).toThrow(/single characters, got "bc"/);
        expect(() => buildCharTokenizer("", [])).toThrow(/chars is empty/);
        expect(() => buildCharTokenizer("ab", ["a"])).toThrow(/also a character/);
        expect(() => buildCharTokenizer("ab", [], { unkToken: null })).toThrow(/give unkToken or byteFallback/);
        expect(() => buildCharTokenizer("ab", ["<s>"], { eosToken: "</s>" })).toThrow(/eosToken "<\/s>" must be one of the special tokens/);
        // Repeated characters are one token.
        expect(HfTokenizer.fromObjects(buildCharTokenizer("aab", [])).vocabSize).toBe(3);
    });
});
