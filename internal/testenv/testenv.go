// Package testenv finds what the tests need outside the package under test: the hotline binary and the shared
// speech recordings in ../shared/audio. It is imported only from _test.go files.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, found by walking up from the working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedAudio returns the path of ../shared/audio/SUB beside the module (HOTLINE_SHARED_AUDIO overrides it), or
// skips the test with a clear message when the recordings are not there.
func SharedAudio(t testing.TB, sub string) string {
	t.Helper()
	base := os.Getenv("HOTLINE_SHARED_AUDIO")
	if base == "" {
		base = filepath.Join(ModuleRoot(t), "..", "shared", "audio")
	}
	dir := filepath.Join(base, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared recordings not found at %s (they live in ../shared/audio beside the project): %v", dir, err)
	}
	return dir
}

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// Hotline returns the path of a hotline binary: $HOTLINE_BIN when the Makefile set it, otherwise one built once
// per test process into a temporary directory.
func Hotline(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("HOTLINE_BIN"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hotline-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "hotline")
		cmd := exec.Command("go", "build", "-o", builtPath, "./cmd/hotline")
		cmd.Dir = ModuleRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("testenv: building hotline: %v", buildErr)
	}
	return builtPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// Need skips the test when a program is not on PATH, naming the Debian package that provides it.
func Need(t testing.TB, program, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("%s not found (Debian package %s; `make test` installs it)", program, debianPackage)
	}
	return p
}
