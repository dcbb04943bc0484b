import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary directory removed after the current test file. */
export function temporaryDirectory(prefix: string): string {
    const directory = mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));
    return directory;
}
