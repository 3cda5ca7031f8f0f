/**
 * The small trusted harnesses that run a candidate program inside the
 * sandbox, one per language and mode:
 *
 * - stdio: run the program as the main script with the test's input on
 *   stdin; a compile (syntax) error is reported as exit 97 before anything runs.
 * - call: load the program as a module, call the named function with the
 *   arguments read (as JSON) from stdin, and write its return value as JSON on
 *   fd 3, a channel the program's own prints do not share. Exit 98 means the
 *   function is not defined.
 *
 * The expected answer never enters the sandbox; only the host compares.
 */
import type { CodeLanguage } from "./extractProgram.js";

export const COMPILE_ERROR_EXIT = 97;
export const MISSING_FUNCTION_EXIT = 98;
export const COMPILE_ERROR_MARK = "r1-judge: compile error";

const PYTHON_RUNNER = String.raw`import sys


def _r1_plain(v):
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else repr(v)
    if isinstance(v, (list, tuple)):
        return [_r1_plain(x) for x in v]
    if isinstance(v, (set, frozenset)):
        items = [_r1_plain(x) for x in v]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else str(k)): _r1_plain(x) for k, x in v.items()}
    return repr(v)


def _r1_main():
    import os
    import types
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        source = f.read()
    try:
        code = compile(source, path, "exec")
    except (SyntaxError, ValueError) as e:
        import traceback
        traceback.print_exception(type(e), e, None, limit=0)
        sys.stderr.write("\n${COMPILE_ERROR_MARK}\n")
        sys.stderr.flush()
        os._exit(${COMPILE_ERROR_EXIT})
    sys.argv = [path]
    if mode == "stdio":
        module = types.ModuleType("__main__")
        module.__file__ = path
        sys.modules["__main__"] = module
        exec(code, module.__dict__)
        return
    import json
    request = json.loads(sys.stdin.read())
    module = types.ModuleType("solution")
    module.__file__ = path
    sys.modules["solution"] = module
    exec(code, module.__dict__)
    parts = request["fn"].split(".")
    target = module.__dict__.get(parts[0])
    if target is None and len(parts) == 1 and isinstance(module.__dict__.get("Solution"), type):
        parts = ["Solution", parts[0]]
        target = module.__dict__["Solution"]
    if target is not None and len(parts) == 2:
        target = getattr(target(), parts[1], None)
    if not callable(target):
        sys.stderr.write("r1-judge: function %s is not defined\n" % request["fn"])
        sys.stderr.flush()
        os._exit(${MISSING_FUNCTION_EXIT})
    value = target(*request.get("args", []), **request.get("kwargs", {}))
    payload = json.dumps(_r1_plain(value), default=repr).encode("utf-8") + b"\n"
    while payload:
        payload = payload[os.write(3, payload):]
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


_r1_main()
`;

const JS_PARAMS = `["exports", "require", "module", "__filename", "__dirname"]`;

// Preloaded with -r before a CommonJS main: only checks that it compiles.
const JS_CHECK = String.raw`"use strict";
const fs = require("fs");
const vm = require("vm");
const file = process.argv[1];
if (file && !file.endsWith(".mjs")) {
    let src = fs.readFileSync(file, "utf8");
    if (src.startsWith("#!")) src = "//" + src.slice(2);
    try {
        vm.compileFunction(src, ${JS_PARAMS}, { filename: file });
    } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        // stop before the main script runs
        fs.writeSync(2, file + ": SyntaxError: " + e.message + "\n${COMPILE_ERROR_MARK}\n");
        process.exit(${COMPILE_ERROR_EXIT});
    }
}
`;

const JS_CALL = String.raw`"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const file = process.argv[2];
const request = JSON.parse(fs.readFileSync(0, "utf8"));
const parts = request.fn.split(".");
let src = fs.readFileSync(file, "utf8");
if (src.startsWith("#!")) src = "//" + src.slice(2);
const probe = (name) => "typeof " + name + " === 'undefined' ? undefined : " + name;
let body;
try {
    body = vm.compileFunction(src + "\n;return [" + probe(parts[0]) + ", module.exports, " + probe("Solution") + "];",
        ${JS_PARAMS}, { filename: file });
} catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    fs.writeSync(2, file + ": SyntaxError: " + e.message + "\n${COMPILE_ERROR_MARK}\n");
    process.exit(${COMPILE_ERROR_EXIT});
}
const mod = { exports: {} };
const [binding, exported, solution] = body(mod.exports, require, mod, file, path.dirname(file));
let target = binding;
if (target === undefined && exported && typeof exported === "object") target = exported[parts[0]];
if (target === undefined && typeof exported === "function" && exported.name === parts[0]) target = exported;
if (target === undefined && parts.length === 1 && typeof solution === "function") {
    const obj = new solution();
    target = typeof obj[parts[0]] === "function" ? obj[parts[0]].bind(obj) : undefined;
} else if (target !== undefined && parts.length === 2) {
    const obj = new target();
    target = typeof obj[parts[1]] === "function" ? obj[parts[1]].bind(obj) : undefined;
}
if (typeof target !== "function") {
    fs.writeSync(2, "r1-judge: function " + request.fn + " is not defined\n");
    process.exit(${MISSING_FUNCTION_EXIT});
}
const plain = (key, v) => {
    if (v instanceof Set) return [...v];
    if (v instanceof Map) return Object.fromEntries(v);
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    return v;
};
Promise.resolve(target(...(request.args || []))).then((value) => {
    const json = JSON.stringify(value === undefined ? null : value, plain);
    fs.writeSync(3, (json === undefined ? "null" : json) + "\n");
    process.exit(0);
}, (err) => {
    fs.writeSync(2, (err && err.stack ? err.stack : String(err)) + "\n");
    process.exit(1);
});
`;

/** ESM syntax at the top level (import/export statements). */
export function looksLikeEsm(program: string): boolean {
    return /^\s*(?:import\s*[\w{*'"]|export\s)/m.test(program);
}

/** `export` keywords dropped, so a module-style answer loads as a script (call mode only). */
function stripExports(program: string): string {
    return program.replace(/^(\s*)export\s+(?:default\s+)?(?=(?:async\s+)?function\b|class\b|const\b|let\b|var\b)/gm, "$1");
}

export interface RunnerPlan {
    files: Record<string, string>;
    args: (src: string) => string[];
    resultChannel: boolean;
}

/** Files and arguments that run `program` in `mode`. */
export function runnerPlan(language: CodeLanguage, mode: "stdio" | "call", program: string, memoryBytes: number): RunnerPlan {
    if (language === "python") {
        return {
            files: { "runner.py": PYTHON_RUNNER, "main.py": program },
            args: (src) => [`${src}/runner.py`, mode, `${src}/main.py`],
            resultChannel: mode === "call",
        };
    }
    // Below RLIMIT_DATA, so V8 fails with a clear "heap out of memory" first.
    const heap = `--max-old-space-size=${Math.max(16, Math.floor((memoryBytes / 1048576) * 0.75))}`;
    if (mode === "stdio") {
        const main = looksLikeEsm(program) ? "main.mjs" : "main.js";
        return {
            files: { "check.cjs": JS_CHECK, [main]: program },
            args: (src) => [heap, "-r", `${src}/check.cjs`, `${src}/${main}`],
            resultChannel: false,
        };
    }
    return {
        files: { "call.cjs": JS_CALL, "main.js": stripExports(program) },
        args: (src) => [heap, `${src}/call.cjs`, `${src}/main.js`],
        resultChannel: true,
    };
}
