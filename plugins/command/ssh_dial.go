package command

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func (connection sshConnection) address() string {
	return net.JoinHostPort(connection.host, strconv.Itoa(connection.port))
}

// connectedClient is an SSH client plus what must be closed with it (the
// proxy's client, the agent socket).
type connectedClient struct {
	*ssh.Client
	alsoClose []io.Closer
}

func (client *connectedClient) Close() error {
	err := client.Client.Close()
	for _, closer := range client.alsoClose {
		_ = closer.Close()
	}
	return err
}

// dial connects and authenticates, through the proxy when there is one,
// retrying as dialErrorLimit allows: lab hosts may still be booting.
func (connection sshConnection) dial(ctx context.Context, step resourceStep) (*connectedClient, error) {
	config, agentConnection, err := connection.clientConfig()
	if err != nil {
		return nil, err
	}
	var alsoClose []io.Closer
	if agentConnection != nil {
		alsoClose = append(alsoClose, agentConnection)
	}
	closeAll := func() {
		for _, closer := range alsoClose {
			_ = closer.Close()
		}
	}

	if connection.proxy == nil {
		client, err := retryDial(ctx, step, "SSH connection to "+connection.address(), connection.dialErrorLimit,
			func(ctx context.Context) (*ssh.Client, error) {
				return dialDirect(ctx, connection.address(), config, connection.perDialTimeout)
			})
		if err != nil {
			closeAll()
			return nil, err
		}
		return &connectedClient{Client: client, alsoClose: alsoClose}, nil
	}

	proxyClient, err := connection.proxy.dial(ctx, step)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("proxy %s: %w", connection.proxy.address(), err)
	}
	alsoClose = append(alsoClose, proxyClient)
	client, err := retryDial(ctx, step, "SSH connection to "+connection.address()+" through proxy", connection.dialErrorLimit,
		func(ctx context.Context) (*ssh.Client, error) {
			return dialThroughProxy(ctx, proxyClient, connection.address(), config, connection.perDialTimeout)
		})
	if err != nil {
		closeAll()
		return nil, err
	}
	return &connectedClient{Client: client, alsoClose: alsoClose}, nil
}

// clientConfig builds authentication and host key checking. Like the
// official provider it offers, in order: the private key, the password (also
// for keyboard-interactive prompts), the SSH agent.
func (connection sshConnection) clientConfig() (*ssh.ClientConfig, io.Closer, error) {
	config := &ssh.ClientConfig{User: connection.user}
	if connection.privateKey != "" {
		signer, err := parsePrivateKey(connection.privateKey, connection.privateKeyPassword)
		if err != nil {
			return nil, nil, fmt.Errorf("property \"connection.privateKey\": %w", err)
		}
		config.Auth = append(config.Auth, ssh.PublicKeys(signer))
	}
	if connection.password != "" {
		password := connection.password
		config.Auth = append(config.Auth,
			ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for index := range answers {
					answers[index] = password
				}
				return answers, nil
			}))
	}
	agentConnection, err := connection.agentConnection()
	if err != nil {
		return nil, nil, err
	}
	if agentConnection != nil {
		config.Auth = append(config.Auth, ssh.PublicKeysCallback(agent.NewClient(agentConnection).Signers))
	}
	if len(config.Auth) == 0 {
		return nil, nil, fmt.Errorf("connection to %s has no credentials: set privateKey, password or an SSH agent", connection.address())
	}

	if connection.hostKey == "" {
		// Without `hostKey` the official provider accepts any host key, and so
		// do we: lab hosts get fresh host keys every time they are rebuilt.
		config.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	} else {
		expected, _, _, _, err := ssh.ParseAuthorizedKey([]byte(connection.hostKey))
		if err != nil {
			return nil, nil, fmt.Errorf("property \"connection.hostKey\": %w", err)
		}
		config.HostKeyCallback = ssh.FixedHostKey(expected)
		config.HostKeyAlgorithms = hostKeyAlgorithmsFor(expected)
	}
	return config, agentConnection, nil
}

func parsePrivateKey(privateKey, passphrase string) (ssh.Signer, error) {
	if passphrase != "" {
		return ssh.ParsePrivateKeyWithPassphrase([]byte(privateKey), []byte(passphrase))
	}
	return ssh.ParsePrivateKey([]byte(privateKey))
}

// agentConnection opens the agent socket: the explicit agentSocketPath (an
// error if it cannot be reached), else SSH_AUTH_SOCK when it works.
func (connection sshConnection) agentConnection() (net.Conn, error) {
	if connection.agentSocketPath != "" {
		socket, err := net.Dial("unix", connection.agentSocketPath)
		if err != nil {
			return nil, fmt.Errorf("property \"connection.agentSocketPath\": %w", err)
		}
		return socket, nil
	}
	if fromEnvironment := os.Getenv("SSH_AUTH_SOCK"); fromEnvironment != "" {
		if socket, err := net.Dial("unix", fromEnvironment); err == nil {
			return socket, nil
		}
	}
	return nil, nil
}

// hostKeyAlgorithmsFor makes the server present the key type we can check;
// an RSA key may be signed with any of the RSA signature algorithms.
func hostKeyAlgorithmsFor(key ssh.PublicKey) []string {
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{key.Type()}
}

func dialDirect(ctx context.Context, address string, config *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, err
	}
	return handshake(conn, address, config, timeout)
}

func dialThroughProxy(
	ctx context.Context, proxy *connectedClient, address string, config *ssh.ClientConfig, timeout time.Duration,
) (*ssh.Client, error) {
	dialContext := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		dialContext, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	conn, err := proxy.DialContext(dialContext, "tcp", address)
	if err != nil {
		return nil, err
	}
	return handshake(conn, address, config, timeout)
}

// handshake runs the SSH handshake on conn, bounded by the per-dial timeout
// too (a booting host may accept TCP long before sshd answers).
func handshake(conn net.Conn, address string, config *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	if timeout > 0 {
		_ = conn.SetDeadline(time.Now().Add(timeout))
	}
	clientConn, channels, requests, err := ssh.NewClientConn(conn, address, config)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(clientConn, channels, requests), nil
}

// Backoff between dial attempts: short at first, at most a few seconds.
const (
	firstDialRetryDelay = 500 * time.Millisecond
	maximumDialDelay    = 5 * time.Second
)

// retryDial calls attempt until it succeeds, the context ends, or more than
// errorLimit attempts failed (errorLimit -1: no limit), as the official
// provider counts dialErrorLimit.
func retryDial[T any](
	ctx context.Context, step resourceStep, what string, errorLimit int, attempt func(context.Context) (T, error),
) (T, error) {
	delay := firstDialRetryDelay
	for failures := 1; ; failures++ {
		result, err := attempt(ctx)
		if err == nil {
			return result, nil
		}
		var none T
		if ctx.Err() != nil {
			return none, fmt.Errorf("%s: %w", what, ctx.Err())
		}
		if errorLimit >= 0 && failures > errorLimit {
			return none, fmt.Errorf("%s: giving up after %d failed attempts (dialErrorLimit %d): %w", what, failures, errorLimit, err)
		}
		limit := "unlimited"
		if errorLimit >= 0 {
			limit = strconv.Itoa(errorLimit)
		}
		step.status(ctx, fmt.Sprintf("%s failed (%d/%s): %v; retrying in %s", what, failures, limit, err, delay))
		select {
		case <-ctx.Done():
			return none, fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*3/2, maximumDialDelay)
	}
}
