package trailgen

import (
	"sort"
	"time"
)

// link is what one event says about the pivot graph: who acted, with which
// key, from where, and which key its response handed out.
type link struct {
	at         time.Time
	principal  string
	key        string
	ip         string
	mintedKey  string
	createdKey string
}

func recordLink(rec *Record) link {
	l := link{at: rec.at, key: rec.UserIdentity.AccessKeyID, ip: rec.SourceIPAddress}
	if rec.UserIdentity.ARN != "" {
		l.principal = rec.UserIdentity.ARN
	}
	if resp, ok := rec.ResponseElements.(map[string]any); ok {
		if c, ok := resp["credentials"].(map[string]any); ok {
			l.mintedKey, _ = c["accessKeyId"].(string)
		}
		if k, ok := resp["accessKey"].(map[string]any); ok {
			l.createdKey, _ = k["accessKeyId"].(string)
		}
	}
	return l
}

// pivotGraph expands from seed (an access key, identity ARN or IP) over the
// links inside [since, until) until nothing new appears.
func pivotGraph(links []link, seed string, since, until time.Time) *PivotTruth {
	kind := map[string]string{}
	adj := map[string]map[string]bool{}
	var edges []Edge
	seenEdge := map[Edge]bool{}
	excluded := map[string]map[string]bool{} // principal -> service sources
	add := func(from, fromKind, to, toKind, rel string) {
		if from == "" || to == "" {
			return
		}
		kind[from], kind[to] = fromKind, toKind
		e := Edge{From: from, To: to, Relation: rel}
		if !seenEdge[e] {
			seenEdge[e] = true
			edges = append(edges, e)
		}
		if adj[from] == nil {
			adj[from] = map[string]bool{}
		}
		if adj[to] == nil {
			adj[to] = map[string]bool{}
		}
		adj[from][to] = true
		adj[to][from] = true
	}
	for _, l := range links {
		if l.at.Before(since) || !l.at.Before(until) {
			continue
		}
		if l.principal != "" {
			add(l.principal, "identity", l.key, "access_key", "uses_key")
			if isServiceSource(l.ip) {
				if excluded[l.principal] == nil {
					excluded[l.principal] = map[string]bool{}
				}
				excluded[l.principal][l.ip] = true
			} else {
				add(l.principal, "identity", l.ip, "ip", "from_ip")
			}
		}
		from, fromKind := l.key, "access_key"
		if from == "" {
			from, fromKind = l.principal, "identity"
		}
		add(from, fromKind, l.mintedKey, "access_key", "minted")
		add(from, fromKind, l.createdKey, "access_key", "created")
	}
	round := map[string]int{seed: 0}
	frontier := []string{seed}
	maxRound := 0
	for r := 1; len(frontier) > 0; r++ {
		var next []string
		for _, n := range frontier {
			for m := range adj[n] {
				if _, ok := round[m]; !ok {
					round[m] = r
					next = append(next, m)
					maxRound = r
				}
			}
		}
		sort.Strings(next)
		frontier = next
	}
	pt := &PivotTruth{SeedKind: kind[seed], Seed: seed, Rounds: maxRound}
	if pt.SeedKind == "" {
		pt.SeedKind = "access_key"
	}
	exc := map[string]bool{}
	for n, r := range round {
		pt.Nodes = append(pt.Nodes, Node{Kind: kind[n], Value: n, Round: r})
		for ip := range excluded[n] {
			exc[ip] = true
		}
	}
	sort.Slice(pt.Nodes, func(i, j int) bool {
		a, b := pt.Nodes[i], pt.Nodes[j]
		if a.Round != b.Round {
			return a.Round < b.Round
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Value < b.Value
	})
	for _, e := range edges {
		_, okF := round[e.From]
		_, okT := round[e.To]
		if okF && okT {
			pt.Edges = append(pt.Edges, e)
		}
	}
	sort.Slice(pt.Edges, func(i, j int) bool {
		a, b := pt.Edges[i], pt.Edges[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Relation < b.Relation
	})
	for ip := range exc {
		pt.Excluded = append(pt.Excluded, ip)
	}
	sort.Strings(pt.Excluded)
	return pt
}
