/**
 * Judges a program against a problem's tests in the sandbox.
 *
 * Each test runs in a fresh sandbox (nothing carries over between tests).
 * Tests of one program run in order, so judging can stop early: a compile
 * error ends it at once (reward 0), so does a time-out under the default
 * `timeoutPolicy: "zero"`, and so does any failure under `scoring: "all"`.
 * Many programs are judged at once through the sandbox's bounded pool; all of
 * it is asynchronous, so the event loop stays free.
 *
 * Reward: passed / total under `scoring: "fraction"`, 1 or 0 under "all";
 * null when the sandbox itself failed (an infrastructure error is not the
 * program's fault and should not be trained on).
 */
import { DEFAULT_SANDBOX_LIMITS, resolveLimits, type SandboxLimits } from "../../sandbox/limits.js";
import { resolveRuntime, type SandboxRuntime } from "../../sandbox/runtimes.js";
import { Sandbox, SandboxError, type SandboxResult } from "../../sandbox/sandbox.js";
import { SandboxUnavailableError } from "../../sandbox/isolation.js";
import { outputsMatch, valuesMatch } from "./compareOutput.js";
import type { CodeTestCase } from "./codeTests.js";
import { type CodeLanguage, LANGUAGE_TAGS } from "./extractProgram.js";
import { COMPILE_ERROR_EXIT, COMPILE_ERROR_MARK, MISSING_FUNCTION_EXIT, runnerPlan } from "./runners.js";

export type Verdict =
    | "accepted"
    | "wrong_answer"
    | "runtime_error"
    | "time_limit_exceeded"
    | "memory_limit_exceeded"
    | "output_limit_exceeded"
    | "compile_error"
    | "skipped"
    | "no_program"
    | "sandbox_error";

export interface TestVerdict {
    index: number;
    verdict: Verdict;
    wallMs: number;
    /** A short why: the last stderr line, the signal, what differed. */
    detail: string | null;
}

export interface JudgeResult {
    reward: number | null;
    passed: number;
    total: number;
    /** "accepted" when all passed, else the first failing test's verdict. */
    verdict: Verdict;
    /** Null when accepted; otherwise e.g. "wrong_answer on test 3: ...". */
    reason: string | null;
    tests: TestVerdict[];
    wallMs: number;
}

export interface CodeJudgeConfig {
    /** "fraction": reward = passed / total; "all": 1 when every test passes, else 0. Default "fraction". */
    scoring?: "fraction" | "all";
    /** Tolerance for numeric tokens and return values (0 = exact). Default 0. */
    floatTolerance?: number;
    /**
     * "zero": a time-out ends judging with reward 0 (slow programs rarely
     * speed up on later tests, and each costs a full wall limit);
     * "fail_test": the test fails and judging goes on. Default "zero".
     */
    timeoutPolicy?: "zero" | "fail_test";
    /** Judge at most this many tests per problem (the first ones). Default: all. */
    maxTests?: number;
    /** Per-test sandbox limits. Default DEFAULT_SANDBOX_LIMITS (2 s CPU, 512 MiB, 64 KiB output). */
    limits?: Partial<SandboxLimits>;
    /** Sandboxes running at once. Default: the number of cores. */
    concurrency?: number;
    /** Run programs without isolation where no sandbox can be built (unsafe). Default false. */
    allowUnsandboxed?: boolean;
    /** Python interpreter for programs. Default /usr/bin/python3, else python3 on PATH. */
    python?: string;
    /** Node interpreter for programs. Default: the Node running this process. */
    node?: string;
    /** Use this sandbox (and its pool) instead of making one. */
    sandbox?: Sandbox;
}

export interface ResolvedJudgeConfig {
    scoring: "fraction" | "all";
    floatTolerance: number;
    timeoutPolicy: "zero" | "fail_test";
    maxTests: number;
    limits: SandboxLimits;
}

/** Fills defaults and checks every field; throws a TypeError naming the field. */
export function resolveJudgeConfig(config: CodeJudgeConfig = {}): ResolvedJudgeConfig {
    if (config === null || typeof config !== "object") throw new TypeError("code judge config must be an object");
    const scoring = config.scoring ?? "fraction";
    if (scoring !== "fraction" && scoring !== "all") throw new TypeError(`scoring must be "fraction" or "all" (got ${String(scoring)})`);
    const timeoutPolicy = config.timeoutPolicy ?? "zero";
    if (timeoutPolicy !== "zero" && timeoutPolicy !== "fail_test") {
        throw new TypeError(`timeoutPolicy must be "zero" or "fail_test" (got ${String(timeoutPolicy)})`);
    }
    const floatTolerance = config.floatTolerance ?? 0;
    if (typeof floatTolerance !== "number" || !Number.isFinite(floatTolerance) || floatTolerance < 0 || floatTolerance >= 1) {
        throw new TypeError(`floatTolerance must be a number in [0, 1) (got ${String(floatTolerance)})`);
    }
    const maxTests = config.maxTests ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(maxTests) || maxTests < 1) throw new TypeError(`maxTests must be a positive integer (got ${String(maxTests)})`);
    for (const key of ["python", "node"] as const) {
        if (config[key] !== undefined && typeof config[key] !== "string") throw new TypeError(`${key} must be a path to an interpreter`);
    }
    if (config.sandbox !== undefined && !(config.sandbox instanceof Sandbox)) throw new TypeError("sandbox must be a Sandbox");
    const limits = resolveLimits(config.limits, config.sandbox?.limits ?? DEFAULT_SANDBOX_LIMITS, "limits");
    return { scoring, floatTolerance, timeoutPolicy, maxTests, limits };
}

const OOM_PATTERNS = [/\bMemoryError\b/, /JavaScript heap out of memory/, /Fatal process OOM/, /Cannot allocate memory/, /std::bad_alloc/];

function lastLine(text: string): string | null {
    const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && l !== COMPILE_ERROR_MARK);
    const line = lines.at(-1);
    return line === undefined ? null : line.slice(0, 300);
}

/** The verdict of one sandboxed run of one test. */
export function classifyRun(run: SandboxResult, test: CodeTestCase, floatTolerance: number): { verdict: Verdict; detail: string | null } {
    const stderrLine = lastLine(run.stderr);
    switch (run.status) {
        case "timeout":
            return { verdict: "time_limit_exceeded", detail: "wall-clock limit" };
        case "output_limit":
            return { verdict: "output_limit_exceeded", detail: `${run.overflowed ?? "output"} passed the limit` };
        case "aborted":
            return { verdict: "sandbox_error", detail: "aborted" };
        case "signaled": {
            if (run.signal === "SIGXCPU" || run.signal === "SIGKILL") return { verdict: "time_limit_exceeded", detail: `CPU limit (${run.signal})` };
            if (run.signal === "SIGXFSZ") return { verdict: "runtime_error", detail: "file size limit (SIGXFSZ)" };
            if (OOM_PATTERNS.some((p) => p.test(run.stderr))) return { verdict: "memory_limit_exceeded", detail: stderrLine };
            return { verdict: "runtime_error", detail: `killed by ${run.signal}${stderrLine ? `: ${stderrLine}` : ""}` };
        }
        case "exited":
            break;
    }
    if (run.exitCode === COMPILE_ERROR_EXIT && run.stderr.includes(COMPILE_ERROR_MARK)) {
        return { verdict: "compile_error", detail: stderrLine };
    }
    if (run.exitCode !== 0) {
        if (run.exitCode !== MISSING_FUNCTION_EXIT && OOM_PATTERNS.some((p) => p.test(run.stderr))) {
            return { verdict: "memory_limit_exceeded", detail: stderrLine };
        }
        return { verdict: "runtime_error", detail: stderrLine ?? `exit code ${run.exitCode}` };
    }
    const options = { floatTolerance };
    if (test.kind === "stdio") {
        return outputsMatch(run.stdout, test.output, options)
            ? { verdict: "accepted", detail: null }
            : { verdict: "wrong_answer", detail: `got ${JSON.stringify(run.stdout.slice(0, 80))}` };
    }
    let value: unknown;
    try {
        value = JSON.parse(run.result);
    } catch {
        return { verdict: "wrong_answer", detail: "no return value was reported" };
    }
    const ok =
        valuesMatch(value, test.expected, options) ||
        (test.acceptUnwrapped === true && Array.isArray(test.expected) && test.expected.length === 1 &&
            valuesMatch(value, test.expected[0], options));
    return ok ? { verdict: "accepted", detail: null } : { verdict: "wrong_answer", detail: `returned ${run.result.trim().slice(0, 80)}` };
}

export interface JudgeItem {
    program: string;
    language: CodeLanguage;
    tests: CodeTestCase[];
}

export class CodeJudge {
    readonly config: ResolvedJudgeConfig;
    readonly sandbox: Sandbox;
    private readonly interpreters: Partial<Record<CodeLanguage, string>>;

    constructor(config: CodeJudgeConfig = {}) {
        this.config = resolveJudgeConfig(config);
        this.sandbox = config.sandbox ?? new Sandbox({
            allowUnsandboxed: config.allowUnsandboxed,
            concurrency: config.concurrency,
            limits: this.config.limits,
        });
        this.interpreters = { python: config.python, javascript: config.node };
    }

    /** Judges many programs at once (bounded by the sandbox pool); results in input order. */
    judgeMany(items: JudgeItem[]): Promise<JudgeResult[]> {
        if (!Array.isArray(items)) throw new TypeError("judgeMany expects an array of { program, language, tests }");
        return Promise.all(items.map((it) => this.judge(it.program, it.language, it.tests)));
    }

    /**
     * Judges one program. Rejects only for configuration problems (no sandbox
     * here, no interpreter); everything the program does becomes a verdict.
     */
    async judge(program: string, language: CodeLanguage, tests: CodeTestCase[]): Promise<JudgeResult> {
        if (typeof program !== "string") throw new TypeError("program must be a string");
        if (!(language in LANGUAGE_TAGS)) throw new TypeError(`language must be "python" or "javascript" (got ${String(language)})`);
        if (!Array.isArray(tests)) throw new TypeError("tests must be an array of test cases");
        const started = Date.now();
        const chosen = tests.slice(0, this.config.maxTests);
        const runtime = await resolveRuntime(language, this.interpreters[language]);
        const verdicts: TestVerdict[] = [];
        let stop: Verdict | null = null;
        for (const [index, test] of chosen.entries()) {
            if (stop !== null) {
                verdicts.push({ index, verdict: "skipped", wallMs: 0, detail: `after ${stop}` });
                continue;
            }
            const v = await this.runTest(program, language, runtime, test, index);
            verdicts.push(v);
            const fatal =
                v.verdict === "compile_error" ||
                v.verdict === "sandbox_error" ||
                (v.verdict === "time_limit_exceeded" && this.config.timeoutPolicy === "zero") ||
                (v.verdict !== "accepted" && this.config.scoring === "all");
            if (fatal) stop = v.verdict;
        }
        return this.summarize(verdicts, stop, Date.now() - started);
    }

    private async runTest(program: string, language: CodeLanguage, runtime: SandboxRuntime, test: CodeTestCase, index: number): Promise<TestVerdict> {
        const plan = runnerPlan(language, test.kind, program, this.config.limits.memoryBytes);
        const stdin = test.kind === "stdio"
            ? test.input
            : JSON.stringify({ fn: test.fnName, args: test.args, kwargs: test.kwargs ?? {} });
        let run: SandboxResult;
        try {
            run = await this.sandbox.run({
                runtime,
                args: plan.args,
                files: plan.files,
                stdin,
                limits: this.config.limits,
                resultChannel: plan.resultChannel,
            });
        } catch (err) {
            if (err instanceof SandboxUnavailableError) throw err;
            if (err instanceof SandboxError) return { index, verdict: "sandbox_error", wallMs: 0, detail: err.message };
            throw err;
        }
        const { verdict, detail } = classifyRun(run, test, this.config.floatTolerance);
        return { index, verdict, wallMs: run.wallMs, detail };
    }

    private summarize(tests: TestVerdict[], stop: Verdict | null, wallMs: number): JudgeResult {
        const total = tests.length;
        const passed = tests.filter((t) => t.verdict === "accepted").length;
        const firstBad = tests.find((t) => t.verdict !== "accepted");
        const verdict: Verdict = firstBad?.verdict ?? "accepted";
        const reason = firstBad ? `${firstBad.verdict} on test ${firstBad.index + 1}${firstBad.detail ? `: ${firstBad.detail}` : ""}` : null;
        let reward: number | null;
        if (total === 0) reward = null;
        else if (stop === "sandbox_error") reward = null;
        else if (stop === "compile_error" || stop === "time_limit_exceeded") reward = 0;
        else if (this.config.scoring === "all") reward = passed === total ? 1 : 0;
        else reward = passed / total;
        return { reward, passed, total, verdict, reason: total === 0 ? "no tests" : reason, tests, wallMs };
    }
}
