import { SwapMode } from "../config/types";

export type ContainerRole = "web" | "worker" | "beat";

/**
 * The Pulumi names of one app's rollout steps. The component creates its
 * resources under these names; `berth deploy`'s repairs and `berth preview`
 * find them by the same names, so the three never disagree.
 */
export function rolloutNames(app: string) {
    return {
        /** What prepareAppHost lays out on a host before any new container: `volume`, `image` (the pull), `env-file`, `checkout`, `uwsgi-ini`. */
        hostFile: (part: "volume" | "image" | "env-file" | "checkout" | "uwsgi-ini", host: string) => `${app}-${part}-${host}`,
        /** Release tasks (migrate, ...), once, on the release host. */
        release: `${app}-release`,
        /** collectstatic on one web host. */
        staticFiles: (host: string) => `${app}-static-${host}`,
        /** The code link switch (and in-place reload) on one host: the code path. */
        codeSwitch: (host: string) => `${app}-code-${host}`,
        /** On the load balancer: the port the host's new web container starts on. */
        webPort: (host: string) => `${app}-web-port-${host}`,
        /** drain-first: the host leaves nginx's rotation. */
        drain: (host: string) => `${app}-drain-${host}`,
        /** Stops containers of a role: `clear` (the new port), `retire` (the old container), `stop` (drain-first). */
        stop: (role: "web" | "worker", purpose: "clear" | "retire" | "stop", host: string) => `${app}-${role}-${purpose}-${host}`,
        container: (role: ContainerRole, host: string) => `${app}-${role}-${host}`,
        /** The HTTP gate of the host's web container. */
        healthy: (host: string) => `${app}-healthy-${host}`,
        /** nginx's line for the host points at the new container, in rotation. */
        undrain: (host: string) => `${app}-undrain-${host}`,
        /** Makes way for beat's fixed name. */
        beatAdopt: (host: string) => `${app}-beat-adopt-${host}`,
        /** The code path's restart of a worker or beat. */
        restart: (role: "worker" | "beat", host: string) => `${app}-${role}-restart-${host}`,
        /** After the rollout: prunes code releases and image tags beyond keepReleases on one host. */
        prune: (host: string) => `${app}-prune-${host}`,
    };
}

/**
 * The steps that replace one container, in the order the component wires
 * them (the code switch before them is its own step). A repair replaces
 * those the stack has.
 */
export function containerReplacementSteps(app: string, role: ContainerRole, host: string, swap: SwapMode | "either" = "either"): string[] {
    const names = rolloutNames(app);
    switch (role) {
        case "web":
            return [
                names.webPort(host),
                ...(swap !== "blue-green" ? [names.drain(host), names.stop("web", "stop", host)] : []),
                ...(swap !== "drain-first" ? [names.stop("web", "clear", host)] : []),
                names.container("web", host),
                names.healthy(host),
                names.undrain(host),
                ...(swap !== "drain-first" ? [names.stop("web", "retire", host)] : []),
            ];
        case "worker":
            return [names.container("worker", host), names.stop("worker", "retire", host)];
        case "beat":
            return [names.beatAdopt(host), names.container("beat", host)];
    }
}
