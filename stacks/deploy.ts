import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { App } from "../components/app";
import { Host } from "../components/host";
import { LoadBalancer } from "../components/loadBalancer";
import { StackConfig } from "./config";
import { previousReleases, PreviousRelease } from "./history";

/** The stack's outputs: a documented contract other stacks read (see README). */
export interface StackOutputs {
    apps: Record<string, pulumi.Output<AppOutputs>>;
    loadBalancer: pulumi.Output<{ host: string; address: string; httpPort: number }>;
    /** Per app, the release before the current one: what `rollback` restores. */
    previousReleases: pulumi.Output<Record<string, PreviousRelease | undefined>>;
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
export function deployStack(config: StackConfig): StackOutputs {
    const { spec } = config;
    // Absolute, because the docker provider runs `ssh -i` from its own directory.
    const sshKeyPath = resolve(config.sshKeyPath);
    const privateKey = pulumi.secret(readFileSync(sshKeyPath, "utf8"));

    const hosts: Record<string, Host> = {};
    for (const host of spec.hosts) {
        hosts[host.name] = new Host(host.name, {
            address: host.address,
            privateAddress: host.privateAddress,
            sshPort: host.sshPort,
            sshUser: host.sshUser,
            privateKeyPath: sshKeyPath,
            privateKey,
            roles: host.roles,
        });
    }

    const loadBalancer = new LoadBalancer("nginx", {
        host: hosts[spec.loadBalancer.host],
        hosts,
        apps: spec.apps,
        httpPort: spec.loadBalancer.httpPort,
        publicPort: spec.loadBalancer.publicPort,
        image: spec.loadBalancer.image,
    });

    // Apps pull and release in parallel, but their web rollouts go one after
    // another: they drain and undrain through the same nginx.
    const apps: Record<string, pulumi.Output<AppOutputs>> = {};
    let previousApp: App | undefined;
    for (const appSpec of spec.apps) {
        const app: App = new App(appSpec.name, {
            spec: appSpec,
            hosts,
            loadBalancer,
            secrets: config.secrets.apply((secrets) => secrets[appSpec.name] ?? {}),
            drainAfter: previousApp ? [previousApp.done] : [],
        });
        // Resolves only once the app's last rollout step is done: a failed
        // rollout leaves the outputs of the last good deploy in place, which
        // is what `berth rollback` and `berth deploy` restore.
        apps[appSpec.name] = app.done.urn.apply(() => pulumi.output({
            url: app.url,
            image: app.image,
            tag: app.tag,
            codeRef: app.codeRef,
            hosts: app.hostsByRole,
            upstreamServers: app.upstreamServers,
            rolloutPlan: app.rolloutPlan,
        }));
        previousApp = app;
    }

    const lbHost = hosts[spec.loadBalancer.host];
    return {
        apps,
        previousReleases: previousReleases(spec.apps),
        loadBalancer: pulumi.output({ host: lbHost.hostName, address: lbHost.address, httpPort: loadBalancer.httpPort }),
    };
}
