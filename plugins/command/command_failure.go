package command

import (
	"fmt"
	"strings"
)

// commandFailure is the error of a command that ran and failed. Its text
// names the exit code, the command (unless the command is secret: the
// official provider prints it regardless, berth does not) and the tail of
// the command's combined output, so the deployment log says why it failed.
type commandFailure struct {
	exit        string // "exit code 3", "killed by signal TERM", ...
	commandText string
	isSecret    bool
	outputTail  string
}

func (failure *commandFailure) Error() string {
	shown := fmt.Sprintf("%q", failure.commandText)
	if failure.isSecret {
		shown = "[secret]"
	}
	message := fmt.Sprintf("command failed with %s: running %s", failure.exit, shown)
	if tail := strings.TrimRight(failure.outputTail, "\n"); tail != "" {
		if len(failure.outputTail) >= failureTailBytes {
			tail = "[...]" + tail
		}
		message += ":\n" + tail
	}
	return message
}
