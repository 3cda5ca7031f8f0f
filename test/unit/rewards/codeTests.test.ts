import { describe, expect, it } from "vitest";
import { normalizeLanguage, testsFromSample } from "../../../src/rewards/code/codeTests.js";

describe("testsFromSample", () => {
    it("reads our own format and checks every field", () => {
        const s = {
            language: "python",
            tests: [
                { kind: "stdio", input: "1\n", output: "2\n" },
                { kind: "call", fnName: "Solution.twoSum", args: [[2, 7], 9], expected: [0, 1] },
            ],
        };
        expect(testsFromSample(s)).toEqual({ language: "python", unsupportedLanguage: null, tests: s.tests });
        expect(() => testsFromSample({ tests: [{ kind: "stdio", input: "1" }] })).toThrow("sample.tests[0].output must be a string");
        expect(() => testsFromSample({ tests: [{ kind: "call", fnName: "a b", args: [], expected: 1 }] })).toThrow(
            "sample.tests[0].fnName must be an identifier",
        );
        expect(() => testsFromSample({ tests: [{ kind: "call", fnName: "f", args: 1, expected: 1 }] })).toThrow("sample.tests[0].args");
        expect(() => testsFromSample({ tests: [{ kind: "call", fnName: "f", args: [] }] })).toThrow("sample.tests[0].expected is missing");
        expect(() => testsFromSample({ tests: [{ kind: "exec" }] })).toThrow('sample.tests[0].kind must be "stdio" or "call"');
        expect(() => testsFromSample({ tests: "x" })).toThrow("sample.tests must be an array");
    });

    it("reads Open R1 verification_info, as an object or a JSON string", () => {
        const info = { language: "python", test_cases: [{ type: "stdin_stdout", input: "3\n", output: "6\n", fn_name: null }] };
        const want = { language: "python", unsupportedLanguage: null, tests: [{ kind: "stdio", input: "3\n", output: "6\n" }] };
        expect(testsFromSample({ verification_info: info })).toEqual(want);
        expect(testsFromSample({ verification_info: JSON.stringify(info) })).toEqual(want);
        expect(() => testsFromSample({ verification_info: "{oops" })).toThrow("sample.verification_info is a string but not valid JSON");
        expect(() => testsFromSample({ verification_info: { test_cases: [{ type: "weird", input: "", output: "" }] } })).toThrow(
            'sample.verification_info.test_cases[0].type "weird" is not supported',
        );
    });

    it("reads APPS/TACO input_output for stdin and for fn_name problems", () => {
        const stdio = testsFromSample({ input_output: JSON.stringify({ inputs: ["1 2\n", ["3", "4"]], outputs: ["3\n", ["7"]] }) });
        expect(stdio?.tests).toEqual([
            { kind: "stdio", input: "1 2\n", output: "3\n" },
            { kind: "stdio", input: "3\n4", output: "7" },
        ]);
        const call = testsFromSample({ input_output: { fn_name: "add", inputs: [[1, 2], 5], outputs: [[3], 5] } });
        expect(call?.tests).toEqual([
            { kind: "call", fnName: "add", args: [1, 2], expected: [3], acceptUnwrapped: true },
            { kind: "call", fnName: "add", args: [5], expected: 5, acceptUnwrapped: true },
        ]);
        expect(() => testsFromSample({ input_output: { inputs: [1], outputs: [] } })).toThrow("1 inputs but 0 outputs");
    });

    it("returns null without tests and flags languages it cannot run", () => {
        expect(testsFromSample({ problem: "2+2", answer: "4" })).toBeNull();
        expect(testsFromSample({ language: "cpp", tests: [] })).toEqual({ language: null, unsupportedLanguage: "cpp", tests: [] });
        expect(normalizeLanguage("Python3")).toBe("python");
        expect(normalizeLanguage("nodejs")).toBe("javascript");
        expect(normalizeLanguage("rust")).toBeNull();
    });
});
