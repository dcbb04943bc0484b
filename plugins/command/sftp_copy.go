package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
)

// remoteCopier copies local files and directories to a host over SFTP,
// following CopyToRemote's documented rules:
//   - parent directories of remotePath are created;
//   - a file copied onto an existing directory lands inside it;
//   - a file copied onto an existing file overwrites it;
//   - a directory "dir" lands in remotePath/dir, the contents of "dir/"
//     (trailing slash) land in remotePath, created if needed;
//   - a directory copied onto an existing file is an error.
type remoteCopier struct {
	client *sftp.Client
}

func newRemoteCopier(connection *connectedClient) (*remoteCopier, error) {
	client, err := sftp.NewClient(connection.Client)
	if err != nil {
		return nil, err
	}
	return &remoteCopier{client: client}, nil
}

func (copier *remoteCopier) close() { _ = copier.client.Close() }

// remoteInfo stats a remote path; nil without error when it does not exist.
func (copier *remoteCopier) remoteInfo(remotePath string) (fs.FileInfo, error) {
	info, err := copier.client.Stat(remotePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return info, err
}

func (copier *remoteCopier) copyLocalPath(localPath, remotePath string) error {
	info, err := os.Stat(localPath)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return copier.copyLocalFile(localPath, remotePath)
	}
	return copier.copyLocalDirectory(localPath, remotePath)
}

func (copier *remoteCopier) copyLocalFile(localPath, remotePath string) error {
	target, err := copier.fileTarget(remotePath, filepath.Base(localPath))
	if err != nil {
		return err
	}
	return copier.uploadFile(localPath, target)
}

// writeText writes a StringAsset's text; it has no file name, so remotePath
// must name a file.
func (copier *remoteCopier) writeText(text, remotePath string) error {
	target, err := copier.fileTarget(remotePath, "")
	if err != nil {
		return err
	}
	remoteFile, err := copier.client.Create(target)
	if err != nil {
		return err
	}
	if _, err := remoteFile.Write([]byte(text)); err != nil {
		_ = remoteFile.Close()
		return err
	}
	return remoteFile.Close()
}

// fileTarget resolves where a file goes: inside remotePath when that is a
// directory (needs baseName), else remotePath itself with its parents created.
func (copier *remoteCopier) fileTarget(remotePath, baseName string) (string, error) {
	info, err := copier.remoteInfo(remotePath)
	if err != nil {
		return "", err
	}
	if info != nil && info.IsDir() {
		if baseName == "" {
			return "", fmt.Errorf("remote path %s is a directory; a StringAsset needs a file path", remotePath)
		}
		return path.Join(remotePath, baseName), nil
	}
	if err := copier.client.MkdirAll(path.Dir(remotePath)); err != nil {
		return "", fmt.Errorf("creating %s: %w", path.Dir(remotePath), err)
	}
	return remotePath, nil
}

func (copier *remoteCopier) copyLocalDirectory(localPath, remotePath string) error {
	target := remotePath
	if !strings.HasSuffix(localPath, "/") {
		target = path.Join(remotePath, filepath.Base(localPath))
	}
	for _, directory := range []string{remotePath, target} {
		info, err := copier.remoteInfo(directory)
		if err != nil {
			return err
		}
		if info != nil && !info.IsDir() {
			return fmt.Errorf("remote path %s exists and is not a directory", directory)
		}
	}
	if err := copier.client.MkdirAll(target); err != nil {
		return fmt.Errorf("creating %s: %w", target, err)
	}
	return filepath.WalkDir(localPath, func(localEntry string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		relative, err := filepath.Rel(localPath, localEntry)
		if err != nil {
			return err
		}
		remoteEntry := path.Join(target, filepath.ToSlash(relative))
		if entry.IsDir() {
			return copier.ensureRemoteDirectory(remoteEntry)
		}
		return copier.uploadFile(localEntry, remoteEntry)
	})
}

func (copier *remoteCopier) ensureRemoteDirectory(remotePath string) error {
	info, err := copier.remoteInfo(remotePath)
	if err != nil {
		return err
	}
	if info == nil {
		return copier.client.Mkdir(remotePath)
	}
	if !info.IsDir() {
		return fmt.Errorf("remote path %s exists and is not a directory", remotePath)
	}
	return nil
}

// uploadFile copies one file's bytes. Like the official provider it does not
// carry the local file mode over: new files get the server's default mode.
func (copier *remoteCopier) uploadFile(localPath, remotePath string) error {
	localFile, err := os.Open(localPath)
	if err != nil {
		return err
	}
	defer func() { _ = localFile.Close() }()
	remoteFile, err := copier.client.Create(remotePath)
	if err != nil {
		return fmt.Errorf("creating remote file %s: %w", remotePath, err)
	}
	if _, err := remoteFile.ReadFrom(localFile); err != nil {
		_ = remoteFile.Close()
		return fmt.Errorf("writing remote file %s: %w", remotePath, err)
	}
	return remoteFile.Close()
}
