package config

// sections holds the configuration of the working packages, each under its own key. It is embedded inline in
// Config so the file reads flat: `sip:`, `media:`, … at top level.
type sections struct{}

func defaultSections() sections { return sections{} }

func (s sections) validate() error { return nil }
