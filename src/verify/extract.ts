/**
 * Cut the final answer out of free-form model output (or out of a gold solution).
 *
 * Priority: the last <answer>…</answer> block (R1 format; extraction continues inside it), the
 * last \boxed{…} / \fbox{…} (adjacent boxes such as "\boxed{1} and \boxed{2}" are joined),
 * "Final Answer: …" / "the answer is …" / "#### …", a bare answer (the whole text when it is
 * short and looks like math), then the later of the last math segment ($…$, \(…\), \[…\])
 * and the last number.
 *
 * Every scan here is linear in the text length: braces are matched once with a stack, phrases
 * are found with lastIndexOf, and math segments are found in a single forward pass.
 */
import type { ExtractionSource } from "./types.js";

export interface Extraction {
    answer: string | null;
    source: ExtractionSource;
}

export type ExtractRole = "gold" | "pred";

const none: Extraction = { answer: null, source: "none" };

export function extractAnswer(text: string, role: ExtractRole = "pred"): Extraction {
    const tagged = lastAnswerTag(text);
    if (tagged !== null) {
        const inner = extractFromSegment(tagged, role);
        if (inner.answer !== null) {
            return { answer: inner.answer, source: inner.source === "boxed" ? "boxed" : "answer-tag" };
        }
    }
    return extractFromSegment(text, role);
}

function extractFromSegment(text: string, role: ExtractRole): Extraction {
    const boxed = lastBoxed(text);
    if (boxed !== null) return result(boxed, "boxed");
    const phrase = afterLastPhrase(text);
    if (phrase !== null) return result(phrase.answer, phrase.source);
    const trimmed = stripMathDelimiters(text.trim());
    if (trimmed.length > 0 && (role === "gold" ? trimmed.length <= 500 || isMathOnly(trimmed) : looksLikeBareAnswer(trimmed))) {
        return result(trimmed, "whole");
    }
    const math = lastMathSegment(text);
    const number = lastNumber(text);
    if (math !== null && (number === null || math.end >= number.end)) return result(math.content, "math");
    if (number !== null) return result(number.content, "last-number");
    return none;
}

function result(answer: string, source: ExtractionSource): Extraction {
    const cleaned = stripMathDelimiters(answer.trim());
    return cleaned.length === 0 ? none : { answer: cleaned, source };
}

// ---------------------------------------------------------------------------------------------
// <answer> tags

function lastAnswerTag(text: string): string | null {
    const lower = text.toLowerCase();
    const open = lower.lastIndexOf("<answer>");
    if (open < 0) return null;
    const close = lower.indexOf("</answer>", open);
    return text.slice(open + "<answer>".length, close < 0 ? text.length : close);
}

// ---------------------------------------------------------------------------------------------
// \boxed{…}

/** Matching closing brace for every unescaped "{" (−1 when unclosed), in one stack pass. */
function matchBraces(text: string): Map<number, number> {
    const match = new Map<number, number>();
    const stack: number[] = [];
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 92 /* \ */) {
            i++; // skip the escaped character: \{ and \} are literal braces
        } else if (c === 123 /* { */) {
            stack.push(i);
        } else if (c === 125 /* } */) {
            const open = stack.pop();
            if (open !== undefined) match.set(open, i);
        }
    }
    return match;
}

interface Span {
    start: number;
    end: number;
    content: string;
}

function boxedSpans(text: string): Span[] {
    const spans: Span[] = [];
    let braces: Map<number, number> | undefined;
    const pattern = /\\(?:boxed|fbox)\b/g;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        let i = m.index + m[0].length;
        while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
        if (text[i] === "{") {
            braces ??= matchBraces(text);
            const close = braces.get(i);
            if (close === undefined) continue; // truncated output: an unclosed box is no answer
            spans.push({ start: m.index, end: close + 1, content: text.slice(i + 1, close) });
            pattern.lastIndex = close + 1;
        } else {
            // "\boxed 5": the argument runs to the next space or dollar sign
            let j = i;
            while (j < text.length && !/[\s$]/.test(text[j]!)) j++;
            if (j > i) spans.push({ start: m.index, end: j, content: text.slice(i, j) });
        }
    }
    return spans;
}

const boxSeparator = /^[\s,;$.]*(?:(?:and|or|&)|\\text\{\s*(?:and|or|,)\s*\}|\\quad|\\qquad|,)?[\s,;$]*$/i;

function lastBoxed(text: string): string | null {
    if (!text.includes("\\boxed") && !text.includes("\\fbox")) return null;
    const spans = boxedSpans(text);
    const last = spans.at(-1);
    if (last === undefined) return null;
    const parts = [last.content];
    for (let k = spans.length - 2; k >= 0 && parts.length < 16; k--) {
        const gap = text.slice(spans[k]!.end, spans[k + 1]!.start);
        if (gap.length > 40 || !boxSeparator.test(gap)) break;
        parts.unshift(spans[k]!.content);
    }
    return parts.join(", ");
}

// ---------------------------------------------------------------------------------------------
// "Final Answer: …", "the answer is …", "#### …"

const phrases: { key: string; source: ExtractionSource }[] = [
    { key: "final answer", source: "final-answer" },
    { key: "####", source: "final-answer" },
    { key: "the answer is", source: "answer-phrase" },
    { key: "answer is", source: "answer-phrase" },
    { key: "answer:", source: "answer-phrase" },
];

function afterLastPhrase(text: string): { answer: string; source: ExtractionSource } | null {
    const lower = text.toLowerCase();
    let best: { at: number; end: number; source: ExtractionSource } | null = null;
    for (const { key, source } of phrases) {
        const at = lower.lastIndexOf(key);
        if (at >= 0 && (best === null || at > best.at)) best = { at, end: at + key.length, source };
    }
    if (best === null) return null;
    if (lower.slice(Math.max(0, best.at - 6), best.at) === "final ") best.source = "final-answer";
    let rest = text.slice(best.end, best.end + 2000);
    // "Final Answer: The final answer is $x$" and "final answer is" both lead to the answer.
    rest = rest.replace(/^\s*(?:\*\*)?\s*(?::|is\b|=)?\s*(?:\*\*)?\s*(?::)?/i, "");
    const newline = rest.indexOf("\n");
    if (newline >= 0) rest = rest.slice(0, newline);
    const math = firstMathSegment(rest);
    if (math !== null) return { answer: math, source: best.source };
    const sentenceEnd = rest.search(/\.(?:\s|$)/);
    if (sentenceEnd >= 0) rest = rest.slice(0, sentenceEnd);
    // In running text "the answer is 12!" is an exclamation, not a factorial.
    rest = rest.replace(/\*\*/g, "").replace(/!+\s*$/, "").trim();
    return rest.length === 0 ? null : { answer: rest, source: best.source };
}

// ---------------------------------------------------------------------------------------------
// Math segments and numbers

interface Segment {
    end: number;
    content: string;
}

/** Math segments in one forward pass; `stopAtFirst` returns after the first one. */
function mathSegments(text: string, stopAtFirst: boolean): Segment | null {
    let last: Segment | null = null;
    let i = 0;
    while (i < text.length) {
        const c = text[i];
        let open = "";
        let close = "";
        if (c === "\\" && (text[i + 1] === "(" || text[i + 1] === "[")) {
            open = text.slice(i, i + 2);
            close = text[i + 1] === "(" ? "\\)" : "\\]";
        } else if (c === "\\") {
            i += 2; // an escaped character such as \$ is not a delimiter
            continue;
        } else if (c === "$") {
            open = text[i + 1] === "$" ? "$$" : "$";
            close = open;
        } else {
            i++;
            continue;
        }
        const from = i + open.length;
        let to = text.indexOf(close, from);
        while (close === "$" && to > 0 && text[to - 1] === "\\") to = text.indexOf(close, to + 1);
        if (to < 0) break;
        const segment = { end: to + close.length, content: text.slice(from, to) };
        if (segment.content.trim().length > 0) {
            last = segment;
            if (stopAtFirst) return last;
        }
        i = segment.end;
    }
    return last;
}

function lastMathSegment(text: string): Segment | null {
    return mathSegments(text, false);
}

function firstMathSegment(text: string): string | null {
    return mathSegments(text, true)?.content ?? null;
}

function lastNumber(text: string): Segment | null {
    // A minus sign belongs to the number only when it cannot be a binary minus ("3-5").
    const pattern = /(?:(?<![\w)\]}])-)?\d[\d,]*(?:\.\d+)?(?:\/\d+)?/g;
    let last: Segment | null = null;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        last = { end: m.index + m[0].length, content: m[0].replace(/,+$/, "") };
    }
    return last;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with normalisation

/** Remove outer $…$, $$…$$, \(…\), \[…\] (repeatedly). */
export function stripMathDelimiters(s: string): string {
    let out = s.trim();
    for (let guard = 0; guard < 8; guard++) {
        const before = out;
        if (out.startsWith("$$") && out.endsWith("$$") && out.length >= 4) out = out.slice(2, -2).trim();
        else if (out.startsWith("$") && out.endsWith("$") && out.length >= 2 && !out.endsWith("\\$")) out = out.slice(1, -1).trim();
        else if ((out.startsWith("\\(") && out.endsWith("\\)")) || (out.startsWith("\\[") && out.endsWith("\\]"))) {
            out = out.slice(2, -2).trim();
        }
        if (out === before) break;
    }
    return out;
}

const mathWords = /\b(?:sqrt|cbrt|sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|exp|abs|pi|inf|infinity|and|or|frac|text|mathrm|cup|cap|in|le|ge|lt|gt|neq|infty|emptyset|floor|ceil|max|min|gcd|lcm|binom|undefined|none)\b/gi;

/** True when the text has no prose: no word of three or more letters that is not math. */
export function isMathOnly(s: string): boolean {
    const stripped = s.replace(/\\(?:begin|end)\s*\{[^{}]*\}|\\[a-zA-Z]+/g, " ").replace(mathWords, " ");
    return !/[A-Za-z]{3,}/.test(stripped);
}

/** True for a bare answer: math without prose, or a short one-to-three word text answer. */
export function looksLikeBareAnswer(s: string): boolean {
    if (isMathOnly(s)) return true;
    if (s.length > 200) return false;
    const words = s.trim().split(/\s+/);
    return words.length <= 3 && !/\d/.test(s);
}
