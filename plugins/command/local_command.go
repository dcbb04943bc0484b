package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// localCommandKind is command:local:Command: the command runs on this
// machine, through an interpreter (default /bin/sh -c).
type localCommandKind struct{}

var defaultInterpreter = []string{"/bin/sh", "-c"}

func (localCommandKind) name() string { return string(localCommandToken) }

func (localCommandKind) ownProperties() propertySpec {
	return propertySpec{
		supported: map[string]valueKind{
			"dir":         stringValue,
			"interpreter": stringListValue,
		},
		unsupported: map[string]string{
			"assetPaths":   "collecting files as assets after the command is not implemented",
			"archivePaths": "collecting files as an archive after the command is not implemented",
		},
	}
}

func (localCommandKind) checkOwnInputs(*inputValidator, resource.PropertyMap) {}

func (localCommandKind) normalize(resource.PropertyMap) {}

func (localCommandKind) runnerFor(inputs resource.PropertyMap) (commandRunner, error) {
	runner := localRunner{interpreter: stringListInput(inputs, "interpreter")}
	if len(runner.interpreter) == 0 {
		runner.interpreter = defaultInterpreter
	}
	runner.directory, _ = stringInput(inputs, "dir")
	return runner, nil
}

// localRunner runs `interpreter... command` as a child process.
type localRunner struct {
	interpreter []string
	directory   string // empty: the provider's working directory, i.e. the Pulumi program's
}

func (runner localRunner) run(ctx context.Context, step resourceStep, invocation commandInvocation) (commandResult, error) {
	arguments := append(append([]string{}, runner.interpreter[1:]...), invocation.commandText)
	process := exec.CommandContext(ctx, runner.interpreter[0], arguments...)
	process.Dir = runner.directory
	process.Env = os.Environ()
	for _, variable := range append(invocation.environment, invocation.previousOutput...) {
		process.Env = append(process.Env, variable.name+"="+variable.value)
	}
	if invocation.stdin != "" {
		process.Stdin = strings.NewReader(invocation.stdin)
	}
	// The command gets its own process group so that cancelling kills the
	// shell *and* what it started; otherwise a background child would keep
	// the output pipes open and the step would hang.
	process.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	process.Cancel = func() error { return syscall.Kill(-process.Process.Pid, syscall.SIGKILL) }

	collector := newOutputCollector(ctx, step, invocation.logging)
	process.Stdout = collector.stdoutWriter()
	process.Stderr = collector.stderrWriter()
	err := process.Run()
	collector.finish()
	if err == nil {
		return collector.result(), nil
	}
	return commandResult{}, &commandFailure{
		exit:        localExitDescription(ctx, err),
		commandText: invocation.commandText,
		isSecret:    invocation.commandIsSecret,
		outputTail:  collector.outputTail(),
	}
}

func localExitDescription(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "cancellation (" + ctx.Err().Error() + ")"
	}
	var exitError *exec.ExitError
	if errors.As(err, &exitError) {
		if status, ok := exitError.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return fmt.Sprintf("signal %s", status.Signal())
		}
		return fmt.Sprintf("exit code %d", exitError.ExitCode())
	}
	// The process did not start: missing interpreter, missing dir, ...
	return "an error starting it (" + err.Error() + ")"
}
