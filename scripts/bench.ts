// npm run bench: deploy timings and availability in the lab, printed as a
// table. Not a test: it measures, on this machine, with the real engine.
//   1. berth code path (code.ref v1.0.0 → v1.1.0)
//   2. berth code rollback (`berth rollback` back to v1.0.0): wall time until every
//      host has flipped to the kept release and reloaded; the whole command (with
//      the pulumi up that records it) is printed below the table
//   3. berth image rollout (image.tag v1 → v2)
//   4. naive redeploy, the baseline: every container of the app stopped, then
//      started again at once (what `docker compose up -d` does to a changed service)
//   5. and 6. the code path and the code rollback again with `reload: chain`
//   7. steady state: the same load with no deploy, the latency to compare with
// each with the fewest upstream servers nginx had in rotation and healthy
// (sampled on the load balancer from nginx's own config, back to back).
// each under the same steady GET/POST load through nginx. Config edits happen
// before the clock starts; a berth deploy's wall time is one `pulumi up` through
// the Automation API, from the call until it returns.
import { EngineEvent } from "@pulumi/pulumi/automation";
import { rollback } from "../cli/deploy";
import { DeployProgress, StepReport } from "../cli/progress";
import { containersOn, createLabStack, LabStack, onLabHost, repositoryLocalStack, takeOverLab, tearDownLab } from "../tests/engine/support/lab";
import { run } from "../tests/engine/support/processes";
import { repositoryRoot } from "../tests/engine/support/repository";
import { LoadReport, startLoad } from "../tests/engine/support/load";
import { CapacityReport, sampleCapacity } from "../tests/engine/support/capacity";

interface Row {
    deploy: string;
    seconds: number;
    report: LoadReport;
    /** The fewest upstream servers nginx had in rotation and healthy at any sample. */
    capacity: CapacityReport;
}

const RATE = 40;

function load() {
    return startLoad({
        url: "http://127.0.0.1:8080",
        host: "sample.localhost",
        rate: RATE,
        requests: [
            { method: "GET", path: "/" },
            { method: "GET", path: "/version" },
            { method: "POST", path: "/visits" },
        ],
    });
}

/** Runs a deploy under load, with a few quiet seconds before and after so the load sees the edges. */
async function measure(deploy: string, action: () => Promise<void>): Promise<Row> {
    const running = load();
    const capacity = sampleCapacity({ app: "sample", domain: "sample.localhost" });
    await pause(3000);
    const started = Date.now();
    await action();
    const seconds = (Date.now() - started) / 1000;
    await pause(3000);
    return { deploy, seconds, report: await running.stop(), capacity: await capacity.stop() };
}

/** One berth deploy's steps, from the driver's own progress, and when the engine and the Automation API were done. */
interface Timeline {
    steps: StepReport[];
    engineDoneMs?: number;
    returnedMs?: number;
}

/**
 * Sets the config (before the clock starts: that is editing, not deploying),
 * then returns the timed deploy: one `pulumi up`, its steps recorded.
 */
async function berthUp(lab: LabStack, key: string, value: string, timeline: Timeline): Promise<() => Promise<void>> {
    await lab.stack.setConfig(key, { value }, true);
    return async () => {
        const progress = new DeployProgress();
        const onEvent = (event: EngineEvent) => {
            progress.onEvent(event);
            if (event.summaryEvent) {
                timeline.engineDoneMs = progress.elapsedMs();
            }
        };
        const result = await lab.stack.up({ onEvent });
        if (result.summary.result !== "succeeded") {
            throw new Error(`pulumi up for ${key}=${value}: ${result.summary.result}`);
        }
        timeline.returnedMs = progress.elapsedMs();
        timeline.steps = progress.steps;
    };
}

/** Where a deploy's time goes: each changed step's start and end, in seconds from `pulumi up`. */
function printTimeline(title: string, timeline: Timeline): void {
    const seconds = (ms: number | undefined) => (ms === undefined ? "?" : (ms / 1000).toFixed(1)).padStart(5);
    console.log(`\n${title}: step timeline (s from the start of pulumi up)`);
    for (const step of [...timeline.steps].sort((left, right) => left.startMs - right.startMs)) {
        console.log(`  ${seconds(step.startMs)} → ${seconds(step.endMs)}  ${step.name} ${step.op}`);
    }
    console.log(`  ${seconds(timeline.engineDoneMs)}          (the engine reports the update done)`);
    console.log(`  ${seconds(timeline.returnedMs)}          (stack.up returns: the Automation API has read the summary and outputs)`);
}

/** What `berth rollback` said of its flip, and how long the whole command took. */
interface FlipFigures {
    seconds: number;
    webSeconds: number;
    checkSeconds: number;
    commandSeconds: number;
}

/**
 * `berth rollback` back to the code release before, under load. The row's
 * wall time is the flip's (until every host has flipped and reloaded), not
 * the recording `pulumi up` after it.
 */
async function measureCodeRollback(lab: LabStack, label: string): Promise<{ row: Row; flip: FlipFigures }> {
    let flip: FlipFigures | undefined;
    const row = await measure(label, async () => {
        const started = Date.now();
        let said: number[] | undefined;
        const outcome = await rollback(lab.stack, {
            log: (line) => {
                const flipped = /^code rolled back on every host in ([\d.]+) s \(web hosts in ([\d.]+) s; .* took ([\d.]+) s before\)/.exec(line);
                said = flipped ? flipped.slice(1, 4).map(Number) : said;
            },
        });
        if (outcome.to.sample?.codeRef !== "v1.0.0" || !said) {
            throw new Error(`berth rollback did not flip the code back to v1.0.0: ${JSON.stringify(outcome)}`);
        }
        flip = { seconds: said[0], webSeconds: said[1], checkSeconds: said[2], commandSeconds: (Date.now() - started) / 1000 };
    });
    row.seconds = flip!.seconds;
    return { row, flip: flip! };
}

/** The baseline: stop every container of the app on every host at once, then start them all. */
async function naiveRedeploy(): Promise<void> {
    const hosts = ["web-1", "web-2", "worker-1"] as const;
    const names = await Promise.all(hosts.map(async (host) => (await containersOn(host)).filter((name) => name.startsWith("sample-"))));
    await Promise.all(hosts.map((host, index) => onLabHost(host, `docker stop --time 10 ${names[index].join(" ")}`)));
    await Promise.all(hosts.map((host, index) => onLabHost(host, `docker start ${names[index].join(" ")}`)));
}

function pause(milliseconds: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function printTable(rows: Row[]): void {
    const header = ["deploy", "wall s", "requests", "failed", "p50 ms", "p99 ms", "min healthy upstreams"];
    const lines = rows.map((row) => [
        row.deploy,
        row.seconds.toFixed(1),
        String(row.report.requests),
        String(row.report.errors + row.report.non2xx),
        String(row.report.latencyP50Ms),
        String(row.report.latencyP99Ms),
        `${row.capacity.minimum} of 2 (${row.capacity.samples} samples)`,
    ]);
    const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
    const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
    console.log(format(header));
    console.log(widths.map((width) => "-".repeat(width)).join("  "));
    for (const line of lines) {
        console.log(format(line));
    }
}

async function main(): Promise<void> {
    console.log(`lab: 2 web hosts, 1 worker/beat host; load: ${RATE} req/s through nginx (GET /, GET /version, POST /visits)\n`);
    const { tookOver } = await takeOverLab((line) => console.log(`bench: ${line}`));
    const lab = await createLabStack();
    try {
        await lab.stack.setConfig("berth:apps[0].image.tag", { value: "v1" }, true);
        await lab.stack.setConfig("berth:apps[0].code.ref", { value: "v1.0.0" }, true);
        const first = await lab.stack.up();
        if (first.summary.result !== "succeeded") {
            throw new Error("the first deploy failed");
        }
        const steady = await measure("steady state (no deploy, 10 s)", () => pause(10_000));
        const codeTimeline: Timeline = { steps: [] };
        const imageTimeline: Timeline = { steps: [] };
        const codePath = await berthUp(lab, "berth:apps[0].code.ref", "v1.1.0", codeTimeline);
        const codeRow = await measure("berth code path (ref v1.0.0 → v1.1.0)", codePath);
        const touchRollback = await measureCodeRollback(lab, "berth code rollback (flip to v1.0.0)");
        const imageRollout = await berthUp(lab, "berth:apps[0].image.tag", "v2", imageTimeline);
        const imageRow = await measure("berth image rollout (tag v1 → v2)", imageRollout);
        const naiveRow = await measure("naive redeploy (stop all, start all)", naiveRedeploy);

        // The same code path and rollback with `reload: chain` (uWSGI replaces its workers one at a
        // time, so a host keeps serving through its reload and the flip takes every host at once).
        const toChain = await berthUp(lab, "berth:apps[0].reload", "chain", { steps: [] });
        await toChain();
        const chainTimeline: Timeline = { steps: [] };
        const chainCodePath = await berthUp(lab, "berth:apps[0].code.ref", "v1.1.0", chainTimeline);
        const chainCodeRow = await measure("berth code path, reload: chain", chainCodePath);
        const chainRollback = await measureCodeRollback(lab, "berth code rollback, reload: chain");

        const berthRows = [codeRow, touchRollback.row, imageRow, chainCodeRow, chainRollback.row];
        const rows = [...berthRows, naiveRow, steady];
        printTimeline("code path", codeTimeline);
        printTimeline("image rollout", imageTimeline);
        printTimeline("code path, reload: chain", chainTimeline);
        console.log("");
        printTable(rows);
        console.log("");
        for (const [mode, { flip }] of [["touch", touchRollback], ["chain", chainRollback]] as const) {
            console.log(`code rollback (reload: ${mode}): every host flipped in ${flip.seconds.toFixed(1)} s (its web hosts in ${flip.webSeconds.toFixed(1)} s), ` +
                `after ${flip.checkSeconds.toFixed(1)} s reading the stack and checking the hosts keep the release; ` +
                `the whole \`berth rollback\` (lock, checks, flip, the pulumi up that records it) took ${flip.commandSeconds.toFixed(1)} s`);
        }
        const failed = (row: Row) => row.report.errors + row.report.non2xx;
        const berthFailed = berthRows.reduce((sum, row) => sum + failed(row), 0);
        const naiveFailed = failed(naiveRow);
        console.log(`failed requests, berth (all ${berthRows.length}) / naive: ${berthFailed} / ${naiveFailed}` +
            (naiveFailed > 0 ? ` = ${(berthFailed / naiveFailed).toFixed(3)}` : ""));
        for (const row of rows) {
            console.log(`${row.deploy}: status codes ${JSON.stringify(row.report.statusCodes)}, connection errors ${row.report.errors}`);
        }
    } finally {
        await tearDownLab(lab, { keepLab: true });
        await redeployLocalStack(tookOver);
    }
}

/** Leaves the lab as the bench found it: deployed by the repository's `local` stack, when there is one. */
async function redeployLocalStack(tookOver: boolean): Promise<void> {
    if (!(await repositoryLocalStack())) {
        console.log("\nbench: the lab is up; `npm start` deploys the sample app on it");
        return;
    }
    console.log(`\nbench: ${tookOver ? "deploying the local stack again" : "deploying the local stack"} (bin/berth deploy --stack local)`);
    await run(`${repositoryRoot}/bin/berth`, ["deploy", "--stack", "local"]);
    console.log("bench: the lab serves the local stack again: http://sample.localhost:8080/");
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
