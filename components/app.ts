import * as pulumi from "@pulumi/pulumi";
import { credentialIn } from "./config/patterns";
import { AppSpec } from "./config/types";
import { appUwsgiIni, PreparedHost, prepareAppHost } from "./rollout/hostPreparation";
import { createRollout } from "./rollout/wiring";
import { Host } from "./host";
import { LoadBalancer, siteSettings } from "./loadBalancer";
import { fingerprint, imageReference } from "./naming";
import { renderEnvFile } from "./render/envFile";
import { SiteSettings, upstreamServerAddress } from "./render/nginx";
import { appLayout } from "./render/layout";
import { appHosts, describeRollout } from "./rollout/plan";

export interface AppArgs {
    /** The validated app config. */
    spec: AppSpec;
    /** Every host of the stack by name; the app uses those its spec names. */
    hosts: Record<string, Host>;
    loadBalancer: LoadBalancer;
    /** Web hosts are drained only after these (another app's rollout through the same nginx). Default none. */
    drainAfter?: pulumi.Resource[];
    /** Secret settings, merged over `spec.env` into the 0600 env file. Default none. */
    secrets?: pulumi.Input<Record<string, string>>;
    /** The accessories' containers the app connects to: its env file is written once they are healthy. Default none. */
    accessories?: pulumi.Resource[];
}

/** Per role, the hosts an app runs on. */
export interface AppHostsByRole {
    web: string[];
    worker: string[];
    beat: string[];
}

/**
 * One app across its hosts: image pulls, host volumes, release tasks, web
 * containers replaced host by host behind nginx, celery workers and beat.
 */
export class App extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly image: pulumi.Output<string>;
    readonly tag: pulumi.Output<string>;
    readonly codeRef: pulumi.Output<string | undefined>;
    readonly hostsByRole: pulumi.Output<AppHostsByRole>;
    /** `address:port` of each web container behind the app's upstream. */
    readonly upstreamServers: pulumi.Output<string[]>;
    /** The app's site in nginx: each web host on the port of its new container. */
    readonly site: pulumi.Output<SiteSettings>;
    /** The rollout order of an image change, as numbered lines. */
    readonly rolloutPlan: pulumi.Output<string[]>;
    /** Depend on these to run after the whole app is deployed. */
    readonly done: pulumi.Resource[];

    constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        // The names (not values) of the plain settings, for the policy pack:
        // a secret there would sit in the state and in config in plain text.
        // And the names of those whose values carry a credential (a URL with a password, a key).
        super("berth:index:App", name, {
            plainSettings: Object.keys(args.spec.env).sort(),
            credentialSettings: Object.keys(args.spec.env).filter((key) => credentialIn(args.spec.env[key]) !== undefined).sort(),
        }, opts);
        const { spec } = args;
        const layout = appLayout(spec.name);

        const envFile = pulumi
            .output(args.secrets ?? {})
            .apply((secrets) => renderEnvFile({ ...spec.env, ...secrets }));
        const containerFingerprint = envFile.apply((content) => fingerprint(spec.image.repository, spec.image.tag, content));
        const uwsgiIni = appUwsgiIni(spec, layout);
        const webContainerFingerprint = containerFingerprint.apply((containers) => fingerprint(containers, uwsgiIni));

        const filesByHost = new Map<string, PreparedHost>();
        for (const hostName of appHosts(spec)) {
            filesByHost.set(hostName, prepareAppHost(name, {
                app: spec,
                layout,
                host: args.hosts[hostName],
                envFile,
                uwsgiIni,
                isWebHost: spec.hosts.web.includes(hostName),
                after: args.accessories ?? [],
                parent: this,
            }));
        }

        const rollout = createRollout({ name, app: spec, layout, filesByHost, loadBalancer: args.loadBalancer, containerFingerprint, webContainerFingerprint, drainAfter: args.drainAfter ?? [], parent: this });
        this.done = rollout.done;

        this.url = pulumi.output(args.loadBalancer.siteUrl(spec));
        this.image = pulumi.output(imageReference(spec));
        this.tag = pulumi.output(spec.image.tag);
        this.codeRef = pulumi.output(spec.code?.ref);
        this.hostsByRole = pulumi.output({ web: spec.hosts.web, worker: spec.hosts.worker, beat: spec.hosts.beat });
        this.site = siteSettings(spec, args.hosts, rollout.webPortByHost);
        this.upstreamServers = this.site.apply((site) => site.servers.map((server) => upstreamServerAddress(server)));
        this.rolloutPlan = pulumi.output(describeRollout(spec, "image"));

        this.registerOutputs({
            url: this.url,
            image: this.image,
            tag: this.tag,
            codeRef: this.codeRef,
            hostsByRole: this.hostsByRole,
            upstreamServers: this.upstreamServers,
            rolloutPlan: this.rolloutPlan,
        });
    }
}
