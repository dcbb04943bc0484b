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
    /** Rewritten by uWSGI when a (re)loaded app first accepts requests: the end of a reload. */
    uwsgiReady: string;
    /** uWSGI's master FIFO: a reload written here starts at once (a touch is noticed within a second). */
    uwsgiFifo: string;
    /** Settings and secrets, mode 0600, sourced by the image's entrypoint. */
    envFile: string;
    /** collectstatic's output, served by nginx on the load balancer. */
    staticFiles: string;
}

export const BERTH_ROOT_DIRECTORY = "/srv/berth";

export function appLayout(appName: string, root = `${BERTH_ROOT_DIRECTORY}/${appName}`): AppLayout {
    return {
        root,
        code: `${root}/code`,
        uwsgiIni: `${root}/uwsgi.ini`,
        uwsgiReady: `${root}/uwsgi.ready`,
        uwsgiFifo: `${root}/uwsgi.fifo`,
        envFile: `${root}/env`,
        staticFiles: `${root}/static`,
    };
}
