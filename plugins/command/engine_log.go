package command

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// EngineLogger is the part of the engine's host client this provider uses
// (provider.HostClient satisfies it). Log messages stay in the final output;
// LogStatus messages are ephemeral: they show in the progress display's Info
// column while the step runs, which is where the official provider streams
// command output.
type EngineLogger interface {
	Log(ctx context.Context, severity diag.Severity, urn resource.URN, message string) error
	LogStatus(ctx context.Context, severity diag.Severity, urn resource.URN, message string) error
}

// resourceStep is what one Create/Update/Delete call knows about its context.
type resourceStep struct {
	urn     resource.URN
	preview bool
	engine  EngineLogger // nil when there is no engine (tests, attach mode)
}

// status shows an ephemeral progress line for the resource.
func (step resourceStep) status(ctx context.Context, message string) {
	if step.engine != nil {
		// Logging is best effort: a lost progress line must not fail the step.
		_ = step.engine.LogStatus(ctx, diag.Info, step.urn, message)
	}
}

// warn leaves a warning in the final output of the deployment.
func (step resourceStep) warn(ctx context.Context, message string) {
	if step.engine != nil {
		_ = step.engine.Log(ctx, diag.Warning, step.urn, message)
	}
}
