import { describe, expect, it } from "vitest";
import { type CodeTestCase } from "../../../src/rewards/code/codeTests.js";
import { CodeJudge, resolveJudgeConfig } from "../../../src/rewards/code/judge.js";
import { Sandbox, SandboxError, type SandboxResult, type SandboxRunSpec } from "../../../src/sandbox/sandbox.js";
import { isolation, TEST_LIMITS } from "../sandbox/helpers.js";

const judge = new CodeJudge({ limits: TEST_LIMITS, concurrency: 2 });
const sumTests: CodeTestCase[] = [
    { kind: "stdio", input: "1 2\n", output: "3\n" },
    { kind: "stdio", input: "10 -4\n", output: "6" },
    { kind: "stdio", input: "0 0\n", output: "0\n" },
];
const SUM = "a, b = map(int, input().split())\nprint(a + b)";

describe("resolveJudgeConfig", () => {
    it("fills defaults and names bad fields", () => {
        expect(resolveJudgeConfig()).toMatchObject({ scoring: "fraction", timeoutPolicy: "zero", floatTolerance: 0 });
        expect(() => resolveJudgeConfig({ scoring: "most" as never })).toThrow('scoring must be "fraction" or "all"');
        expect(() => resolveJudgeConfig({ timeoutPolicy: "retry" as never })).toThrow("timeoutPolicy must be");
        expect(() => resolveJudgeConfig({ floatTolerance: -1 })).toThrow("floatTolerance must be a number in [0, 1)");
        expect(() => resolveJudgeConfig({ maxTests: 0 })).toThrow("maxTests must be a positive integer");
        expect(() => resolveJudgeConfig({ limits: { memoryBytes: 1 } })).toThrow("limits.memoryBytes");
    });
});

describe("sandbox failures", () => {
    class BrokenSandbox extends Sandbox {
        override run(_spec: SandboxRunSpec): Promise<SandboxResult> {
            return Promise.reject(new SandboxError("sandbox set-up failed: mount: permission denied"));
        }
    }

    it("score null (not the program's fault) and stop judging", async () => {
        const broken = new CodeJudge({ sandbox: new BrokenSandbox() });
        const r = await broken.judge(SUM, "python", sumTests);
        expect(r.reward).toBeNull();
        expect(r.verdict).toBe("sandbox_error");
        expect(r.reason).toMatch(/mount: permission denied/);
        expect(r.tests.map((t) => t.verdict)).toEqual(["sandbox_error", "skipped", "skipped"]);
    });
});

describe.skipIf(!isolation.available)("CodeJudge verdicts", () => {
    it("accepts a correct program (Python and JavaScript)", async () => {
        const py = await judge.judge(SUM, "python", sumTests);
        expect(py).toMatchObject({ reward: 1, passed: 3, total: 3, verdict: "accepted", reason: null });
        const js = await judge.judge(
            "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\nconsole.log(a + b);",
            "javascript",
            sumTests,
        );
        expect(js).toMatchObject({ reward: 1, verdict: "accepted" });
    });

    it("scores the fraction passed, or 1/0 when all must pass", async () => {
        const partial = "a, b = map(int, input().split())\nprint(a + b if b >= 0 else 0)";
        const r = await judge.judge(partial, "python", sumTests);
        expect(r.reward).toBeCloseTo(2 / 3, 12);
        expect(r.verdict).toBe("wrong_answer");
        expect(r.reason).toMatch(/^wrong_answer on test 2: got "0\\n"/);
        const strict = new CodeJudge({ sandbox: judge.sandbox, limits: TEST_LIMITS, scoring: "all" });
        const s = await strict.judge(partial, "python", sumTests);
        expect(s.reward).toBe(0);
        expect(s.tests.map((t) => t.verdict)).toEqual(["accepted", "wrong_answer", "skipped"]);
        expect((await strict.judge(SUM, "python", sumTests)).reward).toBe(1);
    });

    it("gives 0 and a reason for a program that does not compile, without running the other tests", async () => {
        const py = await judge.judge("def f(:\n    pass", "python", sumTests);
        expect(py).toMatchObject({ reward: 0, verdict: "compile_error" });
        expect(py.reason).toMatch(/SyntaxError/);
        expect(py.tests.map((t) => t.verdict)).toEqual(["compile_error", "skipped", "skipped"]);
        const js = await judge.judge("const x = ;", "javascript", sumTests);
        expect(js).toMatchObject({ reward: 0, verdict: "compile_error" });
        expect(js.reason).toMatch(/SyntaxError/);
        // a SyntaxError raised at run time is a runtime error, not a compile error
        const late = await judge.judge("raise SyntaxError('late')", "python", sumTests.slice(0, 1));
        expect(late.verdict).toBe("runtime_error");
    });

    it("reports a crash as a runtime error with the exception", async () => {
        const r = await judge.judge("x = int(input().split()[0])\nprint(1 // (x - 1))", "python", sumTests);
        expect(r.tests[0]).toMatchObject({ verdict: "runtime_error", detail: "ZeroDivisionError: integer division or modulo by zero" });
        expect(r.reward).toBeCloseTo(0, 12); // tests 2 and 3 print the wrong answer
        const exitCode = await judge.judge("import sys\nprint(3)\nsys.exit(2)", "python", sumTests.slice(0, 1));
        expect(exitCode.verdict).toBe("runtime_error"); // right output, non-zero exit
    });

    it("gives 0 for a time-out and stops, or fails only that test under fail_test", async () => {
        const slow = "a, b = map(int, input().split())\nif a == 10:\n    while True: pass\nprint(a + b)";
        const r = await judge.judge(slow, "python", sumTests);
        expect(r).toMatchObject({ reward: 0, verdict: "time_limit_exceeded" });
        expect(r.tests.map((t) => t.verdict)).toEqual(["accepted", "time_limit_exceeded", "skipped"]);
        const lenient = new CodeJudge({ sandbox: judge.sandbox, limits: TEST_LIMITS, timeoutPolicy: "fail_test" });
        const l = await lenient.judge(slow, "python", sumTests);
        expect(l.reward).toBeCloseTo(2 / 3, 12);
        expect(l.tests.map((t) => t.verdict)).toEqual(["accepted", "time_limit_exceeded", "accepted"]);
    });

    it("names memory and output limits", async () => {
        const mem = await judge.judge("x = [0] * (10 ** 10)", "python", sumTests.slice(0, 1));
        expect(mem.verdict).toBe("memory_limit_exceeded");
        const out = await judge.judge("while True: print('spam' * 1000)", "python", sumTests.slice(0, 1));
        expect(out.verdict).toBe("output_limit_exceeded");
    });

    it("gives Python a stack deep enough for memoized recursion", async () => {
        const program = [
            "import sys, functools",
            "sys.setrecursionlimit(10 ** 6)",
            "@functools.lru_cache(None)",
            "def depth(n):",
            "    return 0 if n == 0 else depth(n - 1) + 1",
            "print(depth(int(input())))",
        ].join("\n");
        const r = await judge.judge(program, "python", [{ kind: "stdio", input: "100000\n", output: "100000\n" }]);
        expect(r.verdict).toBe("accepted");
    });

    it("compares numbers with the float tolerance when configured", async () => {
        const tests: CodeTestCase[] = [{ kind: "stdio", input: "", output: "0.333333333\n" }];
        const program = "print(round(1/3, 7))";
        expect((await judge.judge(program, "python", tests)).reward).toBe(0);
        const tolerant = new CodeJudge({ sandbox: judge.sandbox, limits: TEST_LIMITS, floatTolerance: 1e-6 });
        expect((await tolerant.judge(program, "python", tests)).reward).toBe(1);
    });

    it("calls functions and compares return values (Python)", async () => {
        const tests: CodeTestCase[] = [
            { kind: "call", fnName: "two_sum", args: [[2, 7, 11, 15], 9], expected: [0, 1] },
            { kind: "call", fnName: "two_sum", args: [[3, 2, 4], 6], expected: [1, 2] },
            { kind: "call", fnName: "two_sum", args: [[3, 3]], kwargs: { target: 6 }, expected: [0, 1] },
        ];
        const program = [
            "def two_sum(nums, target):",
            "    print('debug output does not confuse the judge')",
            "    seen = {}",
            "    for i, x in enumerate(nums):",
            "        if target - x in seen:",
            "            return (seen[target - x], i)  # a tuple compares as a list",
            "        seen[x] = i",
        ].join("\n");
        expect(await judge.judge(program, "python", tests)).toMatchObject({ reward: 1, verdict: "accepted" });
        const wrong = await judge.judge("def two_sum(nums, target):\n    return [0, 0]", "python", tests);
        expect(wrong.reward).toBe(0);
        expect(wrong.tests[0]!.detail).toBe("returned [0, 0]");
        const missing = await judge.judge("def other():\n    pass", "python", tests);
        expect(missing.tests[0]).toMatchObject({ verdict: "runtime_error", detail: "r1-judge: function two_sum is not defined" });
        const leetcode = await judge.judge(
            "class Solution:\n    def add(self, a, b):\n        return a + b",
            "python",
            [
                { kind: "call", fnName: "add", args: [1, 2], expected: 3 },
                { kind: "call", fnName: "Solution.add", args: [2, 2], expected: [4], acceptUnwrapped: true },
            ],
        );
        expect(leetcode.reward).toBe(1);
    });

    it("calls functions and compares return values (JavaScript)", async () => {
        const tests: CodeTestCase[] = [
            { kind: "call", fnName: "sorted", args: [[3, 1, 2]], expected: [1, 2, 3] },
            { kind: "call", fnName: "sorted", args: [[]], expected: [] },
        ];
        const plain = "function sorted(a) { console.log('noise'); return [...a].sort((x, y) => x - y); }";
        expect((await judge.judge(plain, "javascript", tests)).reward).toBe(1);
        const exported = "export const sorted = async (a) => [...a].sort((x, y) => x - y);";
        expect((await judge.judge(exported, "javascript", tests)).reward).toBe(1);
        const cjs = "module.exports = { sorted: (a) => a };";
        const r = await judge.judge(cjs, "javascript", tests);
        expect(r.tests.map((t) => t.verdict)).toEqual(["wrong_answer", "accepted"]);
        const throws = await judge.judge("function sorted() { throw new Error('nope'); }", "javascript", tests);
        expect(throws.tests[0]!.verdict).toBe("runtime_error");
    });

    it("judges many programs concurrently through the bounded pool", async () => {
        const items = Array.from({ length: 6 }, (_, i) => ({
            program: i % 2 === 0 ? SUM : "print(0)",
            language: "python" as const,
            tests: sumTests,
        }));
        const results = await judge.judgeMany(items);
        expect(results.map((r) => r.reward)).toEqual([1, 1 / 3, 1, 1 / 3, 1, 1 / 3]);
    });

    it("judges only the first maxTests tests", async () => {
        const few = new CodeJudge({ sandbox: judge.sandbox, limits: TEST_LIMITS, maxTests: 2 });
        const r = await few.judge(SUM, "python", sumTests);
        expect(r).toMatchObject({ total: 2, passed: 2, reward: 1 });
    });
});
