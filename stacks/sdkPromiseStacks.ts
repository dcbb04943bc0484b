/**
 * The Pulumi SDK records a stack trace on every promise it makes
 * (`debuggablePromise`, only for a leak report at process exit): several per
 * resource property. Under `pulumi up` those stacks go through the
 * source-map support the SDK installs, frame by frame — about 0.8 s of a
 * berth program's start on the lab's stack (measured with the V8 profiler),
 * more on a busy machine. This formats those stacks plainly (the report still
 * names each promise by resource and property); every other error keeps the
 * source-mapped stack. Returns the function that puts the old formatter back.
 */
export function formatSdkPromiseStacksPlainly(): () => void {
    const previous = Error.prepareStackTrace;
    Error.prepareStackTrace = (error, callSites) => {
        if (callSites[0]?.getFunctionName() === "debuggablePromise") {
            return `${error}\n    at ${callSites[0]} (stack not source-mapped)`;
        }
        return previous ? previous(error, callSites) : `${error}${callSites.map((site) => `\n    at ${site}`).join("")}`;
    };
    return () => {
        Error.prepareStackTrace = previous;
    };
}
