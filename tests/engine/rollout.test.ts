// berth's central claims, on the real engine against the lab, each deploy
// under a steady GET/POST load through nginx: an image change is an ordered,
// health-gated rolling replacement; a code change takes the touch-reload
// fast path (and, with reload: chain, the chain-reload one, rolled back by a
// flip of every host at once); a deploy without changes touches nothing.
import { EventLog, onlySpan, StepSpan, stepSpans, upExplained } from "./support/engine";
import { hostKeyFingerprint, parseHostKey } from "../../components/ssh/hostKeys";
import { sampleCapacity } from "./support/capacity";
import { deploy, rollback } from "../../cli/deploy";
import { readLogs } from "../../cli/logs";
import { containerIdsOn, createLabStack, LabStack, onLabHost, replaceLabHostKey, runningContainer, takeOverLab, tearDownLab } from "./support/lab";
import { expectNoFailedRequests, sampleLoad, servedVersions } from "./support/sample";

const CONTAINER = "docker:index/container:Container";

describe("rollouts in the lab under load", () => {
    let lab: LabStack;

    beforeAll(async () => {
        await takeOverLab();
        lab = await createLabStack();
        // Start from the first release whatever Pulumi.local.yaml says today.
        await lab.stack.setConfig("berth:apps[0].image.tag", { value: "v1" }, true);
        await lab.stack.setConfig("berth:apps[0].code.ref", { value: "v1.0.0" }, true);
        const first = await upExplained(lab.stack);
        expect(first.summary.result).toBe("succeeded");
    }, 15 * 60_000);

    afterAll(() => tearDownLab(lab), 10 * 60_000);

    it("shows every replacement of an image change in the preview", async () => {
        await lab.stack.setConfig("berth:apps[0].image.tag", { value: "v2" }, true);
        const log = new EventLog();
        await lab.stack.preview({ onEvent: log.onEvent });
        const replaced = log.steps().filter((step) => step.op === "replace").map((step) => step.urn.split("::").pop()).sort();
        expect(replaced).toEqual(expect.arrayContaining([
            "sample-web-web-1", "sample-web-web-2", "sample-worker-worker-1", "sample-beat-worker-1",
            "sample-release", "sample-static-web-1", "sample-static-web-2", "sample-web-port-web-1", "sample-undrain-web-2", "sample-web-retire-web-1",
        ]));
    }, 5 * 60_000);

    it("rolls an image change host by host, health-gated, at full capacity, without a failed request", async () => {
        const load = sampleLoad();
        const capacity = sampleCapacity({ app: "sample", domain: "sample.localhost" });
        const log = new EventLog();
        const result = await upExplained(lab.stack, { onEvent: log.onEvent });
        const report = await load.stop();
        const served = await capacity.stop();
        expect(result.summary.result).toBe("succeeded");
        const spans = stepSpans(log);
        const ofSample = (span: StepSpan) => span.name.startsWith("sample-");

        // Every pull finishes before the first web container is touched.
        // (an image is replaced create-first: the pull is its create-replacement)
        const pulls = spans.filter((span) => ofSample(span) && span.name.includes("-image-") && span.op === "create-replacement");
        expect(pulls.map((span) => span.name).sort()).toEqual(["sample-image-web-1", "sample-image-web-2", "sample-image-worker-1"]);
        const webSteps = spans.filter((span) => span.type === CONTAINER && span.name.startsWith("sample-web-") && span.op !== "same");
        const lastPullEnd = Math.max(...pulls.map((span) => span.end));
        expect(lastPullEnd).toBeLessThan(Math.min(...webSteps.map((span) => span.start)));

        // The release runs exactly once, after the pulls, before any web container.
        const release = onlySpan(spans, "sample-release", "create-replacement");
        expect(release.start).toBeGreaterThan(lastPullEnd);
        expect(release.end).toBeLessThan(Math.min(...webSteps.map((span) => span.start)));

        // On each web host the new container starts beside the old one and is healthy (its create
        // ended: `wait` on health) before nginx points at it; the old one stops only after that;
        // then the next host.
        const steps = (name: string) => onlySpan(spans, name, "create-replacement");
        for (const host of ["web-1", "web-2"]) {
            const created = steps(`sample-web-${host}`);
            const switched = steps(`sample-undrain-${host}`);
            const retired = steps(`sample-web-retire-${host}`);
            expect(created.end).toBeLessThanOrEqual(switched.start);
            expect(switched.end).toBeLessThanOrEqual(retired.start);
        }
        expect(steps("sample-web-retire-web-1").end).toBeLessThanOrEqual(steps("sample-web-web-2").start);
        // No host is drained: the old containers are deleted (already stopped) once the rollout is done.
        expect(spans.filter((span) => span.name.startsWith("sample-drain-"))).toEqual([]);
        const web2Retired = steps("sample-web-retire-web-2");
        expect(onlySpan(spans, "sample-web-web-1", "delete-replaced").start).toBeGreaterThanOrEqual(web2Retired.end);

        // Workers after every web host, the new one beside the old, which then gets its warm
        // shutdown; beat last, the old one gone before the new one starts.
        const workerCreated = steps("sample-worker-worker-1");
        expect(workerCreated.start).toBeGreaterThanOrEqual(web2Retired.end);
        expect(steps("sample-worker-retire-worker-1").start).toBeGreaterThanOrEqual(workerCreated.end);
        const beatStopped = onlySpan(spans, "sample-beat-worker-1", "delete-replaced");
        const beatStarted = onlySpan(spans, "sample-beat-worker-1", "create-replacement");
        expect(beatStopped.start).toBeGreaterThanOrEqual(steps("sample-worker-retire-worker-1").end);
        expect(beatStopped.end).toBeLessThanOrEqual(beatStarted.start);

        expect(await servedVersions()).toEqual({ "web-1": "v2 v1.0.0", "web-2": "v2 v1.0.0" });
        expectNoFailedRequests(report);
        // Capacity N throughout: both web hosts in rotation and healthy at every sample.
        expect(served.samples).toBeGreaterThan(5);
        expect({ minimum: served.minimum, dips: served.dips }).toEqual({ minimum: 2, dips: [] });
        // One container of each role runs on each host: every old one was stopped.
        for (const host of ["web-1", "web-2"] as const) {
            await expect(runningContainer(host, "sample", "web")).resolves.toMatch(/^sample-web-web-\d-[0-9a-f]{7}$/);
        }
        await expect(runningContainer("worker-1", "sample", "worker")).resolves.toMatch(/^sample-worker-worker-1-[0-9a-f]{7}$/);
    }, 15 * 60_000);

    /** uWSGI's lines about reloads and workers on the web hosts in the last minutes. */
    async function uwsgiReloadLines(): Promise<string> {
        const lines = await readLogs(lab.stack, { app: "sample", role: "web", since: "5m" }).catch((error: Error) => [`(logs unreadable: ${error.message})`]);
        const relevant = lines.filter((line) => /reload|mercy|respawn|worker \d|graceful|SIGHUP|SIGKILL|ready|logs unreadable/i.test(line));
        return `uWSGI on the web hosts:\n${relevant.slice(-60).join("\n")}`;
    }

    it("takes the fast path for a code change: no container replaced, uWSGI reloads in place", async () => {
        await lab.stack.setConfig("berth:apps[0].code.ref", { value: "v1.1.0" }, true);
        const load = sampleLoad();
        const log = new EventLog();
        const started = Date.now();
        const result = await upExplained(lab.stack, { onEvent: log.onEvent }).catch(async (error: Error) => {
            throw new Error(`${error.message}\n${await uwsgiReloadLines()}`);
        });
        const report = await load.stop();
        if (report.errors > 0 || report.non2xx > 0) {
            // What uWSGI said while it reloaded, for the failure's cause.
            console.log(`the code path's up took ${((Date.now() - started) / 1000).toFixed(1)} s; ${await uwsgiReloadLines()}`);
        }
        expect(result.summary.result).toBe("succeeded");
        const containerSteps = stepSpans(log).filter((span) => span.type === CONTAINER && span.op !== "same");
        expect(containerSteps).toEqual([]);
        expect(await servedVersions()).toEqual({ "web-1": "v2 v1.1.0", "web-2": "v2 v1.1.0" });
        expectNoFailedRequests(report);
    }, 10 * 60_000);

    it("touches nothing when nothing changed", async () => {
        const log = new EventLog();
        const result = await upExplained(lab.stack, { onEvent: log.onEvent });
        // Besides "same", the engine may count the stack reading its own last outputs (previousReleases) as "read".
        const changes = result.summary.resourceChanges ?? {};
        expect(Object.keys(changes).filter((kind) => kind !== "same" && kind !== "read")).toEqual([]);
        expect(changes.same).toBeGreaterThan(40);
        expect(log.steps().filter((step) => step.op !== "same" && step.op !== "read")).toEqual([]);
    }, 5 * 60_000);

    it("with reload: chain, takes a code change and its rollback (every host flipped at once) without a failed request", async () => {
        const load = sampleLoad();
        await lab.stack.setConfig("berth:apps[0].reload", { value: "chain" }, true);
        expect((await deploy(lab.stack)).result).toBe("succeeded");
        expect(await onLabHost("web-1", "grep -c '^touch-chain-reload' /srv/berth/sample/uwsgi.ini")).toMatch(/^1\s*$/);

        // The code path: uWSGI replaces its workers one at a time, no container step.
        await lab.stack.setConfig("berth:apps[0].code.ref", { value: "v1.0.0" }, true);
        const log = new EventLog();
        const forward = await upExplained(lab.stack, { onEvent: log.onEvent });
        expect(forward.summary.result).toBe("succeeded");
        expect(stepSpans(log).filter((span) => span.type === CONTAINER && span.op !== "same")).toEqual([]);
        // A chain reload is done when none of the workers from before it is left: from then on,
        // every worker of both hosts serves the new release.
        expect(await servedVersions()).toEqual({ "web-1": "v2 v1.0.0", "web-2": "v2 v1.0.0" });
        expect(await onLabHost("web-1", "docker logs --since 10m $(docker ps -q --filter label=berth.app=sample --filter label=berth.role=web) 2>&1 | grep -c 'chain reloading complete'")).toMatch(/^[1-9]/);

        // Back to v1.1.0 (kept on every host): a direct flip of every host at once.
        const lines: string[] = [];
        const back = await rollback(lab.stack, { log: (line) => lines.push(line) }).catch((error: Error) => {
            throw new Error(`${error.message}\n--- rollback's log ---\n${lines.join("\n")}`);
        });
        expect(back.to.sample).toEqual({ tag: "v2", codeRef: "v1.1.0" });
        expect(lines.filter((line) => /^code rolled back on every host in [\d.]+ s/.test(line))).toHaveLength(1);
        expect(await servedVersions()).toEqual({ "web-1": "v2 v1.1.0", "web-2": "v2 v1.1.0" });
        expectNoFailedRequests(await load.stop());
    }, 10 * 60_000);

    it("keeps the last keepReleases code releases and image tags on each host, and prunes the older ones", async () => {
        await lab.stack.setConfig("berth:apps[0].keepReleases", { value: "2" }, true);
        await lab.stack.setConfig("berth:apps[0].image.tag", { value: "v2.1" }, true);
        await lab.stack.setConfig("berth:apps[0].code.ref", { value: "main" }, true);
        const result = await upExplained(lab.stack, { onEvent: new EventLog().onEvent });
        expect(result.summary.result).toBe("succeeded");
        expect(await servedVersions()).toEqual({ "web-1": "v2.1 main", "web-2": "v2.1 main" });
        const repository = "172.30.0.2:5000/berth/sample";
        for (const host of ["web-1", "web-2", "worker-1"] as const) {
            const kept = await onLabHost(host, [
                "ls -1 /srv/berth/sample/releases | tr '\\n' ' '",
                "echo '|'; tr '\\n' ' ' < /srv/berth/sample/deployed-image-tags",
                `echo '|'; docker image ls --format '{{.Tag}}' ${repository} | sort | tr '\\n' ' '`,
            ].join("; "));
            // Deployed (main, v2.1) and previous (v1.1.0, v2) stay; v1.0.0 and v1 are gone.
            expect({ host, kept: kept.trim().replace(/\s+/g, " ") }).toEqual({ host, kept: "main v1.1.0 | v2 v2.1 | v2 v2.1" });
        }
    }, 10 * 60_000);

    it("stops before anything changes when a host offers another host key, and accepts a new key set in config", async () => {
        const containersBefore = await Promise.all((["web-1", "web-2", "worker-1", "lb-1"] as const).map((host) => containerIdsOn(host)));
        const pinned = (await lab.stack.outputs()).hostKeys.value["web-1"] as string;
        // web-1 is "rebuilt": new host keys, as a reinstalled machine (or a man in the middle) would offer.
        const offered = (await replaceLabHostKey("web-1"))[pinned.split(" ")[0]];
        expect(offered).toMatch(/^\S+ \S+$/);
        expect(offered).not.toBe(pinned);

        await lab.stack.setConfig("berth:apps[0].stopGraceSeconds", { value: "31" }, true); // a change to deploy
        const refused = lab.stack.up({ onEvent: new EventLog().onEvent });
        await expect(refused).rejects.toThrow(/the host key of web-1 \(\[127\.0\.0\.1\]:2201\) has changed: nothing was deployed/);
        await expect(refused).rejects.toThrow(hostKeyFingerprint(parseHostKey(pinned)!));
        await expect(refused).rejects.toThrow(hostKeyFingerprint(parseHostKey(offered)!));
        // Not one container on any host changed.
        expect(await Promise.all((["web-1", "web-2", "worker-1", "lb-1"] as const).map((host) => containerIdsOn(host)))).toEqual(containersBefore);

        // The operator checked the new key out of band and sets it: the deploy goes on, and pins it.
        await lab.stack.setConfig("berth:hosts[0].hostKey", { value: offered }, true);
        const accepted = await upExplained(lab.stack, { onEvent: new EventLog().onEvent });
        expect(accepted.summary.result).toBe("succeeded");
        expect(accepted.outputs.hostKeys.value["web-1"]).toBe(offered);
    }, 10 * 60_000);
});
