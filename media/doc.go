// Package media is the audio half of a call: RTP sessions on a pool of UDP ports, G.711 coding, an adaptive jitter
// buffer with packet-loss concealment, RFC 4733 DTMF, prompt playback, call recording, and the WAV reading and
// resampling every other package uses for audio files.
//
// It owns the RTP/RTCP sockets of each call (bound from a configured port range, kept draining for a while after the
// call so stale packets cannot reach the next one), the 8 kHz 20 ms Frame that all audio moves in, and the rules for
// turning packets into frames (ordering, loss, concealment) and frames into packets (timestamps, marker bits). It
// must not do signalling (SDP is negotiated by package sip, which hands us a Remote), must not block the packet
// reader on a consumer (subscribers get bounded queues and lose frames, counted, when slow), and must not touch
// disk, databases or other services on the media path (recording goes through a bounded queue to its own goroutine).
//
// How a call's media runs (four goroutines per session, all ended by Close or the Start context):
//   - The reader parses each datagram with pion/rtp into a reused packet, latches the peer's source (symmetric
//     RTP; the signalled address always wins, another source only after the latched one is quiet for 1 s), and puts
//     audio into the jitter buffer (jitter.go), DTMF into the event detector (dtmf.go); pass-through packets go to
//     the SetForward hook. Nothing on this path allocates or blocks.
//   - The clock ticks every 20 ms: it plays out due frames (concealing losses, plc.go) to the subscribers' bounded
//     channels, sends one frame (DTMF event, playback, pass-through or comfort silence), feeds the recorder, and
//     checks the RTP timers and RTCP schedule. It sends silence when nothing plays, because PBXs and SBCs hang up
//     on calls without RTP, NAT bindings and the peer's latching need our packets, and a continuous stream keeps
//     the peer's jitter buffer steady; the marker bit marks each prompt's start, after hold and on pass-through.
//   - The RTCP reader keeps the peer's last sender report for our reports' LSR/DLSR. RTCP does not count as
//     activity: a peer's RTCP often outlives its media, and the timers exist to find calls without media.
//   - The supervisor waits for the end, stops the others, closes the channels and hands the sockets back to the
//     PortPool, which keeps them draining for Config.Drain before the port is used again.
//
// Libraries, and why:
//   - github.com/pion/rtp and github.com/pion/rtcp parse and build packets into caller-owned values, so the receive
//     path allocates nothing; they are well kept and used by pion/webrtc, which the agent bridge also uses.
//   - github.com/zaf/g711 for the μ-law/A-law sample tables (per-sample functions, no allocation). It has no packet
//     loss concealment, so concealment here follows ITU-T G.711 Appendix I (pitch-period repetition with
//     overlap-add and fading).
//   - WAV files are parsed by a small RIFF chunk walker of our own rather than github.com/go-audio/wav: that
//     package reads no μ-law, A-law or float data, handles WAVE_FORMAT_EXTENSIBLE and odd chunk order poorly,
//     and ignores short reads; ours is fuzzed (FuzzDecodeWAV) and names the problem in every error.
//   - Resampling is a Kaiser-windowed sinc polyphase filter in pure Go (resample.go): zaf/resample (libsoxr) is not
//     available to the build, and a pure-Go filter keeps the binary free of another C dependency. It low-pass
//     filters before decimation (about 80 dB stop band).
package media
