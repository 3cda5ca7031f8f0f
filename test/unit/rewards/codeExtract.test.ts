import { describe, expect, it } from "vitest";
import { answerPart, extractProgram, fencedBlocks } from "../../../src/rewards/code/extractProgram.js";

describe("extractProgram", () => {
    it("takes the last fenced block of the requested language", () => {
        const c = "First try:\n```python\nprint(1)\n```\nBetter:\n```python\nprint(2)\n```\nDone.";
        expect(extractProgram(c, "python")).toBe("print(2)");
    });

    it("looks only after the last </think>", () => {
        const c = "<think>\n```python\nprint('draft')\n```\n</think>\nAnswer:\n```py\nprint('final')\n```";
        expect(extractProgram(c, "python")).toBe("print('final')");
    });

    it("ignores blocks of another language and prefers tagged over untagged blocks", () => {
        const c = "```python\nprint(1)\n```\n```\nuntagged\n```\n```cpp\nint main(){}\n```";
        expect(extractProgram(c, "python")).toBe("print(1)");
        expect(extractProgram("```cpp\nint main(){}\n```", "python")).toBeNull();
        expect(extractProgram("```\nprint(3)\n```", "python")).toBe("print(3)");
    });

    it("accepts language aliases and JavaScript", () => {
        expect(extractProgram("```Python3\nx = 1\n```", "python")).toBe("x = 1");
        expect(extractProgram("```js\nconsole.log(1)\n```\n```python\nprint(1)\n```", "javascript")).toBe("console.log(1)");
        expect(extractProgram("```javascript\nlet a\n```", "javascript")).toBe("let a");
    });

    it("falls back to the text after </think> when the answer has no fence", () => {
        expect(extractProgram("<think>reason</think>\n\nprint(input())\n", "python")).toBe("print(input())");
        // no </think>, no fence: prose, not code, unless bareAnswer
        expect(extractProgram("print(input())", "python")).toBeNull();
        expect(extractProgram("print(input())", "python", { bareAnswer: true })).toBe("print(input())");
    });

    it("returns null for unclosed reasoning, unclosed fences and empty blocks", () => {
        expect(extractProgram("<think>\n```python\nprint(1)\n```\nstill thinking", "python")).toBeNull();
        expect(extractProgram("</think>```python\nprint(1)\n", "python")).toBeNull();
        expect(extractProgram("```python\n\n```", "python")).toBeNull();
    });

    it("keeps indentation, handles longer fences, tildes and CRLF", () => {
        const c = "````python\ndef f():\n    return '```'\n````";
        expect(extractProgram(c, "python")).toBe("def f():\n    return '```'");
        expect(extractProgram("~~~python\nx=1\n~~~", "python")).toBe("x=1");
        expect(extractProgram("```python\r\nx=1\r\n```\r\n", "python")).toBe("x=1");
    });

    it("rejects an unknown language with an error naming it", () => {
        expect(() => extractProgram("x", "cobol" as never)).toThrow(/language must be one of/);
    });

    it("exposes the helpers it is built from", () => {
        expect(answerPart("<think>a</think>b")).toBe("b");
        expect(answerPart("<think>a")).toBeNull();
        expect(fencedBlocks("```py\na\n```\n```\nb\n```")).toEqual([{ tag: "py", body: "a" }, { tag: "", body: "b" }]);
    });
});
