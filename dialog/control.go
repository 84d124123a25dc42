package dialog

import "strings"

// Control is what an utterance says about the conversation itself rather than a knowledge-base topic.
type Control int

const (
	// CtlNone: the utterance is (or may be) a question for the knowledge base.
	CtlNone Control = iota
	// CtlAgent: the caller asks for a person.
	CtlAgent
	// CtlYes and CtlNo answer a yes/no question.
	CtlYes
	CtlNo
	// CtlRepeat: "say that again".
	CtlRepeat
	// CtlGoodbye: the caller is done ("that's all, thanks, bye").
	CtlGoodbye
)

func (c Control) String() string {
	return [...]string{"none", "agent", "yes", "no", "repeat", "goodbye"}[c]
}

// IntentAskedForAgent is the pseudo-intent of test questions that ask for a person (testdata/questions.yaml).
const IntentAskedForAgent = "asked_for_agent"

func isReservedIntent(id string) bool {
	switch id {
	case IntentAskedForAgent, "yes", "no", "repeat", "goodbye", "none":
		return true
	}
	return false
}

var (
	personWords = setOf(`person human agent representative rep operator someone somebody advisor adviser staff
		colleague supervisor manager`)
	requestWords = setOf(`speak talk put transfer connect get give want need let through chat word reach`)
	agentAlone   = setOf(`agent operator representative human person advisor adviser supervisor manager rep`)
	// personPhrases ask for a person without a request verb ("is there a real person there", "customer
	// service", "transfer me").
	personPhrases = []string{"real person", "real human", "live person", "live agent", "actual person", "human being",
		"customer service", "customer services", "transfer me", "put me through", "not a robot", "not a machine",
		"not a computer"}
	yesWords     = setOf(`yes yeah yep yup ya yah sure ok okay correct right please absolutely definitely certainly alright uh-huh mhm aye exactly indeed`)
	noWords      = setOf(`no nope nah not never wrong incorrect`)
	politeFiller = setOf(`please thanks thank you that is it would be great good fine so um uh well oh i do the go ahead is`)
	repeatPhrase = []string{"say that again", "say again", "repeat", "pardon", "come again", "what did you say",
		"didn't catch", "did not catch", "didn't hear", "did not hear", "one more time", "once more", "sorry what",
		"say it again", "could not hear", "couldn't hear"}
	goodbyePhrase = []string{"bye", "goodbye", "good bye", "that is all", "that is it", "that's all", "that's it",
		"nothing else", "all done", "no more questions", "that will be all", "have a good day", "i'm done", "i am done",
		"no thank you", "no thanks", "that was all", "that helps", "that helped", "that's helpful"}
)

// control classifies an utterance's conversational act. It looks at the raw words (stopwords included), so
// "no", "yes please" and "can I talk to a person" are seen; topic questions return CtlNone.
func control(text string) Control {
	ws := words(text)
	if len(ws) == 0 {
		return CtlNone
	}
	joined := " " + strings.Join(ws, " ") + " "
	raw := " " + strings.ToLower(text) + " "

	// Asking for a person: a person word with a request verb ("can I talk to a real person", "put me through to
	// someone"), or the person word almost alone ("operator", "agent please").
	hasPerson, hasRequest, other := false, false, 0
	for _, w := range ws {
		switch {
		case personWords[w]:
			hasPerson = true
		case requestWords[w]:
			hasRequest = true
		case !stopwords[w] && !politeFiller[w]:
			other++
		}
	}
	if hasPerson && hasRequest && other <= 2 {
		return CtlAgent
	}
	// "I want to speak to …" with whatever follows misheard or a name ("speak to Dave in billing"): on a hotline
	// the one spoken to is a person, unless it is the bot itself ("talk to you about …").
	if hasRequest && other <= 2 {
		for i := 0; i+2 < len(ws); i++ {
			if (ws[i] == "speak" || ws[i] == "talk") && (ws[i+1] == "to" || ws[i+1] == "with") &&
				ws[i+2] != "you" && ws[i+2] != "about" {
				return CtlAgent
			}
		}
	}
	if hasPerson && other == 0 {
		for _, w := range ws {
			if agentAlone[w] {
				return CtlAgent
			}
		}
	}
	if other <= 3 {
		for _, p := range personPhrases {
			if strings.Contains(joined, " "+p+" ") {
				return CtlAgent
			}
		}
	}
	for _, p := range repeatPhrase {
		if strings.Contains(joined, " "+p+" ") || strings.Contains(raw, p) {
			return CtlRepeat
		}
	}
	// Short answers: yes/no/goodbye only when the utterance has few topic words.
	content := 0
	for _, w := range ws {
		if !stopwords[w] && !politeFiller[w] && !yesWords[w] && !noWords[w] {
			content++
		}
	}
	for _, p := range goodbyePhrase {
		if (strings.Contains(joined, " "+p+" ") || strings.Contains(raw, p)) && content <= 2 {
			return CtlGoodbye
		}
	}
	if content > 1 || len(ws) > 6 || (content == 1 && !yesWords[ws[0]] && !noWords[ws[0]]) {
		return CtlNone
	}
	switch {
	case noWords[ws[0]]:
		return CtlNo
	case yesWords[ws[0]]:
		return CtlYes
	}
	for _, w := range ws {
		if noWords[w] {
			return CtlNo
		}
	}
	for _, w := range ws {
		if yesWords[w] {
			return CtlYes
		}
	}
	return CtlNone
}
