/**
 * Row filters: length (characters and/or tokens), language, and "has an answer". Each check is
 * a plain function; `filterRows` applies the configured ones in that order and reports the
 * first one a row fails.
 *
 * - Length: of the text of `columns` joined by "\n". Token limits need `countTokens` (e.g. a
 *   tokenizer's encode(text).length); there is no built-in estimate, to keep limits honest.
 * - Language: the share of words in the target language's scripts, by the script-based detector
 *   of the language-consistency reward (rewards/languageConsistency.ts; math, code and LaTeX
 *   are ignored; languages sharing a script are not told apart). A text with no word at all
 *   is kept by default (`keepNoWords`), since there is no language to judge.
 * - Has-answer: the row has a non-empty `answerColumn`, or one of `boxedColumns` holds a
 *   \boxed{…} (or \fbox{…}) with content, as extracted by the math verifier.
 */
import { countWordsByScript, languageScripts } from "../../rewards/languageConsistency.js";
import { extractAnswer } from "../../verify/extract.js";
import { columnValue } from "../readers/columnMapping.js";
import type { DataReport, DatasetRow } from "../readers/dataReport.js";
import { checkColumns, noTextReason, rowText } from "./text.js";

export interface LengthLimits {
    minChars?: number;
    maxChars?: number;
    minTokens?: number;
    maxTokens?: number;
    /** Token count of a text; required when a token limit is set. */
    countTokens?: (text: string) => number;
}

export interface LanguageFilterOptions {
    /** A key of languageScripts: "en", "zh", "ja", "ko", "ru", ... */
    language: string;
    /** Minimum share of words in the language's scripts. Default 0.9. */
    minRatio?: number;
    /** Keep texts without any word. Default true. */
    keepNoWords?: boolean;
}

export interface AnswerFilterOptions {
    /** A column whose non-empty value is the answer. Default "answer". */
    answerColumn?: string;
    /** Columns searched for a \boxed{} answer. Default ["solution"]. */
    boxedColumns?: readonly string[];
}

export interface FilterOptions {
    /** Columns whose text the length and language checks read. Default ["prompt"]. */
    columns?: readonly string[];
    length?: LengthLimits;
    language?: LanguageFilterOptions;
    /** Drop rows without an answer (true: the defaults of AnswerFilterOptions). */
    requireAnswer?: boolean | AnswerFilterOptions;
}

export const TOO_SHORT = "too short";
export const TOO_LONG = "too long";
export const WRONG_LANGUAGE = "wrong language";
export const NO_ANSWER = "no answer";

function limit(value: number | undefined, name: string): number | undefined {
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`filter: length.${name} must be a non-negative integer, got ${String(value)}`);
    return value;
}

/** A length check, or null when no limit is set; the check returns TOO_SHORT, TOO_LONG or null. */
export function lengthCheck(limits: LengthLimits): ((text: string) => { reason: string; detail: string } | null) | null {
    const minChars = limit(limits.minChars, "minChars"), maxChars = limit(limits.maxChars, "maxChars");
    const minTokens = limit(limits.minTokens, "minTokens"), maxTokens = limit(limits.maxTokens, "maxTokens");
    if ((minTokens !== undefined || maxTokens !== undefined) && typeof limits.countTokens !== "function") {
        throw new TypeError("filter: length.minTokens/maxTokens need length.countTokens (a tokenizer)");
    }
    if ([minChars, maxChars, minTokens, maxTokens].every((v) => v === undefined)) return null;
    return (text) => {
        const chars = [...text].length;
        if (minChars !== undefined && chars < minChars) return { reason: TOO_SHORT, detail: `${chars} characters < ${minChars}` };
        if (maxChars !== undefined && chars > maxChars) return { reason: TOO_LONG, detail: `${chars} characters > ${maxChars}` };
        if (minTokens === undefined && maxTokens === undefined) return null;
        const tokens = limits.countTokens!(text);
        if (minTokens !== undefined && tokens < minTokens) return { reason: TOO_SHORT, detail: `${tokens} tokens < ${minTokens}` };
        if (maxTokens !== undefined && tokens > maxTokens) return { reason: TOO_LONG, detail: `${tokens} tokens > ${maxTokens}` };
        return null;
    };
}

/** The share of a text's words in `language`'s scripts, or null when it has no word. */
export function languageRatio(text: string, language: string): number | null {
    const scripts = languageScripts[language];
    if (scripts === undefined) throw new TypeError(`filter: language must be one of ${Object.keys(languageScripts).join(", ")}, got ${JSON.stringify(language)}`);
    const counts = countWordsByScript(text);
    if (counts.total === 0) return null;
    let inLanguage = 0;
    for (const script of scripts) inLanguage += counts.byScript[script] ?? 0;
    return inLanguage / counts.total;
}

/** True when the row has an answer column value or a \boxed{} answer (see the file comment). */
export function hasAnswer(row: Record<string, unknown>, options: AnswerFilterOptions = {}): boolean {
    const value = columnValue(row, options.answerColumn ?? "answer");
    if (typeof value === "string" ? value.trim() !== "" : typeof value === "number" ? Number.isFinite(value) : Array.isArray(value) ? value.length > 0 : false) return true;
    for (const column of options.boxedColumns ?? ["solution"]) {
        const text = columnValue(row, column);
        if (typeof text === "string" && extractAnswer(text, "pred").source === "boxed") return true;
    }
    return false;
}

/** Rows passing every configured check; the others go to `report` under the first failed check. */
export async function* filterRows(rows: AsyncIterable<DatasetRow>, report: DataReport, options: FilterOptions): AsyncGenerator<DatasetRow> {
    const columns = checkColumns(options.columns ?? ["prompt"], "filter: options.columns");
    const length = options.length ? lengthCheck(options.length) : null;
    const language = options.language;
    const minRatio = language?.minRatio ?? 0.9;
    if (language !== undefined) {
        languageRatio("", language.language); // validates the language name up front
        if (!(minRatio >= 0 && minRatio <= 1)) throw new RangeError(`filter: language.minRatio must be in [0, 1], got ${String(language.minRatio)}`);
    }
    const answer = options.requireAnswer === true ? {} : options.requireAnswer === false ? undefined : options.requireAnswer;
    const needsText = length !== null || language !== undefined;
    for await (const item of rows) {
        let text = "";
        if (needsText) {
            const found = rowText(item.row, columns);
            if (found.missing !== undefined) {
                report.addBad(item.source, noTextReason(found.missing));
                continue;
            }
            text = found.text;
        }
        const lengthFailure = length?.(text) ?? null;
        if (lengthFailure !== null) {
            report.addDropped(item.source, lengthFailure.reason, lengthFailure.detail);
            continue;
        }
        if (language !== undefined) {
            const ratio = languageRatio(text, language.language);
            if (ratio === null ? language.keepNoWords === false : ratio < minRatio) {
                report.addDropped(item.source, WRONG_LANGUAGE, ratio === null ? "no words" : `${(ratio * 100).toFixed(0)}% ${language.language} < ${(minRatio * 100).toFixed(0)}%`);
                continue;
            }
        }
        if (answer !== undefined && !hasAnswer(item.row, answer)) {
            report.addDropped(item.source, NO_ANSWER);
            continue;
        }
        yield item;
    }
}
