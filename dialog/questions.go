package dialog

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// TestQuestion is one question of testdata/questions.yaml: what a caller says and the intent the bot should act
// on (IntentAskedForAgent for a request for a person, "" for an off-topic question it should not claim to
// understand).
type TestQuestion struct {
	Text   string `yaml:"text"`
	Intent string `yaml:"intent"`
}

// ReadQuestions reads a questions file (testdata/questions.yaml) for tests and evaluations.
func ReadQuestions(path string) ([]TestQuestion, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("questions %s: %w", path, err)
	}
	var f struct {
		Questions []TestQuestion `yaml:"questions"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("questions %s: %w", path, err)
	}
	if len(f.Questions) == 0 {
		return nil, fmt.Errorf("questions %s: no questions", path)
	}
	return f.Questions, nil
}
