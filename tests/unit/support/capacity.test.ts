import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { healthyUpstreamsScript } from "../../engine/support/capacity";
import { temporaryDirectory } from "../../support/files";

function listen(status: number): Promise<Server> {
    const server = createServer((request, response) => {
        response.statusCode = request.headers.host === "sample.localhost" ? status : 400;
        response.end();
    });
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const port = (server: Server) => (server.address() as AddressInfo).port;
/** The sampler's script run by sh against a config file: its output lines. */
async function probeLines(conf: string): Promise<string[]> {
    const { stdout } = await promisify(execFile)("sh", ["-c", healthyUpstreamsScript("sample", "sample.localhost", "/healthz", conf)], { env: { PATH: process.env.PATH } });
    return stdout.trim().split("\n");
}
const line = (server: number, marker: string, down = false) => `        server 127.0.0.1:${server} max_fails=1 fail_timeout=5s${down ? " down" : ""}; # ${marker}`;

describe("the capacity sampler's count of healthy upstream servers", () => {
    const servers: Server[] = [];
    const directory = temporaryDirectory("capacity");
    afterAll(() => servers.forEach((server) => server.close()));

    it("counts the app's servers in rotation that answer", async () => {
        const [healthy, failing, other] = await Promise.all([listen(200), listen(503), listen(200)]);
        servers.push(healthy, failing, other);
        const conf = join(directory, "nginx.conf");
        // Asynchronously: the servers answer from this process.
        const count = async (lines: string[]) => {
            writeFileSync(conf, ["upstream berth_sample {", ...lines, "}", ""].join("\n"));
            return (await probeLines(conf)).pop();
        };
        expect(await count([line(port(healthy), "sample@web-1"), line(port(healthy), "sample@web-2")])).toBe("2");
        // Drained, failing, or another app's: not counted.
        expect(await count([line(port(healthy), "sample@web-1", true), line(port(failing), "sample@web-2"), line(port(other), "other@web-1")])).toBe("0");
        // A port nobody listens on: not counted.
        expect(await count([line(1, "sample@web-1"), line(port(healthy), "sample@web-2")])).toBe("1");
    });

    it("names each server's probe before the count", async () => {
        const [healthy, failing] = await Promise.all([listen(200), listen(503)]);
        servers.push(healthy, failing);
        const conf = join(directory, "named.conf");
        writeFileSync(conf, ["upstream berth_sample {", line(port(healthy), "sample@web-1"), line(port(failing), "sample@web-2"), "}", ""].join("\n"));
        // curl -f exits 22 on an HTTP error.
        expect(await probeLines(conf)).toEqual([`sample@web-1 127.0.0.1:${port(healthy)} 0`, `sample@web-2 127.0.0.1:${port(failing)} 22`, "1"]);
    });
});
