export { readStackConfig, StackConfig } from "./config";
export { deployStack, StackOutputs, AppOutputs } from "./deploy";
export { previousReleases, pickPrevious, PreviousRelease } from "./history";
