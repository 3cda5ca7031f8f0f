import { describe, expect, it } from "vitest";
import { SandboxUnavailableError } from "../../../src/sandbox/isolation.js";
import { resolvePythonRuntime } from "../../../src/sandbox/runtimes.js";
import { Sandbox } from "../../../src/sandbox/sandbox.js";
import { isolation, processesOfUid, report, runNode, runPython, shouldHaveSandbox, TEST_LIMITS } from "./helpers.js";

describe("isolation detection", () => {
    it.runIf(shouldHaveSandbox)("finds every tool on a Linux machine run as root", () => {
        expect(isolation).toMatchObject({ available: true });
    });

    it("refuses with a clear error when no sandbox can be built", async () => {
        const sandbox = new Sandbox({ detect: () => ({ available: false, reason: "no namespaces in this test", prlimit: null }) });
        const runtime = await resolvePythonRuntime();
        const run = sandbox.run({ runtime, args: () => ["-c", "print(1)"] });
        await expect(run).rejects.toBeInstanceOf(SandboxUnavailableError);
        await expect(sandbox.run({ runtime, args: () => ["-c", "print(1)"] })).rejects.toThrow(
            /cannot run untrusted code safely: no namespaces in this test\. Pass allowUnsandboxed: true/,
        );
    });

    it("runs unsandboxed only when asked to, and says so", async () => {
        const sandbox = new Sandbox({
            allowUnsandboxed: true,
            limits: TEST_LIMITS,
            detect: () => ({ available: false, reason: "forced for the test", prlimit: null }),
        });
        const runtime = await resolvePythonRuntime();
        const r = await sandbox.run({ runtime, args: (src) => [`${src}/a.py`], files: { "a.py": "print(input() * 2)" }, stdin: "ab\n" });
        expect(r).toMatchObject({ status: "exited", exitCode: 0, stdout: "abab\n", isolated: false, uid: null });
        const slow = await sandbox.run({ runtime, args: () => ["-c", "import time; time.sleep(30)"], limits: { wallSeconds: 0.5 } });
        expect(slow.status).toBe("timeout");
    });

    it("checks its options and specs", async () => {
        expect(() => new Sandbox({ limits: { cpuSeconds: -1 } })).toThrow("limits.cpuSeconds must be between");
        expect(() => new Sandbox({ concurrency: 0 })).toThrow("concurrency must be a positive integer");
        expect(() => new Sandbox({ allowUnsandboxed: "yes" as never })).toThrow("allowUnsandboxed must be a boolean");
        const runtime = await resolvePythonRuntime();
        const sandbox = new Sandbox();
        expect(() => sandbox.run({ runtime, args: () => [], files: { "../x": "" } })).toThrow('files: "../x" is not a plain file name');
        expect(() => sandbox.run({ runtime, args: () => [], limits: { wallSeconds: 0 } })).toThrow("limits.wallSeconds");
    });
});

describe.skipIf(!isolation.available)("sandboxed runs", () => {
    it("runs a program with its files, stdin and a minimal environment", async () => {
        const r = await runPython(
            [
                "import json, os, sys",
                "data = sys.stdin.read()",
                "print(json.dumps({'stdin': data, 'cwd': os.getcwd(), 'files': sorted(os.listdir('/src')),",
                "    'env': sorted(os.environ), 'argv': sys.argv}))",
            ].join("\n"),
            { stdin: "3 4\n" },
        );
        expect(r.status).toBe("exited");
        expect(r.exitCode).toBe(0);
        expect(r.isolated).toBe(true);
        const got = report<{ stdin: string; cwd: string; files: string[]; env: string[]; argv: string[] }>(r);
        expect(got.stdin).toBe("3 4\n");
        expect(got.cwd).toBe("/tmp");
        expect(got.files).toEqual([".stdin", "main.py"]);
        // nothing of the host's environment (tokens, paths) leaks in
        expect(got.env.filter((k) => k !== "LC_CTYPE")).toEqual(
            ["HOME", "LANG", "LC_ALL", "PATH", "PWD", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "TMPDIR"],
        );
        expect(processesOfUid(r.uid!)).toEqual([]);
    });

    it("reports exit codes, signals and stderr", async () => {
        const r = await runPython("import sys\nsys.stderr.write('bad\\n')\nsys.exit(3)");
        expect(r).toMatchObject({ status: "exited", exitCode: 3, stderr: "bad\n" });
        const seg = await runPython("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)");
        expect(seg).toMatchObject({ status: "signaled", signal: "SIGSEGV" });
    });

    it("gives the program a separate result channel on fd 3 when asked", async () => {
        const r = await runPython("import os\nprint('noise')\nos.write(3, b'[1, 2]')", { resultChannel: true });
        expect(r).toMatchObject({ status: "exited", exitCode: 0, stdout: "noise\n", result: "[1, 2]" });
    });

    it("runs JavaScript under Node with its threads within the process limit", async () => {
        const r = await runNode("const fs = require('fs');\nconsole.log(JSON.stringify({ n: Number(fs.readFileSync(0, 'utf8')) * 2 }));", {
            stdin: "21",
        });
        expect(r.stderr).toBe("");
        expect(report(r)).toEqual({ n: 42 });
    });

    it("keeps independent runs apart: a file written in one run is gone in the next", async () => {
        const a = await runPython("open('/tmp/state', 'w').write('x')\nprint('ok')");
        expect(a.stdout).toBe("ok\n");
        const b = await runPython("import os\nprint(os.path.exists('/tmp/state'))");
        expect(b.stdout).toBe("False\n");
        expect(a.uid).not.toBe(b.uid);
    });

    it("judges many runs concurrently without blocking the event loop", async () => {
        let ticks = 0;
        const timer = setInterval(() => ticks++, 5);
        const t0 = Date.now();
        const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => runPython(`import time\ntime.sleep(0.2)\nprint(${i})`)));
        clearInterval(timer);
        expect(runs.map((r) => r.stdout)).toEqual(["0\n", "1\n", "2\n", "3\n", "4\n", "5\n"]);
        // 6 runs of 0.2 s each, 2 at a time: about 0.6 s, and the loop kept ticking meanwhile
        expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
        expect(ticks).toBeGreaterThan(40);
    });

    it("honours an AbortSignal", async () => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 200);
        const r = await runPython("import time\ntime.sleep(30)", { signal: controller.signal });
        expect(r.status).toBe("aborted");
        expect(r.wallMs).toBeLessThan(1500);
        expect(processesOfUid(r.uid!)).toEqual([]);
    });
});
