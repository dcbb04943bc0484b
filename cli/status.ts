import { Stack } from "@pulumi/pulumi/automation";
import { containerNames } from "../components/naming";
import { appLayout, NGINX_DIRECTORY, PROVIDED_CERTIFICATES_DIRECTORY } from "../components/render/layout";
import { drainedUpstreamServers, servedCertificates, withEveryUpstreamServerUp } from "../components/render/nginx";
import { certificateExpiries, RENEW_LOG } from "../components/shell/certificates";
import { releaseDirectory } from "../components/shell/commands";
import { words } from "../components/shell/quote";
import { listMaintenance } from "../components/shell/maintenance";
import { deployedState, Releases } from "./releases";
import { runOnHost } from "./remote";
import { CONTAINER_TYPE, REMOTE_COMMAND_TYPE, HostAccess, hostAccessByProvider, plainStrings, readStackState, resourceName, StackState, StateResource, whyNotPlain } from "./stackState";

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
    /** What could not be compared because the state lacks it or holds it as a secret. */
    unchecked: string[];
}

export interface HostCodeStatus {
    host: string;
    app: string;
    /** The release the host's code link points at. */
    codeRef?: string;
    drift: string[];
}

/** nginx's config on the load balancer against the one the stack installed. */
export interface NginxStatus {
    host: string;
    /** Upstream servers marked `down` on the host: `app@host`. */
    drained: string[];
    drift: string[];
    /** Each HTTPS domain's certificate and when it expires (when the live config serves any). */
    certificates?: CertificateStatus[];
    /** Apps in maintenance (`berth maintenance on`), with since when (UTC). */
    maintenance?: { app: string; since: string }[];
}

export interface CertificateStatus {
    domain: string;
    /** undefined: the file is missing on the host. */
    expires?: Date;
}

/**
 * What status read of nginx: its config on the host ("" when missing), the
 * config the stack installed (undefined when the state does not record it
 * readably), and the expiry of each certificate file the live config names.
 */
export interface NginxReading {
    host: string;
    live: string;
    expected?: string;
    /** Certificate file → its `notAfter`, for the files that exist. */
    certificateExpiry?: Record<string, Date>;
    /** listMaintenance's output: `app since` lines. */
    maintenance?: string;
}

/** A certificate this close to expiry is drift: renewals (at least 7 days before, berth:tls.renewDaysBefore) have failed. */
const CERTIFICATE_WARNING_DAYS = 7;

export interface StatusReport {
    stack: string;
    containers: ContainerStatus[];
    code: HostCodeStatus[];
    nginx?: NginxStatus;
    /** Every difference between the hosts and the stack, one line each. */
    drift: string[];
    /** Every comparison the state did not allow, one line each; not drift. */
    unchecked: string[];
}

/** One container as `docker ps` lists it, with berth's labels ("" on containers berth did not label). */
export interface HostContainer {
    id: string;
    name: string;
    image: string;
    state: string;
    app: string;
    role: string;
}

/** What `docker ps` said on one host. */
export interface HostListing {
    host: string;
    /** The host's docker provider as the state's containers reference it: `urn::id`. */
    provider: string;
    containers: HostContainer[];
}

/** Everything status read on one host: its containers and each app's code link ("" when there is none). */
export interface HostReport extends HostListing {
    codeLinks: Map<string, string>;
}

/**
 * `berth status`: what runs where, read from the hosts themselves (tag, code
 * ref, health per container), and every difference from what the stack
 * recorded: a container missing, replaced by hand (another ID), on another
 * image, a container berth does not know, or a code link on another release.
 */
export async function readStatus(stack: Stack, known: { state?: StackState; deployed?: Releases } = {}): Promise<StatusReport> {
    const [state, deployed] = await Promise.all([
        known.state ?? readStackState(stack),
        known.deployed ?? deployedState(stack).then((read) => read.deployed),
    ]);
    // Every host at once, and nginx beside them: one after another, each host's
    // SSH connections added up to seconds of every deploy's drift check.
    const readHost = async ([provider, access]: [string, HostAccess]): Promise<HostReport> => {
        const listing = { host: access.host, provider, containers: await listContainers(access.host, (command) => runOnHost(access, command)) };
        const apps = appsWithCodeOn(state, deployed, listing);
        const links = await Promise.all(apps.map(async (app) => (await runOnHost(access, `readlink ${words(appLayout(app).code)} || true`)).trim()));
        return { ...listing, codeLinks: new Map(apps.map((app, index) => [app, links[index]])) };
    };
    const [hosts, nginx] = await Promise.all([Promise.all([...hostAccessByProvider(state)].map(readHost)), readNginx(state)]);
    return statusReport(stack.name, state, deployed, hosts, nginx);
}

/** nginx's config as the load balancer has it, beside the one the stack installed. */
export async function readNginx(state: StackState): Promise<NginxReading | undefined> {
    const nginx = state.resources.find((resource) => resource.type === CONTAINER_TYPE && plainStrings(resource, "name").includes(containerNames.nginx));
    const access = nginx?.provider ? hostAccessByProvider(state).get(nginx.provider) : undefined;
    if (!access) {
        return undefined;
    }
    const installed = state.resources.find((resource) => resource.type === REMOTE_COMMAND_TYPE && resourceName(resource.urn) === "nginx-config");
    const live = await runOnHost(access, `cat ${words(`${NGINX_DIRECTORY}/nginx.conf`)} 2>/dev/null || true`);
    const reading: NginxReading = { host: access.host, live, expected: installed ? plainStrings(installed, "stdin")[0] : undefined, maintenance: await runOnHost(access, listMaintenance()) };
    const files = [...new Set(servedCertificates(live).map((served) => served.certificateFile))];
    if (files.length > 0) {
        reading.certificateExpiry = parseCertificateExpiries(await runOnHost(access, certificateExpiries(files)));
    }
    return reading;
}

/** Pure: `<file> notAfter=<date>` lines (certificateExpiries) as file → date. */
export function parseCertificateExpiries(output: string): Record<string, Date> {
    const expiries: Record<string, Date> = {};
    for (const line of output.split("\n")) {
        const match = /^(\S+) notAfter=(.+)$/.exec(line.trim());
        if (match && !Number.isNaN(Date.parse(match[2]))) {
            expiries[match[1]] = new Date(match[2]);
        }
    }
    return expiries;
}

/**
 * Pure: nginx on the load balancer against the stack. An upstream server
 * left `down` (a drain no undrain followed) is drift: that host gets no
 * requests. So is any other difference from the config the stack installed.
 */
export function nginxStatus(reading: NginxReading, now: Date = new Date()): NginxStatus {
    const maintenance = (reading.maintenance ?? "").split("\n").filter(Boolean).map((line) => {
        const [app, since = ""] = line.trim().split(/\s+/);
        return { app, since };
    });
    const status = nginxStatusOfConfig(reading, now);
    return maintenance.length > 0 ? { ...status, maintenance } : status;
}

function nginxStatusOfConfig(reading: NginxReading, now: Date): NginxStatus {
    if (reading.live.trim() === "") {
        return { host: reading.host, drained: [], drift: ["nginx.conf is missing on the load balancer"] };
    }
    const drained = drainedUpstreamServers(reading.live);
    const drift = drained.map((server) => `${server} is drained: it gets no requests`);
    if (reading.expected !== undefined && withEveryUpstreamServerUp(reading.live) !== reading.expected) {
        drift.push("nginx.conf differs from the one the stack installed (edited on the host?)");
    }
    const served = servedCertificates(reading.live);
    if (served.length === 0) {
        return { host: reading.host, drained, drift };
    }
    const certificates = served.map(({ domain, certificateFile }) => ({ domain, expires: reading.certificateExpiry?.[certificateFile] }));
    served.forEach(({ domain, certificateFile }, index) => {
        const expires = certificates[index].expires;
        const daysLeft = expires ? Math.floor((expires.getTime() - now.getTime()) / 86_400_000) : undefined;
        if (daysLeft === undefined) {
            drift.push(`the certificate for ${domain} is missing on the load balancer`);
        } else if (daysLeft < 0) {
            drift.push(`the certificate for ${domain} expired on ${expires!.toISOString().slice(0, 10)}`);
        } else if (daysLeft < CERTIFICATE_WARNING_DAYS) {
            drift.push(certificateFile.startsWith(PROVIDED_CERTIFICATES_DIRECTORY)
                ? `the certificate for ${domain} expires in ${daysLeft} days: set its renewed chain and key (berth:apps[].tls) and deploy`
                : `the certificate for ${domain} expires in ${daysLeft} days: renewals are failing (see ${RENEW_LOG})`);
        }
    });
    return { host: reading.host, drained, drift, certificates };
}

/** Pure: the apps whose code link status reads on a host: those deployed with a code ref that the stack has a container of there. */
export function appsWithCodeOn(state: StackState, deployed: Releases, listing: HostListing): string[] {
    return appsWithCode(recordedContainers(state, deployed, listing), deployed);
}

function appsWithCode(recorded: RecordedContainer[], deployed: Releases): string[] {
    return [...new Set(recorded.map(({ status }) => status.app))].filter((app) => Boolean(deployed[app]?.codeRef));
}

/**
 * Pure: the status from the stack's state and what the hosts reported. Which
 * app and role a container has comes from Docker's labels on the host, or for
 * one missing there from its name: the state's labels may be one secret.
 */
export function statusReport(stackName: string, state: StackState, deployed: Releases, hostReports: HostReport[], nginx?: NginxReading): StatusReport {
    const report: StatusReport = { stack: stackName, containers: [], code: [], drift: [], unchecked: [] };
    if (nginx) {
        report.nginx = nginxStatus(nginx);
    }
    // Host by host in name order, so the report reads the same every time.
    const hosts = [...hostReports].sort((left, right) => left.host.localeCompare(right.host));
    for (const listing of hosts) {
        const recorded = recordedContainers(state, deployed, listing);
        report.containers.push(...recorded.map(({ status }) => status));
        for (const live of listing.containers) {
            if (live.app !== "" && !recorded.some((container) => container.live === live)) {
                report.containers.push({ ...hostContainerStatus(listing.host, live), drift: ["not in the stack (started by hand?)"] });
            }
        }
        for (const app of appsWithCode(recorded, deployed)) {
            const expected = deployed[app].codeRef!;
            const link = listing.codeLinks.get(app) ?? "";
            const codeRef = link ? link.split("/").pop() : undefined;
            const matches = link === releaseDirectory(appLayout(app), expected);
            report.code.push({ host: listing.host, app, codeRef, drift: matches ? [] : [`code is ${codeRef ?? "missing"}, the stack has ${expected}`] });
        }
    }
    report.drift = [
        ...report.containers.flatMap((container) => container.drift.map((line) => `${container.name}@${container.host}: ${line}`)),
        ...report.code.flatMap((code) => code.drift.map((line) => `${code.app} code@${code.host}: ${line}`)),
        ...(report.nginx?.drift ?? []).map((line) => `nginx@${report.nginx!.host}: ${line}`),
    ];
    report.unchecked = report.containers.flatMap((container) => container.unchecked.map((line) => `${container.name}@${container.host}: ${line}`));
    return report;
}

/** A container of the stack's, with the host's container it matches (if any) and its status. */
interface RecordedContainer {
    live?: HostContainer;
    status: ContainerStatus;
}

/** The stack's containers on one host. */
function recordedContainers(state: StackState, deployed: Releases, listing: HostListing): RecordedContainer[] {
    return state.resources
        .filter((resource) => resource.type === CONTAINER_TYPE && resource.provider === listing.provider)
        .map((resource) => compareContainer(resource, listing, Object.keys(deployed)));
}

/**
 * One recorded container against the host. It is found by the name the state
 * records in the clear, else by its container ID (the state's `id` is never
 * secret); what the state does not record readably is listed as unchecked.
 */
function compareContainer(resource: StateResource, listing: HostListing, appNames: string[]): RecordedContainer {
    const [name] = plainStrings(resource, "name");
    const id = typeof resource.id === "string" && resource.id !== "" ? resource.id : undefined;
    const images = plainStrings(resource, "image");
    const live = name !== undefined
        ? listing.containers.find((container) => container.name === name)
        : listing.containers.find((container) => id !== undefined && container.id !== "" && id.startsWith(container.id));
    if (live) {
        const drift: string[] = [];
        const unchecked: string[] = [];
        if (id === undefined) {
            unchecked.push("container ID (the state records none)");
        } else if (!id.startsWith(live.id)) {
            drift.push(`replaced outside berth (container ${live.id}, the stack has ${id.slice(0, 12)})`);
        }
        if (images.length === 0) {
            unchecked.push(`image (${whyNotPlain(resource, "image")})`);
        } else if (!images.includes(live.image)) {
            drift.push(`runs ${live.image}, the stack has ${images[0]}`);
        }
        // A container started by hand under berth's name has no berth labels: its name says what it stands in for.
        const labelled = live.app !== "" ? { app: live.app, role: live.role } : appAndRole(name ?? live.name, appNames);
        return { live, status: { ...hostContainerStatus(listing.host, live), ...labelled, drift, unchecked } };
    }
    const status: ContainerStatus = {
        host: listing.host,
        ...appAndRole(name, appNames),
        name: name ?? resourceName(resource.urn),
        image: images[0] ?? "",
        state: "missing",
        drift: [],
        unchecked: [],
    };
    if (name !== undefined) {
        status.drift.push("missing on the host");
    } else if (id !== undefined) {
        status.drift.push(`missing on the host (no container has ID ${id.slice(0, 12)}; its name is not known: ${whyNotPlain(resource, "name")})`);
    } else {
        status.state = "unknown";
        status.unchecked.push("the whole container (the state records neither its name nor its ID)");
    }
    return { status };
}

/** A host's container as a status line, before comparison. */
function hostContainerStatus(host: string, live: HostContainer): ContainerStatus {
    return { host, app: live.app, role: live.role, name: live.name, image: live.image, state: live.state, drift: [], unchecked: [] };
}

const APP_CONTAINER_ROLES = ["web", "worker", "beat"] as const;

/**
 * For a container without berth's labels (not on its host, or started by
 * hand): the app and role its name was made from, berth's fixed name
 * (`sample-beat`, and what seeds and older berths called web and workers)
 * or a generated one (`sample-web-web-1-0a1b2c3`). The longest app name wins.
 */
function appAndRole(name: string | undefined, appNames: string[]): { app: string; role: string } {
    const byLength = [...appNames].sort((left, right) => right.length - left.length);
    for (const app of byLength) {
        for (const role of APP_CONTAINER_ROLES) {
            const fixed = containerNames[role](app);
            if (name === fixed || (role !== "beat" && name?.startsWith(`${fixed}-`))) {
                return { app, role };
            }
        }
    }
    return { app: "", role: "" };
}

/** Every container on the host, with berth's labels. */
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
    if (report.nginx) {
        lines.push(`${report.nginx.host}: nginx ${report.nginx.drained.length === 0 ? "has every upstream server up" : `has ${report.nginx.drained.join(", ")} drained`}`);
        for (const { app, since } of report.nginx.maintenance ?? []) {
            lines.push(`${report.nginx.host}: ${app} is in maintenance (503) since ${since || "an unknown time"}: berth maintenance off ${app}`);
        }
        for (const certificate of report.nginx.certificates ?? []) {
            const expiry = certificate.expires ? `expires ${certificate.expires.toISOString().slice(0, 10)}` : "missing";
            lines.push(`${report.nginx.host}: certificate for ${certificate.domain} ${expiry}`);
        }
    }
    if (report.unchecked.length > 0) {
        lines.push("not compared with the stack:", ...report.unchecked.map((line) => `  ${line}`));
    }
    lines.push(report.drift.length === 0 ? "no drift: the hosts match the stack" : `drift:\n${report.drift.map((line) => `  ${line}`).join("\n")}`);
    return lines.join("\n");
}
