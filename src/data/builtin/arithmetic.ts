/**
 * The built-in verifiable task: multi-step arithmetic on small numbers
 * ("7+5-3+2"), answered as a running sum inside <think> and the result in
 * \boxed{} inside <answer>. Problems are generated deterministically from a
 * seed; a problem belongs to the held-out split when a hash of its text says
 * so, so the two splits never share a problem.
 */
import { uniformStream } from "../../algo/mulberry32.js";

export interface ArithmeticProblem {
    /** The expression, e.g. "7+5-3+2". */
    question: string;
    /** Its value. */
    answer: number;
    /** Running-sum steps, e.g. ["7+5=12", "12-3=9", "9+2=11"]. */
    steps: string[];
}

export type ArithmeticSplit = "train" | "heldout";

export interface ArithmeticOptions {
    /** Problems to produce. */
    count: number;
    /** Defaults to `0`. */
    seed?: number;
    /** Defaults to `"train"`. */
    split?: ArithmeticSplit;
    /** Operands per problem, inclusive range. Defaults to `[3, 4]`. */
    operands?: [number, number];
}

/** FNV-1a of the text; one problem in ten is held out. */
export function isHeldOut(question: string): boolean {
    let h = 0x811c9dc5;
    for (let i = 0; i < question.length; i++) h = Math.imul(h ^ question.charCodeAt(i), 0x01000193);
    return (h >>> 0) % 10 === 0;
}

/** One random problem: digits 1–9, + or −, never below zero. */
export function randomArithmeticProblem(rand: () => number, operands: [number, number]): ArithmeticProblem {
    const count = operands[0] + Math.floor(rand() * (operands[1] - operands[0] + 1));
    let value = 1 + Math.floor(rand() * 9);
    let question = String(value);
    const steps: string[] = [];
    for (let i = 1; i < count; i++) {
        const d = 1 + Math.floor(rand() * 9);
        const op = value - d >= 0 && rand() < 0.5 ? "-" : "+";
        const next = op === "+" ? value + d : value - d;
        steps.push(`${value}${op}${d}=${next}`);
        question += `${op}${d}`;
        value = next;
    }
    return { question, answer: value, steps };
}

/** `count` distinct problems of one split. */
export function arithmeticProblems(options: ArithmeticOptions): ArithmeticProblem[] {
    const rand = uniformStream((options.seed ?? 0) * 2654435761 + 17);
    const split = options.split ?? "train";
    const operands = options.operands ?? [3, 4];
    const seen = new Set<string>();
    const out: ArithmeticProblem[] = [];
    for (let guard = 0; out.length < options.count && guard < options.count * 200; guard++) {
        const p = randomArithmeticProblem(rand, operands);
        if (seen.has(p.question) || isHeldOut(p.question) !== (split === "heldout")) continue;
        seen.add(p.question);
        out.push(p);
    }
    if (out.length < options.count) throw new RangeError(`arithmeticProblems: only ${out.length} distinct ${split} problems available`);
    return out;
}

/** The reference completion: running sum in <think>, result in \boxed{} in <answer>. */
export function arithmeticSolution(p: ArithmeticProblem): string {
    return `<think>${p.steps.join(", ")}</think> <answer>\\boxed{${p.answer}}</answer>`;
}
