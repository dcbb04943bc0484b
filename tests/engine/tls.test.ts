// HTTPS in the lab against a real ACME CA: Pebble (the services container)
// resolves every name to lb-1 and validates http-01 against berth's nginx.
// One stack, in order: a first deploy obtains the certificate before nginx
// serves 443; a renewal under an HTTPS load; an image rollout and a code
// change over HTTPS; a second app whose certificate comes in the same up;
// that app on a certificate the user provides, with no ACME traffic.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStatus, renderStatus } from "../../cli/status";
import { EventLog, onlySpan, stepSpans } from "./support/engine";
import { createLabStack, LabStack, onLabHost, setSampleRef, setSampleTag, stateWithoutSecrets, takeOverLab, tearDownLab } from "./support/lab";
import { curlLab, pebbleRootFile, servedCertificate } from "./support/https";
import { run } from "./support/processes";
import { repositoryRoot } from "./support/repository";
import { expectNoFailedRequests, sampleLoad } from "./support/sample";
import { makeCertificate, validFor } from "../support/certificates";

const ACME_DIRECTORY = "https://172.30.0.2:14000/dir";
const SAMPLE = "https://sample.localhost:8443";
const TWO = "https://two.localhost:8443";

/** The base64 body of a PEM key, the part that must never be in plain text anywhere. */
function keyBody(pem: string): string {
    return pem.split("\n").filter((line) => line && !line.startsWith("-----")).join("");
}

/** Lines in Pebble's log: every ACME request it serves adds some. */
async function pebbleLogLines(): Promise<number> {
    return Number((await run("docker", ["exec", "berth-lab-services", "wc", "-l", "/var/log/pebble.log"])).trim().split(" ")[0]);
}

describe("HTTPS from an ACME CA, in the lab", () => {
    let lab: LabStack;
    let scratch: string;
    let root: string;

    beforeAll(async () => {
        await takeOverLab();
        scratch = await mkdtemp(join(tmpdir(), "berth-tls-"));
        // Pebble makes a new root at each start: read it once the lab is up.
        root = await pebbleRootFile(scratch);
        lab = await createLabStack();
        await setSampleTag(lab, "v1");
        await setSampleRef(lab, "v1.0.0");
        await lab.stack.setConfig("berth:loadBalancer.publicHttpsPort", { value: "8443" }, true);
        await lab.stack.setConfig("berth:apps[0].tls", { value: "true" }, true);
        await lab.stack.setConfig("berth:tls", { value: JSON.stringify({
            acme: {
                directory: ACME_DIRECTORY,
                email: "ops@sample.localhost",
                caCertificatesFile: join(repositoryRoot, "lab/.state/acme/directory-ca.pem"),
                clientImage: "172.30.0.2:5000/berth/lego:bookworm",
            },
            hstsMaxAgeSeconds: 300,
        }) });
    }, 10 * 60_000);

    afterAll(async () => {
        await tearDownLab(lab);
        await rm(scratch, { recursive: true, force: true });
    }, 10 * 60_000);

    it("obtains the certificate in the first up, before nginx serves 443; https verifies against Pebble's root; http redirects but for the challenge path", async () => {
        const log = new EventLog();
        const result = await lab.stack.up({ onEvent: log.onEvent });
        expect(result.summary.result).toBe("succeeded");
        const spans = stepSpans(log);
        const obtained = onlySpan(spans, "nginx-certificate-sample", "create");
        expect(obtained.end).toBeLessThanOrEqual(onlySpan(spans, "nginx-config", "create").start);
        // The engine's event timestamps are whole seconds.
        const at = (which: "resourcePreEvent" | "resOutputsEvent") => log.events.find((event) => event[which]?.metadata.urn.endsWith("::nginx-certificate-sample"))!.timestamp;
        console.log(`issuance (lego against Pebble, http-01 through nginx): ≈ ${at("resOutputsEvent") - at("resourcePreEvent")} s`);

        const page = await curlLab(`${SAMPLE}/`, root);
        expect([page.status, page.httpVersion]).toEqual([200, "2"]);
        expect(page.body).toContain("<h1>Sample app</h1>");
        // Django knows the request came over HTTPS (X-Forwarded-Proto, SECURE_PROXY_SSL_HEADER).
        expect(JSON.parse((await curlLab(`${SAMPLE}/version`, root)).body)).toMatchObject({ scheme: "https", code_ref: "v1.0.0" });
        expect((await servedCertificate("sample.localhost")).issuer).toMatch(/^Pebble Intermediate CA/);
        expect(result.outputs.apps.value.sample.url).toBe("https://sample.localhost:8443/");

        const redirect = await curlLab("http://sample.localhost:8080/visits?from=http");
        expect([redirect.status, redirect.location]).toEqual([301, "https://sample.localhost:8443/visits?from=http"]);
        await onLabHost("lb-1", "printf 'token.key-authorization' > /srv/berth/tls/webroot/.well-known/acme-challenge/berth-test-token");
        const challenge = await curlLab("http://sample.localhost:8080/.well-known/acme-challenge/berth-test-token");
        expect([challenge.status, challenge.body]).toEqual([200, "token.key-authorization"]);
        await onLabHost("lb-1", "rm -f /srv/berth/tls/webroot/.well-known/acme-challenge/berth-test-token");

        expect((await onLabHost("lb-1", "stat -c '%a %U' /srv/berth/tls/acme/certificates/sample.localhost.key /srv/berth/tls/acme")).trim().split("\n"))
            .toEqual(["600 root", "700 root"]);
        // The key never leaves the load balancer: not in the state, not even as a secret.
        const key = keyBody(await onLabHost("lb-1", "cat /srv/berth/tls/acme/certificates/sample.localhost.key"));
        expect(JSON.stringify(await lab.stack.exportStack()).includes(key.slice(0, 40))).toBe(false);
    }, 15 * 60_000);

    it("renews under a steady HTTPS load: the new certificate is served, nginx reloads (never restarts), zero failed requests", async () => {
        expect((await onLabHost("lb-1", "cat /etc/cron.d/berth-certificates; pgrep -x cron >/dev/null && echo cron runs"))).toMatch(
            /^\d+ \d+,\d+ \* \* \* root \/srv\/berth\/tls\/renew >> \/srv\/berth\/tls\/renew\.log 2>&1\ncron runs$/m,
        );
        const nginxBefore = (await onLabHost("lb-1", "docker inspect -f '{{.Id}} {{.State.StartedAt}}' berth-nginx")).trim();
        const before = await servedCertificate("sample.localhost");
        const load = sampleLoad("https");
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const started = Date.now();
        // What cron runs, forced: the certificate is years from expiry.
        await onLabHost("lb-1", "/srv/berth/tls/renew --force >> /srv/berth/tls/renew.log 2>&1");
        const renewalSeconds = (Date.now() - started) / 1000;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const report = await load.stop();
        const after = await servedCertificate("sample.localhost");
        console.log(`renewal under load: ${renewalSeconds.toFixed(1)} s; ${report.requests} requests, ${report.errors + report.non2xx} failed, p99 ${report.latencyP99Ms} ms`);
        expect(after.fingerprint256).not.toBe(before.fingerprint256);
        expect((await curlLab(`${SAMPLE}/`, root)).status).toBe(200);
        expectNoFailedRequests(report);
        const renewLog = await onLabHost("lb-1", "tail -n 2 /srv/berth/tls/renew.log");
        expect(renewLog).toMatch(/^\S+Z renewed sample\.localhost: notAfter=.*\n\S+Z nginx reloaded with the new certificates\n$/);
        expect((await onLabHost("lb-1", "docker inspect -f '{{.Id}} {{.State.StartedAt}}' berth-nginx")).trim()).toBe(nginxBefore);
        // berth status reads the served certificate's expiry on the host.
        const status = await readStatus(lab.stack);
        expect(status.nginx?.certificates).toEqual([{ domain: "sample.localhost", expires: new Date(after.validTo) }]);
        expect(renderStatus(status)).toContain(`lb-1: certificate for sample.localhost expires ${new Date(after.validTo).toISOString().slice(0, 10)}`);
        expect(status.drift).toEqual([]);
    }, 5 * 60_000);

    it("rolls an image change and takes a code change over HTTPS without a failed request", async () => {
        for (const [change, expected] of [
            [() => setSampleTag(lab, "v2"), { image_tag: "v2", code_ref: "v1.0.0" }],
            [() => setSampleRef(lab, "v1.1.0"), { image_tag: "v2", code_ref: "v1.1.0" }],
        ] as const) {
            await change();
            const load = sampleLoad("https");
            const result = await lab.stack.up();
            const report = await load.stop();
            expect(result.summary.result).toBe("succeeded");
            console.log(`over HTTPS: ${JSON.stringify(expected)}: ${report.requests} requests, ${report.errors + report.non2xx} failed, p99 ${report.latencyP99Ms} ms`);
            expectNoFailedRequests(report);
            expect(JSON.parse((await curlLab(`${SAMPLE}/version`, root)).body)).toMatchObject({ ...expected, scheme: "https" });
        }
    }, 15 * 60_000);

    it("gets a second app's certificate in the same up that adds it", async () => {
        const apps = JSON.parse((await lab.stack.getConfig("berth:apps")).value);
        apps.push({
            ...apps[0], name: "two", domain: "two.localhost", webPort: 8003, tls: true,
            hosts: { web: ["web-1", "web-2"] }, release: ["collectstatic"],
        });
        await lab.stack.setConfig("berth:apps", { value: JSON.stringify(apps) });
        await lab.stack.setConfig("berth:secrets.two.SECRET_KEY", { value: "two-lab-secret-key", secret: true }, true);
        const log = new EventLog();
        const result = await lab.stack.up({ onEvent: log.onEvent });
        expect(result.summary.result).toBe("succeeded");
        const spans = stepSpans(log);
        const config = spans.find((span) => span.name === "nginx-config" && span.op !== "same");
        expect(onlySpan(spans, "nginx-certificate-two", "create").end).toBeLessThanOrEqual(config!.start);
        expect(JSON.parse((await curlLab(`${TWO}/version`, root)).body)).toMatchObject({ scheme: "https" });
        expect((await curlLab(`${SAMPLE}/`, root)).status).toBe(200);
        expect(result.outputs.apps.value.two.url).toBe("https://two.localhost:8443/");
    }, 15 * 60_000);

    it("serves a certificate the user provides, with no ACME traffic", async () => {
        const provided = makeCertificate(scratch, ["two.localhost"], validFor(30));
        const apps = JSON.parse((await lab.stack.getConfig("berth:apps")).value);
        apps[1].tls = { certificate: provided.certificate, keySecret: "TLS_KEY" };
        await lab.stack.setConfig("berth:apps", { value: JSON.stringify(apps) });
        await lab.stack.setConfig("berth:secrets.two.TLS_KEY", { value: provided.key, secret: true }, true);
        const pebbleBefore = await pebbleLogLines();
        const result = await lab.stack.up();
        expect(result.summary.result).toBe("succeeded");
        expect(await pebbleLogLines()).toBe(pebbleBefore);
        const page = await curlLab(`${TWO}/`, provided.certificateFile);
        expect(page.status).toBe(200);
        expect((await servedCertificate("two.localhost")).fingerprint256).toBe(
            (await run("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", provided.certificateFile])).trim().split("=")[1],
        );
        expect((await onLabHost("lb-1", "stat -c '%a' /srv/berth/tls/provided/two.key")).trim()).toBe("600");
        // The key went to the host as a secret: only encrypted in the state, not in the app's env file.
        expect((await stateWithoutSecrets(lab.stack)).includes(keyBody(provided.key).slice(0, 40))).toBe(false);
        expect(JSON.stringify(await lab.stack.exportStack()).includes(keyBody(provided.key).slice(0, 40))).toBe(true); // decrypted, it is there

        expect(await onLabHost("web-1", "cat /srv/berth/two/env")).not.toContain("TLS_KEY");
    }, 15 * 60_000);
});
