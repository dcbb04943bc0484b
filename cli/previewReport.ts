/**
 * Pure: what `berth preview` reports and how it reads, as text for a
 * terminal and as Markdown for a pull-request comment.
 */
import { Timeline } from "./timeline";
import { renderMermaidGantt } from "./timelineRender";

/** One resource the preview would change. */
export interface PreviewStep {
    op: string;
    name: string;
    type: string;
    diffs: string[];
}

/** One app's deploy: which path it takes and its steps in order. */
export interface AppPlan {
    app: string;
    path: "image" | "code" | "none";
    lines: string[];
}

export interface PreviewReport {
    stack: string;
    /** "sample v1 → v2", per app whose release changes. */
    changes: string[];
    /** Engine step counts by operation (create, replace, update, delete, ...). */
    counts: Record<string, number>;
    steps: PreviewStep[];
    plans: AppPlan[];
    /** "mandatory no-latest-tag: sample-web-web-1: image ... uses the tag `latest` ..." */
    policyViolations: string[];
    /** A mandatory policy failed the preview: this change cannot be deployed as it is. */
    blockedByPolicy: boolean;
    /** Drift the deploy will repair, one line each (see cli/repair.ts); absent when not checked. */
    repairs?: string[];
    /** The changing apps' rollout plans as bars per host, in order. */
    timeline: Timeline;
}

/** The marker that lets CI find and update its own comment instead of adding one per push. */
export function commentMarker(stack: string): string {
    return `<!-- berth-preview:${stack} -->`;
}

const PATH_TITLES: Record<AppPlan["path"], string> = {
    image: "image rollout",
    code: "code path (touch-reload, no container replaced)",
    none: "no change",
};

function countsLine(counts: Record<string, number>): string {
    const entries = Object.entries(counts).filter(([op]) => op !== "same");
    return entries.length === 0 ? "no changes" : entries.map(([op, count]) => `${count} to ${op}`).join(", ");
}

export function renderPreviewText(report: PreviewReport): string {
    const lines = [`berth preview — stack ${report.stack}: ${report.blockedByPolicy ? "BLOCKED by a mandatory policy" : countsLine(report.counts)}`];
    if (report.changes.length > 0) {
        lines.push("", "Releases:", ...report.changes.map((change) => `  ${change}`));
    }
    for (const plan of report.plans) {
        lines.push("", `${plan.app}: ${PATH_TITLES[plan.path]}`, ...plan.lines.map((line) => `  ${line}`));
    }
    if (report.repairs && report.repairs.length > 0) {
        lines.push("", "Repairs (drift from the stack):", ...report.repairs.map((repair) => `  ${repair}`));
    }
    if (report.policyViolations.length > 0) {
        lines.push("", "Policy violations:", ...report.policyViolations.map((violation) => `  ${violation}`));
    }
    if (report.steps.length > 0) {
        lines.push("", "Resources:", ...report.steps.map((step) => `  ${step.op.padEnd(10)} ${step.name}${step.diffs.length > 0 ? `  [${step.diffs.join(", ")}]` : ""}`));
    }
    return lines.join("\n");
}

export function renderPreviewMarkdown(report: PreviewReport): string {
    const lines = [commentMarker(report.stack), `### berth preview: \`${report.stack}\``, "", `**${report.blockedByPolicy ? "❌ blocked by a mandatory policy" : countsLine(report.counts)}**`];
    if (report.changes.length > 0) {
        lines.push("", ...report.changes.map((change) => `- ${change}`));
    }
    for (const plan of report.plans) {
        lines.push("", `#### ${plan.app}: ${PATH_TITLES[plan.path]}`);
        if (plan.lines.length > 0) {
            lines.push("", ...plan.lines);
        }
    }
    if (report.timeline.bars.length > 0) {
        lines.push("", "#### The rollout per host, in order", "", "```mermaid", renderMermaidGantt(report.timeline), "```");
    }
    if (report.repairs && report.repairs.length > 0) {
        lines.push("", "#### Repairs (drift from the stack)", "", ...report.repairs.map((repair) => `- ${repair}`));
    }
    if (report.policyViolations.length > 0) {
        lines.push("", "#### Policy violations", "", ...report.policyViolations.map((violation) => `- ${violation}`));
    }
    if (report.steps.length > 0) {
        lines.push("", "<details><summary>Resources</summary>", "", "| op | resource | changed |", "|---|---|---|");
        lines.push(...report.steps.map((step) => `| ${step.op} | \`${step.name}\` | ${step.diffs.map((diff) => `\`${diff}\``).join(" ")} |`));
        lines.push("", "</details>");
    }
    return `${lines.join("\n")}\n`;
}
