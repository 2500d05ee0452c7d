package trailtest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ctathena/ctathena/integrity"
)

// AddDigests writes, into a folder of log files in the AWSLogs layout (a
// tree internal/trailgen made), the hourly digest chain CloudTrail would
// have written for it over [from, to), as if the folder were
// s3://bucket/, with signature sidecars, signed by k. It returns the number
// of digests.
func AddDigests(root, bucket, trailName string, from, to time.Time, k *Key) (int, error) {
	type stream struct{ base, org, account, region string }
	files := map[stream]map[time.Time][]integrity.LogFile{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel := integrity.Rel(filepath.ToSlash(p))
		pl, ok := integrity.ParsePlace(rel)
		if !ok || pl.Digest {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		base := rel[:strings.Index(rel, "/CloudTrail/")+1]
		s := stream{base, pl.OrgID, pl.Account, pl.Region}
		if files[s] == nil {
			files[s] = map[time.Time][]integrity.LogFile{}
		}
		h := pl.Delivered.Truncate(time.Hour)
		files[s][h] = append(files[s][h], integrity.LogFile{S3Bucket: bucket, S3Object: rel, HashValue: sha(body), HashAlgorithm: "SHA-256"})
		return nil
	})
	if err != nil {
		return 0, err
	}
	t := &Trail{Bucket: bucket, Name: trailName, HomeRegion: "us-east-1", Keys: []*Key{k}}
	var streams []stream
	for s := range files {
		streams = append(streams, s)
	}
	sort.Slice(streams, func(i, j int) bool { return streams[i].base+streams[i].region < streams[j].base+streams[j].region })
	n := 0
	for _, s := range streams {
		t.OrgID = s.org
		var prev *integrity.Digest
		var prevSig string
		var prevRaw []byte
		for h := from; h.Before(to); h = h.Add(time.Hour) {
			in := digestIn{account: s.account, region: s.region, start: h, end: h.Add(time.Hour), logs: files[s][h]}
			sort.Slice(in.logs, func(i, j int) bool { return in.logs[i].S3Object < in.logs[j].S3Object })
			d, raw, sig, obj, err := t.digest(in, prev, prevSig, prevRaw)
			if err != nil {
				return n, err
			}
			if err := WriteCopy(root, "", []Object{obj}, false); err != nil {
				return n, err
			}
			sc, _ := integrity.SidecarFromMetadata(bucket, obj.Key, obj.Meta)
			b, _ := json.MarshalIndent(sc, "", "  ")
			if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(obj.Key))+integrity.SidecarSuffix, b, 0o644); err != nil {
				return n, err
			}
			prev, prevSig, prevRaw = d, sig, raw
			n++
		}
	}
	return n, nil
}
