import { isAddress } from "./patterns";
import { parseIpv6 } from "./networks";

/**
 * The repositories hosts may clone (`code.repository`). The URL reaches
 * `git clone` on every host and sits in the stack's state and in error
 * messages, so it may carry no option, no other transport (git's `ext::`
 * runs a command), no shell metacharacter and no credentials.
 */

export const GIT_URL_RULE =
    "must be a git URL: https://host/path, ssh://[user@]host[:port]/path, git://host/path, [user@]host:path, file:///path or an absolute path, " +
    "with path segments of letters, digits and '-', '.', '_', '~', '+', without '.' or '..' segments";

export const GIT_CREDENTIALS_RULE =
    "must not carry credentials (user:password@ or token@ in the URL): they would be stored in the stack's state and shown in errors; " +
    "give each host a deploy key instead (an ssh:// or git@host:path URL, the key in the host's ~/.ssh) or a git credential helper on the host (git config credential.helper)";

const SEGMENT = /^[A-Za-z0-9._~+-]+$/;
/** Users of SSH URLs: `git`, a login name, or a provider's key id (AWS CodeCommit). */
const URL_USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/** Why the hosts may not clone this repository, or undefined when they may. */
export function gitRepositoryProblem(url: string): string | undefined {
    const shown = JSON.stringify(withoutCredentials(url));
    if (url.startsWith("-")) {
        return `must not start with "-": git would read it as an option (got ${shown})`;
    }
    const parsed = parseGitUrl(url);
    if (parsed === "credentials") {
        return `${GIT_CREDENTIALS_RULE} (got ${shown})`;
    }
    return parsed ? undefined : `${GIT_URL_RULE} (got ${shown})`;
}

/** The URL with anything before an `@` of its authority replaced: what refusals may repeat of it. */
export function withoutCredentials(url: string): string {
    return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/]*@/, "$1***@").replace(/^[^/@]*:[^/@]*@/, "***@");
}

/** A URL's forms git and berth agree on; "credentials" when one carries them; undefined for anything else. */
function parseGitUrl(url: string): true | "credentials" | undefined {
    const scheme = /^(https?|git|ssh):\/\/([^/]*)(\/.*)$/.exec(url);
    if (scheme) {
        const [, protocol, authority, path] = scheme;
        const at = authority.lastIndexOf("@");
        const user = at < 0 ? undefined : authority.slice(0, at);
        // Only SSH names a user, and only a user: HTTP(S) userinfo is a password or a token.
        if (user !== undefined && (protocol !== "ssh" || user.includes(":"))) {
            return "credentials";
        }
        return (user === undefined || URL_USER.test(user)) && isHostAndPort(authority.slice(at + 1)) && isCleanPath(path, true) ? true : undefined;
    }
    if (url.startsWith("file://")) {
        return isCleanPath(url.slice("file://".length), true) ? true : undefined;
    }
    if (url.startsWith("/")) {
        return isCleanPath(url, true) ? true : undefined;
    }
    // scp-like: [user@]host:path, where git sees no "/" before the ":".
    const scp = /^(?:([^@/]*)@)?(\[[0-9A-Fa-f:]+\]|[^:/@[\]]+):(.+)$/.exec(url);
    if (scp) {
        const [, user, host, path] = scp;
        if (user !== undefined && user.includes(":")) {
            return "credentials";
        }
        return (user === undefined || URL_USER.test(user)) && isHost(host) && isCleanPath(path, path.startsWith("/")) ? true : undefined;
    }
    return undefined;
}

function isHost(host: string): boolean {
    if (host.startsWith("[") && host.endsWith("]")) {
        return parseIpv6(host.slice(1, -1)) !== undefined;
    }
    return !host.includes(":") && isAddress(host);
}

function isHostAndPort(authority: string): boolean {
    const match = /^(.*?)(?::(\d{1,5}))?$/.exec(authority);
    if (!match || (match[2] !== undefined && Number(match[2]) > 65535)) {
        return false;
    }
    return isHost(match[1]);
}

/** Segments of plain characters, none `.` or `..`; a trailing "/" is allowed. URL paths are absolute, scp-like ones either. */
function isCleanPath(path: string, absolute: boolean): boolean {
    if (absolute !== path.startsWith("/")) {
        return false;
    }
    const segments = (absolute ? path.slice(1) : path).replace(/\/$/, "").split("/");
    return segments.every((segment) => SEGMENT.test(segment) && segment !== "." && segment !== "..");
}
