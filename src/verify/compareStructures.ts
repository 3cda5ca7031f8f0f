/**
 * Equality of answers with structure: intervals (ends and their open/closed kind must match),
 * unions, sets and lists of answers (order-free), tuples and matrices (ordered), relations
 * (equations up to a nonzero factor, inequalities up to a positive one, "x = 3" against 3,
 * "2 < x ≤ 5" against (2, 5]), and text.
 */
import { expandPlusMinus, freeSymbols, hasPlusMinus, type Expr, type RelOp, type Value } from "./ast.js";
import { compareExprs } from "./compareScalar.js";
import { close, type CompareContext, type ScalarOutcome, type Verdict } from "./compareTypes.js";
import { tooLarge } from "./deadline.js";
import { evaluate, seededRandom } from "./evaluate.js";
import type { VerifyReason } from "./types.js";

const maxItems = 256;

export function compareValues(gold: Value, pred: Value, ctx: CompareContext): Verdict {
    ctx.deadline.check("comparison");
    const g = expandValue(gold);
    const p = expandValue(pred);
    return compareExpanded(g, p, ctx);
}

/** "1 ± √2" becomes the list of its two answers; "x ∈ S" becomes S. */
function expandValue(v: Value): Value {
    if (v.k === "expr" && hasPlusMinus(v.e)) return { k: "list", items: expandPlusMinus(v.e).map((e) => ({ k: "expr", e })) };
    if (v.k === "in") return expandValue(v.rhs);
    if (v.k === "rel" && v.ops.length === 1 && v.ops[0] === "=" && hasPlusMinus(v.sides[1]!) && isSymbol(v.sides[0]!)) {
        return { k: "list", items: expandPlusMinus(v.sides[1]!).map((e) => ({ k: "expr", e })) };
    }
    return v;
}

function compareExpanded(g: Value, p: Value, ctx: CompareContext): Verdict {
    if (g.k === "text" || p.k === "text") {
        if (g.k !== "text" || p.k !== "text") return mismatch("a text answer against a mathematical one");
        return canonicalText(g.s) === canonicalText(p.s) ? yes("text-equal") : mismatch("different text");
    }
    if (g.k === "expr" && p.k === "expr") return fromScalar(compareExprs(g.e, p.e, ctx));

    // "x = 3" against 3 (either side): compare the value.
    const gv = solvedValue(g);
    const pv = solvedValue(p);
    if (gv !== null && p.k !== "rel") return compareExpanded({ k: "expr", e: gv }, p, ctx);
    if (pv !== null && g.k !== "rel") return compareExpanded(g, { k: "expr", e: pv }, ctx);

    if (g.k === "rel" || p.k === "rel") return compareRelations(g, p, ctx);

    const gi = asInterval(g);
    const pi = asInterval(p);
    if (g.k === "interval" || p.k === "interval") {
        if (gi === null || pi === null) return mismatch(`an interval against a ${g.k === "interval" ? p.k : g.k}`);
        return compareIntervals(gi, pi, ctx);
    }
    if (g.k === "union" || p.k === "union") {
        // "x < −2 or x > 2" is a list of two relations: its items are the parts.
        const parts = (v: Value) => (v.k === "union" ? v.parts : v.k === "list" ? v.items : [v]);
        const gp = parts(g);
        const pp = parts(p);
        return unordered(gp, pp, ctx, "set-equal");
    }
    if (g.k === "matrix" || p.k === "matrix") return compareMatrices(g, p, ctx);

    // Sets and lists of answers are order-free, tuples ordered; a list may stand for either,
    // but a set is never equal to a tuple.
    if (isCollection(g) && isCollection(p) && (g.items.length !== 1 || p.items.length === 1)) {
        if ((g.k === "set" && p.k === "tuple") || (g.k === "tuple" && p.k === "set")) return mismatch("a set against a tuple");
        if (g.k === "tuple" || p.k === "tuple") return ordered(g.items, p.items, ctx, "tuple-equal");
        return unordered(g.items, p.items, ctx, "set-equal");
    }

    // A one-element collection against its element: "{5}" and "5".
    if (isCollection(g) && g.items.length === 1) return compareExpanded(g.items[0]!, p, ctx);
    if (isCollection(p) && p.items.length === 1) return compareExpanded(g, p.items[0]!, ctx);
    return mismatch(`a ${g.k} against a ${p.k}`);
}

type Collection = Extract<Value, { k: "set" | "tuple" | "list" }>;

function isCollection(v: Value): v is Collection {
    return v.k === "set" || v.k === "tuple" || v.k === "list";
}

function yes(reason: VerifyReason): Verdict {
    return { equal: true, reason };
}

function mismatch(message: string): Verdict {
    return { equal: false, reason: "mismatch", message };
}

function fromScalar(outcome: ScalarOutcome): Verdict {
    if (outcome.result === "equal") return yes(outcome.how);
    if (outcome.result === "different") return mismatch(outcome.why);
    return { equal: false, reason: outcome.tooLarge === true ? "input-too-large" : "undecidable", message: outcome.why };
}

export function canonicalText(s: string): string {
    return s
        .toLowerCase()
        .replace(/[\s{}]+/g, " ")
        .replace(/^[\s(]*(?:the\s+)?|[\s).]*$/g, "")
        .trim();
}

function isSymbol(e: Expr): boolean {
    return e.k === "sym";
}

/** A lone symbol, or function notation such as f(x) and y(t). */
function isNamed(e: Expr): boolean {
    if (e.k === "sym") return true;
    if (e.k !== "mul" || e.factors.length !== 2) return false;
    const [f, x] = e.factors as [Expr, Expr];
    return f.k === "sym" && /^[fghpqyFGHPQ]$/.test(f.name) && x.k === "sym";
}

/** The value of "x = E", "f(x) = E" or "E = x". */
function solvedValue(v: Value): Expr | null {
    if (v.k !== "rel" || v.ops.length !== 1 || v.ops[0] !== "=") return null;
    const [l, r] = v.sides as [Expr, Expr];
    if (isNamed(l)) return r;
    if (isNamed(r)) return l;
    return null;
}

// ------------------------------------------------------------------------------ collections

function ordered(gs: Value[], ps: Value[], ctx: CompareContext, reason: VerifyReason): Verdict {
    if (gs.length !== ps.length) return mismatch(`${gs.length} items against ${ps.length}`);
    for (let i = 0; i < gs.length; i++) {
        const verdict = compareExpanded(expandValue(gs[i]!), expandValue(ps[i]!), ctx);
        if (!verdict.equal) return { ...verdict, message: `item ${i + 1}: ${verdict.message ?? verdict.reason}` };
    }
    return yes(reason);
}

function unordered(gs: Value[], ps: Value[], ctx: CompareContext, reason: VerifyReason): Verdict {
    if (gs.length !== ps.length) return mismatch(`${gs.length} items against ${ps.length}`);
    if (gs.length > maxItems) throw tooLarge(`more than ${maxItems} items in a set`);
    const used = new Uint8Array(ps.length);
    for (const gItem of gs) {
        let found = false;
        for (let j = 0; j < ps.length && !found; j++) {
            if (used[j] === 1) continue;
            if (compareExpanded(expandValue(gItem), expandValue(ps[j]!), ctx).equal) {
                used[j] = 1;
                found = true;
            }
        }
        if (!found) return mismatch("an item has no equal in the other answer");
    }
    return yes(reason);
}

function compareMatrices(g: Value, p: Value, ctx: CompareContext): Verdict {
    const gr = matrixRows(g);
    const pr = matrixRows(p);
    if (gr === null || pr === null) return mismatch(`a matrix against a ${g.k === "matrix" ? p.k : g.k}`);
    const flat = (rows: Expr[][]) => rows.flat();
    const sameShape = gr.length === pr.length && gr[0]!.length === pr[0]!.length;
    // A vector written as a one-row or one-column matrix matches a tuple of the same entries.
    const vectorLike = (rows: Expr[][]) => rows.length === 1 || rows[0]!.length === 1;
    if (!sameShape && !(vectorLike(gr) && vectorLike(pr) && flat(gr).length === flat(pr).length)) {
        return mismatch(`a ${gr.length}×${gr[0]!.length} matrix against ${pr.length}×${pr[0]!.length}`);
    }
    const ge = flat(gr);
    const pe = flat(pr);
    for (let i = 0; i < ge.length; i++) {
        const outcome = compareExprs(ge[i]!, pe[i]!, ctx);
        if (outcome.result !== "equal") return { ...fromScalar(outcome), message: `entry ${i + 1}: ${fromScalar(outcome).message}` };
    }
    return yes("matrix-equal");
}

function matrixRows(v: Value): Expr[][] | null {
    if (v.k === "matrix") return v.rows;
    if (v.k === "tuple" && v.items.every((x) => x.k === "expr")) return [v.items.map((x) => (x as { e: Expr }).e)];
    return null;
}

// -------------------------------------------------------------------------------- intervals

interface Interval {
    lo: Expr;
    hi: Expr;
    loClosed: boolean;
    hiClosed: boolean;
}

function asInterval(v: Value): Interval | null {
    if (v.k === "interval") return v;
    // "(a, b)" is a tuple or an open interval; read it as the interval when compared with one.
    if (v.k === "tuple" && v.items.length === 2 && v.items.every((x) => x.k === "expr")) {
        const [lo, hi] = v.items as [{ k: "expr"; e: Expr }, { k: "expr"; e: Expr }];
        return { lo: lo.e, hi: hi.e, loClosed: false, hiClosed: false };
    }
    if (v.k === "rel") return relationInterval(v);
    return null;
}

function isInfinite(e: Expr): boolean {
    const v = e.k === "const" || e.k === "neg" ? evaluate(e) : NaN;
    return v === Infinity || v === -Infinity;
}

function compareIntervals(g: Interval, p: Interval, ctx: CompareContext): Verdict {
    // The kind of an infinite end carries no meaning ("[1, ∞]" is read as "[1, ∞)").
    if (!isInfinite(g.lo) && g.loClosed !== p.loClosed) return mismatch("the lower ends differ in kind (open/closed)");
    if (!isInfinite(g.hi) && g.hiClosed !== p.hiClosed) return mismatch("the upper ends differ in kind (open/closed)");
    const lo = compareExprs(g.lo, p.lo, ctx);
    if (lo.result !== "equal") return { ...fromScalar(lo), message: `lower end: ${fromScalar(lo).message}` };
    const hi = compareExprs(g.hi, p.hi, ctx);
    if (hi.result !== "equal") return { ...fromScalar(hi), message: `upper end: ${fromScalar(hi).message}` };
    return yes("interval-equal");
}

// -------------------------------------------------------------------------------- relations

const flip: Record<RelOp, RelOp> = { "=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<=" };
const infinity: Expr = { k: "const", name: "inf" };
const minusInfinity: Expr = { k: "neg", x: infinity };

/** "x < 3", "3 ≥ x", "1 < x ≤ 2" with a lone symbol and constant bounds, as an interval. */
function relationInterval(v: Extract<Value, { k: "rel" }>): Interval | null {
    const constant = (e: Expr) => freeSymbols(e).size === 0;
    if (v.ops.length === 1) {
        let [l, r] = v.sides as [Expr, Expr];
        let op = v.ops[0]!;
        if (op === "=" || op === "!=") return null;
        if (constant(l) && isSymbol(r)) [l, r, op] = [r, l, flip[op]];
        if (!isSymbol(l) || !constant(r)) return null;
        if (op === "<" || op === "<=") return { lo: minusInfinity, hi: r, loClosed: false, hiClosed: op === "<=" };
        return { lo: r, hi: infinity, loClosed: op === ">=", hiClosed: false };
    }
    if (v.ops.length === 2) {
        let [a, x, b] = v.sides as [Expr, Expr, Expr];
        let [op1, op2] = v.ops as [RelOp, RelOp];
        if ((op1 === ">" || op1 === ">=") && (op2 === ">" || op2 === ">=")) [a, b, op1, op2] = [b, a, flip[op2], flip[op1]];
        const up = (op: RelOp) => op === "<" || op === "<=";
        if (!up(op1) || !up(op2) || !isSymbol(x) || !constant(a) || !constant(b)) return null;
        return { lo: a, hi: b, loClosed: op1 === "<=", hiClosed: op2 === "<=" };
    }
    return null;
}

function compareRelations(g: Value, p: Value, ctx: CompareContext): Verdict {
    const gi = asInterval(g);
    const pi = asInterval(p);
    if (gi !== null && pi !== null) {
        const verdict = compareIntervals(gi, pi, ctx);
        return verdict.equal ? yes("relation-equal") : verdict;
    }
    if (g.k !== "rel" || p.k !== "rel") return mismatch(`a relation against a ${g.k === "rel" ? p.k : g.k}`);
    if (g.ops.length !== p.ops.length) return mismatch("relations with different numbers of sides");
    if (g.ops.length > 1) {
        // Chains: read both in increasing direction and compare side by side.
        const gs = increasing(g);
        const ps = increasing(p);
        if (gs.ops.join() !== ps.ops.join()) return mismatch("different relation operators");
        for (let i = 0; i < gs.sides.length; i++) {
            const outcome = compareExprs(gs.sides[i]!, ps.sides[i]!, ctx);
            if (outcome.result !== "equal") return fromScalar(outcome);
        }
        return yes("relation-equal");
    }
    // Single relations: "L op R" as "L − R op 0"; equations match up to a nonzero factor,
    // inequalities up to a positive one (after turning > into <).
    const gn = towardsLess(g.sides[0]!, g.ops[0]!, g.sides[1]!);
    const pn = towardsLess(p.sides[0]!, p.ops[0]!, p.sides[1]!);
    if (gn.op !== pn.op) return mismatch("different relation operators");
    const symmetric = gn.op === "=" || gn.op === "!=";
    // Both solved for a symbol ("x = 3", "k = 3"): the values decide.
    const gv = solvedValue(g);
    const pv = solvedValue(p);
    if (symmetric && gv !== null && pv !== null) {
        const outcome = compareExprs(gv, pv, ctx);
        if (outcome.result === "equal") return yes("relation-equal");
    }
    return proportional(gn.diff, pn.diff, symmetric, ctx) ? yes("relation-equal") : mismatch("the relations are not equivalent");
}

function increasing(v: Extract<Value, { k: "rel" }>): { ops: RelOp[]; sides: Expr[] } {
    if (v.ops.every((op) => op === ">" || op === ">=")) return { ops: [...v.ops].reverse().map((op) => flip[op]), sides: [...v.sides].reverse() };
    return { ops: v.ops, sides: v.sides };
}

function towardsLess(l: Expr, op: RelOp, r: Expr): { diff: Expr; op: RelOp } {
    const minus = (a: Expr, b: Expr): Expr => ({ k: "add", terms: [a, { k: "neg", x: b }] });
    if (op === ">" || op === ">=") return { diff: minus(r, l), op: flip[op] };
    return { diff: minus(l, r), op };
}

/** f = c·g for a constant c ≠ 0 (c > 0 unless `anySign`), checked at seeded random points. */
function proportional(f: Expr, g: Expr, anySign: boolean, ctx: CompareContext): boolean {
    const names = [...freeSymbols(g, freeSymbols(f))].sort();
    const random = seededRandom(0x51ed ^ names.length);
    const env = new Map<string, number>();
    let ratio: number | null = null;
    let agreed = 0;
    for (let attempt = 0; attempt < ctx.opts.samplePoints * 3 && agreed < ctx.opts.samplePoints; attempt++) {
        if ((attempt & 3) === 0) ctx.deadline.check("relation sampling");
        for (const name of names) env.set(name, attempt % 2 === 0 ? 0.2 + 2.8 * random() : -3 + 6 * random());
        const fv = evaluate(f, env);
        const gv = evaluate(g, env);
        if (!Number.isFinite(fv) || !Number.isFinite(gv)) continue;
        const fZero = close(fv, 0, 0, ctx.opts.absTol);
        const gZero = close(gv, 0, 0, ctx.opts.absTol);
        if (fZero || gZero) {
            if (fZero !== gZero) return false;
            continue;
        }
        const r = fv / gv;
        if (ratio === null) {
            if (!anySign && r < 0) return false;
            ratio = r;
        } else if (!close(r, ratio, ctx.opts.relTol, ctx.opts.absTol)) {
            return false;
        }
        agreed++;
        if (names.length === 0) return true;
    }
    return agreed >= Math.min(3, ctx.opts.samplePoints);
}
