import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Accessory } from "../components/accessory";
import { App } from "../components/app";
import { Host } from "../components/host";
import { AccessorySpec, AppSecrets, AppSpec, Role, ROLES } from "../components/config/types";
import { AccessoryEndpoint, accessoryPassword, connectionParts, ConnectionSource, connectionSettings, managedConnectionParts } from "../components/render/connection";
import { ManagedDatabase } from "./digitalocean/databases";
import { LoadBalancer } from "../components/loadBalancer";
import { StackConfig } from "./config";
import { DropletFleet } from "./digitalocean/fleet";
import { previousReleases, PreviousRelease } from "./history";
import { HostKeyScanner, sshKeyscan, verifiedHostKeys } from "./hostKeys";

/** The stack's outputs: a documented contract other stacks read (see README). */
export interface StackOutputs {
    apps: Record<string, pulumi.Output<AppOutputs>>;
    loadBalancer: pulumi.Output<LoadBalancerOutputs>;
    /** Per role, the hosts carrying it, with their addresses. */
    hosts: pulumi.Output<Record<Role, HostOutputs[]>>;
    /** Per app, the release before the current one: what `rollback` restores. */
    previousReleases: pulumi.Output<Record<string, PreviousRelease | undefined>>;
    /** Per host, the SSH host key every connection accepts (`ssh-ed25519 AAAA...`): where first-use pins are kept. */
    hostKeys: pulumi.Output<Record<string, string>>;
    /** Per accessory, where it listens (never its password). */
    accessories: pulumi.Output<Record<string, AccessoryOutputs>>;
    /** Per managed database (`berth:digitalocean.databases`): its private host and port (never a password). */
    databases: pulumi.Output<Record<string, { engine: string; host: string; port: number }>>;
}

export interface AccessoryOutputs {
    type: string;
    image: string;
    host: string;
    /** The data host's private address, the only one the port is published on. */
    address: string;
    port: number;
}

export interface DeployOptions {
    /** How hosts are asked for their keys. Default: ssh-keyscan. */
    scanHostKey?: HostKeyScanner;
}

export interface LoadBalancerOutputs {
    host: string;
    /** The nginx host's SSH (public) address. */
    address: string;
    httpPort: number;
    /** On DigitalOcean with `reservedIp` on: the address users (and DNS records) reach nginx on. */
    reservedIp?: string;
}

export interface HostOutputs {
    name: string;
    /** Where berth reaches the host over SSH: a droplet's public IPv4. */
    address: string;
    /** Where nginx reaches the host's web containers: a droplet's VPC address. */
    privateAddress: string;
}

export interface AppOutputs {
    url: string;
    image: string;
    tag: string;
    codeRef?: string;
    hosts: { web: string[]; worker: string[]; beat: string[] };
    upstreamServers: string[];
    rolloutPlan: string[];
}

/** Turns a validated config into hosts, the load balancer and the apps. */
export function deployStack(config: StackConfig, options: DeployOptions = {}): StackOutputs {
    const { spec } = config;
    // This stack's own outputs from its last deploy: release history and pinned host keys.
    const lastDeploy = new pulumi.StackReference("berth-history", {
        name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    });
    // Absolute, because the docker provider runs `ssh -i` from its own directory.
    const sshKeyPath = resolve(config.sshKeyPath);
    const privateKey = pulumi.secret(readFileSync(sshKeyPath, "utf8"));

    // On DigitalOcean the droplets come first; their addresses resolve once cloud-init is done.
    const fleet = spec.digitalocean
        ? new DropletFleet("digitalocean", { spec: spec.digitalocean, apps: spec.apps, loadBalancer: spec.loadBalancer, accessories: spec.accessories, privateKey })
        : undefined;
    const targets = [
        ...spec.hosts,
        ...(fleet?.hosts ?? []).map((droplet) => ({ ...droplet.spec, address: droplet.address, privateAddress: droplet.privateAddress })),
    ];

    // Listed hosts: their keys from config, from the last deploy, or learned now.
    const listedKeys = verifiedHostKeys(
        spec.hosts.map((host) => ({ name: host.name, address: host.address, sshPort: host.sshPort, configuredKey: host.hostKey })),
        lastDeploy.getOutput("hostKeys"),
        options.scanHostKey ?? sshKeyscan,
    );
    const dropletKeys = new Map((fleet?.hosts ?? []).map((droplet) => [droplet.spec.name, droplet.hostKey]));

    const hosts: Record<string, Host> = {};
    for (const host of targets) {
        hosts[host.name] = new Host(host.name, {
            address: host.address,
            privateAddress: host.privateAddress,
            sshPort: host.sshPort,
            sshUser: host.sshUser,
            privateKeyPath: sshKeyPath,
            privateKey,
            hostKey: dropletKeys.get(host.name) ?? listedKeys.apply((keys) => keys[host.name]),
            roles: host.roles,
            registryAuth: fleet?.registryAuth,
        });
    }

    const loadBalancer = new LoadBalancer("nginx", {
        host: hosts[spec.loadBalancer.host],
        hosts,
        apps: spec.apps,
        httpPort: spec.loadBalancer.httpPort,
        publicPort: spec.loadBalancer.publicPort,
        httpsPort: spec.loadBalancer.httpsPort,
        publicHttpsPort: spec.loadBalancer.publicHttpsPort,
        image: spec.loadBalancer.image,
        tls: spec.tls,
        acmeDirectoryCa: config.acmeDirectoryCa,
        providedKeys: config.secrets.apply((secrets) => providedCertificateKeys(spec.apps, secrets)),
        certificatesAfter: fleet?.dnsRecords ?? [],
    });

    // Data services first: an app's env file names them, and its containers start once they are healthy.
    const accessories: Record<string, Accessory> = {};
    for (const accessorySpec of spec.accessories) {
        accessories[accessorySpec.name] = new Accessory(accessorySpec.name, {
            spec: accessorySpec,
            host: hosts[accessorySpec.host],
            secrets: config.secrets.apply((secrets) => secrets[accessorySpec.name] ?? {}),
        });
    }

    // Apps pull and release in parallel, but their web rollouts go one after
    // another: they drain and undrain through the same nginx.
    const apps: Record<string, pulumi.Output<AppOutputs>> = {};
    const appComponents: Record<string, App> = {};
    let previousApp: App | undefined;
    for (const appSpec of spec.apps) {
        const app: App = new App(appSpec.name, {
            spec: appSpec,
            hosts,
            loadBalancer,
            secrets: appSecrets(appSpec, spec.accessories, accessories, fleet?.databases ?? {}, config.secrets),
            drainAfter: previousApp ? previousApp.done : [],
            accessories: appSpec.accessories.flatMap((use) => (accessories[use.name] ? [accessories[use.name].container] : [])),
        });
        // Resolves only once the app's last rollout step is done: a failed
        // rollout leaves the outputs of the last good deploy in place, which
        // is what `berth rollback` and `berth deploy` restore.
        apps[appSpec.name] = pulumi.all(app.done.map((step) => step.urn)).apply(() => pulumi.output({
            url: app.url,
            image: app.image,
            tag: app.tag,
            codeRef: app.codeRef,
            hosts: app.hostsByRole,
            upstreamServers: app.upstreamServers,
            rolloutPlan: app.rolloutPlan,
        }));
        appComponents[appSpec.name] = app;
        previousApp = app;
    }

    // Once every rollout is done: the whole nginx.conf, each web host on its new container's port.
    const appResources = Object.values(appComponents);
    loadBalancer.installConfig(appResources.map((app) => app.site), appResources.flatMap((app) => app.done));

    const lbHost = hosts[spec.loadBalancer.host];
    return {
        apps,
        accessories: accessoryOutputs(spec.accessories, accessories),
        databases: pulumi.output(Object.fromEntries(Object.values(fleet?.databases ?? {}).map((database) =>
            [database.spec.name, pulumi.output({ engine: database.spec.engine, host: database.cluster.privateHost, port: database.cluster.port })]))),
        previousReleases: previousReleases(spec.apps, lastDeploy),
        hostKeys: pulumi.all(Object.values(hosts).map((host) => pulumi.all([host.hostName, host.hostKey]))).apply((pairs) =>
            Object.fromEntries([...pairs].sort(([left], [right]) => left.localeCompare(right)))),
        loadBalancer: pulumi.output({
            host: lbHost.hostName,
            address: lbHost.address,
            httpPort: loadBalancer.httpPort,
            ...(fleet?.reservedIp ? { reservedIp: fleet.reservedIp } : {}),
        }),
        hosts: hostsByRole(Object.values(hosts)),
    };
}

/** Where each accessory listens, once its container is up. */
function accessoryOutputs(specs: AccessorySpec[], accessories: Record<string, Accessory>): pulumi.Output<Record<string, AccessoryOutputs>> {
    const entries = specs.map((spec) => {
        const { address, container } = accessories[spec.name];
        const outputs = pulumi.all([address, container.id]).apply(([privateAddress]) => ({ type: spec.type, image: spec.image, host: spec.host, address: privateAddress, port: spec.port }));
        return [spec.name, outputs] as const;
    });
    return pulumi.output(Object.fromEntries(entries)) as pulumi.Output<Record<string, AccessoryOutputs>>;
}

/** Every role, even one no host carries: consumers can index any role. */
function hostsByRole(hosts: Host[]): pulumi.Output<Record<Role, HostOutputs[]>> {
    const byRole = {} as Record<Role, pulumi.Output<HostOutputs>[]>;
    for (const role of ROLES) {
        byRole[role] = hosts
            .filter((host) => host.roles.includes(role))
            .map((host) => pulumi.output({ name: host.hostName, address: host.address, privateAddress: host.privateAddress }));
    }
    return pulumi.output(byRole) as pulumi.Output<Record<Role, HostOutputs[]>>;
}

/**
 * What an app's env file holds beyond its plain settings: its secrets, and
 * the connection settings of the accessories it names (their URLs carry
 * passwords, so they are secrets too).
 */
function appSecrets(app: AppSpec, specs: AccessorySpec[], accessories: Record<string, Accessory>, databases: Record<string, ManagedDatabase>, secrets: pulumi.Output<AppSecrets>): pulumi.Output<Record<string, string>> {
    const used = specs.filter((accessory) => app.accessories.some((use) => use.name === accessory.name));
    const managed = Object.values(databases).filter((database) => app.accessories.some((use) => use.name === database.spec.name));
    return pulumi.all([
        secrets,
        pulumi.all(used.map((accessory) => accessories[accessory.name].address)),
        pulumi.all(managed.map((database) => database.connectionFor(app.name))),
    ]).apply(([values, addresses, connections]) => {
        const sources: Record<string, ConnectionSource> = {};
        used.forEach((accessory, index) => {
            const endpoint: AccessoryEndpoint = { accessory, address: addresses[index], password: accessoryPassword(accessory, values) };
            sources[accessory.name] = (redisDatabase) => connectionParts(endpoint, redisDatabase);
        });
        managed.forEach((database, index) => {
            sources[database.spec.name] = (redisDatabase) => managedConnectionParts(connections[index], redisDatabase);
        });
        return { ...envFileSecrets(app, values), ...connectionSettings(app.accessories, sources) };
    });
}

/** An app's secrets for its env file: all but the key of a provided certificate, which only nginx's host gets. */
export function envFileSecrets(app: AppSpec, secrets: AppSecrets): Record<string, string> {
    const settings = { ...(secrets[app.name] ?? {}) };
    if (app.tls.mode === "provided") {
        delete settings[app.tls.keySecret];
    }
    return settings;
}

/** Per app with a provided certificate, its key (from `berth:secrets`). */
export function providedCertificateKeys(apps: AppSpec[], secrets: AppSecrets): Record<string, string> {
    const keys: Record<string, string> = {};
    for (const app of apps) {
        if (app.tls.mode === "provided") {
            keys[app.name] = secrets[app.name]?.[app.tls.keySecret] ?? "";
        }
    }
    return keys;
}
