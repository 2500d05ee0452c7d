// The digest chain: each digest against the one before it, and the digests
// nothing names any more.

package integrity

import (
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// chains checks every digest's link to the one before it, per root,
// account, region and trail (backfill digests chain apart).
func (v *validation) chains(digests []*digestFile) {
	streams := map[string][]*digestFile{}
	var order []string
	for _, df := range digests {
		if df.d == nil {
			continue
		}
		pl := df.obj.Place
		k := strings.Join([]string{df.obj.Root, pl.Account, pl.Region, pl.Trail, fmt.Sprint(pl.Backfill)}, "|")
		if _, ok := streams[k]; !ok {
			order = append(order, k)
		}
		streams[k] = append(streams[k], df)
	}
	sort.Strings(order)
	for _, k := range order {
		ds := streams[k]
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].status.End.Before(ds[j].status.End) })
		first := ds[0]
		pl := first.obj.Place
		ch := Chain{Root: first.obj.Root, Account: pl.Account, Region: pl.Region, Trail: pl.Trail, From: first.status.Start, To: ds[len(ds)-1].status.End, Digests: len(ds)}
		before := len(v.r.Findings)
		for i, df := range ds {
			v.link(df, ds, i)
		}
		if !pl.Backfill {
			v.successorsOf(ds)
		}
		for _, f := range v.r.Findings[before:] {
			if f.Kind.Fails() {
				ch.Broken = true
			}
		}
		if !pl.Backfill {
			v.r.Chains = append(v.r.Chains, ch)
		}
	}
}

// link checks df's previous-digest fields against that digest.
func (v *validation) link(df *digestFile, ds []*digestFile, i int) {
	d := df.d
	if d.PreviousS3Object == nil || *d.PreviousS3Object == "" {
		if i > 0 && !df.obj.Place.Backfill {
			p := ds[i-1]
			v.add(Gap, df.obj.Path, "CloudTrail started a new digest chain here: no digest covers %s to %s (logging or log file validation was off, or the trail changed)", stamp(p.status.End), stamp(df.status.Start))
		}
		return
	}
	prevRel := Rel(*d.PreviousS3Object)
	prevPath := joinPath(df.obj.Root, prevRel)
	p := v.byRel[df.obj.Root+"|"+prevRel]
	if p == nil {
		pl, ok := ParsePlace(prevRel)
		if ok && pl.Day.Before(v.logFrom) {
			return // before the days examined
		}
		v.add(Missing, prevPath, "digest missing: %s names it as the previous digest", path.Base(df.obj.Rel))
		v.lost(df, df.status.Start.Add(-time.Hour), df.status.Start, prevPath)
		return
	}
	if len(v.successors[p.obj.Root+"|"+p.obj.Rel]) > 1 && v.successors[p.obj.Root+"|"+p.obj.Rel][0] != df {
		v.add(ChainBreak, df.obj.Path, "a second digest names %s as its previous digest", path.Base(p.obj.Rel))
	}
	if p.d == nil {
		return // reported as unreadable
	}
	got := hex.EncodeToString(p.sum[:])
	if d.PreviousHash == nil || !strings.EqualFold(*d.PreviousHash, got) {
		want := "none"
		if d.PreviousHash != nil {
			want = *d.PreviousHash
		}
		v.add(ChainBreak, df.obj.Path, "names %s as previous digest with hash %s, but that file's content hashes to %s", path.Base(p.obj.Rel), want, got)
	}
	if d.PreviousHashAlg != nil && *d.PreviousHashAlg != "SHA-256" {
		v.add(ChainBreak, df.obj.Path, "previous digest hash algorithm %q, not SHA-256", *d.PreviousHashAlg)
	}
	if p.sig != nil && d.PreviousSignature != nil && !strings.EqualFold(*d.PreviousSignature, p.sig.Hex) {
		v.add(ChainBreak, df.obj.Path, "the previous digest's signature it records differs from the signature of %s", path.Base(p.obj.Rel))
	}
	if !df.obj.Place.Backfill && !df.status.Start.Equal(p.status.End) {
		v.add(ChainBreak, df.obj.Path, "starts at %s but the previous digest %s ends at %s", stamp(df.status.Start), path.Base(p.obj.Rel), stamp(p.status.End))
	}
}

// successorsOf finds digests nothing names as previous although later ones
// exist (deleted digests no remaining file names), and a chain that stops
// early.
func (v *validation) successorsOf(ds []*digestFile) {
	for i, df := range ds {
		if len(v.successors[df.obj.Root+"|"+df.obj.Rel]) > 0 {
			continue
		}
		if i == len(ds)-1 {
			// The newest digest: CloudTrail delivers one every hour, so a
			// chain that ends well before the store was read lost its end.
			end := v.digTo.AddDate(0, 0, 1)
			if v.ref.Before(end) {
				end = v.ref
			}
			if end.Sub(df.status.End) > notYetWindow {
				p := v.predicted(df, df.status.End.Add(time.Hour))
				v.lost(df, df.status.End, end, p)
				v.add(Missing, p, "digest missing (inferred): nothing follows %s, which ended %s, although CloudTrail delivers a digest every hour until %s (digests deleted, or logging or validation stopped then)", path.Base(df.obj.Rel), stamp(df.status.End), stamp(end))
			}
			continue
		}
		next := ds[i+1]
		if next.d.PreviousS3Object == nil {
			continue // a new chain: reported as a gap
		}
		named := v.byRel[next.obj.Root+"|"+Rel(*next.d.PreviousS3Object)]
		if named != nil {
			v.add(ChainBreak, df.obj.Path, "not in the chain: the next digest %s names %s as its previous digest", path.Base(next.obj.Rel), path.Base(named.obj.Rel))
			continue
		}
		// next names a missing digest (reported); the hours between this one
		// and it are gone too.
		namedPl, ok := ParsePlace(Rel(*next.d.PreviousS3Object))
		if !ok {
			continue
		}
		for t := df.status.End.Add(time.Hour); namedPl.Delivered.Sub(t) > 30*time.Minute; t = t.Add(time.Hour) {
			p := v.predicted(df, t)
			v.lost(df, t.Add(-time.Hour), t, p)
			v.add(Missing, p, "digest missing (inferred): nothing names %s as its previous digest, and %s names %s, so the digest for the hour ending about %s is gone too", path.Base(df.obj.Rel), path.Base(next.obj.Rel), path.Base(namedPl.Name), stamp(t))
		}
	}
}

// predicted is the path CloudTrail would give df's successor ending at t.
func (v *validation) predicted(df *digestFile, t time.Time) string {
	pl := df.obj.Place
	suffix := ".json.gz"
	name := fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s%s", pl.Account, pl.Region, pl.Trail, t.UTC().Format("20060102T150405Z"), suffix)
	dir := path.Dir(path.Dir(path.Dir(path.Dir(df.obj.Rel))))
	return joinPath(df.obj.Root, dir+"/"+t.UTC().Format("2006/01/02")+"/"+name)
}
