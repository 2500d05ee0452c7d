package attack

// Supplement holds events the hunt catalog looks for that TrailDiscover
// does not describe (yet). Each says why it is here; the mapping choices are
// ours, not TrailDiscover's.
var Supplement = []Event{}

// extraTechniques names technique ids that query headers use but no mapped
// event carries.
var extraTechniques = map[string]string{}
