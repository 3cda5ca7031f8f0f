/**
 * Test cases of a coding problem, and how they are read from the dataset
 * formats in use:
 *
 * - ours: `sample.tests = [{ kind: "stdio", input, output } | { kind: "call", fnName, args, expected }]`
 * - Open R1 (verifiable-coding-problems): `sample.verification_info = { language,
 *   test_cases: [{ type: "stdin_stdout", input, output }] }` (object or JSON string)
 * - APPS / TACO / PRIME: `sample.input_output = { inputs, outputs, fn_name? }`
 *   (object or JSON string); with `fn_name` every input is an argument list,
 *   and an expected `[x]` also accepts a return value of `x`, as APPS grades.
 */
import type { CodeLanguage } from "./extractProgram.js";

export interface StdioTestCase {
    kind: "stdio";
    input: string;
    output: string;
}

export interface CallTestCase {
    kind: "call";
    /** `name`, or `Class.method` (the class is built with no arguments). */
    fnName: string;
    args: unknown[];
    /** Keyword arguments (Python only). */
    kwargs?: Record<string, unknown>;
    expected: unknown;
    /** Also accept a return value equal to the single element of `expected` (APPS convention). */
    acceptUnwrapped?: boolean;
}

export type CodeTestCase = StdioTestCase | CallTestCase;

/** A sample as datasets give it; only the fields read here are typed. */
export interface CodeSample {
    tests?: unknown;
    language?: unknown;
    verification_info?: unknown;
    input_output?: unknown;
    [key: string]: unknown;
}

const FN_NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?$/;

const LANGUAGE_NAMES: Record<string, CodeLanguage> = {
    python: "python",
    python3: "python",
    py: "python",
    py3: "python",
    javascript: "javascript",
    js: "javascript",
    node: "javascript",
    nodejs: "javascript",
};

/** "python", "Python3", "js" ... → a language we run; null for one we do not (cpp, rust...). */
export function normalizeLanguage(name: unknown): CodeLanguage | null {
    return typeof name === "string" ? (LANGUAGE_NAMES[name.trim().toLowerCase()] ?? null) : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function parseMaybeJson(v: unknown, field: string): unknown {
    if (typeof v !== "string") return v;
    try {
        return JSON.parse(v);
    } catch (err) {
        throw new TypeError(`${field} is a string but not valid JSON: ${(err as Error).message}`);
    }
}

function text(v: unknown, field: string): string {
    if (typeof v === "string") return v;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.join("\n");
    throw new TypeError(`${field} must be a string (got ${v === null ? "null" : typeof v})`);
}

/** Checks one test case of our own format; throws naming the field. */
export function validateTestCase(t: unknown, field: string): CodeTestCase {
    if (!isRecord(t)) throw new TypeError(`${field} must be an object`);
    if (t.kind === "stdio") {
        return { kind: "stdio", input: text(t.input ?? "", `${field}.input`), output: text(t.output, `${field}.output`) };
    }
    if (t.kind === "call") {
        if (typeof t.fnName !== "string" || !FN_NAME.test(t.fnName)) {
            throw new TypeError(`${field}.fnName must be an identifier or Class.method (got ${JSON.stringify(t.fnName)})`);
        }
        if (!Array.isArray(t.args)) throw new TypeError(`${field}.args must be an array of arguments`);
        if (!("expected" in t)) throw new TypeError(`${field}.expected is missing`);
        if (t.kwargs !== undefined && !isRecord(t.kwargs)) throw new TypeError(`${field}.kwargs must be an object`);
        const out: CallTestCase = { kind: "call", fnName: t.fnName, args: t.args, expected: t.expected };
        if (t.kwargs !== undefined) out.kwargs = t.kwargs as Record<string, unknown>;
        if (t.acceptUnwrapped !== undefined) out.acceptUnwrapped = Boolean(t.acceptUnwrapped);
        return out;
    }
    throw new TypeError(`${field}.kind must be "stdio" or "call" (got ${JSON.stringify(t.kind)})`);
}

function fromOpenR1(info: unknown): { language: unknown; tests: CodeTestCase[] } {
    const v = parseMaybeJson(info, "sample.verification_info");
    if (!isRecord(v)) throw new TypeError("sample.verification_info must be an object");
    if (!Array.isArray(v.test_cases)) throw new TypeError("sample.verification_info.test_cases must be an array");
    const tests = v.test_cases.map((tc, i): CodeTestCase => {
        const field = `sample.verification_info.test_cases[${i}]`;
        if (!isRecord(tc)) throw new TypeError(`${field} must be an object`);
        const type = tc.type ?? "stdin_stdout";
        if (type !== "stdin_stdout") {
            throw new TypeError(`${field}.type "${String(type)}" is not supported (only "stdin_stdout")`);
        }
        return { kind: "stdio", input: text(tc.input ?? "", `${field}.input`), output: text(tc.output, `${field}.output`) };
    });
    return { language: v.language, tests };
}

function fromApps(io: unknown): CodeTestCase[] {
    const v = parseMaybeJson(io, "sample.input_output");
    if (!isRecord(v)) throw new TypeError("sample.input_output must be an object");
    const { inputs, outputs } = v;
    if (!Array.isArray(inputs) || !Array.isArray(outputs)) {
        throw new TypeError("sample.input_output.inputs and .outputs must be arrays");
    }
    if (inputs.length !== outputs.length) {
        throw new TypeError(`sample.input_output has ${inputs.length} inputs but ${outputs.length} outputs`);
    }
    const fnName = v.fn_name;
    if (fnName !== undefined && fnName !== null) {
        if (typeof fnName !== "string" || !FN_NAME.test(fnName)) {
            throw new TypeError(`sample.input_output.fn_name must be an identifier (got ${JSON.stringify(fnName)})`);
        }
        return inputs.map((args, i) => ({
            kind: "call",
            fnName,
            args: Array.isArray(args) ? args : [args],
            expected: outputs[i],
            acceptUnwrapped: true,
        }));
    }
    return inputs.map((input, i) => ({
        kind: "stdio",
        input: text(input, `sample.input_output.inputs[${i}]`),
        output: text(outputs[i], `sample.input_output.outputs[${i}]`),
    }));
}

export interface SampleTests {
    /** The language the sample asks for, when it names one we run. */
    language: CodeLanguage | null;
    /** The language the sample names when it is one we cannot run (e.g. "cpp"). */
    unsupportedLanguage: string | null;
    tests: CodeTestCase[];
}

function withLanguage(raw: unknown, tests: CodeTestCase[]): SampleTests {
    const language = normalizeLanguage(raw);
    const named = typeof raw === "string" && raw.trim() !== "";
    return { language, unsupportedLanguage: language === null && named ? (raw as string) : null, tests };
}

/**
 * The tests and language of `sample`, or null when it carries no tests at
 * all (not a coding sample). Malformed tests throw a TypeError naming the field.
 */
export function testsFromSample(sample: CodeSample): SampleTests | null {
    if (!isRecord(sample)) throw new TypeError("sample must be an object");
    if (sample.tests !== undefined) {
        if (!Array.isArray(sample.tests)) throw new TypeError("sample.tests must be an array of test cases");
        return withLanguage(sample.language, sample.tests.map((t, i) => validateTestCase(t, `sample.tests[${i}]`)));
    }
    if (sample.verification_info !== undefined && sample.verification_info !== null) {
        const r = fromOpenR1(sample.verification_info);
        return withLanguage(sample.language ?? r.language, r.tests);
    }
    if (sample.input_output !== undefined && sample.input_output !== null && sample.input_output !== "") {
        return withLanguage(sample.language, fromApps(sample.input_output));
    }
    return null;
}
