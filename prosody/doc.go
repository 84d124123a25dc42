// Package prosody reads a voice from 8 kHz telephone audio: energy, voice activity, pitch (F0), voicing, speech rate
// and pauses, frame by frame and causally, and turns their deviation from the speaker's calm baseline, together with
// the words spoken, into an emotional state with level, arousal and valence. It owns the emotion report type shared
// by the dialogue, the agent bridge and the call records. It must not do I/O on the media path or depend on the SIP,
// media or recognition packages: it takes plain PCM samples and text.
package prosody
