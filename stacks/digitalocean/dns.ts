import { recordName } from "../../components/config/digitalocean";
import { AppSpec } from "../../components/config/types";

/** One A record for one app's domain, in the stack's zone. */
export interface AppDnsRecord {
    appName: string;
    /** Relative to the zone; `@` for the apex. */
    name: string;
}

/** The records to create, one per app, sorted by app name. Validation made sure every domain is in the zone. */
export function planDnsRecords(zone: string, apps: AppSpec[]): AppDnsRecord[] {
    return [...apps]
        .sort((left, right) => left.name.localeCompare(right.name))
        .map((app) => ({ appName: app.name, name: recordName(app.domain, zone)! }));
}
