import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appsWithCodeOn, HostContainer, HostReport, nginxStatus, parseCertificateExpiries, renderStatus, statusReport } from "../../../cli/status";
import { renderNginxConf } from "../../../components/render/nginx";
import { stackStateOf, StateResource } from "../../../cli/stackState";

// `pulumi stack export --show-secrets` (what the Automation API's exportStack runs) of a stack
// deployed with the official @pulumi/docker: the berth.fingerprint label is derived from
// secrets, so each app container's whole `labels` (and `envs`) input and output is one
// secret-wrapped value, not a list.
const exported = JSON.parse(readFileSync(join(__dirname, "fixtures", "status-secret-state.json"), "utf8")) as { deployment: { resources: StateResource[] } };

const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const IMAGE = "registry.example.com/sample:v2";
const deployed = { sample: { tag: "v2", codeRef: "v1.1.0" } };

function provider(host: string): string {
    const resource = exported.deployment.resources.find((candidate) => candidate.urn.endsWith(`::${host}-docker`))!;
    return `${resource.urn}::${resource.id}`;
}

function live(id: string, name: string, state: string, app = "sample", role = "", image = IMAGE): HostContainer {
    return { id, name, image, state, app, role };
}

/** What `docker ps` and the code links said on each host. */
const hosts: HostReport[] = [
    {
        host: "web-1",
        provider: provider("web-1"),
        containers: [
            live("a1b2c3d4e5f6", "sample-web", "Up 5 minutes (healthy)", "sample", "web"),
            live("0f1e2d3c4b5a", "sample-shell", "Exited (0) 2 hours ago", "sample", "web"),
            live("99aa88bb77cc", "node-exporter", "Up 3 days", "", "", "prom/node-exporter:v1.8.2"),
        ],
        codeLinks: new Map([["sample", "/srv/berth/sample/releases/v1.1.0"]]),
    },
    {
        host: "worker-1",
        provider: provider("worker-1"),
        // sample-beat is gone.
        containers: [live("b2c3d4e5f607", "sample-worker", "Up 5 minutes", "sample", "worker")],
        codeLinks: new Map([["sample", "/srv/berth/sample/releases/v1.0.0"]]),
    },
    {
        host: "lb-1",
        provider: provider("lb-1"),
        containers: [live("d4e5f6071829", "berth-nginx", "Up 2 days", "", "", "nginx:1.27-bookworm")],
        codeLinks: new Map(),
    },
];

/** The same state as a plain `pulumi stack export` writes it: secrets as ciphertext only. */
function withoutPlaintext(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutPlaintext);
    }
    if (typeof value !== "object" || value === null) {
        return value;
    }
    const record = value as Record<string, unknown>;
    if (SECRET_SIGNATURE_KEY in record) {
        return { [SECRET_SIGNATURE_KEY]: record[SECRET_SIGNATURE_KEY], ciphertext: "v1:kq2N0Yc0mUe8:Zy1V2n3k4l5m6QwEr7tY8uI9oP0aS1dF2gH3jK4lZ5xC6vB7nM8" };
    }
    return Object.fromEntries(Object.entries(record).map(([key, entry]) => [key, withoutPlaintext(entry)]));
}

/** The fixture's state with each named resource changed by `edit`. */
function editedState(edits: Record<string, (resource: StateResource) => StateResource>) {
    const resources = exported.deployment.resources.map((resource) => {
        const edit = edits[resource.urn.split("::").pop()!];
        return edit ? edit(structuredClone(resource)) : resource;
    });
    return stackStateOf({ deployment: { ...exported.deployment, resources } });
}

const expectedReport = {
    stack: "prod",
    containers: [
        { host: "lb-1", app: "", role: "", name: "berth-nginx", image: "nginx:1.27-bookworm", state: "Up 2 days", drift: [], unchecked: [] },
        { host: "web-1", app: "sample", role: "web", name: "sample-web", image: IMAGE, state: "Up 5 minutes (healthy)", drift: [], unchecked: [] },
        { host: "web-1", app: "sample", role: "web", name: "sample-shell", image: IMAGE, state: "Exited (0) 2 hours ago", drift: ["not in the stack (started by hand?)"], unchecked: [] },
        { host: "worker-1", app: "sample", role: "worker", name: "sample-worker", image: IMAGE, state: "Up 5 minutes", drift: [], unchecked: [] },
        // Not on its host, so no Docker labels: app and role come from its container name.
        { host: "worker-1", app: "sample", role: "beat", name: "sample-beat", image: IMAGE, state: "missing", drift: ["missing on the host"], unchecked: [] },
    ],
    code: [
        { host: "web-1", app: "sample", codeRef: "v1.1.0", drift: [] },
        { host: "worker-1", app: "sample", codeRef: "v1.0.0", drift: ["code is v1.0.0, the stack has v1.1.0"] },
    ],
    drift: [
        "sample-shell@web-1: not in the stack (started by hand?)",
        "sample-beat@worker-1: missing on the host",
        "sample code@worker-1: code is v1.0.0, the stack has v1.1.0",
    ],
    unchecked: [],
};

describe("berth status on a state written by the official docker provider", () => {
    it("reports containers, code and drift when labels, envs and their outputs are secret-wrapped (--show-secrets)", () => {
        expect(statusReport("prod", stackStateOf(exported), deployed, hosts)).toEqual(expectedReport);
    });

    it("reports the same from an export that holds the secrets as ciphertext only", () => {
        expect(statusReport("prod", stackStateOf(withoutPlaintext(exported) as typeof exported), deployed, hosts)).toEqual(expectedReport);
    });

    it("reads the code links of the apps the stack has containers of on a host, including a container missing there", () => {
        const state = stackStateOf(exported);
        const [web, worker, loadBalancer] = hosts;
        expect(appsWithCodeOn(state, deployed, web)).toEqual(["sample"]);
        expect(appsWithCodeOn(state, deployed, { ...worker, containers: [] })).toEqual(["sample"]);
        expect(appsWithCodeOn(state, deployed, loadBalancer)).toEqual([]);
        expect(appsWithCodeOn(state, { sample: { tag: "v2" } }, web)).toEqual([]);
    });
});

describe("berth status on a state with missing or unreadable fields", () => {
    it("compares a container whose state has outputs but no inputs", () => {
        const state = editedState({ "sample-web-web-1": ({ inputs: _inputs, ...resource }) => resource });
        const report = statusReport("prod", state, deployed, hosts);
        expect(report.containers.find((container) => container.name === "sample-web")).toEqual(expectedReport.containers[1]);
        expect(report.drift).toEqual(expectedReport.drift);
    });

    it("finds a container by its ID when the state has neither inputs nor outputs, and says what it could not compare", () => {
        const state = editedState({
            "sample-worker-worker-1": ({ inputs: _inputs, outputs: _outputs, ...resource }) => resource,
            "sample-beat-worker-1": ({ inputs: _inputs, outputs: _outputs, ...resource }) => resource,
        });
        const report = statusReport("prod", state, deployed, hosts);
        expect(report.containers.filter((container) => container.host === "worker-1")).toEqual([
            { host: "worker-1", app: "sample", role: "worker", name: "sample-worker", image: IMAGE, state: "Up 5 minutes", drift: [], unchecked: ["image (the state records none)"] },
            { host: "worker-1", app: "", role: "", name: "sample-beat-worker-1", image: "", state: "missing", drift: ["missing on the host (no container has ID c3d4e5f60718; its name is not known: the state records none)"], unchecked: [] },
        ]);
        expect(report.unchecked).toEqual(["sample-worker@worker-1: image (the state records none)"]);
    });

    it("does not read a secret-wrapped name or image, nor crash on one, and tells what it left out", () => {
        const secret = { [SECRET_SIGNATURE_KEY]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc:def" };
        const state = editedState({
            "sample-web-web-1": (resource) => ({
                ...resource,
                inputs: { ...resource.inputs, name: secret, image: secret },
                outputs: { ...resource.outputs, name: secret, image: secret },
            }),
            "lb-nginx": ({ id: _id, ...resource }) => resource,
            "sample-beat-worker-1": ({ id: _id, inputs: _inputs, outputs: _outputs, ...resource }) => resource,
        });
        const report = statusReport("prod", state, deployed, hosts);
        expect(report.containers.find((container) => container.host === "web-1")).toEqual({
            ...expectedReport.containers[1], unchecked: ["image (the state holds it as a secret)"],
        });
        expect(report.unchecked).toEqual([
            "berth-nginx@lb-1: container ID (the state records none)",
            "sample-web@web-1: image (the state holds it as a secret)",
            "sample-beat-worker-1@worker-1: the whole container (the state records neither its name nor its ID)",
        ]);
        const rendered = renderStatus(report).split("\n");
        expect(rendered.slice(rendered.indexOf("not compared with the stack:"))).toEqual([
            "not compared with the stack:",
            "  berth-nginx@lb-1: container ID (the state records none)",
            "  sample-web@web-1: image (the state holds it as a secret)",
            "  sample-beat-worker-1@worker-1: the whole container (the state records neither its name nor its ID)",
            "drift:",
            "  sample-shell@web-1: not in the stack (started by hand?)",
            "  sample code@worker-1: code is v1.0.0, the stack has v1.1.0",
        ]);
    });
});

describe("berth status of nginx on the load balancer", () => {
    const installed = renderNginxConf({
        httpPort: 80,
        downPageDirectory: "/srv/berth/nginx",
        acmeWebroot: "/srv/berth/tls/webroot", maintenanceDirectory: "/srv/berth/nginx/maintenance",
        https: { port: 443, publicPort: 443, hstsMaxAgeSeconds: 0, ocspStapling: false },
        sites: [{ appName: "sample", domain: "sample.example.com", servers: [
            { hostName: "web-1", address: "10.0.0.1", port: 8001, drained: false },
            { hostName: "web-2", address: "10.0.0.2", port: 8001, drained: false },
        ] }],
    });

    it("reports no drift when the host has the config the stack installed", () => {
        expect(nginxStatus({ host: "lb-1", live: installed, expected: installed })).toEqual({ host: "lb-1", drained: [], drift: [] });
    });

    it("reports a server a failed run left drained, without calling the config edited", () => {
        const live = installed.replace("fail_timeout=5s; # sample@web-1", "fail_timeout=5s down; # sample@web-1");
        expect(nginxStatus({ host: "lb-1", live, expected: installed })).toEqual({
            host: "lb-1", drained: ["sample@web-1"], drift: ["sample@web-1 is drained: it gets no requests"],
        });
    });

    it("shows the apps in maintenance (not drift: berth maintenance put them there)", () => {
        const status = nginxStatus({ host: "lb-1", live: installed, expected: installed, maintenance: "sample 2026-12-07T10:00:00Z\n" });
        expect(status).toEqual({ host: "lb-1", drained: [], drift: [], maintenance: [{ app: "sample", since: "2026-12-07T10:00:00Z" }] });
        const report = { stack: "prod", containers: [], code: [], drift: [], unchecked: [], nginx: status };
        expect(renderStatus(report)).toContain("lb-1: sample is in maintenance (503) since 2026-12-07T10:00:00Z: berth maintenance off sample");
    });

    it("reports a config edited on the host, and one that is missing", () => {
        const live = installed.replace("client_max_body_size 40m;", "client_max_body_size 1g;");
        expect(nginxStatus({ host: "lb-1", live, expected: installed }).drift).toEqual(["nginx.conf differs from the one the stack installed (edited on the host?)"]);
        expect(nginxStatus({ host: "lb-1", live: "", expected: installed }).drift).toEqual(["nginx.conf is missing on the load balancer"]);
    });

    describe("with HTTPS sites", () => {
        const https = renderNginxConf({
            httpPort: 80, downPageDirectory: "/srv/berth/nginx", acmeWebroot: "/srv/berth/tls/webroot", maintenanceDirectory: "/srv/berth/nginx/maintenance",
            https: { port: 443, publicPort: 443, hstsMaxAgeSeconds: 0, ocspStapling: false },
            sites: ["shop", "blog"].map((appName) => ({
                appName, domain: `${appName}.example.com`,
                servers: [{ hostName: "web-1", address: "10.0.0.1", port: appName === "shop" ? 8001 : 8003, drained: false }],
                tls: { certificateFile: `/srv/berth/tls/acme/certificates/${appName}.example.com.crt`, keyFile: `/srv/berth/tls/acme/certificates/${appName}.example.com.key` },
            })),
        });
        const now = new Date("2026-12-06T00:00:00Z");

        it("reads each certificate's expiry from openssl's output, and shows it", () => {
            const expiry = parseCertificateExpiries([
                "/srv/berth/tls/acme/certificates/shop.example.com.crt notAfter=Mar  6 10:00:00 2027 GMT",
                "/srv/berth/tls/acme/certificates/blog.example.com.crt notAfter=Dec 11 10:00:00 2026 GMT",
                "",
            ].join("\n"));
            const status = nginxStatus({ host: "lb-1", live: https, expected: https, certificateExpiry: expiry }, now);
            expect(status.certificates).toEqual([
                { domain: "blog.example.com", expires: new Date("2026-12-11T10:00:00Z") },
                { domain: "shop.example.com", expires: new Date("2027-03-06T10:00:00Z") },
            ]);
            // Five days left: renewals (at least 7 days before) have failed.
            expect(status.drift).toEqual(["the certificate for blog.example.com expires in 5 days: renewals are failing (see /srv/berth/tls/renew.log)"]);
            const rendered = renderStatus(statusReport("prod", { resources: [], pendingOperations: [] }, {}, [], { host: "lb-1", live: https, expected: https, certificateExpiry: expiry }));
            expect(rendered).toContain("lb-1: certificate for shop.example.com expires 2027-03-06");
        });

        it("reports a missing and an expired certificate as drift", () => {
            const expiry = parseCertificateExpiries("/srv/berth/tls/acme/certificates/shop.example.com.crt notAfter=Nov  1 00:00:00 2026 GMT\n");
            expect(nginxStatus({ host: "lb-1", live: https, expected: https, certificateExpiry: expiry }, now).drift).toEqual([
                "the certificate for blog.example.com is missing on the load balancer",
                "the certificate for shop.example.com expired on 2026-11-01",
            ]);
        });
    });

    it("puts nginx's drift into the report's drift lines", () => {
        const live = installed.replace("fail_timeout=5s; # sample@web-2", "fail_timeout=5s down; # sample@web-2");
        const report = statusReport("prod", { resources: [], pendingOperations: [] }, {}, [], { host: "lb-1", live, expected: installed });
        expect(report.drift).toEqual(["nginx@lb-1: sample@web-2 is drained: it gets no requests"]);
    });
});
