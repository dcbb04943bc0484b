import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { renderUwsgiIni, UwsgiSettings } from "../../../components/render/uwsgi";
import { chainReloadProgressFunctions, startUwsgiReload } from "../../../components/shell/commands";
import { httpRequest } from "../../engine/support/http";
import { freePort } from "../../engine/support/network";
import { temporaryDirectory } from "../../support/files";

const settings: UwsgiSettings = {
    appName: "antisocial",
    httpPort: 8000,
    codeDirectory: "/srv/berth/antisocial/code",
    wsgiModule: "antisocial.wsgi:application",
    processes: 2,
    threads: 2,
    reload: "touch",
    iniPath: "/srv/berth/antisocial/uwsgi.ini",
    readyPath: "/srv/berth/antisocial/uwsgi.ready",
    fifoPath: "/srv/berth/antisocial/uwsgi.fifo",
    statsPath: "/srv/berth/antisocial/uwsgi.stats",
    harakiriSeconds: 60,
    staticDirectory: "/srv/berth/antisocial/static",
};

describe("renderUwsgiIni", () => {
    it("renders touch-reload on the ini itself", () => {
        expect(renderUwsgiIni(settings)).toMatchSnapshot();
    });

    it("renders chain reload with lazy-apps", () => {
        const ini = renderUwsgiIni({ ...settings, reload: "chain" });
        expect(ini).toContain("lazy-apps = true\ntouch-chain-reload = /srv/berth/antisocial/uwsgi.ini\n");
        // Ready once, at start (a chain never re-executes the master); berth reads a reload's workers from the stats server.
        expect(ini).toContain("hook-accepting1-once = write:/srv/berth/antisocial/uwsgi.ready ready\nstats = /srv/berth/antisocial/uwsgi.stats\nstats-http = true\n");
        // Each new worker imports through the code link and enters it: the master resolved it once.
        expect(ini).toContain("pythonpath = /srv/berth/antisocial/code\nhook-pre-app = chdir:/srv/berth/antisocial/code\n");
        expect(ini).not.toContain("touch-reload =");
    });
});

/** Runs `script` after berth's chain-reload progress functions, in a POSIX shell, with `args` as $0, $1, ...: its output. */
function chainProgress(script: string, ...args: string[]): string {
    return execFileSync("sh", ["-c", [...chainReloadProgressFunctions(), script].join("\n"), ...args], { encoding: "utf8" });
}

/** A GET with the path exactly as given, on a raw socket: the whole answer, headers and body. */
function rawGet(port: number, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => socket.end(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`));
        let answer = "";
        socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to GET ${path}`)));
        socket.on("data", (chunk) => (answer += chunk));
        socket.on("error", reject);
        socket.on("close", () => resolve(answer));
    });
}

describe("the rendered ini in a real uWSGI", () => {
    const directory = temporaryDirectory("uwsgi");
    const codeDirectory = join(directory, "code");
    const iniPath = join(directory, "uwsgi.ini");
    const readyPath = join(directory, "uwsgi.ready");
    const fifoPath = join(directory, "uwsgi.fifo");
    const statsPath = join(directory, "uwsgi.stats");
    let uwsgi: ChildProcess | undefined;
    let output = "";

    afterAll(() => uwsgi?.kill("SIGKILL"));

    async function waitForAnswer(url: string, expected: string): Promise<void> {
        const deadline = Date.now() + 20_000;
        let last = "";
        while (Date.now() < deadline) {
            last = await httpRequest(url).then((response) => response.body, (error: Error) => error.message);
            if (last === expected) {
                return;
            }
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
        throw new Error(`expected ${JSON.stringify(expected)} from ${url}, last answer ${JSON.stringify(last)}; uWSGI said:\n${output}`);
    }

    /** uWSGI on the ini just written, its output collected for failure messages. */
    function startUwsgi(): ChildProcess {
        output = "";
        const child = spawn("uwsgi", ["--ini", iniPath], { stdio: ["ignore", "pipe", "pipe"] });
        child.stdout!.on("data", (chunk) => (output += chunk));
        child.stderr!.on("data", (chunk) => (output += chunk));
        return child;
    }

    /** A WSGI module in the code directory that answers with `body` lines. */
    function writeApp(module: string, body: string[]): void {
        mkdirSync(codeDirectory, { recursive: true });
        writeFileSync(join(codeDirectory, `${module}.py`), [...body, ""].join("\n"));
    }

    it("serves the collected static files itself, and nothing outside them", async () => {
        const staticDirectory = join(directory, "static");
        mkdirSync(join(staticDirectory, "css"), { recursive: true });
        writeFileSync(join(staticDirectory, "css", "site.css"), "body { color: teal; }");
        writeFileSync(join(directory, "secret.txt"), "SECRET_KEY=do-not-serve");
        writeApp("fallback", [
            "def application(environ, start_response):",
            "    start_response('404 Not Found', [('Content-Type', 'text/plain')])",
            "    return [b'from the app: ' + environ['PATH_INFO'].encode()]",
        ]);
        const port = await freePort();
        writeFileSync(iniPath, renderUwsgiIni({ ...settings, httpPort: port, codeDirectory, iniPath, readyPath, fifoPath, statsPath, staticDirectory, wsgiModule: "fallback:application" }));
        uwsgi = startUwsgi();
        const base = `http://127.0.0.1:${port}`;
        await waitForAnswer(`${base}/static/css/site.css`, "body { color: teal; }");
        const stylesheet = await httpRequest(`${base}/static/css/site.css`);
        expect(stylesheet.status).toBe(200);
        expect(stylesheet.headers["content-type"]).toBe("text/css");
        // A file that was not collected is the app's to answer (Django's 404 or WhiteNoise).
        expect((await httpRequest(`${base}/static/css/missing.css`)).body).toBe("from the app: /static/css/missing.css");
        // Nothing outside the static directory is served, however the path is spelled.
        // (Sent as written: a URL parser would resolve the dots before they reach uWSGI.)
        for (const path of ["/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/css/../../secret.txt"]) {
            const answer = await rawGet(port, path);
            expect(answer).toMatch(/^HTTP\/1\.[01] \d{3}/);
            expect(answer).not.toContain("do-not-serve");
        }
        uwsgi.kill("SIGKILL");
        uwsgi = undefined;
    }, 60_000);

    it.each(["touch", "chain"] as const)("serves the app and reloads the release the code link points at when the ini is touched (%s)", async (reload) => {
        // Two releases and a code link, as on a berth host: the switch moves the link.
        const releases = join(directory, `releases-${reload}`);
        const link = join(directory, `code-${reload}`);
        for (const version of ["one", "two"]) {
            mkdirSync(join(releases, version), { recursive: true });
            writeFileSync(join(releases, version, "hello.py"), [
                "import pathlib",
                "VERSION = (pathlib.Path(__file__).parent / 'VERSION').read_text()",
                "def application(environ, start_response):",
                "    start_response('200 OK', [('Content-Type', 'text/plain')])",
                "    return [VERSION.encode()]",
                "",
            ].join("\n"));
            writeFileSync(join(releases, version, "VERSION"), version);
        }
        rmSync(link, { force: true });
        symlinkSync(join(releases, "one"), link);
        const port = await freePort();
        writeFileSync(iniPath, renderUwsgiIni({ ...settings, reload, httpPort: port, codeDirectory: link, iniPath, readyPath, fifoPath, statsPath, wsgiModule: "hello:application" }));

        uwsgi = startUwsgi();
        const url = `http://127.0.0.1:${port}/`;
        await waitForAnswer(url, "one");

        // The link moved (atomically, as berth moves it): not served until the ini is touched.
        symlinkSync(join(releases, "two"), `${link}.next`);
        renameSync(`${link}.next`, link);
        expect((await httpRequest(url)).body).toBe("one");
        // chain: berth reads the workers before it touches (switchReleaseAndReload).
        const workersBefore = reload === "chain" ? chainProgress("uwsgi_workers \"$0\"", statsPath) : "";
        if (reload === "chain") {
            expect(workersBefore).toMatch(/^"pid":\d+ "accepting":1 "pid":\d+ "accepting":1 $/);
        }
        // Touch as berth does; a second after the ini was written, so its mtime changes.
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const now = new Date();
        utimesSync(iniPath, now, now);
        // ... and start the reload at once through the master FIFO, as berth does.
        const started = Date.now();
        execFileSync("sh", ["-c", startUwsgiReload(fifoPath, reload)]);
        // berth's reload gate. touch: uWSGI rewrites the ready file when the re-executed
        // instance accepts requests. chain: none of the workers from before is left, and
        // every worker accepts requests. From then on, every request runs the new code.
        const reloaded = reload === "touch"
            ? () => existsSync(readyPath) && statSync(readyPath).mtimeMs > statSync(iniPath).mtimeMs
            : () => chainProgress("if workers_replaced \"$0\" \"$1\"; then echo replaced; fi", statsPath, workersBefore) === "replaced\n";
        const deadline = Date.now() + 20_000;
        while (!reloaded()) {
            if (Date.now() > deadline) {
                throw new Error(`uWSGI did not finish the ${reload} reload after the touch; it said:\n${output.slice(-2000)}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        // The FIFO started it: no waiting for the master's once-a-second look at the ini
        // (a reload of this small app takes about a second either way).
        expect(Date.now() - started).toBeLessThan(reload === "touch" ? 1900 : 5000);
        expect(output).not.toMatch(/reloading uWSGI[\s\S]*reloading uWSGI/);
        // Every worker runs the new code (a chain's first new worker alone would leave the
        // old ones answering "one" for a second or more).
        const answers = new Set<string>();
        for (let request = 0; request < 20; request++) {
            answers.add((await httpRequest(url)).body);
        }
        expect([...answers]).toEqual(["two"]);

        // SIGTERM (docker stop) shuts uWSGI down gracefully: it exits by itself, promptly.
        // Known race, left alone: a SIGTERM within about a second of a touch-reload can
        // be lost while the master re-executes (seen 1 run in 6), and Docker then kills
        // the container after destroyGraceSeconds. berth only stops drained containers,
        // so no request is lost; the test gives the reload that second.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const exited = new Promise<number | null | "still running">((resolve) => {
            uwsgi!.once("exit", resolve);
            setTimeout(() => resolve("still running"), 15_000);
        });
        uwsgi.kill("SIGTERM");
        const outcome = await exited;
        if (outcome !== 0) {
            throw new Error(`uWSGI did not exit 0 after SIGTERM (${outcome}); it said:\n${output.slice(-3000)}`);
        }
        uwsgi = undefined;
    }, 60_000);
});
