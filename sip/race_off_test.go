//go:build !race

package sip

const raceBuild = false
