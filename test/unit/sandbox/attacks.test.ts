/**
 * Hostile programs: each must be contained, reported, and leave the host as
 * it was (no file written outside the scratch tmpfs, no connection made, no
 * process left running). Limits are small (1 s CPU, 2 s wall, 256 MiB).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_SANDBOX_LIMITS } from "../../../src/sandbox/limits.js";
import type { SandboxResult } from "../../../src/sandbox/sandbox.js";
import { isolation, marker, processesOfUid, processesWith, report, runNode, runPython, TEST_LIMITS } from "./helpers.js";

const here = fileURLToPath(import.meta.url);
const projectRoot = path.resolve(path.dirname(here), "../../..");
const projectFile = path.join(projectRoot, "package.json");

let last: SandboxResult | null = null;
async function contained(r: Promise<SandboxResult>): Promise<SandboxResult> {
    last = await r;
    return last;
}

afterEach(() => {
    // whatever a program did, nothing of its uid survives the run
    if (last?.uid !== null && last?.uid !== undefined) expect(processesOfUid(last.uid)).toEqual([]);
    last = null;
});

describe.skipIf(!isolation.available)("attack suite", () => {
    it("cannot read /etc/shadow, the project's files, or the host root through /proc", async () => {
        const targets = ["/etc/shadow", "/etc/passwd", projectFile, "/root/.bashrc", "/proc/1/root/etc/shadow", "/.oldroot/etc/shadow"];
        const r = await contained(runPython([
            "import json",
            `targets = ${JSON.stringify(targets)}`,
            "out = {}",
            "for t in targets:",
            "    try:",
            "        out[t] = 'READ ' + open(t).read()[:40]",
            "    except Exception as e:",
            "        out[t] = type(e).__name__",
            "print(json.dumps(out))",
        ].join("\n")));
        const got = report<Record<string, string>>(r);
        for (const t of targets) expect(got[t], t).not.toMatch(/^READ/);
        expect(got["/proc/1/root/etc/shadow"]).toBe("PermissionError");
        expect(fs.existsSync(projectFile)).toBe(true); // the file is there on the host, just not in the sandbox
    });

    it("cannot write outside its scratch folder, and the scratch folder vanishes", async () => {
        const m = marker();
        const inside = ["/tmp", "/", "/usr", "/src", "/dev", "/proc", "/root", projectRoot, os.tmpdir()];
        const r = await contained(runPython([
            "import json, os, subprocess",
            `m = ${JSON.stringify(m)}`,
            `dirs = ${JSON.stringify(inside)}`,
            "out = {}",
            "for d in dirs:",
            "    p = os.path.join(d, m)",
            "    try:",
            "        with open(p, 'w') as f: f.write('pwned')",
            "        out[d] = 'WROTE'",
            "    except Exception as e:",
            "        out[d] = type(e).__name__",
            "# remounting rw or unmounting needs privileges the program does not have",
            "out['remount'] = subprocess.run(['mount', '-o', 'remount,rw', '/'], capture_output=True).returncode",
            "out['userns'] = subprocess.run(['unshare', '--user', '--map-root-user', 'true'], capture_output=True).returncode",
            "print(json.dumps(out))",
        ].join("\n")));
        const got = report<Record<string, string | number>>(r);
        expect(got["/tmp"]).toBe("WROTE"); // the scratch tmpfs: proves the probe can write at all
        for (const d of inside.filter((x) => x !== "/tmp" && x !== os.tmpdir())) expect(got[d], d).not.toBe("WROTE");
        expect(got.remount).not.toBe(0);
        expect(got.userns).not.toBe(0);
        // host side: none of these exist, including the host's own /tmp
        for (const d of [...inside, "/tmp"]) expect(fs.existsSync(path.join(d, m)), d).toBe(false);
    });

    it("cannot open a socket to 127.0.0.1 (a listening host server sees nothing)", async () => {
        let connections = 0;
        const server = net.createServer((s) => {
            connections++;
            s.destroy();
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        try {
            const r = await contained(runPython([
                "import json, socket",
                "out = {}",
                "for name, addr in [('tcp-loopback', ('127.0.0.1', %d)), ('tcp-remote', ('1.1.1.1', 80))]:" .replace("%d", String(port)),
                "    try:",
                "        s = socket.create_connection(addr, timeout=0.5); out[name] = 'CONNECTED'",
                "    except Exception as e:",
                "        out[name] = type(e).__name__ + ': ' + str(e)",
                "try:",
                "    socket.getaddrinfo('example.com', 80); out['dns'] = 'RESOLVED'",
                "except Exception as e:",
                "    out['dns'] = type(e).__name__",
                "out['interfaces'] = [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]",
                "print(json.dumps(out))",
            ].join("\n")));
            const got = report<Record<string, unknown>>(r);
            expect(got["tcp-loopback"]).toMatch(/Network is unreachable/);
            expect(got["tcp-remote"]).toMatch(/Network is unreachable/);
            expect(got.dns).not.toBe("RESOLVED");
            expect(got.interfaces).toEqual(["lo"]);
            // and in JavaScript
            const js = await contained(runNode(
                `const s = require("net").connect(${port}, "127.0.0.1");` +
                "s.on('connect', () => console.log('CONNECTED')); s.on('error', (e) => console.log(e.code));",
            ));
            expect(js.stdout.trim()).toBe("ENETUNREACH");
        } finally {
            await new Promise((resolve) => server.close(resolve));
        }
        expect(connections).toBe(0);
    });

    it("sees no host processes", async () => {
        const r = await contained(runPython([
            "import json, os",
            "pids = [p for p in os.listdir('/proc') if p.isdigit()]",
            "cmds = [open('/proc/%s/cmdline' % p, 'rb').read().replace(b'\\0', b' ').decode() for p in pids]",
            "print(json.dumps({'pids': pids, 'cmds': cmds}))",
        ].join("\n")));
        const got = report<{ pids: string[]; cmds: string[] }>(r);
        expect(got.pids.length).toBeLessThanOrEqual(6); // PID 1, the privilege-drop chain, the program
        expect(got.pids).toContain("1");
        expect(got.pids).not.toContain(String(process.pid));
        expect(got.cmds.join("\n")).not.toMatch(/vitest|node/);
    });

    it("contains a fork bomb within the process limit and the wall limit", async () => {
        const count = await contained(runPython([
            "import os, time",
            "n = 0",
            "for _ in range(10000):",
            "    try:",
            "        pid = os.fork()",
            "    except OSError:",
            "        break",
            "    if pid == 0:",
            "        time.sleep(30)",
            "        os._exit(0)",
            "    n += 1",
            "print(n)",
        ].join("\n")));
        expect(count.status).toBe("exited");
        expect(Number(count.stdout)).toBeGreaterThan(0);
        expect(Number(count.stdout)).toBeLessThan(DEFAULT_SANDBOX_LIMITS.processes); // RLIMIT_NPROC for this run's uid
        expect(processesOfUid(count.uid!)).toEqual([]); // the sleeping children died with the namespace

        const t0 = Date.now();
        const bomb = await contained(runPython("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"));
        expect(["timeout", "signaled"]).toContain(bomb.status);
        expect(Date.now() - t0).toBeLessThan(TEST_LIMITS.wallSeconds * 1000 + 2500);
    });

    it("stops an infinite loop at the CPU limit", async () => {
        const r = await contained(runPython("while True:\n    pass"));
        // SIGXCPU after 1 s of CPU, or the 2 s wall limit on a loaded machine
        expect(r.status === "timeout" || (r.status === "signaled" && (r.signal === "SIGXCPU" || r.signal === "SIGKILL"))).toBe(true);
        const js = await contained(runNode("for (;;) {}"));
        expect(["timeout", "signaled"]).toContain(js.status);
    });

    it("refuses to allocate 10 GiB (heap, shared mmap, and step by step)", async () => {
        const r = await contained(runPython([
            "import json, mmap",
            "out = {}",
            "try:",
            "    x = bytearray(10 * 2**30); out['bytearray'] = 'ALLOCATED'",
            "except MemoryError:",
            "    out['bytearray'] = 'MemoryError'",
            "try:",
            "    m = mmap.mmap(-1, 10 * 2**30); m[10 * 2**30 - 1] = 1; out['mmap'] = 'ALLOCATED'",
            "except (OSError, MemoryError) as e:",
            "    out['mmap'] = type(e).__name__",
            "chunks = []",
            "try:",
            "    while True: chunks.append(bytearray(16 * 2**20))",
            "except MemoryError:",
            "    out['grown_mib'] = 16 * len(chunks)",
            "chunks = None",
            "print(json.dumps(out))",
        ].join("\n")));
        const got = report<{ bytearray: string; mmap: string; grown_mib: number }>(r);
        expect(got.bytearray).toBe("MemoryError");
        expect(got.mmap).not.toBe("ALLOCATED");
        expect(got.grown_mib).toBeLessThanOrEqual(256);
        expect(got.grown_mib).toBeGreaterThan(64);
        const js = await contained(runNode("const a = []; for (;;) a.push(new Float64Array(1 << 20));"));
        expect(js.status).not.toBe("exited");
        expect(js.stderr).toMatch(/heap out of memory|Fatal process OOM|RangeError|Array buffer allocation failed/);
    });

    it("is cut off after printing the output limit, not after printing 1 GiB", async () => {
        const r = await contained(runPython("import sys\nchunk = b'x' * 2**20\nfor _ in range(1024):\n    sys.stdout.buffer.write(chunk)"));
        expect(r.status).toBe("output_limit");
        expect(r.overflowed).toBe("stdout");
        expect(r.stdout.length).toBe(TEST_LIMITS.outputBytes);
        expect(r.wallMs).toBeLessThan(1500);
        const err = await contained(runPython("import sys\nwhile True:\n    sys.stderr.write('e' * 65536)"));
        expect(err).toMatchObject({ status: "output_limit", overflowed: "stderr" });
    });

    it("bounds file size and the scratch folder's total size", async () => {
        const big = await contained(runPython("f = open('/tmp/big', 'wb')\nf.write(b'x' * (4 * 2**20))", { limits: { fileBytes: 2**20 } }));
        // Python ignores SIGXFSZ, so the write fails with EFBIG instead of killing it
        expect(big).toMatchObject({ status: "exited", exitCode: 1 });
        expect(big.stderr).toMatch(/File too large/);
        const sh = await contained(runPython(
            "import subprocess\nsubprocess.run(['sh', '-c', 'head -c 4194304 /dev/zero > /tmp/big'])\nprint(__import__('os').path.getsize('/tmp/big'))",
            { limits: { fileBytes: 2**20 } },
        ));
        expect(Number(sh.stdout)).toBe(2**20);
        const many = await contained(runPython([
            "import os",
            "n = 0",
            "try:",
            "    while True:",
            "        open('/tmp/f%d' % n, 'wb').write(b'x' * 2**19); n += 1",
            "except OSError as e:",
            "    print(n, e.strerror)",
        ].join("\n"), { limits: { scratchBytes: 4 * 2**20 } }));
        expect(many.stdout).toMatch(/No space left on device/);
        expect(Number(many.stdout.split(" ")[0])).toBeLessThanOrEqual(8);
    });

    it("kills a program sleeping past the wall limit", async () => {
        const r = await contained(runPython("import time\ntime.sleep(60)"));
        expect(r.status).toBe("timeout");
        expect(r.wallMs).toBeGreaterThanOrEqual(TEST_LIMITS.wallSeconds * 1000 - 50);
        expect(r.wallMs).toBeLessThan(TEST_LIMITS.wallSeconds * 1000 + 1500);
    });

    it("leaves no background child behind (setsid, double fork, JavaScript detached)", async () => {
        const m = marker();
        const r = await contained(runPython([
            "import os, subprocess, sys",
            `m = ${JSON.stringify(m)}`,
            "child = [sys.executable, '-c', 'import time; time.sleep(60)  # ' + m]",
            "subprocess.Popen(child, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
            "if os.fork() == 0:",
            "    os.setsid()",
            "    if os.fork() == 0:",
            "        os.execv(sys.executable, child)",
            "    os._exit(0)",
            "print('spawned')",
        ].join("\n")));
        expect(r).toMatchObject({ status: "exited", exitCode: 0, stdout: "spawned\n" });
        expect(processesWith(m)).toEqual([]);
        const js = await contained(runNode(
            `require("child_process").spawn("/usr/bin/sleep", ["61"], { detached: true, stdio: "ignore", argv0: ${JSON.stringify(m)} }).unref();` +
            "console.log('spawned');",
        ));
        expect(js.stdout).toBe("spawned\n");
        expect(processesWith(m)).toEqual([]);
    });

    it.runIf(process.arch === "x64")("gets a session keyring of its own in every run", async () => {
        const desc = marker();
        const probe = (action: string) => [
            "import ctypes, json",
            "libc = ctypes.CDLL(None, use_errno=True)",
            `desc = ${JSON.stringify(desc)}.encode()`,
            "buf = ctypes.create_string_buffer(256)",
            "session = libc.syscall(250, 0, ctypes.c_long(-3), 0)  # KEYCTL_GET_KEYRING_ID, no create",
            "libc.syscall(250, 6, ctypes.c_long(-3), buf, 256)  # KEYCTL_DESCRIBE",
            action,
            "print(json.dumps({'session': session, 'name': buf.value.decode().split(';')[-1], 'r': r}))",
        ].join("\n");
        // the first run stores a key in its session keyring
        const add = await contained(runPython(probe("r = libc.syscall(248, b'user', desc, b'secret', 6, ctypes.c_long(-3)) > 0")));
        const a = report<{ session: number; name: string; r: boolean }>(add);
        // the second cannot find it: a fresh anonymous keyring, not the host's nor a shared per-uid one
        const find = await contained(runPython(probe("r = libc.syscall(250, 10, ctypes.c_long(-3), b'user', desc, 0) > 0")));
        const b = report<{ session: number; name: string; r: boolean }>(find);
        expect(a.r).toBe(true);
        expect(b.r).toBe(false);
        expect(a.name).toBe("_ses");
        expect(b.name).toBe("_ses");
        expect(a.session).not.toBe(b.session);
    });

    it("cannot forge the sandbox's own status channel", async () => {
        const r = await contained(runPython([
            "import os, sys",
            "for fd in (4, 5):",
            "    try:",
            "        os.write(fd, b'ready\\nkeyring\\nexit 0\\n')",
            "        print('WROTE', fd)",
            "    except OSError as e:",
            "        print(fd, e.strerror)",
            "sys.stderr.write('exit 0\\n')",
            "sys.exit(3)",
        ].join("\n")));
        expect(r).toMatchObject({ status: "exited", exitCode: 3 });
        expect(r.stdout).not.toMatch(/WROTE/);
    });

    it("leaves nothing behind when killed at the wall limit either", async () => {
        const m = marker();
        const r = await contained(runPython([
            "import subprocess, sys, time",
            `subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)  # ${m}'], start_new_session=True)`,
            "time.sleep(60)",
        ].join("\n")));
        expect(r.status).toBe("timeout");
        expect(processesWith(m)).toEqual([]);
    });
});
