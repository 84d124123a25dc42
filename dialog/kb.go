package dialog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultKBName is the name the embedded sample knowledge base reports as its file in errors and logs.
const DefaultKBName = "embedded:kb/telecom.yaml"

//go:embed kb/telecom.yaml
var defaultKB []byte

// DefaultKBData returns the embedded sample knowledge base (a telecom operator's hotline) as YAML.
func DefaultKBData() []byte { return bytes.Clone(defaultKB) }

// KB is a parsed, validated knowledge base with its matching index built. It is immutable once built, so calls
// in progress can keep using one while a reload builds the next.
type KB struct {
	// Source names the file it came from (DefaultKBName for the embedded one).
	Source string
	// Synonyms are groups of words that match each other.
	Synonyms [][]string
	// Entries are the answers, in file order.
	Entries []Entry

	byID  map[string]*Entry
	index *index
}

// Entry is one knowledge-base answer: an intent and what the bot says for it.
type Entry struct {
	// ID is the intent id stored in call records (lower_snake_case, unique).
	ID string `yaml:"id"`
	// Topic names the subject in a few words, for "Is this about …?" when the bot is unsure.
	Topic string `yaml:"topic"`
	// Examples are ways a caller might ask.
	Examples []string `yaml:"examples"`
	// Answer is what the bot says.
	Answer string `yaml:"answer"`
	// FollowUps are yes/no questions offered after the answer; the first is used.
	FollowUps []FollowUp `yaml:"follow_ups"`
	// NeedsAgent makes the bot say Answer and transfer with reason agent_only_topic.
	NeedsAgent bool `yaml:"needs_agent"`
	// Sensitivity is normal, personal, financial or security ("normal" when empty).
	Sensitivity string `yaml:"sensitivity"`
	// Line is where the entry starts in its file.
	Line int `yaml:"-"`
}

// FollowUp is a yes/no question after an answer and what a "yes" leads to.
type FollowUp struct {
	// Ask is the question.
	Ask string `yaml:"ask"`
	// Yes is another entry's id to answer next, or FollowUpAgent to put the caller through.
	Yes string `yaml:"yes"`
}

// FollowUpAgent as a follow-up's yes puts the caller through to an agent.
const FollowUpAgent = "agent"

// Sensitivities are the allowed values of Entry.Sensitivity.
var Sensitivities = []string{"normal", "personal", "financial", "security"}

// DomainPhrases are what a recogniser's domain language model is made from: every entry's examples and topic.
func DomainPhrases(k *KB) []string {
	var out []string
	for _, e := range k.Entries {
		out = append(out, e.Examples...)
		if e.Topic != "" {
			out = append(out, e.Topic)
		}
	}
	return out
}

// Entry returns the entry with the given intent id, or nil.
func (k *KB) Entry(id string) *Entry {
	if k == nil {
		return nil
	}
	return k.byID[id]
}

// Problem is one thing wrong (or doubtful, when Warning) in a knowledge-base file.
type Problem struct {
	File    string
	Line    int
	Msg     string
	Warning bool
}

func (p Problem) String() string {
	kind := "error"
	if p.Warning {
		kind = "warning"
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, kind, p.Msg)
}

// KBError is returned when a knowledge base has errors; it lists every problem found (warnings included).
type KBError struct {
	Problems []Problem
}

func (e *KBError) Error() string {
	var lines []string
	for _, p := range e.Problems {
		if !p.Warning {
			lines = append(lines, p.String())
		}
	}
	return strings.Join(lines, "\n")
}

// LoadKB reads, validates and indexes the knowledge base at path; an empty path loads the embedded sample. On
// errors it returns a *KBError naming file and line of each problem. Warnings do not fail the load; they are
// returned with the KB by CheckKB.
func LoadKB(path string) (*KB, error) {
	kb, _, err := CheckKB(path)
	return kb, err
}

// CheckKB is LoadKB that also returns every problem found, warnings included (for `hotline kb check`).
func CheckKB(path string) (*KB, []Problem, error) {
	name, data := DefaultKBName, defaultKB
	if path != "" {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("knowledge base %s: %w", path, err)
		}
		name = path
	}
	return ParseKB(name, data)
}

var (
	idPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	yamlLineRE   = regexp.MustCompile(`line (\d+): (.*)`)
	entryKeys    = map[string]bool{"id": true, "topic": true, "examples": true, "answer": true, "follow_ups": true, "needs_agent": true, "sensitivity": true}
	topKeys      = map[string]bool{"synonyms": true, "entries": true}
	followUpKeys = map[string]bool{"ask": true, "yes": true}
)

// maxAnswerWords is the length past which an answer is too long to listen to on the phone (a warning).
const maxAnswerWords = 70

// ParseKB parses and validates knowledge-base YAML; name is used in problems. The KB is returned (with its
// index) only when there are no errors.
func ParseKB(name string, data []byte) (*KB, []Problem, error) {
	var probs []Problem
	add := func(line int, warn bool, format string, a ...any) {
		probs = append(probs, Problem{File: name, Line: line, Msg: fmt.Sprintf(format, a...), Warning: warn})
	}
	fail := func() (*KB, []Problem, error) { return nil, probs, &KBError{Problems: probs} }

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := 0, err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			fmt.Sscanf(m[1], "%d", &line)
			msg = m[2]
		}
		add(line, false, "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		return fail()
	}
	if len(doc.Content) == 0 {
		add(1, false, "empty file: expected `entries:`")
		return fail()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		add(root.Line, false, "expected a mapping with `synonyms:` and `entries:` at top level")
		return fail()
	}
	kb := &KB{Source: name, byID: map[string]*Entry{}}
	var entriesNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !topKeys[k.Value] {
			add(k.Line, false, "unknown key %q (expected synonyms or entries)", k.Value)
			continue
		}
		switch k.Value {
		case "synonyms":
			if err := v.Decode(&kb.Synonyms); err != nil {
				add(v.Line, false, "synonyms: expected a list of word lists like [bill, invoice]")
				continue
			}
			for j, g := range kb.Synonyms {
				line := v.Line
				if j < len(v.Content) {
					line = v.Content[j].Line
				}
				if len(g) < 2 {
					add(line, false, "synonym group %v needs at least two words", g)
				}
			}
		case "entries":
			entriesNode = v
		}
	}
	if entriesNode == nil {
		add(root.Line, false, "no `entries:` list")
		return fail()
	}
	if entriesNode.Kind != yaml.SequenceNode {
		add(entriesNode.Line, false, "entries: expected a list of entries")
		return fail()
	}
	seenExample := map[string]string{}
	for _, en := range entriesNode.Content {
		var e Entry
		e.Line = en.Line
		if en.Kind != yaml.MappingNode {
			add(en.Line, false, "entry: expected a mapping with id, examples, answer")
			continue
		}
		keyLine := map[string]int{}
		for i := 0; i+1 < len(en.Content); i += 2 {
			k := en.Content[i]
			keyLine[k.Value] = en.Content[i+1].Line
			if !entryKeys[k.Value] {
				add(k.Line, false, "unknown key %q in entry (expected id, topic, examples, answer, follow_ups, needs_agent, sensitivity)", k.Value)
			}
		}
		if err := decodeEntry(en, &e); err != nil {
			add(en.Line, false, "entry: %v", err)
			continue
		}
		at := func(key string) int {
			if l, ok := keyLine[key]; ok {
				return l
			}
			return en.Line
		}
		switch {
		case e.ID == "":
			add(en.Line, false, "entry has no id")
		case !idPattern.MatchString(e.ID):
			add(at("id"), false, "id %q: use lower_snake_case letters, digits and underscores", e.ID)
		case e.ID == FollowUpAgent || isReservedIntent(e.ID):
			add(at("id"), false, "id %q is reserved", e.ID)
		case kb.byID[e.ID] != nil:
			add(at("id"), false, "duplicate id %q (first at line %d)", e.ID, kb.byID[e.ID].Line)
		}
		if strings.TrimSpace(e.Answer) == "" {
			add(at("answer"), false, "entry %q has an empty answer", e.ID)
		} else if n := len(strings.Fields(e.Answer)); n > maxAnswerWords {
			add(at("answer"), true, "entry %q: answer has %d words; keep it under %d for the phone", e.ID, n, maxAnswerWords)
		}
		nonEmpty := 0
		for j, ex := range e.Examples {
			line := at("examples")
			if ex := yamlChild(en, "examples"); ex != nil && j < len(ex.Content) {
				line = ex.Content[j].Line
			}
			if strings.TrimSpace(ex) == "" {
				add(line, false, "entry %q: empty example", e.ID)
				continue
			}
			nonEmpty++
			key := strings.Join(words(ex), " ")
			if other, dup := seenExample[key]; dup && other != e.ID {
				add(line, true, "entry %q: example %q is also an example of %q", e.ID, ex, other)
			}
			seenExample[key] = e.ID
		}
		switch {
		case nonEmpty == 0:
			add(at("examples"), false, "entry %q has no examples", e.ID)
		case nonEmpty < 2:
			add(at("examples"), true, "entry %q has only one example; give several phrasings", e.ID)
		}
		if e.Sensitivity == "" {
			e.Sensitivity = "normal"
		} else if !contains(Sensitivities, e.Sensitivity) {
			add(at("sensitivity"), false, "entry %q: sensitivity %q is not one of %s", e.ID, e.Sensitivity, strings.Join(Sensitivities, ", "))
		}
		for _, f := range e.FollowUps {
			if strings.TrimSpace(f.Ask) == "" {
				add(at("follow_ups"), false, "entry %q: follow-up without `ask`", e.ID)
			}
			if f.Yes == "" {
				add(at("follow_ups"), false, "entry %q: follow-up without `yes` (an entry id or %q)", e.ID, FollowUpAgent)
			}
		}
		e.Answer = strings.Join(strings.Fields(e.Answer), " ")
		if e.ID != "" && kb.byID[e.ID] == nil {
			ep := e
			kb.Entries = append(kb.Entries, ep)
			kb.byID[e.ID] = &ep
		}
	}
	// Follow-ups may point forward, so check them once all ids are known.
	for _, e := range kb.Entries {
		for _, f := range e.FollowUps {
			if f.Yes != "" && f.Yes != FollowUpAgent && kb.byID[f.Yes] == nil {
				add(e.Line, false, "entry %q: follow-up yes %q is not an entry id or %q", e.ID, f.Yes, FollowUpAgent)
			}
		}
	}
	if len(kb.Entries) == 0 {
		add(entriesNode.Line, false, "no entries")
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	for _, p := range probs {
		if !p.Warning {
			return fail()
		}
	}
	// Entries were copied into the slice; point the map at the slice's elements.
	for i := range kb.Entries {
		kb.byID[kb.Entries[i].ID] = &kb.Entries[i]
	}
	kb.index = buildIndex(kb)
	return kb, probs, nil
}

// decodeEntry decodes one entry node, reporting a type mistake with its line.
func decodeEntry(n *yaml.Node, e *Entry) error {
	line := e.Line
	if err := n.Decode(e); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			return errors.New("line " + m[1] + ": " + m[2])
		}
		return err
	}
	e.Line = line
	if fu := yamlChild(n, "follow_ups"); fu != nil {
		for _, f := range fu.Content {
			for i := 0; i+1 < len(f.Content); i += 2 {
				if !followUpKeys[f.Content[i].Value] {
					return fmt.Errorf("line %d: unknown follow-up key %q (expected ask, yes)", f.Content[i].Line, f.Content[i].Value)
				}
			}
		}
	}
	return nil
}

func yamlChild(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
