// Package soffice runs LibreOffice headless for the tests that prove a real
// spreadsheet program opens the reports counsel receives. Without
// LibreOffice a test skips on a developer's machine and fails under CI
// (CI=true), so CI can never pass such a test silently.
package soffice

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Path returns the LibreOffice binary, or skips (fails under CI) without it.
func Path(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("LibreOffice (soffice) is not on PATH; CI must have it (apt-get install libreoffice-calc)")
	}
	t.Skip("LibreOffice (soffice) not on PATH; install libreoffice-calc to run this test")
	return ""
}

// Convert converts book with the given --convert-to filter ("pdf", or a
// csv filter string) into outDir with a fresh user profile, and fails the
// test if LibreOffice cannot.
func Convert(t testing.TB, book, filter, outDir string) {
	t.Helper()
	ConvertAll(t, []string{book}, filter, outDir)
}

// ConvertAll converts several books in one LibreOffice run (starting it
// costs most of the time); each lands in outDir under its own base name,
// so the books' base names must differ.
func ConvertAll(t testing.TB, books []string, filter, outDir string) {
	t.Helper()
	bin := Path(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"-env:UserInstallation=file://" + filepath.ToSlash(t.TempDir()), "--headless", "--norestore",
		"--convert-to", filter, "--outdir", outDir}
	cmd := exec.CommandContext(ctx, bin, append(args, books...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("LibreOffice could not convert %v to %s: %v\n%s", books, filter, err, msg)
	}
}

// PDFToText returns the path of pdftotext (poppler-utils), or skips (fails
// under CI) without it.
func PDFToText(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("pdftotext"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("pdftotext is not on PATH; CI must have it (apt-get install poppler-utils)")
	}
	t.Skip("pdftotext not on PATH; install poppler-utils to run this test")
	return ""
}
