// Maintenance mode as the real nginx serves it: berth's rendered config, the
// files `berth maintenance on` writes, an app behind it on 127.0.0.1.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, Server } from "node:http";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import { maintenanceFiles, renderNginxConf } from "../../../components/render/nginx";
import { maintenanceSwitch, renderMaintenancePage, setMaintenance } from "../../../components/shell/maintenance";
import { temporaryDirectory } from "../../support/files";

const scratch = temporaryDirectory("maintenance");
chmodSync(scratch, 0o755);
const maintenanceDirectory = join(scratch, "maintenance");
mkdirSync(maintenanceDirectory, { mode: 0o755 });

function get(port: number, host: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
        const outgoing = request({ host: "127.0.0.1", port, path, headers: { host } }, (response) => {
            let body = "";
            response.on("data", (chunk) => (body += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        });
        outgoing.on("error", reject);
        outgoing.end();
    });
}

describe("maintenance mode in the real nginx", () => {
    let app: Server;
    let nginx: ChildProcess;
    let port: number;
    const confPath = join(scratch, "nginx.conf");

    beforeAll(async () => {
        app = createServer((_, response) => response.end("the app\n"));
        await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
        const appPort = (app.address() as AddressInfo).port;
        port = 20000 + (process.pid % 20000);
        const sites = ["shop", "blog"].map((appName) => ({
            appName, domain: `${appName}.localhost`, healthPath: "/healthz",
            servers: [{ hostName: "web-1", address: "127.0.0.1", port: appPort, drained: false }],
        }));
        const conf = renderNginxConf({
            httpPort: port, downPageDirectory: scratch, acmeWebroot: join(scratch, "webroot"), maintenanceDirectory,
            https: { port: port + 1, publicPort: port + 1, hstsMaxAgeSeconds: 0, ocspStapling: false }, sites,
        }).replace("pid /run/nginx.pid;", `pid ${join(scratch, "nginx.pid")};`);
        writeFileSync(confPath, conf);
        nginx = spawn("nginx", ["-c", confPath, "-g", "daemon off;"], { stdio: "ignore" });
        for (let attempt = 0; attempt < 100; attempt++) {
            if ((await get(port, "shop.localhost", "/").catch(() => ({ status: 0 }))).status === 200) {
                return;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error("nginx did not come up");
    });

    afterAll(async () => {
        nginx?.kill();
        await new Promise<void>((resolve) => app.close(() => resolve()));
    });

    const reload = () => execFileSync("nginx", ["-c", confPath, "-s", "reload"]);

    it("answers that app with 503, Retry-After and the page, passing its health path and the other app", async () => {
        const files = maintenanceFiles(maintenanceDirectory, "shop");
        writeFileSync(files.page, renderMaintenancePage("Back at <noon>."), { mode: 0o644 });
        writeFileSync(files.config, maintenanceSwitch("2026-12-07T10:00:00Z"), { mode: 0o644 });
        reload();
        await new Promise((resolve) => setTimeout(resolve, 500));
        const page = await get(port, "shop.localhost", "/orders");
        expect([page.status, page.headers["retry-after"], page.headers["cache-control"]]).toEqual([503, "300", "no-store"]);
        expect(page.body).toContain("<p>Back at &lt;noon&gt;.</p>");
        expect((await get(port, "shop.localhost", "/static/app.css")).status).toBe(503);
        expect((await get(port, "shop.localhost", "/healthz")).status).toBe(200);
        expect((await get(port, "blog.localhost", "/")).status).toBe(200);

        rmSync(files.config);
        rmSync(files.page);
        reload();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect((await get(port, "shop.localhost", "/orders")).status).toBe(200);
    });

    it("is switched by a script that parses under dash, tests nginx and undoes a switch nginx refuses", () => {
        const script = setMaintenance("shop", true, "it's late", "berth-nginx");
        execFileSync("dash", ["-n"], { input: script });
        expect(script).toContain("docker exec berth-nginx nginx -t -q -c /srv/berth/nginx/nginx.conf || { rm -f /srv/berth/nginx/maintenance/shop.conf; exit 1; }");
        expect(script.indexOf("shop.html")).toBeLessThan(script.indexOf("shop.conf.next"));
        expect(setMaintenance("shop", false, "", "berth-nginx")).toContain("rm -f /srv/berth/nginx/maintenance/shop.conf /srv/berth/nginx/maintenance/shop.html");
    });
});
