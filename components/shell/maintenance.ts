import { maintenanceFiles } from "../render/nginx";
import { MAINTENANCE_DIRECTORY, NGINX_DIRECTORY } from "../render/layout";
import { lockNginxFiles, reloadNginxAndWait } from "./commands";
import { quote, strictScript, words } from "./quote";

/** Escapes text for HTML: the message is the user's. */
function escapeHtml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The page nginx answers with (503) while the app is in maintenance. */
export function renderMaintenancePage(message: string): string {
    return [
        "<!doctype html>",
        "<html lang=\"en\">",
        "<head><meta charset=\"utf-8\"><title>Down for maintenance</title></head>",
        "<body>",
        "<h1>Down for maintenance</h1>",
        `<p>${escapeHtml(message)}</p>`,
        "</body>",
        "</html>",
        "",
    ].join("\n");
}

/** The switch file nginx.conf includes: a comment saying since when, and the variable its locations test. */
export function maintenanceSwitch(since: string): string {
    return `# berth maintenance on since ${since}\nset $berth_maintenance 1;\n`;
}

export const DEFAULT_MAINTENANCE_MESSAGE = "We are making the site better. Please come back in a few minutes.";

/**
 * Turns an app's maintenance on (page and switch written, in that order) or
 * off (switch removed first), then tests and reloads nginx under the lock
 * every config swap takes. A config nginx refuses puts things back as they
 * were. The files live beside nginx.conf, which includes them: a deploy
 * rewrites nginx.conf, never them.
 */
export function setMaintenance(appName: string, on: boolean, message: string, containerName: string): string {
    const files = maintenanceFiles(MAINTENANCE_DIRECTORY, appName);
    const since = "$(date -u +%FT%TZ)";
    const change = on
        ? [
              `printf '%s' ${quote(renderMaintenancePage(message))} > ${quote(`${files.page}.next`)}`,
              words("mv", "-f", `${files.page}.next`, files.page),
              `printf ${quote(maintenanceSwitch("%s"))} "${since}" > ${quote(`${files.config}.next`)}`,
              words("mv", "-f", `${files.config}.next`, files.config),
          ]
        : [words("rm", "-f", files.config, files.page)];
    const undo = on ? words("rm", "-f", files.config) : "true";
    return strictScript(
        words("mkdir", "-p", MAINTENANCE_DIRECTORY),
        ...lockNginxFiles(NGINX_DIRECTORY),
        ...change,
        `${words("docker", "exec", containerName, "nginx", "-t", "-q", "-c", `${NGINX_DIRECTORY}/nginx.conf`)} || { ${undo}; exit 1; }`,
        ...reloadNginxAndWait(containerName),
    );
}

/** Lists the apps in maintenance on the load balancer: `app since` per line. */
export function listMaintenance(): string {
    return `for file in ${quote(MAINTENANCE_DIRECTORY)}/*.conf; do [ -f "$file" ] || continue; name=\${file##*/}; echo "\${name%.conf} $(sed -n 's/^# berth maintenance on since //p' "$file")"; done`;
}
