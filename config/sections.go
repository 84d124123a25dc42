package config

import (
	"fmt"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/sip"
	"github.com/hotline/hotline/store"
)

// sections holds the configuration of the working packages, each under its own top-level key. The packages own
// their keys, defaults and validation; this file only composes them.
type sections struct {
	SIP     sip.Config         `yaml:"sip"`
	Media   media.Config       `yaml:"media"`
	Prosody prosody.Config     `yaml:"prosody"`
	ASR     asr.Config         `yaml:"asr"`
	Dialog  dialog.Config      `yaml:"dialog"`
	Agents  agentbridge.Config `yaml:"agents"`
	Store   store.Config       `yaml:"store"`
	Quality quality.Config     `yaml:"quality"`
}

func defaultSections() sections {
	return sections{
		SIP:     sip.DefaultConfig(),
		Media:   media.DefaultConfig(),
		Prosody: prosody.DefaultConfig(),
		ASR:     asr.DefaultConfig(),
		Dialog:  dialog.DefaultConfig(),
		Agents:  agentbridge.DefaultConfig(),
		Store:   store.DefaultConfig(),
		Quality: quality.DefaultConfig(),
	}
}

func (s sections) validate() error {
	checks := []struct {
		key string
		err error
	}{
		{"sip", s.SIP.Validate()},
		{"media", s.Media.Validate()},
		{"prosody", s.Prosody.Validate()},
		{"asr", s.ASR.Validate()},
		{"dialog", s.Dialog.Validate()},
		{"agents", s.Agents.Validate()},
		{"store", s.Store.Validate()},
		{"quality", s.Quality.Validate()},
	}
	for _, c := range checks {
		if c.err != nil {
			return fmt.Errorf("%s: %w", c.key, c.err)
		}
	}
	return nil
}
