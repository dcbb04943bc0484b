import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerReplacementSteps, rolloutNames } from "../../../components/rollout/names";
import { StepReport } from "../../../cli/progress";
import { deployTimeline, planTimeline, STACK_LANE, Timeline } from "../../../cli/timeline";
import { laneBoxes, renderMermaidGantt, renderReportFile, renderTimelineHtml, renderTimelineSvg, SVG_LAYOUT } from "../../../cli/timelineRender";
import { checkReportFile, renderDeployMarkdown } from "../../../cli/deployReport";
import { phasesSeenPerLane, renderWithMermaid, screenshot } from "../../support/chromium";
import { twoWebHostSpec } from "../../support/twoWebHostSpec";

const spec = twoWebHostSpec;
const app = spec.apps[0];
const hostNames = spec.hosts.map((host) => host.name);

/** An image rollout's steps as DeployProgress reports them, one after another, 400 ms each (pulls in parallel). */
function imageRolloutSteps(): StepReport[] {
    const names = rolloutNames("sample");
    const steps: StepReport[] = [];
    let clock = 0;
    const step = (name: string, op = "create-replacement", failed = false, parallel = false) => {
        const start = parallel ? clock - 2000 : clock;
        steps.push({ name, op, startMs: start, endMs: start + 2000, failed });
        clock = Math.max(clock, start + 2000);
    };
    step(names.hostFile("image", "web-1"));
    step(names.hostFile("image", "web-2"), "create-replacement", false, true);
    step(names.hostFile("image", "worker-1"), "create-replacement", false, true);
    step(names.release);
    for (const host of ["web-1", "web-2"]) {
        containerReplacementSteps("sample", "web", host, "blue-green").forEach((name) => step(name));
    }
    containerReplacementSteps("sample", "worker", "worker-1").forEach((name) => step(name));
    containerReplacementSteps("sample", "beat", "worker-1").forEach((name, index, all) => step(name, "create-replacement", index === all.length - 1));
    step("nginx-config", "update");
    step(names.container("web", "web-1"), "delete-replaced");
    return steps;
}

describe("the deploy timeline", () => {
    it("puts each rollout step on its host's lane with its phase; a step berth's rollout does not name goes to the stack's lane", () => {
        const timeline = deployTimeline("berth deploy prod", spec.apps, hostNames, imageRolloutSteps());
        expect(timeline.hosts).toEqual(["web-1", "web-2", "worker-1", STACK_LANE]);
        const phasesOn = (host: string) => [...new Set(timeline.bars.filter((bar) => bar.host === host).map((bar) => bar.phase))];
        expect(phasesOn("web-1")).toEqual(["pull", "release", "swap", "health", "undrain"]);
        expect(phasesOn("web-2")).toEqual(["pull", "swap", "health", "undrain"]);
        expect(phasesOn("worker-1")).toEqual(["pull", "workers", "beat"]);
        expect(timeline.bars.filter((bar) => bar.host === STACK_LANE).map((bar) => bar.label)).toEqual(["nginx-config"]);
        expect(timeline.bars.find((bar) => bar.failed)).toMatchObject({ host: "worker-1", phase: "beat", resource: "sample-beat-worker-1" });
        expect(timeline.bars[timeline.bars.length - 1].label).toBe("sample remove old");
    });

    it("plans an image rollout per host in the order the component wires it: pulls together, release, web host by host, workers, beat, prune", () => {
        const timeline = planTimeline("plan", [{ app, path: "image" }], hostNames);
        const on = (host: string) => timeline.bars.filter((bar) => bar.host === host).map((bar) => `${bar.phase}@${bar.startMs / 1000}`);
        expect(on("web-1")).toEqual(["pull@0", "files@1", "release@2", "release@2", "swap@3", "health@4", "undrain@5", "prune@11"]);
        expect(on("web-2")).toEqual(["pull@0", "files@1", "release@2", "swap@6", "health@7", "undrain@8", "prune@11"]);
        expect(on("worker-1")).toEqual(["pull@0", "files@1", "workers@9", "beat@10", "prune@11"]);
        expect(timeline.measured).toBe(false);
    });

    it("plans the code path: no pull, each web host reloads in turn, the worker and beat restart beside the last", () => {
        const timeline = planTimeline("plan", [{ app, path: "code" }], hostNames);
        const on = (host: string) => timeline.bars.filter((bar) => bar.host === host).map((bar) => `${bar.phase}@${bar.startMs / 1000}`);
        expect(on("web-1")).toEqual(["files@0", "release@1", "release@1", "code@2", "health@3", "prune@6"]);
        expect(on("web-2")).toEqual(["files@0", "release@1", "code@4", "health@5", "prune@6"]);
        expect(on("worker-1")).toEqual(["files@0", "workers@4", "beat@4", "prune@6"]);
    });

    it("writes a Mermaid gantt with a section per host, a task per bar, times in ms and a failed step marked crit", () => {
        const timeline = deployTimeline("berth deploy prod: sample v1 → v2", spec.apps, hostNames, imageRolloutSteps());
        const gantt = renderMermaidGantt(timeline);
        const lines = gantt.split("\n");
        expect(lines.slice(0, 4)).toEqual(["gantt", "    title berth deploy prod sample v1 → v2", "    dateFormat x", "    axisFormat %M:%S"]);
        expect(lines.filter((line) => line.startsWith("    section "))).toEqual(["    section web-1", "    section web-2", "    section worker-1", "    section stack"]);
        expect(lines.filter((line) => / :(crit, )?b\d+, \d+, \d+$/.test(line))).toHaveLength(timeline.bars.length);
        expect(lines.filter((line) => line.includes(":crit, "))).toEqual([expect.stringMatching(/^ {4}sample beat start :crit, b\d+, \d+, \d+$/)]);
    });

    it("keeps Mermaid's own syntax out of task names and titles", () => {
        const timeline: Timeline = {
            title: "a: b; c # d", measured: true, hosts: ["h"],
            bars: [{ host: "h", phase: "other", label: "x:y;z#w", resource: "x", startMs: 5, endMs: 5, failed: false }],
        };
        expect(renderMermaidGantt(timeline).split("\n").slice(-2)).toEqual(["    section h", "    x y z w :b1, 5, 6"]);
    });

    it("refuses a report file that is neither .html nor .svg, naming what is allowed", () => {
        expect(() => checkReportFile("report.png")).toThrow("--report report.png: the file name must end in .html or .svg");
        expect(() => checkReportFile("out/deploy.HTML")).not.toThrow();
        expect(() => renderReportFile(planTimeline("plan", [], hostNames), "x.pdf")).toThrow(/\.html or \.svg/);
    });

    it("escapes XML in the SVG and lays the lanes out one under another", () => {
        const timeline: Timeline = {
            title: "<deploy> & \"more\"", measured: true, hosts: ["a", "b"],
            bars: [
                { host: "a", phase: "pull", label: "p", resource: "r<1>", startMs: 0, endMs: 1000, failed: false },
                { host: "a", phase: "swap", label: "s", resource: "r2", startMs: 500, endMs: 1500, failed: true },
                { host: "b", phase: "beat", label: "b", resource: "r3", startMs: 1000, endMs: 2000, failed: false },
            ],
        };
        const svg = renderTimelineSvg(timeline);
        expect(svg).toContain("&lt;deploy&gt; &amp; &quot;more&quot;");
        expect(svg).not.toContain("r<1>");
        const boxes = laneBoxes(timeline);
        // Two bars overlapping in time on a take two rows.
        expect(boxes.map((box) => box.rows)).toEqual([2, 1]);
        expect(boxes[1].top).toBe(boxes[0].bottom);
        expect(renderTimelineHtml(timeline)).toContain('<tr class="failed"><td>a</td><td>swap</td><td><code>r2</code></td>');
    });
});

describe("the deploy report in a real browser and in Mermaid", () => {
    const directory = mkdtempSync(join(tmpdir(), "berth-timeline-"));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it.each([
        ["a deploy's HTML report", "deploy.html", deployTimeline("berth deploy prod", spec.apps, hostNames, imageRolloutSteps())],
        ["a preview's SVG", "plan.svg", planTimeline("berth preview prod", [{ app, path: "image" }], hostNames)],
    ])("%s shows every host's bars in headless Chromium", async (_, file, timeline) => {
        const path = join(directory, file);
        writeFileSync(path, renderReportFile(timeline, path));
        const boxes = laneBoxes(timeline);
        const image = await screenshot(path, SVG_LAYOUT.width, boxes[boxes.length - 1].bottom + SVG_LAYOUT.legendHeight);
        const expected = Object.fromEntries(timeline.hosts.map((host) => [host, [...new Set(timeline.bars.filter((bar) => bar.host === host).map((bar) => bar.phase))]]));
        const seen = phasesSeenPerLane(image, timeline);
        for (const host of timeline.hosts) {
            expect({ host, phases: [...seen[host]].sort() }).toEqual({ host, phases: [...expected[host]].sort() });
        }
    }, 180_000);

    it("Mermaid parses and draws the Markdown's gantt of a deploy and of a plan: a section per host, every bar", async () => {
        const deployed = deployTimeline("berth deploy prod: sample v1 → v2", spec.apps, hostNames, imageRolloutSteps());
        const markdown = renderDeployMarkdown("prod", "succeeded (sample v1 → v2)", deployed);
        const block = /```mermaid\n([\s\S]*?)\n```/.exec(markdown)![1];
        await expect(renderWithMermaid(block)).resolves.toEqual({ tasks: deployed.bars.length, sectionTitles: ["web-1", "web-2", "worker-1", "stack"] });
        const planned = planTimeline("berth preview prod", [{ app, path: "code" }], hostNames);
        await expect(renderWithMermaid(renderMermaidGantt(planned))).resolves.toEqual({ tasks: planned.bars.length, sectionTitles: ["web-1", "web-2", "worker-1"] });
    }, 180_000);

    it("draws a deploy that changed nothing: a title, no bars", async () => {
        const empty = deployTimeline("berth deploy prod: succeeded (no release change)", spec.apps, hostNames, []);
        expect(empty.hosts).toEqual([]);
        await expect(renderWithMermaid(renderMermaidGantt(empty))).resolves.toEqual({ tasks: 0, sectionTitles: [] });
        expect(renderTimelineSvg(empty)).toContain("berth deploy prod: succeeded (no release change)");
    }, 180_000);

    it("and Mermaid refuses a broken gantt (the check can fail)", async () => {
        const rendering = await renderWithMermaid("gantt\n    dateFormat x\n    section a\n    task :b1, zero, 5");
        expect(rendering.error).toBeDefined();
    }, 180_000);
});
