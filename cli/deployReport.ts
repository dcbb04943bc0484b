/**
 * The deploy report: a deploy's or rollback's steps as a timeline per host,
 * written as HTML into the stack's report directory (the audit trail keeps
 * the last REPORTS_KEPT), and to `--report FILE` / `--markdown FILE` when
 * asked.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { validateConfig } from "../components/config";
import type { DeployOutcome } from "./deploy";
import { StepRecorder } from "./progress";
import { berthConfig, describeChanges } from "./releases";
import { berthStateDirectory } from "./stateDirectory";
import { deployTimeline, Timeline } from "./timeline";
import { renderMermaidGantt, renderReportFile, renderTimelineHtml, reportFormat } from "./timelineRender";

export const REPORTS_KEPT = 30;

export interface ReportFiles {
    /** `--report FILE`: .html or .svg. */
    report?: string;
    /** `--markdown FILE`: a summary with the Mermaid gantt, for a pull request or a chat. */
    markdown?: string;
}

/** Refuses a `--report` file name berth cannot write, before anything runs. */
export function checkReportFile(file: string | undefined): void {
    if (file !== undefined) {
        reportFormat(file);
    }
}

/** Where a stack's deploy reports are kept, beside its audit log. */
export function reportDirectory(stack: Stack): string {
    return join(berthStateDirectory(stack), "reports", stack.name);
}

/** Pure: the Markdown of a deploy's report. */
export function renderDeployMarkdown(stackName: string, summary: string, timeline: Timeline): string {
    return [`### berth: \`${stackName}\``, "", `**${summary}**`, "", "```mermaid", renderMermaidGantt(timeline), "```", ""].join("\n");
}

/**
 * Writes the report of one command's `pulumi up`s. Returns the kept HTML
 * file's path. A report that cannot be written is said, never fails the
 * command: the deploy itself is done by then.
 */
export async function writeDeployReports(stack: Stack, command: string, summary: string, recorder: StepRecorder, files: ReportFiles, log: (line: string) => void): Promise<string | undefined> {
    try {
        const spec = validateConfig(await berthConfig(stack));
        const started = new Date(recorder.origin);
        const title = `berth ${command} ${stack.name}, ${started.toISOString().replace(/\.\d+Z$/, "Z")}: ${summary}`;
        const timeline = deployTimeline(title, spec.apps, spec.hosts.map((host) => host.name), recorder.steps);
        const directory = reportDirectory(stack);
        await mkdir(directory, { recursive: true });
        const kept = join(directory, `${started.toISOString().replace(/[:.]/g, "-")}-${command.split(" ")[0]}.html`);
        await writeFile(kept, renderTimelineHtml(timeline));
        await pruneReports(directory);
        if (files.report) {
            await writeFile(files.report, renderReportFile(timeline, files.report));
        }
        if (files.markdown) {
            await writeFile(files.markdown, renderDeployMarkdown(stack.name, summary, timeline));
        }
        return kept;
    } catch (error) {
        log(`berth: the deploy report was not written: ${(error as Error).message}`);
        return undefined;
    }
}

/** Keeps the newest REPORTS_KEPT reports (their names sort by time). */
async function pruneReports(directory: string): Promise<void> {
    const reports = (await readdir(directory)).filter((name) => name.endsWith(".html")).sort();
    for (const name of reports.slice(0, Math.max(0, reports.length - REPORTS_KEPT))) {
        await rm(join(directory, name), { force: true });
    }
}

/**
 * Runs a deploy or rollback with a recorder of its steps and writes its
 * report however it ended (a failed run's report shows the failed step).
 */
export async function deployWithReport(
    stack: Stack,
    command: string,
    files: ReportFiles,
    log: (line: string) => void,
    run: (recorder: StepRecorder) => Promise<DeployOutcome>,
    recorder = new StepRecorder(),
): Promise<DeployOutcome> {
    let summary = "failed";
    try {
        const outcome = await run(recorder);
        const changes = describeChanges(outcome.from, outcome.to).join("; ") || "no release change";
        summary = outcome.result === "rolled back" ? `failed, rolled back (${changes})` : `${outcome.result} (${changes})`;
        return outcome;
    } catch (error) {
        summary = `failed: ${(error as Error).message.split("\n")[0]}`;
        throw error;
    } finally {
        // A run that changed nothing keeps no report, unless one was asked for.
        if (recorder.steps.length > 0 || files.report || files.markdown) {
            const kept = await writeDeployReports(stack, command, summary, recorder, files, log);
            if (kept) {
                log(`report: ${kept}`);
            }
        }
    }
}
