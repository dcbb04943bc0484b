import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { AppSpec } from "./config/types";
import { Host } from "./host";
import { containerNames } from "./naming";
import { appLayout, BERTH_ROOT_DIRECTORY, NGINX_DIRECTORY } from "./render/layout";
import { appHosts } from "./rollout/plan";
import { DOWN_PAGE, renderDownPage, renderNginxConf, SiteSettings, UpstreamServer, upstreamServerLine, upstreamServerMarker } from "./render/nginx";
import { installFileFromStdin, installNginxConf, nextWebPort, setUpstreamServer, setUpstreamServerDrained } from "./shell/commands";
import { chain, words } from "./shell/quote";

export interface LoadBalancerArgs {
    /** The host nginx runs on. */
    host: Host;
    /** Every host by name, to find the apps' web hosts' private addresses. */
    hosts: Record<string, Host>;
    apps: AppSpec[];
    /** Port nginx listens on, on the host. Default 80. */
    httpPort?: number;
    /** Port users reach nginx on, when something forwards to it (the lab: 127.0.0.1:8080). Default `httpPort`. */
    publicPort?: number;
    /** nginx image. Default `nginx:1.27-bookworm`. */
    image?: string;
}


/**
 * nginx on the load balancer host: one upstream per app over its web hosts.
 * Config changes are tested with `nginx -t` and applied with a reload, never
 * a restart. Apps choose each web host's next port (nextWebPortCommand),
 * point its server line at a new container (pointServerCommand) and, with
 * drain-first, drain it (drainCommand); the whole config is installed after
 * every rollout (installConfig).
 */
export class LoadBalancer extends pulumi.ComponentResource {
    readonly host: Host;
    readonly httpPort: number;
    readonly publicPort: number;
    /** Depend on this to run after nginx runs (with the config of the last deploy, or a first one). */
    readonly started: docker.Container;
    private readonly name: string;

    constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("berth:index:LoadBalancer", name, {}, opts);
        const httpPort = args.httpPort ?? 80;
        this.host = args.host;
        this.httpPort = httpPort;
        this.publicPort = args.publicPort ?? httpPort;
        const onHost = { parent: this, provider: args.host.dockerProvider };

        this.name = name;

        // Apps that run no role here keep nothing here. An older berth collected static files on
        // this host, with the app's env file: remove them (again whenever the apps change).
        const appsElsewhere = args.apps.filter((app) => !appHosts(app).includes(args.host.hostName));
        const files = new command.remote.Command(`${name}-files`, {
            connection: args.host.connection,
            create: chain(
                words("mkdir", "-p", NGINX_DIRECTORY),
                ...(appsElsewhere.length > 0 ? [words("rm", "-rf", "--", ...appsElsewhere.map((app) => appLayout(app.name).root))] : []),
                installFileFromStdin(`${NGINX_DIRECTORY}/${DOWN_PAGE}`, "0644"),
            ),
            stdin: renderDownPage(),
        }, { parent: this });

        // nginx needs a config to start; later changes go through `nginx -t` and a reload (see
        // installConfig). Only a first deploy writes this one: every web container on its first port.
        const initialConfig = new command.remote.Command(`${name}-initial-config`, {
            connection: args.host.connection,
            create: `[ -f ${NGINX_DIRECTORY}/nginx.conf ] || { ${installFileFromStdin(`${NGINX_DIRECTORY}/nginx.conf`, "0644")}; }`,
            stdin: pulumi
                .all(args.apps.map((app) => siteSettings(app, args.hosts, Object.fromEntries(app.hosts.web.map((host) => [host, app.webPort])))))
                .apply((sites) => renderNginxConf({ httpPort, downPageDirectory: NGINX_DIRECTORY, sites })),
        }, { parent: this, dependsOn: [files], ignoreChanges: ["stdin"] });

        const nginxImage = args.image ?? "nginx:1.27-bookworm";
        const image = new docker.RemoteImage(`${name}-image`, {
            name: nginxImage,
            keepLocally: true,
        }, onHost);

        this.started = new docker.Container(`${name}-nginx`, {
            name: containerNames.nginx,
            // The known name, not the pulled image's output: a preview shows (and the pack checks) it even
            // when the host's provider is not known yet; dependsOn keeps the pull first (pulumi-docker#293).
            image: nginxImage,
            command: ["nginx", "-g", "daemon off;", "-c", `${NGINX_DIRECTORY}/nginx.conf`],
            ports: [{ internal: httpPort, external: httpPort }],
            // nginx's own files, read-only (the apps' static files are proxied from their web hosts).
            volumes: [{ hostPath: BERTH_ROOT_DIRECTORY, containerPath: BERTH_ROOT_DIRECTORY, readOnly: true }],
            restart: "unless-stopped",
            logDriver: "json-file",
            logOpts: { "max-size": "10m", "max-file": "5" },
            destroyGraceSeconds: 10,
            stopSignal: "SIGQUIT", // nginx's graceful shutdown
        }, { ...onHost, dependsOn: [initialConfig, image] });

        this.registerOutputs({});
    }

    /**
     * The whole nginx.conf, installed once every app's rollout is done (so it
     * names each web host's new port), tested with `nginx -t`, and applied
     * with a reload. Returns the installing step.
     */
    installConfig(sites: pulumi.Input<SiteSettings>[], dependsOn: pulumi.Resource[]): command.remote.Command {
        const config = pulumi.all(sites).apply((all) => renderNginxConf({ httpPort: this.httpPort, downPageDirectory: NGINX_DIRECTORY, sites: all }));
        return new command.remote.Command(`${this.name}-config`, {
            connection: this.host.connection,
            create: installNginxConf(NGINX_DIRECTORY, containerNames.nginx),
            stdin: config,
        }, { parent: this, dependsOn: [this.started, ...dependsOn] });
    }

    /** The command that prints the port a host's new web container of the app starts on (see nextWebPort). */
    nextWebPortCommand(appName: string, hostName: string, ports: [number, number], which: "next" | "current" = "next"): string {
        return nextWebPort(NGINX_DIRECTORY, upstreamServerMarker(appName, hostName), ports, which);
    }

    /** The command that points an app's server line at a (new) web container and puts it into rotation. */
    pointServerCommand(appName: string, server: UpstreamServer): string {
        return setUpstreamServer(NGINX_DIRECTORY, containerNames.nginx, upstreamServerMarker(appName, server.hostName), upstreamServerLine(appName, server));
    }

    /** The command that takes one app's web host out of (or back into) rotation. */
    drainCommand(appName: string, hostName: string, drained: boolean): string {
        return setUpstreamServerDrained(NGINX_DIRECTORY, containerNames.nginx, upstreamServerMarker(appName, hostName), drained);
    }
}

/** An app's site in nginx, every web host up on the given port. */
export function siteSettings(app: AppSpec, hosts: Record<string, Host>, portByHost: Record<string, pulumi.Input<number>>): pulumi.Output<SiteSettings> {
    return pulumi
        .all([pulumi.all(app.hosts.web.map((hostName) => hosts[hostName].privateAddress)), pulumi.all(app.hosts.web.map((hostName) => portByHost[hostName]))])
        .apply(([addresses, ports]) => ({
            appName: app.name,
            domain: app.domain,
            servers: app.hosts.web.map((hostName, index) => ({ hostName, address: addresses[index], port: ports[index], drained: false })),
        }));
}
