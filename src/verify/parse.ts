/**
 * Recursive-descent parser from normalised answer text (LaTeX or plain) to a Value.
 *
 * Precedence, loosest first: list of answers (",", ";", "and", "or") → union (\cup) → relation
 * (=, <, \le, \in …, chains allowed) → sum (+, −, ±) → product (*, \cdot, \times, /, \div and
 * juxtaposition) → unary sign → power (right-associative) → postfix (!, %, °) → primary.
 *
 * Brackets decide structure: "(a)" groups, "(a, b)" is a tuple (or an open interval), "[a, b)"
 * and friends are intervals, "\{…\}" and "{a, b}" are sets, \begin{pmatrix} is a matrix.
 * Nesting deeper than `maxDepth` aborts with input-too-large rather than recursing on.
 */
import type { Expr, RelOp, Value } from "./ast.js";
import { tooLarge } from "./deadline.js";
import { tokenize, type Token } from "./tokenize.js";

export class ParseError extends Error {}

const functionNames: Record<string, string> = {
    sin: "sin", cos: "cos", tan: "tan", cot: "cot", sec: "sec", csc: "csc", tg: "tan",
    arcsin: "arcsin", arccos: "arccos", arctan: "arctan", asin: "arcsin", acos: "arccos", atan: "arctan",
    sinh: "sinh", cosh: "cosh", tanh: "tanh", ln: "ln", log: "log", lg: "log", exp: "exp",
    sqrt: "sqrt", cbrt: "cbrt", abs: "abs", floor: "floor", ceil: "ceil",
    max: "max", min: "min", gcd: "gcd", lcm: "lcm",
};
const inverseTrig: Record<string, string> = { sin: "arcsin", cos: "arccos", tan: "arctan" };

const greek = new Set([
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
]);

const relationCommands: Record<string, RelOp> = {
    le: "<=", leq: "<=", leqslant: "<=", ge: ">=", geq: ">=", geqslant: ">=", lt: "<", gt: ">",
    ne: "!=", neq: "!=", approx: "=", equiv: "=", simeq: "=",
};
const relationOps: Record<string, RelOp> = { "=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "!=" };

const matrixEnvs = new Set(["matrix", "pmatrix", "bmatrix", "Bmatrix", "smallmatrix", "array"]);

export function parseAnswer(text: string, maxDepth: number): Value {
    let tokens: Token[];
    try {
        tokens = tokenize(text);
    } catch (error) {
        throw new ParseError((error as Error).message);
    }
    if (tokens.length === 0) throw new ParseError("empty answer");
    const parser = new Parser(tokens, maxDepth);
    const value = parser.parseList();
    if (!parser.atEnd()) throw new ParseError(`unexpected "${parser.peek()?.v}"`);
    return value;
}

class Parser {
    private pos = 0;
    private depth = 0;
    private absDepth = 0;

    constructor(
        private readonly toks: Token[],
        private readonly maxDepth: number,
    ) {}

    atEnd(): boolean {
        return this.pos >= this.toks.length;
    }

    peek(offset = 0): Token | undefined {
        return this.toks[this.pos + offset];
    }

    private isOp(v: string, offset = 0): boolean {
        const t = this.peek(offset);
        return t !== undefined && t.t === "op" && t.v === v;
    }

    private isCmd(v: string): boolean {
        const t = this.peek();
        return t !== undefined && t.t === "cmd" && t.v === v;
    }

    private isWord(v: string): boolean {
        const t = this.peek();
        return t !== undefined && t.t === "word" && t.v === v;
    }

    private expectOp(v: string): void {
        if (!this.isOp(v)) throw new ParseError(`expected "${v}" but found "${this.peek()?.v ?? "end"}"`);
        this.pos++;
    }

    private enter(): void {
        if (++this.depth > this.maxDepth) throw tooLarge(`nesting deeper than ${this.maxDepth}`);
    }

    private leave(): void {
        this.depth--;
    }

    // ------------------------------------------------------------------------------ answers

    parseList(): Value {
        const items = [this.parseUnion()];
        while (this.isOp(",") || this.isOp(";") || this.isWord("and") || this.isWord("or")) {
            this.pos++;
            if (this.atEnd()) break;
            items.push(this.parseUnion());
        }
        return items.length === 1 ? items[0]! : { k: "list", items };
    }

    private parseUnion(): Value {
        const parts = [this.parseRelation()];
        while (this.isCmd("cup") || (this.isWord("U") && isSetLike(parts.at(-1)!))) {
            this.pos++;
            parts.push(this.parseRelation());
        }
        return parts.length === 1 ? parts[0]! : { k: "union", parts };
    }

    private parseRelation(): Value {
        const first = this.parseExpr();
        if (this.isCmd("in")) {
            this.pos++;
            if (first.k === "struct") throw new ParseError("a structure before \\in");
            return { k: "in", lhs: first, rhs: this.parseUnion() };
        }
        const ops: RelOp[] = [];
        const sides: Expr[] = [first];
        for (;;) {
            const op = this.relationOp();
            if (op === null) break;
            ops.push(op);
            sides.push(this.parseExpr());
        }
        if (ops.length === 0) return first.k === "struct" ? first.v : { k: "expr", e: first };
        if (sides.some((side) => side.k === "struct")) throw new ParseError("a structure inside a relation");
        return { k: "rel", ops, sides };
    }

    private relationOp(): RelOp | null {
        const t = this.peek();
        if (t === undefined) return null;
        const op = t.t === "op" ? relationOps[t.v] : t.t === "cmd" ? relationCommands[t.v] : undefined;
        if (op === undefined) return null;
        this.pos++;
        return op;
    }

    // ---------------------------------------------------------------------------- arithmetic

    private parseExpr(): Expr {
        this.enter();
        let acc = this.parseTerm();
        for (;;) {
            if (this.isOp("+")) {
                this.pos++;
                acc = add(acc, this.parseTerm());
            } else if (this.isOp("-")) {
                this.pos++;
                acc = add(acc, { k: "neg", x: this.parseTerm() });
            } else if (this.isCmd("pm") || this.isCmd("mp")) {
                const sign = this.peek()!.v;
                this.pos++;
                const b = this.parseTerm();
                acc = { k: "pm", a: acc, b: sign === "mp" ? { k: "neg", x: b } : b };
            } else {
                break;
            }
        }
        this.leave();
        return acc;
    }

    private parseTerm(): Expr {
        let acc = this.parseUnary();
        for (;;) {
            if (this.isOp("*") || this.isCmd("cdot") || this.isCmd("times") || this.isCmd("ast")) {
                this.pos++;
                acc = mul(acc, this.parseUnary());
            } else if (this.isOp("/") || this.isCmd("div")) {
                this.pos++;
                acc = { k: "div", n: acc, d: this.parseUnary() };
            } else if (this.startsImplicitFactor()) {
                acc = mul(acc, this.parsePower());
            } else {
                break;
            }
        }
        if (acc.k === "mul" && acc.factors.some((f) => f.k === "struct")) {
            throw new ParseError("a structure inside a product");
        }
        return acc;
    }

    private startsImplicitFactor(): boolean {
        const t = this.peek();
        if (t === undefined) return false;
        if (t.t === "num") return true;
        if (t.t === "word") return t.v !== "and" && t.v !== "or" && !(t.v === "U" && this.isUnionWord());
        if (t.t === "cmd") {
            return (
                t.v === "frac" || t.v === "sqrt" || t.v === "binom" || t.v === "pi" || t.v === "infty" ||
                t.v === "lfloor" || t.v === "lceil" || t.v === "e" || greek.has(t.v) || t.v in functionNames ||
                t.v.startsWith("begin:")
            );
        }
        return t.v === "(" || t.v === "{" || (t.v === "|" && this.absDepth === 0);
    }

    private isUnionWord(): boolean {
        const next = this.peek(1);
        return next !== undefined && next.t === "op" && (next.v === "(" || next.v === "[");
    }

    private parseUnary(): Expr {
        if (!this.isOp("-") && !this.isOp("+") && !this.isCmd("pm") && !this.isCmd("mp")) return this.parsePower();
        const sign = this.peek()!.v;
        this.pos++;
        this.enter();
        const x = this.parseUnary();
        this.leave();
        if (sign === "+") return x;
        if (sign === "-") return { k: "neg", x };
        return { k: "pm", a: null, b: sign === "mp" ? { k: "neg", x } : x };
    }

    private parsePower(): Expr {
        let base = this.parsePostfix(this.parsePrimary());
        if (this.isOp("^")) {
            this.pos++;
            base = this.parsePostfix({ k: "pow", b: base, e: this.parseExponent() });
        }
        return base;
    }

    private parseExponent(): Expr {
        this.enter();
        let out: Expr;
        if (this.isOp("{")) out = this.parseBraceGroup();
        else if (this.isOp("-")) {
            this.pos++;
            out = { k: "neg", x: this.parsePower() };
        } else if (this.isOp("+")) {
            this.pos++;
            out = this.parsePower();
        } else out = this.parsePower();
        this.leave();
        return out;
    }

    private parsePostfix(e: Expr): Expr {
        let out = e;
        for (;;) {
            if (this.isOp("!")) out = { k: "fn", name: "fact", args: [out] };
            else if (this.isOp("%")) out = { k: "pct", x: out };
            else if (this.isOp("°")) out = { k: "deg", x: out };
            else if (this.isOp("'") && out.k === "sym") out = { k: "sym", name: `${out.name}'` };
            else break;
            this.pos++;
        }
        return out;
    }

    // ------------------------------------------------------------------------------ primaries

    private parsePrimary(): Expr {
        const t = this.peek();
        if (t === undefined) throw new ParseError("unexpected end of answer");
        if (t.t === "num") {
            this.pos++;
            return { k: "num", v: Number(t.v), text: t.v };
        }
        if (t.t === "word") return this.parseWord(t.v);
        if (t.t === "cmd") return this.parseCommand(t.v);
        switch (t.v) {
            case "(":
            case "[":
                return this.parseBracket();
            case "{":
                return this.parseBraceStructure();
            case "|": {
                this.pos++;
                this.absDepth++;
                const inner = this.parseExpr();
                this.absDepth--;
                this.expectOp("|");
                return { k: "fn", name: "abs", args: [inner] };
            }
            default:
                throw new ParseError(`unexpected "${t.v}"`);
        }
    }

    private parseWord(word: string): Expr {
        this.pos++;
        if (word === "pi") return { k: "const", name: "pi" };
        if (word === "e") return { k: "const", name: "e" };
        if (word === "inf" || word === "infty" || word === "infinity" || word === "oo") return { k: "const", name: "inf" };
        const fn = functionNames[word];
        if (fn !== undefined && word.length > 1) return this.parseFunction(fn);
        if (word.length > 1) throw new ParseError(`unexpected word "${word}"`);
        return this.withSubscript({ k: "sym", name: word });
    }

    private withSubscript(sym: { k: "sym"; name: string }): Expr {
        if (!this.isOp("_")) return sym;
        this.pos++;
        const t = this.peek();
        if (t === undefined) throw new ParseError("subscript without argument");
        let sub: string;
        if (this.isOp("{")) {
            const start = this.pos;
            this.parseBraceGroup();
            sub = this.toks.slice(start + 1, this.pos - 1).map((x) => x.v).join("");
        } else {
            this.pos++;
            sub = t.v;
        }
        return { k: "sym", name: `${sym.name}_${sub}` };
    }

    private parseCommand(name: string): Expr {
        this.pos++;
        if (name === "frac") {
            const n = this.parseLatexArg();
            return { k: "div", n, d: this.parseLatexArg() };
        }
        if (name === "sqrt") {
            if (this.isOp("[")) {
                this.pos++;
                const index = this.parseExpr();
                this.expectOp("]");
                return { k: "fn", name: "root", args: [this.parseLatexArg(), index] };
            }
            return { k: "fn", name: "sqrt", args: [this.parseLatexArg()] };
        }
        if (name === "binom") {
            const n = this.parseLatexArg();
            return { k: "fn", name: "binom", args: [n, this.parseLatexArg()] };
        }
        if (name === "pi") return { k: "const", name: "pi" };
        if (name === "infty" || name === "infinity") return { k: "const", name: "inf" };
        if (name === "e") return { k: "const", name: "e" };
        if (name === "emptyset") return { k: "struct", v: { k: "set", items: [] } };
        if (name === "Gamma" && this.isOp("(")) return this.parseFunction("gamma");
        if (greek.has(name)) return this.withSubscript({ k: "sym", name });
        if (name === "lfloor" || name === "lceil") {
            const inner = this.parseExpr();
            const close = name === "lfloor" ? "rfloor" : "rceil";
            if (!this.isCmd(close)) throw new ParseError(`expected \\${close}`);
            this.pos++;
            return { k: "fn", name: name === "lfloor" ? "floor" : "ceil", args: [inner] };
        }
        if (name === "lvert" || name === "vert") {
            const inner = this.parseExpr();
            if (!this.isCmd("rvert") && !this.isCmd("vert")) throw new ParseError("expected \\rvert");
            this.pos++;
            return { k: "fn", name: "abs", args: [inner] };
        }
        if (name === "{") return this.parseEscapedSet();
        if (name.startsWith("begin:")) return this.parseMatrix(name.slice("begin:".length));
        const fn = functionNames[name];
        if (fn !== undefined) return this.parseFunction(fn);
        throw new ParseError(`unsupported command \\${name}`);
    }

    /** \frac / \sqrt / \binom argument: a brace group or a single token (\frac12 = 1/2). */
    private parseLatexArg(): Expr {
        const t = this.peek();
        if (t === undefined) throw new ParseError("missing argument");
        if (this.isOp("{")) return this.parseBraceGroup();
        if (t.t === "num") {
            if (t.v.length > 1 && /^\d/.test(t.v)) {
                const digit = t.v[0]!;
                this.toks[this.pos] = { t: "num", v: t.v.slice(1) };
                return { k: "num", v: Number(digit), text: digit };
            }
            this.pos++;
            return { k: "num", v: Number(t.v), text: t.v };
        }
        return this.parsePrimary();
    }

    private parseFunction(name: string): Expr {
        let power: Expr | null = null;
        let fn = name;
        if (this.isOp("^")) {
            this.pos++;
            power = this.parseExponent();
            const inverse = inverseTrig[fn];
            if (inverse !== undefined && power.k === "neg" && power.x.k === "num" && power.x.v === 1) {
                fn = inverse;
                power = null;
            }
        }
        let base: Expr | null = null;
        if (this.isOp("_") && fn === "log") {
            this.pos++;
            base = this.parseLatexArg();
        }
        let args: Expr[];
        if (this.isOp("(")) {
            this.pos++;
            args = [this.parseExpr()];
            while (this.isOp(",")) {
                this.pos++;
                args.push(this.parseExpr());
            }
            this.expectOp(")");
        } else if (this.isOp("{")) {
            args = [this.parseBraceGroup()];
        } else {
            // \sin 2x = sin(2x); the argument stops at the next function or operator.
            let arg = this.parsePower();
            while (this.startsImplicitFactor() && !this.startsFunction()) arg = mul(arg, this.parsePower());
            args = [arg];
        }
        if (base !== null) args = [args[0]!, base];
        let out: Expr = { k: "fn", name: fn, args };
        if (power !== null) out = { k: "pow", b: out, e: power };
        return out;
    }

    private startsFunction(): boolean {
        const t = this.peek();
        return t !== undefined && (t.t === "cmd" || t.t === "word") && t.v.length > 1 && t.v in functionNames;
    }

    private parseBraceGroup(): Expr {
        this.expectOp("{");
        const inner = this.parseExpr();
        this.expectOp("}");
        return inner;
    }

    /** "(a)" groups; "(a, b)" tuple; "[a, b]", "[a, b)", "(a, b]" intervals; three or more: tuple. */
    private parseBracket(): Expr {
        const open = this.peek()!.v;
        this.pos++;
        const items = this.parseItems([")", "]"]);
        const close = this.peek()!.v;
        this.pos++;
        if (items.length === 1) {
            if ((open === "(") !== (close === ")")) throw new ParseError(`"${open}" closed by "${close}"`);
            const only = items[0]!;
            if (only.k === "expr") return only.e;
            if (open === "(" && close === ")") return { k: "struct", v: only };
            throw new ParseError("a bracketed relation");
        }
        if (items.length === 2 && !(open === "(" && close === ")")) {
            const [lo, hi] = items;
            if (lo!.k !== "expr" || hi!.k !== "expr") throw new ParseError("interval ends must be expressions");
            return { k: "struct", v: { k: "interval", lo: lo!.e, hi: hi!.e, loClosed: open === "[", hiClosed: close === "]" } };
        }
        return { k: "struct", v: { k: "tuple", items } };
    }

    /** A LaTeX group "{…}": one item groups, several make a set. */
    private parseBraceStructure(): Expr {
        this.pos++;
        const items = this.parseItems(["}"]);
        this.pos++;
        if (items.length === 1 && items[0]!.k === "expr") return items[0]!.e;
        return { k: "struct", v: { k: "set", items } };
    }

    private parseEscapedSet(): Expr {
        if (this.isCmd("}")) {
            this.pos++;
            return { k: "struct", v: { k: "set", items: [] } };
        }
        const items = [this.parseUnion()];
        while (this.isOp(",") || this.isOp(";")) {
            this.pos++;
            items.push(this.parseUnion());
        }
        if (!this.isCmd("}")) throw new ParseError("expected \\}");
        this.pos++;
        return { k: "struct", v: { k: "set", items } };
    }

    private parseItems(closers: string[]): Value[] {
        const items: Value[] = [this.parseUnion()];
        while (this.isOp(",") || this.isOp(";")) {
            this.pos++;
            items.push(this.parseUnion());
        }
        const t = this.peek();
        if (t === undefined || t.t !== "op" || !closers.includes(t.v)) {
            throw new ParseError(`expected ${closers.join(" or ")} but found "${t?.v ?? "end"}"`);
        }
        return items;
    }

    private parseMatrix(env: string): Expr {
        if (!matrixEnvs.has(env)) throw new ParseError(`unsupported environment ${env}`);
        const rows: Expr[][] = [];
        let row: Expr[] = [];
        for (;;) {
            if (this.isCmd(`end:${env}`)) {
                this.pos++;
                break;
            }
            if (this.atEnd()) throw new ParseError(`unclosed ${env}`);
            row.push(this.parseExpr());
            if (this.isOp("&")) {
                this.pos++;
            } else if (this.isOp("\\\\")) {
                this.pos++;
                rows.push(row);
                row = [];
            }
        }
        if (row.length > 0) rows.push(row);
        if (rows.length === 0 || rows.some((r) => r.length !== rows[0]!.length)) throw new ParseError("ragged matrix");
        return { k: "struct", v: { k: "matrix", rows } };
    }
}

function isSetLike(v: Value): boolean {
    return v.k === "interval" || v.k === "set" || v.k === "tuple";
}

function add(a: Expr, b: Expr): Expr {
    if (a.k === "struct" || b.k === "struct") throw new ParseError("a structure inside a sum");
    if (a.k === "add") {
        a.terms.push(b); // the accumulator is always a node this parser just built
        return a;
    }
    return { k: "add", terms: [a, b] };
}

function mul(a: Expr, b: Expr): Expr {
    if (a.k === "mul") {
        a.factors.push(b);
        return a;
    }
    return { k: "mul", factors: [a, b] };
}
