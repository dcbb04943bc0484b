// berth's command line: the deploy driver around `pulumi up`, on the
// Automation API. Run it as `bin/berth <command> --stack <stack>`.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { readStackAudit, renderAudit } from "./audit";
import { backupNow, readBackups, renderBackups, restore } from "./backups";
import { execOnHost } from "./exec";
import { followLogs, readLogs } from "./logs";
import { switchMaintenance } from "./maintenance";
import { deploy, recoverStack, rollback } from "./deploy";
import { checkReportFile, deployWithReport, ReportFiles } from "./deployReport";
import { previewDeploy } from "./preview";
import { renderPreviewMarkdown, renderPreviewText } from "./previewReport";
import { readKeptReleases, renderKeptReleases } from "./keptReleases";
import { renderReportFile } from "./timelineRender";
import { describeChanges } from "./releases";
import { readStatus, renderStatus } from "./status";

const USAGE = `usage: berth <command> --stack <stack> [options]

commands:
  preview [--markdown FILE] [--report FILE.html|.svg] [--no-repair]
                              the Pulumi diff, each app's rollout plan in order, and
                              the drift a deploy would repair (--markdown also writes
                              it as a pull-request comment, with the plan as a Mermaid
                              timeline per host; --report draws that timeline)
  deploy [--wait SECONDS] [--no-repair] [--report FILE.html|.svg] [--markdown FILE]
                              pulumi up; hosts that drifted from the stack (what
                              status reports) are repaired host by host, as in a
                              rollout, unless --no-repair; if the rollout fails,
                              restore the previous releases, deploy them, and exit
                              1 saying what failed. Each run's timeline per host (from
                              the engine's events) is kept as HTML beside the audit
                              log; --report / --markdown also write it there
  rollback [--to APP=TAG[@REF],...] [--report FILE] [--markdown FILE]
                              back to the previous release on every host, or the
                              named apps to TAG (and code REF); a bare --to TAG
                              only on a stack with one app; --to may repeat. When
                              only code refs go back and every host keeps the
                              release, the hosts flip their code links and reload
                              first, then pulumi up records it
  releases [APP]              what each host runs and keeps for a rollback: the app's
                              code releases (the linked one marked) and image tags
  status                      what runs where, read from the hosts, and drift
  recover                     clear what an interrupted pulumi up left behind
  audit                       who deployed what, when, and how it ended (kept with
                              the stack's state: its tags and update history)
  logs [APP] [--role web|worker|beat|nginx] [--host H] [--since 10m] [--follow] [--grep RE]
                              the containers' logs from every host, merged by time,
                              each line with its host and role; --follow streams
                              them and picks up containers a deploy starts
  exec APP [--host H] [--role web|worker|beat] [--in-running] -- CMD...
                              CMD in a new container with the app's image, settings,
                              code and network (through the image's entrypoint:
                              exec sample -- manage migrate --plan), or with
                              --in-running inside its running container; a
                              terminal when stdin is one; exits with CMD's code;
                              written to the audit log
  maintenance on|off APP [--message TEXT]
                              nginx answers the app with a maintenance page (503,
                              Retry-After; health path and ACME still pass), kept
                              through deploys until off; shown by status
  backup [--accessory NAME]   a pg_dump of each PostgreSQL accessory now (or the
                              named one), kept on its data host (and copied to its
                              bucket when one is set), as the schedule does
  backups [--accessory NAME]  the backups each data host keeps, newest first
  restore --accessory NAME --from BACKUP --yes
                              stop the apps that use the accessory, restore the
                              backup in one transaction, start the apps again

The stack comes from --stack or BERTH_STACK. Run from the project directory
or anywhere: the program is the one beside this CLI.`;

async function main(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
            stack: { type: "string" },
            to: { type: "string", multiple: true },
            markdown: { type: "string" },
            report: { type: "string" },
            wait: { type: "string" },
            "no-repair": { type: "boolean" },
            accessory: { type: "string" },
            from: { type: "string" },
            yes: { type: "boolean" },
            role: { type: "string" },
            host: { type: "string" },
            since: { type: "string" },
            follow: { type: "boolean", short: "f" },
            grep: { type: "string" },
            "in-running": { type: "boolean" },
            message: { type: "string" },
            help: { type: "boolean", short: "h" },
        },
    });
    const [command] = positionals;
    const stackName = values.stack ?? process.env.BERTH_STACK;
    if (values.help || !command) {
        console.log(USAGE);
        return command || values.help ? 0 : 2;
    }
    if (!stackName) {
        console.error("berth: which stack? pass --stack <name> (e.g. --stack local) or set BERTH_STACK");
        return 2;
    }
    const stack = await LocalWorkspace.selectStack({ stackName, workDir: resolve(__dirname, "..", "..") });
    const log = (line: string) => console.log(line);
    // --report and --markdown of preview, deploy and rollback; a bad name is refused before anything runs.
    const files: ReportFiles = { report: values.report, markdown: values.markdown };
    if (["preview", "deploy", "rollback"].includes(command)) {
        checkReportFile(files.report);
    }

    switch (command) {
        case "preview":
            return runPreview(stack, files, !values["no-repair"]);
        case "deploy": {
            const outcome = await deployWithReport(stack, "deploy", files, log, (recorder) =>
                deploy(stack, { log, recorder, waitForLockMs: Number(values.wait ?? 0) * 1000, repair: !values["no-repair"] }));
            if (outcome.result === "rolled back") {
                console.error(`berth: the deploy failed and was rolled back.\nfailed:\n${outcome.failure}\nrestored: ${describeChanges(outcome.to, outcome.restored ?? {}).join("; ")}`);
                return 1;
            }
            log(`deployed: ${describeChanges(outcome.from, outcome.to).join("; ") || "no release change"}`);
            return 0;
        }
        case "rollback": {
            const outcome = await deployWithReport(stack, "rollback", files, log, (recorder) =>
                rollback(stack, { log, recorder, to: values.to, waitForLockMs: Number(values.wait ?? 0) * 1000 }));
            log(`rolled back: ${describeChanges(outcome.from, outcome.to).join("; ") || "already there"}`);
            return 0;
        }
        case "releases": {
            const { kept, deployed } = await readKeptReleases(stack, positionals[1]);
            log(renderKeptReleases(kept, deployed));
            return 0;
        }
        case "status": {
            const report = await readStatus(stack);
            log(renderStatus(report));
            return report.drift.length === 0 ? 0 : 3;
        }
        case "recover": {
            const recovery = await recoverStack(stack, { log, waitForLockMs: Number(values.wait ?? 0) * 1000 });
            log(recovery.pendingOperations.length === 0 && recovery.staleLocks === 0 ? "nothing to recover" : "recovered; run `berth deploy` to converge");
            return 0;
        }
        case "audit": {
            log(renderAudit(await readStackAudit(stack)));
            return 0;
        }
        case "logs": {
            const options = { app: positionals[1], role: values.role, host: values.host, since: values.since, grep: values.grep };
            if (values.follow) {
                const stop = new Promise<void>((resolveStop) => process.once("SIGINT", () => resolveStop()));
                await followLogs(stack, options, log, stop);
            } else {
                for (const line of await readLogs(stack, options)) {
                    log(line);
                }
            }
            return 0;
        }
        case "exec": {
            const separator = argv.indexOf("--");
            if (!positionals[1] || separator < 0 || argv.indexOf(positionals[1]) > separator) {
                console.error("berth: exec needs an app and a command after --: berth exec APP [--host H] [--role R] [--in-running] -- CMD...");
                return 2;
            }
            return execOnHost(stack, {
                app: positionals[1], command: argv.slice(separator + 1), host: values.host, role: values.role,
                inRunning: values["in-running"], interactive: Boolean(process.stdin.isTTY),
            });
        }
        case "maintenance":
            log(await switchMaintenance(stack, positionals[1], positionals[2], values.message));
            return 0;
        case "backup":
            await backupNow(stack, values.accessory, log);
            return 0;
        case "backups":
            log(renderBackups(await readBackups(stack, values.accessory)));
            return 0;
        case "restore": {
            if (!values.accessory || !values.from) {
                console.error("berth: restore needs --accessory NAME and --from BACKUP (berth backups lists them)");
                return 2;
            }
            if (!values.yes) {
                console.error(`berth: restore replaces the data of ${values.accessory} with ${values.from}, and stops the apps that use it meanwhile: pass --yes to go ahead`);
                return 2;
            }
            const { seconds } = await restore(stack, values.accessory, values.from, log);
            log(`restore done in ${seconds.toFixed(1)} s`);
            return 0;
        }
        default:
            console.error(`berth: unknown command "${command}"\n\n${USAGE}`);
            return 2;
    }
}

async function runPreview(stack: Stack, files: ReportFiles, repair: boolean): Promise<number> {
    const report = await previewDeploy(stack, { repair });
    console.log(renderPreviewText(report));
    if (files.markdown) {
        await writeFile(files.markdown, renderPreviewMarkdown(report));
    }
    if (files.report) {
        await writeFile(files.report, renderReportFile(report.timeline, files.report));
    }
    return report.blockedByPolicy ? 1 : 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
        console.error(`berth: ${error.message}`);
        process.exit(1);
    },
);
