import { execFile } from "node:child_process";
import { HostAccess } from "./stackState";

/** Runs a shell command on a host over the system ssh, as the docker provider reaches it. */
export function runOnHost(access: HostAccess, command: string, timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile("ssh", [...access.sshArguments, command], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error) {
                reject(new Error(`on ${access.host}: ${command}: ${stderr.trim() || error.message}`));
            } else {
                resolve(stdout);
            }
        });
    });
}
