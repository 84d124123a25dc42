// Package sip is hotline's signalling: it lets a PBX or a carrier's SIP trunk call hotline, and hotline call out.
//
// It owns the SIP side of every call: listening on UDP, TCP and TLS; access control (an allow list of source
// networks, optional digest authentication of INVITEs, admission control with 503 + Retry-After); the INVITE
// dialog from 100 Trying to BYE, CANCEL, re-INVITE/UPDATE (hold, resume, new media address), RFC 4028 session
// timers, DTMF by SIP INFO, blind transfer by REFER following NOTIFY/sipfrag; SDP offer/answer (PCMU, PCMA,
// telephone-event, ptime, late offer); outbound REGISTER with digest auth and OPTIONS keep-alives to trunks; and
// the `hotline dial` test caller (Dial). A Server hands each answered call to one Handler, net/http style: the
// handler gets a *Call (identity, media session, DTMF, Transfer, Hangup) and a context that ends with the call.
//
// It must not process audio (RTP, codecs, jitter, recording are package media: sip only tells a media.Session
// where to send and what was negotiated), must not touch the disk or a database on the call path (call records
// are written by whoever sets the OnEnd hook), and must never panic on any input: every refused request gets a
// status and one log line saying why.
//
// Libraries: github.com/emiago/sipgo for the transport, transaction and dialog layers (RFC 3261 parsing,
// retransmission timers, dialog state, digest client) — a maintained, allocation-conscious pure-Go stack that keeps
// those layers apart, which lets this package add what sipgo leaves to applications (session timers, re-INVITE
// answering, INFO, REFER, access control) without forking it. We use sipgo directly rather than emiago/diago
// (which builds on it) because diago brings its own media stack and hotline's media lives in package media; the
// dialog plumbing here follows diago's patterns (one client per transport sending from the listening socket,
// re-INVITE through the dialog's UAS session). github.com/pion/sdp/v3 parses SDP (one well-tested parser shared
// with the WebRTC side); our SDP answers are written directly so that they stay minimal and predictable for PBXs.
// github.com/icholy/digest (sipgo's own choice) checks digest credentials.
package sip
