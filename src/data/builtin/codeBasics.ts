/**
 * The built-in code task ("builtin:code-basics"): a handful of trivial stdin/stdout Python
 * problems with their tests, in the row format the code reward reads (`tests`, `language`).
 * It exists so that recipes with a code stage (SRPO's math + code stage) run end to end on the
 * built-in tiny model; that model will not solve them (code reward 0), and is not meant to.
 *
 * Questions use only characters the demo model's tokenizer knows (no newline, `#`, `%`, `$`).
 */
import type { StdioTestCase } from "../../rewards/code/codeTests.js";

export interface CodeProblem {
    /** The task as asked. */
    question: string;
    /** The program's stdin/stdout tests. */
    tests: StdioTestCase[];
    language: "python";
}

const stdio = (input: string, output: string): StdioTestCase => ({ kind: "stdio", input, output });

const PROBLEMS: readonly CodeProblem[] = Object.freeze([
    {
        question: "Write a Python program: read two integers a and b from one input line and print a+b.",
        tests: [stdio("1 2\n", "3\n"), stdio("10 -4\n", "6\n"), stdio("0 0\n", "0\n")],
        language: "python",
    },
    {
        question: "Write a Python program: read two integers a and b from one input line and print a-b.",
        tests: [stdio("5 3\n", "2\n"), stdio("3 5\n", "-2\n"), stdio("7 7\n", "0\n")],
        language: "python",
    },
    {
        question: "Write a Python program: read two integers a and b from one input line and print a*b.",
        tests: [stdio("3 4\n", "12\n"), stdio("-2 6\n", "-12\n"), stdio("9 0\n", "0\n")],
        language: "python",
    },
    {
        question: "Write a Python program: read an integer n and print n squared.",
        tests: [stdio("3\n", "9\n"), stdio("-4\n", "16\n"), stdio("0\n", "0\n")],
        language: "python",
    },
    {
        question: "Write a Python program: read two integers and print the larger one.",
        tests: [stdio("3 8\n", "8\n"), stdio("9 2\n", "9\n"), stdio("-1 -5\n", "-1\n")],
        language: "python",
    },
    {
        question: "Write a Python program: read an integer n and print even if n is even, else odd.",
        tests: [stdio("4\n", "even\n"), stdio("7\n", "odd\n"), stdio("0\n", "even\n")],
        language: "python",
    },
    {
        question: "Write a Python program: read a word and print it reversed.",
        tests: [stdio("abc\n", "cba\n"), stdio("level\n", "level\n"), stdio("ab\n", "ba\n")],
        language: "python",
    },
    {
        question: "Write a Python program: read an integer n and print 1+2+...+n.",
        tests: [stdio("1\n", "1\n"), stdio("4\n", "10\n"), stdio("10\n", "55\n")],
        language: "python",
    },
]);

/** How many distinct problems there are. */
export const CODE_BASICS_SIZE = PROBLEMS.length;

/**
 * `count` problems (default: each once), cycling through the set when count exceeds it, in a
 * fixed order. Copies: callers may change them.
 */
export function codeBasicsProblems(count: number = PROBLEMS.length): CodeProblem[] {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`codeBasicsProblems: count must be an integer >= 0; got ${String(count)}`);
    return Array.from({ length: count }, (_, i) => structuredClone(PROBLEMS[i % PROBLEMS.length]!));
}
