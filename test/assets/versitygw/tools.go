//go:build tools

// Package tools pins the upstream S3 server the object-storage tests run; it is never built itself.
package tools

import (
	_ "github.com/versity/versitygw/cmd/versitygw"
)
