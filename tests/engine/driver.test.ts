// What happens when a deploy goes wrong, on the real engine against the lab,
// under a steady GET/POST load through nginx, and berth's deploy driver
// (cli/): a failed health gate stops the rollout at the first web host and
// `rollback` brings every host back; `deploy` rolls back by itself; a failed
// release task replaces nothing; a `pulumi up` killed part-way is recovered
// and converges; concurrent deploys are serialized by the lock; `status`
// reads drift from the hosts; the audit log records it all.
import { EngineEvent } from "@pulumi/pulumi/automation";
import { readAudit } from "../../cli/audit";
import { deploy, rollback } from "../../cli/deploy";
import { StackLockedError } from "../../cli/lock";
import { readKeptReleases } from "../../cli/keptReleases";
import { previewDeploy } from "../../cli/preview";
import { renderPreviewMarkdown } from "../../cli/previewReport";
import { desiredReleases } from "../../cli/releases";
import { berthStateDirectory } from "../../cli/stateDirectory";
import { readStatus } from "../../cli/status";
import { EventLog, stepSpans } from "./support/engine";
import { LabStack, onLabHost, sampleLabStackForFailures, setSampleRef, setSampleTag, tearDownLab } from "./support/lab";
import { killProcessesIn } from "./support/processes";
import { expectNoFailedRequests, sampleLoad, servedVersions } from "./support/sample";

const CONTAINER = "docker:index/container:Container";
const BOTH = (release: string) => ({ "web-1": release, "web-2": release });

describe("failed, interrupted and rolled-back deploys in the lab", () => {
    let lab: LabStack;
    const setTag = (tag: string) => setSampleTag(lab, tag);
    const setRef = (ref: string) => setSampleRef(lab, ref);

    beforeAll(async () => {
        lab = await sampleLabStackForFailures();
        const first = await deploy(lab.stack);
        expect(first.result).toBe("succeeded");
    }, 15 * 60_000);

    afterAll(() => tearDownLab(lab), 10 * 60_000);

    it("rolls back a good deploy to the previous tag on every host", async () => {
        await setTag("v2");
        expect((await deploy(lab.stack)).result).toBe("succeeded");
        expect(await servedVersions()).toEqual(BOTH("v2 v1.0.0"));

        const back = await rollback(lab.stack);
        expect(back.to.sample).toEqual({ tag: "v1", codeRef: "v1.0.0" });
        expect(await servedVersions()).toEqual(BOTH("v1 v1.0.0"));
        expect((await desiredReleases(lab.stack)).sample.tag).toBe("v1");

        await setTag("v2");
        expect((await deploy(lab.stack)).result).toBe("succeeded");
    }, 10 * 60_000);

    it("rolls a code change back by flipping every host to the kept release, under load, and leaves pulumi up nothing to reload", async () => {
        await setRef("v1.1.0");
        expect((await deploy(lab.stack)).result).toBe("succeeded");
        expect(await servedVersions()).toEqual(BOTH("v2 v1.1.0"));

        const load = sampleLoad();
        const lines: { line: string; at: number }[] = [];
        const back = await rollback(lab.stack, { log: (line) => lines.push({ line, at: Date.now() }) }).catch((error: Error) => {
            // What the flip said before the failure, host by host: the failure alone does not tell.
            throw new Error(`${error.message}\n--- rollback's log ---\n${lines.map(({ line }) => line).join("\n")}`);
        });
        const report = await load.stop();
        expect(back.to.sample).toEqual({ tag: "v2", codeRef: "v1.0.0" });
        expect(await servedVersions()).toEqual(BOTH("v2 v1.0.0"));
        expectNoFailedRequests(report);
        const flipped = lines.find(({ line }) => /^code rolled back on every host in [\d.]+ s/.test(line));
        expect(flipped ?? lines.map(({ line }) => line)).toMatchObject({ line: expect.any(String) });

        // The pulumi up that recorded it found every host switched: no second reload, no second restart.
        const readyAt = await onLabHost("web-1", "stat -c %.3Y /srv/berth/sample/run/web-*/uwsgi.ready | sort -n | tail -1");
        expect(Number(readyAt) * 1000).toBeLessThanOrEqual(flipped!.at);
        const workerStarted = await onLabHost("worker-1", "docker inspect -f '{{.State.StartedAt}}' $(docker ps -q --filter label=berth.app=sample --filter label=berth.role=worker)");
        expect(Date.parse(workerStarted.trim())).toBeLessThanOrEqual(flipped!.at);
        expect(Date.parse(workerStarted.trim())).toBeGreaterThan(lines[0].at);
        const status = await readStatus(lab.stack);
        expect(status.drift).toEqual([]);

        // `berth releases` reads the same from every host.
        const { kept } = await readKeptReleases(lab.stack);
        expect(kept.map(({ host, app, releases, linked, tags }) => `${app}@${host} ${releases.map(({ ref }) => ref).sort().join(",")} linked ${linked} tags ${tags.map(({ tag }) => tag).join(",")}`))
            .toEqual(["web-1", "web-2", "worker-1"].map((host) => `sample@${host} v1.0.0,v1.1.0 linked v1.0.0 tags v2,v1`));
    }, 10 * 60_000);

    it("stops a rollout whose health gate fails at the first web host, with the site up; rollback restores it", async () => {
        await setTag("v3");
        const load = sampleLoad();
        const log = new EventLog();
        await expect(lab.stack.up({ onEvent: log.onEvent })).rejects.toThrow(/sample-web-web-1|healthy/);
        // The old container beside the failed one never stopped: both hosts still serve.
        expect(await servedVersions()).toEqual(BOTH("v2 v1.0.0"));
        const report = await load.stop();

        // Only web-1 got a new container (beside the old); the update stopped at its health gate.
        const containerSteps = stepSpans(log).filter((span) => span.type === CONTAINER && span.op !== "same" && span.op !== "replace");
        expect(containerSteps.map((span) => `${span.name} ${span.op}`)).toEqual([
            "sample-web-web-1 create-replacement",
        ]);
        expectNoFailedRequests(report);

        const load2 = sampleLoad();
        const back = await rollback(lab.stack);
        expect(back.to.sample).toEqual({ tag: "v2", codeRef: "v1.0.0" });
        expect(await servedVersions()).toEqual(BOTH("v2 v1.0.0"));
        expectNoFailedRequests(await load2.stop());

        const next = await lab.stack.preview();
        expect(Object.keys(next.changeSummary).filter((op) => op !== "same" && op !== "read")).toEqual([]);
    }, 10 * 60_000);

    it("deploy rolls a failed rollout back by itself and says what failed", async () => {
        await setTag("v3");
        const lines: string[] = [];
        const outcome = await deploy(lab.stack, { log: (line) => lines.push(line) });
        expect(outcome.result).toBe("rolled back");
        expect(outcome.restored).toEqual({ sample: { tag: "v2", codeRef: "v1.0.0" } });
        // Docker's health check or berth's HTTP gate, whichever fails first.
        expect(outcome.failure).toMatch(/sample-(web-web|healthy)-1: [\s\S]*(healthy|2xx)/);
        expect(await servedVersions()).toEqual(BOTH("v2 v1.0.0"));
        expect((await desiredReleases(lab.stack)).sample.tag).toBe("v2");
    }, 10 * 60_000);

    it("replaces nothing when a release task fails, and keeps the site up", async () => {
        await setRef("v1.2.0-bad-migration");
        const load = sampleLoad();
        const log = new EventLog();
        await expect(lab.stack.up({ onEvent: log.onEvent })).rejects.toThrow(/sample-release[\s\S]*(migrat|Error)/);
        const report = await load.stop();
        const touched = stepSpans(log).filter((span) => span.op !== "same" && span.op !== "read").map((span) => span.name);
        // The new release was fetched beside the running one; nothing else moved.
        expect(touched.filter((name) => /^sample-(web|worker|beat|code|drain|undrain|healthy)-/.test(name))).toEqual([]);
        expect(touched).toContain("sample-release");
        expect(await servedVersions()).toEqual(BOTH("v2 v1.0.0"));
        expectNoFailedRequests(report);

        await rollback(lab.stack);
        expect((await desiredReleases(lab.stack)).sample.codeRef).toBe("v1.0.0");
    }, 10 * 60_000);

    it("recovers a pulumi up killed mid-rollout, and converges with the site up", async () => {
        await setTag("v1");
        const load = sampleLoad();
        let killed: Promise<number> | undefined;
        const onEvent = (event: EngineEvent) => {
            const metadata = event.resourcePreEvent?.metadata;
            if (!killed && metadata?.op === "create-replacement" && metadata.urn.endsWith("::sample-web-web-1")) {
                // Mid-create: Docker has the container, the state does not.
                killed = new Promise((resolve) => setTimeout(() => resolve(killProcessesIn(lab.stack.workspace.workDir)), 1500));
            }
        };
        await expect(lab.stack.up({ onEvent })).rejects.toThrow();
        expect(await killed).toBeGreaterThan(0);
        // Killed while web-1's new container starts beside the old one: both hosts still serve v2.
        expect(await servedVersions()).toEqual(BOTH("v2 v1.0.0"));

        const lines: string[] = [];
        const outcome = await deploy(lab.stack, { log: (line) => lines.push(line) });
        const report = await load.stop();
        expect(outcome.result).toBe("succeeded");
        expect(lines.join("\n")).toMatch(/interrupted/);
        expect(await servedVersions()).toEqual(BOTH("v1 v1.0.0"));
        expectNoFailedRequests(report);
    }, 10 * 60_000);

    it("lets one of two concurrent deploys run, and tells the other who holds the lock", async () => {
        const results = await Promise.allSettled([deploy(lab.stack), deploy(lab.stack)]);
        expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
        const refused = results.find((result): result is PromiseRejectedResult => result.status === "rejected")!;
        expect(refused.reason).toBeInstanceOf(StackLockedError);
        expect(String(refused.reason.message)).toMatch(/is locked: .* is running `berth deploy`/);
    }, 5 * 60_000);

    it("reads what runs where from the hosts, and reports drift", async () => {
        const clean = await readStatus(lab.stack);
        expect(clean.drift).toEqual([]);
        expect(clean.containers.filter((container) => container.role === "web").map((container) => `${container.host} ${container.image} ${/healthy/.test(container.state)}`))
            .toEqual(["web-1 172.30.0.2:5000/berth/sample:v1 true", "web-2 172.30.0.2:5000/berth/sample:v1 true"]);

        await onLabHost("web-2", "docker run -d --name sample-by-hand --label berth.app=sample --label berth.role=web 172.30.0.2:5000/berth/sample:v1 sleep 600");
        try {
            const drifted = await readStatus(lab.stack);
            expect(drifted.drift).toEqual(["sample-by-hand@web-2: not in the stack (started by hand?)"]);
        } finally {
            await onLabHost("web-2", "docker rm -f sample-by-hand");
        }
    }, 5 * 60_000);

    it("previews a tag change as the rollout plan in order, as a pull-request comment", async () => {
        await setTag("v2");
        const markdown = renderPreviewMarkdown(await previewDeploy(lab.stack));
        const plan = markdown.slice(markdown.indexOf("#### sample"), markdown.indexOf("<details>")).trim();
        expect(plan).toMatchSnapshot();
        expect(markdown).toMatch(/^<!-- berth-preview:local -->/);
        expect(markdown).toContain("- sample v1 → v2");
        expect(markdown).toMatch(/\| replace \| `sample-web-web-1` \|/);
        await setTag("v1");
    }, 5 * 60_000);

    it("keeps an audit log of every deploy and rollback with the stack", async () => {
        const all = await readAudit(berthStateDirectory(lab.stack), "local");
        // Recovery of the killed `pulumi up` wrote what it removed (the dead process's update lock, the half-made container).
        const recovered = all.filter((entry) => entry.result === "recovered");
        expect(recovered.length).toBeGreaterThanOrEqual(1);
        expect(recovered.flatMap((entry) => entry.removed ?? []).join("\n")).toMatch(/Pulumi update lock of pid \d+|container sample-web/);
        const entries = all.filter((entry) => entry.result !== "recovered");
        expect(entries.map((entry) => `${entry.command} ${entry.result}`)).toEqual([
            "deploy succeeded",
            "deploy succeeded",
            "rollback succeeded",
            "deploy succeeded",
            "deploy succeeded",
            "rollback succeeded",
            "rollback succeeded",
            "deploy rolled back",
            "rollback succeeded",
            "deploy succeeded",
            "deploy succeeded",
        ]);
        // The code-only rollback (the direct flip, then its pulumi up) is one run.
        expect(entries[5]).toMatchObject({ command: "rollback", from: { sample: { codeRef: "v1.1.0" } }, to: { sample: { codeRef: "v1.0.0" } } });
        expect(entries[7]).toMatchObject({ from: { sample: { tag: "v2" } }, to: { sample: { tag: "v3" } }, restored: { sample: { tag: "v2" } } });
        expect(entries.every((entry) => entry.actor.length > 0 && !Number.isNaN(Date.parse(entry.at)))).toBe(true);
    });
});
