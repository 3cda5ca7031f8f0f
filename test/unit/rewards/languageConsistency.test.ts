import { describe, expect, it } from "vitest";
import { countWordsByScript, languageConsistencyReward, thinkingText } from "../../../src/rewards/languageConsistency.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(text: string): Completion {
    return { text, ids: [], finishReason: "stop", prompt: "" };
}

describe("countWordsByScript", () => {
    it("counts Latin words as letter runs and each Han character as a word", () => {
        expect(countWordsByScript("We add the numbers")).toEqual({ byScript: { latin: 4 }, total: 4 });
        expect(countWordsByScript("我们计算")).toEqual({ byScript: { han: 4 }, total: 4 });
        expect(countWordsByScript("We 先 add 再 carry")).toEqual({ byScript: { latin: 3, han: 2 }, total: 5 });
    });

    it("splits a run where the script changes", () => {
        expect(countWordsByScript("value值")).toEqual({ byScript: { latin: 1, han: 1 }, total: 2 });
        expect(countWordsByScript("слово word")).toEqual({ byScript: { cyrillic: 1, latin: 1 }, total: 2 });
    });

    it("keeps accented and combining letters in their word", () => {
        expect(countWordsByScript("café naïve")).toEqual({ byScript: { latin: 2 }, total: 2 });
        expect(countWordsByScript("cafe\u0301 ok")).toEqual({ byScript: { latin: 2 }, total: 2 });
    });

    it("ignores digits, symbols, math, LaTeX commands, code and tags", () => {
        expect(countWordsByScript("2 + 2 = 4, 3.14 × 7 !")).toEqual({ byScript: {}, total: 0 });
        expect(countWordsByScript("所以 $\\frac{a}{b} = sin x$ 对")).toEqual({ byScript: { han: 3 }, total: 3 });
        expect(countWordsByScript("所以 \\(xy + yz\\) 和 \\[abc\\] 和 $$def$$")).toEqual({ byScript: { han: 4 }, total: 4 });
        expect(countWordsByScript("\\alpha \\beta 是")).toEqual({ byScript: { han: 1 }, total: 1 });
        expect(countWordsByScript("看 `print(foo)` 和\n```python\ndef main(): return bar\n```\n好")).toEqual({ byScript: { han: 3 }, total: 3 });
        expect(countWordsByScript("<answer>好</answer>")).toEqual({ byScript: { han: 1 }, total: 1 });
    });

    it("drops single Latin letters (variables) unless told not to", () => {
        expect(countWordsByScript("令 x 为 y")).toEqual({ byScript: { han: 2 }, total: 2 });
        expect(countWordsByScript("令 x 为 y", false)).toEqual({ byScript: { han: 2, latin: 2 }, total: 4 });
    });

    it("sorts kana, Hangul and other scripts", () => {
        expect(countWordsByScript("ひらがな カタカナ")).toEqual({ byScript: { hiragana: 4, katakana: 4 }, total: 8 });
        expect(countWordsByScript("안녕 세계")).toEqual({ byScript: { hangul: 2 }, total: 2 });
        expect(countWordsByScript("γεια שלום مرحبا नमस्ते")).toEqual({ byScript: { greek: 1, hebrew: 1, arabic: 1, devanagari: 1 }, total: 4 });
        expect(countWordsByScript("ሰላም")).toEqual({ byScript: { other: 1 }, total: 1 });
    });
});

describe("thinkingText", () => {
    it("takes every think block, the text before a lone </think>, or everything", () => {
        expect(thinkingText("<think>a b</think>answer")).toBe("a b");
        expect(thinkingText("<think>a</think>x<think>b</think>y")).toBe("a\nb");
        expect(thinkingText("<think>a<think>b</think>c")).toBe("a\nb");
        expect(thinkingText("<think>unclosed")).toBe("unclosed");
        expect(thinkingText("reasoning</think>answer")).toBe("reasoning");
        expect(thinkingText("no tags at all")).toBe("no tags at all");
        expect(thinkingText("reasoning</think>answer", true)).toBe("reasoning");
        expect(thinkingText("", true)).toBe("");
    });
});

describe("languageConsistencyReward", () => {
    it("scores the target-language share of the thinking only", () => {
        const en = languageConsistencyReward();
        expect(en(completion("<think>We add the two numbers.</think><answer>四</answer>"), {})).toBe(1);
        expect(en(completion("<think>We 先 add 再 carry</think><answer>ok</answer>"), {})).toBeCloseTo(3 / 5, 15);
        expect(en(completion("<think>我们先加</think>The answer is four"), {})).toBe(0);
    });

    it("targets Chinese", () => {
        const zh = languageConsistencyReward({ language: "zh" });
        expect(zh(completion("<think>我们先把 two 个数相加</think>"), {})).toBeCloseTo(8 / 9, 15); // 8 Han characters, 1 English word
        expect(zh(completion("<think>设 $x = 2$，则 x 加 3 得 5</think>"), {})).toBe(1);
    });

    it("targets Japanese with Han and kana", () => {
        const ja = languageConsistencyReward({ language: "ja" });
        expect(ja(completion("<think>これは数です okay</think>"), {})).toBeCloseTo(6 / 7, 15);
    });

    it("reads the whole completion when there are no tags, or when asked", () => {
        const en = languageConsistencyReward();
        expect(en(completion("plain english 中文"), {})).toBeCloseTo(2 / 4, 15);
        const whole = languageConsistencyReward({ region: "completion" });
        expect(whole(completion("<think>think</think>答案"), {})).toBeCloseTo(1 / 3, 15);
    });

    it("with prefilledThink stops at </think>", () => {
        const en = languageConsistencyReward({ prefilledThink: true });
        expect(en(completion("we add</think>答案是四"), {})).toBe(1);
    });

    it("abstains (null) when the thinking has no words, or returns noWords", () => {
        const en = languageConsistencyReward();
        expect(en(completion("<think></think><answer>4</answer>"), {})).toBeNull();
        expect(en(completion("<think>$x^2 = 4$ 2+2=4</think>"), {})).toBeNull();
        expect(en(completion(""), {})).toBeNull();
        const zero = languageConsistencyReward({ noWords: 0 });
        expect(zero(completion("<think>1+1</think>"), {})).toBe(0);
    });

    it("rejects unknown languages and options", () => {
        expect(() => languageConsistencyReward({ language: "xx" })).toThrow(/options.language must be one of en, zh/);
        expect(() => languageConsistencyReward({ region: "answer" as never })).toThrow(/options.region/);
        expect(() => languageConsistencyReward({ lang: "en" } as never)).toThrow(/unknown option "lang"/);
        expect(() => languageConsistencyReward({ noWords: Number.NaN })).toThrow(/noWords must be a finite number/);
    });
});
