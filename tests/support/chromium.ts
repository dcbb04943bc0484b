import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { PNG } from "pngjs";
import { laneBoxes, PHASE_COLOURS, SVG_LAYOUT } from "../../cli/timelineRender";
import { Phase, PHASES, Timeline } from "../../cli/timeline";

const run = promisify(execFile);

/**
 * Debian's headless Chromium (scripts/setup/host-packages.sh installs it),
 * each run with its own throwaway profile. Returns its stdout.
 */
async function chromium(args: string[]): Promise<string> {
    const profile = await mkdtemp(join(tmpdir(), "berth-chromium-"));
    try {
        const { stdout } = await run("chromium", [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--force-device-scale-factor=1", `--user-data-dir=${profile}`, ...args,
        ], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
        return stdout;
    } finally {
        await rm(profile, { recursive: true, force: true });
    }
}

/** A screenshot of a page (an HTML or SVG file) at a viewport size, decoded. */
export async function screenshot(file: string, width: number, height: number): Promise<PNG> {
    const directory = await mkdtemp(join(tmpdir(), "berth-screenshot-"));
    try {
        const png = join(directory, "page.png");
        await chromium([`--window-size=${width},${height}`, `--screenshot=${png}`, pathToFileURL(file).href]);
        return PNG.sync.read(await readFile(png));
    } finally {
        await rm(directory, { recursive: true, force: true });
    }
}

/** Per lane of a timeline's SVG, the phases whose colour the screenshot shows there. */
export function phasesSeenPerLane(image: PNG, timeline: Timeline): Record<string, Phase[]> {
    const byColour = new Map(PHASES.map((phase) => [PHASE_COLOURS[phase].toLowerCase(), phase]));
    const seen: Record<string, Phase[]> = {};
    for (const box of laneBoxes(timeline)) {
        const phases = new Set<Phase>();
        for (let y = box.top; y < Math.min(box.bottom, image.height); y++) {
            for (let x = SVG_LAYOUT.labelWidth; x < Math.min(SVG_LAYOUT.width, image.width); x++) {
                const offset = (y * image.width + x) * 4;
                const hex = `#${[0, 1, 2].map((channel) => image.data[offset + channel].toString(16).padStart(2, "0")).join("")}`;
                const phase = byColour.get(hex);
                if (phase) {
                    phases.add(phase);
                }
            }
        }
        seen[box.host] = PHASES.filter((phase) => phases.has(phase));
    }
    return seen;
}

/** What Mermaid (the npm package, in the headless browser) made of a diagram. */
export interface MermaidRendering {
    /** Mermaid's parse or render error, if any. */
    error?: string;
    /** The gantt's task bars and section titles in the rendered SVG. */
    tasks: number;
    sectionTitles: string[];
}

/**
 * Parses and renders a Mermaid diagram with the real Mermaid in headless
 * Chromium (GitHub renders a pull request's ```mermaid blocks with it):
 * a diagram Mermaid cannot parse comes back with its error.
 */
export async function renderWithMermaid(diagram: string): Promise<MermaidRendering> {
    const directory = await mkdtemp(join(tmpdir(), "berth-mermaid-"));
    try {
        const page = join(directory, "page.html");
        const mermaidScript = pathToFileURL(require.resolve("mermaid/dist/mermaid.min.js")).href;
        await writeFile(page, [
            "<!doctype html><html><head><meta charset=\"utf-8\">",
            `<script src="${mermaidScript}"></script></head><body><div id="diagram"></div><pre id="result">pending</pre>`,
            "<script>",
            `const text = ${JSON.stringify(diagram).replace(/</g, "\\u003c")};`,
            "mermaid.initialize({ startOnLoad: false });",
            "(async () => {",
            "  const result = document.getElementById('result');",
            "  try {",
            "    await mermaid.parse(text);",
            "    const { svg } = await mermaid.render('gantt', text);",
            "    const diagram = document.getElementById('diagram');",
            "    diagram.innerHTML = svg;",
            "    const sections = [...diagram.querySelectorAll('text.sectionTitle')].map((node) => node.textContent.trim());",
            "    result.textContent = JSON.stringify({ tasks: diagram.querySelectorAll('rect.task').length, sectionTitles: sections });",
            "  } catch (error) {",
            "    result.textContent = JSON.stringify({ error: String(error && error.message || error), tasks: 0, sectionTitles: [] });",
            "  }",
            "})();",
            "</script></body></html>",
        ].join("\n"));
        const dom = await chromium(["--virtual-time-budget=20000", "--dump-dom", pathToFileURL(page).href]);
        const match = /<pre id="result">([^<]*)<\/pre>/.exec(dom);
        const text = (match?.[1] ?? "").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
        if (!text.startsWith("{")) {
            return { error: `Mermaid never finished (the page said: ${text || "nothing"})`, tasks: 0, sectionTitles: [] };
        }
        return JSON.parse(text) as MermaidRendering;
    } finally {
        await rm(directory, { recursive: true, force: true });
    }
}
