/**
 * The computer-algebra fallback: @cortex-js/compute-engine, asked only when the fast paths
 * cannot decide (an expression our parser does not know, or sample points that all fall
 * outside the domain).
 *
 * The engine works synchronously and some of its operations blow up (10^{10^{10}} exhausts
 * the heap, isEqual on a sum can take seconds), so every call passes size guards first, runs in
 * its own scope (parsing declares symbols, which would leak into the next item), and uses
 * only parse / simplify / N / subs, checking the deadline between them.
 */
import { ComputeEngine } from "@cortex-js/compute-engine";
import { close, type CompareContext, type ScalarOutcome } from "./compareTypes.js";
import { VerifyAbort } from "./deadline.js";
import { seededRandom } from "./evaluate.js";

type Engine = InstanceType<typeof ComputeEngine>;
type Boxed = ReturnType<Engine["parse"]>;

let engine: Engine | null = null;

function getEngine(): Engine {
    engine ??= new ComputeEngine();
    return engine;
}

export interface CasRefusal {
    why: string;
    /** True when the input is too big; false when the construct is one the engine gets wrong or slowly. */
    tooLarge: boolean;
}

/** Why the engine must not see this LaTeX, or null when it may. */
export function casGuard(latex: string): CasRefusal | null {
    const large = (why: string): CasRefusal => ({ why, tooLarge: true });
    if (latex.length > 400) return large("too long for the compute engine");
    if (/\^\s*\{[^{}]*\^/.test(latex) || /\^\s*\{[^{}]*\{[^{}]*\^/.test(latex)) return large("nested exponent");
    if (/\^\s*\{?\s*[-+]?\s*\d{4,}/.test(latex)) return large("exponent too large");
    if (/\d{3,}\s*!/.test(latex) || (latex.match(/!/g)?.length ?? 0) > 3) return large("factorial too large");
    if (/\d{31,}/.test(latex)) return large("number literal too long");
    if ((latex.match(/\^/g)?.length ?? 0) > 16) return large("too many powers");
    if ((latex.match(/\\frac/g)?.length ?? 0) > 24) return large("too many fractions");
    // Integrals and limits are evaluated numerically, slowly and only approximately.
    if (/\\(?:int|iint|iiint|oint|lim)(?![a-zA-Z])/.test(latex)) {
        return { why: "integrals and limits are not evaluated", tooLarge: false };
    }
    // A sum is evaluated term by term: one sum or product, with a literal upper bound below 1000.
    const sums = [...latex.matchAll(/\\(?:sum|prod)(?![a-zA-Z])(\s*_\s*(?:\{[^{}]*\}|\S))?(\s*\^\s*(\{[^{}]*\}|\S))?/g)];
    if (sums.length > 1) return large("more than one sum or product");
    for (const m of sums) {
        const upper = m[3];
        const lower = m[1];
        if (lower === undefined || /\d{4,}|\^|\\infty/.test(lower) || upper === undefined || !/^\{?\s*\d{1,3}\s*\}?$/.test(upper)) {
            return large("sum or product without a small literal upper bound");
        }
    }
    return bracketRefusal(latex);
}

const closers: Record<string, string> = { ")": "(", "]": "[", "}": "{", "\\}": "\\{" };

/**
 * The engine's LaTeX parser backtracks exponentially on unbalanced or mismatched brackets
 * ("[[[[[[[[1))))))))" takes 20 s, thirteen unclosed "(" take 2 s) and on nested "[": only
 * well-formed input with shallow nesting is handed over.
 */
function bracketRefusal(latex: string): CasRefusal | null {
    const stack: string[] = [];
    let squareDepth = 0;
    for (let i = 0; i < latex.length; i++) {
        let c = latex[i]!;
        if (c === "\\") {
            const next = latex[i + 1] ?? "";
            i++;
            if (next !== "{" && next !== "}") continue; // an escaped character, or the first letter of a command
            c = `\\${next}`;
        }
        if (c === "(" || c === "[" || c === "{" || c === "\\{") {
            stack.push(c);
            if (c === "[") squareDepth++;
            if (stack.length > 12 || squareDepth > 3) return { why: "brackets nested too deep for the compute engine", tooLarge: true };
        } else if (c in closers) {
            const open = stack.pop();
            if (open !== closers[c]) return { why: "unbalanced brackets", tooLarge: false };
            if (open === "[") squareDepth--;
        }
    }
    return stack.length === 0 ? null : { why: "unbalanced brackets", tooLarge: false };
}

/**
 * simplify() expands powers of sums: (x+y+z)^{50} runs for minutes. It is only asked for short
 * expressions whose exponents are small literals; others are compared at sample points.
 */
function simplifiable(latex: string): boolean {
    if (latex.length > 150) return false;
    for (const m of latex.matchAll(/\^\s*(\{[^{}]*\}|\\?[A-Za-z]+|\d+)/g)) {
        const exponent = m[1]!.replace(/[{}\s]/g, "");
        if (!/^-?\d+$/.test(exponent) || Math.abs(Number(exponent)) > 6) return false;
    }
    return true;
}

/** Run `fn` with the console silenced: the engine reports its own parse errors there. */
function quietly<T>(fn: () => T): T {
    const saved = { error: console.error, warn: console.warn, log: console.log, info: console.info, assert: console.assert };
    const mute = () => undefined;
    Object.assign(console, { error: mute, warn: mute, log: mute, info: mute, assert: mute });
    try {
        return fn();
    } finally {
        Object.assign(console, saved);
    }
}

/** Below this many milliseconds left, an engine call is not started (its first call alone costs ~50 ms). */
const minBudgetMs = 60;

export function casCompare(a: string, b: string, ctx: CompareContext): ScalarOutcome {
    const refused = casGuard(a) ?? casGuard(b);
    if (refused !== null) return { result: "undecided", why: refused.why, tooLarge: refused.tooLarge };
    if (ctx.deadline.remainingMs() < minBudgetMs) return { result: "undecided", why: "no time left for the compute engine" };
    return quietly(() => compareInEngine(a, b, ctx));
}

function compareInEngine(a: string, b: string, ctx: CompareContext): ScalarOutcome {
    const ce = getEngine();
    ce.pushScope();
    try {
        const A = ce.parse(a);
        const B = ce.parse(b);
        if (!A.isValid || !B.isValid) return { result: "undecided", why: "the compute engine could not parse the answer" };
        if (A.isSame(B)) return { result: "equal", how: "symbolic-equal" };
        ctx.deadline.check("compute-engine parse");
        // Numeric values first: `unknowns` lists bound variables too (the k of a \sum), so a
        // constant expression is recognised by N() giving a number rather than by its unknowns.
        const numeric = compareNumeric(A.N(), B.N(), ctx, "numeric-equal");
        if (numeric.result !== "undecided") return numeric;
        ctx.deadline.check("compute-engine evaluation");
        const unknowns = [...new Set([...A.unknowns, ...B.unknowns])];
        if (unknowns.length === 0) return numeric;
        if (simplifiable(a) && simplifiable(b)) {
            const diff = ce.box(["Subtract", A, B]).simplify();
            if (diff.is(0)) return { result: "equal", how: "symbolic-equal" };
            ctx.deadline.check("compute-engine simplification");
        }
        return sampleCompare(ce, A, B, unknowns, ctx);
    } catch (error) {
        if (error instanceof VerifyAbort) throw error;
        return { result: "undecided", why: `compute engine: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
        ce.popScope();
    }
}

function compareNumeric(x: Boxed, y: Boxed, ctx: CompareContext, how: "numeric-equal" | "sample-equal"): ScalarOutcome {
    const { relTol, absTol } = ctx.opts;
    const values = [x.re, x.im, y.re, y.im];
    if (values.some((v) => typeof v !== "number" || Number.isNaN(v))) {
        return { result: "undecided", why: "the compute engine gave no numeric value" };
    }
    const [xr, xi, yr, yi] = values as [number, number, number, number];
    // Overflow shows as an infinity: two of them prove nothing, one against a finite value differs.
    const xFinite = Number.isFinite(xr) && Number.isFinite(xi);
    const yFinite = Number.isFinite(yr) && Number.isFinite(yi);
    if (!xFinite && !yFinite) return { result: "undecided", why: "both values are beyond the float range" };
    if (close(xr, yr, relTol, absTol) && close(xi, yi, relTol, absTol)) return { result: "equal", how };
    return { result: "different", why: `${xr}${xi !== 0 ? `+${xi}i` : ""} ≠ ${yr}${yi !== 0 ? `+${yi}i` : ""}` };
}

function sampleCompare(ce: Engine, A: Boxed, B: Boxed, unknowns: string[], ctx: CompareContext): ScalarOutcome {
    const random = seededRandom(0x5eed + unknowns.length);
    const wanted = Math.min(ctx.opts.samplePoints, 6);
    let agreed = 0;
    for (let attempt = 0; attempt < wanted * 2 && agreed < wanted; attempt++) {
        ctx.deadline.check("compute-engine sampling");
        const substitution: Record<string, Boxed> = {};
        for (const name of unknowns) substitution[name] = ce.number(0.2 + 2.8 * random());
        const outcome = compareNumeric(A.subs(substitution).N(), B.subs(substitution).N(), ctx, "sample-equal");
        if (outcome.result === "different") return outcome;
        if (outcome.result === "equal") agreed++;
    }
    return agreed >= Math.min(3, wanted)
        ? { result: "equal", how: "sample-equal" }
        : { result: "undecided", why: "too few sample points inside the domain" };
}
