//go:build tools

// Package tools pins the upstream commands the tests run; it is never built itself.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
