/**
 * Real-valued numeric evaluation of an Expr in float64, bounded by construction: every node is
 * visited once and no operation loops on the size of a value (factorials and binomials are
 * capped, powers are Math.pow). An overflow that did not come from an explicit ∞ gives NaN, so
 * `10^{10^{10}}` is "not evaluable", never equal to ∞.
 */
import type { Expr } from "./ast.js";

export type Env = ReadonlyMap<string, number>;

const noEnv: Env = new Map();

export function evaluate(e: Expr, env: Env = noEnv): number {
    return evalNode(e, env);
}

function finite(result: number, ...inputs: number[]): number {
    if (Number.isFinite(result)) return result;
    // An infinity is legitimate only when an input already was one (∞ + 1, −∞).
    return inputs.some((x) => x === Infinity || x === -Infinity) ? result : NaN;
}

function evalNode(e: Expr, env: Env): number {
    switch (e.k) {
        case "num":
            return Number.isFinite(e.v) ? e.v : NaN; // "1e400" is too large to compare as a float
        case "sym":
            return env.get(e.name) ?? NaN;
        case "const":
            return e.name === "pi" ? Math.PI : e.name === "e" ? Math.E : Infinity;
        case "add": {
            let sum = 0;
            for (const t of e.terms) {
                const x = evalNode(t, env);
                sum = finite(sum + x, sum, x);
            }
            return sum;
        }
        case "mul": {
            let product = 1;
            for (const f of e.factors) {
                const x = evalNode(f, env);
                product = finite(product * x, product, x);
            }
            return product;
        }
        case "neg":
            return -evalNode(e.x, env);
        case "div": {
            const n = evalNode(e.n, env);
            const d = evalNode(e.d, env);
            if (d === 0) return NaN;
            return finite(n / d, n);
        }
        case "pow":
            return power(evalNode(e.b, env), evalNode(e.e, env));
        case "fn":
            return evalFunction(e.name, e.args.map((a) => evalNode(a, env)));
        case "pct":
            return evalNode(e.x, env) / 100;
        case "deg":
            return (evalNode(e.x, env) * Math.PI) / 180;
        default:
            return NaN; // ± and structures have no single value
    }
}

function power(b: number, x: number): number {
    if (b === 0 && x < 0) return NaN;
    let r = Math.pow(b, x);
    if (Number.isNaN(r) && b < 0 && Number.isFinite(x)) {
        // A real odd root of a negative base: (−8)^(1/3) = −2.
        for (const q of [3, 5, 7, 9]) {
            const p = Math.round(x * q);
            if (Math.abs(x * q - p) < 1e-12) {
                r = Math.pow(-b, x) * (p % 2 === 0 ? 1 : -1);
                break;
            }
        }
    }
    return finite(r, b, x);
}

function evalFunction(name: string, args: number[]): number {
    const x = args[0] ?? NaN;
    switch (name) {
        case "sqrt":
            return x < 0 ? NaN : Math.sqrt(x);
        case "cbrt":
            return Math.cbrt(x);
        case "root": {
            const n = args[1] ?? NaN;
            if (!Number.isInteger(n) || n <= 0) return power(x, 1 / n);
            return x < 0 && n % 2 === 1 ? -Math.pow(-x, 1 / n) : x < 0 ? NaN : Math.pow(x, 1 / n);
        }
        case "sin":
            return Math.sin(x);
        case "cos":
            return Math.cos(x);
        case "tan":
            return Math.tan(x);
        case "cot":
            return 1 / Math.tan(x);
        case "sec":
            return 1 / Math.cos(x);
        case "csc":
            return 1 / Math.sin(x);
        case "arcsin":
            return Math.asin(x);
        case "arccos":
            return Math.acos(x);
        case "arctan":
            return Math.atan(x);
        case "sinh":
            return finite(Math.sinh(x), x);
        case "cosh":
            return finite(Math.cosh(x), x);
        case "tanh":
            return Math.tanh(x);
        case "ln":
            return x <= 0 ? NaN : Math.log(x);
        case "log": {
            if (x <= 0) return NaN;
            const base = args[1] ?? 10;
            return base <= 0 || base === 1 ? NaN : Math.log(x) / Math.log(base);
        }
        case "exp":
            return finite(Math.exp(x), x);
        case "abs":
            return Math.abs(x);
        case "floor":
            return Math.floor(x);
        case "ceil":
            return Math.ceil(x);
        case "fact":
            return factorial(x);
        case "gamma":
            return gamma(x);
        case "binom":
            return binomial(x, args[1] ?? NaN);
        case "max":
            return args.length === 0 ? NaN : Math.max(...args);
        case "min":
            return args.length === 0 ? NaN : Math.min(...args);
        case "gcd":
            return args.reduce((a, b) => gcd(a, b));
        case "lcm":
            return args.reduce((a, b) => (a === 0 || b === 0 ? 0 : Math.abs(a * b) / gcd(a, b)));
        default:
            return NaN;
    }
}

function factorial(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 170) return NaN;
    let r = 1;
    for (let i = 2; i <= n; i++) r *= i;
    return r;
}

const lanczos = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Γ(x) by the Lanczos approximation (g = 7), reflected below 1/2; exact factorials for integers. */
function gamma(x: number): number {
    if (Number.isInteger(x)) return x <= 0 ? NaN : factorial(x - 1);
    if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
    if (x > 171.6) return NaN;
    const z = x - 1;
    let a = lanczos[0]!;
    const t = z + 7.5;
    for (let i = 1; i < 9; i++) a += lanczos[i]! / (z + i);
    return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * a;
}

function binomial(n: number, k: number): number {
    if (!Number.isInteger(n) || !Number.isInteger(k) || k < 0 || n < 0 || k > n) return k > n && k >= 0 ? 0 : NaN;
    const m = Math.min(k, n - k);
    if (m > 1000) return NaN;
    let r = 1;
    for (let i = 1; i <= m; i++) r = (r * (n - m + i)) / i;
    return finite(Math.round(r), n);
}

function gcd(a: number, b: number): number {
    if (!Number.isInteger(a) || !Number.isInteger(b) || !Number.isSafeInteger(a) || !Number.isSafeInteger(b)) return NaN;
    let x = Math.abs(a);
    let y = Math.abs(b);
    while (y !== 0) [x, y] = [y, x % y]; // at most ~80 steps for safe integers
    return x;
}

/** True when the expression is a literal integer (optionally negated); returns it exactly. */
export function literalInteger(e: Expr): bigint | null {
    if (e.k === "num") return /^\d+$/.test(e.text) ? BigInt(e.text) : null;
    if (e.k === "neg") {
        const inner = literalInteger(e.x);
        return inner === null ? null : -inner;
    }
    return null;
}

/** Deterministic generator for the sample points (mulberry32). */
export function seededRandom(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
