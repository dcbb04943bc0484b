// `berth backup`, `berth backups`, `berth restore`: logical backups of the
// stack's PostgreSQL accessories, on their data hosts.
import { Stack } from "@pulumi/pulumi/automation";
import { validateConfig } from "../components/config";
import { AccessorySpec, AppSpec, BerthSpec } from "../components/config/types";
import { containerNames } from "../components/naming";
import { appHosts } from "../components/rollout/plan";
import { BACKUP_FILE, backupLayout, listBackups, restoreBackup } from "../components/shell/backups";
import { quote, words } from "../components/shell/quote";
import { withStackLock } from "./lock";
import { berthConfig } from "./releases";
import { runOnHost } from "./remote";
import { berthStateDirectory } from "./stateDirectory";
import { HostAccess, hostAccessByName, readStackState } from "./stackState";

export interface BackupRecord {
    accessory: string;
    host: string;
    file: string;
    bytes: number;
    /** When it was written (UTC, ISO 8601). */
    time: string;
}

/** Pure: the PostgreSQL accessories a command is about: the named one, or all. */
export function backupTargets(spec: BerthSpec, name: string | undefined): AccessorySpec[] {
    const postgres = spec.accessories.filter((accessory) => accessory.type === "postgres");
    if (name === undefined) {
        if (postgres.length === 0) {
            throw new Error("the stack has no PostgreSQL accessory (berth:accessories[] with a postgres image)");
        }
        return postgres;
    }
    const found = spec.accessories.find((accessory) => accessory.name === name);
    if (!found) {
        throw new Error(`no accessory ${JSON.stringify(name)} in berth:accessories (known: ${spec.accessories.map((accessory) => accessory.name).join(", ") || "none"})`);
    }
    if (found.type !== "postgres") {
        throw new Error(`accessory ${name} is ${found.type}: berth backs up PostgreSQL accessories (Redis keeps its append-only file on its volume)`);
    }
    return [found];
}

/** Pure: listBackups' lines of one accessory. */
export function parseBackupList(accessory: string, host: string, output: string): BackupRecord[] {
    return output.split("\n").flatMap((line) => {
        const [file, bytes, time] = line.trim().split(/\s+/);
        return file && BACKUP_FILE.test(file) ? [{ accessory, host, file, bytes: Number(bytes), time: time.replace(/\.\d+Z$/, "Z") }] : [];
    });
}

/** Pure: the backups, newest first per accessory, as `berth backups` prints them. */
export function renderBackups(records: BackupRecord[]): string {
    if (records.length === 0) {
        return "no backups yet (berth backup makes one)";
    }
    return records.map((record) => `${record.accessory}@${record.host}  ${record.file}  ${formatBytes(record.bytes)}  ${record.time}`).join("\n");
}

function formatBytes(bytes: number): string {
    return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

interface StackHosts {
    spec: BerthSpec;
    access: Map<string, HostAccess>;
}

async function stackHosts(stack: Stack): Promise<StackHosts> {
    const [config, state] = await Promise.all([berthConfig(stack), readStackState(stack)]);
    return { spec: validateConfig(config), access: hostAccessByName(state) };
}

function hostOf(hosts: StackHosts, host: string): HostAccess {
    const access = hosts.access.get(host);
    if (!access) {
        throw new Error(`host ${host} is not deployed in this stack yet: run berth deploy first`);
    }
    return access;
}

/** `berth backup`: a backup of each named accessory now, one after another, with the script cron runs. */
export async function backupNow(stack: Stack, name: string | undefined, log: (line: string) => void): Promise<BackupRecord[]> {
    const hosts = await stackHosts(stack);
    const made: BackupRecord[] = [];
    for (const accessory of backupTargets(hosts.spec, name)) {
        const output = await runOnHost(hostOf(hosts, accessory.host), words(backupLayout(accessory.name).script), 60 * 60_000);
        const [file, bytes, seconds] = output.trim().split("\n").pop()!.split(" ");
        log(`${accessory.name}@${accessory.host}: ${file}, ${formatBytes(Number(bytes))} in ${seconds} s${accessory.backups?.bucket ? `, copied to ${accessory.backups.bucket.name}/${accessory.backups.bucket.prefix}` : ""}`);
        made.push({ accessory: accessory.name, host: accessory.host, file, bytes: Number(bytes), time: new Date().toISOString() });
    }
    return made;
}

/** `berth backups`: what each data host keeps, newest first. */
export async function readBackups(stack: Stack, name: string | undefined): Promise<BackupRecord[]> {
    const hosts = await stackHosts(stack);
    const lists = await Promise.all(backupTargets(hosts.spec, name).map(async (accessory) =>
        parseBackupList(accessory.name, accessory.host, await runOnHost(hostOf(hosts, accessory.host), listBackups(accessory.name)))));
    return lists.flat();
}

/** The apps that use an accessory, with the hosts their containers run on. */
export function appsUsing(spec: BerthSpec, accessory: string): AppSpec[] {
    return spec.apps.filter((app) => app.accessories.some((use) => use.name === accessory));
}

/**
 * `berth restore`: under the stack's deploy lock, stops every container of
 * the apps that use the accessory (nginx shows its "down" page meanwhile),
 * restores the backup in one transaction, and starts the same containers
 * again, whether the restore worked or not.
 */
export async function restore(stack: Stack, name: string, backup: string, log: (line: string) => void): Promise<{ seconds: number }> {
    if (!BACKUP_FILE.test(backup)) {
        throw new Error(`--from must name a backup as berth backups lists it, like ${name}-20261207T031500Z.dump (got ${JSON.stringify(backup)})`);
    }
    const hosts = await stackHosts(stack);
    const [accessory] = backupTargets(hosts.spec, name);
    if (!backup.startsWith(`${name}-`)) {
        throw new Error(`${backup} is not a backup of ${name}`);
    }
    return withStackLock(berthStateDirectory(stack), stack.name, "restore", async () => {
        const started = Date.now();
        const apps = appsUsing(hosts.spec, name);
        const stopped: { access: HostAccess; ids: string[] }[] = [];
        try {
            for (const app of apps) {
                for (const host of appHosts(app)) {
                    const access = hostOf(hosts, host);
                    const ids = (await runOnHost(access, words("docker", "ps", "-q", "--filter", `label=berth.app=${app.name}`))).split("\n").filter(Boolean);
                    if (ids.length > 0) {
                        await runOnHost(access, `${words("docker", "stop", "-t", String(app.stopGraceSeconds))} ${ids.map(quote).join(" ")} >/dev/null`, 10 * 60_000);
                        stopped.push({ access, ids });
                        log(`stopped ${app.name} on ${host} (${ids.length} container${ids.length === 1 ? "" : "s"})`);
                    }
                }
            }
            await runOnHost(hostOf(hosts, accessory.host), restoreBackup(accessory, containerNames.accessory(name), backup), 60 * 60_000);
            log(`restored ${backup} into ${name} (database ${accessory.database})`);
        } finally {
            for (const { access, ids } of stopped) {
                await runOnHost(access, `${words("docker", "start")} ${ids.map(quote).join(" ")} >/dev/null`);
                log(`started ${ids.length} container${ids.length === 1 ? "" : "s"} on ${access.host} again`);
            }
        }
        return { seconds: (Date.now() - started) / 1000 };
    });
}
