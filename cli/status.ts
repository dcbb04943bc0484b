import { Stack } from "@pulumi/pulumi/automation";
import { appLayout } from "../components/render/layout";
import { releaseDirectory } from "../components/shell/commands";
import { words } from "../components/shell/quote";
import { deployedState } from "./releases";
import { runOnHost } from "./remote";
import { CONTAINER_TYPE, hostAccessByProvider, readStackState, StateResource } from "./stackState";

/** One berth container as its host reports it, compared with the stack's state. */
export interface ContainerStatus {
    host: string;
    app: string;
    role: string;
    name: string;
    image: string;
    /** Docker's status line: "Up 5 minutes (healthy)". */
    state: string;
    /** Empty when the host matches the stack; otherwise what differs. */
    drift: string[];
}

export interface HostCodeStatus {
    host: string;
    app: string;
    /** The release the host's code link points at. */
    codeRef?: string;
    drift: string[];
}

export interface StatusReport {
    stack: string;
    containers: ContainerStatus[];
    code: HostCodeStatus[];
    /** Every difference between the hosts and the stack, one line each. */
    drift: string[];
}

interface HostContainer {
    id: string;
    name: string;
    image: string;
    state: string;
    app: string;
    role: string;
}

/**
 * `berth status`: what runs where, read from the hosts themselves (tag, code
 * ref, health per container), and every difference from what the stack
 * recorded: a container missing, replaced by hand (another ID), on another
 * image, a container berth does not know, or a code link on another release.
 */
export async function readStatus(stack: Stack): Promise<StatusReport> {
    const state = await readStackState(stack);
    const { deployed } = await deployedState(stack);
    const report: StatusReport = { stack: stack.name, containers: [], code: [], drift: [] };

    // Host by host in name order, so the report reads the same every time.
    const hosts = [...hostAccessByProvider(state)].sort(([, left], [, right]) => left.host.localeCompare(right.host));
    for (const [providerReference, access] of hosts) {
        const recorded = state.resources.filter((resource) => resource.type === CONTAINER_TYPE && resource.provider === providerReference);
        const appsHere = [...new Set(recorded.map((resource) => labelOf(resource, "berth.app")).filter((app): app is string => Boolean(app)))];
        const recordedNames = new Set(recorded.map((resource) => String(resource.outputs?.name ?? "")));
        const onHost = (await listContainers(access.host, (command) => runOnHost(access, command)))
            .filter((container) => container.app !== "" || recordedNames.has(container.name));

        for (const resource of recorded) {
            const name = String(resource.outputs?.name ?? "");
            const live = onHost.find((container) => container.name === name);
            const drift: string[] = [];
            if (!live) {
                drift.push("missing on the host");
            } else {
                if (!String(resource.id ?? "").startsWith(live.id)) {
                    drift.push(`replaced outside berth (container ${live.id}, the stack has ${String(resource.id).slice(0, 12)})`);
                }
                if (live.image !== resource.outputs?.image && live.image !== resource.inputs?.image) {
                    drift.push(`runs ${live.image}, the stack has ${String(resource.inputs?.image)}`);
                }
            }
            report.containers.push({
                host: access.host,
                app: labelOf(resource, "berth.app") ?? "",
                role: labelOf(resource, "berth.role") ?? "",
                name,
                image: live?.image ?? String(resource.inputs?.image ?? ""),
                state: live?.state ?? "missing",
                drift,
            });
        }
        for (const live of onHost) {
            if (!recorded.some((resource) => resource.outputs?.name === live.name)) {
                report.containers.push({ ...live, host: access.host, drift: ["not in the stack (started by hand?)"] });
            }
        }
        for (const app of appsHere) {
            const expected = deployed[app]?.codeRef;
            if (!expected) {
                continue;
            }
            const layout = appLayout(app);
            const link = (await runOnHost(access, `readlink ${words(layout.code)} || true`)).trim();
            const codeRef = link ? link.split("/").pop() : undefined;
            const matches = link === releaseDirectory(layout, expected);
            report.code.push({ host: access.host, app, codeRef, drift: matches ? [] : [`code is ${codeRef ?? "missing"}, the stack has ${expected}`] });
        }
    }
    report.drift = [
        ...report.containers.flatMap((container) => container.drift.map((line) => `${container.name}@${container.host}: ${line}`)),
        ...report.code.flatMap((code) => code.drift.map((line) => `${code.app} code@${code.host}: ${line}`)),
    ];
    return report;
}

function labelOf(resource: StateResource, label: string): string | undefined {
    const labels = (resource.inputs?.labels ?? []) as { label?: string; value?: unknown }[];
    const value = labels.find((entry) => entry.label === label)?.value;
    return typeof value === "string" ? value : undefined;
}

/** Every container on the host, with berth's labels (empty on containers berth did not label). */
async function listContainers(host: string, run: (command: string) => Promise<string>): Promise<HostContainer[]> {
    const format = '{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Label "berth.app"}}\t{{.Label "berth.role"}}';
    const output = await run(`docker ps --all --format ${words(format)}`);
    return output.split("\n").filter(Boolean).map((line) => {
        const [id, name, image, state, app, role] = line.split("\t");
        if (role === undefined) {
            throw new Error(`unexpected docker ps line from ${host}: ${line}`);
        }
        return { id, name, image, state, app, role };
    });
}

/** Pure: the status as a table people read. */
export function renderStatus(report: StatusReport): string {
    const rows = [
        ["host", "container", "image", "state"],
        ...report.containers.map((container) => [container.host, container.name, container.image, container.state]),
    ];
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
    for (const code of report.code) {
        lines.push(`${code.host}: ${code.app} code at ${code.codeRef ?? "(none)"}`);
    }
    lines.push(report.drift.length === 0 ? "no drift: the hosts match the stack" : `drift:\n${report.drift.map((line) => `  ${line}`).join("\n")}`);
    return lines.join("\n");
}
