//go:build race

package sip

// raceBuild: the race detector slows everything several times, so tests scale the transaction timers up.
const raceBuild = true
