import { hostAndPort } from "./address";
/** One web container behind an app's upstream. */
export interface UpstreamServer {
    hostName: string;
    address: string;
    port: number;
    /** A drained server gets no new requests (`down`), e.g. while it is replaced. */
    drained: boolean;
}

export interface SiteSettings {
    appName: string;
    domain: string;
    servers: UpstreamServer[];
    /** Set when the site is served over HTTPS (HTTP then redirects, but for the ACME challenge path). */
    tls?: SiteCertificate;
    /** The app's health path (no query): served even in maintenance, so monitors see the app itself. */
    healthPath?: string;
}

/** Where a site's certificate (the full chain, leaf first) and its key are, on the host and in nginx's container. */
export interface SiteCertificate {
    certificateFile: string;
    keyFile: string;
}

/** How nginx serves HTTPS, for every site that has a certificate. */
export interface HttpsSettings {
    /** Port nginx listens on for HTTPS, on its host (443). */
    port: number;
    /** Port users reach it on (the lab: 8443): where HTTP redirects to. */
    publicPort: number;
    /** `Strict-Transport-Security` max-age; 0: no HSTS header. */
    hstsMaxAgeSeconds: number;
    /** Staple OCSP responses (only for CAs that still run OCSP; Let's Encrypt ended it in 2025). */
    ocspStapling: boolean;
}

export interface NginxSettings {
    httpPort: number;
    /** Directory holding the "site is down" page. */
    downPageDirectory: string;
    /** Directory ACME clients write http-01 challenge files into (`.well-known/acme-challenge/<token>`). */
    acmeWebroot: string;
    https: HttpsSettings;
    sites: SiteSettings[];
    /** Where `berth maintenance` writes its per-app files (maintenanceFiles). */
    maintenanceDirectory: string;
}

/** The comment on the challenge location: berth finds it to know a live config answers ACME challenges. */
export const ACME_CHALLENGE_MARKER = "# berth: ACME http-01 challenges";

export const DOWN_PAGE = "berth-down.html";

/**
 * Maintenance mode (`berth maintenance on APP`): a file per app in this
 * directory of the load balancer, which every deploy's nginx.conf includes
 * but never writes, so the mode survives deploys until switched off.
 * `<app>.conf` sets `$berth_maintenance`; `<app>.html` is the page.
 */
export function maintenanceFiles(directory: string, appName: string): { config: string; page: string } {
    return { config: `${directory}/${appName}.conf`, page: `${directory}/${appName}.html` };
}
/** How long clients are asked to wait (Retry-After) while an app is in maintenance. */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 300;
/** A status nginx never sends, turned into 503 with the maintenance page by error_page. */
const MAINTENANCE_STATUS = 418;

const GZIP_TYPES = [
    "application/javascript", "application/json", "application/xml", "image/svg+xml",
    "text/css", "text/javascript", "text/plain", "text/xml",
];

/**
 * Renders the whole nginx.conf of the load balancer: one upstream and one
 * server block per app, sorted by app name and host name so the same config
 * always renders byte for byte the same (its hash triggers reloads).
 *
 * Logs go to the container's stdout/stderr, where Docker's json-file driver
 * rotates them (max-size/max-file on the nginx container).
 */
export function renderNginxConf(settings: NginxSettings): string {
    const sites = [...settings.sites].sort((left, right) => left.appName.localeCompare(right.appName));
    const lines = [
        "# Rendered by berth. Do not edit on the host: the next `pulumi up` rewrites it.",
        "worker_processes auto;",
        "pid /run/nginx.pid;",
        "error_log stderr warn;",
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        "    include /etc/nginx/mime.types;",
        "    default_type application/octet-stream;",
        "    sendfile on;",
        "    keepalive_timeout 65;",
        "    server_tokens off;",
        "    client_max_body_size 40m;",
        "",
        "    log_format berth '$remote_addr $host \"$request\" $status $body_bytes_sent '",
        "                     '$request_time upstream=$upstream_addr status=$upstream_status';",
        "    access_log /dev/stdout berth;",
        "",
        "    gzip on;",
        "    gzip_vary on;",
        "    gzip_proxied any;",
        "    gzip_comp_level 5;",
        "    gzip_min_length 256;",
        `    gzip_types ${GZIP_TYPES.join(" ")};`,
        "",
        ...(sites.some((site) => site.tls) ? tlsProtocolSettings(settings.https).map((line) => `    ${line}`) : []),
        "    # Requests for unknown host names get nothing, but for ACME challenges:",
        "    # a domain new to the config gets its certificate before its site is served.",
        "    server {",
        `        listen ${settings.httpPort} default_server;`,
        ...acmeChallengeLocation(settings.acmeWebroot).map((line) => `        ${line}`),
        "        location / {",
        "            return 444;",
        "        }",
        "    }",
        ...(sites.some((site) => site.tls) ? [
            "    server {",
            `        listen ${settings.https.port} ssl default_server;`,
            "        ssl_reject_handshake on;",
            "    }",
        ] : []),
    ];
    for (const site of sites) {
        lines.push("", ...renderSite(site, settings).map((line) => `    ${line}`.trimEnd()));
    }
    lines.push("}", "");
    return lines.join("\n");
}

/**
 * The comment that ends an upstream server's line. Drain and undrain find
 * the line by it, so draining one app's host never touches another app.
 */
export function upstreamServerMarker(appName: string, hostName: string): string {
    return `# ${appName}@${hostName}`;
}

/** The `app@host` of every upstream server the config marks `down` (drained), in file order. */
export function drainedUpstreamServers(config: string): string[] {
    return [...config.matchAll(/ down; # (\S+@\S+)$/gm)].map((match) => match[1]);
}

/** Every HTTPS server's domain and certificate file, as the config names them (in file order). */
export function servedCertificates(config: string): { domain: string; certificateFile: string }[] {
    return [...config.matchAll(/^\s*server_name (\S+);\n\s*ssl_certificate (\S+);$/gm)].map((match) => ({ domain: match[1], certificateFile: match[2] }));
}

/** The port an app's server line on a host points at (its serving web container's), if the config has the line. */
export function upstreamServerPort(config: string, appName: string, hostName: string): number | undefined {
    const marker = upstreamServerMarker(appName, hostName);
    for (const line of config.split("\n")) {
        const match = /^\s*server \S+:(\d+) .*;\s(# \S+@\S+)$/.exec(line);
        if (match && match[2] === marker) {
            return Number(match[1]);
        }
    }
    return undefined;
}

/** The config with every upstream server up, as berth renders it before any drain. */
export function withEveryUpstreamServerUp(config: string): string {
    return config.replace(/ down; (# \S+@\S+)$/gm, "; $1");
}

/**
 * One web container in an app's upstream, as its line reads (without the
 * indent): a failed request is retried on the next server and this one
 * rests for 5 s. The rollout rewrites the line to point at a new container.
 */
export function upstreamServerLine(appName: string, server: UpstreamServer): string {
    return `server ${upstreamServerAddress(server)} max_fails=1 fail_timeout=5s${server.drained ? " down" : ""}; ${upstreamServerMarker(appName, server.hostName)}`;
}

/** An upstream server's `address:port` as nginx parses it (IPv6 in brackets). */
export function upstreamServerAddress(server: Pick<UpstreamServer, "address" | "port">): string {
    return hostAndPort(server.address, server.port);
}

/** The upstream name of an app. App names are unique, so upstreams never collide. */
export function upstreamName(appName: string): string {
    return `berth_${appName.replace(/-/g, "_")}`;
}

/**
 * The TLS settings of Mozilla's "intermediate" configuration (server side
 * TLS guidelines 5.7, without the DHE suites, which 6.0 dropped too: no
 * dhparam file to keep), for every HTTPS site.
 */
function tlsProtocolSettings(https: HttpsSettings): string[] {
    return [
        "# HTTPS: Mozilla's intermediate TLS configuration.",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "ssl_ecdh_curve X25519:prime256v1:secp384r1;",
        `ssl_ciphers ${INTERMEDIATE_CIPHERS.join(":")};`,
        "ssl_prefer_server_ciphers off;",
        "ssl_session_timeout 1d;",
        "ssl_session_cache shared:berth_tls:10m;",
        "ssl_session_tickets off;",
        ...(https.ocspStapling ? ["ssl_stapling on;", "ssl_stapling_verify on;", "resolver 1.1.1.1 9.9.9.9 valid=300s;", "resolver_timeout 5s;"] : []),
        "",
    ];
}

const INTERMEDIATE_CIPHERS = [
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
];

/** Where http-01 challenge files are served from, in every server on the HTTP port. */
function acmeChallengeLocation(webroot: string): string[] {
    return [
        `location ^~ /.well-known/acme-challenge/ { ${ACME_CHALLENGE_MARKER}`,
        `    root ${webroot};`,
        "    default_type text/plain;",
        "    access_log off;",
        "}",
    ];
}

function renderSite(site: SiteSettings, settings: NginxSettings): string[] {
    const upstream = upstreamName(site.appName);
    const servers = [...site.servers].sort((left, right) => left.hostName.localeCompare(right.hostName));
    const head = [
        `# app ${site.appName}`,
        `upstream ${upstream} {`,
        ...servers.map((server) => `    ${upstreamServerLine(site.appName, server)}`),
        "}",
        "",
    ];
    // The server on the HTTP port: challenges from the webroot, then `body`.
    const httpServer = (body: string[]) => [
        "server {",
        `    listen ${settings.httpPort};`,
        `    server_name ${site.domain};`,
        "",
        ...acmeChallengeLocation(settings.acmeWebroot).map((line) => `    ${line}`),
        ...body,
        "}",
    ];
    if (!site.tls) {
        return [...head, ...httpServer(["", ...siteLocations(site, upstream, settings)])];
    }
    const https = settings.https;
    const portSuffix = https.publicPort === 443 ? "" : `:${https.publicPort}`;
    return [
        ...head,
        ...httpServer(["    location / {", `        return 301 https://$host${portSuffix}$request_uri;`, "    }"]),
        "",
        "server {",
        // `listen ... http2` (not the `http2` directive of nginx 1.25.1+): Debian bookworm's nginx is 1.22.
        `    listen ${https.port} ssl http2;`,
        `    server_name ${site.domain};`,
        `    ssl_certificate ${site.tls.certificateFile};`,
        `    ssl_certificate_key ${site.tls.keyFile};`,
        ...(https.hstsMaxAgeSeconds > 0 ? [`    add_header Strict-Transport-Security "max-age=${https.hstsMaxAgeSeconds}" always;`] : []),
        "",
        ...siteLocations(site, upstream, settings),
        "}",
    ];
}

/** What a site's server serves: its static files and app through the upstream, and the "down" and maintenance pages. */
function siteLocations(site: SiteSettings, upstream: string, settings: NginxSettings): string[] {
    const maintenance = maintenanceFiles(settings.maintenanceDirectory, site.appName);
    const unlessInMaintenance = `        if ($berth_maintenance) { return ${MAINTENANCE_STATUS}; }`;
    return [
        "    # berth maintenance on/off: the included file (absent when off) sets it to 1.",
        "    set $berth_maintenance 0;",
        `    include ${maintenance.config}*;`,
        "",
        "    # Static files come from the web hosts (uWSGI's static-map over the files",
        "    # collected there): this host holds none of the app's image, settings or secrets.",
        "    location /static/ {",
        unlessInMaintenance,
        ...proxyToUpstream(upstream),
        "        expires 7d;",
        "        access_log off;",
        "    }",
        "",
        "    location / {",
        unlessInMaintenance,
        ...proxyToUpstream(upstream),
        "    }",
        ...(site.healthPath
            ? ["", "    # The health path answers even in maintenance: monitors see the app itself.", `    location = ${site.healthPath} {`, ...proxyToUpstream(upstream), "    }"]
            : []),
        "",
        `    location = /${DOWN_PAGE} {`,
        `        root ${settings.downPageDirectory};`,
        "        internal;",
        "    }",
        "",
        `    location = /berth-maintenance.html {`,
        `        alias ${maintenance.page};`,
        `        add_header Retry-After ${MAINTENANCE_RETRY_AFTER_SECONDS} always;`,
        `        add_header Cache-Control no-store always;`,
        "        internal;",
        "    }",
    ];
}

/** How every location of an app's site passes requests to its upstream. */
function proxyToUpstream(upstream: string): string[] {
    return [
        `        proxy_pass http://${upstream};`,
        "        # One connection per request (HTTP/1.0, nginx's default): uWSGI's http-socket",
        "        # closes connections it answered, so a kept-alive one could fail a POST.",
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Real-IP $remote_addr;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        # A web host that refuses, times out or is restarting: try the next one.",
        "        proxy_next_upstream error timeout http_502 http_503;",
        "        proxy_next_upstream_timeout 10s;",
        "        proxy_connect_timeout 2s;",
        "        proxy_read_timeout 60s;",
        `        error_page 502 503 504 /${DOWN_PAGE};`,
        `        error_page ${MAINTENANCE_STATUS} =503 /berth-maintenance.html;`,
    ];
}

/** The page nginx serves when no web host of an app answers. */
export function renderDownPage(): string {
    return [
        "<!doctype html>",
        "<html lang=\"en\">",
        "<head><meta charset=\"utf-8\"><title>Down for a moment</title></head>",
        "<body>",
        "<h1>Sorry, the site is down for a moment.</h1>",
        "<p>We are on it. Please try again in a minute.</p>",
        "</body>",
        "</html>",
        "",
    ].join("\n");
}
