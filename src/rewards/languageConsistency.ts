/**
 * Language consistency reward (DeepSeek-R1, §2.3.3): the share of the words of the chain of
 * thought that are in the target language, to stop reasoning that drifts between languages.
 *
 * The detector is script-based, with no model and no word lists: a word is a run of letters
 * (Unicode \p{L}, with combining marks) of one script, and a script stands for a language —
 * Latin for English, Han for Chinese, Hangul for Korean, and so on. Han, Hiragana and Katakana
 * have no spaces, so each of their characters counts as one word. Consequences to know:
 *
 * - Languages that share a script cannot be told apart: French thinking scores 1 for "en".
 * - Kanji are Han, so Japanese thinking scores partly for "zh"; "ja" accepts Han and kana.
 * - Math and code are ignored: fenced and inline code, $…$ / $$…$$ / \(…\) / \[…\] math, LaTeX
 *   commands (\frac, \alpha), XML-like tags, and by default single Latin letters (variables such
 *   as "x" outside math delimiters). Digits and symbols are not letters, so they never count.
 *
 * Region: the text inside <think>…</think> (every think block; an unclosed one runs to the end);
 * the whole completion when it has no think tag (see thinkingText). A region without any word
 * scores `noWords`, null by default: there is no language to be consistent in, so the reward abstains.
 */
import { booleanOption, checkOptions, completionText, describe, finiteOption, type RewardFn } from "./types.js";

/** Scripts a word can be in; "other" is any letter of a script not listed. */
export type Script = "latin" | "han" | "hiragana" | "katakana" | "hangul" | "cyrillic" | "greek" | "arabic" | "hebrew" | "devanagari" | "thai" | "other";

/** The languages the detector knows, and the scripts whose words count as that language. */
export const languageScripts: Readonly<Record<string, readonly Script[]>> = {
    en: ["latin"],
    zh: ["han"],
    ja: ["han", "hiragana", "katakana"],
    ko: ["hangul"],
    ru: ["cyrillic"],
    el: ["greek"],
    ar: ["arabic"],
    he: ["hebrew"],
    hi: ["devanagari"],
    th: ["thai"],
};

export interface LanguageConsistencyRewardOptions {
    /** Target language, a key of `languageScripts` ("en", "zh", "ja", "ko", ...). Default "en". */
    language?: string;
    /** "think": the thinking as described above. "completion": the whole completion. Default "think". */
    region?: "think" | "completion";
    /** The completion starts after an already-emitted "<think>". Default false. */
    prefilledThink?: boolean;
    /** Skip one-letter Latin words (math variables). Default true. */
    ignoreSingleLetters?: boolean;
    /** The reward when the region has no word at all. Default null (abstain). */
    noWords?: number | null;
}

const scriptTests: readonly [Script, RegExp][] = [
    ["latin", /\p{Script=Latin}/u],
    ["han", /\p{Script=Han}/u],
    ["hiragana", /\p{Script=Hiragana}/u],
    ["katakana", /\p{Script=Katakana}/u],
    ["hangul", /\p{Script=Hangul}/u],
    ["cyrillic", /\p{Script=Cyrillic}/u],
    ["greek", /\p{Script=Greek}/u],
    ["arabic", /\p{Script=Arabic}/u],
    ["hebrew", /\p{Script=Hebrew}/u],
    ["devanagari", /\p{Script=Devanagari}/u],
    ["thai", /\p{Script=Thai}/u],
];

const perCharacter: ReadonlySet<Script> = new Set(["han", "hiragana", "katakana"]);

function scriptOf(ch: string): Script {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) return "latin"; // ASCII letters: the common case, no regex
    for (const [script, test] of scriptTests) if (test.test(ch)) return script;
    return "other";
}

// Stripped before counting, in this order (code first: it may contain $ and backslashes).
const nonProse: readonly RegExp[] = [
    /```[\s\S]*?(?:```|$)/g, // fenced code (an unclosed fence runs to the end)
    /`[^`\n]*`/g, // inline code
    /\$\$[\s\S]*?\$\$/g, // display math
    /\\\[[\s\S]*?\\\]/g,
    /\\\([\s\S]*?\\\)/g,
    /\$[^$\n]*\$/g, // inline math
    /\\[A-Za-z]+/g, // leftover LaTeX commands
    /<\/?[A-Za-z][\w-]*>/g, // tags such as <answer>
];

const letterRun = /[\p{L}\p{M}]+/gu;
const mark = /\p{M}/u;

export interface WordCounts {
    /** Words per script. */
    byScript: Partial<Record<Script, number>>;
    total: number;
}

/** Count the words of `text` per script, skipping math and code as described above. */
export function countWordsByScript(text: string, ignoreSingleLetters = true): WordCounts {
    let prose = text;
    for (const pattern of nonProse) prose = prose.replace(pattern, " ");
    const byScript: Partial<Record<Script, number>> = {};
    let total = 0;
    const add = (script: Script, letters: number): void => {
        if (script === "latin" && letters === 1 && ignoreSingleLetters) return;
        byScript[script] = (byScript[script] ?? 0) + 1;
        total++;
    };
    for (const match of prose.matchAll(letterRun)) {
        let current: Script | null = null;
        let letters = 0;
        for (const ch of match[0]) {
            if (ch.charCodeAt(0) >= 0x300 && mark.test(ch)) continue; // a combining mark belongs to the letter before it
            const script = scriptOf(ch);
            if (perCharacter.has(script)) {
                if (current !== null) add(current, letters);
                add(script, 1);
                current = null;
                letters = 0;
            } else if (script === current) {
                letters++;
            } else {
                if (current !== null) add(current, letters);
                current = script;
                letters = 1;
            }
        }
        if (current !== null) add(current, letters);
    }
    return { byScript, total };
}

/**
 * The thinking of a completion: the text of every <think> block (a block ends at "</think>", at
 * the next "<think>", or at the end of the text); the text before "</think>" when the opening tag
 * is missing; the whole text when there is no tag at all.
 */
export function thinkingText(text: string, prefilledThink = false): string {
    const full = prefilledThink ? `<think>${text}` : text;
    let at = full.indexOf("<think>");
    if (at < 0) {
        const close = full.indexOf("</think>");
        return close < 0 ? full : full.slice(0, close);
    }
    const parts: string[] = [];
    while (at >= 0) {
        const start = at + "<think>".length;
        const close = full.indexOf("</think>", start);
        const next = full.indexOf("<think>", start);
        if (next >= 0 && (close < 0 || next < close)) {
            parts.push(full.slice(start, next));
            at = next;
        } else if (close < 0) {
            parts.push(full.slice(start));
            at = -1;
        } else {
            parts.push(full.slice(start, close));
            at = full.indexOf("<think>", close + "</think>".length);
        }
    }
    return parts.join("\n");
}

/**
 * @example
 * const consistent = languageConsistencyReward({ language: "en" });
 * consistent({ text: "<think>We add the two numbers.</think><answer>4</answer>", ... }, {}); // 1
 * consistent({ text: "<think>We 先 add 再 carry</think>", ... }, {});                        // 3/5 ("We", "add", "carry" of 5 words)
 * consistent({ text: "<think>$x^2 = 4$</think>", ... }, {});                                  // null (no words)
 */
export function languageConsistencyReward(options?: LanguageConsistencyRewardOptions): RewardFn {
    checkOptions(options, "languageConsistencyReward", ["language", "region", "prefilledThink", "ignoreSingleLetters", "noWords"]);
    const language = options?.language ?? "en";
    const scripts = typeof language === "string" ? languageScripts[language] : undefined;
    if (scripts === undefined) {
        throw new TypeError(`languageConsistencyReward: options.language must be one of ${Object.keys(languageScripts).join(", ")}, got ${describe(language)}`);
    }
    const region = options?.region ?? "think";
    if (region !== "think" && region !== "completion") {
        throw new TypeError(`languageConsistencyReward: options.region must be "think" or "completion", got ${describe(region)}`);
    }
    const prefilled = booleanOption(options?.prefilledThink, "languageConsistencyReward: options.prefilledThink", false);
    const ignoreSingle = booleanOption(options?.ignoreSingleLetters, "languageConsistencyReward: options.ignoreSingleLetters", true);
    const noWords = options?.noWords === null || options?.noWords === undefined ? null : finiteOption(options.noWords, "languageConsistencyReward: options.noWords", 0);

    return (completion) => {
        const text = completionText(completion, "languageConsistencyReward");
        const counts = countWordsByScript(region === "think" ? thinkingText(text, prefilled) : text, ignoreSingle);
        if (counts.total === 0) return noWords;
        let inTarget = 0;
        for (const script of scripts) inTarget += counts.byScript[script] ?? 0;
        return inTarget / counts.total;
    };
}
