/**
 * Pure: a rollout timeline (cli/timeline.ts) drawn three ways: a Mermaid
 * `gantt` block for Markdown (GitHub renders it in a pull-request comment),
 * and a standalone SVG or HTML file for the audit trail.
 */
import { Phase, PHASES, Timeline, TimelineBar } from "./timeline";

export const PHASE_COLOURS: Record<Phase, string> = {
    pull: "#4e79a7",
    files: "#9c755f",
    release: "#f28e2b",
    drain: "#b07aa1",
    swap: "#59a14f",
    health: "#76b7b2",
    undrain: "#edc948",
    code: "#ff9da7",
    workers: "#8cd17d",
    beat: "#499894",
    prune: "#bab0ac",
    other: "#d7b5a6",
};

/** Characters Mermaid's gantt grammar gives a meaning to inside a task or title line. */
function mermaidText(text: string): string {
    return text.replace(/[:;#\n\r`]/g, " ").replace(/\s+/g, " ").trim();
}

/**
 * The timeline as a Mermaid gantt: one section per host, one task per bar,
 * times in ms from the start (`dateFormat x`), so the axis reads mm:ss from
 * the deploy's start. A failed step is marked `crit`. A plan's axis counts
 * steps.
 */
export function renderMermaidGantt(timeline: Timeline): string {
    const lines = [
        "gantt",
        `    title ${mermaidText(timeline.title)}`,
        "    dateFormat x",
        timeline.measured ? "    axisFormat %M:%S" : "    axisFormat %S",
        ...(timeline.measured ? [] : ["    tickInterval 1second"]),
    ];
    let id = 0;
    for (const host of timeline.hosts) {
        lines.push(`    section ${mermaidText(host)}`);
        for (const bar of barsOf(timeline, host)) {
            id += 1;
            // A zero-length task is not drawn: give it one millisecond.
            const end = Math.max(bar.endMs, bar.startMs + 1);
            lines.push(`    ${mermaidText(bar.label)} :${bar.failed ? "crit, " : ""}b${id}, ${Math.round(bar.startMs)}, ${Math.round(end)}`);
        }
    }
    return lines.join("\n");
}

function barsOf(timeline: Timeline, host: string): TimelineBar[] {
    return timeline.bars.filter((bar) => bar.host === host).sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}

/** The SVG's geometry, exported so a test can find each host's lane in a screenshot. */
export const SVG_LAYOUT = {
    width: 1000,
    labelWidth: 130,
    rightMargin: 20,
    titleHeight: 34,
    axisHeight: 24,
    rowHeight: 22,
    barHeight: 16,
    lanePadding: 6,
    legendHeight: 34,
};

export interface LaneBox {
    host: string;
    top: number;
    bottom: number;
    /** Each bar's row in the lane (bars that overlap in time get their own rows). */
    rows: number;
}

/** Bars of one lane, each given the first row in which it overlaps no other. */
function assignRows(bars: TimelineBar[]): { bar: TimelineBar; row: number }[] {
    const rowEnds: number[] = [];
    return bars.map((bar) => {
        let row = rowEnds.findIndex((end) => end <= bar.startMs);
        if (row < 0) {
            row = rowEnds.length;
            rowEnds.push(0);
        }
        rowEnds[row] = Math.max(bar.endMs, bar.startMs + 1);
        return { bar, row };
    });
}

/** Where each host's lane is in the SVG. */
export function laneBoxes(timeline: Timeline): LaneBox[] {
    const layout = SVG_LAYOUT;
    let top = layout.titleHeight + layout.axisHeight;
    return timeline.hosts.map((host) => {
        const placed = assignRows(barsOf(timeline, host));
        const rows = Math.max(1, ...placed.map(({ row }) => row + 1));
        const box = { host, top, bottom: top + rows * layout.rowHeight + 2 * layout.lanePadding, rows };
        top = box.bottom;
        return box;
    });
}

function escapeXml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

/** A round step for the axis: about eight ticks across the span. */
function tickStep(spanMs: number, measured: boolean): number {
    if (!measured) {
        return 1000;
    }
    const steps = [500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];
    return steps.find((step) => spanMs / step <= 10) ?? 1_800_000;
}

function tickLabel(ms: number, measured: boolean): string {
    if (!measured) {
        return `${ms / 1000 + 1}`;
    }
    const total = Math.round(ms / 1000);
    return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** A bar's text: its label where that fits, else its phase, else none (about 6.5 px a character at 11 px). */
function barText(bar: TimelineBar, width: number, left: number, top: number): string {
    const fits = (text: string) => text.length * 6.5 + 8 <= width;
    const text = [bar.label, bar.phase].find(fits);
    return text ? `<text x="${(left + 4).toFixed(1)}" y="${top + 12}" font-size="11" fill="#111">${escapeXml(text)}</text>` : "";
}

/** The timeline as a standalone SVG document: lanes per host, bars coloured by phase, an axis and a legend. */
export function renderTimelineSvg(timeline: Timeline): string {
    const layout = SVG_LAYOUT;
    const boxes = laneBoxes(timeline);
    const chartLeft = layout.labelWidth;
    const chartWidth = layout.width - chartLeft - layout.rightMargin;
    const spanMs = Math.max(1, ...timeline.bars.map((bar) => bar.endMs));
    const x = (ms: number) => chartLeft + (ms / spanMs) * chartWidth;
    const lanesBottom = boxes.length > 0 ? boxes[boxes.length - 1].bottom : layout.titleHeight + layout.axisHeight;
    const height = lanesBottom + layout.legendHeight;
    const parts: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${height}" viewBox="0 0 ${layout.width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
        `<rect width="${layout.width}" height="${height}" fill="#ffffff"/>`,
        `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(timeline.title)}</text>`,
    ];
    const step = tickStep(spanMs, timeline.measured);
    for (let tick = 0; tick <= spanMs; tick += step) {
        const tickX = x(tick).toFixed(1);
        parts.push(`<line x1="${tickX}" y1="${layout.titleHeight + layout.axisHeight - 4}" x2="${tickX}" y2="${lanesBottom}" stroke="#e5e5e5"/>`);
        parts.push(`<text x="${tickX}" y="${layout.titleHeight + 14}" text-anchor="middle" fill="#555">${tickLabel(tick, timeline.measured)}</text>`);
    }
    boxes.forEach((box, index) => {
        parts.push(`<rect x="0" y="${box.top}" width="${layout.width}" height="${box.bottom - box.top}" fill="${index % 2 === 0 ? "#f7f7f7" : "#ffffff"}" fill-opacity="0.6"/>`);
        parts.push(`<text x="10" y="${box.top + layout.lanePadding + layout.rowHeight / 2 + 4}" font-weight="bold">${escapeXml(box.host)}</text>`);
        for (const { bar, row } of assignRows(barsOf(timeline, box.host))) {
            const left = x(bar.startMs);
            const width = Math.max(3, x(bar.endMs) - left);
            const top = box.top + layout.lanePadding + row * layout.rowHeight + (layout.rowHeight - layout.barHeight) / 2;
            const tooltip = `${bar.resource}: ${bar.phase}${timeline.measured ? `, ${seconds(bar.endMs - bar.startMs)}` : ""}${bar.failed ? ", FAILED" : ""}`;
            parts.push(
                `<g><title>${escapeXml(tooltip)}</title>` +
                    `<rect x="${left.toFixed(1)}" y="${top}" width="${width.toFixed(1)}" height="${layout.barHeight}" rx="3" fill="${PHASE_COLOURS[bar.phase]}"` +
                    `${bar.failed ? ' stroke="#d00000" stroke-width="3"' : ""}/>` +
                    barText(bar, width, left, top) +
                    "</g>",
            );
        }
    });
    const used = PHASES.filter((phase) => timeline.bars.some((bar) => bar.phase === phase));
    used.forEach((phase, index) => {
        const legendX = 10 + index * 82;
        const legendY = lanesBottom + 12;
        parts.push(`<rect x="${legendX}" y="${legendY}" width="12" height="12" fill="${PHASE_COLOURS[phase]}"/>`);
        parts.push(`<text x="${legendX + 16}" y="${legendY + 10}">${phase}</text>`);
    });
    parts.push("</svg>");
    return parts.join("\n");
}

/** The SVG in a page with the steps as a table below it: the report `--report FILE.html` writes. */
export function renderTimelineHtml(timeline: Timeline): string {
    const rows = timeline.hosts.flatMap((host) =>
        barsOf(timeline, host).map((bar) =>
            `<tr${bar.failed ? ' class="failed"' : ""}><td>${escapeXml(host)}</td><td>${bar.phase}</td><td><code>${escapeXml(bar.resource)}</code></td>` +
                (timeline.measured ? `<td>${seconds(bar.startMs)}</td><td>${seconds(bar.endMs - bar.startMs)}</td>` : "") +
                `<td>${bar.failed ? "failed" : ""}</td></tr>`,
        ),
    );
    const head = timeline.measured ? "<th>host</th><th>phase</th><th>step</th><th>start</th><th>took</th><th></th>" : "<th>host</th><th>phase</th><th>app</th><th></th>";
    return [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        `<title>${escapeXml(timeline.title)}</title>`,
        "<style>body{margin:0;font-family:'DejaVu Sans',Arial,sans-serif;font-size:13px}svg{display:block}" +
            "table{border-collapse:collapse;margin:12px 10px}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}tr.failed td{color:#b00000;font-weight:bold}</style>",
        "</head><body>",
        renderTimelineSvg(timeline),
        `<table><thead><tr>${head}</tr></thead><tbody>`,
        ...rows,
        "</tbody></table>",
        "</body></html>",
        "",
    ].join("\n");
}

/** What `--report FILE` is written as, from its name: .html/.htm or .svg; anything else is refused. */
export function reportFormat(file: string): "html" | "svg" {
    if (/\.html?$/i.test(file)) {
        return "html";
    }
    if (/\.svg$/i.test(file)) {
        return "svg";
    }
    throw new Error(`--report ${file}: the file name must end in .html or .svg (what the report is written as)`);
}

/** `--report FILE`: the page for HTML, the drawing alone for SVG. */
export function renderReportFile(timeline: Timeline, file: string): string {
    return reportFormat(file) === "html" ? renderTimelineHtml(timeline) : `${renderTimelineSvg(timeline)}\n`;
}
