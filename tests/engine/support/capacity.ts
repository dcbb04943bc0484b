import { LabHost, onLabHost } from "./lab";

/** How many of an app's upstream servers could take requests, sampled over a deploy. */
export interface CapacityReport {
    samples: number;
    /** The fewest servers that were in rotation and answered at any sample. */
    minimum: number;
    maximum: number;
    /** Every sample below the maximum: when, and each server's probe, for a failure's message. */
    dips: string[];
}

export interface RunningCapacitySampler {
    stop(): Promise<CapacityReport>;
}

/**
 * The shell script that counts, from nginx's own config on the load
 * balancer, the app's upstream servers that are in rotation (not `down`)
 * and answer the health path with the app's domain, from that host. A
 * probe that fails because the rollout switched that server's line to a
 * new container meanwhile (the old one is stopping) probes the new one:
 * what nginx sends requests to, not the sampler's stale read. Prints one
 * line per server (`marker server curl-exit`), then the count.
 */
export function healthyUpstreamsScript(app: string, domain: string, healthPath: string, conf = "/srv/berth/nginx/nginx.conf"): string {
    const serverOf = (marker: string) => `sed -n "s/^ *server \\([^ ]*\\) max_fails=1 fail_timeout=5s; # ${marker}\$/\\1/p" ${conf}`;
    return [
        "n=0",
        `for marker in $(sed -n 's/^ *server [^ ]* max_fails=1 fail_timeout=5s; # \\(${app}@[^ ]*\\)$/\\1/p' ${conf}); do`,
        `  server=$(${serverOf("$marker")})`,
        "  ok=0; probe=none",
        "  for attempt in 1 2 3; do",
        `    if [ -n "$server" ]; then curl -fsS -o /dev/null --max-time 2 -H 'Host: ${domain}' "http://$server${healthPath}" 2>/dev/null; probe=$?; fi`,
        '    if [ "$probe" = 0 ]; then ok=1; break; fi',
        `    again=$(${serverOf("$marker")})`,
        '    [ "$again" = "$server" ] && break',
        '    server=$again',
        "  done",
        '  echo "$marker $server $probe"',
        "  n=$((n+ok))",
        "done",
        "echo $n",
    ].join("\n");
}

/**
 * Samples, until stopped, how many of the app's upstream servers nginx has
 * in rotation and healthy: capacity, not only failed requests, during a
 * rollout. One sample at a time, back to back.
 */
export function sampleCapacity(options: { app: string; domain: string; healthPath?: string; loadBalancer?: LabHost }): RunningCapacitySampler {
    const script = healthyUpstreamsScript(options.app, options.domain, options.healthPath ?? "/healthz");
    const samples: { at: string; count: number; probes: string }[] = [];
    let stopping = false;
    const loop = (async () => {
        while (!stopping) {
            const output = await onLabHost(options.loadBalancer ?? "lb-1", script).catch(() => "");
            const lines = output.trim().split("\n");
            const count = Number(lines.pop());
            if (output.trim() !== "" && Number.isInteger(count)) {
                samples.push({ at: new Date().toISOString(), count, probes: lines.join(", ") });
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    })();
    return {
        async stop() {
            stopping = true;
            await loop;
            const counts = samples.map((sample) => sample.count);
            const maximum = Math.max(...counts);
            const dips = samples.filter((sample) => sample.count < maximum).map((sample) => `${sample.at} ${sample.count}: ${sample.probes}`);
            return { samples: samples.length, minimum: Math.min(...counts), maximum, dips };
        },
    };
}
