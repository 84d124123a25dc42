package dialog

// Resume gives the conversation back to the bot after a hand-off that no agent could take (the queue's overflow
// policy sends the caller back): the bot listens for a question again with fresh counters. The transfer reason
// stays, since the call was escalated for it; say is what the bot says now and is kept in the transcript.
func (c *Conversation) Resume(say string) Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = false
	c.state = stateOpen
	c.pending, c.followUp = nil, nil
	c.misunderstandings, c.noInput = 0, 0
	c.emotions = c.emotions[:0]
	return c.say(Reply{Say: say, Act: ActAnythingElse})
}
