import { execFileSync } from "node:child_process";
import { AcmeClientSettings, obtainCertificate, renderRenewCron, renderRenewScript } from "../../../components/shell/certificates";

const client: AcmeClientSettings = {
    directory: "https://acme-staging-v02.api.letsencrypt.org/directory",
    email: "ops@example.com",
    clientImage: "goacme/lego:v4.21.0",
    directoryCa: false,
    nginxContainer: "berth-nginx",
};

/** `sh -n`: the script parses as POSIX sh (dash, as on Debian). */
function parses(script: string): boolean {
    execFileSync("dash", ["-n"], { input: script });
    return true;
}

describe("the certificate scripts on the load balancer host", () => {
    it("obtain a certificate with lego over http-01 through nginx's webroot, skipping one that is in date and asked for the same way", () => {
        const script = obtainCertificate(client, "shop.example.com", 30);
        expect(parses(script)).toBe(true);
        expect(script).toContain("docker run --rm -v /srv/berth/tls/acme:/acme -v /srv/berth/tls/webroot:/webroot goacme/lego:v4.21.0 "
            + "--server https://acme-staging-v02.api.letsencrypt.org/directory --email ops@example.com --accept-tos --key-type ec256 "
            + "--domains shop.example.com --http --http.webroot /webroot --path /acme run");
        expect(script).toContain(`openssl x509 -checkend ${30 * 86400} -noout -in /srv/berth/tls/acme/certificates/shop.example.com.crt`);
        expect(script).toContain("'https://acme-staging-v02.api.letsencrypt.org/directory ops@example.com shop.example.com'");
        expect(script).not.toContain("LEGO_CA_CERTIFICATES");
        expect(obtainCertificate({ ...client, directoryCa: true }, "shop.example.com", 30)).toContain("-e LEGO_CA_CERTIFICATES=/directory-ca.pem");
    });

    it("renew every domain, reloading nginx (after nginx -t) only when a certificate changed, under the same lock as a deploy", () => {
        const script = renderRenewScript(client, ["shop.example.com", "blog.example.com"], 30);
        expect(parses(script)).toBe(true);
        expect(script.indexOf("--domains blog.example.com")).toBeLessThan(script.indexOf("--domains shop.example.com"));
        expect(script).toContain('--path /acme renew --days "$days" --no-random-sleep >');
        // The random wait comes before the lock, which a deploy's issuance waits for.
        expect(script.indexOf("% 480")).toBeLessThan(script.indexOf("exec 9> /srv/berth/nginx/.berth-lock"));
        expect(script).toContain('if [ "${1:-}" = --force ]; then days=100000; else sleep');
        expect(script).toContain("docker exec berth-nginx nginx -t -q -c /srv/berth/nginx/nginx.conf && docker exec berth-nginx nginx -s reload -c /srv/berth/nginx/nginx.conf");
        expect(script).not.toMatch(/docker (restart|stop|rm)/);
    });

    it("run from cron twice a day at the host's own minute", () => {
        expect(renderRenewCron(17, 3)).toContain("17 3,15 * * * root /srv/berth/tls/renew >> /srv/berth/tls/renew.log 2>&1\n");
        expect(() => renderRenewCron(17, 12)).toThrow(/out of range/);
    });
});
