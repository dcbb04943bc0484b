import { Stack } from "@pulumi/pulumi/automation";
import { webHealthCheckCommand } from "../components/rollout/containerSettings";
import { containerNames } from "../components/naming";
import { NGINX_DIRECTORY } from "../components/render/layout";
import { upstreamServerMarker, upstreamServerPort } from "../components/render/nginx";
import { setUpstreamServerDrained } from "../components/shell/commands";
import { strictScript, words } from "../components/shell/quote";
import { AppSpec, validateConfig } from "../components/config";
import { berthConfig } from "./releases";
import { runOnHost } from "./remote";
import { HostAccess, hostAccessByProvider, readStackState } from "./stackState";
import { nginxStatus, readNginx } from "./status";

/**
 * Prints `healthy` only if the web container is healthy to Docker, not being
 * stopped (a killed run may have asked Docker to stop it, which Docker still
 * does, gracefully, after the run is gone), and answers its health path with
 * the app's Host twice, a second apart. Anything else prints what it is.
 */
function servesCheck(app: AppSpec, port: number): string {
    // Docker's own health check command, run once more now: from inside, with the app's Host.
    const probe = `docker exec "$container" ${words(...webHealthCheckCommand(app).slice(1))} >/dev/null`;
    return strictScript(
        // The app's web container that publishes the port nginx's line points at.
        `container=$(${words("docker", "ps", "-q", "--filter", `label=berth.app=${app.name}`, "--filter", "label=berth.role=web", "--filter", `publish=${port}`)} | head -n 1)`,
        `if [ -z "$container" ]; then echo "missing (no container of ${app.name} publishes port ${port})"; exit 0; fi`,
        `state=$(${words("docker", "inspect", "-f", "{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}")} "$container" 2>/dev/null || echo missing)`,
        `if [ "$state" != running/healthy ]; then echo "$state"; exit 0; fi`,
        `${probe} 2>/dev/null && sleep 1 && ${probe} 2>/dev/null && echo healthy || echo "not answering ${app.healthPath}"`,
    );
}

/** What the safety net did with each server it found drained. */
export interface UndrainResult {
    /** `app@host` put back into rotation: its web container is healthy. */
    undrained: string[];
    /** `app@host: why` left out of rotation: its web container is not healthy, so requests there would fail. */
    leftDrained: string[];
}

/**
 * The safety net of every failure path (a failed step, a failed rollback, a
 * killed run's recovery): an upstream server still marked `down` in nginx
 * goes back into rotation if its host's web container is healthy (Docker's
 * health check, with the app's Host). One that is not healthy stays drained
 * and is named, with what to do; `status` reports it as drift either way.
 */
export async function undrainHealthyServers(stack: Stack, log: (line: string) => void): Promise<UndrainResult> {
    const state = await readStackState(stack);
    const reading = await readNginx(state);
    const result: UndrainResult = { undrained: [], leftDrained: [] };
    if (!reading) {
        return result;
    }
    // The probe needs each app's health path and domain; a config that does not validate
    // (being fixed, say) leaves every drained server drained rather than failing recovery.
    const apps = await berthConfig(stack).then((config) => validateConfig(config).apps).catch(() => [] as AppSpec[]);
    const accessByHost = new Map<string, HostAccess>([...hostAccessByProvider(state).values()].map((access) => [access.host, access]));
    const loadBalancer = accessByHost.get(reading.host)!;
    for (const server of nginxStatus(reading).drained) {
        const [app, host] = server.split("@");
        const access = accessByHost.get(host);
        const spec = apps.find((candidate) => candidate.name === app);
        const port = upstreamServerPort(reading.live, app, host);
        const health = !access
            ? "on a host the stack does not know"
            : !spec
              ? `not checked (no app ${app} in a valid config)`
              : port === undefined
                ? "not found (its server line names no port)"
                : (await runOnHost(access, servesCheck(spec, port))).trim();
        if (health !== "healthy") {
            result.leftDrained.push(`${server}: its web container is ${health}`);
            log(`left drained: ${server} (its web container is ${health}); \`berth deploy\` replaces it and puts it back`);
            continue;
        }
        await runOnHost(loadBalancer, setUpstreamServerDrained(NGINX_DIRECTORY, containerNames.nginx, upstreamServerMarker(app, host), false));
        result.undrained.push(server);
        log(`undrained: ${server} (its web container is healthy) serves again`);
    }
    return result;
}
