/**
 * SFT masks and truncation against hand-computed spans, with a character tokenizer (every
 * character one id, each special token one id) so positions can be counted by hand.
 */
import { describe, expect, it } from "vitest";
import { CHATML_TEMPLATE, buildCharTokenizer } from "../../../src/model/charTokenizer.js";
import { HfTokenizer } from "../../../src/model/tokenizer.js";
import { defaultSftConfig, type SftDataConfig } from "../../../src/train/sft/config.js";
import { splitHeldOut } from "../../../src/train/sft/data.js";
import { assistantSpans, maskMessages, maskPromptCompletion, maskRow, tokeniseRows, truncateExample } from "../../../src/train/sft/tokenise.js";

const CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 +=\n";
const tokenizer = HfTokenizer.fromObjects(buildCharTokenizer(CHARS, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], { chatTemplate: CHATML_TEMPLATE }));
const EOS = tokenizer.tokenToId("<|im_end|>")!;

function dataConfig(over: Partial<SftDataConfig> = {}): SftDataConfig {
    return { ...defaultSftConfig().data, path: "x.jsonl", ...over };
}

function ones(mask: readonly number[]): number[] {
    return mask.flatMap((m, i) => (m === 1 ? [i] : []));
}

describe("prompt-completion masks", () => {
    it("masks the completion and the appended EOS, never the prompt", () => {
        const { ids, mask } = maskPromptCompletion(tokenizer, "1+1=", "2", true);
        expect(ids).toEqual([...tokenizer.encode("1+1=2"), EOS]);
        expect(mask).toEqual([0, 0, 0, 0, 1, 1]);
    });

    it("appends nothing with appendEos false; an empty completion then has no loss token", () => {
        expect(maskPromptCompletion(tokenizer, "ab", "cd", false).mask).toEqual([0, 0, 1, 1]);
        expect(maskPromptCompletion(tokenizer, "ab", "", false).mask).toEqual([0, 0]);
    });

    it("r1-zero wraps the prompt in the template; the completion mask is unchanged", () => {
        const chars = `${CHARS}ABCDEFGHIJKLMNOPQRSTUVWXYZ.,:<>/'`;
        const t = HfTokenizer.fromObjects(buildCharTokenizer(chars, ["<|endoftext|>"]));
        const { ids, mask } = maskRow(t, { row: { prompt: "1+1", completion: "2" }, where: "r" }, dataConfig({ promptTemplate: "r1-zero" }));
        expect(t.decode(ids.slice(0, ids.length - 2))).toContain("User: 1+1. Assistant:");
        expect(ones(mask)).toEqual([ids.length - 2, ids.length - 1]);
    });
});

describe("chat masks (prefix rendering)", () => {
    // <|im_start|>user\nhi<|im_end|>\n            positions 0..9
    // <|im_start|>assistant\nab<|im_end|>\n       header 10..20, "ab" 21..22, <|im_end|> 23, "\n" 24
    // <|im_start|>user\nc<|im_end|>\n             25..33
    // <|im_start|>assistant\nde<|im_end|>\n       header 34..44, "de" 45..46, <|im_end|> 47, "\n" 48
    const messages = [
        { role: "user", content: "hi" },
        { role: "assistant", content: "ab" },
        { role: "user", content: "c" },
        { role: "assistant", content: "de" },
    ];

    it("finds every assistant turn: content and its <|im_end|>, not the newline after it", () => {
        const { ids, spans } = assistantSpans(tokenizer, messages);
        expect(ids.length).toBe(49);
        expect(spans).toEqual([[21, 24], [45, 48]]);
        const { mask } = maskMessages(tokenizer, messages);
        expect(ones(mask)).toEqual([21, 22, 23, 45, 46, 47]);
        expect(tokenizer.decode(ids.filter((_, n) => mask[n] === 1))).toBe("ab<|im_end|>de<|im_end|>");
    });

    it("a system turn shifts the spans by its length", () => {
        const { spans } = assistantSpans(tokenizer, [{ role: "system", content: "s" }, ...messages]);
        const system = "<|im_start|>system\ns<|im_end|>\n".replace(/<\|im_(start|end)\|>/g, "#").length;
        expect(spans).toEqual([[21 + system, 24 + system], [45 + system, 48 + system]]);
    });

    it("prompt-completion with the chat template is a user turn and an assistant turn", () => {
        const { ids, mask } = maskRow(tokenizer, { row: { prompt: "hi", completion: "ab" }, where: "r" }, dataConfig({ promptTemplate: "chat" }));
        expect(ids.length).toBe(25);
        expect(ones(mask)).toEqual([21, 22, 23]);
    });

    it("rejects a template that renders prefixes inconsistently, naming the row", () => {
        const counting = "{{ messages|length }}" + CHATML_TEMPLATE;
        const t = HfTokenizer.fromObjects(buildCharTokenizer(CHARS, ["<|im_start|>", "<|im_end|>"], { chatTemplate: counting }));
        expect(() => assistantSpans(t, messages, "data.jsonl:7")).toThrow(/data\.jsonl:7: the chat template renders messages\[0\.\./);
    });

    it("messages rows are checked, with the line and column in the error", () => {
        const data = dataConfig({ format: "messages" });
        expect(() => maskRow(tokenizer, { row: { messages: "hi" }, where: "f:3" }, data)).toThrow(/f:3: column "messages" must be a non-empty list/);
        expect(() => maskRow(tokenizer, { row: { messages: [{ role: "user", content: "x" }] }, where: "f:4" }, data)).toThrow(/f:4: messages has no assistant/);
        expect(() => maskRow(tokenizer, { row: { messages: [{ role: "user" }] }, where: "f:5" }, data)).toThrow(/f:5: messages\[0\] must be/);
        expect(() => maskRow(tokenizer, { row: { question: "x" }, where: "f:6" }, dataConfig())).toThrow(/f:6: column "prompt" must be a string/);
    });
});

describe("truncation rule", () => {
    // prompt "abcd" (4 tokens), completion "efghi" + EOS (6 tokens)
    const example = maskPromptCompletion(tokenizer, "abcd", "efghi", true);

    it("keeps the start and cuts the completion's end", () => {
        const r = truncateExample(example, 7);
        expect(r.kind).toBe("kept");
        if (r.kind !== "kept") return;
        expect(r.truncated).toBe(true);
        expect(r.ids).toEqual(tokenizer.encode("abcdefg"));
        expect(r.mask).toEqual([0, 0, 0, 0, 1, 1, 1]);
    });

    it("keeps a row that fits untouched, and one completion token at the limit", () => {
        expect(truncateExample(example, 10)).toMatchObject({ kind: "kept", truncated: false });
        const r = truncateExample(example, 5);
        expect(r).toMatchObject({ kind: "kept", truncated: true, mask: [0, 0, 0, 0, 1] });
    });

    it("drops a row whose prompt fills maxLength", () => {
        expect(truncateExample(example, 4).kind).toBe("promptTooLong");
        expect(truncateExample(example, 2).kind).toBe("promptTooLong");
    });

    it("applies to chats through the first assistant token", () => {
        const chat = maskMessages(tokenizer, [{ role: "user", content: "hi" }, { role: "assistant", content: "ab" }]);
        expect(truncateExample(chat, 21).kind).toBe("promptTooLong");
        expect(truncateExample(chat, 23)).toMatchObject({ kind: "kept", truncated: true });
    });

    it("tokeniseRows counts kept, truncated and dropped rows", () => {
        const rows = [
            { row: { prompt: "abcd", completion: "efghi" }, where: "f:1" }, // 10 tokens: truncated at 8
            { row: { prompt: "ab", completion: "c" }, where: "f:2" }, // 4 tokens: kept
            { row: { prompt: "abcdefghij", completion: "k" }, where: "f:3" }, // prompt 10 > 8: dropped
        ];
        const { examples, summary } = tokeniseRows(tokenizer, rows, dataConfig({ maxLength: 8 }));
        expect(summary).toEqual({ rows: 3, kept: 2, truncated: 1, droppedPromptTooLong: 1, droppedEmpty: 0, lossTokens: 4 + 2, tokens: 8 + 4 });
        expect(examples.map((e) => e.source)).toEqual(["f:1", "f:2"]);
        expect(Array.from(examples[1]!.mask)).toEqual([0, 0, 1, 1]);
        const empty = tokeniseRows(tokenizer, [{ row: { prompt: "ab", completion: "" }, where: "f:9" }], dataConfig({ appendEos: false }));
        expect(empty.summary.droppedEmpty).toBe(1);
    });
});

describe("held-out split", () => {
    it("is seeded, disjoint, covers every row and keeps file order", () => {
        const rows = Array.from({ length: 20 }, (_, i) => i);
        const a = splitHeldOut(rows, 0.2, 7);
        expect(a.heldOut.length).toBe(4);
        expect([...a.train, ...a.heldOut].sort((x, y) => x - y)).toEqual(rows);
        expect(a.train).toEqual([...a.train].sort((x, y) => x - y));
        expect(splitHeldOut(rows, 0.2, 7)).toEqual(a);
        expect(splitHeldOut(rows, 0.2, 8).heldOut).not.toEqual(a.heldOut);
        expect(splitHeldOut(rows, 0, 7).heldOut).toEqual([]);
    });
});
