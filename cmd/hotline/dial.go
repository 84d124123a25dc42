package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hotline/hotline/sip"
)

func init() {
	register("dial", "place a SIP test call, printing JSON events (trying, ringing, answered, dtmf, hangup)", runDialCommand)
}

// runDialCommand is `hotline dial`: a thin shell over sip.Dial that prints each event as one JSON line.
func runDialCommand(args []string) int {
	fs := newFlagSet("dial", "[-play WAV] [-record WAV] [-dtmf DIGITS] [-dtmf-mode rfc4733|info] [-hangup-after DUR] [-transport udp|tcp|tls] [-ca FILE] SIP-URI")
	var common commonFlags
	common.register(fs)
	var o sip.DialOptions
	fs.StringVar(&o.PlayWAV, "play", "", "WAV `FILE` to play once the call is answered")
	fs.StringVar(&o.RecordWAV, "record", "", "write what we hear to `FILE` (mono 16-bit 8 kHz WAV)")
	fs.StringVar(&o.DTMF, "dtmf", "", "`DIGITS` to send after the answer (',' pauses 1 s)")
	fs.StringVar(&o.DTMFMode, "dtmf-mode", "rfc4733", "how to send DTMF: rfc4733 or info")
	fs.DurationVar(&o.HangupAfter, "hangup-after", 0, "hang up this `DURATION` after the answer (0: wait for the far end)")
	fs.StringVar(&o.Transport, "transport", "", "udp, tcp or tls (default: the URI's transport parameter, else udp)")
	fs.StringVar(&o.CAFile, "ca", "", "PEM `FILE` of CAs to trust for TLS")
	fs.StringVar(&o.From, "from", "", "From `URI` (default sip:hotline-dial@LOCAL-IP)")
	fs.StringVar(&o.Username, "user", "", "digest user name, if the far end challenges")
	fs.StringVar(&o.Password, "password", "", "digest password")
	fs.Func("header", "extra INVITE header `\"Name: value\"` (repeatable), e.g. P-Asserted-Identity or Privacy", func(v string) error {
		o.Headers = append(o.Headers, v)
		return nil
	})
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "hotline dial: exactly one SIP-URI needed")
		fs.Usage()
		return 2
	}
	o.Target = fs.Arg(0)
	switch o.Transport {
	case "", "udp", "tcp", "tls":
	default:
		fmt.Fprintf(os.Stderr, "hotline dial: -transport %q is not udp, tcp or tls\n", o.Transport)
		return 2
	}
	switch o.DTMFMode {
	case "rfc4733", "info":
	default:
		fmt.Fprintf(os.Stderr, "hotline dial: -dtmf-mode %q is not rfc4733 or info\n", o.DTMFMode)
		return 2
	}
	cfg, err := common.load()
	if err != nil {
		return fail("dial", err)
	}
	o.Log = newLogger(cfg.Log, os.Stderr)
	enc := json.NewEncoder(os.Stdout)
	o.OnEvent = func(ev sip.DialEvent) { _ = enc.Encode(ev) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := sip.Dial(ctx, o)
	if err != nil {
		return fail("dial", err)
	}
	if !res.Answered {
		return 1
	}
	return 0
}
