/**
 * The parsed form of an answer: scalar expressions (Expr) and the answer structures built
 * from them (Value): intervals, sets, tuples, matrices, relations and lists of answers.
 */

export type Expr =
    /** A literal number; `text` keeps the digits so that integers compare exactly. */
    | { k: "num"; v: number; text: string }
    | { k: "sym"; name: string }
    | { k: "const"; name: "pi" | "e" | "inf" }
    | { k: "add"; terms: Expr[] }
    | { k: "mul"; factors: Expr[] }
    | { k: "neg"; x: Expr }
    | { k: "div"; n: Expr; d: Expr }
    | { k: "pow"; b: Expr; e: Expr }
    /** sqrt, root(x, n), sin … arctan, ln, log(x[, base]), exp, abs, floor, ceil, fact, binom, max, min, gcd, lcm */
    | { k: "fn"; name: string; args: Expr[] }
    /** x% and x°: kept as markers so a top-level percent or degree can be compared both ways. */
    | { k: "pct"; x: Expr }
    | { k: "deg"; x: Expr }
    /** a ± b (a is null for a leading ±): expands to two answers. */
    | { k: "pm"; a: Expr | null; b: Expr }
    /** A structure met where an expression was expected (only valid at answer level). */
    | { k: "struct"; v: Value };

export type RelOp = "=" | "<" | "<=" | ">" | ">=" | "!=";

export type Value =
    | { k: "expr"; e: Expr }
    | { k: "text"; s: string }
    | { k: "interval"; lo: Expr; hi: Expr; loClosed: boolean; hiClosed: boolean }
    | { k: "union"; parts: Value[] }
    | { k: "set"; items: Value[] }
    | { k: "tuple"; items: Value[] }
    | { k: "matrix"; rows: Expr[][] }
    | { k: "rel"; ops: RelOp[]; sides: Expr[] }
    | { k: "in"; lhs: Expr; rhs: Value }
    | { k: "list"; items: Value[] };

export function num(v: number, text = String(v)): Expr {
    return { k: "num", v, text };
}

/** Free symbols of an expression (constants excluded). */
export function freeSymbols(e: Expr, into: Set<string> = new Set()): Set<string> {
    switch (e.k) {
        case "sym":
            into.add(e.name);
            break;
        case "add":
            for (const t of e.terms) freeSymbols(t, into);
            break;
        case "mul":
            for (const f of e.factors) freeSymbols(f, into);
            break;
        case "neg":
        case "pct":
        case "deg":
            freeSymbols(e.x, into);
            break;
        case "div":
            freeSymbols(e.n, into);
            freeSymbols(e.d, into);
            break;
        case "pow":
            freeSymbols(e.b, into);
            freeSymbols(e.e, into);
            break;
        case "fn":
            for (const a of e.args) freeSymbols(a, into);
            break;
        case "pm":
            if (e.a !== null) freeSymbols(e.a, into);
            freeSymbols(e.b, into);
            break;
        default:
            break;
    }
    return into;
}

/** True when a ± appears anywhere in the expression. */
export function hasPlusMinus(e: Expr): boolean {
    switch (e.k) {
        case "pm":
            return true;
        case "add":
            return e.terms.some(hasPlusMinus);
        case "mul":
            return e.factors.some(hasPlusMinus);
        case "neg":
        case "pct":
        case "deg":
            return hasPlusMinus(e.x);
        case "div":
            return hasPlusMinus(e.n) || hasPlusMinus(e.d);
        case "pow":
            return hasPlusMinus(e.b) || hasPlusMinus(e.e);
        case "fn":
            return e.args.some(hasPlusMinus);
        default:
            return false;
    }
}

/** Replace each ± by + and by −; at most 3 of them (8 variants). */
export function expandPlusMinus(e: Expr, budget = { left: 3 }): Expr[] {
    const map = (parts: Expr[], build: (xs: Expr[]) => Expr): Expr[] => {
        let variants: Expr[][] = [[]];
        for (const p of parts) {
            const options = expandPlusMinus(p, budget);
            const next: Expr[][] = [];
            for (const v of variants) for (const o of options) next.push([...v, o]);
            variants = next;
        }
        return variants.map(build);
    };
    switch (e.k) {
        case "pm": {
            if (budget.left-- <= 0) return [e];
            const bs = expandPlusMinus(e.b, budget);
            const as = e.a === null ? [null] : expandPlusMinus(e.a, budget);
            const out: Expr[] = [];
            for (const a of as) {
                for (const b of bs) {
                    const neg: Expr = { k: "neg", x: b };
                    out.push(a === null ? b : { k: "add", terms: [a, b] });
                    out.push(a === null ? neg : { k: "add", terms: [a, neg] });
                }
            }
            return out;
        }
        case "add":
            return map(e.terms, (terms) => ({ k: "add", terms }));
        case "mul":
            return map(e.factors, (factors) => ({ k: "mul", factors }));
        case "neg":
            return expandPlusMinus(e.x, budget).map((x) => ({ k: "neg", x }));
        case "div":
            return map([e.n, e.d], ([n, d]) => ({ k: "div", n: n!, d: d! }));
        case "pow":
            return map([e.b, e.e], ([b, x]) => ({ k: "pow", b: b!, e: x! }));
        case "fn":
            return map(e.args, (args) => ({ k: "fn", name: e.name, args }));
        default:
            return [e];
    }
}

/** A copy of `e` with symbols renamed through `rename` (names not in the map are kept). */
export function renameSymbols(e: Expr, rename: ReadonlyMap<string, string>): Expr {
    const r = (x: Expr): Expr => renameSymbols(x, rename);
    switch (e.k) {
        case "sym":
            return { k: "sym", name: rename.get(e.name) ?? e.name };
        case "add":
            return { k: "add", terms: e.terms.map(r) };
        case "mul":
            return { k: "mul", factors: e.factors.map(r) };
        case "neg":
        case "pct":
        case "deg":
            return { k: e.k, x: r(e.x) };
        case "div":
            return { k: "div", n: r(e.n), d: r(e.d) };
        case "pow":
            return { k: "pow", b: r(e.b), e: r(e.e) };
        case "fn":
            return { k: "fn", name: e.name, args: e.args.map(r) };
        case "pm":
            return { k: "pm", a: e.a === null ? null : r(e.a), b: r(e.b) };
        default:
            return e;
    }
}
