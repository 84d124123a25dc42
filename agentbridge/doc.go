// Package agentbridge is the human side of hotline: the agents' accounts and sessions, the queue that offers a
// waiting call to the right person, the WebSocket signalling of the softphone page, and the WebRTC leg that carries
// the caller's audio to the agent's browser and the agent's voice back to the caller.
//
// It owns: agent presence and skills, the queue (longest-idle matching agent, ring timeout, hold music,
// reassurance, overflow), login sessions (HttpOnly SameSite=Strict cookies with a CSRF token, or the API bearer
// token through a check the caller provides), /ws/agent and /ws/supervisor, the embedded softphone page under web/,
// and one pion PeerConnection per answered call. A call enters with Enqueue and leaves with an Outcome that tells
// the caller of Enqueue what to do next (end the call, back to the bot, voicemail, REFER, or queue again).
//
// It must not: answer or end SIP calls, transcode audio on the media path, touch the database except through the
// narrow AccountStore interface, or block the RTP reader of the call (the forward path writes one SRTP packet and
// returns; everything else goes through bounded channels).
//
// Libraries: github.com/pion/webrtc/v4 for DTLS-SRTP, ICE and SDP (the only mature pure-Go WebRTC stack; its
// TrackLocalStaticRTP lets G.711 payloads pass through untouched, so the caller's audio is never decoded on its way to
// the agent); github.com/gorilla/websocket for signalling (stable, small, supports ping/pong control frames and
// origin checks); golang.org/x/crypto/bcrypt for password hashes; github.com/zaf/g711 to decode the agent's voice
// for analysis and to encode the generated hold music.
//
// The softphone page is plain HTML, CSS and JavaScript with no build step: it is small (one screen), the browser
// APIs it needs (WebRTC, Web Audio, Notification, WebSocket) are used directly, and with no npm toolchain the page
// embedded in the binary is exactly the source in the repository, so `go build` on a clean clone is all it takes.
package agentbridge
