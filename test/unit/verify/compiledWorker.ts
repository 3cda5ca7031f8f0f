/**
 * Test helper: the verification sources transpiled to JavaScript, so that pool tests can run
 * the real worker.js under vitest (which runs the TypeScript sources and has no worker.js).
 * The output goes under node_modules/.cache so that @cortex-js/compute-engine resolves.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface CompiledWorker {
    url: URL;
    remove(): void;
}

export function compileVerifyWorker(): CompiledWorker {
    const cacheRoot = path.join(repoRoot, "node_modules", ".cache", "r1-native-verify-test");
    mkdirSync(cacheRoot, { recursive: true });
    const root = mkdtempSync(path.join(cacheRoot, "build-"));
    const outDir = path.join(root, "verify");
    mkdirSync(outDir);
    writeFileSync(path.join(root, "package.json"), '{ "type": "module" }\n');
    const srcDir = path.join(repoRoot, "src", "verify");
    for (const file of readdirSync(srcDir).filter((f) => f.endsWith(".ts"))) {
        const { outputText } = ts.transpileModule(readFileSync(path.join(srcDir, file), "utf8"), {
            compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
            fileName: file,
        });
        writeFileSync(path.join(outDir, file.replace(/\.ts$/, ".js")), outputText);
    }
    return { url: pathToFileURL(path.join(outDir, "worker.js")), remove: () => rmSync(root, { recursive: true, force: true }) };
}
