/**
 * Equality of two scalar expressions.
 *
 * In order: top-level percent and degree markers ("50%" is 50 and 0.5; "30°" is 30 and π/6),
 * exact equality of integer literals, float64 evaluation with relative tolerance when there are
 * no free symbols, agreement at seeded random points when there are, and the compute engine
 * when none of these can decide (values outside the float range, points outside the domain).
 */
import { freeSymbols, renameSymbols, type Expr } from "./ast.js";
import { casCompare } from "./cas.js";
import { close, type CompareContext, type ScalarOutcome } from "./compareTypes.js";
import { evaluate, literalInteger, seededRandom } from "./evaluate.js";
import { toLatex } from "./latex.js";

type Unit = "pct" | "deg" | null;

interface WithUnit {
    e: Expr;
    unit: Unit;
}

/** Peel a top-level % or ° (through a leading minus sign). */
function splitUnit(e: Expr): WithUnit {
    if (e.k === "pct" || e.k === "deg") return { e: e.x, unit: e.k };
    if (e.k === "neg" && (e.x.k === "pct" || e.x.k === "deg")) return { e: { k: "neg", x: e.x.x }, unit: e.x.k };
    return { e, unit: null };
}

export function compareExprs(a: Expr, b: Expr, ctx: CompareContext): ScalarOutcome {
    ctx.deadline.check("comparison");
    const ua = splitUnit(a);
    const ub = splitUnit(b);
    if (ua.unit === ub.unit) return compareBare(ua.e, ub.e, ctx);
    if (ua.unit === "pct" || ub.unit === "pct") {
        const [percent, other] = ua.unit === "pct" ? [ua.e, b] : [ub.e, a];
        const readings: Expr[] = [{ k: "div", n: percent, d: { k: "num", v: 100, text: "100" } }];
        if (ctx.opts.percentEquivalence) readings.push(percent);
        return firstEqual(readings, other, ctx);
    }
    const [degrees, other] = ua.unit === "deg" ? [ua.e, b] : [ub.e, a];
    const radians: Expr = { k: "div", n: { k: "mul", factors: [degrees, { k: "const", name: "pi" }] }, d: { k: "num", v: 180, text: "180" } };
    return firstEqual(mentionsPi(other) ? [radians, degrees] : [degrees, radians], other, ctx);
}

function firstEqual(readings: Expr[], other: Expr, ctx: CompareContext): ScalarOutcome {
    let last: ScalarOutcome = { result: "different", why: "no reading matched" };
    for (const reading of readings) {
        const outcome = compareBare(reading, other, ctx);
        if (outcome.result === "equal") return outcome;
        if (last.result !== "undecided") last = outcome;
    }
    return last;
}

function mentionsPi(e: Expr): boolean {
    return JSON.stringify(e).includes('"pi"');
}

function compareBare(a: Expr, b: Expr, ctx: CompareContext): ScalarOutcome {
    const ia = literalInteger(a);
    const ib = literalInteger(b);
    if (ia !== null && ib !== null) {
        return ia === ib ? { result: "equal", how: "numeric-equal" } : { result: "different", why: `${ia} ≠ ${ib}` };
    }
    const symbols = freeSymbols(b, freeSymbols(a));
    let outcome: ScalarOutcome;
    if (symbols.size === 0) {
        const va = evaluate(a);
        const vb = evaluate(b);
        const { relTol, absTol } = ctx.opts;
        if (Number.isFinite(va) && Number.isFinite(vb)) {
            outcome = close(va, vb, relTol, absTol)
                ? { result: "equal", how: "numeric-equal" }
                : { result: "different", why: `${va} ≠ ${vb}` };
        } else if (!Number.isNaN(va) && !Number.isNaN(vb)) {
            // At least one explicit infinity and no overflow on either side.
            outcome = va === vb ? { result: "equal", how: "numeric-equal" } : { result: "different", why: `${va} ≠ ${vb}` };
        } else {
            outcome = { result: "undecided", why: "a value is outside the float range or the real domain" };
        }
    } else {
        outcome = sampleCompare(a, b, [...symbols].sort(), ctx);
    }
    // A free "i" is read as a variable here; only the engine knows it as the imaginary unit
    // (e^{i\pi} = −1), so its verdict decides when sampling did not find the two equal.
    const imaginary = symbols.has("i") && outcome.result === "different";
    if ((outcome.result !== "undecided" && !imaginary) || !ctx.opts.useCas) return outcome;
    const cas = casCompare(...casLatex(a, b, symbols), ctx);
    if (imaginary && cas.result === "undecided") return outcome;
    if (cas.result === "undecided" && outcome.result === "undecided") {
        return { ...cas, tooLarge: cas.tooLarge === true || outcome.tooLarge === true };
    }
    return cas;
}

/** LaTeX for the engine, with symbols renamed to plain letters (it reads x_1 as indexing). */
function casLatex(a: Expr, b: Expr, symbols: Set<string>): [string, string] {
    const pool = "xyztuvwabcdfghjklmnpqrs".split("").filter((c) => !symbols.has(c));
    const rename = new Map<string, string>();
    for (const name of symbols) {
        if (/^[a-zA-Z]$/.test(name)) continue; // single letters are safe, and "i" must stay i
        const fresh = pool.shift();
        if (fresh !== undefined) rename.set(name, fresh);
    }
    const prepare = (e: Expr) => toLatex(rename.size > 0 ? renameSymbols(e, rename) : e);
    return [prepare(a), prepare(b)];
}

/** Agreement at seeded random points: alternately positive (friendly to roots and logs) and signed. */
function sampleCompare(a: Expr, b: Expr, names: string[], ctx: CompareContext): ScalarOutcome {
    const { relTol, absTol, samplePoints } = ctx.opts;
    const random = seededRandom(0x9e3779b9 ^ names.length);
    const env = new Map<string, number>();
    let agreed = 0;
    for (let attempt = 0; attempt < samplePoints * 3 && agreed < samplePoints; attempt++) {
        if ((attempt & 3) === 0) ctx.deadline.check("sampling");
        for (const name of names) env.set(name, attempt % 2 === 0 ? 0.2 + 2.8 * random() : -3 + 6 * random());
        const va = evaluate(a, env);
        const vb = evaluate(b, env);
        if (!Number.isFinite(va) || !Number.isFinite(vb)) continue;
        if (!close(va, vb, relTol, absTol)) {
            const at = names.map((n) => `${n}=${env.get(n)!.toPrecision(4)}`).join(", ");
            return { result: "different", why: `at ${at}: ${va} ≠ ${vb}` };
        }
        agreed++;
    }
    return agreed >= Math.min(3, samplePoints)
        ? { result: "equal", how: "sample-equal" }
        : { result: "undecided", why: "too few sample points inside the domain" };
}
