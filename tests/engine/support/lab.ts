import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { run } from "./processes";
import { httpRequest } from "./http";
import { repositoryRoot } from "./repository";

export const labKeyPath = join(repositoryRoot, "lab/.state/ssh/id_ed25519");
/** The lab hosts' host keys, which lab:up reads from each host over Docker (lab/steps.sh). */
export const labKnownHostsPath = join(repositoryRoot, "lab/.state/ssh/known_hosts");

/** The lab's hosts as lab/lab.sh defines them. */
export const labHosts = {
    "web-1": { sshPort: 2201, address: "172.30.0.11" },
    "web-2": { sshPort: 2202, address: "172.30.0.12" },
    "worker-1": { sshPort: 2203, address: "172.30.0.13" },
    "lb-1": { sshPort: 2204, address: "172.30.0.14" },
    "data-1": { sshPort: 2205, address: "172.30.0.15" },
} as const;
export type LabHost = keyof typeof labHosts;

/** Brings the lab up (idempotent). */
export async function labUp(): Promise<void> {
    await run("bash", [join(repositoryRoot, "lab/up.sh")]);
}

/**
 * The repository's own `local` stack (what `npm start` deploys), on the
 * backend of scripts/env.sh, or undefined when it was never created.
 */
export async function repositoryLocalStack(): Promise<Stack | undefined> {
    try {
        return await LocalWorkspace.selectStack({ stackName: "local", workDir: repositoryRoot });
    } catch {
        return undefined;
    }
}

/**
 * Brings the lab up and makes it free for a throwaway stack: if the
 * repository's `local` stack (`npm start`) has containers on the lab's
 * hosts, the same names would collide, so its resources are destroyed
 * (the stack and its config stay; `npm start` deploys it again), and
 * `say` is told so.
 */
export async function takeOverLab(say: (line: string) => void = (line) => console.log(line)): Promise<{ tookOver: boolean }> {
    await labUp();
    const local = await repositoryLocalStack();
    if (!local) {
        return { tookOver: false };
    }
    const deployed = (await local.exportStack()).deployment?.resources?.length ?? 0;
    if (deployed <= 1) {
        return { tookOver: false };
    }
    say(`taking the lab over: destroying the ${deployed} resources of the local stack (npm start, or bin/berth deploy --stack local, deploys it again)`);
    await local.destroy();
    return { tookOver: true };
}

/** The lab's S3-compatible server (lab/s3.sh), for backup uploads: started on demand, removed by labDown. */
export const labS3 = { endpoint: "http://172.30.0.3:8333", bucket: "berth-backups", accessKey: "berth-lab-backups", secretKey: "berth-lab-backups-secret" } as const;

export async function labS3Up(): Promise<void> {
    await run("bash", [join(repositoryRoot, "lab/s3.sh")]);
}

/** `rclone lsl` of a path in the lab's bucket: `size date time name` lines. */
export async function labS3List(path: string): Promise<string> {
    return run("docker", [
        "run", "--rm", "--network", "berth-lab",
        "-e", "RCLONE_CONFIG_BACKUP_TYPE=s3", "-e", "RCLONE_CONFIG_BACKUP_PROVIDER=Other", "-e", `RCLONE_CONFIG_BACKUP_ENDPOINT=${labS3.endpoint}`,
        "-e", "RCLONE_CONFIG_BACKUP_FORCE_PATH_STYLE=true", "-e", `RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID=${labS3.accessKey}`,
        "-e", `RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY=${labS3.secretKey}`,
        "berth/rclone:bookworm", "lsl", `backup:${labS3.bucket}/${path}`,
    ]);
}

/** Removes the lab: hosts, their volumes, services, network. */
export async function labDown(): Promise<void> {
    await run("bash", [join(repositoryRoot, "lab/down.sh")]);
}

/** Runs a command on a lab host over SSH, as berth does. */
export function onLabHost(host: LabHost, command: string): Promise<string> {
    return run("ssh", [
        "-i", labKeyPath, "-p", String(labHosts[host].sshPort),
        "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${labKnownHostsPath}`,
        "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "root@127.0.0.1", command,
    ]);
}

/** `name id` of every container on a lab host, sorted: equal lists mean nothing was replaced. */
export async function containerIdsOn(host: LabHost): Promise<string[]> {
    const lines = await onLabHost(host, "docker ps -a --no-trunc --format '{{.Names}} {{.ID}}'");
    return lines.split("\n").filter(Boolean).sort();
}

/**
 * Gives a lab host new SSH host keys, as a reinstalled machine would have,
 * and records the new ed25519 key in the lab's known_hosts (read over
 * Docker, as lab:up does). Returns the new public key lines by type
 * (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`).
 */
export async function replaceLabHostKey(host: LabHost): Promise<Record<string, string>> {
    const container = `berth-lab-${host}`;
    await run("docker", ["exec", container, "sh", "-c", "rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && kill -HUP $(cat /run/sshd.pid)"]);
    const keys: Record<string, string> = {};
    for (const file of ["ed25519", "ecdsa", "rsa"]) {
        const line = (await run("docker", ["exec", container, "cat", `/etc/ssh/ssh_host_${file}_key.pub`])).trim().split(" ").slice(0, 2).join(" ");
        keys[line.split(" ")[0]] = line;
    }
    const name = `[127.0.0.1]:${labHosts[host].sshPort}`;
    const known = (await readFile(labKnownHostsPath, "utf8")).split("\n").filter((line) => line && !line.startsWith(`${name} `));
    await writeFile(labKnownHostsPath, [...known, `${name} ${keys["ssh-ed25519"]}`, ""].join("\n"));
    // sshd re-executes on SIGHUP: wait until it answers with the new key.
    await eventually(`${host}'s sshd with its new key`, 30_000, async () => (await onLabHost(host, "true")) === "");
    return keys;
}

/** Names of the containers running on a lab host. */
export async function containersOn(host: LabHost): Promise<string[]> {
    const names = await onLabHost(host, "docker ps -a --format '{{.Names}}'");
    return names.split("\n").filter(Boolean).sort();
}

/**
 * The name of the running container of an app's role on a lab host (web and
 * worker containers have generated names); throws unless exactly one runs.
 */
export async function runningContainer(host: LabHost, app: string, role: "web" | "worker" | "beat"): Promise<string> {
    const names = (await onLabHost(host, `docker ps --filter label=berth.app=${app} --filter label=berth.role=${role} --format '{{.Names}}'`)).split("\n").filter(Boolean);
    if (names.length !== 1) {
        throw new Error(`expected one running ${app} ${role} container on ${host}, found ${names.length}: ${names.join(", ")}`);
    }
    return names[0];
}

/** The sample app through the lab's nginx (127.0.0.1:8080, Host sample.localhost). */
export function sampleThroughNginx(path: string, method = "GET") {
    return httpRequest(`http://127.0.0.1:8080${path}`, { method, host: "sample.localhost" });
}

/** The tick counter celery beat increments, as the sample page shows it. */
export async function sampleTicks(): Promise<number> {
    const page = await sampleThroughNginx("/");
    const match = /<strong id="ticks">(\d+)<\/strong>/.exec(page.body);
    if (page.status !== 200 || !match) {
        throw new Error(`no tick counter on the sample page (HTTP ${page.status}): ${page.body.slice(0, 300)}`);
    }
    return Number(match[1]);
}

export interface LabStack {
    stack: Stack;
    remove(): Promise<void>;
}

const PROGRAM_FILES = ["index.ts", "components", "stacks", "Pulumi.yaml", "Pulumi.local.yaml", "package.json", "tsconfig.json"];

/**
 * The berth program's `local` stack, on a copy of the program and a fresh
 * state backend, so tests can change its config without touching the
 * repository's files or the user's own lab stack.
 */
export async function createLabStack(): Promise<LabStack> {
    const scratch = await mkdtemp(join(tmpdir(), "berth-lab-stack-"));
    const program = join(scratch, "program");
    const backend = join(scratch, "state");
    await mkdir(program);
    await mkdir(backend);
    for (const file of PROGRAM_FILES) {
        await cp(join(repositoryRoot, file), join(program, file), { recursive: true });
    }
    await symlink(join(repositoryRoot, "node_modules"), join(program, "node_modules"));
    const stack = await LocalWorkspace.createStack(
        { stackName: "local", workDir: program },
        { envVars: { PULUMI_BACKEND_URL: `file://${backend}?metadata=skip`, PULUMI_CONFIG_PASSPHRASE: "berth-local" } },
    );
    await stack.setConfig("berth:sshKeyPath", { value: labKeyPath });
    return {
        stack,
        async remove() {
            await stack.workspace.removeStack("local");
            await rm(scratch, { recursive: true, force: true });
        },
    };
}

/** The sample app's image tag in the lab stack's config. */
export function setSampleTag(lab: LabStack, tag: string): Promise<void> {
    return lab.stack.setConfig("berth:apps[0].image.tag", { value: tag }, true);
}

/** The sample app's code ref in the lab stack's config. */
export function setSampleRef(lab: LabStack, ref: string): Promise<void> {
    return lab.stack.setConfig("berth:apps[0].code.ref", { value: ref }, true);
}

/**
 * Takes the lab over and makes a lab stack with the sample app at its first
 * release (v1, v1.0.0), not yet deployed, and a short health timeout: v3
 * never turns healthy, and a failing rollout should not wait a minute.
 */
export async function sampleLabStackForFailures(): Promise<LabStack> {
    await takeOverLab();
    const lab = await createLabStack();
    await setSampleTag(lab, "v1");
    await setSampleRef(lab, "v1.0.0");
    await lab.stack.setConfig("berth:apps[0].healthTimeoutSeconds", { value: "20" }, true);
    return lab;
}

/**
 * Removes what a lab test or the benchmark made: the stack's resources, the
 * stack and its copies, then the lab itself (unless `keepLab`). Best effort:
 * a failed test must still leave nothing behind.
 */
export async function tearDownLab(lab: LabStack | undefined, options: { keepLab?: boolean } = {}): Promise<void> {
    await lab?.stack.destroy().catch(() => undefined);
    await lab?.remove().catch(() => undefined);
    if (!options.keepLab) {
        await labDown();
    }
}

/** Polls until `check` resolves true, or fails with the last reason after `timeoutMs`. */
export async function eventually(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    while (Date.now() < deadline) {
        try {
            if (await check()) {
                return;
            }
        } catch (error) {
            lastError = (error as Error).message;
        }
        await new Promise((resolvePause) => setTimeout(resolvePause, 1000));
    }
    throw new Error(`${what} did not happen within ${timeoutMs / 1000} s${lastError ? `: ${lastError}` : ""}`);
}

/** Marks a secret in an exported deployment: the engine stores its value encrypted. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/**
 * The stack's state as the backend stores it, every secret left out: the
 * Automation API's export shows secrets decrypted, so a value found in what
 * this returns sits in the state in plain text.
 */
export async function stateWithoutSecrets(stack: Stack): Promise<string> {
    const strip = (value: unknown): unknown => {
        if (Array.isArray(value)) {
            return value.map(strip);
        }
        if (value !== null && typeof value === "object") {
            if (SECRET_SIGNATURE in value) {
                return "[secret]";
            }
            return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, strip(item)]));
        }
        return value;
    };
    return JSON.stringify(strip(await stack.exportStack()));
}
