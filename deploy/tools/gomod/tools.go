//go:build tools

// Package tools pins the Go tools deploy/ builds from the Go module proxy (see deploy/lib.sh).
// umoci is built from here rather than with `go install module@version` because its go.mod
// carries a replace directive, which only a main module may apply.
package tools

import _ "github.com/opencontainers/umoci/cmd/umoci"
