package reports

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"sort"
)

// excelize writes zip entries and content-type defaults in map order, so two
// identical reports would differ in bytes and in hash. canonicalZip rewrites
// the package with entries sorted by name ([Content_Types].xml first, as
// Office writes it) and the content types sorted; every other entry is
// copied compressed as it is, so this costs one pass over the bytes.
func canonicalZip(src *os.File, size int64, out io.Writer) error {
	zr, err := zip.NewReader(src, size)
	if err != nil {
		return fmt.Errorf("reopen workbook: %w", err)
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.SliceStable(files, func(i, j int) bool {
		a, b := files[i].Name, files[j].Name
		if (a == contentTypesPart) != (b == contentTypesPart) {
			return a == contentTypesPart
		}
		return a < b
	})
	zw := zip.NewWriter(out)
	for _, f := range files {
		if f.Name == contentTypesPart {
			if err := copyContentTypes(zw, f); err != nil {
				return err
			}
			continue
		}
		raw, err := f.OpenRaw()
		if err != nil {
			return fmt.Errorf("read workbook part %s: %w", f.Name, err)
		}
		hdr := f.FileHeader
		w, err := zw.CreateRaw(&hdr)
		if err != nil {
			return fmt.Errorf("copy workbook part %s: %w", f.Name, err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			return fmt.Errorf("copy workbook part %s: %w", f.Name, err)
		}
	}
	return zw.Close()
}

const contentTypesPart = "[Content_Types].xml"

type ctTypes struct {
	XMLName   xml.Name     `xml:"http://schemas.openxmlformats.org/package/2006/content-types Types"`
	Defaults  []ctDefault  `xml:"Default"`
	Overrides []ctOverride `xml:"Override"`
}

type ctDefault struct {
	Extension   string `xml:"Extension,attr"`
	ContentType string `xml:"ContentType,attr"`
}

type ctOverride struct {
	PartName    string `xml:"PartName,attr"`
	ContentType string `xml:"ContentType,attr"`
}

func copyContentTypes(zw *zip.Writer, f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("read %s: %w", contentTypesPart, err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", contentTypesPart, err)
	}
	var ct ctTypes
	if err := xml.Unmarshal(data, &ct); err != nil {
		return fmt.Errorf("parse %s: %w", contentTypesPart, err)
	}
	sort.Slice(ct.Defaults, func(i, j int) bool { return ct.Defaults[i].Extension < ct.Defaults[j].Extension })
	sort.Slice(ct.Overrides, func(i, j int) bool { return ct.Overrides[i].PartName < ct.Overrides[j].PartName })
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(&ct); err != nil {
		return fmt.Errorf("write %s: %w", contentTypesPart, err)
	}
	hdr := f.FileHeader
	hdr.CompressedSize64, hdr.UncompressedSize64, hdr.CRC32 = 0, 0, 0
	w, err := zw.CreateHeader(&hdr)
	if err != nil {
		return fmt.Errorf("write %s: %w", contentTypesPart, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
