import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { AppSpec, TlsSpec } from "./config/types";
import { Host } from "./host";
import { containerNames } from "./naming";
import { ACME_WEBROOT, appLayout, BERTH_ROOT_DIRECTORY, certificateFiles, MAINTENANCE_DIRECTORY, NGINX_DIRECTORY } from "./render/layout";
import { appHosts } from "./rollout/plan";
import {
    DOWN_PAGE, HttpsSettings, NginxSettings, renderDownPage, renderNginxConf, SiteSettings, UpstreamServer, upstreamServerLine, upstreamServerMarker,
} from "./render/nginx";
import { ensureAcmeChallengeServed, installFileFromStdin, installNginxConf, nextWebPort, setUpstreamServer, setUpstreamServerDrained } from "./shell/commands";
import {
    AcmeClientSettings, installProvidedCertificate, obtainCertificate, RENEW_CRON_FILE, RENEW_SCRIPT, renderRenewCron, renderRenewScript,
} from "./shell/certificates";
import { chain, quote, words } from "./shell/quote";

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
    /** Port nginx listens on for HTTPS when any app has TLS. Default 443. */
    httpsPort?: number;
    /** Port users reach HTTPS on (HTTP redirects there). Default `httpsPort`. */
    publicHttpsPort?: number;
    /** The ACME CA and HTTPS settings (`berth:tls`). */
    tls: TlsSpec;
    /** The CA bundle of the ACME directory's own HTTPS listener, for a private CA. */
    acmeDirectoryCa?: string;
    /** Per app with a provided certificate, its private key (a secret). */
    providedKeys: pulumi.Input<Record<string, string>>;
    /** What must exist before the ACME CA validates a domain: its DNS records (on DigitalOcean). */
    certificatesAfter?: pulumi.Resource[];
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
    /** Depend on this to edit the live config: nginx runs, and serves ACME challenges if any app needs them. */
    readonly ready: pulumi.Resource;
    private readonly name: string;
    private readonly https: HttpsSettings;
    /** The steps that put each HTTPS site's certificate on the host: the config that serves them comes after. */
    private readonly certificates: pulumi.Resource[] = [];

    constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("berth:index:LoadBalancer", name, {}, opts);
        const httpPort = args.httpPort ?? 80;
        this.host = args.host;
        this.httpPort = httpPort;
        this.publicPort = args.publicPort ?? httpPort;
        const httpsPort = args.httpsPort ?? 443;
        this.https = {
            port: httpsPort,
            publicPort: args.publicHttpsPort ?? httpsPort,
            hstsMaxAgeSeconds: args.tls.hstsMaxAgeSeconds,
            ocspStapling: args.tls.ocspStapling,
        };
        const onHost = { parent: this, provider: args.host.dockerProvider };
        const httpsApps = args.apps.filter((app) => app.tls.mode !== "off");
        const acmeApps = args.apps.filter((app) => app.tls.mode === "acme");

        this.name = name;

        // Apps that run no role here keep nothing here. An older berth collected static files on
        // this host, with the app's env file: remove them (again whenever the apps change).
        const appsElsewhere = args.apps.filter((app) => !appHosts(app).includes(args.host.hostName));
        const files = new command.remote.Command(`${name}-files`, {
            connection: args.host.connection,
            create: chain(
                words("mkdir", "-p", NGINX_DIRECTORY, ACME_WEBROOT, MAINTENANCE_DIRECTORY),
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
            // No HTTPS yet: no certificate is on the host before nginx answers its challenges.
            stdin: pulumi
                .all(args.apps.map((app) => siteSettings(app, args.hosts, Object.fromEntries(app.hosts.web.map((host) => [host, app.webPort])))))
                .apply((sites) => renderNginxConf(this.nginxSettings(sites.map(({ tls, ...site }) => site)))),
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
            // Publishing 443 once the first app has TLS replaces this container, once (ports are fixed at its start).
            ports: [{ internal: httpPort, external: httpPort }, ...(httpsApps.length > 0 ? [{ internal: httpsPort, external: httpsPort }] : [])],
            // nginx's own files, read-only (the apps' static files are proxied from their web hosts).
            volumes: [{ hostPath: BERTH_ROOT_DIRECTORY, containerPath: BERTH_ROOT_DIRECTORY, readOnly: true }],
            restart: "unless-stopped",
            logDriver: "json-file",
            logOpts: { "max-size": "10m", "max-file": "5" },
            destroyGraceSeconds: 10,
            stopSignal: "SIGQUIT", // nginx's graceful shutdown
        }, { ...onHost, dependsOn: [initialConfig, image] });

        // A config from a berth before HTTPS answers no ACME challenge: add the challenge locations to it.
        this.ready = acmeApps.length === 0 ? this.started : new command.remote.Command(`${name}-acme-challenge`, {
            connection: args.host.connection,
            create: ensureAcmeChallengeServed(NGINX_DIRECTORY, containerNames.nginx, httpPort, ACME_WEBROOT),
        }, { parent: this, dependsOn: [this.started] });

        if (acmeApps.length > 0) {
            this.obtainCertificates(acmeApps, args, onHost);
        }
        for (const app of args.apps) {
            if (app.tls.mode === "provided") {
                this.installProvidedCertificate(app, app.tls.certificate, args);
            }
        }
        this.registerOutputs({});
    }

    /** The ACME client's image, one step per domain that obtains its certificate, and the renewal cron job. */
    private obtainCertificates(acmeApps: AppSpec[], args: LoadBalancerArgs, onHost: pulumi.CustomResourceOptions): void {
        const client: AcmeClientSettings = {
            directory: args.tls.acme.directory,
            email: args.tls.acme.email,
            clientImage: args.tls.acme.clientImage,
            directoryCa: args.acmeDirectoryCa !== undefined,
            nginxContainer: containerNames.nginx,
        };
        const image = new docker.RemoteImage(`${this.name}-acme-client-image`, { name: client.clientImage, keepLocally: true }, onHost);
        // lego names its files after the domain as given; berth's paths are lowercase.
        const domains = acmeApps.map((app) => app.domain.toLowerCase());
        const obtained = acmeApps.map((app, index) => new command.remote.Command(`${this.name}-certificate-${app.name}`, {
            connection: this.host.connection,
            create: obtainCertificate(client, domains[index], args.tls.renewDaysBefore),
            stdin: args.acmeDirectoryCa ?? "",
        }, { parent: this, dependsOn: [this.ready, image, ...(args.certificatesAfter ?? [])] }));
        this.certificates.push(...obtained);
        const minute = hostMinute(this.host.hostName);
        this.certificates.push(new command.remote.Command(`${this.name}-certificate-renewal`, {
            connection: this.host.connection,
            create: chain(
                `{ command -v cron >/dev/null && [ -d /etc/cron.d ]; } || { echo ${quote(`${this.host.hostName} has no cron (or no /etc/cron.d): certificates would never be renewed; install it (apt-get install cron)`)} >&2; exit 1; }`,
                installFileFromStdin(RENEW_SCRIPT, "0700"),
                `umask 022 && printf '%s' ${quote(renderRenewCron(minute % 60, Math.floor(minute / 60)))} > ${quote(`${RENEW_CRON_FILE}.berth-tmp`)}`,
                words("mv", "-f", `${RENEW_CRON_FILE}.berth-tmp`, RENEW_CRON_FILE),
            ),
            delete: words("rm", "-f", RENEW_CRON_FILE, RENEW_SCRIPT),
            stdin: renderRenewScript(client, domains, args.tls.renewDaysBefore),
        }, { parent: this, dependsOn: obtained }));
    }

    /** A certificate the user provides: its key (a secret, 0600) and chain onto the host together; nginx reloads if it already serves them. */
    private installProvidedCertificate(app: AppSpec, chainPem: string, args: LoadBalancerArgs): void {
        const key = pulumi.output(args.providedKeys).apply((keys) => keys[app.name] ?? "");
        this.certificates.push(new command.remote.Command(`${this.name}-certificate-${app.name}`, {
            connection: this.host.connection,
            create: installProvidedCertificate(app.name, app.domain, containerNames.nginx),
            stdin: pulumi.secret(key.apply((pem) => `${withNewline(pem)}${withNewline(chainPem)}`)),
        }, { parent: this, dependsOn: [this.ready] }));
    }

    private nginxSettings(sites: SiteSettings[]): NginxSettings {
        return { httpPort: this.httpPort, downPageDirectory: NGINX_DIRECTORY, acmeWebroot: ACME_WEBROOT, https: this.https, sites, maintenanceDirectory: MAINTENANCE_DIRECTORY };
    }

    /**
     * The whole nginx.conf, installed once every app's rollout is done (so it
     * names each web host's new port), tested with `nginx -t`, and applied
     * with a reload. Returns the installing step.
     */
    installConfig(sites: pulumi.Input<SiteSettings>[], dependsOn: pulumi.Resource[]): command.remote.Command {
        const config = pulumi.all(sites).apply((all) => renderNginxConf(this.nginxSettings(all)));
        return new command.remote.Command(`${this.name}-config`, {
            connection: this.host.connection,
            create: installNginxConf(NGINX_DIRECTORY, containerNames.nginx),
            stdin: config,
        }, { parent: this, dependsOn: [this.ready, ...this.certificates, ...dependsOn] });
    }

    /** Where users reach an app: https on the public HTTPS port when it has TLS, http otherwise. */
    siteUrl(app: AppSpec): string {
        const [scheme, port, standard] = app.tls.mode === "off" ? ["http", this.publicPort, 80] : ["https", this.https.publicPort, 443];
        return `${scheme}://${app.domain}${port === standard ? "" : `:${port}`}/`;
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
            ...(app.tls.mode === "off" ? {} : { tls: certificateFiles(app.name, app.domain, app.tls.mode) }),
            healthPath: app.healthPath.split("?")[0],
        }));
}

function withNewline(text: string): string {
    return text.endsWith("\n") ? text : `${text}\n`;
}

/** A minute of the day (0-719, half a day) from the host's name: each load balancer renews at its own time. */
function hostMinute(hostName: string): number {
    let hash = 0;
    for (const character of hostName) {
        hash = (hash * 31 + character.charCodeAt(0)) % 720;
    }
    return hash;
}
