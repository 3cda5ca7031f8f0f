/**
 * The published shape of the package: `npm run prebuild` makes
 * prebuilds/linux-x64/ with prebuildify, `npm pack` ships it, and the tarball
 * installed into an empty project loads the prebuilt binary and runs a kernel
 * with no compiler reachable (node-gyp-build must not rebuild).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..", "..");

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe.runIf(process.platform === "linux" && process.arch === "x64")("packaged prebuilt binary", () => {
    it("installs from the tarball without compiling and runs a kernel", { timeout: 600_000 }, () => {
        run("npm", ["run", "prebuild"], root);
        const candidates = fs.readdirSync(path.join(root, "prebuilds", "linux-x64"));
        expect(candidates.some((f) => f.endsWith(".node"))).toBe(true);

        const work = fs.mkdtempSync(path.join(os.tmpdir(), "r1-pack-"));
        const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], root)) as {
            filename: string;
            files: { path: string }[];
        }[];
        const tarball = path.join(work, packed[0]!.filename);
        const shipped = packed[0]!.files.map((f) => f.path);
        expect(shipped.some((p) => p.startsWith("prebuilds/linux-x64/") && p.endsWith(".node"))).toBe(true);
        expect(shipped).toContain("dist/index.js");

        // A PATH with node and a shell only: no compiler, no python, no make.
        const bin = path.join(work, "bin");
        fs.mkdirSync(bin);
        for (const tool of ["node", "sh", "bash", "env"]) {
            const found = run("bash", ["-c", `command -v ${tool}`], work).trim();
            fs.symlinkSync(found, path.join(bin, tool));
        }
        const npmCli = path.join(path.dirname(fs.realpathSync(process.execPath)), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js");
        const project = path.join(work, "project");
        fs.mkdirSync(project);
        fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
        const env = { ...process.env, PATH: bin, CC: "false", CXX: "false", npm_config_build_from_source: "false" };
        run(process.execPath, [npmCli, "install", "--no-audit", "--no-fund", "--prefer-offline", tarball], project, env);

        expect(fs.existsSync(path.join(project, "node_modules", "r1-native", "build"))).toBe(false);
        const script = `
            import { kernels, runtimeInfo } from "r1-native";
            const { y } = await kernels.matmul({ x: new Float32Array([1, 2, 3, 4]), weight: new Float32Array([1, 0, 0, 1, 1, 1]), m: 2, k: 2, n: 3 });
            console.log(JSON.stringify({ y: Array.from(y), backend: runtimeInfo().backend }));`;
        const out = JSON.parse(run(process.execPath, ["--input-type=module", "-e", script], project, env).trim()) as {
            y: number[];
            backend: string;
        };
        expect(out.y).toEqual([1, 2, 3, 3, 4, 7]);
        expect(out.backend).toBe("cpu");
        fs.rmSync(work, { recursive: true, force: true });
    });
});
