//go:build tools

// Package tools pins the upstream commands the tests run; it is never built itself.
package tools

import _ "github.com/axllent/mailpit"
