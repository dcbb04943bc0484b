// A monitoring stack that consumes a berth stack's outputs: one DigitalOcean
// uptime check per app URL and per host, with an optional e-mail alert.
//   pulumi config set berthStack organization/berth/prod
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { watchBerthStack } from "./watch";

const config = new pulumi.Config();
const watched = watchBerthStack(config.require("berthStack"), config.get("alertEmail") || undefined);

/** What is watched: [{name, type, target}]. */
export const checks = watched.checks;
/** One line per app: URL, entry address and release. */
export const summary = watched.summary;
