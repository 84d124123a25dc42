// Package config is hotline's configuration file: one YAML document whose sections are the Config types of the
// packages that do the work (sip, media, asr, dialog, agentbridge, store, …). It exists so that `hotline serve` and
// every other subcommand read the same file the same way — defaults first, then the file, strictly (an unknown
// key is an error naming the file and line), then validation that names the key at fault. It owns no behaviour.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/hotline/hotline/callflow"
)

// Config is the whole file. Each field's comment gives its key and default; the README lists them all.
type Config struct {
	// data_dir: where the database, recordings, the API token and logs of unanswered questions live ("./data").
	DataDir string `yaml:"data_dir"`
	// log: level (debug, info, warn, error; "info") and format (text or json; "text").
	Log LogConfig `yaml:"log"`
	// http: the web side (softphone, API, metrics).
	HTTP HTTPConfig `yaml:"http"`
	// call: what every answered call does before the bot or the queue takes it.
	Call callflow.Config `yaml:"call"`

	sections `yaml:",inline"`
}

// LogConfig sets the slog handler.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug | info | warn | error ("info")
	Format string `yaml:"format"` // text | json ("text")
}

// HTTPConfig is the web listener.
type HTTPConfig struct {
	Addr string `yaml:"addr"` // listen address ("127.0.0.1:8080")
	// allowed_origins: extra Origin values accepted on WebSockets besides the page's own host ([]).
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// Default returns the configuration `hotline serve` runs with when no file is given.
func Default() Config {
	c := Config{
		DataDir: "./data",
		Log:     LogConfig{Level: "info", Format: "text"},
		HTTP:    HTTPConfig{Addr: "127.0.0.1:8080"},
		Call:    callflow.DefaultConfig(),
	}
	c.sections = defaultSections()
	return c
}

// Load reads path over the defaults. An empty path gives the defaults. Errors name the file and, where the YAML
// decoder knows it, the line.
func Load(path string) (Config, error) {
	c := Default()
	if path == "" {
		return c, c.Validate()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if err := Decode(bytes.NewReader(data), &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Decode reads YAML from r into c strictly: unknown keys are errors.
func Decode(r io.Reader, c *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Validate checks every section and names the key at fault.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data_dir: must not be empty")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format: %q is not text or json", c.Log.Format)
	}
	if c.HTTP.Addr == "" {
		return errors.New("http.addr: must not be empty")
	}
	if err := c.Call.Validate(); err != nil {
		return fmt.Errorf("call.%w", err)
	}
	return c.sections.validate()
}

// Path resolves p against the data directory unless it is absolute.
func (c Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.DataDir, p)
}
