package command

import (
	"testing"

	"github.com/berth-deploy/berth/plugins/internal/sshdtest"
)

// startSSHServer is a real sshd for the remote tests, stopped when the test ends.
func startSSHServer(t *testing.T) *sshdtest.Server {
	t.Helper()
	return sshdtest.Start(t)
}

// prepareSSHServer writes the server's keys and configuration without starting
// it (server.Launch does), so a test can play a host that is still booting.
func prepareSSHServer(t *testing.T) *sshdtest.Server {
	t.Helper()
	return sshdtest.Prepare(t)
}
