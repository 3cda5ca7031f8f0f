/**
 * Serialise an Expr to LaTeX, so that plain-text answers ("sqrt(2)/2") reach the compute
 * engine in the only syntax it parses.
 */
import type { Expr } from "./ast.js";

const greekCommands = /^(?:alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|xi|rho|sigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Sigma|Phi|Psi|Omega)/;

export function toLatex(e: Expr): string {
    switch (e.k) {
        case "num": {
            const sci = /^(\d+(?:\.\d+)?)[eE]([+-]?\d+)$/.exec(e.text);
            return sci === null ? e.text : `${sci[1]}\\times10^{${Number(sci[2])}}`;
        }
        case "sym":
            return symbolLatex(e.name);
        case "const":
            return e.name === "pi" ? "\\pi" : e.name === "e" ? "e" : "\\infty";
        case "add":
            return e.terms
                .map((t, i) => {
                    if (t.k === "neg") return `-${wrapSum(t.x)}`;
                    return i === 0 ? toLatex(t) : `+${toLatex(t)}`;
                })
                .join("");
        case "mul":
            return e.factors.map(wrapSum).join("\\cdot ");
        case "neg":
            return `-${wrapSum(e.x)}`;
        case "div":
            return `\\frac{${toLatex(e.n)}}{${toLatex(e.d)}}`;
        case "pow":
            return `${wrapAtom(e.b)}^{${toLatex(e.e)}}`;
        case "fn":
            return functionLatex(e.name, e.args);
        case "pct":
            return `${wrapAtom(e.x)}\\%`;
        case "deg":
            return `${wrapAtom(e.x)}^\\circ`;
        case "pm":
            return e.a === null ? `\\pm ${wrapSum(e.b)}` : `${toLatex(e.a)}\\pm ${wrapSum(e.b)}`;
        case "struct":
            return "\\operatorname{structure}";
    }
}

function symbolLatex(name: string): string {
    const [head, ...sub] = name.split("_");
    const base = greekCommands.test(head ?? "") && (head ?? "").length > 1 ? `\\${head}` : (head ?? "");
    return sub.length === 0 ? base : `${base}_{${sub.join("_")}}`;
}

function wrapSum(e: Expr): string {
    return e.k === "add" || e.k === "pm" || e.k === "neg" ? `\\left(${toLatex(e)}\\right)` : toLatex(e);
}

function wrapAtom(e: Expr): string {
    const simple = (e.k === "num" && !/[eE]/.test(e.text) && !e.text.startsWith("-")) || e.k === "sym" || e.k === "const";
    return simple ? toLatex(e) : `\\left(${toLatex(e)}\\right)`;
}

function functionLatex(name: string, args: Expr[]): string {
    const [x, y] = args;
    const a = x === undefined ? "" : toLatex(x);
    switch (name) {
        case "sqrt":
            return `\\sqrt{${a}}`;
        case "cbrt":
            return `\\sqrt[3]{${a}}`;
        case "root":
            return `\\sqrt[${y === undefined ? "" : toLatex(y)}]{${a}}`;
        case "abs":
            return `\\left|${a}\\right|`;
        case "floor":
            return `\\lfloor ${a}\\rfloor`;
        case "ceil":
            return `\\lceil ${a}\\rceil`;
        case "fact":
            return `${x === undefined ? "" : wrapAtom(x)}!`;
        case "binom":
            return `\\binom{${a}}{${y === undefined ? "" : toLatex(y)}}`;
        case "gamma":
            return `\\Gamma\\left(${a}\\right)`;
        case "log":
            return y === undefined ? `\\log\\left(${a}\\right)` : `\\log_{${toLatex(y)}}\\left(${a}\\right)`;
        case "max":
        case "min":
        case "gcd":
        case "lcm":
            return `\\operatorname{${name}}\\left(${args.map(toLatex).join(",")}\\right)`;
        default:
            return `\\${name}\\left(${a}\\right)`;
    }
}
