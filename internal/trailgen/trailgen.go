// Package trailgen writes deterministic, realistic CloudTrail trails for
// tests, demos and benchmarks. Given a seed and a base time it lays out an
// organization trail tree exactly as CloudTrail delivers it to S3 (gzip
// files per account, region and five-minute delivery, folder date = delivery
// date, some files delivered twice), fills it with everyday background
// activity, and can plant a known incident — a leaked key bulk-downloading
// a payroll bucket, outside and anonymous readers, bucket changes, a pivot
// into a second account with a backdoor user, and detection-worthy calls —
// whose answers it returns as a Truth. The same Config always produces the
// same bytes; nothing here reads the clock or the environment.
package trailgen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Config says what to generate.
type Config struct {
	// Seed makes the output reproducible: the same Config gives the same bytes.
	Seed uint64
	// Start is the first day of the span, a UTC midnight.
	Start time.Time
	// Days is the length of the span; events fall in [Start, Start+Days).
	Days int
	// EventsPerDay is the number of background events a day; planted
	// scenario events come on top.
	EventsPerDay int
	// OrgID is the organization id in the path (o-...).
	OrgID    string
	Accounts []string
	// Regions; the first one is the home region where the scenario plays.
	Regions []string
	// Scenarios plants the known incident in the last three days of the span
	// (which then need at least four days).
	Scenarios bool

	// GzipLevel is the compress/gzip level; zero means gzip.DefaultCompression.
	GzipLevel int
	// Workers is how many days are written at once; zero means 2.
	Workers int
	// DuplicateEvery makes about one file in DuplicateEvery be delivered
	// twice; zero means 40, negative means never (planted duplicates stay).
	DuplicateEvery int
}

// DefaultAccounts are the account ids used when a caller asks for N accounts.
var DefaultAccounts = []string{"111122223333", "444455556666", "777788889999", "123456789012", "210987654321", "135792468024"}

// DefaultRegions are the regions used when a caller asks for N regions.
var DefaultRegions = []string{"us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"}

// DefaultOrgID is the organization id used by the sample.
const DefaultOrgID = "o-a1b2c3d4e5"

const deliveryInterval = 5 * time.Minute

func (c *Config) validate() error {
	switch {
	case c.Days < 1:
		return errors.New("days must be at least 1")
	case c.EventsPerDay < 0:
		return errors.New("events per day must not be negative")
	case len(c.Accounts) == 0:
		return errors.New("at least one account is needed")
	case len(c.Regions) == 0:
		return errors.New("at least one region is needed")
	case c.OrgID == "":
		return errors.New("an organization id is needed")
	case c.Scenarios && c.Days < 4:
		return errors.New("planted scenarios need at least 4 days")
	case !c.Start.Equal(c.Start.UTC().Truncate(24 * time.Hour)):
		return fmt.Errorf("start %s is not a UTC midnight", c.Start.Format(time.RFC3339))
	}
	for _, a := range c.Accounts {
		if a == ExternalAccount {
			return fmt.Errorf("account %s is reserved for the outside reader", a)
		}
	}
	return nil
}

// Generate writes the trail under root/AWSLogs/<org>/... and returns what it
// planted. root is created if needed; existing files are not removed.
func Generate(root string, c Config) (*Truth, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("generate trail: %w", err)
	}
	c.Start = c.Start.UTC()
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.GzipLevel == 0 {
		c.GzipLevel = gzip.DefaultCompression
	}
	if c.DuplicateEvery == 0 {
		c.DuplicateEvery = 40
	}
	// Separate streams for the cast, the scenario and each day keep one
	// part's output stable when another part changes size.
	w := newWorld(c, rand.New(rand.NewPCG(c.Seed, 0x5eed0001)))
	truth := &Truth{}
	byDay := make([][]Record, c.Days)
	if c.Scenarios {
		var planted []Record
		planted, truth = plant(c, rand.New(rand.NewPCG(c.Seed, 0x5eed0002)))
		for _, rec := range planted {
			d := int(rec.at.Sub(c.Start) / (24 * time.Hour))
			if d < 0 || d >= c.Days {
				return nil, fmt.Errorf("generate trail: planted event %s at %s is outside the span", rec.EventName, rec.EventTime)
			}
			byDay[d] = append(byDay[d], rec)
		}
	}
	truth.Seed, truth.Start, truth.Days = c.Seed, c.Start.Format("2006-01-02"), c.Days
	truth.OrgID, truth.Accounts, truth.Regions = c.OrgID, c.Accounts, c.Regions

	stats := make([]dayStats, c.Days)
	errs := make([]error, c.Days)
	sem := make(chan struct{}, c.Workers)
	var wg sync.WaitGroup
	for d := range c.Days {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := rand.New(rand.NewPCG(c.Seed, 0x1000+uint64(d)))
			day := c.Start.AddDate(0, 0, d)
			recs := byDay[d]
			byDay[d] = nil
			for range c.EventsPerDay {
				recs = append(recs, w.event(r, day))
			}
			stats[d], errs[d] = deliver(root, c, r, recs)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("generate trail: %w", err)
	}
	for _, s := range stats {
		truth.Files += s.files
		truth.Records += s.records
		truth.Events += s.events
		truth.DuplicateRecords += s.dupRecords
		truth.DuplicatedFiles += s.dupFiles
	}
	return truth, nil
}

type dayStats struct {
	files, dupFiles             int
	records, events, dupRecords int64
}

type slotted struct {
	rec  *Record
	slot time.Time
}

// deliver groups records into the files CloudTrail would have written:
// one per account, region and delivery slot, a few minutes after the event.
func deliver(root string, c Config, r *rand.Rand, recs []Record) (dayStats, error) {
	var st dayStats
	items := make([]slotted, len(recs))
	for i := range recs {
		// The file is named after its delivery, which always follows the
		// events it holds by a few minutes.
		delay := 2*time.Minute + time.Duration(r.IntN(10*60))*time.Second
		items[i] = slotted{rec: &recs[i], slot: recs[i].at.Add(delay).Truncate(deliveryInterval).Add(deliveryInterval)}
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.rec.account != b.rec.account {
			return a.rec.account < b.rec.account
		}
		if a.rec.region != b.rec.region {
			return a.rec.region < b.rec.region
		}
		if !a.slot.Equal(b.slot) {
			return a.slot.Before(b.slot)
		}
		if !a.rec.at.Equal(b.rec.at) {
			return a.rec.at.Before(b.rec.at)
		}
		return a.rec.EventID < b.rec.EventID
	})
	fw, err := newFileWriter(root, c)
	if err != nil {
		return st, err
	}
	batch := make([]*Record, 0, 64)
	for i := 0; i < len(items); {
		j := i
		batch = batch[:0]
		dup := false
		for ; j < len(items) && items[j].rec.account == items[i].rec.account &&
			items[j].rec.region == items[i].rec.region && items[j].slot.Equal(items[i].slot); j++ {
			batch = append(batch, items[j].rec)
			dup = dup || items[j].rec.forceDup
		}
		if c.DuplicateEvery > 0 && r.IntN(c.DuplicateEvery) == 0 {
			dup = true
		}
		slot, acct, region := items[i].slot, items[i].rec.account, items[i].rec.region
		if err := fw.write(r, acct, region, slot, batch); err != nil {
			return st, err
		}
		st.files++
		st.records += int64(len(batch))
		st.events += int64(len(batch))
		if dup {
			// The second copy arrives with a later delivery, as when two
			// trails write one bucket.
			if err := fw.write(r, acct, region, slot.Add(deliveryInterval*time.Duration(1+r.IntN(3))), batch); err != nil {
				return st, err
			}
			st.files++
			st.dupFiles++
			st.records += int64(len(batch))
			st.dupRecords += int64(len(batch))
		}
		i = j
	}
	return st, nil
}

type envelope struct {
	Records []*Record `json:"Records"`
}

// fileWriter reuses one compressor and buffer across a day's files: a
// fresh flate writer per small file costs more than the file itself.
type fileWriter struct {
	root string
	c    Config
	buf  bytes.Buffer
	zw   *gzip.Writer
	enc  *json.Encoder
	js   bytes.Buffer
}

func newFileWriter(root string, c Config) (*fileWriter, error) {
	fw := &fileWriter{root: root, c: c}
	// A zero header (no name, no mtime) keeps the bytes reproducible.
	zw, err := gzip.NewWriterLevel(&fw.buf, c.GzipLevel)
	if err != nil {
		return nil, fmt.Errorf("set up compression: %w", err)
	}
	fw.zw = zw
	fw.enc = json.NewEncoder(&fw.js)
	fw.enc.SetEscapeHTML(false)
	return fw, nil
}

func (fw *fileWriter) write(r *rand.Rand, account, region string, slot time.Time, recs []*Record) error {
	dir := filepath.Join(fw.root, "AWSLogs", fw.c.OrgID, account, "CloudTrail", region, slot.Format("2006"), slot.Format("01"), slot.Format("02"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create delivery folder: %w", err)
	}
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, slot.Format("20060102T1504Z"), randString(r, alnum, 16))
	path := filepath.Join(dir, name)
	fw.js.Reset()
	if err := fw.enc.Encode(envelope{Records: recs}); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	fw.buf.Reset()
	fw.zw.Reset(&fw.buf)
	if _, err := fw.zw.Write(fw.js.Bytes()); err != nil {
		return fmt.Errorf("compress %s: %w", path, err)
	}
	if err := fw.zw.Close(); err != nil {
		return fmt.Errorf("compress %s: %w", path, err)
	}
	if err := os.WriteFile(path, fw.buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
