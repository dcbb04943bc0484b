// Day-2 commands against the lab: `berth logs` from every host in time
// order and across a rollout, `berth exec` with its exit code and under a
// pseudo-terminal, `berth maintenance` for one app through a deploy.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deploy } from "../../cli/deploy";
import { deployWithReport, reportDirectory } from "../../cli/deployReport";
import { SVG_LAYOUT } from "../../cli/timelineRender";
import { deployTimeline } from "../../cli/timeline";
import { StepRecorder } from "../../cli/progress";
import { berthConfig, setReleases } from "../../cli/releases";
import { readKeptReleases, renderKeptReleases } from "../../cli/keptReleases";
import { validateConfig } from "../../components/config";
import { phasesSeenPerLane, renderWithMermaid, screenshot } from "../support/chromium";
import { execOnHost } from "../../cli/exec";
import { followLogs, readLogs } from "../../cli/logs";
import { switchMaintenance } from "../../cli/maintenance";
import { readStatus, renderStatus } from "../../cli/status";
import { readAudit } from "../../cli/audit";
import { berthStateDirectory } from "../../cli/stateDirectory";
import { EventLog } from "./support/engine";
import { httpRequest } from "./support/http";
import { createLabStack, eventually, LabStack, sampleThroughNginx, setSampleTag, takeOverLab, tearDownLab } from "./support/lab";
import { repositoryRoot } from "./support/repository";

describe("day-2 commands in the lab", () => {
    let lab: LabStack;
    const reports = mkdtempSync(join(tmpdir(), "berth-reports-"));
    afterAll(() => rmSync(reports, { recursive: true, force: true }));

    /**
     * The deploy's report: kept beside the audit log and written where asked;
     * in headless Chromium every host of the rollout shows its bars, in the
     * colours of the phases its steps had; Mermaid draws the Markdown's gantt.
     */
    async function expectReportOfTheRollout(files: { report: string; markdown: string }, lines: string[], recorder: StepRecorder): Promise<void> {
        const kept = lines.find((line) => line.startsWith("report: "))!.slice("report: ".length);
        expect(kept.startsWith(reportDirectory(lab.stack))).toBe(true);
        expect(readFileSync(kept, "utf8")).toBe(readFileSync(files.report, "utf8"));
        const html = readFileSync(files.report, "utf8");
        // The timeline as the report drew it: its lanes and bars, from the table under the picture.
        const rows = [...html.matchAll(/<tr><td>([^<]+)<\/td><td>([a-z]+)<\/td>/g)].map((match) => ({ host: match[1], phase: match[2] }));
        for (const host of ["web-1", "web-2", "worker-1"]) {
            expect(rows.filter((row) => row.host === host).map((row) => row.phase)).toEqual(expect.arrayContaining(host === "worker-1" ? ["pull", "workers", "beat"] : ["pull", "swap", "health", "undrain"]));
        }
        const svgHeight = Number(/<svg [^>]*height="(\d+)"/.exec(html)![1]);
        const image = await screenshot(files.report, SVG_LAYOUT.width, svgHeight);
        const lanes = [...html.matchAll(/<text x="10" y="\d+" font-weight="bold">([^<]+)<\/text>/g)].map((match) => match[1]);
        expect(lanes).toEqual(expect.arrayContaining(["web-1", "web-2", "worker-1"]));
        // The same steps laid out again give each lane's place in the picture.
        const spec = validateConfig(await berthConfig(lab.stack));
        const timeline = deployTimeline("", spec.apps, spec.hosts.map((host) => host.name), recorder.steps);
        expect(timeline.hosts).toEqual(lanes);
        const seen = phasesSeenPerLane(image, timeline);
        for (const host of ["web-1", "web-2", "worker-1"]) {
            expect(seen[host]).toEqual(expect.arrayContaining(host === "worker-1" ? ["pull", "workers", "beat"] : ["pull", "swap", "undrain"]));
        }
        const gantt = /```mermaid\n([\s\S]*?)\n```/.exec(readFileSync(files.markdown, "utf8"))![1];
        const rendering = await renderWithMermaid(gantt);
        expect(rendering.error).toBeUndefined();
        expect(rendering.sectionTitles).toEqual(lanes);
        expect(rendering.tasks).toBe(rows.length);
    }

    beforeAll(async () => {
        await takeOverLab();
        lab = await createLabStack();
        await setSampleTag(lab, "v1");
        await lab.stack.setConfig("berth:apps[0].code.ref", { value: "v1.0.0" }, true);
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(up.summary.result).toBe("succeeded");
        // Some traffic, so both web hosts and nginx have lines to show.
        for (let request = 0; request < 10; request++) {
            await sampleThroughNginx("/");
        }
    }, 15 * 60_000);

    afterAll(() => tearDownLab(lab), 10 * 60_000);

    it("logs: lines from both web hosts, the worker, beat and nginx, in time order, each with host and role", async () => {
        const started = Date.now();
        const lines = await readLogs(lab.stack, { app: "sample", since: "10m" });
        const seconds = (Date.now() - started) / 1000;
        const sources = new Set(lines.map((line) => line.split(" ").slice(1, 3).join(" ")));
        expect([...sources].sort()).toEqual(expect.arrayContaining(["web-1 sample/web", "web-2 sample/web", "worker-1 sample/worker", "worker-1 sample/beat", "lb-1 nginx"]));
        const times = lines.map((line) => line.split(" ")[0]);
        expect(times.map((time) => Date.parse(time))).toEqual([...times].map((time) => Date.parse(time)).sort((left, right) => left - right));
        expect((await readLogs(lab.stack, { app: "sample", role: "web", host: "web-2", grep: "GET" })).every((line) => / web-2 sample\/web \| .*GET/.test(line))).toBe(true);
        await expect(readLogs(lab.stack, { app: "sample", host: "lb-9" })).rejects.toThrow(/host lb-9 runs no app sample/);
        console.log(`berth logs, every host of the sample app: ${lines.length} lines in ${seconds.toFixed(1)} s`);
    }, 5 * 60_000);

    it("logs --follow: keeps streaming across a rollout and picks up the new web containers", async () => {
        const seen: string[] = [];
        let stop!: () => void;
        const stopped = new Promise<void>((resolve) => (stop = resolve));
        const following = followLogs(lab.stack, { app: "sample", role: "web" }, (line) => seen.push(line), stopped);
        await setSampleTag(lab, "v2");
        const up = await lab.stack.up({ onEvent: new EventLog().onEvent });
        expect(up.summary.result).toBe("succeeded");
        const rolledAt = new Date().toISOString();
        await eventually("lines from the new web containers after the rollout", 60_000, async () => {
            await sampleThroughNginx("/");
            return ["web-1", "web-2"].every((host) => seen.some((line) => line.split(" ")[0] > rolledAt && line.includes(` ${host} sample/web | `)));
        });
        stop();
        await following;
    }, 15 * 60_000);

    it("exec: runs manage migrate --plan in a one-off container, passes a failing command's exit code, and works under a pseudo-terminal", async () => {
        const started = Date.now();
        expect(await execOnHost(lab.stack, { app: "sample", command: ["manage", "migrate", "--plan"], interactive: false })).toBe(0);
        const roundTrip = (Date.now() - started) / 1000;
        expect(await execOnHost(lab.stack, { app: "sample", command: ["manage", "shell", "-c", "import sys; sys.exit(7)"], interactive: false })).toBe(7);
        expect(await execOnHost(lab.stack, { app: "sample", command: ["sh", "-c", "exit 3"], inRunning: true, interactive: false })).toBe(3);

        // Interactive, as a person at a terminal: `script` gives berth a pseudo-terminal; the shell reads from it.
        const output = await new Promise<string>((resolve, reject) => {
            const child = spawn("script", ["-qec", `${repositoryRoot}/bin/berth exec sample --in-running -- sh -c 'test -t 0 && echo is-a-terminal; read line; echo "got $line"'`, "/dev/null"], {
                env: { ...process.env, BERTH_STACK: "local", PULUMI_BACKEND_URL: lab.stack.workspace.envVars.PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE: "berth-local" },
                cwd: lab.stack.workspace.workDir,
            });
            let text = "";
            child.stdout.on("data", (chunk) => {
                text += chunk;
                if (text.includes("is-a-terminal") && !text.includes("sent")) {
                    child.stdin.write("hello\r");
                    text += "sent";
                }
            });
            child.on("error", reject);
            child.on("exit", () => resolve(text));
        });
        expect(output).toContain("is-a-terminal");
        expect(output).toContain("got hello");
        const audit = await readAudit(berthStateDirectory(lab.stack), "local");
        expect(audit.map((entry) => entry.command)).toEqual(expect.arrayContaining([expect.stringMatching(/^exec sample@web-1 \(.*\): manage migrate --plan$/)]));
        expect(audit.find((entry) => entry.command.endsWith("sys.exit(7)"))?.error).toBe("exit code 7");
        console.log(`berth exec round trip (manage migrate --plan in a new container): ${roundTrip.toFixed(1)} s`);
    }, 10 * 60_000);

    it("maintenance: 503 with Retry-After for that app only, kept through a deploy, shown by status, off again", async () => {
        const apps = JSON.parse((await lab.stack.getConfig("berth:apps")).value);
        apps.push({ ...apps[0], name: "two", domain: "two.localhost", webPort: 8003, hosts: { web: ["web-1"] }, release: ["collectstatic"] });
        await lab.stack.setConfig("berth:apps", { value: JSON.stringify(apps) });
        await lab.stack.setConfig("berth:secrets.two.SECRET_KEY", { value: "two-lab-secret-key", secret: true }, true);
        expect((await lab.stack.up({ onEvent: new EventLog().onEvent })).summary.result).toBe("succeeded");
        const two = () => httpRequest("http://127.0.0.1:8080/", { host: "two.localhost" });

        await switchMaintenance(lab.stack, "on", "sample", "Upgrading the database, back at 10:00.");
        const page = await sampleThroughNginx("/");
        expect([page.status, page.headers["retry-after"]]).toEqual([503, "300"]);
        expect(page.body).toContain("Upgrading the database, back at 10:00.");
        expect((await sampleThroughNginx("/healthz")).status).toBe(200);
        expect((await two()).status).toBe(200);
        expect(renderStatus(await readStatus(lab.stack))).toMatch(/lb-1: sample is in maintenance \(503\) since \d{4}-\d\d-\d\dT/);

        // The deploy through the driver, as `berth deploy --report FILE.html --markdown FILE.md` runs it.
        // berth:apps is one JSON string now: setReleases keeps it one (a path write would replace it).
        await setReleases(lab.stack, { sample: { tag: "v2.1", codeRef: "v1.0.0" } });
        const files = { report: join(reports, "deploy.html"), markdown: join(reports, "deploy.md") };
        const lines: string[] = [];
        const recorder = new StepRecorder();
        const log = (line: string) => lines.push(line);
        const outcome = await deployWithReport(lab.stack, "deploy", files, log, () => deploy(lab.stack, { recorder, log }), recorder);
        expect({ result: outcome.result, lines }).toMatchObject({ result: "succeeded" });
        expect((await sampleThroughNginx("/")).status).toBe(503);
        await expectReportOfTheRollout(files, lines, recorder);

        await switchMaintenance(lab.stack, "off", "sample", undefined);
        expect((await sampleThroughNginx("/")).status).toBe(200);
        const audit = await readAudit(berthStateDirectory(lab.stack), "local");
        expect(audit.map((entry) => entry.command)).toEqual(expect.arrayContaining(["maintenance on sample: Upgrading the database, back at 10:00.", "maintenance off sample"]));
        await expect(switchMaintenance(lab.stack, "on", "nope", undefined)).rejects.toThrow(/no app "nope" in berth:apps \(known: sample, two\)/);

        // `berth releases APP`: that app's hosts only; an unknown app is named with the known ones.
        const { kept } = await readKeptReleases(lab.stack, "two");
        expect(kept.map((entry) => `${entry.app}@${entry.host}`)).toEqual(["two@web-1"]);
        expect(renderKeptReleases(kept, outcome.to)).toMatch(/^two on web-1\n {2}code releases, newest deploy first: v1\.0\.0 \(linked, [0-9a-f]{7}\)/);
        await expect(readKeptReleases(lab.stack, "nope")).rejects.toThrow("releases nope: the stack local has no app of that name (its apps: sample, two)");
    }, 15 * 60_000);
});
