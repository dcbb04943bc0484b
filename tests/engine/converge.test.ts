// Hosts that are not what the stack remembers, on the real engine against the
// lab, each repair under a steady GET/POST load through nginx: code links
// moved by hand (the seed-000 way) and containers replaced by `docker run`
// under berth's names (the seed-001 way) are converged by `berth deploy` with
// the config unchanged; a deploy that fails or is killed after draining
// web-1 never leaves web-1 out of rotation.
import { EngineEvent } from "@pulumi/pulumi/automation";
import { deploy, recoverStack } from "../../cli/deploy";
import { previewDeploy } from "../../cli/preview";
import { readStatus } from "../../cli/status";
import { drainedUpstreamServers } from "../../components/render/nginx";
import { sampleCapacity } from "./support/capacity";
import { eventually, LabHost, LabStack, onLabHost, runningContainer, sampleLabStackForFailures, setSampleRef, setSampleTag, tearDownLab } from "./support/lab";
import { killProcessesIn } from "./support/processes";
import { expectNoFailedRequests, sampleLoad, servedVersions } from "./support/sample";

const BOTH = (release: string) => ({ "web-1": release, "web-2": release });
const APP_HOSTS: LabHost[] = ["web-1", "web-2", "worker-1"];

/** The seed-000 way: point the code link at another checked-out release and touch the ini. */
function moveCodeLinkByHand(ref: string): string {
    return [
        "set -e",
        `ln -sfn /srv/berth/sample/releases/${ref} /srv/berth/sample/code.by-hand`,
        "mv -Tf /srv/berth/sample/code.by-hand /srv/berth/sample/code",
        "touch /srv/berth/sample/uwsgi.ini",
    ].join("\n");
}

/**
 * The seed-001 way: remove berth's container and `docker run` one under the
 * seed's name (`sample-web`), with the same image, command, ports,
 * environment and volume, but none of berth's labels (and the volume
 * read-write, as such scripts do).
 */
function replaceContainerByHand(current: string, name: string): string {
    return [
        "set -e",
        `image=$(docker inspect -f '{{.Config.Image}}' ${current})`,
        `command=$(docker inspect -f '{{join .Config.Cmd " "}}' ${current})`,
        `ports=$(docker inspect -f '{{range $port, $bindings := .HostConfig.PortBindings}}{{range $bindings}}-p {{.HostIp}}:{{.HostPort}}:{{$port}} {{end}}{{end}}' ${current})`,
        `docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' ${current} | grep '^BERTH_' > /tmp/${name}.env`,
        `docker rm -f ${current} >/dev/null`,
        `docker run -d --name ${name} --restart unless-stopped $ports -v /srv/berth/sample:/srv/berth/sample --env-file /tmp/${name}.env "$image" $command >/dev/null`,
    ].join("\n");
}

async function berthLabel(host: LabHost, name: string): Promise<string> {
    return (await onLabHost(host, `docker inspect -f '{{index .Config.Labels "berth.app"}}/{{index .Config.Labels "berth.role"}}' ${name}`)).trim();
}

async function drainedInNginx(): Promise<string[]> {
    return drainedUpstreamServers(await onLabHost("lb-1", "cat /srv/berth/nginx/nginx.conf"));
}

describe("converging hosts that drifted from the stack", () => {
    let lab: LabStack;
    const setTag = (tag: string) => setSampleTag(lab, tag);
    const setRef = (ref: string) => setSampleRef(lab, ref);

    beforeAll(async () => {
        lab = await sampleLabStackForFailures();
        expect((await deploy(lab.stack)).result).toBe("succeeded");
        // A second release checked out beside the first, for the hand-made switch back.
        await setRef("v1.1.0");
        expect((await deploy(lab.stack)).result).toBe("succeeded");
        expect(await servedVersions()).toEqual(BOTH("v1 v1.1.0"));
    }, 15 * 60_000);

    afterAll(() => tearDownLab(lab), 10 * 60_000);

    it("switches code links moved by hand back, with the config unchanged, without a failed request", async () => {
        for (const host of APP_HOSTS) {
            await onLabHost(host, moveCodeLinkByHand("v1.0.0"));
        }
        await eventually("both web hosts serving the hand-picked release", 60_000, async () =>
            JSON.stringify(await servedVersions()) === JSON.stringify(BOTH("v1 v1.0.0")));
        expect((await readStatus(lab.stack)).drift).toEqual([
            "sample code@web-1: code is v1.0.0, the stack has v1.1.0",
            "sample code@web-2: code is v1.0.0, the stack has v1.1.0",
            "sample code@worker-1: code is v1.0.0, the stack has v1.1.0",
        ]);
        const preview = await previewDeploy(lab.stack);
        expect(preview.repairs).toEqual([
            "sample code@web-1: code is v1.0.0, the stack has v1.1.0 → replace sample-code-web-1, sample-healthy-web-1",
            "sample code@web-2: code is v1.0.0, the stack has v1.1.0 → replace sample-code-web-2, sample-healthy-web-2",
            "sample code@worker-1: code is v1.0.0, the stack has v1.1.0 → replace sample-code-worker-1, sample-worker-restart-worker-1, sample-beat-restart-worker-1",
        ]);
        expect(preview.plans.map((plan) => plan.path)).toEqual(["none"]);

        const load = sampleLoad();
        const lines: string[] = [];
        const outcome = await deploy(lab.stack, { log: (line) => lines.push(line) });
        const report = await load.stop();
        expect(outcome.result).toBe("succeeded");
        expect(lines.join("\n")).toContain("repairing sample code@web-1: code is v1.0.0, the stack has v1.1.0");
        expect(await servedVersions()).toEqual(BOTH("v1 v1.1.0"));
        expect((await readStatus(lab.stack)).drift).toEqual([]);
        expectNoFailedRequests(report);
        // Converged: the next deploy has nothing to repair.
        expect((await previewDeploy(lab.stack)).repairs).toEqual([]);
    }, 10 * 60_000);

    it("adopts containers replaced by `docker run` under the seeds' names: new containers beside them, which then stop with grace", async () => {
        for (const host of ["web-1", "web-2"] as const) {
            await onLabHost(host, replaceContainerByHand(await runningContainer(host, "sample", "web"), "sample-web"));
        }
        await onLabHost("worker-1", replaceContainerByHand(await runningContainer("worker-1", "sample", "worker"), "sample-worker"));
        await onLabHost("worker-1", replaceContainerByHand("sample-beat", "sample-beat"));
        expect(await berthLabel("web-1", "sample-web")).not.toBe("sample/web");
        await eventually("both hand-made web containers serving", 90_000, async () =>
            JSON.stringify(await servedVersions()) === JSON.stringify(BOTH("v1 v1.1.0")));
        const drift = (await readStatus(lab.stack)).drift;
        expect(drift.filter((line) => /missing on the host|replaced outside berth/.test(line)).map((line) => line.split(":")[0].replace(/-[0-9a-f]{7}@/, "@")).sort())
            .toEqual(["sample-beat@worker-1", "sample-web-web-1@web-1", "sample-web-web-2@web-2", "sample-worker-worker-1@worker-1"]);

        const load = sampleLoad();
        const capacity = sampleCapacity({ app: "sample", domain: "sample.localhost" });
        const lines: string[] = [];
        const outcome = await deploy(lab.stack, { log: (line) => lines.push(line) });
        const report = await load.stop();
        const served = await capacity.stop();
        expect(outcome.result).toBe("succeeded");
        expect(lines.join("\n")).toContain("repairing sample web@web-1: missing on the host");
        for (const [host, role] of [["web-1", "web"], ["web-2", "web"], ["worker-1", "worker"], ["worker-1", "beat"]] as const) {
            expect([host, await berthLabel(host, await runningContainer(host, "sample", role))]).toEqual([host, `sample/${role}`]);
        }
        // The hand-made ones are gone, not merely stopped.
        for (const [host, name] of [["web-1", "sample-web"], ["web-2", "sample-web"], ["worker-1", "sample-worker"]] as const) {
            expect([host, (await onLabHost(host, `docker ps -a -q --filter name=^/${name}$`)).trim()]).toEqual([host, ""]);
        }
        expect(await servedVersions()).toEqual(BOTH("v1 v1.1.0"));
        expect((await readStatus(lab.stack)).drift).toEqual([]);
        expect(await drainedInNginx()).toEqual([]);
        expectNoFailedRequests(report);
        expect({ minimum: served.minimum, dips: served.dips }).toEqual({ minimum: 2, dips: [] });
    }, 10 * 60_000);

    it("reports an upstream server drained by hand as drift, and deploy puts nginx's config back", async () => {
        await onLabHost("lb-1", [
            "set -e",
            "sed -i 's/ fail_timeout=5s; # sample@web-2$/ fail_timeout=5s down; # sample@web-2/' /srv/berth/nginx/nginx.conf",
            "docker exec berth-nginx nginx -s reload",
        ].join("\n"));
        await eventually("web-2 out of rotation", 30_000, async () => JSON.stringify(Object.keys(await servedVersions())) === JSON.stringify(["web-1"]));
        expect((await readStatus(lab.stack)).drift).toEqual(["nginx@lb-1: sample@web-2 is drained: it gets no requests"]);

        const load = sampleLoad();
        expect((await deploy(lab.stack)).result).toBe("succeeded");
        const report = await load.stop();
        expect(await drainedInNginx()).toEqual([]);
        expect(await servedVersions()).toEqual(BOTH("v1 v1.1.0"));
        expect((await readStatus(lab.stack)).drift).toEqual([]);
        expectNoFailedRequests(report);
    }, 10 * 60_000);

    it("puts web-1 back into rotation when a run with swap: drain-first is killed right after draining it", async () => {
        // drain-first takes a host out of rotation before its old container stops: the case a kill hurts.
        await lab.stack.setConfig("berth:apps[0].swap", { value: "drain-first" }, true);
        await setTag("v2");
        const load = sampleLoad();
        const lines: string[] = [`${new Date().toISOString()} load started`];
        let killed: Promise<number> | undefined;
        const onEvent = (event: EngineEvent) => {
            const outputs = event.resOutputsEvent?.metadata;
            if (!killed && outputs?.urn.endsWith("::sample-drain-web-1")) {
                lines.push(`${new Date().toISOString()} killing the run`);
                killed = killProcessesIn(lab.stack.workspace.workDir);
            }
        };
        // A bare `pulumi up` (CI's, or a laptop's) killed: no berth driver around it to undrain.
        await expect(lab.stack.up({ onEvent })).rejects.toThrow();
        expect(await killed).toBeGreaterThan(0);
        expect(await drainedInNginx()).toEqual(["sample@web-1"]);

        // The kill lands a moment after the drain: before, during or after the stop step. A
        // remote command outlives its killed SSH client (no terminal, no hangup), so a stop
        // already under way finishes on web-1: wait for it, then read what recovery will find.
        await eventually("the killed run's container stop on web-1 to finish", 90_000, async () =>
            (await onLabHost("web-1", "pgrep -f '[d]ocker stop' || true")).trim() === "");
        const web1 = (await onLabHost("web-1", "docker inspect -f '{{.State.Health.Status}}' $(docker ps -q --filter label=berth.app=sample --filter label=berth.role=web | head -n 1) 2>/dev/null || echo missing")).trim();
        await recoverStack(lab.stack, { log: (line) => lines.push(`${new Date().toISOString()} ${line}`) });
        if (web1 === "healthy") {
            expect(lines.join("\n")).toContain("undrained: sample@web-1 (its web container is healthy) serves again");
            expect(await drainedInNginx()).toEqual([]);
            expect(Object.keys(await servedVersions()).sort()).toEqual(["web-1", "web-2"]);
        } else {
            expect(lines.join("\n")).toContain("left drained: sample@web-1");
            expect((await readStatus(lab.stack)).drift).toContain("nginx@lb-1: sample@web-1 is drained: it gets no requests");
        }

        // The next deploy finishes the rollout, and converges nginx either way.
        expect((await deploy(lab.stack, { log: (line) => lines.push(`${new Date().toISOString()} ${line}`) })).result).toBe("succeeded");
        const report = await load.stop();
        // Its drain step already ran in the killed run: the deploy runs it again before replacing the container.
        expect(lines.join("\n")).toContain("repairing sample web@web-1: its last rollout stopped between drain and undrain");
        if (report.non2xx + report.errors > 0) {
            // What nginx saw, for the failure message.
            console.log(`web-1 after the kill: ${web1}\n${lines.join("\n")}\n${await onLabHost("lb-1", "docker logs --timestamps berth-nginx 2>&1 | grep -E '\" 50[0-9] ' | tail -20 || true")}`);
        }
        expectNoFailedRequests(report);
        expect(await drainedInNginx()).toEqual([]);
        expect(await servedVersions()).toEqual(BOTH("v2 v1.1.0"));
    }, 10 * 60_000);

    it("keeps every host serving when a blue-green rollout fails at its health gate, and rolls back", async () => {
        await lab.stack.setConfig("berth:apps[0].swap", { value: "blue-green" }, true);
        await setTag("v3");
        const load = sampleLoad();
        const capacity = sampleCapacity({ app: "sample", domain: "sample.localhost" });
        const outcome = await deploy(lab.stack);
        const report = await load.stop();
        const served = await capacity.stop();
        expect(outcome.result).toBe("rolled back");
        // The old container never stopped: nginx never lost a host.
        expect({ minimum: served.minimum, dips: served.dips }).toEqual({ minimum: 2, dips: [] });
        // The failed v3 container is gone with the restore.
        expect((await onLabHost("web-1", "docker ps -a --filter label=berth.app=sample --filter label=berth.role=web --format '{{.Image}}'")).trim()).not.toContain(":v3");
        expect(await drainedInNginx()).toEqual([]);
        expect(await servedVersions()).toEqual(BOTH("v2 v1.1.0"));
        expect((await readStatus(lab.stack)).drift).toEqual([]);
        expectNoFailedRequests(report);
    }, 10 * 60_000);
});
