import { ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ts from "typescript";
import { temporaryDirectory } from "../../support/files";

// The deploy lock under contention, with real processes on real files: a holder is
// killed (its lock is stale: a dead pid on this machine), then many `berth deploy`s
// race to take it over at the same instant. Exactly one may get it.

const RACERS = 12;
const ROUNDS = 4;
const HOLD_MS = 200;

/** cli/lock.ts and the cli modules it imports, compiled for plain `node` children. */
function compileLockModule(directory: string): string {
    const cli = join(__dirname, "..", "..", "..", "cli");
    for (const name of ["lock", "stateDirectory"]) {
        const source = join(cli, `${name}.ts`);
        if (existsSync(source)) {
            const output = ts.transpileModule(readFileSync(source, "utf8"), {
                compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            });
            writeFileSync(join(directory, `${name}.js`), output.outputText);
        }
    }
    const child = join(directory, "child.js");
    writeFileSync(child, `
const { appendFileSync, readFileSync } = require("node:fs");
const { withStackLock } = require(${JSON.stringify(join(directory, "lock.js"))});
const [mode, lockDirectory, events, startAt, holdMs, waitMs, others] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function main() {
    if (mode === "hold") {
        await withStackLock(lockDirectory, "prod", "deploy", async () => {
            console.log("holding");
            await new Promise(() => setInterval(() => undefined, 1000));
        });
        return;
    }
    await sleep(Math.max(0, Number(startAt) - Date.now() - 20));
    while (Date.now() < Number(startAt)) {
        // line up with the other racers to the millisecond
    }
    try {
        await withStackLock(lockDirectory, "prod", "deploy", async () => {
            appendFileSync(events, "enter " + process.pid + "\\n");
            await sleep(Number(holdMs));
            // Hold on until every other racer has tried (or a while): a late starter must find it held.
            const until = Date.now() + 8000;
            while (Date.now() < until && readFileSync(events, "utf8").split("\\n").filter((line) => line.startsWith("locked")).length < Number(others)) {
                await sleep(50);
            }
            appendFileSync(events, "exit " + process.pid + "\\n");
        }, { waitMs: Number(waitMs) });
        console.log("held");
    } catch (error) {
        if (/is locked/.test(error.message)) {
            appendFileSync(events, "locked " + process.pid + "\\n");
            console.log("locked");
        } else {
            console.log("error " + error.stack);
        }
    }
}
main();
`);
    return child;
}

function run(child: string, args: string[]): { process: ChildProcess; output: Promise<string> } {
    const started = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_PATH: join(__dirname, "..", "..", "..", "node_modules") } });
    let stdout = "";
    started.stdout!.on("data", (chunk) => (stdout += chunk));
    started.stderr!.on("data", (chunk) => (stdout += chunk));
    return { process: started, output: new Promise((resolve) => started.on("exit", () => resolve(stdout.trim()))) };
}

/** A `berth deploy` that took the lock and was killed with it: its lock is stale. */
async function leaveStaleLock(child: string, lockDirectory: string): Promise<void> {
    const holder = run(child, ["hold", lockDirectory, "", "0", "0", "0"]);
    await new Promise<void>((resolve, reject) => {
        let seen = "";
        holder.process.stdout!.on("data", (chunk) => {
            seen += chunk;
            if (seen.includes("holding")) {
                resolve();
            }
        });
        holder.process.on("exit", () => reject(new Error(`the holder exited before it held the lock: ${seen}`)));
    });
    holder.process.kill("SIGKILL");
    await holder.output;
}

/** Most processes ever inside the lock at once, from the events they appended in order. */
function mostHoldersAtOnce(events: string): number {
    let inside = 0;
    let most = 0;
    for (const line of events.split("\n")) {
        inside += line.startsWith("enter ") ? 1 : line.startsWith("exit ") ? -1 : 0;
        most = Math.max(most, inside);
    }
    return most;
}

describe("taking over a stale deploy lock", () => {
    const compiled = temporaryDirectory("lock-module");
    const child = compileLockModule(compiled);
    let directory: string;
    beforeEach(async () => {
        directory = await mkdtemp(join(tmpdir(), "berth-takeover-"));
    });
    afterEach(() => rm(directory, { recursive: true, force: true }));

    it(`lets exactly one of ${RACERS} concurrent processes take it over, round after round`, async () => {
        const rounds: { held: number; most: number; outputs: string[] }[] = [];
        for (let round = 0; round < ROUNDS; round++) {
            await leaveStaleLock(child, directory);
            const events = join(directory, `events-${round}`);
            writeFileSync(events, "");
            const startAt = Date.now() + 2500;
            const racers = Array.from({ length: RACERS }, () => run(child, ["race", directory, events, String(startAt), String(HOLD_MS), "0", String(RACERS - 1)]));
            const outputs = await Promise.all(racers.map((racer) => racer.output));
            rounds.push({ held: outputs.filter((output) => output === "held").length, most: mostHoldersAtOnce(readFileSync(events, "utf8")), outputs });
        }
        for (const { outputs } of rounds) {
            expect(outputs.filter((output) => output !== "held" && output !== "locked")).toEqual([]);
        }
        expect(rounds.map(({ held, most }) => ({ held, most }))).toEqual(Array.from({ length: ROUNDS }, () => ({ held: 1, most: 1 })));
    }, 120_000);

    it("hands the lock from one waiting process to the next, never two at once", async () => {
        await leaveStaleLock(child, directory);
        const events = join(directory, "events");
        writeFileSync(events, "");
        const startAt = Date.now() + 2500;
        const racers = Array.from({ length: 6 }, () => run(child, ["race", directory, events, String(startAt), "150", "60000", "0"]));
        const outputs = await Promise.all(racers.map((racer) => racer.output));
        expect(outputs).toEqual(Array.from({ length: 6 }, () => "held"));
        expect(mostHoldersAtOnce(readFileSync(events, "utf8"))).toBe(1);
    }, 120_000);
});
