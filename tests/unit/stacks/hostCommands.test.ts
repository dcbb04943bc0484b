import { execFileSync } from "node:child_process";
import { installDockerConfig, planDnsRecords, registryLogin, stackTags, waitForCloudInit } from "../../../stacks/digitalocean";
import { validateConfig } from "../../../components/config";
import { digitalOceanConfig } from "../../support/digitalOceanConfig";

describe("registryLogin", () => {
    it("reads user and password out of DigitalOcean's Docker config", () => {
        const config = JSON.stringify({ auths: { "registry.digitalocean.com": { auth: Buffer.from("token-user:token:with:colons").toString("base64") } } });
        expect(registryLogin(config)).toEqual({ address: "registry.digitalocean.com", username: "token-user", password: "token:with:colons" });
    });

    it("refuses credentials it cannot use", () => {
        expect(() => registryLogin(JSON.stringify({ auths: {} }))).toThrow("the registry's Docker credentials hold no single login");
        expect(() => registryLogin(JSON.stringify({ auths: { r: { auth: Buffer.from("nocolon").toString("base64") } } }))).toThrow("not user:password");
    });
});

describe("host commands", () => {
    it("waits for cloud-init, accepting its 'done with warnings' status, then for Docker", () => {
        const script = waitForCloudInit(900);
        expect(script.split("\n")[0]).toBe("set -eu");
        expect(script).toContain("timeout 900 cloud-init status --wait >/dev/null || status=$?");
        expect(script).toContain('if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then');
        expect(script).toContain("docker info --format '{{.ServerVersion}}' >/dev/null");
        execFileSync("bash", ["-n", "-c", script]);
    });

    it("installs the registry login from standard input, 0600", () => {
        expect(installDockerConfig()).toBe("install -d -m 0700 /root/.docker && umask 077 && cat > /root/.docker/config.json.berth-tmp && chmod 0600 /root/.docker/config.json.berth-tmp && mv -f /root/.docker/config.json.berth-tmp /root/.docker/config.json");
    });
});

describe("tags and DNS records", () => {
    it("scope every tag but `berth` to the stack, in DigitalOcean's tag alphabet", () => {
        const tags = stackTags("Prod.EU");
        expect([tags.berth, tags.stack, tags.role("loadbalancer"), tags.group("web")]).toEqual(["berth", "berth-prod-eu", "berth-prod-eu-loadbalancer", "berth-prod-eu-group-web"]);
    });

    it("name one record per app relative to the zone, `@` for the apex", () => {
        const app = (name: string, domain: string, webPort: number) => ({ name, domain, image: { repository: "registry.digitalocean.com/berth/x", tag: "1" }, webPort, hosts: { web: ["web-1"] } });
        const spec = validateConfig(digitalOceanConfig({ web: 1, digitalocean: { dns: { zone: "example.com" } }, apps: [app("shop", "shop.eu.example.com", 8001), app("home", "example.com", 8003)] }));
        expect(planDnsRecords("example.com", spec.apps)).toEqual([{ appName: "home", name: "@" }, { appName: "shop", name: "shop.eu" }]);
    });
});
