import { resolve } from "node:path";

/** The repository's root: BERTH_ROOT (scripts/env.sh) when compiled elsewhere, e.g. the benchmark in bin/. */
export const repositoryRoot = process.env.BERTH_ROOT ?? resolve(__dirname, "../../..");
