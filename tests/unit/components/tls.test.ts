import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deployStack, readStackConfig } from "../../../stacks";
import { makeCertificate, validFor } from "../../support/certificates";
import { temporaryDirectory } from "../../support/files";
import { isSecret, MOCKED_RUN_TIMEOUT_MS, RecordedProgram, recordProgram, mockHostKeyScanner } from "../../support/pulumiMocks";

jest.setTimeout(MOCKED_RUN_TIMEOUT_MS);

const scratch = temporaryDirectory("tls-program");
const sshKeyPath = join(scratch, "id_ed25519");
writeFileSync(sshKeyPath, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");
const caFile = join(scratch, "directory-ca.pem");
const provided = makeCertificate(scratch, ["notes.localhost"], validFor(60));
writeFileSync(caFile, makeCertificate(scratch, ["services"], validFor(60)).certificate);

const REMOTE_COMMAND = "command:remote:Command";

function app(name: string, domain: string, webPort: number, tls: unknown): Record<string, unknown> {
    return {
        name, domain, webPort, tls,
        image: { repository: `172.30.0.2:5000/berth/${name}`, tag: "v1" },
        hosts: { web: ["web-1", "web-2"] },
    };
}

function config(): Record<string, unknown> {
    return {
        "berth:sshKeyPath": sshKeyPath,
        "berth:hosts": [
            { name: "web-1", address: "127.0.0.1", sshPort: 2201, privateAddress: "172.30.0.11", roles: ["web"] },
            { name: "web-2", address: "127.0.0.1", sshPort: 2202, privateAddress: "172.30.0.12", roles: ["web"] },
            { name: "lb-1", address: "127.0.0.1", sshPort: 2204, privateAddress: "172.30.0.14", roles: ["loadbalancer"] },
        ],
        "berth:loadBalancer": { host: "lb-1", publicPort: 8080, publicHttpsPort: 8443 },
        "berth:tls": { acme: { directory: "https://172.30.0.2:14000/dir", email: "ops@example.com", caCertificatesFile: caFile, clientImage: "172.30.0.2:5000/berth/lego:bookworm" } },
        "berth:apps": [
            app("sample", "Sample.Localhost", 8001, true),
            app("notes", "notes.localhost", 8003, { certificate: provided.certificate, keySecret: "TLS_KEY" }),
            app("plain", "plain.localhost", 8005, false),
        ],
        "berth:secrets": { notes: { TLS_KEY: provided.key, SECRET_KEY: "notes-secret" } },
    };
}

describe("HTTPS in the program, under mocks", () => {
    let program: RecordedProgram;
    beforeAll(async () => {
        ({ recorded: program } = await recordProgram(config(), ["berth:secrets"], () => deployStack(readStackConfig(), { scanHostKey: mockHostKeyScanner })));
    });

    it("publishes 443 from nginx once an app has TLS", () => {
        expect(program.named("nginx-nginx").inputs.ports).toEqual([
            { internal: 80, external: 80 },
            { internal: 443, external: 443 },
        ]);
    });

    it("obtains the ACME app's certificate after nginx answers challenges, and installs the config that serves it after that", () => {
        const obtain = program.named("nginx-certificate-sample");
        expect(obtain.inputs.create).toContain("--server https://172.30.0.2:14000/dir --email ops@example.com --accept-tos --key-type ec256 --domains sample.localhost --http --http.webroot /webroot --path /acme run");
        expect(obtain.inputs.create).toContain("LEGO_CA_CERTIFICATES=/directory-ca.pem");
        expect(obtain.inputs.stdin).toContain("-----BEGIN CERTIFICATE-----");
        expect(program.waitsFor("nginx-certificate-sample", "nginx-acme-challenge")).toBe(true);
        expect(program.waitsFor("nginx-acme-challenge", "nginx-nginx")).toBe(true);
        expect(program.waitsFor("nginx-config", "nginx-certificate-sample")).toBe(true);
        expect(program.waitsFor("nginx-config", "nginx-certificate-notes")).toBe(true);
        expect(program.waitsFor("nginx-config", "nginx-certificate-renewal")).toBe(true);
        // Rollouts edit the live config only once the challenge locations are in it.
        expect(program.waitsFor("sample-web-port-web-1", "nginx-acme-challenge")).toBe(true);
    });

    it("installs the renewal script and its cron entry for the ACME domains only", () => {
        const renewal = program.named("nginx-certificate-renewal");
        expect(renewal.inputs.stdin).toContain("--domains sample.localhost");
        expect(renewal.inputs.stdin).not.toContain("notes.localhost");
        expect(renewal.inputs.create).toMatch(/\d+ \d+,\d+ \* \* \* root \/srv\/berth\/tls\/renew >> \/srv\/berth\/tls\/renew\.log 2>&1/);
        expect(renewal.inputs.delete).toBe("rm -f /etc/cron.d/berth-certificates /srv/berth/tls/renew");
    });

    it("asks lego for the lowercase domain, whose files are the ones nginx serves", () => {
        expect(program.named("nginx-certificate-sample").inputs.create).toContain("--domains sample.localhost ");
        expect(program.named("nginx-config").inputs.stdin).toContain("server_name Sample.Localhost;\n        ssl_certificate /srv/berth/tls/acme/certificates/sample.localhost.crt;");
    });

    it("refuses to install renewal on a load balancer without cron", () => {
        expect(program.named("nginx-certificate-renewal").inputs.create).toMatch(/^\{ command -v cron >\/dev\/null && \[ -d \/etc\/cron\.d \]; \} \|\| \{ echo 'lb-1 has no cron/);
    });

    it("puts the provided key and chain on the host in one step, as a secret, key 0600, and the key never into the app's env file", () => {
        const install = program.named("nginx-certificate-notes");
        expect(isSecret(install.wireInputs.stdin)).toBe(true);
        expect(install.inputs.stdin).toBe(`${provided.key}${provided.certificate}`);
        expect(install.inputs.create).toContain("umask 077");
        expect(install.inputs.create).toContain("mv -f /srv/berth/tls/provided/notes.key.next /srv/berth/tls/provided/notes.key");
        const envFiles = program.ofType(REMOTE_COMMAND).filter((command) => command.name.startsWith("notes-env-file-"));
        expect(envFiles).toHaveLength(2);
        for (const envFile of envFiles) {
            expect(envFile.inputs.stdin).toContain("SECRET_KEY=");
            expect(envFile.inputs.stdin).not.toContain("TLS_KEY");
            expect(envFile.inputs.stdin).not.toContain("PRIVATE KEY");
        }
        for (const resource of program.resources) {
            if (resource.name !== "nginx-certificate-notes") {
                expect(JSON.stringify(resource.inputs)).not.toContain(provided.key.split("\n")[1]);
            }
        }
    });

    it("serves both TLS apps on 443 and redirects to the public HTTPS port; the HTTP-only app stays on HTTP", () => {
        const conf: string = program.named("nginx-config").inputs.stdin;
        expect(conf).toContain("ssl_certificate /srv/berth/tls/acme/certificates/sample.localhost.crt;");
        expect(conf).toContain("ssl_certificate_key /srv/berth/tls/provided/notes.key;");
        expect(conf).toContain("ssl_certificate /srv/berth/tls/provided/notes.crt;");
        expect(conf.match(/return 301 https:\/\/\$host:8443\$request_uri;/g)).toHaveLength(2);
        expect(conf).not.toContain("server_name plain.localhost;\n        ssl_certificate");
        // The first config nginx starts with has no HTTPS: no certificate is there yet.
        expect(program.named("nginx-initial-config").inputs.stdin).not.toContain("ssl_certificate");
    });
});
