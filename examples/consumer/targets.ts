/**
 * The part of berth's stack outputs this program reads (README of berth,
 * "Stack outputs"). Declared here, not imported: a consumer depends on the
 * documented contract, not on berth's code.
 */
export interface BerthHost {
    name: string;
    address: string;
    privateAddress: string;
}

export interface BerthApp {
    url: string;
    tag: string;
    codeRef?: string;
}

export interface BerthOutputs {
    apps: Record<string, BerthApp>;
    hosts: Record<string, BerthHost[] | undefined>;
    loadBalancer: { host: string; address: string; httpPort: number; reservedIp?: string };
}

/** One thing to watch from outside: an app's page, or a host's SSH port. */
export interface UptimeTarget {
    /** Unique and stable: `app-<name>` or `host-<name>`, so checks are not replaced when others come and go. */
    name: string;
    /** DigitalOcean's uptime check types: `https` for an app behind berth's TLS, `http` without it, `ping` for a host. */
    type: "http" | "https" | "ping";
    target: string;
}

/**
 * What a monitoring stack watches on a berth stack: every app's URL (through
 * nginx, the way users reach it) and every host's public address, each host
 * once even when it carries several roles. Sorted by name, so the same
 * outputs always give the same checks.
 */
export function uptimeTargets(outputs: BerthOutputs): UptimeTarget[] {
    const targets: UptimeTarget[] = Object.keys(outputs.apps).map((app) => {
        const url = outputs.apps[app].url;
        return { name: `app-${app}`, type: url.startsWith("https://") ? "https" as const : "http" as const, target: url };
    });
    const hosts = new Map<string, string>();
    for (const list of Object.values(outputs.hosts)) {
        for (const host of list ?? []) {
            hosts.set(host.name, host.address);
        }
    }
    for (const [name, address] of hosts) {
        targets.push({ name: `host-${name}`, type: "ping", target: address });
    }
    return targets.sort((left, right) => left.name.localeCompare(right.name));
}

/** Lines for a status page: what runs where. */
export function releaseSummary(outputs: BerthOutputs): string[] {
    const entry = outputs.loadBalancer.reservedIp ?? outputs.loadBalancer.address;
    return Object.keys(outputs.apps)
        .sort()
        .map((app) => {
            const { url, tag, codeRef } = outputs.apps[app];
            return `${app}: ${url} -> ${entry} (image ${tag}${codeRef ? `, code ${codeRef}` : ""})`;
        });
}
