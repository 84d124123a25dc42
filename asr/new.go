package asr

import (
	"fmt"
	"log/slog"
)

// New builds the engine cfg.Engine names: the embedded PocketSphinx recogniser or the Vosk client.
func New(cfg Config, m *Metrics, log *slog.Logger) (Recognizer, error) {
	switch cfg.Engine {
	case "pocketsphinx":
		return NewEmbedded(cfg, m, log)
	case "vosk":
		return NewVosk(cfg, m, log)
	}
	return nil, fmt.Errorf("asr.engine %q: not pocketsphinx or vosk", cfg.Engine)
}
