import {
    imageTagProblem, isPrivateAddress, logRotationProblem, plainSecretProblems, plainSettingProblems, publicPortProblems, webHealthCheckProblem, worldSshProblems,
} from "../../../policy/rules";

const web = {
    name: "sample-web",
    image: "registry.example.com/sample:v2",
    labels: [{ label: "berth.app", value: "sample" }, { label: "berth.role", value: "web" }],
    healthcheck: { tests: ["CMD", "berth-healthcheck"] },
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "5" },
    envs: ["DJANGO_SETTINGS_MODULE=sample.settings", "BERTH_HOST=web-1"],
    ports: [{ internal: 8000, external: 8001, ip: "10.10.0.11" }],
};

describe("berth's policy rules", () => {
    it("accepts what berth itself deploys", () => {
        expect([
            imageTagProblem(web.image), webHealthCheckProblem(web), logRotationProblem(web), ...plainSecretProblems(web), ...publicPortProblems(web),
        ].filter(Boolean)).toEqual([]);
    });

    it("refuses latest and untagged images, not registry ports or digests", () => {
        expect(imageTagProblem("registry.example.com/sample:latest")).toMatch(/uses the tag `latest`/);
        expect(imageTagProblem("registry.example.com:5000/sample")).toMatch(/has no tag/);
        expect(imageTagProblem("172.30.0.2:5000/berth/sample:v1")).toBeUndefined();
        expect(imageTagProblem("registry.example.com/sample@sha256:abc")).toBeUndefined();
    });

    it("wants a health check on web containers only", () => {
        expect(webHealthCheckProblem({ ...web, healthcheck: undefined })).toMatch(/sample-web has no health check/);
        expect(webHealthCheckProblem({ ...web, healthcheck: { tests: ["NONE"] } })).toMatch(/no health check/);
        expect(webHealthCheckProblem({ ...web, labels: [{ label: "berth.role", value: "worker" }], healthcheck: undefined })).toBeUndefined();
    });

    it("wants rotated logs", () => {
        expect(logRotationProblem({ ...web, logDriver: undefined })).toMatch(/does not rotate its logs/);
        expect(logRotationProblem({ ...web, logOpts: {} })).toMatch(/does not rotate/);
        expect(logRotationProblem({ ...web, logDriver: "local", logOpts: undefined })).toBeUndefined();
    });

    it("finds secrets passed as plain environment variables", () => {
        expect(plainSecretProblems({ ...web, envs: [...web.envs, "DATABASE_PASSWORD=hunter2", "STRIPE_API_KEY=x"] })).toEqual([
            "container sample-web gets DATABASE_PASSWORD as a plain environment variable: put it in berth:secrets (pulumi config set --secret)",
            "container sample-web gets STRIPE_API_KEY as a plain environment variable: put it in berth:secrets (pulumi config set --secret)",
        ]);
    });

    it("lets a *_FILE setting point at a secret file, but not hold one", () => {
        expect(plainSecretProblems({ ...web, envs: ["POSTGRES_PASSWORD_FILE=/run/secrets/PASSWORD"] })).toEqual([]);
        expect(plainSecretProblems({ ...web, envs: ["POSTGRES_PASSWORD_FILE=hunter2", "API_TOKEN_FILE=/x y"] })).toEqual([
            "container sample-web gets POSTGRES_PASSWORD_FILE as a plain environment variable: put it in berth:secrets (pulumi config set --secret)",
            "container sample-web gets API_TOKEN_FILE as a plain environment variable: put it in berth:secrets (pulumi config set --secret)",
        ]);
    });

    it("finds secrets among an app's plain settings", () => {
        expect(plainSettingProblems("sample", ["DATABASE_HOST", "DATABASE_PASSWORD", "DJANGO_SETTINGS_MODULE"])).toEqual([
            "app sample sets DATABASE_PASSWORD in berth:apps[].env, in plain text: set it with `pulumi config set --secret --path 'berth:secrets.sample.DATABASE_PASSWORD' ...` and remove it from env",
        ]);
    });

    it("lets only nginx publish on a public address", () => {
        expect(publicPortProblems({ ...web, ports: [{ internal: 8000, external: 8001 }] })).toEqual([
            "container sample-web publishes port 8001 on every address: only nginx faces the internet; bind to the host's private address",
        ]);
        expect(publicPortProblems({ ...web, ports: [{ internal: 8000, external: 8001, ip: "203.0.113.11" }] })).toHaveLength(1);
        expect(publicPortProblems({ ...web, name: "berth-nginx", ports: [{ internal: 80, external: 80 }] })).toEqual([]);
        expect(["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1"].every(isPrivateAddress)).toBe(true);
        expect(["172.32.0.1", "203.0.113.1", "8.8.8.8", "not-an-ip"].some(isPrivateAddress)).toBe(false);
    });

    it("never lets the firewall open SSH to the world", () => {
        expect(worldSshProblems([
            { protocol: "tcp", portRange: "22", sourceAddresses: ["198.51.100.0/24"] },
            { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
        ])).toEqual([]);
        expect(worldSshProblems([{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }])).toHaveLength(1);
        expect(worldSshProblems([{ protocol: "tcp", portRange: "1-65535", sourceAddresses: ["::/0"] }])).toHaveLength(1);
        expect(worldSshProblems([{ protocol: "udp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }])).toEqual([]);
    });
});
