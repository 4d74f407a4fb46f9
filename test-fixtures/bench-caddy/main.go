// Caddy with its standard modules: the large app of the bench (cnb-local bench --app caddy).
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// The bench's one-line edit changes this line.
const edit = "edit 0"

func main() {
	_ = edit
	caddycmd.Main()
}
