// Package soffice runs LibreOffice headless for the tests that prove a real
// spreadsheet program opens the reports counsel receives. Without
// LibreOffice a test skips on a developer's machine and fails under CI
// (CI=true), so CI can never pass such a test silently.
package soffice

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
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

// Word is one word of a PDF page as pdftotext -bbox reports it (points,
// origin top left).
type Word struct {
	Text                   string
	XMin, YMin, XMax, YMax float64
}

var (
	pageRE = regexp.MustCompile(`<page width="[0-9.]+" height="[0-9.]+">`)
	wordRE = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
)

// Pages reads every word of every page of a PDF with pdftotext -bbox.
func Pages(t testing.TB, pdf string) [][]Word {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bbox.html")
	if msg, err := exec.Command(PDFToText(t), "-bbox", pdf, out).CombinedOutput(); err != nil {
		t.Fatalf("pdftotext -bbox %s: %v\n%s", pdf, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	unescape := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&apos;", "'")
	var pages [][]Word
	for _, part := range pageRE.Split(string(data), -1)[1:] {
		var words []Word
		for _, m := range wordRE.FindAllStringSubmatch(part, -1) {
			f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
			words = append(words, Word{Text: unescape.Replace(m[5]), XMin: f(m[1]), YMin: f(m[2]), XMax: f(m[3]), YMax: f(m[4])})
		}
		pages = append(pages, words)
	}
	return pages
}

// Text is a page's words joined by single spaces.
func Text(words []Word) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w.Text
	}
	return strings.Join(parts, " ")
}

// CalibrationBook writes a one-sheet workbook whose text is exactly pt
// points at 100% in the given font: the height pdftotext gives its words
// is the least a report's words may have (word boxes are taller than the
// font size by the font's ascent and descent). Convert it in the same
// LibreOffice run as the reports and pass it to MinWordHeight.
func CalibrationBook(t testing.TB, dir, font string, pt float64) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, bold := range []bool{false, true} {
		st, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: font, Size: pt, Bold: bold}})
		if err != nil {
			t.Fatal(err)
		}
		cell := "A" + strconv.Itoa(i+1)
		if err := f.SetCellStr("Sheet1", cell, "calibration text arn:aws:iam::111122223333:user/x 2026-11-05 00:00 UTC"); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle("Sheet1", cell, cell, st); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "calibration.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// MinWordHeight is the smallest word height in a calibration PDF.
func MinWordHeight(t testing.TB, pdf string) float64 {
	t.Helper()
	pages := Pages(t, pdf)
	if len(pages) != 1 || len(pages[0]) < 5 {
		t.Fatalf("calibration PDF %s: %d pages", pdf, len(pages))
	}
	h := 1e9
	for _, w := range pages[0] {
		h = min(h, w.YMax-w.YMin)
	}
	return h
}

// CheckPages checks what every printed page of a report must show: the
// footer "page N of M" with N its place and M the total, the marking, and
// no word under minHeight (from MinWordHeight) high.
func CheckPages(t testing.TB, name string, pages [][]Word, marking string, minHeight float64) {
	t.Helper()
	if len(pages) == 0 {
		t.Errorf("%s: no pages", name)
		return
	}
	small := 0
	marking = strings.Join(strings.Fields(marking), " ")
	for i, page := range pages {
		text := strings.Join(strings.Fields(Text(page)), " ")
		if want := fmt.Sprintf("page %d of %d", i+1, len(pages)); !strings.Contains(text, want) {
			t.Errorf("%s: page %d lacks %q", name, i+1, want)
		}
		if !strings.Contains(text, marking) {
			t.Errorf("%s: page %d lacks the marking %q", name, i+1, marking)
		}
		for _, w := range page {
			if h := w.YMax - w.YMin; h < minHeight*0.97 && small < 10 {
				small++
				t.Errorf("%s: page %d: %q prints %.2f pt high, smaller than 8 pt text (%.2f)", name, i+1, w.Text, h, minHeight)
			}
		}
	}
}
