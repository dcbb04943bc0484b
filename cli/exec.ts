// `berth exec APP -- CMD...`: a one-off command with the app's image,
// settings, code and network, as seed 001's docker-runner runs Django
// commands; or, with --in-running, inside the app's running web container.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Stack } from "@pulumi/pulumi/automation";
import { validateConfig } from "../components/config";
import { AppSpec, BerthSpec } from "../components/config/types";
import { appLayout } from "../components/render/layout";
import { containerEnvironment } from "../components/rollout/containerSettings";
import { appVolumes } from "../components/shell/commands";
import { quote, words } from "../components/shell/quote";
import { actorIdentity, newRunId, recordAudit } from "./audit";
import { berthConfig, deployedState } from "./releases";
import { berthStateDirectory } from "./stateDirectory";
import { hostAccessByName, readStackState } from "./stackState";

export interface ExecRequest {
    app: string;
    command: string[];
    host?: string;
    role?: string;
    /** Inside the running web (or `role`) container instead of a new one. */
    inRunning?: boolean;
    /** Whether standard input is a terminal: an interactive exec gets one on the host too. */
    interactive: boolean;
}

/** Pure: the app, host and role an exec runs on, or an error naming what is wrong and what is allowed. */
export function planExec(spec: BerthSpec, request: Pick<ExecRequest, "app" | "host" | "role" | "command">): { app: AppSpec; host: string; role: "web" | "worker" | "beat" } {
    if (request.command.length === 0) {
        throw new Error("exec needs a command after --: berth exec APP -- manage migrate --plan");
    }
    const app = spec.apps.find((candidate) => candidate.name === request.app);
    if (!app) {
        throw new Error(`no app ${JSON.stringify(request.app)} in berth:apps (known: ${spec.apps.map((candidate) => candidate.name).join(", ")})`);
    }
    const roles = (["web", "worker", "beat"] as const).filter((role) => app.hosts[role].length > 0);
    if (request.role !== undefined && !(roles as readonly string[]).includes(request.role)) {
        throw new Error(`app ${app.name} has no ${request.role} role (its roles: ${roles.join(", ")})`);
    }
    const role = (request.role ?? (request.host ? roles.find((candidate) => app.hosts[candidate].includes(request.host!)) : "web") ?? "web") as "web" | "worker" | "beat";
    const hosts = app.hosts[role];
    if (request.host !== undefined && !hosts.includes(request.host)) {
        throw new Error(`host ${request.host} does not run app ${app.name}${request.role ? ` as ${role}` : ""} (its ${role} hosts: ${hosts.join(", ") || "none"})`);
    }
    return { app, host: request.host ?? hosts[0], role };
}

/** Pure: the remote command of an exec in a new container: the app's image, env file, code, static directory and settings pointers. */
export function oneOffCommand(app: AppSpec, tag: string, host: string, role: "web" | "worker" | "beat", command: string[], interactive: boolean): string {
    const layout = appLayout(app.name);
    const args = ["docker", "run", "--rm", interactive ? "-it" : "-i", "--name", `${app.name}-exec-${randomBytes(3).toString("hex")}`, "--label", `berth.app=${app.name}`, "--label", "berth.role=exec"];
    for (const volume of appVolumes(layout, layout.staticFiles)) {
        args.push("--volume", `${volume.path}:${volume.path}${volume.readOnly ? ":ro" : ""}`);
    }
    if (app.user) {
        args.push("--user", `${app.user.uid}:${app.user.gid}`);
    }
    const environment: Record<string, string> = { ...containerEnvironment(app, layout, host, role), BERTH_IMAGE_TAG: tag };
    for (const key of Object.keys(environment).sort()) {
        args.push("--env", `${key}=${environment[key]}`);
    }
    return words(...args, `${app.image.repository}:${tag}`, ...command);
}

/** Pure: the remote command of an exec in the running container: the env file loaded, CMD run as a program. */
export function inRunningCommand(app: AppSpec, role: "web" | "worker" | "beat", command: string[], interactive: boolean): string {
    const find = words("docker", "ps", "-q", "--filter", `label=berth.app=${app.name}`, "--filter", `label=berth.role=${role}`);
    const load = 'set -a; . "$BERTH_ENV_FILE"; set +a; cd "$BERTH_CODE_DIR" 2>/dev/null || true; exec "$@"';
    return [
        `container=$(${find} | head -n 1)`,
        `[ -n "$container" ] || { echo ${quote(`berth: no running ${role} container of ${app.name} on this host`)} >&2; exit 125; }`,
        `docker exec ${interactive ? "-it" : "-i"} "$container" sh -c ${quote(load)} berth-exec ${command.map(quote).join(" ")}`,
    ].join("; ");
}

/**
 * Runs the exec over SSH with this process's standard input, output and
 * error (a terminal when there is one), writes it to the audit log, and
 * resolves to the command's exit code.
 */
export async function execOnHost(stack: Stack, request: ExecRequest): Promise<number> {
    const [config, state, { deployed }] = await Promise.all([berthConfig(stack), readStackState(stack), deployedState(stack)]);
    const spec = validateConfig(config);
    const { app, host, role } = planExec(spec, request);
    const access = hostAccessByName(state).get(host);
    if (!access) {
        throw new Error(`host ${host} is not deployed in this stack yet: run berth deploy first`);
    }
    const tag = deployed[app.name]?.tag ?? app.image.tag;
    const remote = request.inRunning ? inRunningCommand(app, role, request.command, request.interactive) : oneOffCommand(app, tag, host, role, request.command, request.interactive);
    const identity = actorIdentity();
    const entry = {
        actor: identity.claimed ?? identity.observed, identity, run: newRunId(), stack: stack.name,
        command: `exec ${app.name}@${host}${request.inRunning ? ` (in the running ${role} container)` : ` (${app.image.repository}:${tag})`}: ${request.command.join(" ")}`,
        from: {}, to: {},
    };
    const directory = berthStateDirectory(stack);
    await recordAudit(directory, { ...entry, at: new Date().toISOString(), result: "started" });
    const code = await new Promise<number>((resolveCode, reject) => {
        const child = spawn("ssh", [...(request.interactive ? ["-t"] : []), ...access.sshArguments, remote], { stdio: "inherit" });
        child.on("error", reject);
        child.on("exit", (exitCode, signal) => resolveCode(exitCode ?? (signal ? 128 : 1)));
    });
    await recordAudit(directory, { ...entry, at: new Date().toISOString(), result: code === 0 ? "succeeded" : "failed", ...(code === 0 ? {} : { error: `exit code ${code}` }) });
    return code;
}
