import { ReloadMode } from "../config/types";

/** Inputs of the uWSGI ini, plain values only. */
export interface UwsgiSettings {
    appName: string;
    /** Port uWSGI serves HTTP on inside the container. */
    httpPort: number;
    /** Directory holding the app's Python package. */
    codeDirectory: string;
    wsgiModule: string;
    processes: number;
    threads: number;
    reload: ReloadMode;
    /** The ini's own path: touching it reloads uWSGI. */
    iniPath: string;
    /** File uWSGI rewrites when a reload is done and the new code accepts requests. */
    readyPath: string;
    /** uWSGI's master FIFO, which berth pokes right after touching the ini. */
    fifoPath: string;
    /** uWSGI's stats server socket: berth's gate reads the workers of a chain reload there. */
    statsPath: string;
    /** Seconds after which a stuck worker is recycled. */
    harakiriSeconds: number;
    /** collectstatic's output on this host, served at `/static/` (nginx proxies it here). */
    staticDirectory: string;
}

/** How long a touch reload waits for a worker to finish its requests before killing it. */
export const TOUCH_RELOAD_MERCY_SECONDS = 5;

/**
 * Renders the uWSGI ini. `strict` makes uWSGI refuse any option it does not
 * know, so a typo fails the container's start (and its health gate) instead
 * of being ignored.
 */
export function renderUwsgiIni(settings: UwsgiSettings): string {
    const reload =
        settings.reload === "chain"
            ? [
                  "; chain reload: workers are replaced one at a time, each loading the new code itself",
                  "lazy-apps = true",
                  `touch-chain-reload = ${settings.iniPath}`,
                  "; the master resolved the code link once (its chdir, and Python's finder for '.'):",
                  "; each new worker imports through the link itself, and enters it, so it runs the",
                  "; release the link points at now",
                  `pythonpath = ${settings.codeDirectory}`,
                  `hook-pre-app = chdir:${settings.codeDirectory}`,
                  "; the container started and accepts requests (a chain reload never re-executes",
                  "; the master, so this runs once); after a reload berth reads the workers here,",
                  "; and rewrites the ready file once every one of them is new and accepting",
                  `hook-accepting1-once = write:${settings.readyPath} ready`,
                  `stats = ${settings.statsPath}`,
                  "stats-http = true",
              ]
            : [
                  "; touch the ini to reload the app in place with the new code",
                  `touch-reload = ${settings.iniPath}`,
                  "; every worker stops before the new code loads, so the host's requests queue until",
                  "; the last one is gone: in-flight requests get 5 s, not uWSGI's 60 (before 2.0.25 an",
                  "; idle threaded worker could take the whole mercy to die; longer requests: reload: chain)",
                  `worker-reload-mercy = ${TOUCH_RELOAD_MERCY_SECONDS}`,
                  "; the reloaded instance accepts requests again: the reload is done",
                  `hook-accepting1-once = write:${settings.readyPath} ready`,
              ];
    return [
        "; Rendered by berth. Do not edit on the host: the next `pulumi up` rewrites it.",
        "[uwsgi]",
        "strict = true",
        "plugins = python3",
        "master = true",
        `procname-prefix-spaced = ${settings.appName}`,
        `http-socket = :${settings.httpPort}`,
        `chdir = ${settings.codeDirectory}`,
        `module = ${settings.wsgiModule}`,
        `processes = ${settings.processes}`,
        `threads = ${settings.threads}`,
        "need-app = true",
        "; the static files collected on this host: nginx on the load balancer proxies",
        "; /static/ here, so it needs neither the app's image nor its settings and secrets",
        `static-map = /static=${settings.staticDirectory}`,
        "offload-threads = 1",
        "vacuum = true",
        `harakiri = ${settings.harakiriSeconds}`,
        "buffer-size = 32768",
        "post-buffering = 65536",
        "; docker stop sends SIGTERM: finish in-flight requests, then exit (also",
        "; while a reload is under way, when the hook below is not yet installed)",
        "die-on-term = true",
        "hook-master-start = unix_signal:15 gracefully_kill_them_all",
        ...reload,
        "; berth writes the same reload here right after the touch, so it starts at",
        "; once rather than at the master's next once-a-second look at the ini",
        `master-fifo = ${settings.fifoPath}`,
        "",
    ].join("\n");
}
