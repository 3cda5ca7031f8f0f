import { describe, expect, it } from "vitest";
import { createCodeReward } from "../../../src/rewards/code/codeReward.js";
import { isolation, TEST_LIMITS } from "../sandbox/helpers.js";

const sample = {
    tests: [
        { kind: "stdio", input: "2\n", output: "4\n" },
        { kind: "stdio", input: "5\n", output: "10\n" },
    ],
};
const good = "<think>\nDouble the number.\n</think>\n```python\nprint(int(input()) * 2)\n```";
const half = "</think>\n```python\nn = int(input())\nprint(4 if n == 2 else 0)\n```";

describe("createCodeReward", () => {
    it("checks its config", () => {
        expect(() => createCodeReward({ defaultLanguage: "cpp" as never })).toThrow('defaultLanguage must be "python" or "javascript"');
        expect(() => createCodeReward({ scoring: "best" as never })).toThrow("scoring");
    });

    it("gives null to samples it cannot score, 0 to completions without a program, before running anything", async () => {
        const reward = createCodeReward({ limits: TEST_LIMITS });
        expect(await reward(good, { problem: "no tests here" })).toBeNull();
        expect(await reward(good, { ...sample, language: "cpp" })).toBeNull();
        expect(await reward("I think the answer is 4.", sample)).toBe(0);
        expect(await reward("<think>never finished ```python\nprint(1)\n```", sample)).toBe(0);
        const [d] = await reward.details(["```cpp\nint main() {}\n```"], [sample]);
        expect(d).toMatchObject({ reward: 0, verdict: "no_program", reason: "no python program found in the completion" });
        await expect(reward.batch([good], [])).rejects.toThrow("completions (1) and samples (0) must have the same length");
        await expect(reward(good, { tests: [{ kind: "stdio" }] })).rejects.toThrow("sample.tests[0].output must be a string");
    });
});

describe.skipIf(!isolation.available)("code reward in the sandbox", () => {
    const reward = createCodeReward({ limits: TEST_LIMITS, concurrency: 2 });

    it("scores one completion: fraction of tests passed", async () => {
        expect(await reward(good, sample)).toBe(1);
        expect(await reward(half, sample)).toBe(0.5);
    });

    it("scores a batch in order, with details", async () => {
        const completions = [good, half, "```python\nprint(\n```", good];
        const samples = [sample, sample, sample, { problem: "none" }];
        expect(await reward.batch(completions, samples)).toEqual([1, 0.5, 0, null]);
        const details = await reward.details(completions.slice(0, 3), samples.slice(0, 3));
        expect(details.map((d) => d.verdict)).toEqual(["accepted", "wrong_answer", "compile_error"]);
        expect(details[0]!.program).toBe("print(int(input()) * 2)");
    });

    it("reads chat-message completions and the Open R1 and APPS sample formats", async () => {
        const chat = [{ role: "user", content: "double it" }, { role: "assistant", content: good }];
        const openR1 = {
            verification_info: JSON.stringify({
                language: "python",
                test_cases: [{ type: "stdin_stdout", input: "3\n", output: "6\n", fn_name: null }],
            }),
        };
        expect(await reward(chat, openR1)).toBe(1);
        const apps = { input_output: JSON.stringify({ fn_name: "double", inputs: [[1], [4]], outputs: [[2], [8]] }) };
        expect(await reward("```python\ndef double(x):\n    return 2 * x\n```", apps)).toBe(1);
    });

    it("runs JavaScript when the sample asks for it", async () => {
        const js = "```javascript\nconst n = Number(require('fs').readFileSync(0, 'utf8'));\nconsole.log(n * 2);\n```";
        expect(await reward(js, { ...sample, language: "javascript" })).toBe(1);
        // the Python block is not run for a JavaScript problem
        expect(await reward(good, { ...sample, language: "javascript" })).toBe(0);
    });

    it("scores 1/0 with scoring: all", async () => {
        const strict = createCodeReward({ limits: TEST_LIMITS, scoring: "all", sandbox: reward.judge.sandbox });
        expect(await strict.batch([good, half], [sample, sample])).toEqual([1, 0]);
    });
});
