import { Stack } from "@pulumi/pulumi/automation";
import { containerNames } from "../components/naming";
import { NGINX_DIRECTORY } from "../components/render/layout";
import { upstreamServerMarker } from "../components/render/nginx";
import { setUpstreamServerDrained } from "../components/shell/commands";
import { words } from "../components/shell/quote";
import { runOnHost } from "./remote";
import { HostAccess, hostAccessByProvider, readStackState } from "./stackState";
import { nginxStatus, readNginx } from "./status";

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
    const accessByHost = new Map<string, HostAccess>([...hostAccessByProvider(state).values()].map((access) => [access.host, access]));
    const loadBalancer = accessByHost.get(reading.host)!;
    for (const server of nginxStatus(reading).drained) {
        const [app, host] = server.split("@");
        const access = accessByHost.get(host);
        const health = access
            ? (await runOnHost(access, `${words("docker", "inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}", containerNames.web(app))} 2>/dev/null || echo missing`)).trim()
            : "on a host the stack does not know";
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
