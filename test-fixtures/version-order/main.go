// Prints the Go version it was compiled with, so tests can see which toolchain built it. It
// uses package os alone (not fmt): the tests build it cold with many Go releases.
package main

import (
	"os"
	"runtime"
)

func main() {
	os.Stdout.WriteString("compiled with " + runtime.Version() + "\n")
}
