import { ACME_CLIENT_DIRECTORY, ACME_WEBROOT, certificateFiles, NGINX_DIRECTORY, TLS_DIRECTORY } from "../render/layout";
import { lockNginxFiles } from "./commands";
import { quote, strictScript, words } from "./quote";

/**
 * The commands that obtain, renew and report certificates on the load
 * balancer host. The ACME client is lego (its CLI is the image's
 * entrypoint), run as a throwaway container; it answers http-01 by writing
 * the challenge file into the webroot nginx serves on the HTTP port, and
 * keeps its account and certificates in ACME_CLIENT_DIRECTORY.
 */
export interface AcmeClientSettings {
    directory: string;
    email: string;
    clientImage: string;
    /** Whether a CA bundle for the directory's HTTPS listener is installed (ACME_DIRECTORY_CA). */
    directoryCa: boolean;
    nginxContainer: string;
}

/** The CA bundle the ACME client trusts for the directory's own HTTPS, when the stack gives one. */
export const ACME_DIRECTORY_CA = `${TLS_DIRECTORY}/directory-ca.pem`;
/** The renewal script cron runs, and where it logs. */
export const RENEW_SCRIPT = `${TLS_DIRECTORY}/renew`;
export const RENEW_LOG = `${TLS_DIRECTORY}/renew.log`;
export const RENEW_CRON_FILE = "/etc/cron.d/berth-certificates";
/** What a certificate was requested with (directory, account, names): a change obtains a new one. */
const REQUESTS_DIRECTORY = `${ACME_CLIENT_DIRECTORY}/requests`;
const CLIENT_LOG = `${ACME_CLIENT_DIRECTORY}/client.log`;

/** The directories, with the modes nginx needs: the webroot world-readable, keys root's alone. */
export function prepareTlsDirectories(): string {
    return strictScript(
        words("mkdir", "-p", `${ACME_WEBROOT}/.well-known/acme-challenge`, ACME_CLIENT_DIRECTORY, REQUESTS_DIRECTORY, `${TLS_DIRECTORY}/provided`),
        words("chmod", "0755", TLS_DIRECTORY, ACME_WEBROOT, `${ACME_WEBROOT}/.well-known`, `${ACME_WEBROOT}/.well-known/acme-challenge`),
        words("chmod", "0700", ACME_CLIENT_DIRECTORY, `${TLS_DIRECTORY}/provided`),
    );
}

/** `docker run` of the ACME client with its directory, the webroot and the directory's CA mounted; then lego's arguments. */
function acmeClient(settings: AcmeClientSettings, domain: string, ...command: string[]): string {
    return words(
        "docker", "run", "--rm",
        "-v", `${ACME_CLIENT_DIRECTORY}:/acme`,
        "-v", `${ACME_WEBROOT}:/webroot`,
        ...(settings.directoryCa ? ["-v", `${ACME_DIRECTORY_CA}:/directory-ca.pem:ro`, "-e", "LEGO_CA_CERTIFICATES=/directory-ca.pem"] : []),
        settings.clientImage,
        "--server", settings.directory,
        "--email", settings.email,
        "--accept-tos",
        "--key-type", "ec256",
        "--domains", domain,
        "--http", "--http.webroot", "/webroot",
        "--path", "/acme",
        ...command,
    );
}

/**
 * nginx tests its live config, then reloads: new certificates are served,
 * open connections live on. A refusal's reason goes to stderr; the reload's
 * "signal process started" notice does not.
 */
export function testAndReloadNginx(containerName: string): string {
    const conf = `${NGINX_DIRECTORY}/nginx.conf`;
    return `${words("docker", "exec", containerName, "nginx", "-t", "-q", "-c", conf)} && ${words("docker", "exec", containerName, "nginx", "-s", "reload", "-c", conf)} 2>/dev/null`;
}

/** When the live config already serves `certificateFile` (a replaced certificate), nginx tests and reloads to serve the new one. */
function reloadNginxIfItServes(certificateFile: string, containerName: string): string {
    return `if ${words("grep", "-qF", certificateFile, `${NGINX_DIRECTORY}/nginx.conf`)}; then ${testAndReloadNginx(containerName)}; fi`;
}

/**
 * Obtains the domain's certificate unless one is there that was requested
 * the same way and is valid beyond the renewal window; with a new one and a
 * live config that serves it, nginx reloads. Standard input: the directory's
 * CA bundle (empty without one). The client's output goes to its log; on a
 * failure its last lines go to stderr, where the deploy shows them.
 */
export function obtainCertificate(settings: AcmeClientSettings, domain: string, renewDaysBefore: number): string {
    const { certificateFile, keyFile } = certificateFiles("", domain, "acme");
    const request = `${REQUESTS_DIRECTORY}/${domain}`;
    const wanted = `${settings.directory} ${settings.email} ${domain}`;
    return strictScript(
        prepareTlsDirectories(),
        settings.directoryCa
            ? `umask 022; cat > ${quote(`${ACME_DIRECTORY_CA}.next`)}; mv -f ${quote(`${ACME_DIRECTORY_CA}.next`)} ${quote(ACME_DIRECTORY_CA)}`
            : `cat > /dev/null; rm -f ${quote(ACME_DIRECTORY_CA)}`,
        // The client rewrites files nginx reads: nobody tests or reloads nginx meanwhile.
        ...lockNginxFiles(NGINX_DIRECTORY),
        `if [ -s ${quote(certificateFile)} ] && [ "$(cat ${quote(request)} 2>/dev/null)" = ${quote(wanted)} ] \\`,
        `   && openssl x509 -checkend ${renewDaysBefore * 86400} -noout -in ${quote(certificateFile)} >/dev/null; then`,
        `  echo ${quote(`certificate for ${domain}: present, valid beyond the renewal window`)}`,
        "  exit 0",
        "fi",
        `printf '%s obtaining a certificate for %s from %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" ${quote(domain)} ${quote(settings.directory)} >> ${quote(CLIENT_LOG)}`,
        `if ! ${acmeClient(settings, domain, "run")} > ${quote(`${CLIENT_LOG}.last`)} 2>&1; then`,
        `  cat ${quote(`${CLIENT_LOG}.last`)} >> ${quote(CLIENT_LOG)}`,
        `  echo ${quote(`the ACME client could not obtain a certificate for ${domain} from ${settings.directory}:`)} >&2`,
        `  tail -n 25 ${quote(`${CLIENT_LOG}.last`)} >&2`,
        "  exit 1",
        "fi",
        `cat ${quote(`${CLIENT_LOG}.last`)} >> ${quote(CLIENT_LOG)}`,
        words("chmod", "0600", keyFile),
        `printf '%s\\n' ${quote(wanted)} > ${quote(request)}`,
        `echo "certificate for ${domain}: obtained, $(openssl x509 -enddate -noout -in ${quote(certificateFile)})"`,
        // A config that already serves the file (a domain whose request changed) serves the new one after a reload.
        reloadNginxIfItServes(certificateFile, settings.nginxContainer),
    );
}

/**
 * Installs a certificate the user provides. Standard input: its key (PEM),
 * then its chain. Both are written beside their targets, checked to be one
 * key pair, and moved into place together under the lock, so nginx never
 * sees the new key beside the old certificate; then, if the live config
 * serves them, nginx tests and reloads.
 */
export function installProvidedCertificate(appName: string, domain: string, nginxContainer: string): string {
    const { certificateFile, keyFile } = certificateFiles(appName, domain, "provided");
    const [keyNext, certificateNext] = [`${keyFile}.next`, `${certificateFile}.next`];
    return strictScript(
        prepareTlsDirectories(),
        "umask 077",
        `awk -v key=${quote(keyNext)} -v chain=${quote(certificateNext)} 'BEGIN { out = key } { print > out } /^-----END [A-Z ]*PRIVATE KEY-----$/ { out = chain }'`,
        `if [ "$(openssl x509 -noout -pubkey -in ${quote(certificateNext)})" != "$(openssl pkey -pubout -in ${quote(keyNext)})" ]; then`,
        `  rm -f ${quote(keyNext)} ${quote(certificateNext)}`,
        `  echo ${quote(`the certificate and key for ${domain} are not one key pair: nothing installed`)} >&2`,
        "  exit 1",
        "fi",
        ...lockNginxFiles(NGINX_DIRECTORY),
        words("mv", "-f", keyNext, keyFile),
        words("mv", "-f", certificateNext, certificateFile),
        reloadNginxIfItServes(certificateFile, nginxContainer),
    );
}

/**
 * The script cron runs twice a day: `lego renew` for each domain (it renews
 * only within `renewDaysBefore` of expiry; `--force` renews now), then, if
 * any certificate changed, `nginx -t` and a reload. Every line it logs has a
 * UTC timestamp. Exit status 1 when anything failed.
 */
export function renderRenewScript(settings: AcmeClientSettings, domains: string[], renewDaysBefore: number): string {
    const lines = [
        "#!/bin/sh",
        "# Rendered by berth: renews the certificates this host's nginx serves from the ACME CA.",
        `# cron runs it twice a day (${RENEW_CRON_FILE}); \`${RENEW_SCRIPT} --force\` renews every one now.`,
        "set -u",
        `days=${renewDaysBefore}`,
        `log() { printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }`,
        // From cron, wait a random while (up to 8 minutes) first, as CAs ask of automated clients,
        // before taking the lock deploys take to edit nginx's files; `--force` is someone waiting.
        `if [ "\${1:-}" = --force ]; then days=100000; else sleep $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 480 )); fi`,
        ...lockNginxFiles(NGINX_DIRECTORY),
        "changed=0",
        "failed=0",
    ];
    for (const domain of [...domains].sort()) {
        const { certificateFile } = certificateFiles("", domain, "acme");
        lines.push(
            `before=$(sha256sum < ${quote(certificateFile)} 2>/dev/null || true)`,
            `if ${acmeClient(settings, domain, "renew")} --days "$days" --no-random-sleep > ${quote(`${CLIENT_LOG}.renew`)} 2>&1; then`,
            `  if [ "$before" != "$(sha256sum < ${quote(certificateFile)})" ]; then`,
            `    log ${quote(`renewed ${domain}:`)} "$(openssl x509 -enddate -noout -in ${quote(certificateFile)})"`,
            "    changed=1",
            "  else",
            `    log ${quote(`${domain} not due:`)} "$(openssl x509 -enddate -noout -in ${quote(certificateFile)})"`,
            "  fi",
            "else",
            `  log ${quote(`renewing ${domain} failed:`)} "$(tail -n 5 ${quote(`${CLIENT_LOG}.renew`)} | tr '\\n' ' ')"`,
            "  failed=1",
            "fi",
            `cat ${quote(`${CLIENT_LOG}.renew`)} >> ${quote(CLIENT_LOG)}`,
        );
    }
    lines.push(
        "if [ \"$changed\" = 1 ]; then",
        `  if ${testAndReloadNginx(settings.nginxContainer)}; then log "nginx reloaded with the new certificates"; else log "nginx refused its config: still serving the old certificates"; failed=1; fi`,
        "fi",
        "exit \"$failed\"",
        "",
    );
    return lines.join("\n");
}

/** The cron entry: twice a day at a minute of the host's own (not every host at :00, as CAs ask). */
export function renderRenewCron(minute: number, hour: number): string {
    if (!(minute >= 0 && minute < 60 && hour >= 0 && hour < 12)) {
        throw new Error(`renewal time out of range: minute ${minute}, hour ${hour} (0-59, 0-11)`);
    }
    return [
        "# Rendered by berth: renews this host's certificates from the ACME CA.",
        "SHELL=/bin/sh",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        `${minute} ${hour},${hour + 12} * * * root ${RENEW_SCRIPT} >> ${RENEW_LOG} 2>&1`,
        "",
    ].join("\n");
}

/** Prints `<file> notAfter=<date>` for each certificate file that exists (for `berth status`). */
export function certificateExpiries(files: string[]): string {
    return files
        .map((file) => `[ ! -s ${quote(file)} ] || echo ${quote(file)} "$(openssl x509 -enddate -noout -in ${quote(file)})"`)
        .join("\n");
}
