import { AppSpec } from "../config/types";
import { AppLayout, IMAGE_CODE_DIRECTORY } from "../render/layout";

/** Port uWSGI serves HTTP on inside every web container. */
export const WEB_CONTAINER_PORT = 8000;

/**
 * The environment every container of an app gets on its command line. Only
 * pointers and names: settings and secrets are in the 0600 env file, which
 * the image's entrypoint sources (see README, "The image contract").
 */
export function containerEnvironment(app: AppSpec, layout: AppLayout, hostName: string, role?: "web" | "worker" | "beat"): Record<string, string> {
    return {
        BERTH_APP: app.name,
        BERTH_CODE_DIR: app.code ? layout.code : IMAGE_CODE_DIRECTORY,
        BERTH_ENV_FILE: layout.envFile,
        BERTH_HOST: hostName,
        BERTH_IMAGE_TAG: app.image.tag,
        BERTH_STATIC_DIR: layout.staticFiles,
        BERTH_UWSGI_INI: layout.uwsgiIni,
        ...(role === "worker" ? { BERTH_WORKER_CONCURRENCY: String(app.workerConcurrency) } : {}),
    };
}

export function environmentList(environment: Record<string, string>): string[] {
    return Object.keys(environment)
        .sort()
        .map((key) => `${key}=${environment[key]}`);
}

/**
 * Docker's health check for a web container: the app's health path answers
 * 2xx to a request for the app's domain (the Host header nginx passes on),
 * so an app whose ALLOWED_HOSTS lists only its domain turns healthy.
 */
export function webHealthCheckCommand(app: AppSpec): string[] {
    const url = `http://127.0.0.1:${WEB_CONTAINER_PORT}${app.healthPath}`;
    const request = `urllib.request.Request(${JSON.stringify(url)}, headers={"Host": ${JSON.stringify(app.domain)}})`;
    return ["CMD", "python3", "-c", `import urllib.request; urllib.request.urlopen(${request}, timeout=2)`];
}

/** Container logs are rotated by Docker's json-file driver. */
export const ROTATED_LOGS = { logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "5" } };
