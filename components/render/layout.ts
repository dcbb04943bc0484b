/**
 * Where an app's files live. The host directory is bind-mounted into every
 * container of the app at the same path, so one path means the same file on
 * the host and inside the container.
 */
export interface AppLayout {
    /** The app's host volume: /srv/berth/<app>. */
    root: string;
    /** The git checkout of the app's code (the fast path writes here). */
    code: string;
    /** The uWSGI ini: touching it reloads the app. */
    uwsgiIni: string;
    /**
     * The only directory of the host volume the app's long-running containers
     * may write (owned by the app's user): uWSGI's ready file and FIFO. The
     * rest is mounted read-only, so the app cannot rewrite its settings,
     * secrets, uWSGI ini or code.
     */
    runtime: string;
    /** Rewritten by uWSGI when a (re)loaded app first accepts requests: the end of a reload. */
    uwsgiReady: string;
    /** uWSGI's master FIFO: a reload written here starts at once (a touch is noticed within a second). */
    uwsgiFifo: string;
    /** uWSGI's stats server (HTTP on a unix socket): which workers run, and whether each accepts requests. */
    uwsgiStats: string;
    /** Settings and secrets, mode 0600, sourced by the image's entrypoint. */
    envFile: string;
    /** collectstatic's output (owned by the app's user, written only by release tasks), served by nginx and read by the app's static storage. */
    staticFiles: string;
}

/**
 * A web container's runtime directory on the host, one per port: two web
 * containers of an app run side by side during a swap, each with its own
 * uWSGI FIFO and ready file. It is mounted at `layout.runtime` inside the
 * container, so the uWSGI ini names the same paths for both.
 */
export function webRuntimeDirectory(layout: AppLayout, port: number): string {
    return `${layout.runtime}/web-${port}`;
}

export const BERTH_ROOT_DIRECTORY = "/srv/berth";

/** Where nginx's config and "site is down" page live on the load balancer host. */
export const NGINX_DIRECTORY = `${BERTH_ROOT_DIRECTORY}/nginx`;
/** `berth maintenance`'s per-app files, which nginx.conf includes (render/nginx.ts, maintenanceFiles). */
export const MAINTENANCE_DIRECTORY = `${NGINX_DIRECTORY}/maintenance`;

/**
 * HTTPS on the load balancer host: the ACME client's directory (its account
 * and the certificates it obtained), provided certificates, and the webroot
 * nginx answers http-01 challenges from. Keys are 0600, their directories
 * 0700; nginx's master (root) reads them through the read-only mount.
 */
export const TLS_DIRECTORY = `${BERTH_ROOT_DIRECTORY}/tls`;
export const ACME_WEBROOT = `${TLS_DIRECTORY}/webroot`;
export const ACME_CLIENT_DIRECTORY = `${TLS_DIRECTORY}/acme`;
export const PROVIDED_CERTIFICATES_DIRECTORY = `${TLS_DIRECTORY}/provided`;

/** Per accessory on its data host, a 0700 directory: its secrets (mounted read-only at /run/secrets) and backups. */
export const ACCESSORIES_DIRECTORY = `${BERTH_ROOT_DIRECTORY}/accessories`;

export function accessoryLayout(name: string): { root: string; secrets: string } {
    const root = `${ACCESSORIES_DIRECTORY}/${name}`;
    return { root, secrets: `${root}/secrets` };
}

/** Where an app's certificate chain and key are: the ACME client names its files after the domain. */
export function certificateFiles(appName: string, domain: string, mode: "acme" | "provided"): { certificateFile: string; keyFile: string } {
    const base = mode === "acme" ? `${ACME_CLIENT_DIRECTORY}/certificates/${domain.toLowerCase()}` : `${PROVIDED_CERTIFICATES_DIRECTORY}/${appName}`;
    return { certificateFile: `${base}.crt`, keyFile: `${base}.key` };
}

/** Where the code is when it is baked into the image (no `code` config): the image contract's `/app`. */
export const IMAGE_CODE_DIRECTORY = "/app";

export function appLayout(appName: string, root = `${BERTH_ROOT_DIRECTORY}/${appName}`): AppLayout {
    return {
        root,
        code: `${root}/code`,
        uwsgiIni: `${root}/uwsgi.ini`,
        runtime: `${root}/run`,
        uwsgiReady: `${root}/run/uwsgi.ready`,
        uwsgiFifo: `${root}/run/uwsgi.fifo`,
        uwsgiStats: `${root}/run/uwsgi.stats`,
        envFile: `${root}/env`,
        staticFiles: `${root}/static`,
    };
}
