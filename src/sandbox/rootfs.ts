/**
 * The filesystem a sandboxed program sees, and the shell script that builds
 * it inside fresh namespaces.
 *
 * Root is an empty skeleton folder (made once and kept, shared by all runs
 * and processes: mounts live in each run's own mount namespace) with
 * read-only bind mounts of /usr and the interpreter's folders, three device
 * nodes, a proc of the run's own PID namespace, the run's files read-only at
 * /src, and a size-limited tmpfs owned by the run's uid at /tmp (the only
 * writable place); the root itself is then remounted read-only. After
 * pivot_root the host's root is unmounted, so no path leads back to it.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SandboxLimits } from "./limits.js";
import { isWithin, minimalBindSet } from "./runtimes.js";
import type { SandboxFeatures, SandboxTools } from "./isolation.js";

/** Host folders the program reaches through these names; merged-/usr systems make them symlinks. */
const TOP_LEVEL_LINKS = ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"];
const DEVICES = ["null", "zero", "urandom"];

let baseDir: string | null = null;

/**
 * This user's folder for skeletons (kept and shared between processes: they
 * are a few empty folders) and per-run staging (removed after each run).
 * It must be a real folder owned by us with mode 0700, else a fresh private
 * one is made: /tmp is shared with other users.
 */
export function sandboxBaseDir(): string {
    if (baseDir !== null) return baseDir;
    const uid = typeof process.getuid === "function" ? process.getuid() : 0;
    const shared = path.join(os.tmpdir(), `r1-sandbox-${uid}`);
    try {
        fs.mkdirSync(shared, { mode: 0o700 });
    } catch {
        // exists already: checked below
    }
    let st: fs.Stats | null = null;
    try {
        st = fs.lstatSync(shared);
    } catch {
        st = null;
    }
    if (st !== null && st.isDirectory() && !st.isSymbolicLink() && st.uid === uid && (st.mode & 0o777) === 0o700) {
        baseDir = shared;
        sweepStaleRuns(shared);
    } else {
        baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "r1-sandbox-"));
    }
    return baseDir;
}

/** Staging folders a crashed process left behind (older than an hour). */
function sweepStaleRuns(base: string): void {
    const cutoff = Date.now() - 3600_000;
    for (const entry of fs.readdirSync(base)) {
        if (!entry.startsWith("run-") && !entry.startsWith("building-")) continue;
        const p = path.join(base, entry);
        try {
            if (fs.lstatSync(p).mtimeMs < cutoff) fs.rmSync(p, { recursive: true, force: true });
        } catch {
            // another process is on it
        }
    }
}

export interface Skeleton {
    /** Host path of the skeleton root. */
    root: string;
    /** Host folders bound read-only (besides /usr) at the same path. */
    binds: string[];
}

const skeletons = new Map<string, Skeleton>();

function hostTopLevel(): { links: [string, string][]; dirs: string[] } {
    const links: [string, string][] = [];
    const dirs: string[] = [];
    for (const p of TOP_LEVEL_LINKS) {
        let st: fs.Stats;
        try {
            st = fs.lstatSync(p);
        } catch {
            continue;
        }
        if (st.isSymbolicLink()) links.push([p, fs.readlinkSync(p)]);
        else if (st.isDirectory()) dirs.push(p);
    }
    return { links, dirs };
}

/**
 * The skeleton root for a set of folders to bind (created on first use).
 * `extraBinds` are host folders the interpreter or the tools need outside /usr.
 */
export function ensureSkeleton(extraBinds: string[], tools: SandboxTools, features: SandboxFeatures): Skeleton {
    const top = hostTopLevel();
    // Tools run after pivot_root must be reachable inside too.
    const inside = [tools.sh, tools.unshare, tools.umount, tools.setpriv, tools.prlimit, tools.timeout];
    if (features.sessionKeyring) inside.push(features.sessionKeyring.perl);
    const toolDirs = inside.map((t) => path.dirname(t));
    const binds = minimalBindSet([...top.dirs, ...extraBinds, ...toolDirs]).filter(
        (p) => !top.links.some(([link]) => isWithin(p, link)),
    );
    const key = [...binds, ...top.links.map(([l, t]) => `${l}->${t}`)].join("\n");
    const existing = skeletons.get(key);
    if (existing) return existing;

    const base = sandboxBaseDir();
    const hash = crypto.createHash("sha256").update(key).digest("hex").slice(0, 12);
    const root = path.join(base, `root-${hash}`);
    const tmp = fs.mkdtempSync(path.join(base, "building-"));
    const mk = (rel: string): void => {
        fs.mkdirSync(path.join(tmp, rel), { recursive: true, mode: 0o755 });
    };
    for (const dir of ["usr", "dev", "proc", "tmp", "src", ".oldroot", ...binds.map((b) => b.slice(1))]) mk(dir);
    for (const [link, target] of top.links) fs.symlinkSync(target, path.join(tmp, link.slice(1)));
    for (const dev of DEVICES) fs.writeFileSync(path.join(tmp, "dev", dev), "", { mode: 0o644 });
    fs.symlinkSync("/proc/self/fd", path.join(tmp, "dev", "fd"));
    for (const [i, name] of ["stdin", "stdout", "stderr"].entries()) {
        fs.symlinkSync(`/proc/self/fd/${i}`, path.join(tmp, "dev", name));
    }
    // mkdtemp makes 0700; the program (another uid) must be able to walk the tree.
    fs.chmodSync(tmp, 0o755);
    for (const b of binds) {
        for (let p = b; p !== "/"; p = path.dirname(p)) fs.chmodSync(path.join(tmp, p), 0o755);
    }
    try {
        fs.renameSync(tmp, root);
    } catch {
        fs.rmSync(tmp, { recursive: true, force: true }); // another call made it first
    }
    const skeleton = { root, binds };
    skeletons.set(key, skeleton);
    return skeleton;
}

/** fstab(5) escapes for a path field. */
function fstabPath(p: string): string {
    return p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** The mount table `mount --all --fstab` applies, in order, inside the run's mount namespace. */
export function mountTable(skeleton: Skeleton, srcDir: string, limits: SandboxLimits, uid: number): string {
    const r = skeleton.root;
    const lines: string[] = [];
    const add = (source: string, target: string, type: string, options: string): void => {
        lines.push(`${fstabPath(source)} ${fstabPath(target)} ${type} ${options} 0 0`);
    };
    const ro = "bind,ro,nosuid,nodev";
    add(r, r, "none", "bind"); // make the skeleton a mount point, as pivot_root needs
    add("/usr", path.join(r, "usr"), "none", ro);
    for (const b of skeleton.binds) add(b, path.join(r, b), "none", ro);
    for (const dev of DEVICES) add(`/dev/${dev}`, path.join(r, "dev", dev), "none", "bind,nosuid,noexec");
    add(srcDir, path.join(r, "src"), "none", `${ro},noexec`);
    add("proc", path.join(r, "proc"), "proc", "nosuid,nodev,noexec");
    const inodes = Math.max(64, Math.min(65536, Math.floor(limits.scratchBytes / 4096)));
    add("tmpfs", path.join(r, "tmp"), "tmpfs",
        `size=${limits.scratchBytes},nr_inodes=${inodes},mode=0700,uid=${uid},gid=${uid},nosuid,nodev,noexec`);
    add(r, r, "none", "remount,bind,ro,nosuid,nodev");
    return `${lines.join("\n")}\n`;
}

/** Single-quotes a string for sh. */
export function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SetupScriptInput {
    tools: SandboxTools;
    skeleton: Skeleton;
    fstabPath: string;
    limits: SandboxLimits;
    uid: number;
    addressSpaceBytes: number;
    /** RLIMIT_STACK (capped at half the memory limit). */
    stackBytes: number;
    /** Absolute path inside the sandbox, or null for /dev/null. */
    stdinPath: string | null;
    features: SandboxFeatures;
    command: string[];
}

/** Exit code the set-up script uses for its own failures (reported on fd 4, never confused with the program's). */
export const SETUP_FAILED = "setup-failed";

/**
 * The script the namespace's PID 1 (root, in the new namespaces) runs: build
 * the root, pivot into it, report "ready" on fd 4, then run the program as
 * `uid` with every privilege dropped and the rlimits set, and report its exit
 * status on fd 4. fd 4 is closed for the program, so it cannot forge either
 * line. The coreutils `timeout` is a second wall-time net for when this
 * process's own timer cannot fire (the host process died).
 */
export function setupScript(input: SetupScriptInput): string {
    const { tools, limits, uid } = input;
    const q = shQuote;
    const stackBytes = Math.min(input.stackBytes, Math.floor(limits.memoryBytes / 2));
    const limitsArgs = [
        q(tools.prlimit), `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
        `--data=${limits.memoryBytes}`, `--as=${input.addressSpaceBytes}`, `--stack=${stackBytes}`,
        `--fsize=${limits.fileBytes}`, `--nproc=${limits.processes}`, `--nofile=${limits.openFiles}`,
        "--core=0", "--memlock=0", "--msgqueue=0", "--",
    ];
    const dropAll = [q(tools.setpriv), "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"];
    const toUid = [q(tools.setpriv), `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--"];
    // Either: uid U, no capabilities, no_new_privs. Or the same, seen from inside a
    // user namespace of U's own (U appears as 0, with no capabilities) whose
    // max_user_namespaces is 0 before the program starts; it cannot raise it
    // again (that needs CAP_SYS_RESOURCE there).
    const drop = input.features.blockUserNamespaces
        ? [
              ...toUid, q(tools.unshare), "--user", "--map-root-user", "--", q(tools.sh), "-c",
              q('echo 0 >/proc/sys/user/max_user_namespaces && exec "$@"'), "sh", ...dropAll,
          ]
        : [q(tools.setpriv), `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", ...dropAll.slice(1)];
    // A new anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING, no name), so
    // the program cannot read or fill the one the host process inherited. Perl
    // reports it on fd 4 and closes fd 4 before the program starts.
    const keyring = input.features.sessionKeyring;
    const join = keyring === null ? [] : [
        q(keyring.perl), "-e",
        q(`my $r = syscall(${keyring.keyctlSyscall}, 1, 0); open(my $c, ">&=", 4) or exit 125; ` +
            `if ($r < 0) { print $c "keyring-failed $!\\n"; exit 125 } print $c "keyring\\n"; close($c); ` +
            "exec { $ARGV[0] } @ARGV or exit 127"),
        "--",
    ];
    const closeControl = keyring === null ? " 4>&-" : "";
    const netSeconds = (limits.wallSeconds + 1).toFixed(2);
    return [
        "set -e",
        "ulimit -c 0",
        `${q(tools.mount)} --all --fstab ${q(input.fstabPath)}`,
        `cd ${q(input.skeleton.root)}`,
        `${q(tools.pivotRoot)} . .oldroot`,
        `${q(tools.umount)} -l /.oldroot`,
        "cd /tmp",
        "unset OLDPWD",
        "echo ready >&4",
        "st=0",
        `${q(tools.timeout)} -s KILL ${netSeconds} ${[...drop, ...join, ...limitsArgs].join(" ")} ` +
            `${input.command.map(q).join(" ")} <${q(input.stdinPath ?? "/dev/null")}${closeControl} || st=$?`,
        'echo "exit $st" >&4',
    ].join("\n");
}
