// Package command is berth's offline stand-in for the official
// pulumi-resource-command plugin. It serves the requests the npm SDK
// @pulumi/command@1.2.1 sends for command:local:Command,
// command:remote:Command and command:remote:CopyToRemote, with the official
// provider's semantics for the inputs berth uses. Inputs it does not
// implement are refused in Check with a message naming the property, never
// silently ignored.
//
// Differences from the official provider, all deliberate:
//   - remote environment variables the SSH server refuses (no AcceptEnv) are
//     exported in front of the command instead of failing the step; a warning
//     names the variables;
//   - a failing command's error shows "[secret]" instead of the command text
//     when the command input is secret;
//   - local.Command assetPaths/archivePaths, remote:CopyFile and the
//     local:run/remote:run functions are not implemented.
package command
